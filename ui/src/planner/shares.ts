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

/** A typed percentage read: its basis points, or why it was refused (`error` set, `bp` null). */
export interface PercentReading {
  bp: number | null;
  /** The refusal in the words of the app's one number reader; null for a number or an empty field. */
  error: string | null;
}

const SEPARATORS = [",", "_", " "];
const SEPARATOR_NAME: Record<string, [string, string]> = {
  ",": ["a comma", "350,000"],
  "_": ["an underscore", "350_000"],
  " ": ["a space", "350 000"],
};

/**
 * Reads a typed percentage ("62.5", "62.5 %", "60") by the rule every number field follows
 * (docs/billing-rules.md, "Numbers as you type them"): decimals take a point, and a comma, an
 * underscore or a space only groups thousands, so "51,5" is refused, never read as 51.5 or 515.
 * The wording of each refusal is the pricing core's (`edgecost_pricing::parse_quantity`). An
 * empty field is no number yet and no error. The result is clamped to 0-100%.
 */
export function readPercent(text: string): PercentReading {
  const number = text.trim().replace(/\s*%$/, "").trim();
  if (number === "") return { bp: null, error: null };
  const refused = (error: string): PercentReading => ({ bp: null, error });
  const plain = ungroup(number);
  if (typeof plain !== "string") return refused(plain.error);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(plain)) return refused(`'${number}' is not a percentage (examples: 60, 62.5)`);
  const v = Number(plain);
  if (!Number.isFinite(v)) return refused(`'${number}' is not a percentage (examples: 60, 62.5)`);
  return { bp: Math.max(0, Math.min(WHOLE, Math.round(v * 100))), error: null };
}

/** A typed percentage as basis points; null when it is empty or refused (see {@link readPercent}). */
export function percentToBp(text: string): number | null {
  return readPercent(text).bp;
}

/** `number` with its thousands separators taken out, or the refusal of how they break the rule. */
function ungroup(number: string): string | { error: string } {
  if (!SEPARATORS.some((c) => number.includes(c))) return number;
  const unsigned = number.replace(/^[+-]+/, "");
  const sign = number.slice(0, number.length - unsigned.length);
  const point = unsigned.indexOf(".");
  const integer = point < 0 ? unsigned : unsigned.slice(0, point);
  const fraction = point < 0 ? null : unsigned.slice(point + 1);
  const digits = (s: string) => /^\d+$/.test(s);
  // A word among the digits makes this no number: the caller's "not a percentage".
  const words = (s: string) => s.split(/[,_ ]/).some((part) => part !== "" && !digits(part));
  if (words(integer) || (fraction !== null && words(fraction))) return number;
  const inFraction = fraction === null ? undefined : [...fraction].find((c) => SEPARATORS.includes(c));
  if (inFraction !== undefined) {
    const [name, example] = SEPARATOR_NAME[inFraction];
    return { error: `'${number}': ${name} only groups the thousands before the decimal point (${example}.5); write the digits after the point without it` };
  }
  const kinds = SEPARATORS.filter((c) => integer.includes(c));
  if (kinds.length > 1) {
    return { error: `'${number}': a number groups its thousands with one kind of separator (350,000 or 350_000 or 350 000), not several` };
  }
  const separator = kinds[0];
  const groups = integer.split(separator);
  const first = groups[0];
  const wellGrouped = first.length >= 1 && first.length <= 3 && !first.startsWith("0") && digits(first) && groups.slice(1).every((g) => g.length === 3 && digits(g));
  if (wellGrouped) return `${sign}${groups.join("")}${fraction === null ? "" : `.${fraction}`}`;
  // One comma in a number without a point, not before exactly three digits or after a leading
  // zero, can only have been meant as a decimal point.
  const decimalComma = separator === "," && groups.length === 2 && fraction === null && (groups[1].length !== 3 || first.startsWith("0"));
  if (decimalComma && digits(first) && digits(groups[1])) {
    return { error: `'${number}': a comma only groups thousands (350,000); write decimals with a point: ${sign}${first}.${groups[1]}` };
  }
  const [name, example] = SEPARATOR_NAME[separator];
  return { error: `'${number}': ${name} only groups thousands, 1 to 3 digits then groups of exactly 3 (${example}); write the number without it or grouped so` };
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
