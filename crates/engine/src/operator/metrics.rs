//! The operator's monthly metrics, as pure functions of the fleet (see
//! `docs/operator-metrics.md`, which defines each one once).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use edgecost_api::{AccountMargin, CreditPackActivity, MarginReport, MonthMetrics, OperatorReport, Ratio, TierMargin, TierRevenue};
use edgecost_pricing::{Decimal, InfrastructureCost, PriceBook};

use super::fleet::{AccountMonth, Fleet, FleetAccount, fleet_month, judged_at, month_label};
use super::margin::{below_threshold, margin, percent, usage_cost};
use crate::error::{EngineError, Result};
use crate::ledger::{KIND_PURCHASE, from_cents};
use crate::period::Period;
use crate::rating;

/// Days after reaching 80% of a quota within which an upgrade counts for the funnel.
pub const FUNNEL_DAYS: i64 = 14;
/// The threshold the funnel starts from.
const FUNNEL_THRESHOLD_PERCENT: i64 = 80;

/// The report over `months` (consecutive, oldest first). The month before the first is read
/// too: retention and churn compare each month with the one before it.
pub(crate) fn report(
    book: &PriceBook,
    fleet: &Fleet,
    months: &[Period],
    now: DateTime<Utc>,
    costs: Option<&InfrastructureCost>,
    margin_below_percent: Decimal,
) -> Result<OperatorReport> {
    let Some(first) = months.first() else { return Err(EngineError::InvalidReportRange { reason: "no month to report".into() }) };
    let before = Period::containing(first.start - Duration::seconds(1));
    let mut previous = fleet_month(book, fleet, &before, now)?;
    let mut out = Vec::with_capacity(months.len());
    let mut billed: Vec<(Period, BTreeMap<usize, AccountMonth>)> = Vec::with_capacity(months.len());
    for period in months {
        let current = fleet_month(book, fleet, period, now)?;
        out.push(month_metrics(book, fleet, period, now, &previous, &current, costs)?);
        billed.push((*period, current.clone()));
        previous = current;
    }
    let margin = costs.map(|c| margin_report(fleet, &billed, c, margin_below_percent)).transpose()?;
    Ok(OperatorReport { as_of: now, currency: book.currency.clone(), months: out, margin })
}

/// One month's figures, given every account's month before it (`previous`) and in it.
pub(crate) fn month_metrics(
    book: &PriceBook,
    fleet: &Fleet,
    period: &Period,
    now: DateTime<Utc>,
    previous: &BTreeMap<usize, AccountMonth>,
    current: &BTreeMap<usize, AccountMonth>,
    costs: Option<&InfrastructureCost>,
) -> Result<MonthMetrics> {
    let revenue_of = |months: &BTreeMap<usize, AccountMonth>, a: usize| months.get(&a).map_or(Decimal::ZERO, AccountMonth::revenue);
    let mrr: Decimal = current.values().map(AccountMonth::revenue).sum();

    // Retention: last month's paying accounts, this month.
    let cohort: Vec<usize> = previous.iter().filter(|(_, m)| m.revenue() > Decimal::ZERO).map(|(a, _)| *a).collect();
    let cohort_before: Decimal = cohort.iter().map(|a| revenue_of(previous, *a)).sum();
    let cohort_now: Decimal = cohort.iter().map(|a| revenue_of(current, *a)).sum();
    let cohort_kept: Decimal = cohort.iter().map(|a| revenue_of(current, *a).min(revenue_of(previous, *a))).sum();
    let churned: Vec<usize> = cohort.iter().copied().filter(|a| revenue_of(current, *a).is_zero()).collect();
    let churned_revenue: Decimal = churned.iter().map(|a| revenue_of(previous, *a)).sum();

    let mut infrastructure_cost = None;
    if let Some(costs) = costs {
        let mut sum = Decimal::ZERO;
        for a in current.keys() {
            sum += account_cost(&fleet.accounts[*a], period, costs)?;
        }
        infrastructure_cost = Some(sum);
    }
    let mrr = cents(mrr);
    let infrastructure_cost = infrastructure_cost.map(cents);
    let gross_margin = infrastructure_cost.map(|c| mrr - c);
    let (upgrades, downgrades) = tier_moves(book, fleet, period, now);

    let (funnel, funnel_open) = quota_funnel(book, fleet, period, now);
    Ok(MonthMetrics {
        month: month_label(period),
        start: period.start,
        end: period.end,
        closed: period.end <= now,
        accounts: count(current.len()),
        paying_accounts: count(current.values().filter(|m| m.revenue() > Decimal::ZERO).count()),
        mrr,
        revenue_by_tier: revenue_by_tier(book, current),
        nrr_percent: percent(cohort_now, cohort_before),
        grr_percent: percent(cohort_kept, cohort_before),
        logo_churn: ratio(churned.len(), cohort.len()),
        churned_revenue: cents(churned_revenue),
        revenue_churn_percent: percent(churned_revenue, cohort_before),
        sandbox_conversion: sandbox_conversion(book, fleet, period, now),
        upgrades: count(upgrades),
        downgrades: count(downgrades),
        credit_packs: credit_packs(book, fleet, period),
        quota_funnel: funnel,
        quota_funnel_open: funnel_open,
        capped_accounts: count(current.values().filter(|m| m.capped).count()),
        infrastructure_cost,
        gross_margin,
        gross_margin_percent: gross_margin.and_then(|m| percent(m, mrr)),
    })
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn ratio(count_: usize, of: usize) -> Ratio {
    Ratio { count: count(count_), of: count(of), percent: percent(Decimal::from(count_), Decimal::from(of)) }
}

/// The measured usage of the account's month at the infrastructure's unit costs.
fn account_cost(account: &FleetAccount, period: &Period, costs: &InfrastructureCost) -> Result<Decimal> {
    let regions = account.usage.get(&period.start_unix()).map_or(&[][..], Vec::as_slice);
    usage_cost(costs, regions)
}

/// Revenue per tier in the book's order (tiers the book no longer has last, by name).
fn revenue_by_tier(book: &PriceBook, current: &BTreeMap<usize, AccountMonth>) -> Vec<TierRevenue> {
    let mut by_tier: BTreeMap<(usize, String), TierRevenue> = BTreeMap::new();
    for m in current.values() {
        let key = (tier_rank(book, &m.tier).unwrap_or(usize::MAX), m.tier.clone());
        let t = by_tier.entry(key).or_insert_with(|| TierRevenue {
            tier: m.tier.clone(),
            accounts: 0,
            base_fees: Decimal::ZERO,
            overage: Decimal::ZERO,
            revenue: Decimal::ZERO,
        });
        t.accounts += 1;
        t.base_fees += m.base_fee;
        t.overage += m.overage;
        t.revenue += m.revenue();
    }
    by_tier.into_values().map(with_cents).collect()
}

fn with_cents(t: TierRevenue) -> TierRevenue {
    TierRevenue { base_fees: cents(t.base_fees), overage: cents(t.overage), revenue: cents(t.revenue), ..t }
}

/// A sum of amounts in cents written with two places also when it is zero (`0.00`).
pub(crate) fn cents(mut amount: Decimal) -> Decimal {
    amount.rescale(amount.scale().max(2));
    amount
}

/// The tier's place in the book's order (smallest first).
pub(crate) fn tier_rank(book: &PriceBook, tier: &str) -> Option<usize> {
    book.tiers.iter().position(|t| t.name == tier)
}

/// Whether `tier` is free (a base fee of zero).
fn is_free(book: &PriceBook, tier: &str) -> bool {
    book.tier(tier).and_then(|t| t.base_fee).is_some_and(|f| f.is_zero())
}

/// Accounts on a free tier when the month starts (or when created during it), and how many
/// of them are on a paid tier when it is judged (its end, or now).
fn sandbox_conversion(book: &PriceBook, fleet: &Fleet, period: &Period, now: DateTime<Utc>) -> Ratio {
    let end = judged_at(period, now);
    let (mut free, mut converted) = (0, 0);
    for a in &fleet.accounts {
        let Some(first) = a.changes.first() else { continue };
        if first.effective_at > end.timestamp() {
            continue;
        }
        let at_start = rating::tier_at(&a.changes, period.start).unwrap_or(first.tier.as_str());
        if !is_free(book, at_start) {
            continue;
        }
        free += 1;
        if rating::tier_at(&a.changes, end).is_some_and(|t| book.tier(t).and_then(|t| t.base_fee).is_some_and(|f| f > Decimal::ZERO)) {
            converted += 1;
        }
    }
    ratio(converted, free)
}

/// Tier changes that took effect in the month (up to now): (upgrades, downgrades), by the
/// tiers' order in the book. An account's first tier is no change.
fn tier_moves(book: &PriceBook, fleet: &Fleet, period: &Period, now: DateTime<Utc>) -> (usize, usize) {
    let (mut up, mut down) = (0, 0);
    let end = period.end.min(now + Duration::seconds(1)).timestamp();
    for a in &fleet.accounts {
        for pair in a.changes.windows(2) {
            let (from, to) = (&pair[0], &pair[1]);
            if to.effective_at < period.start_unix() || to.effective_at >= end {
                continue;
            }
            match (tier_rank(book, &from.tier), tier_rank(book, &to.tier)) {
                (Some(f), Some(t)) if t > f => up += 1,
                (Some(f), Some(t)) if t < f => down += 1,
                _ => {}
            }
        }
    }
    (up, down)
}

/// Packs bought in the month and the credit they added; credit spent on the month's overage.
fn credit_packs(book: &PriceBook, fleet: &Fleet, period: &Period) -> CreditPackActivity {
    let pack_cents = crate::ledger::to_cents(book.credit_pack.credit).unwrap_or(1).max(1);
    let (start, end) = (period.start_unix(), period.end.timestamp());
    let (mut packs, mut sold_cents, mut consumed_cents) = (0i64, 0i64, 0i64);
    for e in fleet.accounts.iter().flat_map(|a| &a.ledger) {
        if e.kind == KIND_PURCHASE {
            if e.created_at >= start && e.created_at < end {
                // One purchase entry holds every pack of the purchase.
                packs += e.amount_cents / pack_cents;
                sold_cents += e.amount_cents;
            }
        } else if e.period_start == Some(start) {
            consumed_cents -= e.amount_cents;
        }
    }
    CreditPackActivity {
        packs_sold: u32::try_from(packs).unwrap_or(u32::MAX),
        credit_sold: from_cents(sold_cents),
        credit_consumed: from_cents(consumed_cents),
    }
}

/// Accounts that reached 80% of a quota in the month, and how many of them moved to a higher
/// tier within [`FUNNEL_DAYS`] days of the first time they did (up to now); with how many of
/// the others still have part of their days ahead.
fn quota_funnel(book: &PriceBook, fleet: &Fleet, period: &Period, now: DateTime<Utc>) -> (Ratio, u32) {
    let (mut crossed, mut upgraded, mut open) = (0, 0, 0);
    for a in &fleet.accounts {
        let first = a
            .notices
            .iter()
            .filter(|n| n.period_start == period.start_unix() && n.threshold_percent == FUNNEL_THRESHOLD_PERCENT)
            .map(|n| n.reached_at)
            .min();
        let Some(reached) = first else { continue };
        crossed += 1;
        let reached_at = crate::period::from_unix(reached);
        let Some(rank_then) = rating::tier_at(&a.changes, reached_at).and_then(|t| tier_rank(book, t)) else { continue };
        let window_end = reached_at + Duration::days(FUNNEL_DAYS);
        let until = window_end.min(now).timestamp();
        let moved_up = a
            .changes
            .iter()
            .any(|c| c.effective_at >= reached && c.effective_at <= until && tier_rank(book, &c.tier).is_some_and(|r| r > rank_then));
        if moved_up {
            upgraded += 1;
        } else if window_end > now {
            open += 1;
        }
    }
    (ratio(upgraded, crossed), count(open))
}

/// Revenue, cost and margin over the months, per tier (each account-month on its tier) and
/// per account (its last month's tier), lowest margin first.
fn margin_report(
    fleet: &Fleet,
    billed: &[(Period, BTreeMap<usize, AccountMonth>)],
    costs: &InfrastructureCost,
    threshold_percent: Decimal,
) -> Result<MarginReport> {
    let mut tiers: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
    let mut accounts: BTreeMap<usize, (String, Decimal, Decimal)> = BTreeMap::new();
    for (period, months) in billed {
        for (a, m) in months {
            let cost = account_cost(&fleet.accounts[*a], period, costs)?;
            let t = tiers.entry(m.tier.clone()).or_default();
            t.0 += m.revenue();
            t.1 += cost;
            let e = accounts.entry(*a).or_insert_with(|| (String::new(), Decimal::ZERO, Decimal::ZERO));
            e.0 = m.tier.clone();
            e.1 += m.revenue();
            e.2 += cost;
        }
    }
    let (revenue, cost) = tiers.values().fold((Decimal::ZERO, Decimal::ZERO), |(r, c), t| (r + t.0, c + t.1));
    let by_tier = tiers.into_iter().map(|(tier, (r, c))| TierMargin { tier, margin: margin(cents(r), cents(c)) }).collect();
    let mut by_account: Vec<AccountMargin> = accounts
        .into_iter()
        .map(|(a, (tier, r, c))| {
            let m = margin(cents(r), cents(c));
            let account = &fleet.accounts[a];
            AccountMargin {
                account_id: account.id.clone(),
                name: account.name.clone(),
                tier,
                below_threshold: below_threshold(&m, threshold_percent),
                margin: m,
            }
        })
        .collect();
    // Lowest margin first; no revenue (no percentage) first of all; ties by name, then id.
    by_account.sort_by(|x, y| {
        x.margin.margin_percent.cmp(&y.margin.margin_percent).then_with(|| (&x.name, &x.account_id).cmp(&(&y.name, &y.account_id)))
    });
    Ok(MarginReport { threshold_percent, total: margin(cents(revenue), cents(cost)), by_tier, by_account })
}
