// A refusal of text being typed shows once typing pauses: on the way to "150,000" a cell holds
// "150," and "150,0", which do not read, and flagging each keystroke would flash a refusal
// that the next keystroke takes back. Ending the edit (Enter, a move, leaving the cell) shows
// it at once, and a refusal already on screen follows the text as it is typed.

/** Quiet time after a refused keystroke before its refusal shows, in milliseconds. */
export const REFUSAL_AFTER_MS = 700;

export class PendingRefusal<T extends { index: number }> {
  #waiting: T | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #shown: T | null = null;

  /** `show` is told what to show: a refusal, or null for none. */
  constructor(
    private readonly show: (refusal: T | null) => void,
    private readonly ms: number = REFUSAL_AFTER_MS,
  ) {}

  /** The refusal on screen, if any. */
  get shown(): T | null {
    return this.#shown;
  }

  /** The latest refusal, shown or still waiting for a pause. */
  get latest(): T | null {
    return this.#waiting ?? this.#shown;
  }

  /**
   * A keystroke's text was refused. It shows after a pause, or at once when the same row's
   * refusal is already on screen (its reason changes with the text; nothing new appears).
   */
  refused(refusal: T): void {
    this.#stopTimer();
    if (this.#shown && this.#shown.index === refusal.index) {
      this.#set(refusal);
      return;
    }
    this.#waiting = refusal;
    this.#timer = setTimeout(() => this.now(), this.ms);
  }

  /** Shows the waiting refusal at once: the edit is ending on text that does not read. */
  now(): void {
    this.#stopTimer();
    if (this.#waiting) this.#set(this.#waiting);
    this.#waiting = null;
  }

  /** The text reads again, or the edit ended: nothing to show. */
  clear(): void {
    this.#stopTimer();
    this.#waiting = null;
    if (this.#shown) this.#set(null);
  }

  #set(refusal: T | null) {
    this.#shown = refusal;
    this.show(refusal);
  }

  #stopTimer() {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
