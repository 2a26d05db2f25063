// The route table's editable cells and how each reads from and writes to a route's fields.
import type { RouteFields } from "../bindings/desktop/RouteFields";

export type CellField = "path" | "traffic" | "compute_ms" | "response_bytes";

/** The text cells, in tab order. */
export const CELL_FIELDS: CellField[] = ["path", "traffic", "compute_ms", "response_bytes"];

export type TrafficUnit = "month" | "second";

export function trafficUnit(f: RouteFields): TrafficUnit {
  return f.requests_per_month === null && f.requests_per_second !== null ? "second" : "month";
}

export function cellValue(f: RouteFields, field: CellField): string {
  switch (field) {
    case "path":
      return f.path;
    case "traffic":
      return (trafficUnit(f) === "second" ? f.requests_per_second : f.requests_per_month) ?? "";
    case "compute_ms":
      return f.compute_ms;
    case "response_bytes":
      return f.response_bytes;
  }
}

/** The route with one cell changed; the traffic cell keeps the route's unit. */
export function withCell(f: RouteFields, field: CellField, value: string): RouteFields {
  switch (field) {
    case "path":
      return { ...f, path: value };
    case "traffic":
      return trafficUnit(f) === "second"
        ? { ...f, requests_per_second: value, requests_per_month: null }
        : { ...f, requests_per_month: value, requests_per_second: null };
    case "compute_ms":
      return { ...f, compute_ms: value };
    case "response_bytes":
      return { ...f, response_bytes: value };
  }
}

/** The same traffic figure read in the other unit (the planner's 30-day month). */
export function withUnit(f: RouteFields, unit: TrafficUnit): RouteFields {
  if (unit === trafficUnit(f)) return f;
  const value = cellValue(f, "traffic");
  return unit === "second"
    ? { ...f, requests_per_second: value, requests_per_month: null }
    : { ...f, requests_per_month: value, requests_per_second: null };
}

/** The middleware chain with entry `i` moved by `by` places (clamped to the chain). */
export function moveInChain(chain: string[], i: number, by: number): string[] {
  const to = Math.max(0, Math.min(chain.length - 1, i + by));
  if (to === i || i < 0 || i >= chain.length) return chain;
  const next = [...chain];
  const [item] = next.splice(i, 1);
  next.splice(to, 0, item);
  return next;
}

/** A fresh route for "add route", with a path not in `taken`. */
export function newRoute(taken: (path: string) => boolean): RouteFields {
  let path = "/new";
  for (let n = 2; taken(path) && n < 100_000; n++) path = `/new-${n}`;
  return { path, requests_per_month: "0", requests_per_second: null, compute_ms: "1", response_bytes: "1000", middleware: [], regions: null };
}

/**
 * How wide `text` is set in tabular figures, in ems: digits and most signs take 0.68 em,
 * commas, points and spaces 0.38 em, plus and minus 0.84 em (at least what the fonts the
 * app falls back on take). The route table sizes its figure columns from the widest figure in
 * view, so that a large amount makes its column grow (and the table scroll sideways when it
 * must), never cut.
 */
export function figureEm(text: string): number {
  let em = 0;
  for (const c of text) em += c === "," || c === "." || c === " " ? 0.38 : c === "+" || c === "-" || c === "\u2212" ? 0.84 : 0.68;
  return em;
}

/** The widest of `texts` set as figures, in ems, at least `least`. */
export function widestFigureEm(texts: (string | null | undefined)[], least: number): number {
  let widest = least;
  for (const t of texts) if (t) widest = Math.max(widest, figureEm(t));
  return widest;
}

/**
 * How many middleware chips a one-line chain cell does not show. The cell lets its chips wrap
 * inside a box one chip high, so a chip that does not fit on the first line moves below it and
 * out of view; `tops` are the chips' tops (in order), and every chip lower than the first is
 * counted, to be shown as "+N". A whole chip is shown or none of it: a chip is never cut.
 */
export function chipsPastFirstLine(tops: number[]): number {
  if (tops.length === 0) return 0;
  const first = tops[0];
  return tops.filter((t) => t > first + 1).length;
}

/** The tooltip of a chain cell: the whole chain in order, and how many chips are out of view. */
export function chainTitle(chain: string[], hidden: number): string {
  if (chain.length === 0) return "No middleware";
  const all = chain.join(" → ");
  return hidden > 0 ? `${all} (${hidden} more than shown)` : all;
}
