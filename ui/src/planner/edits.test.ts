import { describe, expect, it } from "vitest";
import { EditQueue } from "./edits";
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
