import { describe, expect, it } from "vitest";
import { addRegion, bpToPercent, bpToShare, rebalance, removeRegion, shareToBp, splitToSend, total, type Share } from "./shares";

const split = (...bps: number[]): Share[] => bps.map((bp, i) => ({ region: ["na", "eu", "apac", "sa"][i], bp }));

describe("linked region shares", () => {
  it("moves the others in proportion and keeps exactly 100%", () => {
    const next = rebalance(split(5000, 3000, 2000), 0, 6000);
    expect(next.map((s) => s.bp)).toEqual([6000, 2400, 1600]);
    expect(total(next)).toBe(10_000);
  });

  it("gives leftover units to the largest remainders", () => {
    const next = rebalance(split(0, 5000, 5000), 0, 1);
    expect(next.map((s) => s.bp)).toEqual([1, 5000, 4999]);
    const thirds = rebalance(split(10_000, 0, 0, 0), 0, 0);
    expect(thirds.map((s) => s.bp)).toEqual([0, 3334, 3333, 3333]);
  });

  it("clamps to 0-100% and keeps a lone region at 100%", () => {
    expect(rebalance(split(5000, 5000), 1, 12_000).map((s) => s.bp)).toEqual([0, 10_000]);
    expect(rebalance(split(5000, 5000), 1, -5).map((s) => s.bp)).toEqual([10_000, 0]);
    expect(rebalance(split(10_000), 0, 2500).map((s) => s.bp)).toEqual([10_000]);
  });

  it("keeps the sum through any sequence of edits", () => {
    let shares = split(2500, 2500, 2500, 2500);
    for (let i = 0; i < 200; i++) {
      shares = rebalance(shares, i % 4, (i * 7919) % 10_001);
      expect(total(shares)).toBe(10_000);
      expect(shares.every((s) => s.bp >= 0)).toBe(true);
    }
  });

  it("adds and removes regions without breaking the sum", () => {
    const added = addRegion(split(6000, 4000), "apac");
    expect(added.map((s) => s.bp)).toEqual([6000, 4000, 0]);
    expect(addRegion(added, "na")).toBe(added);
    const removed = removeRegion(split(5000, 3000, 2000), 0);
    expect(removed.map((s) => [s.region, s.bp])).toEqual([["eu", 6000], ["apac", 4000]]);
  });

  it("converts between the planner's decimals, basis points and shown percentages", () => {
    expect(bpToShare(6000)).toBe("0.6");
    expect(bpToShare(125)).toBe("0.0125");
    expect(bpToShare(10_000)).toBe("1");
    expect(bpToShare(0)).toBe("0");
    expect(shareToBp("0.6")).toBe(6000);
    expect(shareToBp("0.33333")).toBe(3333);
    expect(bpToPercent(3333)).toBe("33.33");
  });
});

describe("splitToSend", () => {
  const plan = [
    { region: "na", share: "0.6" },
    { region: "eu", share: "0.4" },
  ];

  it("sends a changed split once, however many times the input commits", () => {
    const local = split(7000, 3000);
    const first = splitToSend(local, plan, null);
    expect(first).toEqual([
      { region: "na", share: "0.7" },
      { region: "eu", share: "0.3" },
    ]);
    // Enter committed it; the change event on leaving the input commits the same split again.
    expect(splitToSend(local, plan, JSON.stringify(first))).toBeNull();
  });

  it("sends nothing for the plan's own split or an incomplete one", () => {
    expect(splitToSend(split(6000, 4000), plan, null)).toBeNull();
    expect(splitToSend(split(6000, 3000), plan, null)).toBeNull();
  });
});
