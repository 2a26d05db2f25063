import { describe, expect, it } from "vitest";
import type { ActionFailure } from "./backend";
import { Confirmation } from "./confirmation.svelte";

function failure(kind: ActionFailure["kind"]): ActionFailure {
  return { kind, code: kind, message: "no", charged: "unknown" };
}

describe("Confirmation", () => {
  it("keeps the answer and runs the action once it is done", async () => {
    const c = new Confirmation<number>();
    let calls = 0;
    await c.run(async () => ++calls);
    await c.run(async () => ++calls);
    expect([c.done, calls, c.busy, c.failure]).toEqual([1, 1, false, null]);
  });

  it("lets a retryable failure try again and clears it on success", async () => {
    const c = new Confirmation<string>();
    await c.run(() => Promise.reject(failure("offline")));
    expect(c.failure?.kind).toBe("offline");
    expect(c.blocked).toBe(false);
    await c.run(async () => "ok");
    expect([c.done, c.failure]).toEqual(["ok", null]);
  });

  it("refuses to run again after a failure a retry cannot mend", async () => {
    const c = new Confirmation<string>();
    await c.run(() => Promise.reject(failure("declined")));
    expect(c.blocked).toBe(true);
    let ran = false;
    await c.run(async () => ((ran = true), "ok"));
    expect([ran, c.done]).toEqual([false, null]);
  });

  it("ignores a second confirmation while the first runs", async () => {
    const c = new Confirmation<number>();
    let calls = 0;
    const first = c.run(async () => ++calls);
    expect(c.busy).toBe(true);
    await c.run(async () => ++calls);
    await first;
    expect([calls, c.done]).toEqual([1, 1]);
  });
});
