// Region shares as linked inputs: changing one share moves the others so the split always
// adds up to exactly 100%. Shares are kept as whole basis points (1/10,000), so the sum is
// exact integer arithmetic and the decimal sent to the planner has at most 4 places.

export const WHOLE = 10_000;

export interface Share {
  region: string;
  /** Basis points, 0 to 10,000. */
  bp: number;
}

/** A share written by the planner ("0.6") as basis points, rounded to the nearest one. */
export function shareToBp(share: string): number {
  const v = Number(share);
  if (!Number.isFinite(v)) return 0;
  return Math.max(0, Math.min(WHOLE, Math.round(v * WHOLE)));
}

/** Basis points as the exact decimal the planner reads: 6000 -> "0.6", 10000 -> "1". */
export function bpToShare(bp: number): string {
  if (bp >= WHOLE) return "1";
  if (bp <= 0) return "0";
  return `0.${String(bp).padStart(4, "0")}`.replace(/0+$/, "");
}

/** Basis points as a percentage for an input: 6000 -> "60", 3333 -> "33.33". */
export function bpToPercent(bp: number): string {
  return String(bp / 100);
}

/**
 * Sets share `index` to `bp` and moves the others in proportion to what they held, so the
 * total stays at exactly 10,000. Leftover units go to the largest remainders (ties to the
 * earlier region). When the others held nothing, the rest is split evenly between them. A
 * single region always holds everything.
 */
export function rebalance(shares: Share[], index: number, bp: number): Share[] {
  if (shares.length === 0) return [];
  if (shares.length === 1) return [{ ...shares[0], bp: WHOLE }];
  const value = Math.max(0, Math.min(WHOLE, Math.round(bp)));
  const rest = WHOLE - value;
  const others = shares.map((_, i) => i).filter((i) => i !== index);
  const held = others.reduce((sum, i) => sum + shares[i].bp, 0);
  const next = shares.map((s) => ({ ...s }));
  next[index].bp = value;
  const exact = others.map((i) => (held === 0 ? rest / others.length : (rest * shares[i].bp) / held));
  const floors = exact.map(Math.floor);
  let left = rest - floors.reduce((a, b) => a + b, 0);
  const order = exact.map((e, k) => ({ k, r: e - floors[k] })).sort((a, b) => b.r - a.r || a.k - b.k);
  for (const { k } of order) {
    if (left <= 0) break;
    floors[k] += 1;
    left -= 1;
  }
  others.forEach((i, k) => (next[i].bp = floors[k]));
  return next;
}

/** Adds a region holding nothing yet. */
export function addRegion(shares: Share[], region: string): Share[] {
  if (shares.some((s) => s.region === region)) return shares;
  return [...shares, { region, bp: shares.length === 0 ? WHOLE : 0 }];
}

/** Removes a region; its share goes to the others in proportion. */
export function removeRegion(shares: Share[], index: number): Share[] {
  if (shares.length <= 1) return shares;
  const zeroed = rebalance(shares, index, 0);
  return zeroed.filter((_, i) => i !== index);
}

/**
 * The split to send when a share input commits, or null when there is nothing to send: the
 * split is incomplete, is the plan's already, or was just sent (Enter commits, and the input's
 * change event then commits the same split again before the answer arrives).
 */
export function splitToSend(local: Share[], current: { region: string; share: string }[], lastSent: string | null): { region: string; share: string }[] | null {
  if (total(local) !== WHOLE) return null;
  const next = local.map((s) => ({ region: s.region, share: bpToShare(s.bp) }));
  const key = JSON.stringify(next);
  if (key === JSON.stringify(current) || key === lastSent) return null;
  return next;
}

export function total(shares: Share[]): number {
  return shares.reduce((sum, s) => sum + s.bp, 0);
}
