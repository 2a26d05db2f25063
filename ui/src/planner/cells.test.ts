import { describe, expect, it } from "vitest";
import { cellValue, chainTitle, chipsPastFirstLine, moveInChain, newRoute, figureEm, trafficUnit, widestFigureEm, withCell, withUnit } from "./cells";
import type { RouteFields } from "../bindings/desktop/RouteFields";

const r: RouteFields = { path: "/a", requests_per_month: "1000", requests_per_second: null, compute_ms: "4", response_bytes: "20000", middleware: ["auth", "cache", "compress"], regions: null };

describe("route cells", () => {
  it("edit the traffic in the route's own unit", () => {
    expect(cellValue(withCell(r, "traffic", "2000"), "traffic")).toBe("2000");
    const perSecond = withUnit(r, "second");
    expect(trafficUnit(perSecond)).toBe("second");
    expect(perSecond.requests_per_month).toBeNull();
    expect(withCell(perSecond, "traffic", "0.5").requests_per_second).toBe("0.5");
  });

  it("reorder middleware within the chain", () => {
    expect(moveInChain(r.middleware, 0, 1)).toEqual(["cache", "auth", "compress"]);
    expect(moveInChain(r.middleware, 2, 1)).toBe(r.middleware);
    expect(moveInChain(r.middleware, 2, -2)).toEqual(["compress", "auth", "cache"]);
  });

  it("give a new route a free path", () => {
    const taken = new Set(["/new", "/new-2"]);
    expect(newRoute((p) => taken.has(p)).path).toBe("/new-3");
  });

  it("size a figure column from its widest figure, never below its least width", () => {
    expect(figureEm("$4,944,433.91")).toBeCloseTo(10 * 0.68 + 3 * 0.38);
    expect(figureEm("+$2.09")).toBeCloseTo(0.84 + 4 * 0.68 + 0.38);
    expect(widestFigureEm(["$6.75", null, "+$2.09"], 5)).toBe(5);
    expect(widestFigureEm(["$6.75", "$4,944,433.91", undefined], 5)).toBeCloseTo(7.94);
    expect(widestFigureEm([], 3)).toBe(3);
  });
});

describe("the one-line middleware cell", () => {
  it("counts the chips that wrapped past the first line", () => {
    expect(chipsPastFirstLine([])).toBe(0);
    expect(chipsPastFirstLine([4, 4, 4])).toBe(0);
    expect(chipsPastFirstLine([4, 4.5, 36])).toBe(1);
    expect(chipsPastFirstLine([4, 36, 68])).toBe(2);
  });

  it("names the whole chain in its tooltip", () => {
    expect(chainTitle(r.middleware, 0)).toBe("auth → cache → compress");
    expect(chainTitle(r.middleware, 2)).toBe("auth → cache → compress (2 more than shown)");
    expect(chainTitle([], 0)).toBe("No middleware");
  });
});
