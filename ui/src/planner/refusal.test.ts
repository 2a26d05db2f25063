// A refused keystroke's reason shows once typing pauses, at once when the edit ends on it,
// and never when the next keystroke reads ("150," on the way to "150,000").
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PendingRefusal, REFUSAL_AFTER_MS } from "./refusal";

type R = { index: number; message: string };

function watch() {
  const seen: (R | null)[] = [];
  const refusals = new PendingRefusal<R>((r) => seen.push(r));
  return { seen, refusals };
}

describe("PendingRefusal", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("shows nothing for text that reads again before the pause", () => {
    const { seen, refusals } = watch();
    refusals.refused({ index: 0, message: "'150,' ..." });
    vi.advanceTimersByTime(REFUSAL_AFTER_MS - 1);
    refusals.clear(); // "150,000" reads
    vi.advanceTimersByTime(REFUSAL_AFTER_MS * 2);
    expect(seen).toEqual([]);
    expect(refusals.shown).toBeNull();
  });

  it("shows the latest refusal once typing pauses", () => {
    const { seen, refusals } = watch();
    refusals.refused({ index: 0, message: "'1e'" });
    vi.advanceTimersByTime(REFUSAL_AFTER_MS / 2);
    refusals.refused({ index: 0, message: "'1ex'" });
    vi.advanceTimersByTime(REFUSAL_AFTER_MS - 1);
    expect(seen).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(seen).toEqual([{ index: 0, message: "'1ex'" }]);
  });

  it("shows at once when the edit ends on refused text, and follows the text once shown", () => {
    const { seen, refusals } = watch();
    refusals.refused({ index: 2, message: "a" });
    expect(refusals.latest).toEqual({ index: 2, message: "a" });
    refusals.now();
    expect(seen).toEqual([{ index: 2, message: "a" }]);
    refusals.refused({ index: 2, message: "b" });
    expect(seen.at(-1)).toEqual({ index: 2, message: "b" });
    refusals.clear();
    expect(seen.at(-1)).toBeNull();
  });

  it("waits again for another row's refusal", () => {
    const { seen, refusals } = watch();
    refusals.refused({ index: 1, message: "a" });
    refusals.now();
    refusals.refused({ index: 3, message: "b" });
    expect(seen).toEqual([{ index: 1, message: "a" }]);
    vi.advanceTimersByTime(REFUSAL_AFTER_MS);
    expect(seen.at(-1)).toEqual({ index: 3, message: "b" });
  });
});
