import { describe, expect, it } from "vitest";
import { beforeLeavingRecovery, editedAt, recoveryLabel, recoveryQuestionTitle, type RecoveryChoice } from "./recovery";

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

describe("another door while a recovery is offered", () => {
  const offer = { edited_at: new Date(2026, 11, 5, 9, 7).toISOString(), file: "/plans/api.yaml", file_name: "api.yaml" };

  function doors(choice: RecoveryChoice) {
    const done: string[] = [];
    const go = beforeLeavingRecovery(
      offer,
      async (asked) => {
        done.push(`asked about ${asked.file_name}`);
        return choice;
      },
      async () => void done.push("recovered"),
      async () => void done.push("discarded"),
    );
    return { go, done };
  }

  it("asks first, and Cancel keeps the offer and goes nowhere", async () => {
    const { go, done } = doors("cancel");
    expect(await go).toBe(false);
    expect(done).toEqual(["asked about api.yaml"]);
  });

  it("Recover opens the recovered plan instead of the door", async () => {
    const { go, done } = doors("recover");
    expect(await go).toBe(false);
    expect(done).toEqual(["asked about api.yaml", "recovered"]);
  });

  it("Discard drops the copy, then goes through the door", async () => {
    const { go, done } = doors("discard");
    expect(await go).toBe(true);
    expect(done).toEqual(["asked about api.yaml", "discarded"]);
  });

  it("asks nothing when no recovery is offered", async () => {
    const ask = async (): Promise<RecoveryChoice> => {
      throw new Error("asked");
    };
    expect(await beforeLeavingRecovery(null, ask, async () => {}, async () => {})).toBe(true);
  });

  it("names the plan in the question", () => {
    expect(recoveryQuestionTitle(offer)).toBe("Recover unsaved edits to api.yaml?");
    expect(recoveryQuestionTitle({ ...offer, file: null, file_name: null })).toBe("Recover unsaved edits to the untitled plan?");
  });
});
