// What the planner says when a cell's text is refused: one sentence naming the field as the
// table labels it, with the shared quantity reader's own reason (the text quoted, how to
// write it), never the Rust field name or a second list of examples.
import { describe, expect, it } from "vitest";
import { duplicateRoute, planMessage, quantityRefusal } from "./messages";

const EXAMPLES = "350000, 350,000, 350k, 1.2M, 2B, 1e6";

describe("planMessage for a refused quantity", () => {
  it("names the field as people read it and keeps the reader's reason, once", () => {
    const message = planMessage({ code: "bad_quantity", message: `requests_per_month: '12x' is not a quantity (examples: ${EXAMPLES})` });
    expect(message).toBe(`Requests a month: '12x' is not a quantity (examples: ${EXAMPLES}).`);
    expect(message).not.toMatch(/requests_per_month|CLI|\(requests/);
    expect(message.split("examples").length).toBe(2);
  });

  it("keeps a reason that has a colon of its own whole", () => {
    const reason = "'51,5': a comma only groups thousands (350,000); write decimals with a point: 51.5";
    expect(planMessage({ code: "bad_quantity", message: `requests_per_second: ${reason}` })).toBe(`Requests a second: ${reason}.`);
  });

  it("labels every cell of the table and the catalog", () => {
    expect(quantityRefusal("compute_ms: '-1' is negative; a quantity is zero or more")).toBe("Compute (ms a request): '-1' is negative; a quantity is zero or more.");
    expect(quantityRefusal("path: a route needs a path")).toBe("Path: a route needs a path.");
    expect(quantityRefusal("region share: 'x' is not a quantity")).toMatch(/^Region share: /);
  });

  it("words a field it does not know without underscores, and a message without a field as it is", () => {
    expect(quantityRefusal("burst_ratio: 'x' is not a quantity")).toBe("Burst ratio: 'x' is not a quantity.");
    expect(quantityRefusal("'1e30' is too large to hold exactly")).toBe("'1e30' is too large to hold exactly.");
  });

  it("still explains the other codes with their detail", () => {
    const message = planMessage({ code: "middleware_in_use", message: "middleware 'auth' is used by /a" });
    expect(message).toContain("That middleware is still used by a route.");
    expect(message).toContain("middleware 'auth' is used by /a");
  });
});

describe("planMessage for a path another route already has", () => {
  it("says it once, naming the path", () => {
    const message = planMessage({ code: "duplicate_route", message: "route '/api/orders' is defined twice; paths must be unique" });
    expect(message).toBe("Another route already has the path '/api/orders': paths must be unique.");
    expect(message.match(/unique/gi)?.length).toBe(1);
    expect(message).not.toContain("(");
    // As the table shows it when the cell is put back.
    expect(`${message} The cell is back to its value before editing.`).toBe(
      "Another route already has the path '/api/orders': paths must be unique. The cell is back to its value before editing.",
    );
  });

  it("keeps a path with spaces or colons whole, and says it without one when the core names none", () => {
    expect(duplicateRoute("route '/a b:c' is defined twice; paths must be unique")).toBe("Another route already has the path '/a b:c': paths must be unique.");
    expect(duplicateRoute("route /a is listed twice")).toBe("Another route already has that path: paths must be unique.");
  });
});
