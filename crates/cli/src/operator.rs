//! `edgecost admin report` and `edgecost admin what-if`: the operator's figures as tables.
//! The engine computes every figure (`docs/operator-metrics.md`); this only lays them out.

use edgecost_api::{Margin, OperatorReport, Ratio, RevenueChange, WhatIfAccount, WhatIfReport};
use edgecost_pricing::Decimal;
use edgecost_pricing::format::{money_in, percent, signed_percent};

use crate::table::{Align, Table};

/// Percentages as the engine works them out: two places (`docs/operator-metrics.md`).
const PERCENT_PLACES: u32 = 2;

fn pct(p: Option<Decimal>) -> String {
    p.map_or_else(|| "-".to_owned(), |p| percent(p, PERCENT_PLACES))
}

fn ratio(r: &Ratio) -> String {
    match r.percent {
        Some(p) => format!("{}/{} ({})", r.count, r.of, percent(p, PERCENT_PLACES)),
        None => "-".to_owned(),
    }
}

/// The report: one row per month, revenue by tier per month, then margin by tier and the
/// accounts below the margin threshold.
pub fn report_text(r: &OperatorReport) -> String {
    let money = |amount: Decimal| money_in(amount, &r.currency);
    let mut out = format!("Operator report as of {} ({})\n\n", r.as_of.format("%Y-%m-%d %H:%M UTC"), r.currency);
    let mut t = Table::new(&[
        ("Month", Align::Left),
        ("Accounts", Align::Right),
        ("Paying", Align::Right),
        ("MRR", Align::Right),
        ("NRR", Align::Right),
        ("GRR", Align::Right),
        ("Logo churn", Align::Right),
        ("Rev. churn", Align::Right),
        ("Sandbox->paid", Align::Right),
        ("Up", Align::Right),
        ("Down", Align::Right),
        ("Packs", Align::Right),
        ("80%->upgrade", Align::Right),
        ("Capped", Align::Right),
        ("Margin", Align::Right),
    ]);
    // NRR and GRR of a month with too small a base are marked, and the reason follows the table.
    let mut caveats = Vec::new();
    for m in &r.months {
        let month = if m.closed { m.month.clone() } else { format!("{} (to date)", m.month) };
        let mark = match m.retention_caveat() {
            Some(caveat) => {
                caveats.push(format!("* NRR and GRR of {}: {caveat}\n", m.month));
                "*"
            }
            None => "",
        };
        t.row([
            month,
            m.accounts.to_string(),
            m.paying_accounts.to_string(),
            money(m.mrr),
            format!("{}{mark}", pct(m.nrr_percent)),
            format!("{}{mark}", pct(m.grr_percent)),
            ratio(&m.logo_churn),
            pct(m.revenue_churn_percent),
            ratio(&m.sandbox_conversion),
            m.upgrades.to_string(),
            m.downgrades.to_string(),
            format!("{} ({} used)", m.credit_packs.packs_sold, money(m.credit_packs.credit_consumed)),
            match m.quota_funnel_open {
                // Accounts whose 14 days are not over yet may still upgrade.
                0 => ratio(&m.quota_funnel),
                open => format!("{} +{open} open", ratio(&m.quota_funnel)),
            },
            m.capped_accounts.to_string(),
            pct(m.gross_margin_percent),
        ]);
    }
    out.push_str(&t.render());
    out.extend(caveats);

    out.push_str("\nRevenue by tier\n");
    let mut t = Table::new(&[
        ("Month", Align::Left),
        ("Tier", Align::Left),
        ("Accounts", Align::Right),
        ("Base fees", Align::Right),
        ("Overage", Align::Right),
        ("Revenue", Align::Right),
    ]);
    for m in &r.months {
        for tier in &m.revenue_by_tier {
            t.row([
                m.month.clone(),
                tier.tier.clone(),
                tier.accounts.to_string(),
                money(tier.base_fees),
                money(tier.overage),
                money(tier.revenue),
            ]);
        }
    }
    out.push_str(&t.render());

    match &r.margin {
        None => out.push_str("\nNo gross margin: the price book carries no infrastructure cost (see --costs).\n"),
        Some(m) => {
            out.push_str(&format!("\nGross margin over the months: {}\n", margin_text(&m.total, &r.currency)));
            let mut t = Table::new(&[("Tier", Align::Left), ("Revenue", Align::Right), ("Cost", Align::Right), ("Margin", Align::Right)]);
            for tier in &m.by_tier {
                t.row([tier.tier.clone(), money(tier.margin.revenue), money(tier.margin.cost), margin_cell(&tier.margin, &r.currency)]);
            }
            out.push_str(&t.render());
            let flagged: Vec<_> = m.by_account.iter().filter(|a| a.below_threshold).collect();
            out.push_str(&format!("\nAccounts below {}% margin: {}\n", m.threshold_percent.normalize(), flagged.len()));
            if !flagged.is_empty() {
                let mut t = Table::new(&[
                    ("Account", Align::Left),
                    ("Name", Align::Left),
                    ("Tier", Align::Left),
                    ("Revenue", Align::Right),
                    ("Cost", Align::Right),
                    ("Margin", Align::Right),
                ]);
                for a in flagged {
                    t.row([
                        a.account_id.clone(),
                        a.name.clone(),
                        a.tier.clone(),
                        money(a.margin.revenue),
                        money(a.margin.cost),
                        margin_cell(&a.margin, &r.currency),
                    ]);
                }
                out.push_str(&t.render());
            }
        }
    }
    out
}

fn margin_cell(m: &Margin, currency: &str) -> String {
    format!("{} ({})", money_in(m.margin, currency), pct(m.margin_percent))
}

fn margin_text(m: &Margin, currency: &str) -> String {
    let money = |amount: Decimal| money_in(amount, currency);
    format!("{} revenue - {} cost = {} ({})", money(m.revenue), money(m.cost), money(m.margin), pct(m.margin_percent))
}

fn change_cells(c: &RevenueChange, currency: &str) -> [String; 4] {
    let money = |amount: Decimal| money_in(amount, currency);
    [
        money(c.before),
        money(c.after),
        money(c.change),
        c.change_percent.map_or_else(|| "-".to_owned(), |p| signed_percent(p, PERCENT_PLACES)),
    ]
}

fn accounts_table(accounts: &[WhatIfAccount], currency: &str) -> String {
    let mut t = Table::new(&[
        ("Account", Align::Left),
        ("Name", Align::Left),
        ("Tier", Align::Left),
        ("Before", Align::Right),
        ("After", Align::Right),
        ("Change", Align::Right),
        ("", Align::Right),
    ]);
    for a in accounts {
        let [b, af, c, p] = change_cells(&a.revenue, currency);
        t.row([a.account_id.clone(), a.name.clone(), a.tier.clone(), b, af, c, p]);
    }
    t.render()
}

/// The what-if: totals, per tier, the largest rises and falls, cheapest-tier changes, margin.
pub fn what_if_text(r: &WhatIfReport) -> String {
    let span = match (r.months.first(), r.months.last()) {
        (Some(a), Some(b)) if a != b => format!("{a} to {b}"),
        (Some(a), _) => a.clone(),
        _ => "no month".to_owned(),
    };
    let [b, a, c, p] = change_cells(&r.total, &r.currency);
    let mut out = format!("Re-rated {span} under the new price book (nothing was changed)\n\nRevenue {b} -> {a}: {c} ({p})\n\n");
    let mut t = Table::new(&[
        ("Tier", Align::Left),
        ("Account-months", Align::Right),
        ("Before", Align::Right),
        ("After", Align::Right),
        ("Change", Align::Right),
        ("", Align::Right),
    ]);
    for tier in &r.by_tier {
        let [b, a, c, p] = change_cells(&tier.revenue, &r.currency);
        t.row([tier.tier.clone(), tier.account_months.to_string(), b, a, c, p]);
    }
    out.push_str(&t.render());
    for (title, list) in [("Largest rises", &r.rises), ("Largest falls", &r.falls)] {
        out.push_str(&format!("\n{title}: {}\n", list.len()));
        if !list.is_empty() {
            out.push_str(&accounts_table(list, &r.currency));
        }
    }
    out.push_str(&format!("\nCheapest tier changes: {}\n", r.cheapest_tier_changes.len()));
    if !r.cheapest_tier_changes.is_empty() {
        let mut t = Table::new(&[
            ("Account", Align::Left),
            ("Name", Align::Left),
            ("Tier", Align::Left),
            ("Cheapest before", Align::Left),
            ("After", Align::Left),
        ]);
        for c in &r.cheapest_tier_changes {
            let none = || "-".to_owned();
            t.row([
                c.account_id.clone(),
                c.name.clone(),
                c.tier.clone(),
                c.before.clone().unwrap_or_else(none),
                c.after.clone().unwrap_or_else(none),
            ]);
        }
        out.push_str(&t.render());
    }
    match (&r.margin_before, &r.margin_after) {
        (Some(b), Some(a)) => out.push_str(&format!(
            "\nGross margin before: {}\nGross margin after:  {}\n",
            margin_text(b, &r.currency),
            margin_text(a, &r.currency)
        )),
        _ => out.push_str("\nNo gross margin: neither price book carries infrastructure cost.\n"),
    }
    if !r.unrated.is_empty() {
        let left_out: Vec<String> = r.unrated.iter().map(|u| format!("{} ({}, {})", u.name, u.account_id, u.tier)).collect();
        out.push_str(&format!("\nLeft out ({}): their tier is not priced in the new book: {}\n", r.unrated.len(), left_out.join(", ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgecost_api::{CreditPackActivity, MonthMetrics, RETENTION_BASE_MIN};

    fn month(name: &str, base: u32) -> MonthMetrics {
        let ratio = |count, of| Ratio { count, of, percent: (of > 0).then(|| Decimal::from(100 * count) / Decimal::from(of)) };
        MonthMetrics {
            month: name.into(),
            start: "2026-10-01T00:00:00Z".parse().unwrap(),
            end: "2026-11-01T00:00:00Z".parse().unwrap(),
            closed: true,
            accounts: base + 1,
            paying_accounts: base,
            mrr: Decimal::new(4300, 2),
            revenue_by_tier: Vec::new(),
            nrr_percent: (base > 0).then(|| Decimal::new(22_832, 2)),
            grr_percent: (base > 0).then_some(Decimal::ONE_HUNDRED),
            logo_churn: ratio(0, base),
            churned_revenue: Decimal::ZERO,
            revenue_churn_percent: (base > 0).then_some(Decimal::ZERO),
            sandbox_conversion: ratio(0, 0),
            upgrades: 0,
            downgrades: 0,
            credit_packs: CreditPackActivity { packs_sold: 0, credit_sold: Decimal::ZERO, credit_consumed: Decimal::ZERO },
            quota_funnel: ratio(0, 0),
            quota_funnel_open: 0,
            capped_accounts: 0,
            infrastructure_cost: None,
            gross_margin: None,
            gross_margin_percent: None,
        }
    }

    #[test]
    fn retention_of_a_small_base_is_marked_and_explained_under_the_table() {
        let report = OperatorReport {
            as_of: "2026-12-06T15:04:00Z".parse().unwrap(),
            currency: "USD".into(),
            months: vec![month("2026-09", 0), month("2026-10", 1), month("2026-11", RETENTION_BASE_MIN)],
            margin: None,
        };
        let text = report_text(&report);
        let row = |m: &str| text.lines().find(|l| l.starts_with(m)).unwrap_or_else(|| panic!("no {m} row:\n{text}"));
        assert!(row("2026-10").contains("228.32%*") && row("2026-10").contains("100.00%*"), "{text}");
        assert!(!row("2026-11").contains('*') && !row("2026-09").contains('*'), "{text}");
        assert!(
            text.contains("* NRR and GRR of 2026-10: Based on 1 account paying the month before: too few to read as a trend."),
            "{text}"
        );
        assert_eq!(text.matches("* NRR and GRR of").count(), 1, "{text}");
    }
}
