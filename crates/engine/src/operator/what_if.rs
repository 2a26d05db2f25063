//! A price book's effect on past bills: every account's recorded usage of past months re-rated
//! under another book, beside what it was billed. Pure and read-only: nothing is written.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use edgecost_api::{CheapestTierChange, RevenueChange, UnratedAccount, WhatIfAccount, WhatIfReport, WhatIfTier};
use edgecost_pricing::{Decimal, InfrastructureCost, PriceBook, RateError};

use super::fleet::{Fleet, account_month, judged_at, month_label, month_usage};
use super::margin::{margin, percent, usage_cost};
use super::metrics::{cents, tier_rank};
use crate::error::{EngineError, Result};
use crate::period::Period;

/// Accounts listed among the largest rises and among the largest falls.
pub(crate) const MOVERS_LISTED: usize = 10;

/// One account's months under both books.
#[derive(Default)]
struct AccountSums {
    tier: String,
    before: Decimal,
    after: Decimal,
    cost_before: Decimal,
    cost_after: Decimal,
    cheapest: Option<(Option<String>, Option<String>)>,
}

/// Re-rates `months` (closed, oldest first) of every account under `proposed`. "Before" is
/// what each month was billed under `current` (its invoice where one was issued); "after"
/// rates the same recorded usage, on the same tier with the same base fee shares, under
/// `proposed`. An account whose tier `proposed` cannot price is left out of every sum.
pub(crate) fn what_if(
    current: &PriceBook,
    proposed: &PriceBook,
    fleet: &Fleet,
    months: &[Period],
    now: DateTime<Utc>,
) -> Result<WhatIfReport> {
    let costs_before = current.infrastructure_cost.as_ref().or(proposed.infrastructure_cost.as_ref());
    let costs_after = proposed.infrastructure_cost.as_ref().or(current.infrastructure_cost.as_ref());
    let mut sums: BTreeMap<usize, AccountSums> = BTreeMap::new();
    let mut tiers: BTreeMap<String, (u32, Decimal, Decimal)> = BTreeMap::new();
    let mut unrated = Vec::new();
    'accounts: for index in 0..fleet.accounts.len() {
        let account = &fleet.accounts[index];
        let mut s = AccountSums::default();
        let mut account_tiers: Vec<(String, Decimal, Decimal)> = Vec::new();
        let mut last = None;
        for period in months {
            let Some(billed) = account_month(current, fleet, index, period, now)? else { continue };
            let at = judged_at(period, now);
            let (totals, shares) = month_usage(proposed, account, period, at)?;
            let after = match proposed.rate_totals(&billed.tier, &totals.usage(), &period.rate_options(Decimal::ZERO, shares)) {
                Ok(bill) => bill.cost(),
                Err(RateError::UnknownTier { .. } | RateError::Negotiated { .. }) => {
                    unrated.push(UnratedAccount { account_id: account.id.clone(), name: account.name.clone(), tier: billed.tier.clone() });
                    continue 'accounts;
                }
                Err(e) => return Err(EngineError::Rate(e)),
            };
            let regions = account.usage.get(&period.start_unix()).map_or(&[][..], Vec::as_slice);
            s.cost_before += cost(costs_before, regions)?;
            s.cost_after += cost(costs_after, regions)?;
            s.before += billed.revenue();
            s.after += after;
            s.tier = billed.tier.clone();
            account_tiers.push((billed.tier.clone(), billed.revenue(), after));
            last = Some((*period, at));
        }
        let Some((period, at)) = last else { continue };
        // The cheapest tier for the latest month's usage, as each book weighs and prices it.
        let (before, _) = month_usage(current, account, &period, at)?;
        let (after, _) = month_usage(proposed, account, &period, at)?;
        s.cheapest = Some((cheapest(current, &before.usage())?, cheapest(proposed, &after.usage())?));
        for (tier, before, after) in account_tiers {
            let t = tiers.entry(tier).or_default();
            t.0 += 1;
            t.1 += before;
            t.2 += after;
        }
        sums.insert(index, s);
    }

    let total = change(sums.values().map(|s| s.before).sum(), sums.values().map(|s| s.after).sum());
    let mut by_tier: Vec<WhatIfTier> = tiers
        .into_iter()
        .map(|(tier, (n, before, after))| WhatIfTier { tier, account_months: n, revenue: change(before, after) })
        .collect();
    by_tier.sort_by_key(|t| (tier_rank(current, &t.tier).unwrap_or(usize::MAX), t.tier.clone()));

    let mut accounts: Vec<WhatIfAccount> = sums
        .iter()
        .map(|(a, s)| WhatIfAccount {
            account_id: fleet.accounts[*a].id.clone(),
            name: fleet.accounts[*a].name.clone(),
            tier: s.tier.clone(),
            revenue: change(s.before, s.after),
        })
        .collect();
    // Largest rise first; equal changes by name, then id, so the order is the same wherever ids differ.
    accounts.sort_by(|x, y| y.revenue.change.cmp(&x.revenue.change).then_with(|| (&x.name, &x.account_id).cmp(&(&y.name, &y.account_id))));
    let rises: Vec<WhatIfAccount> = accounts.iter().filter(|a| a.revenue.change > Decimal::ZERO).take(MOVERS_LISTED).cloned().collect();
    let mut falls: Vec<WhatIfAccount> = accounts.iter().filter(|a| a.revenue.change < Decimal::ZERO).cloned().collect();
    falls.sort_by(|x, y| x.revenue.change.cmp(&y.revenue.change).then_with(|| (&x.name, &x.account_id).cmp(&(&y.name, &y.account_id))));
    falls.truncate(MOVERS_LISTED);

    let cheapest_tier_changes = sums
        .iter()
        .filter_map(|(a, s)| {
            let (before, after) = s.cheapest.clone()?;
            (before != after).then(|| CheapestTierChange {
                account_id: fleet.accounts[*a].id.clone(),
                name: fleet.accounts[*a].name.clone(),
                tier: s.tier.clone(),
                before,
                after,
            })
        })
        .collect();

    let with_costs = costs_before.is_some();
    let revenue_before: Decimal = sums.values().map(|s| s.before).sum();
    let revenue_after: Decimal = sums.values().map(|s| s.after).sum();
    Ok(WhatIfReport {
        as_of: now,
        months: months.iter().map(month_label).collect(),
        currency: current.currency.clone(),
        total,
        by_tier,
        rises,
        falls,
        cheapest_tier_changes,
        margin_before: with_costs.then(|| margin(cents(revenue_before), cents(sums.values().map(|s| s.cost_before).sum()))),
        margin_after: with_costs.then(|| margin(cents(revenue_after), cents(sums.values().map(|s| s.cost_after).sum()))),
        unrated,
    })
}

fn cost(costs: Option<&InfrastructureCost>, regions: &[crate::store::RegionCounters]) -> Result<Decimal> {
    costs.map_or(Ok(Decimal::ZERO), |c| usage_cost(c, regions))
}

/// The cheapest tier that does not cap `usage` under `book` (see `PriceBook::compare`).
fn cheapest(book: &PriceBook, usage: &edgecost_pricing::Usage) -> Result<Option<String>> {
    Ok(book.compare(usage, Decimal::ZERO, None)?.recommendation.map(|r| r.tier))
}

/// Before and after, with the change and its percentage.
fn change(before: Decimal, after: Decimal) -> RevenueChange {
    let (before, after) = (cents(before), cents(after));
    let change = after - before;
    RevenueChange { before, after, change, change_percent: percent(change, before) }
}
