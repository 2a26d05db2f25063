// The route table renders only the rows in view (plus a margin), so a 10,000-route plan costs
// the same to draw as a 20-route one.

/** Height of one table row, in CSS pixels; the stylesheet uses the same. */
export const ROW_PX = 36;
/** Rows rendered above and below the visible ones. */
export const OVERSCAN_ROWS = 8;

export interface RowWindow {
  offset: number;
  count: number;
}

/** The rows to render for a scroll position and viewport height. */
export function rowWindow(scrollTopPx: number, viewportPx: number, totalRows: number): RowWindow {
  const first = Math.max(0, Math.floor(scrollTopPx / ROW_PX) - OVERSCAN_ROWS);
  const visible = Math.ceil(viewportPx / ROW_PX) + 2 * OVERSCAN_ROWS;
  const offset = Math.min(first, Math.max(0, totalRows - 1));
  return { offset, count: Math.max(0, Math.min(visible, totalRows - offset)) };
}

/** Whether rows loaded for `loaded` cover all of `wanted`. */
export function covers(loaded: RowWindow, wanted: RowWindow): boolean {
  return wanted.offset >= loaded.offset && wanted.offset + wanted.count <= loaded.offset + loaded.count;
}

/** The scroll position that brings row `index` into view, or null when it is already. */
export function scrollToShow(index: number, scrollTopPx: number, viewportPx: number): number | null {
  const top = index * ROW_PX;
  if (top < scrollTopPx) return top;
  if (top + ROW_PX > scrollTopPx + viewportPx) return top + ROW_PX - viewportPx;
  return null;
}
