// Edits go to the Rust side one at a time, in order. While one is in flight, newer previews of
// the same cell replace each other, so a burst of keystrokes costs one round trip per answer,
// never a growing queue.
import type { PlanEdit } from "../bindings/desktop/PlanEdit";

/**
 * An edit, or how to make it from the plan as it stands once the edits before it are answered
 * and shown: an edit built from what is on screen when it is asked for (adding a middleware to
 * a route's chain) would otherwise undo an edit still in flight that the screen does not show
 * yet (two quick adds would keep only the second).
 */
export type QueuedEdit = PlanEdit | (() => PlanEdit);

/** Two edits are the same cell's previews when they replace the same route. */
export function sameTarget(a: QueuedEdit, b: QueuedEdit): boolean {
  return typeof a !== "function" && typeof b !== "function" && a.kind === "set_route" && b.kind === "set_route" && a.index === b.index;
}

interface Waiting<T> {
  edit: QueuedEdit;
  resolve: (value: T | null) => void;
  reject: (e: unknown) => void;
}

export class EditQueue<T> {
  private busy = false;
  private waiting: Waiting<T>[] = [];
  private count = 0;

  /** How many edits were ever submitted: tells a caller whether a newer edit followed its own. */
  get submitted(): number {
    return this.count;
  }

  constructor(private readonly send: (edit: PlanEdit) => Promise<T>) {}

  /**
   * Sends `edit` after those before it. When `coalesce` is set and a waiting edit targets the
   * same cell, that one is dropped (it answers null) and this one takes its place.
   */
  submit(edit: QueuedEdit, coalesce = false): Promise<T | null> {
    this.count++;
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
          const edit = typeof next.edit === "function" ? next.edit() : next.edit;
          next.resolve(await this.send(edit));
        } catch (e) {
          next.reject(e);
        }
        // Whoever waited for that answer shows it before the next edit is made from the plan
        // on screen.
        if (this.waiting.length > 0) await new Promise((r) => setTimeout(r, 0));
      }
    } finally {
      this.busy = false;
    }
  }
}

/** An answer to an applied edit: the edit that undoes it. */
export interface Undoable {
  inverse: PlanEdit;
}

/**
 * Typing in one cell: every keystroke previews the route with the cell's text, and only text
 * that reads changes the plan. Text that does not read changes nothing: the plan goes back to
 * the cell's value before editing (never to a prefix of the text, which nobody typed as a
 * value), and ending the edit on it is refused until the text reads or the edit is cancelled.
 */
export class CellTyping<T extends Undoable> {
  /** The edit that puts the cell being typed in back to its value before editing. */
  private before: { index: number; inverse: PlanEdit } | null = null;
  /** The row whose latest text was refused, with the refusal. */
  private refusal: { index: number; error: unknown } | null = null;

  /**
   * `record` takes the undo step of a cell whose typing another cell's took over before it
   * ended (typing into a second cell before the first one's previews were answered): that
   * cell's edit stays a step of its own rather than being lost.
   */
  constructor(
    private readonly queue: EditQueue<T>,
    private readonly show: (answer: T) => void,
    private readonly record: (inverse: PlanEdit) => void = () => {},
  ) {}

  /** The refusal of the latest text typed in row `index`, if it was refused. */
  refused(index: number): unknown {
    return this.refusal && this.refusal.index === index ? this.refusal.error : undefined;
  }

  get typing(): boolean {
    return this.before !== null;
  }

  /**
   * Previews `edit` (a `set_route` of row `index`). Answers "shown" when the plan took it,
   * "refused" when it did not read (the plan is back at the value before editing), or
   * "dropped" when a newer preview of the same cell replaced it before it was sent.
   */
  async preview(index: number, edit: PlanEdit): Promise<"shown" | "refused" | "dropped"> {
    const answered = this.queue.submit(edit, true);
    const mine = this.queue.submitted;
    try {
      const answer = await answered;
      if (answer === null) return "dropped";
      if (!this.before || this.before.index !== index) {
        // Another cell's typing had not ended: its edit is recorded as its own step first.
        if (this.before) this.record(this.before.inverse);
        this.before = { index, inverse: answer.inverse };
      }
      this.refusal = null;
      this.show(answer);
      return "shown";
    } catch (error) {
      this.refusal = { index, error };
      // Only when nothing newer follows: a newer keystroke decides the plan by itself.
      if (this.before && this.before.index === index && mine === this.queue.submitted) {
        try {
          const answer = await this.queue.submit(this.before.inverse);
          if (answer) this.show(answer);
        } catch {
          // The value before editing always read; were it refused, the error on screen stands.
        }
      }
      return "refused";
    }
  }

  /**
   * Ends typing in row `index` (Enter, a move, leaving the cell) once every preview has its
   * answer. Answers the edit that undoes it when it changed the plan, null when it did not,
   * or false when its latest text was refused: then nothing ends and nothing is committed.
   */
  async end(index: number): Promise<PlanEdit | null | false> {
    await this.queue.settled();
    if (this.refused(index) !== undefined) return false;
    // Another cell took over the typing since (a click from one cell into the next), and
    // this cell's step was recorded then.
    if (this.before && this.before.index !== index) return null;
    return this.take();
  }

  /** Forgets the cell being typed in, answering the edit that undoes its previews, if any. */
  take(): PlanEdit | null {
    const inverse = this.before?.inverse ?? null;
    this.before = null;
    this.refusal = null;
    return inverse;
  }
}
