// A success message ("Saved to …"): shown in the success style, and gone after a while or as
// soon as the next action starts, so it never lingers as if it were still news. Problems are
// not transient: they stay until what caused them is resolved.

/** How long a success message shows, in milliseconds. */
export const SUCCESS_SHOWN_MS = 6000;

export class Transient {
  text = $state<string | null>(null);
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Shows `text` for `ms` milliseconds, replacing whatever showed before. */
  show(text: string, ms: number = SUCCESS_SHOWN_MS): void {
    this.clear();
    this.text = text;
    this.#timer = setTimeout(() => {
      this.text = null;
      this.#timer = undefined;
    }, ms);
  }

  /** Dismisses the message at once: the next action has started. */
  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.text = null;
  }
}
