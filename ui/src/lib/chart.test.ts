import { describe, expect, it } from "vitest";
import { CHART_WIDTH_STEP_PX, chartImage, chartWidthPx } from "./chart";

describe("the width a chart is drawn at", () => {
  it("is the column's width in whole steps, never wider than the column", () => {
    for (const column of [781, 800, 1101.5, 480, 1599]) {
      const width = chartWidthPx(column);
      expect(width).toBeLessThanOrEqual(column);
      expect(column - width).toBeLessThan(CHART_WIDTH_STEP_PX);
      expect(width % CHART_WIDTH_STEP_PX).toBe(0);
    }
  });

  it("changes only when the column crosses a step", () => {
    expect(chartWidthPx(781)).toBe(chartWidthPx(799));
    expect(chartWidthPx(800)).not.toBe(chartWidthPx(799));
  });

  it("waits for a column that has a width", () => {
    expect(chartWidthPx(0)).toBe(0);
    expect(chartWidthPx(Number.NaN)).toBe(0);
  });
});

describe("a chart's alternative text", () => {
  it("is the summary Rust wrote from the chart's figures", () => {
    const summary = "Logo and revenue churn, Aug 2026 to Dec 2026. Nov 2026: Logo churn 12.5%, Revenue churn 5.9%.";
    expect(chartImage({ svg: "<svg/>", summary }, "Churn")).toEqual({ svg: "<svg/>", alt: summary });
  });

  it("falls back to the tab's title for a chart drawn without one", () => {
    expect(chartImage("<svg/>", "Requests")).toEqual({ svg: "<svg/>", alt: "Requests" });
    expect(chartImage({ svg: "<svg/>", summary: "" }, "Churn").alt).toBe("Churn");
  });
});
