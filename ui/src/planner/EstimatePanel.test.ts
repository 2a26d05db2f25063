// The estimate panel rendered to HTML with Svelte's server renderer: the cap headline is the
// sentence the planner core words (`CapOutlook::headline`, the one `edgecost estimate` prints),
// shown as sent, never put together from the cap's parts here.
import { describe, expect, it } from "vitest";
import { render } from "svelte/server";
import type { CapView } from "../bindings/desktop/CapView";
import type { PlanSummary } from "../bindings/desktop/PlanSummary";
import EstimatePanel from "./EstimatePanel.svelte";

function summary(cap: CapView | null): PlanSummary {
  return {
    revision: 1,
    file: null,
    file_name: null,
    dirty: false,
    reformatted: false,
    unsaved_edits: false,
    cap,
    tier: "sandbox",
    tier_label: "Sandbox",
    route_count: 1,
    usage: { requests: "80,000", compute_seconds: "80", egress_gb: "0.08", billable_egress_gb: "0.08" },
    bill: { cost: "$0.00", credit_pays: "$0.00", total: "$0.00", base_fee: "$0.00", overage_total: "$0.00", credits_applied: "$0.00", lines: [] },
    tiers: [],
    negotiated: [],
    recommendation: null,
    recommended_tier: null,
    saving: null,
    thresholds: [],
    regions: [],
    saved_total: null,
    total_change: null,
    plan_regions: [],
    known_regions: [],
    middleware: [],
  };
}

function capText(html: string): string | null {
  const match = /<p [^>]*id="plan-cap"[^>]*>([\s\S]*?)<\/p>/.exec(html);
  // Svelte's hydration markers are comments; any other markup would be composing.
  return match ? match[1].replace(/<!--[\s\S]*?-->/g, "").replace(/&#39;/g, "'").replace(/&amp;/g, "&") : null;
}

describe("EstimatePanel", () => {
  it("shows the core's cap sentence as sent", () => {
    const headline =
      "Capped on day 19 of 30: 37.5% of the month's traffic is refused once the requests quota is reached. Sandbox bills nothing past it.";
    const cap: CapView = { day: 19, period_days: 30, meter_label: "Requests", refused_percent: "37.5%", headline };
    const { body } = render(EstimatePanel, { props: { summary: summary(cap), details: null, ontier: () => {} } });
    expect(capText(body)).toBe(headline);
  });

  it("has no cap line when nothing is capped", () => {
    const { body } = render(EstimatePanel, { props: { summary: summary(null), details: null, ontier: () => {} } });
    expect(body).toContain('id="plan-total"');
    expect(capText(body)).toBeNull();
  });
});
