import { describe, expect, it } from "vitest";
import type { ActionFailure } from "../bindings/account/ActionFailure";
import { bannerTitle, canRetry, chargedText, failureTitle, nextFocus, parsePacks, sheetKey } from "./sheets";

describe("sheet keys", () => {
  it("closes on Escape and confirms on Enter in a field", () => {
    expect(sheetKey("Escape", false, "INPUT")).toBe("close");
    expect(sheetKey("Enter", false, "INPUT")).toBe("confirm");
    expect(sheetKey("Enter", false, "DIV")).toBe("confirm");
  });
  it("leaves Enter on a button to the button, so a confirmation is never sent twice", () => {
    expect(sheetKey("Enter", false, "BUTTON")).toBeNull();
    expect(sheetKey("Enter", false, "a")).toBeNull();
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
});

describe("failures", () => {
  const failure = (kind: ActionFailure["kind"], charged: ActionFailure["charged"]): ActionFailure => ({ code: "x", kind, charged, message: "m" });
  it("says plainly whether anything was charged", () => {
    expect(chargedText(failure("declined", "no"))).toBe("Nothing was charged.");
    expect(chargedText(failure("offline", "unknown"))).toMatch(/never charges or upgrades twice/);
  });
  it("offers a retry only where one can help", () => {
    expect(canRetry(failure("offline", "unknown"))).toBe(true);
    expect(canRetry(failure("server_error", "unknown"))).toBe(true);
    expect(canRetry(failure("declined", "no"))).toBe(false);
    expect(failureTitle(failure("declined", "no"))).toBe("Declined");
    expect(failureTitle(failure("offline", "unknown"))).toBe("Could not reach the server");
  });
  it("names each banner level", () => {
    expect(bannerTitle("capped")).toMatch(/capped/);
    expect(bannerTitle("over")).toMatch(/overage/);
    expect(bannerTitle("warning")).toMatch(/almost/);
  });
});
