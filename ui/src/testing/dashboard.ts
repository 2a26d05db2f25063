// A dashboard as Rust sends it, for component tests: a production account on day 7 of a
// 31-day period with a $19.00 bill and nothing else, which each test changes where it matters.
import type { BillView } from "../bindings/desktop/BillView";
import type { DashboardView } from "../bindings/desktop/DashboardView";

export const bill: BillView = {
  cost: "$19.00",
  credit_pays: "$0.00",
  total: "$19.00",
  base_fee: "$19.00",
  overage_total: "$0.00",
  credits_applied: "$0.00",
  lines: [],
};

export function dashboardView(over: Partial<DashboardView> = {}): DashboardView {
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
    sync: { synced_at: "2026-12-07T10:42:00Z", offline: false, error_code: null, error_message: null, token_rejected: false },
    ...over,
  };
}
