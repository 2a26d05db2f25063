import { describe, expect, it } from "vitest";
import { offsetOf, pointAt } from "./yaml";

const source = "tier: production\nroutes:\n  - path: /a\n    compute_ms: four\n";

describe("YAML error pointer", () => {
  it("shows the line with a caret under the column", () => {
    expect(pointAt(source, 4, 17)).toEqual({ line: 4, column: 17, text: "    compute_ms: four", caret: "                ^" });
  });

  it("ignores places outside the text", () => {
    expect(pointAt(source, null, null)).toBeNull();
    expect(pointAt(source, 99, 1)).toBeNull();
    expect(pointAt(source, 1, 500)?.column).toBe(17);
  });

  it("finds the cursor offset of a line and column", () => {
    expect(source.slice(offsetOf(source, 4, 17), offsetOf(source, 4, 21))).toBe("four");
  });
});
