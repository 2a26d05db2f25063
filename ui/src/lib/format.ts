import type { SyncView } from "../bindings/desktop/SyncView";
import type { BillView } from "../bindings/desktop/BillView";

/** `10:42` in the person's time zone (or `timeZone`, for tests). */
export function clockTime(iso: string, timeZone?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "never";
  return new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone }).format(date);
}

/** `Dec 6, 2026, 14:03` in the person's time zone (or `timeZone`, for tests). */
export function dateTime(iso: string, timeZone?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat("en-US", {
    month: "short",
    day: "numeric",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZone,
  }).format(date);
}

/** The sync indicator's words: "Synced 10:42" or "Offline, last synced 10:42". */
export function syncLabel(sync: SyncView, syncing: boolean, timeZone?: string): string {
  const at = clockTime(sync.synced_at, timeZone);
  if (syncing) return `Syncing… (last synced ${at})`;
  if (sync.token_rejected) return `Token rejected, last synced ${at}`;
  if (sync.offline) return `Offline, last synced ${at}`;
  if (sync.error_code) return `Sync failed, last synced ${at}`;
  return `Synced ${at}`;
}

/** Width of a usage bar: the percent clamped to 0-100 (usage past a quota fills the bar). */
export function barWidth(percent: number | null): number {
  if (percent === null || !Number.isFinite(percent)) return 0;
  return Math.max(0, Math.min(100, percent));
}

/** "3 days left", "1 day left", "last day". */
export function daysLeft(days: number): string {
  if (days <= 0) return "last day";
  return days === 1 ? "1 day left" : `${days} days left`;
}

/** A UTC `YYYY-MM-DD` as `Nov 1`. */
export function shortDate(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return day;
  return new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: "UTC" }).format(date);
}

/** A bill's lines on one line, for a tooltip: "Base fee $19.00 · Requests $1.20". */
export function billLines(bill: BillView): string {
  return bill.lines.map((line) => `${line.label} ${line.amount}`).join(" · ");
}

/** The invoice list's freshness: "Fetched 10:42" or "Offline, last fetched 10:42". */
export function fetchedLabel(list: { fetched_at: string; offline: boolean }, timeZone?: string): string {
  const at = clockTime(list.fetched_at, timeZone);
  return list.offline ? `Offline, last fetched ${at}` : `Fetched ${at}`;
}

/** A chart span `[from, to)` of UTC instants as its first and last day: "Nov 1 – Nov 30". */
export function spanLabel(from: string, to: string): string {
  const last = new Date(Date.parse(to) - 1000);
  if (Number.isNaN(last.getTime())) return `${from} – ${to}`;
  return `${shortDate(from.slice(0, 10))} – ${shortDate(last.toISOString().slice(0, 10))}`;
}
