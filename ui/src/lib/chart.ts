// How a chart drawn in Rust is shown: at which width to ask for it, and the text that stands
// for it. The figures and the summary are Rust's; this only picks which of them to show.

/** Widths are asked for in steps of this many pixels: a window being resized redraws its
 * chart now and then, not at every pixel. */
export const CHART_WIDTH_STEP_PX = 20;

/** The width to draw a chart at for a column `columnPx` wide: the column's width rounded down
 * to a whole step, so the image is never wider than its column and is shown unscaled, its text
 * at the size it was drawn. 0 while the column has no width yet (not laid out). */
export function chartWidthPx(columnPx: number): number {
  if (!Number.isFinite(columnPx) || columnPx < CHART_WIDTH_STEP_PX) return 0;
  return Math.floor(columnPx / CHART_WIDTH_STEP_PX) * CHART_WIDTH_STEP_PX;
}

/** A chart as a draw command answers it: the SVG alone, or the SVG with a summary of what it
 * shows. */
export type DrawnChart = string | { svg: string; summary: string };

/** The SVG to show and its alternative text: the chart's summary where it has one, else the
 * title of its tab. */
export function chartImage(drawn: DrawnChart, title: string | undefined): { svg: string; alt: string } {
  if (typeof drawn === "string") return { svg: drawn, alt: title ?? "" };
  return { svg: drawn.svg, alt: drawn.summary || title || "" };
}
