// Keyboard handling and wording of the account action sheets, free of the DOM so Vitest
// checks them directly. Amounts are never computed here: they arrive as strings from Rust.
import type { ActionFailure } from "../bindings/account/ActionFailure";
import type { BannerLevel } from "../bindings/account/BannerLevel";

/** What a key pressed inside a sheet asks for. */
export type SheetKey = "close" | "focus-next" | "focus-previous" | null;

/**
 * Esc closes and Tab cycles inside the sheet. Enter is never a sheet-wide "confirm": a
 * purchase or a tier change needs one deliberate act on its confirm button (a click, or
 * Enter or Space while that button has focus), so Enter typed in a field, or pressed
 * twice, spends nothing.
 */
export function sheetKey(key: string, shiftKey: boolean, _targetTag: string, code = ""): SheetKey {
  if (key === "Escape") return "close";
  // WebKitGTK reports Shift+Tab (GTK's ISO_Left_Tab) as key "Unidentified" with code "Tab".
  if (key === "Tab" || (key === "Unidentified" && code === "Tab")) return shiftKey ? "focus-previous" : "focus-next";
  return null;
}

/** A focusable element of a sheet, as far as choosing the first focus goes. */
export type FocusCandidate = { autofocus: boolean; spends: boolean };

/**
 * Where focus goes when a sheet opens (or when it must move back in): the first element
 * marked to take focus, else the first focusable one, and never a button that spends money
 * (marked `data-spends`). Answers -1 when there is none.
 */
export function initialFocus(candidates: FocusCandidate[]): number {
  const marked = candidates.findIndex((c) => c.autofocus && !c.spends);
  if (marked >= 0) return marked;
  return candidates.findIndex((c) => !c.spends);
}

/** The index focus moves to among `count` focusable elements, wrapping at both ends. */
export function nextFocus(current: number, count: number, backwards: boolean): number {
  if (count <= 0) return -1;
  if (current < 0 || current >= count) return backwards ? count - 1 : 0;
  return backwards ? (current - 1 + count) % count : (current + 1) % count;
}

/** A pack count typed by a person: a whole number from 1 to `max`, else `null`. */
export function parsePacks(text: string, max: number): number | null {
  const trimmed = text.trim();
  if (!/^\d{1,4}$/.test(trimmed)) return null;
  const n = Number(trimmed);
  return n >= 1 && n <= max ? n : null;
}

/**
 * The count the − (`step` -1) or + (`step` 1) button steps to from the text typed, or `null`
 * when it cannot step that way within 1 to `max`. It steps from the number typed, also one
 * out of range or with a fraction (101 − gives 100, 2.5 + gives 3, 500 − gives `max`), and
 * from `fallback` (the last count quoted) when the text is no number at all.
 */
export function steppedPacks(text: string, max: number, fallback: number, step: 1 | -1): number | null {
  const typed = text.trim();
  const n = /^\d+(\.\d+)?$/.test(typed) ? Number(typed) : fallback;
  if (step > 0) {
    const next = Math.max(1, Math.floor(n) + 1);
    return next <= max ? next : null;
  }
  const next = Math.min(max, Math.ceil(n) - 1);
  return next >= 1 ? next : null;
}

/**
 * The quote whose figures may show beside the pack count typed: the one for exactly that
 * count. While the count is invalid, or its own quote is still on the way, the last quote
 * is for another count, so this answers `null` and the sheet shows no amount at all.
 */
export function quoteForPacks<Q extends { packs: number }>(packs: number | null, quote: Q): Q | null {
  return packs !== null && packs === quote.packs ? quote : null;
}

/** The buy button's label: with the total of the quote shown, else a plain "Buy". */
export function buyLabel(total: string | null): string {
  return total === null ? "Buy" : `Buy for ${total}`;
}

/** Whether a failure can be retried with the same confirmation. */
export function canRetry(failure: ActionFailure): boolean {
  return failure.kind === "offline" || failure.kind === "server_error";
}

/** The banner's heading for its level. */
export function bannerTitle(level: BannerLevel): string {
  switch (level) {
    case "warning":
      return "Quota almost used";
    case "over":
      return "Quota used up: overage is being billed";
    case "capped":
      return "Quota used up: traffic is capped";
  }
}
