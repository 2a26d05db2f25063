// Keyboard moves across a row of tabs, as the WAI-ARIA tabs pattern has them: the arrow keys
// go to the previous or next tab (wrapping around), Home and End to the first and last.

/** The tab a key press moves to from `current`, or `null` for a key that does not move. */
export function tabAfterKey<T>(tabs: readonly T[], current: T, key: string): T | null {
  if (tabs.length === 0) return null;
  const at = Math.max(0, tabs.indexOf(current));
  switch (key) {
    case "ArrowRight":
    case "ArrowDown":
      return tabs[(at + 1) % tabs.length];
    case "ArrowLeft":
    case "ArrowUp":
      return tabs[(at - 1 + tabs.length) % tabs.length];
    case "Home":
      return tabs[0];
    case "End":
      return tabs[tabs.length - 1];
    default:
      return null;
  }
}
