import { describe, expect, it } from "vitest";
import { answerUnsaved, askUnsaved, beforeDiscarding, unsavedQuestion, type UnsavedChoice } from "./unsaved.svelte";

function recorder(choice: UnsavedChoice, saved = true) {
  const calls: string[] = [];
  return {
    calls,
    ask: async (name: string) => {
      calls.push(`ask ${name}`);
      return choice;
    },
    save: async () => {
      calls.push("save");
      return saved;
    },
    discard: async () => {
      calls.push("discard");
    },
  };
}

describe("beforeDiscarding", () => {
  it("goes on without asking when nothing would be lost", async () => {
    const r = recorder("cancel");
    expect(await beforeDiscarding(null, r.ask, r.save, r.discard)).toBe(true);
    expect(await beforeDiscarding({ unsaved_edits: false, file_name: "a.yaml" }, r.ask, r.save, r.discard)).toBe(true);
    expect(r.calls).toEqual([]);
  });

  it("cancel stops and touches nothing", async () => {
    const r = recorder("cancel");
    expect(await beforeDiscarding({ unsaved_edits: true, file_name: "a.yaml" }, r.ask, r.save, r.discard)).toBe(false);
    expect(r.calls).toEqual(["ask a.yaml"]);
  });

  it("save goes on only once saved", async () => {
    const r = recorder("save");
    expect(await beforeDiscarding({ unsaved_edits: true, file_name: null }, r.ask, r.save, r.discard)).toBe(true);
    expect(r.calls).toEqual(["ask Untitled plan", "save"]);
    const refused = recorder("save", false);
    expect(await beforeDiscarding({ unsaved_edits: true, file_name: null }, refused.ask, refused.save, refused.discard)).toBe(false);
  });

  it("discard drops the edits and goes on", async () => {
    const r = recorder("discard");
    expect(await beforeDiscarding({ unsaved_edits: true, file_name: "a.yaml" }, r.ask, r.save, r.discard)).toBe(true);
    expect(r.calls).toEqual(["ask a.yaml", "discard"]);
  });
});

describe("the question on screen", () => {
  it("is answered once, and a second question cancels the first", async () => {
    const first = askUnsaved("a.yaml");
    expect(unsavedQuestion.current?.name).toBe("a.yaml");
    const second = askUnsaved("b.yaml");
    expect(await first).toBe("cancel");
    expect(unsavedQuestion.current?.name).toBe("b.yaml");
    answerUnsaved("discard");
    expect(await second).toBe("discard");
    expect(unsavedQuestion.current).toBeNull();
    answerUnsaved("save"); // nothing on screen: no effect
  });
});
