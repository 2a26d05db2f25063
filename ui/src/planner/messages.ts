// What the planner's error codes mean to a person editing a plan, and what to do.
import type { CommandError } from "../bindings/desktop/CommandError";
import type { ErrorCode } from "../bindings/desktop/ErrorCode";
import { explain, lookup } from "../lib/errors";

const PLAN_MESSAGES: Partial<Record<ErrorCode, string>> = {
  plan_invalid: "The plan file does not read as a plan. Fix the line shown, or open another file.",
  plan_unreadable: "The plan file could not be read. Check that it still exists.",
  unknown_middleware: "A route uses middleware the catalog does not define. Add it to the catalog first.",
  unknown_region: "That region is not in the price book.",
  region_shares_not_one: "Region shares must add up to exactly 100%.",
  value_out_of_range: "A value is out of range (negative, or a ratio above 1).",
  route_traffic_ambiguous: "Give a route's traffic per month or per second, not both.",
  duplicate_route: "Another route already has that path: paths must be unique.",
  middleware_in_use: "That middleware is still used by a route. Take it out of the routes first.",
  not_found: "That route or middleware is no longer in the plan.",
  usage_record_invalid: "A line of the usage file cannot be read.",
  usage_empty: "The usage file holds no records.",
  no_plan: "No plan is open. Open or start one.",
  unknown_recent_plan: "That plan is no longer in the recent plans list. Open its file from the start screen instead.",
  not_signed_in: "No account is connected. Connect one or open the demo from the first screen, or start from a usage file.",
  overflow: "A number is too large to compute exactly.",
};

/** The fields a refused quantity names (the Rust side's names), as the planner labels them. */
const FIELD_LABELS: Record<string, string> = {
  requests_per_month: "Requests a month",
  requests_per_second: "Requests a second",
  compute_ms: "Compute (ms a request)",
  response_bytes: "Response (bytes)",
  egress_ratio: "Egress ratio",
  hit_ratio: "Cache hit ratio",
  path: "Path",
  "region share": "Region share",
  "middleware name": "Middleware name",
  requests: "Requests",
  egress_gb: "Egress (GB)",
  compute_seconds: "Compute (seconds)",
};

/** `text` as a sentence: a capital first letter and a closing full stop. */
function sentence(text: string): string {
  const t = text.trim();
  if (t === "") return t;
  const capital = t[0].toUpperCase() + t.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/**
 * A refused quantity (`bad_quantity`, sent as "field: reason") as one sentence: the field by
 * the label a person sees, then the quantity reader's own reason, which quotes the text and
 * how to write it. The reason's wording is the shared reader's, the same everywhere.
 */
export function quantityRefusal(message: string): string {
  const at = message.indexOf(": ");
  if (at <= 0) return sentence(message);
  const field = message.slice(0, at);
  if (!/^[a-z_ ]+$/.test(field)) return sentence(message);
  const label = Object.hasOwn(FIELD_LABELS, field) ? FIELD_LABELS[field] : field.replace(/_/g, " ");
  return sentence(`${label}: ${message.slice(at + 2)}`);
}

/**
 * A path another route already has, said once. The core's message ("route '/a' is defined
 * twice; paths must be unique") says what the planner's own sentence says, so only the path is
 * taken from it; a message that names no path leaves the planner's sentence as it is.
 */
export function duplicateRoute(message: string): string {
  const path = /route '([^']*)'/.exec(message)?.[1];
  return path === undefined ? PLAN_MESSAGES.duplicate_route! : `Another route already has the path '${path}': paths must be unique.`;
}

/** One line for the status bar: what went wrong and what to do. */
export function planMessage(e: CommandError): string {
  if (e.code === "bad_quantity") return quantityRefusal(e.message);
  if (e.code === "duplicate_route") return duplicateRoute(e.message);
  const known = lookup(PLAN_MESSAGES, e.code);
  if (known) return `${known} (${e.message})`;
  const x = explain(e);
  return `${x.what} ${x.todo} (${e.message})`;
}
