// The operator's screen rendered to HTML with Svelte's server renderer: the caveat the view
// model sends beside NRR and GRR, and the buttons that stay focusable while busy. Figures are
// the strings Rust sends.
import { describe, expect, it } from "vitest";
import { render } from "svelte/server";
import type { OperatorView } from "../bindings/desktop/OperatorView";
import type { OperatorMonthRow } from "../bindings/desktop/OperatorMonthRow";
import Operator from "./Operator.svelte";

const CAVEAT = "Based on 1 account paying the month before: too few to read as a trend.";

function row(month: string, label: string, retention_note: string | null): OperatorMonthRow {
  return {
    month,
    label,
    closed: true,
    accounts: 9,
    paying_accounts: 7,
    mrr: "$289.41",
    nrr: retention_note ? "228.47%" : "—",
    grr: retention_note ? "100.00%" : "—",
    retention_note,
    logo_churn: "0 of 1 (0.00%)",
    revenue_churn: "0.00%",
    conversion: "0 of 2 (0.00%)",
    upgrades: 0,
    downgrades: 0,
    packs: "0 sold, $0.00 used",
    funnel: "—",
    capped_accounts: 0,
    gross_margin: "80.00%",
  };
}

function view(retention_note: string | null): OperatorView {
  return {
    door: "demo",
    server_url: "http://127.0.0.1:1",
    as_of: "Dec 6, 2026 15:04 UTC",
    span: "Aug 2026 – Sep 2026",
    headline: {
      month_label: "September 2026",
      mrr: "$289.41",
      mrr_change: null,
      accounts: 9,
      paying_accounts: 7,
      nrr: "228.47%",
      grr: "100.00%",
      retention_note,
      logo_churn: "0 of 1 (0.00%)",
      revenue_churn: "0.00%",
      conversion: "0 of 2 (0.00%)",
      funnel: "—",
      capped_accounts: 0,
      gross_margin: null,
    },
    month_to_date: null,
    month_to_date_label: null,
    months: [row("2026-08", "Aug 2026", null), row("2026-09", "Sep 2026", retention_note)],
    tiers: [],
    funnel: [],
    margin: null,
    charts: [{ id: "retention", title: "NRR and GRR" }],
  };
}

function html(v: OperatorView): string {
  return render(Operator, { props: { initial: v, onsignout: () => {} } }).body;
}

describe("Operator", () => {
  it("says beside NRR and GRR when their base is too small to read as a trend", () => {
    const body = html(view(CAVEAT));
    expect(body).toContain(`NRR and GRR: ${CAVEAT}`);
    expect(body).toMatch(/id="operator-nrr"[^>]*aria-describedby="operator-retention-note"/);
    expect(body).toMatch(/id="operator-grr"[^>]*aria-describedby="operator-retention-note"/);
    // The months table marks the month and says why under it; the other month stays plain.
    expect(body).toContain(`NRR and GRR of Sep 2026: ${CAVEAT}`);
    expect(body).not.toContain("NRR and GRR of Aug 2026");
  });

  it("shows the figures plainly when the base is large enough", () => {
    const body = html(view(null));
    expect(body).not.toContain("operator-retention-note");
    expect(body).not.toContain("caveat");
  });

  it("keeps Refresh and the what-if focusable while they work, and its title takes the focus", () => {
    const body = html(view(null));
    for (const id of ["operator-refresh", "what-if-pick"]) {
      const button = body.match(new RegExp(`<button[^>]*id="${id}"[^>]*>`))?.[0] ?? "";
      expect(button).toContain('aria-disabled="false"');
      expect(button).not.toMatch(/\sdisabled/);
    }
    expect(body).toMatch(/<h1[^>]*id="operator-title"[^>]*tabindex="-1"/);
  });
});
