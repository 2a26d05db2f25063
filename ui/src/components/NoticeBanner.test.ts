// The banner and the sheets rendered to HTML with Svelte's server renderer: what a person
// reads, and which actions each tier offers. Figures are the strings Rust sends.
import { describe, expect, it } from "vitest";
import { render } from "svelte/server";
import type { NoticeBanner } from "../bindings/account/NoticeBanner";
import type { UpgradeSheet } from "../bindings/account/UpgradeSheet";
import type { CreditsSheet } from "../bindings/account/CreditsSheet";
import NoticeBannerView from "./NoticeBanner.svelte";
import UpgradeSheetView from "./UpgradeSheet.svelte";
import CreditsSheetView from "./CreditsSheet.svelte";

const noop = () => {};

function banner(over: Partial<NoticeBanner> = {}): NoticeBanner {
  return {
    level: "warning",
    lines: [
      {
        notice_id: "n1",
        meter: "requests",
        headline: "Requests passed 80% of the Production quota on Nov 20",
        detail: "10 days left · projected to cost $31.50",
      },
    ],
    summary: "Past 100%, usage is billed as overage; burst credit pays it first.",
    upgrade_label: "Upgrade to Scale",
    upgrade_hint: "Scale: projected $98.00 this period, $12.40 more than staying",
    upgrade_recommended: false,
    can_buy_credits: true,
    ...over,
  };
}

function html(component: any, props: Record<string, unknown>): string {
  return render(component, { props }).body;
}

describe("NoticeBanner", () => {
  it("names the meter, when it crossed, days left and the projected bill, with both actions", () => {
    const body = html(NoticeBannerView, { banner: banner(), onupgrade: noop, onbuy: noop });
    expect(body).toContain("Requests passed 80% of the Production quota on Nov 20");
    expect(body).toContain("10 days left · projected to cost $31.50");
    expect(body).toContain('id="notice-upgrade"');
    expect(body).toContain("Upgrade to Scale");
    expect(body).toContain("Scale: projected $98.00 this period, $12.40 more than staying");
    expect(body).toContain('aria-describedby="notice-upgrade-hint"');
    expect(body).toContain('id="notice-buy-credits"');
    expect(body).toContain('data-level="warning"');
    expect(body).not.toMatch(/dismiss|×/i);
  });

  it("puts the upgrade hint right under the upgrade button, as one group apart from buying credit", () => {
    const body = html(NoticeBannerView, { banner: banner(), onupgrade: noop, onbuy: noop });
    // The group: the button, then the hint, and nothing else before the group closes.
    const group = /<div class="upgrade[^"]*">([\s\S]*?)<\/div>/.exec(body)?.[1] ?? "";
    expect(group).toMatch(/id="notice-upgrade"[\s\S]*id="notice-upgrade-hint"/);
    expect(group).not.toContain("notice-buy-credits");
    // Buying credit: a group of its own, after the upgrade. The ledger is the header's.
    const credits = /<div class="credits[^"]*">([\s\S]*?)<\/div>/.exec(body)?.[1] ?? "";
    expect(credits).toContain('id="notice-buy-credits"');
    expect(body).not.toContain("Credit ledger");
    expect(body.indexOf("notice-upgrade-hint")).toBeLessThan(body.indexOf("notice-buy-credits"));
  });

  it("makes the upgrade the primary action only when the engine recommends it", () => {
    const button = (body: string) => /<button[^>]*id="notice-upgrade"[^>]*>/.exec(body)?.[0] ?? "";
    const costsMore = html(NoticeBannerView, { banner: banner(), onupgrade: noop, onbuy: noop });
    expect(button(costsMore)).not.toMatch(/class="[^"]*primary/);
    const saves = html(NoticeBannerView, {
      banner: banner({ upgrade_hint: "Scale: projected $28.00 this period, $3.50 less than staying", upgrade_recommended: true }),
      onupgrade: noop,
      onbuy: noop,
    });
    expect(button(saves)).toMatch(/class="[^"]*primary/);
  });

  it("shows the sandbox the upgrade path only, capped", () => {
    const body = html(NoticeBannerView, {
      banner: banner({ level: "capped", can_buy_credits: false, upgrade_label: "Upgrade to Production", summary: "The Sandbox tier is capped." }),
      onupgrade: noop,
      onbuy: noop,
    });
    expect(body).toContain("traffic is capped");
    expect(body).toContain("Upgrade to Production");
    expect(body).not.toContain('id="notice-buy-credits"');
  });

  it("offers no upgrade on the last tier", () => {
    const body = html(NoticeBannerView, {
      banner: banner({ level: "over", upgrade_label: null, upgrade_hint: null }),
      onupgrade: noop,
      onbuy: noop,
    });
    expect(body).not.toContain('id="notice-upgrade"');
    expect(body).not.toContain("more than staying");
    expect(body).toContain("overage is being billed");
  });
});

/** A projected bill as the sheet gets it: its lines add up to its cost. */
function bill(lines: [string, string][], cost: string, creditPays = "$0.00", total = cost) {
  return {
    cost,
    credit_pays: creditPays,
    total,
    base_fee: lines[0][1],
    overage_total: "$0.00",
    credits_applied: creditPays,
    lines: lines.map(([label, amount]) => ({ label, amount, explanation: `${label} explained` })),
  };
}

describe("UpgradeSheet", () => {
  const sheet: UpgradeSheet = {
    intent_key: "upgrade-1",
    current_tier: "production",
    current_label: "Production",
    target_tier: "scale",
    target_label: "Scale",
    immediate: true,
    effective_on: "Nov 11, 2026",
    prorated_base_fee: "$52.67",
    prorated_explanation: "$79.00 x 20 of 30 days (from today, Nov 11)",
    projections: [
      { tier: "sandbox", label: "Sandbox", projected: { text: "caps this usage", capped: true, tagged: false }, current: false, target: false, recommended: false },
      { tier: "production", label: "Production", projected: { text: "$99.00", capped: false, tagged: false }, current: true, target: false, recommended: false },
      { tier: "scale", label: "Scale", projected: { text: "$64.00", capped: false, tagged: false }, current: false, target: true, recommended: true },
    ],
    target_bill: bill(
      [
        ["Base fee, Production (Nov 1 - Nov 10)", "$6.33"],
        ["Base fee, Scale (Nov 11 - Nov 30)", "$52.67"],
        ["Egress", "$5.00"],
      ],
      "$64.00",
      "$5.00",
      "$59.00",
    ),
    difference: "Saves $35.00 on what the period is projected to cost.",
    basis: "At the run rate of the 10 days 12 h since the period start.",
    warnings: [],
  };

  it("shows the recommended tier, today's prorated fee, every tier's projected cost and the basis", () => {
    const body = html(UpgradeSheetView, { sheet, onclose: noop });
    expect(body).toContain('role="dialog"');
    expect(body).toContain('aria-modal="true"');
    expect(body).toContain("Upgrade to Scale");
    expect(body).toContain("$52.67");
    expect(body).toContain("20 of 30 days");
    expect(body).toMatch(/Production \(now\)[\s\S]*\$99\.00/);
    expect(body).toMatch(/Scale \(recommended\)[\s\S]*\$64\.00/);
    // Sandbox would cap this usage: no $0.00 that reads as a saving.
    const sandbox = /<tr[^>]*data-tier="sandbox"[^>]*>([\s\S]*?)<\/tr>/.exec(body)?.[1] ?? "";
    expect(sandbox).toMatch(/Sandbox<\/td>[\s\S]*caps this usage/);
    expect(sandbox).not.toContain("$0.00");
    expect(body).toContain("Saves $35.00 on what the period is projected to cost.");
    expect(body).toContain("At the run rate of the 10 days 12 h since the period start.");
    expect(body).toContain("Ties go to the lower tier.");
    expect(body).toContain('id="confirm-upgrade"');
    // The target's projected cost line by line: both tiers' shares of the base fee add up to it.
    const lines = /<table id="upgrade-target-bill"[^>]*>([\s\S]*?)<\/table>/.exec(body)?.[1] ?? "";
    expect(lines).toMatch(/Base fee, Production \(Nov 1 - Nov 10\)[\s\S]*\$6\.33/);
    expect(lines).toMatch(/Base fee, Scale \(Nov 11 - Nov 30\)[\s\S]*\$52\.67/);
    expect(lines).toMatch(/Projected cost, before credit[\s\S]*\$64\.00/);
    expect(body).toContain("Burst credit would pay $5.00 of it; $59.00 left to invoice.");
  });
});

describe("UpgradeSheet that costs more", () => {
  it("offers the upgrade without calling it recommended", () => {
    const dearer: UpgradeSheet = {
      intent_key: "upgrade-2",
      current_tier: "production",
      current_label: "Production",
      target_tier: "scale",
      target_label: "Scale",
      immediate: true,
      effective_on: "Dec 5, 2026",
      prorated_base_fee: "$68.81",
      prorated_explanation: "$79.00 x 27 of 31 days (from today, Dec 5)",
      projections: [
        { tier: "production", label: "Production", projected: { text: "$52.98", capped: false, tagged: false }, current: true, target: false, recommended: false },
        { tier: "scale", label: "Scale", projected: { text: "$71.26", capped: false, tagged: false }, current: false, target: true, recommended: false },
      ],
      target_bill: bill([["Base fee, Production (Dec 1 - Dec 4)", "$2.45"], ["Base fee, Scale (Dec 5 - Dec 31)", "$68.81"]], "$71.26"),
      difference: "Costs $18.28 more than staying.",
      basis: "At the run rate of the 4 days 21 h since the period start.",
      warnings: ["This also cancels the downgrade to Sandbox scheduled for next period."],
    };
    const body = html(UpgradeSheetView, { sheet: dearer, onclose: noop });
    expect(body).toContain("Scale (upgrade)");
    expect(body).not.toContain("Burst credit would pay");
    expect(body).not.toContain("(recommended)");
    expect(body).toContain("Costs $18.28 more than staying.");
    expect(body).toContain("This also cancels the downgrade to Sandbox");
  });
});

describe("CreditsSheet", () => {
  const sheet: CreditsSheet = {
    intent_key: "credits-1",
    quote: {
      packs: 3,
      packs_max: 100,
      pack_price: "$25.00",
      total_price: "$75.00",
      credit_added: "$75.00",
      balance_now: "$0.00",
      balance_after: "$71.00",
      overage_per_day: "$4.00 a day",
      coverage: "Covers about 17 days of overage; runs out around Nov 28",
      covers_days: 17,
      carry_over: "$0.00",
      basis: "At the run rate of the 10 days since the period start.",
      runs_out: "runs out around Nov 28",
    },
  };

  it("keeps the step button at the end of the range focusable, marked disabled", () => {
    const full: CreditsSheet = { ...sheet, quote: { ...sheet.quote, packs: 100 } };
    const body = html(CreditsSheetView, { sheet: full, onclose: noop });
    const more = /<button[^>]*id="credit-packs-more"[^>]*>/.exec(body)?.[0] ?? "";
    const fewer = /<button[^>]*id="credit-packs-fewer"[^>]*>/.exec(body)?.[0] ?? "";
    // Marked disabled for assistive technology, never `disabled`: a disabled button would drop
    // the focus to the page when + reaches 100.
    expect(more).toContain('aria-disabled="true"');
    expect(more).not.toMatch(/\sdisabled(=|\s|>)/);
    expect(fewer).not.toContain('aria-disabled="true"');
  });

  it("shows the pack count, the total and what it covers at the current rate", () => {
    const body = html(CreditsSheetView, { sheet, onclose: noop });
    expect(body).toMatch(/id="credit-packs"[^>]*value="3"|value="3"[^>]*id="credit-packs"/);
    expect(body).toContain("$75.00");
    expect(body).toContain("Covers about 17 days of overage; runs out around Nov 28");
    expect(body).toContain("$4.00 a day");
    expect(body).toContain("Buy for $75.00");
  });
});

describe("UpgradeSheet for a downgrade", () => {
  it("says when it applies, charges nothing now and confirms a schedule", () => {
    const down: UpgradeSheet = {
      intent_key: "tier-3",
      current_tier: "scale",
      current_label: "Scale",
      target_tier: "production",
      target_label: "Production",
      immediate: false,
      effective_on: "Jan 1, 2027",
      prorated_base_fee: "",
      prorated_explanation: "Applies from Jan 1, 2027, the start of the next period; this period stays on Scale and is billed as it is.",
      projections: [
        { tier: "production", label: "Production", projected: { text: "$25.50", capped: false, tagged: false }, current: false, target: true, recommended: false },
        { tier: "scale", label: "Scale", projected: { text: "$79.00", capped: false, tagged: false }, current: true, target: false, recommended: false },
      ],
      target_bill: bill([["Base fee", "$19.00"], ["Requests", "$6.50"]], "$25.50"),
      difference: "On Production, this period's usage would cost $25.50 instead of $79.00.",
      basis: "At the run rate of the 5 days since the period start.",
      warnings: ["Production caps this usage: traffic past its quotas would be refused, not billed."],
    };
    const body = html(UpgradeSheetView, { sheet: down, onclose: noop });
    expect(body).toContain("Downgrade to Production");
    expect(body).toMatch(/starting <strong id="downgrade-effective">Jan 1, 2027<\/strong>/);
    expect(body).toContain("this period stays on Scale");
    expect(body).toContain("Nothing is charged now.");
    expect(body).not.toContain("Base fee today");
    expect(body).toContain("Production (downgrade)");
    expect(body).toContain("Schedule downgrade to Production");
    expect(body).toContain("traffic past its quotas would be refused");
  });
});
