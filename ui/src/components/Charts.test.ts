// The charts card rendered to HTML with Svelte's server renderer: the table of requests by
// route says when the span it compares against has usage from part of it only. Figures are
// the strings Rust sends.
import { describe, expect, it } from "vitest";
import { render } from "svelte/server";
import type { BillView } from "../bindings/desktop/BillView";
import type { DashboardView } from "../bindings/desktop/DashboardView";
import Charts from "./Charts.svelte";

const bill: BillView = {
  cost: "$19.00",
  credit_pays: "$0.00",
  total: "$19.00",
  base_fee: "$19.00",
  overage_total: "$0.00",
  credits_applied: "$0.00",
  lines: [],
};

function view(routes_note: string | null): DashboardView {
  return {
    door: "demo",
    server_url: "http://127.0.0.1:1",
    account_name: "Demo storefront",
    tier: "production",
    tier_label: "Production",
    scheduled: null,
    period_first_day: "2026-12-01",
    period_last_day: "2026-12-31",
    period_day: 7,
    period_days: 31,
    days_left: 24,
    meters: [],
    bill_to_date: bill,
    projected: { bill, basis: "At the run rate of the 6 days since the period start.", short_history: false },
    outlook: { p50: null, p90: null, basis: "Not enough history yet." },
    credit_balance: "$0.00",
    notices: [],
    budget: null,
    alerts: [],
    range: "days90",
    granularity: "day",
    charts: [{ id: "routes", title: "Overage by route" }],
    regions: [],
    routes: [{ route: "/api/orders", requests: "9,000", previous_requests: "1,000", change: "+800%" }],
    routes_note,
    sync: { synced_at: "2026-12-07T10:42:00Z", offline: false, error_code: null, error_message: null, token_rejected: false },
  };
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

  it("adds nothing when the span before holds usage throughout", () => {
    const body = html(view(null));
    expect(body).not.toContain("routes-note");
    expect(body).toContain("/api/orders");
  });
});
