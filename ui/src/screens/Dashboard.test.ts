// The dashboard's header rendered to HTML with Svelte's server renderer: the sync status has
// a place of its own beside the account's name, apart from the buttons, and "Operator view"
// stays focusable while it opens. Figures are the strings Rust sends.
import { describe, expect, it } from "vitest";
import { render } from "svelte/server";
import type { BillView } from "../bindings/desktop/BillView";
import type { DashboardView } from "../bindings/desktop/DashboardView";
import type { SyncView } from "../bindings/desktop/SyncView";
import Dashboard from "./Dashboard.svelte";

const noop = () => {};

const bill: BillView = {
  cost: "$19.00",
  credit_pays: "$0.00",
  total: "$19.00",
  base_fee: "$19.00",
  overage_total: "$0.00",
  credits_applied: "$0.00",
  lines: [],
};

function view(sync: Partial<SyncView> = {}): DashboardView {
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
    range: "period",
    granularity: "day",
    charts: [{ id: "requests", title: "Requests" }],
    regions: [],
    routes: [],
    routes_note: null,
    sync: { synced_at: "2026-12-07T10:42:00Z", offline: false, error_code: null, error_message: null, token_rejected: false, ...sync },
  };
}

function html(v: DashboardView | null): string {
  const props = { initial: v, onsignout: noop, onplan: noop, oninvoices: noop, onbilling: noop, onnewtoken: noop, onoperator: async () => {} };
  return render(Dashboard, { props }).body;
}

/** The markup of the element that opens with `<tag ... class="name"`, up to its closing tag. */
function block(body: string, tag: string, name: string): string {
  const start = body.search(new RegExp(`<${tag}[^>]*class="${name}[" ]`));
  expect(start).toBeGreaterThanOrEqual(0);
  return body.slice(start, body.indexOf(`</${tag}>`, start));
}

describe("Dashboard header", () => {
  it("keeps the sync status beside the account's name, apart from the row of buttons", () => {
    for (const sync of [{}, { offline: true, error_code: "network", error_message: "x" }]) {
      const body = html(view(sync));
      expect(block(body, "div", "who")).toMatch(/id="sync-status"[^>]*class="[^"]*sync-slot/);
      const actions = block(body, "div", "actions");
      expect(actions).not.toContain("sync-status");
      expect(actions).toContain('id="sync-now"');
      expect(actions).toContain('id="open-operator"');
    }
  });

  it("holds the status's place before the first sync has answered", () => {
    const body = html(null);
    expect(block(body, "div", "who")).toContain('id="sync-status"');
  });

  it("keeps Operator view focusable while it opens", () => {
    const button = html(view()).match(/<button[^>]*id="open-operator"[^>]*>/)?.[0] ?? "";
    expect(button).toContain('aria-disabled="false"');
    expect(button).not.toMatch(/\sdisabled/);
  });
});
