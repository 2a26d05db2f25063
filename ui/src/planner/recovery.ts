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

/** "Recover unsaved edits to api.yaml?", or "… to the untitled plan?". */
export function recoveryQuestionTitle(offer: RecoveryOffer): string {
  return `Recover unsaved edits to ${offer.file_name ?? "the untitled plan"}?`;
}

/** The answer to the question asked before another door is taken while a recovery is offered. */
export type RecoveryChoice = "recover" | "discard" | "cancel";

/**
 * Whether to go through another door (a recent plan, New, Open…, a plan from the account or a
 * usage file) while unsaved edits from a previous run are offered for recovery: taking it
 * drops them, so the person is asked first. Recover opens the recovered plan instead and
 * stops; Discard runs `discard` and goes on; Cancel stops and keeps the offer.
 */
export async function beforeLeavingRecovery(
  offer: RecoveryOffer | null,
  ask: (offer: RecoveryOffer) => Promise<RecoveryChoice>,
  recover: () => Promise<void>,
  discard: () => Promise<void>,
): Promise<boolean> {
  if (!offer) return true;
  const choice = await ask(offer);
  if (choice === "cancel") return false;
  if (choice === "recover") {
    await recover();
    return false;
  }
  await discard();
  return true;
}
