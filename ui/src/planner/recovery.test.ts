import { describe, expect, it } from "vitest";
import { editedAt, recoveryLabel } from "./recovery";

describe("the recovery offer", () => {
  const edited = new Date(2026, 11, 5, 9, 7); // local time
  const iso = edited.toISOString();

  it("names the time of the last edit and the plan's file", () => {
    const later = new Date(2026, 11, 5, 18, 0);
    expect(recoveryLabel({ edited_at: iso, file: "/plans/api.yaml", file_name: "api.yaml" }, later)).toBe(
      "Recover unsaved plan (edited 09:07, from api.yaml)",
    );
    expect(recoveryLabel({ edited_at: iso, file: null, file_name: null }, later)).toBe("Recover unsaved plan (edited 09:07, untitled)");
  });

  it("adds the date when the edit was not today", () => {
    expect(editedAt(iso, new Date(2026, 11, 7, 8, 0))).toBe("2026-12-05 09:07");
  });
});
