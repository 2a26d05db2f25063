// The system's light or dark setting, followed live: the charts are drawn in Rust for one
// theme at a time, so they redraw when the setting changes.

const DARK = "(prefers-color-scheme: dark)";

function prefersDark(): boolean {
  return typeof matchMedia === "function" && matchMedia(DARK).matches;
}

export class ColorScheme {
  dark = $state(prefersDark());

  /** Follows the system's setting until the returned function is called: use it as
   * `$effect(() => scheme.follow())`. */
  follow(): (() => void) | undefined {
    if (typeof matchMedia !== "function") return undefined;
    const query = matchMedia(DARK);
    const changed = () => (this.dark = query.matches);
    changed();
    query.addEventListener("change", changed);
    return () => query.removeEventListener("change", changed);
  }
}
