import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SUCCESS_SHOWN_MS, Transient } from "./transient.svelte";

describe("success messages", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("go away on their own after a while", () => {
    const t = new Transient();
    t.show("Saved to /tmp/a.yaml");
    expect(t.text).toBe("Saved to /tmp/a.yaml");
    vi.advanceTimersByTime(SUCCESS_SHOWN_MS - 1);
    expect(t.text).toBe("Saved to /tmp/a.yaml");
    vi.advanceTimersByTime(1);
    expect(t.text).toBeNull();
  });

  it("go away when the next action starts, and a newer one gets its full time", () => {
    const t = new Transient();
    t.show("first");
    t.clear();
    expect(t.text).toBeNull();
    t.show("second");
    vi.advanceTimersByTime(SUCCESS_SHOWN_MS - 10);
    t.show("third");
    vi.advanceTimersByTime(SUCCESS_SHOWN_MS - 10);
    expect(t.text).toBe("third");
  });
});
