// Edits go to the Rust side one at a time, in order. While one is in flight, newer previews of
// the same cell replace each other, so a burst of keystrokes costs one round trip per answer,
// never a growing queue.
import type { PlanEdit } from "../bindings/desktop/PlanEdit";

/** Two edits are the same cell's previews when they replace the same route. */
export function sameTarget(a: PlanEdit, b: PlanEdit): boolean {
  return a.kind === "set_route" && b.kind === "set_route" && a.index === b.index;
}

interface Waiting<T> {
  edit: PlanEdit;
  resolve: (value: T | null) => void;
  reject: (e: unknown) => void;
}

export class EditQueue<T> {
  private busy = false;
  private waiting: Waiting<T>[] = [];

  constructor(private readonly send: (edit: PlanEdit) => Promise<T>) {}

  /**
   * Sends `edit` after those before it. When `coalesce` is set and a waiting edit targets the
   * same cell, that one is dropped (it answers null) and this one takes its place.
   */
  submit(edit: PlanEdit, coalesce = false): Promise<T | null> {
    return new Promise<T | null>((resolve, reject) => {
      if (coalesce) {
        const last = this.waiting.at(-1);
        if (last && sameTarget(last.edit, edit)) {
          this.waiting.pop();
          last.resolve(null);
        }
      }
      this.waiting.push({ edit, resolve, reject });
      void this.pump();
    });
  }

  /** Resolves once everything submitted so far has been answered. */
  async settled(): Promise<void> {
    while (this.busy || this.waiting.length > 0) {
      await new Promise((r) => setTimeout(r, 0));
    }
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (let next = this.waiting.shift(); next; next = this.waiting.shift()) {
        try {
          next.resolve(await this.send(next.edit));
        } catch (e) {
          next.reject(e);
        }
      }
    } finally {
      this.busy = false;
    }
  }
}
