import { describe, expect, it } from "vitest";
import { CellTyping, EditQueue } from "./edits";
import type { PlanEdit } from "../bindings/desktop/PlanEdit";
import type { RouteFields } from "../bindings/desktop/RouteFields";

const route = (requests: string): RouteFields => ({
  path: "/a",
  requests_per_month: requests,
  requests_per_second: null,
  compute_ms: "1",
  response_bytes: "1",
  middleware: [],
  regions: null,
});
const set = (index: number, requests: string): PlanEdit => ({ kind: "set_route", index, route: route(requests) });

describe("EditQueue", () => {
  it("sends edits one at a time, in order", async () => {
    const sent: string[] = [];
    let running = 0;
    const q = new EditQueue(async (e: PlanEdit) => {
      running++;
      expect(running).toBe(1);
      await new Promise((r) => setTimeout(r, 1));
      sent.push(e.kind === "set_route" ? e.route.requests_per_month! : e.kind);
      running--;
      return sent.length;
    });
    const answers = await Promise.all([q.submit(set(0, "1")), q.submit({ kind: "remove_route", index: 3 }), q.submit(set(0, "2"))]);
    expect(sent).toEqual(["1", "remove_route", "2"]);
    expect(answers).toEqual([1, 2, 3]);
  });

  it("makes an edit given as a function from the plan as its waiter showed the edits before it", async () => {
    // The "rows on screen": what each answer's waiter shows once it has its answer.
    let chain: string[] = [];
    const q = new EditQueue(async (e: PlanEdit) => {
      await new Promise((r) => setTimeout(r, 1));
      return e.kind === "set_route" ? e.route.middleware : [];
    });
    const add = (name: string) => async () => {
      const answer = await q.submit(() => ({ kind: "set_route", index: 0, route: { ...route("1"), middleware: [...chain, name] } }));
      chain = answer!;
    };
    // Three quick adds, each asked for before any answer: every one counts.
    await Promise.all([add("auth")(), add("cache")(), add("compress")()]);
    expect(chain).toEqual(["auth", "cache", "compress"]);
  });

  it("coalesces waiting previews of the same cell, never other edits", async () => {
    const sent: string[] = [];
    const q = new EditQueue(async (e: PlanEdit) => {
      await new Promise((r) => setTimeout(r, 1));
      sent.push(e.kind === "set_route" ? `${e.index}:${e.route.requests_per_month}` : e.kind);
      return e;
    });
    const first = q.submit(set(0, "1"), true); // in flight at once
    const dropped = q.submit(set(0, "12"), true); // waiting...
    const last = q.submit(set(0, "123"), true); // ...and replaced by the newer preview
    const other = q.submit(set(1, "5"), true); // another cell: never dropped
    expect(await dropped).toBeNull();
    await Promise.all([first, last, other]);
    expect(sent).toEqual(["0:1", "0:123", "1:5"]);
  });

  it("passes a refusal to its caller and carries on", async () => {
    const q = new EditQueue(async (e: PlanEdit) => {
      if (e.kind === "remove_route") throw { code: "not_found", message: "no route" };
      return "ok";
    });
    await expect(q.submit({ kind: "remove_route", index: 9 })).rejects.toEqual({ code: "not_found", message: "no route" });
    expect(await q.submit(set(0, "1"))).toBe("ok");
    await q.settled();
  });
});

describe("CellTyping", () => {
  // A stand-in for the Rust side: a plan of one route whose traffic reads as digits only.
  function plan(start: string) {
    let requests = start;
    const sent: string[] = [];
    const queue = new EditQueue(async (e: PlanEdit) => {
      await new Promise((r) => setTimeout(r, 1));
      if (e.kind !== "set_route") throw new Error("not in this test");
      const typed = e.route.requests_per_month!;
      sent.push(typed);
      if (!/^\d+$/.test(typed)) throw { code: "invalid_quantity", message: `'${typed}' is not a quantity` };
      const inverse: PlanEdit = set(e.index, requests);
      requests = typed;
      return { inverse };
    });
    const shown: string[] = [];
    const typing = new CellTyping(queue, () => shown.push(requests));
    return { typing, sent, shown, requests: () => requests };
  }

  it("keeps the first cell's step when typing moves to another cell before it ended", async () => {
    // Two routes, each with its own traffic.
    const requests = new Map<number, string>([
      [0, "100"],
      [1, "200"],
    ]);
    const queue = new EditQueue(async (e: PlanEdit) => {
      await new Promise((r) => setTimeout(r, 1));
      if (e.kind !== "set_route") throw new Error("not in this test");
      const inverse = set(e.index, requests.get(e.index)!);
      requests.set(e.index, e.route.requests_per_month!);
      return { inverse };
    });
    const recorded: PlanEdit[] = [];
    const typing = new CellTyping(queue, () => {}, (inverse) => recorded.push(inverse));
    // Row 0 is typed in, then row 1 at once, before row 0's edit ended.
    const first = typing.preview(0, set(0, "150"));
    const second = typing.preview(1, set(1, "250"));
    await Promise.all([first, second]);
    expect(recorded).toEqual([set(0, "100")]);
    // Row 0's late end takes nothing more; row 1's end is its own step.
    expect(await typing.end(0)).toBeNull();
    expect(await typing.end(1)).toEqual(set(1, "200"));
    expect([requests.get(0), requests.get(1)]).toEqual(["150", "250"]);
  });

  it("never leaves a prefix of refused text in the plan", async () => {
    const p = plan("300000");
    for (const text of ["5", "51", "51,", "51,5"]) {
      await p.typing.preview(0, set(0, text));
    }
    expect(p.requests()).toBe("300000");
    expect(p.typing.refused(0)).toEqual({ code: "invalid_quantity", message: "'51,5' is not a quantity" });
    // Enter on the refused text commits nothing and leaves the cell being edited.
    expect(await p.typing.end(0)).toBe(false);
    expect(p.typing.typing).toBe(true);
    expect(p.requests()).toBe("300000");
  });

  it("takes the text again once it reads, and undoes to the value before editing", async () => {
    const p = plan("300000");
    for (const text of ["5", "51", "51,", "515"]) {
      await p.typing.preview(0, set(0, text));
    }
    expect(p.requests()).toBe("515");
    expect(p.typing.refused(0)).toBeUndefined();
    expect(await p.typing.end(0)).toEqual(set(0, "300000"));
    expect(p.typing.typing).toBe(false);
  });

  it("restores only when no newer keystroke follows the refused one", async () => {
    const p = plan("300000");
    await p.typing.preview(0, set(0, "1"));
    // Typed quickly: the refusal of "1e" arrives after "12" was already sent.
    const refused = p.typing.preview(0, set(0, "1e"));
    const later = p.typing.preview(0, set(0, "12"));
    expect(await refused).toBe("refused");
    expect(await later).toBe("shown");
    await p.typing.end(0);
    expect(p.requests()).toBe("12");
    expect(p.sent).toEqual(["1", "1e", "12"]);
  });

  it("cancelling forgets the refusal and answers how to go back", async () => {
    const p = plan("300000");
    await p.typing.preview(0, set(0, "7"));
    await p.typing.preview(0, set(0, "7x"));
    expect(p.typing.take()).toEqual(set(0, "300000"));
    expect(p.typing.refused(0)).toBeUndefined();
  });

  it("refuses pasted text that never read, with the plan untouched", async () => {
    const p = plan("300000");
    expect(await p.typing.preview(0, set(0, "12,34"))).toBe("refused");
    expect(await p.typing.end(0)).toBe(false);
    expect(p.requests()).toBe("300000");
    expect(p.typing.take()).toBeNull();
  });
});
