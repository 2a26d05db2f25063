// Where a YAML error points: the offending line and a caret under its column.

export interface Pointer {
  line: number;
  column: number;
  text: string;
  caret: string;
}

/** The 1-based `line` of `source` with a caret under the 1-based `column`; null when out of range. */
export function pointAt(source: string, line: number | null, column: number | null): Pointer | null {
  if (line === null || line < 1) return null;
  const lines = source.split("\n");
  if (line > lines.length) return null;
  const text = lines[line - 1];
  const col = Math.max(1, Math.min(column ?? 1, text.length + 1));
  return { line, column: col, text, caret: `${" ".repeat(col - 1)}^` };
}

/** The character offset of a 1-based line and column, to put the cursor there. */
export function offsetOf(source: string, line: number, column: number): number {
  const lines = source.split("\n");
  let offset = 0;
  for (let i = 0; i < Math.min(line - 1, lines.length); i++) offset += lines[i].length + 1;
  return offset + Math.max(0, column - 1);
}
