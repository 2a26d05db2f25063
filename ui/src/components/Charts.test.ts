// The charts card rendered to HTML with Svelte's server renderer: the table of requests by
// route says when the span it compares against has usage from part of it only. Figures are
// the strings Rust sends.
import { describe, expect, it } from "vitest";
import { render } from "svelte/server";
import type { DashboardView } from "../bindings/desktop/DashboardView";
import Charts from "./Charts.svelte";
import { dashboardView } from "../testing/dashboard";

function view(routes_note: string | null): DashboardView {
  return dashboardView({
    range: "days90",
    charts: [{ id: "routes", title: "Overage by route" }],
    routes: [{ route: "/api/orders", requests: "9,000", previous_requests: "1,000", change: "+800%" }],
    routes_note,
  });
}

function html(v: DashboardView): string {
  return render(Charts, { props: { view: v, onrange: () => {} } }).body;
}

describe("Requests by route", () => {
  it("says when the span before has usage from part of it only, and ties the note to the table", () => {
    const note = "The span before (Jun 10 – Sep 7) has usage from Aug 30 only, so a change against it overstates growth.";
    const body = html(view(note));
    expect(body).toContain(`id="routes-note"`);
    expect(body).toContain(note);
    expect(body).toMatch(/<table id="routes"[^>]*aria-describedby="routes-note"/);
  });

  it("mutes the changes the note is about, marks them and has the note describe them, keeping the figures", () => {
    const body = html(view("The span before has usage from Aug 30 only."));
    const cell = /<td class="partial[^"]*"[^>]*>([\s\S]*?)<\/td>/.exec(body);
    expect(cell?.[0]).toContain('aria-describedby="routes-note"');
    expect(cell?.[1]).toContain("+800%");
    expect(cell?.[1]).toMatch(/<span class="marker[^"]*" aria-hidden="true">\*<\/span>/);
    // The note carries the same marker.
    expect(body).toMatch(/id="routes-note"><span class="marker[^"]*" aria-hidden="true">\*<\/span>/);
  });

  it("adds nothing when the span before holds usage throughout", () => {
    const body = html(view(null));
    expect(body).not.toContain("routes-note");
    expect(body).not.toContain("partial");
    expect(body).not.toContain("marker");
    expect(body).toContain("/api/orders");
    expect(body).toContain("<td>+800%</td>");
  });
});
