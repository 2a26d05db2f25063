import { describe, expect, it } from "vitest";
import { tabAfterKey } from "./tabs";

describe("chart tabs by keyboard", () => {
  const tabs = ["requests", "compute", "egress"];

  it("move to the next and previous tab, wrapping around", () => {
    expect(tabAfterKey(tabs, "requests", "ArrowRight")).toBe("compute");
    expect(tabAfterKey(tabs, "egress", "ArrowRight")).toBe("requests");
    expect(tabAfterKey(tabs, "requests", "ArrowLeft")).toBe("egress");
    expect(tabAfterKey(tabs, "compute", "ArrowUp")).toBe("requests");
  });

  it("jump to the ends with Home and End", () => {
    expect(tabAfterKey(tabs, "compute", "Home")).toBe("requests");
    expect(tabAfterKey(tabs, "compute", "End")).toBe("egress");
  });

  it("leave other keys to the page", () => {
    expect(tabAfterKey(tabs, "compute", "Enter")).toBeNull();
    expect(tabAfterKey(tabs, "compute", "a")).toBeNull();
    expect(tabAfterKey([], "compute", "ArrowRight")).toBeNull();
  });
});
