import { describe, expect, it } from "vitest";
import type { ActionFailure } from "../bindings/account/ActionFailure";
import { bannerTitle, buyLabel, canRetry, initialFocus, nextFocus, parsePacks, quoteForPacks, sheetKey, steppedPacks } from "./sheets";

describe("sheet keys", () => {
  it("closes on Escape wherever focus is, also on the body after a confirm disabled its button", () => {
    expect(sheetKey("Escape", false, "INPUT")).toBe("close");
    expect(sheetKey("Escape", false, "BODY")).toBe("close");
    // Shift+Tab as WebKitGTK reports it still moves focus backwards inside the sheet.
    expect(sheetKey("Unidentified", true, "INPUT", "Tab")).toBe("focus-previous");
    expect(sheetKey("Unidentified", false, "INPUT", "KeyA")).toBe(null);
    expect(sheetKey("Escape", false, "BUTTON")).toBe("close");
  });
  it("never confirms on Enter: not in a field, not twice, not on the sheet itself", () => {
    for (const tag of ["INPUT", "DIV", "BODY", "SELECT", "BUTTON", "a"]) {
      expect(sheetKey("Enter", false, tag)).toBeNull();
      expect(sheetKey("Enter", true, tag)).toBeNull();
    }
  });
  it("never puts the first focus on a button that spends money", () => {
    const field = { autofocus: true, spends: false };
    const cancel = { autofocus: false, spends: false };
    const buy = { autofocus: false, spends: true };
    expect(initialFocus([field, cancel, buy])).toBe(0);
    expect(initialFocus([buy, cancel])).toBe(1);
    expect(initialFocus([{ autofocus: true, spends: true }, cancel])).toBe(1);
    expect(initialFocus([buy])).toBe(-1);
    expect(initialFocus([])).toBe(-1);
  });
  it("keeps Tab inside the sheet in both directions", () => {
    expect(sheetKey("Tab", false, "BUTTON")).toBe("focus-next");
    expect(sheetKey("Tab", true, "BUTTON")).toBe("focus-previous");
    expect(nextFocus(2, 3, false)).toBe(0);
    expect(nextFocus(0, 3, true)).toBe(2);
    expect(nextFocus(-1, 3, false)).toBe(0);
    expect(nextFocus(-1, 3, true)).toBe(2);
    expect(nextFocus(0, 0, false)).toBe(-1);
  });
});

describe("pack count", () => {
  it("takes whole numbers from 1 to the maximum", () => {
    expect(parsePacks(" 3 ", 100)).toBe(3);
    expect(parsePacks("100", 100)).toBe(100);
    for (const bad of ["0", "101", "2.5", "-1", "", "1e2", "abc"]) expect(parsePacks(bad, 100)).toBeNull();
  });
  it("steps − and + from what is typed, never from an older quote's count", () => {
    // The last quote was for 10 packs; the text typed since decides the step.
    const step = (text: string, s: 1 | -1) => steppedPacks(text, 100, 10, s);
    expect([step("3", -1), step("3", 1)]).toEqual([2, 4]);
    expect([step("101", -1), step("101", 1)]).toEqual([100, null]);
    expect([step("500", -1), step("2.5", -1), step("2.5", 1)]).toEqual([100, 2, 3]);
    expect([step("1", -1), step("100", 1), step("0", 1), step("0", -1)]).toEqual([null, null, 1, null]);
    // Two quick clicks on + before the first quote comes back: the second steps from the first.
    expect(step(String(step("10", 1)), 1)).toBe(12);
    // No number typed: from the last quote.
    expect([step("abc", -1), step("", 1)]).toEqual([9, 11]);
  });
  it("shows no figures of another pack count while the typed count is invalid or being quoted", () => {
    // The quote for 10 packs is what "10" left behind; "101" and "2.5" must not show it.
    const ten = { packs: 10, total_price: "$250.00" };
    for (const typed of ["101", "2.5", "", "abc"]) {
      const shown = quoteForPacks(parsePacks(typed, 100), ten);
      expect(shown).toBeNull();
      expect(buyLabel(shown?.total_price ?? null)).toBe("Buy");
    }
    // A valid count whose quote has not come back yet shows nothing either.
    expect(quoteForPacks(parsePacks("2", 100), ten)).toBeNull();
    // Once the count and its quote agree, the amounts come back.
    const shown = quoteForPacks(parsePacks("10", 100), ten);
    expect(shown).toBe(ten);
    expect(buyLabel(shown?.total_price ?? null)).toBe("Buy for $250.00");
  });
});

describe("failures", () => {
  const failure = (kind: ActionFailure["kind"], charged: ActionFailure["charged"]): ActionFailure => ({ code: "x", kind, charged, message: "m" });
  it("offers a retry only where one can help", () => {
    expect(canRetry(failure("offline", "unknown"))).toBe(true);
    expect(canRetry(failure("server_error", "unknown"))).toBe(true);
    expect(canRetry(failure("declined", "no"))).toBe(false);
  });
  it("names each banner level", () => {
    expect(bannerTitle("capped")).toMatch(/capped/);
    expect(bannerTitle("over")).toMatch(/overage/);
    expect(bannerTitle("warning")).toMatch(/almost/);
  });
});
