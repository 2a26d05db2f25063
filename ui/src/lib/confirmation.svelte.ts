// The state of a confirmation sheet's one action: busy while it runs, its answer once done,
// the failure otherwise. A failure that a retry cannot mend blocks confirming again; one that
// can (offline, server error) lets the same sheet try again with the same intent key.
import type { ActionFailure } from "./backend";
import { canRetry } from "./sheets";

export class Confirmation<T> {
  busy = $state(false);
  failure = $state<ActionFailure | null>(null);
  done = $state<T | null>(null);

  /** Whether the last failure rules out trying again. */
  get blocked(): boolean {
    return this.failure !== null && !canRetry(this.failure);
  }

  /** Runs `action` unless it is running, done or blocked; keeps its answer or its failure. */
  async run(action: () => Promise<T>): Promise<void> {
    if (this.busy || this.done || this.blocked) return;
    this.busy = true;
    try {
      this.done = await action();
      this.failure = null;
    } catch (e) {
      this.failure = e as ActionFailure;
    } finally {
      this.busy = false;
    }
  }
}
