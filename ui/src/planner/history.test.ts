import { describe, expect, it } from "vitest";
import { History, HISTORY_MAX } from "./history";
import type { PlanEdit } from "../bindings/desktop/PlanEdit";

// A toy plan: a tier name. Applying set_tier answers the inverse, as the Rust side does.
function plan(initial: string) {
  const state = { tier: initial };
  const apply = async (edit: PlanEdit): Promise<PlanEdit> => {
    if (edit.kind !== "set_tier") throw new Error("unexpected");
    const old = state.tier;
    state.tier = edit.tier;
    return { kind: "set_tier", tier: old };
  };
  return { state, apply };
}

describe("History", () => {
  it("walks back and forth through edits", async () => {
    const p = plan("sandbox");
    const h = new History();
    for (const tier of ["production", "scale"]) h.record(await p.apply({ kind: "set_tier", tier }));
    expect(p.state.tier).toBe("scale");
    await h.undo(p.apply);
    expect(p.state.tier).toBe("production");
    await h.undo(p.apply);
    expect(p.state.tier).toBe("sandbox");
    expect(h.canUndo).toBe(false);
    expect(await h.undo(p.apply)).toBe(false);
    await h.redo(p.apply);
    await h.redo(p.apply);
    expect(p.state.tier).toBe("scale");
    expect(h.canRedo).toBe(false);
  });

  it("drops the redo stack when a new edit is made", async () => {
    const p = plan("sandbox");
    const h = new History();
    h.record(await p.apply({ kind: "set_tier", tier: "production" }));
    await h.undo(p.apply);
    expect(h.canRedo).toBe(true);
    h.record(await p.apply({ kind: "set_tier", tier: "scale" }));
    expect(h.canRedo).toBe(false);
  });

  it("keeps a step whose undo failed", async () => {
    const h = new History();
    h.record({ kind: "set_tier", tier: "sandbox" });
    await expect(h.undo(async () => Promise.reject(new Error("refused")))).rejects.toThrow("refused");
    expect(h.canUndo).toBe(true);
    expect(h.canRedo).toBe(false);
  });

  it("records an edit that changed nothing as no step, so one edit is one undo", async () => {
    const p = plan("sandbox");
    const h = new History();
    h.record(await p.apply({ kind: "set_tier", tier: "production" }), true);
    // The same edit sent twice (Enter, then the input's change event): the second changes nothing.
    h.record(await p.apply({ kind: "set_tier", tier: "production" }), false);
    expect(await h.undo(p.apply)).toBe(true);
    expect(p.state.tier).toBe("sandbox");
    expect(h.canUndo).toBe(false);
    expect(await h.redo(p.apply)).toBe(true);
    expect(p.state.tier).toBe("production");
    expect(h.canRedo).toBe(false);
  });

  it("is bounded", () => {
    const h = new History();
    for (let i = 0; i < HISTORY_MAX + 10; i++) h.record({ kind: "remove_route", index: i });
    let n = 0;
    const apply = async (e: PlanEdit) => {
      n++;
      return e;
    };
    return (async () => {
      while (await h.undo(apply));
      expect(n).toBe(HISTORY_MAX);
    })();
  });
});
