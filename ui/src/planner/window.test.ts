import { describe, expect, it } from "vitest";
import { covers, OVERSCAN_ROWS, ROW_PX, rowWindow, scrollToShow } from "./window";

describe("row window", () => {
  it("renders only what is in view plus a margin, whatever the plan's size", () => {
    const w = rowWindow(0, 360, 10_000);
    expect(w).toEqual({ offset: 0, count: 10 + 2 * OVERSCAN_ROWS });
    const deep = rowWindow(5000 * ROW_PX, 360, 10_000);
    expect(deep.offset).toBe(5000 - OVERSCAN_ROWS);
    expect(deep.count).toBe(10 + 2 * OVERSCAN_ROWS);
  });

  it("stops at the end of the table", () => {
    const w = rowWindow(100 * ROW_PX, 360, 30);
    expect(w.offset + w.count).toBe(30);
    expect(rowWindow(0, 360, 0)).toEqual({ offset: 0, count: 0 });
  });

  it("knows when loaded rows cover the view", () => {
    expect(covers({ offset: 10, count: 30 }, { offset: 12, count: 20 })).toBe(true);
    expect(covers({ offset: 10, count: 30 }, { offset: 25, count: 20 })).toBe(false);
  });

  it("scrolls a row into view only when it is out of view", () => {
    expect(scrollToShow(0, 0, 360)).toBeNull();
    expect(scrollToShow(20, 0, 360)).toBe(21 * ROW_PX - 360);
    expect(scrollToShow(2, 5 * ROW_PX, 360)).toBe(2 * ROW_PX);
  });
});
