// How the start screen words the offer of a plan a previous run left unsaved.
import type { RecoveryOffer } from "../bindings/desktop/RecoveryOffer";

/** "10:42" in local time; with the date when it was not today. */
export function editedAt(iso: string, now: Date = new Date()): string {
  const at = new Date(iso);
  const two = (n: number) => String(n).padStart(2, "0");
  const time = `${two(at.getHours())}:${two(at.getMinutes())}`;
  const sameDay = at.getFullYear() === now.getFullYear() && at.getMonth() === now.getMonth() && at.getDate() === now.getDate();
  return sameDay ? time : `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ${time}`;
}

/** "Recover unsaved plan (edited 10:42, from api.yaml)", or "… untitled)". */
export function recoveryLabel(offer: RecoveryOffer, now: Date = new Date()): string {
  const from = offer.file_name ? `from ${offer.file_name}` : "untitled";
  return `Recover unsaved plan (edited ${editedAt(offer.edited_at, now)}, ${from})`;
}
