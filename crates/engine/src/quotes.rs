//! What the account is projected to cost, and what an upgrade or a credit purchase would do:
//! the run-rate projection and its basis, every tier priced for this period's projected
//! usage, the credit quote, the simulated outlook (P50/P90) and cost by route.
//!
//! These are the money rules the app shows before the user acts; they live here once, and the
//! app only formats what they return.

use chrono::{DateTime, Days, Duration, Utc};
use edgecost_api::{
    CreditsQuote, Granularity, Outlook, OutlookReport, PeriodRouteCosts, ProjectionBasis, RouteCost, RouteCostReport, SimulatedBill,
    TierMove, TierQuote, UpgradeQuote, UsageGrouping, UsageQuery, UsageTotals,
};
use edgecost_pricing::format::{money_in, round_to_cents};
use edgecost_pricing::{Bill, Decimal, Meter, Usage};

use crate::engine::{AccountId, Engine};
use crate::error::{EngineError, Result};
use crate::ledger;
use crate::outlook::{self, P50_RANK, P90_RANK};
use crate::period::{Period, from_unix};
use crate::rating::{self, PeriodState};
use crate::spend_cap;
use crate::validate::PACKS_PER_PURCHASE_MAX;

/// The simulated periods of an outlook: (cost, bill, totals) sorted by cost, the simulated
/// rests of the period, and the days of history drawn from.
pub(crate) struct Simulated {
    pub outcomes: Vec<(Decimal, Bill, UsageTotals)>,
    pub rests: Vec<outlook::Day>,
    pub history_days: usize,
}

/// A cost-by-route report covers at most this many billing periods.
pub const ROUTE_COST_PERIODS_MAX: usize = 13;

impl Engine {
    /// The run-rate projection of the period's totals, and the span it is measured over.
    pub(crate) async fn projection(
        &self,
        account: &AccountId,
        s: &PeriodState,
        now: DateTime<Utc>,
    ) -> Result<(ProjectionBasis, UsageTotals)> {
        let first = self.store.first_usage_hour(&account.0, s.period.end.timestamp()).await?;
        let cap = self.spend_cap_not_reached(account, s).await?.map(ledger::to_cents).transpose()?;
        self.projection_from(account, s, first, cap, now).await
    }

    /// The account's spend cap when it is set and does not hold yet: projections stop at it.
    /// `None` without a cap, or while it holds (its limits are in the period's totals).
    pub(crate) async fn spend_cap_not_reached(&self, account: &AccountId, s: &PeriodState) -> Result<Option<Decimal>> {
        if s.totals.spend_cap.as_ref().is_some_and(|c| c.holds()) {
            return Ok(None);
        }
        Ok(self.store.controls(&account.0).await?.and_then(|c| c.spend_cap_cents).map(ledger::from_cents))
    }

    /// [`Engine::projection`] from the first usage hour before the period's end and the
    /// account's spend cap setting, already read.
    pub(crate) async fn projection_from(
        &self,
        account: &AccountId,
        s: &PeriodState,
        mut first: Option<i64>,
        spend_cap_cents: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<(ProjectionBasis, UsageTotals)> {
        let before = s.period.end.timestamp();
        let used = s.totals != UsageTotals::default();
        if first.is_none() && used {
            // Usage is counted in the ingest transaction and rolled up just after the answer:
            // catch up so the first usage hour is known.
            self.catch_up_rollups().await?;
            first = self.store.first_usage_hour(&account.0, before).await?;
        }
        let first = first.map(from_unix).or_else(|| used.then_some(s.period.start));
        let basis = rating::projection_basis(&s.period, first, now);
        let mut totals = rating::project(&self.book, &s.regions, &s.period, &basis)?;
        // What a hard cap refused stays refused however far usage runs.
        totals.refused_by_cap = s.totals.refused_by_cap.clone();
        // So does what the spend cap refused, and while it holds it refuses the rest too; a
        // cap not reached yet stops the projection where it would be.
        totals.spend_cap = s.totals.spend_cap.clone();
        let holds = totals.spend_cap.as_ref().is_some_and(|c| c.holds());
        let cap = if holds { None } else { spend_cap_cents };
        if let Some(cap_cents) = cap {
            totals = spend_cap::projected_under_cap(&self.book, s, &totals, ledger::from_cents(cap_cents), now)?;
        }
        Ok((basis, totals))
    }

    /// Every rateable tier priced for `projected` usage of this period: a higher tier as if
    /// upgraded today, a lower one as if the whole period had been on it (a downgrade takes
    /// effect next period), the current tier as it stands. The upgrade offered is the cheapest
    /// higher tier that does not cap the usage (ties to the lower tier); it is recommended only
    /// when it costs no more than staying, or the current tier caps the usage.
    ///
    /// `projected` is the run-rate projection as [`Engine::projection`] answers it. Every tier
    /// is priced under the account's spend cap when one is set and not reached yet, whether or
    /// not the current tier's run rate reaches it: a move's base fee can pass a cap the current
    /// tier stays under. Also gives that cap. The upgrade sheet and the notices' offer both
    /// price tiers here, so the offer a notice makes is the one its sheet opens on.
    pub(crate) async fn tier_quotes(
        &self,
        account: &AccountId,
        s: &PeriodState,
        projected: &UsageTotals,
        now: DateTime<Utc>,
    ) -> Result<(Vec<TierQuote>, Option<Decimal>)> {
        let cap = self.spend_cap_not_reached(account, s).await?;
        Ok((self.tier_quotes_under(s, projected, cap, now)?, cap))
    }

    /// [`Engine::tier_quotes`] under a spend cap of `cap` that does not hold yet (`None`
    /// without one, or when it holds already: its limits then carry over to every tier).
    /// Each tier's projection stops at the cap as the spend cap rule says, on that tier's own
    /// base fee shares: usage grows evenly from today's totals to the projected ones, and the
    /// cap is reached at the end of the last UTC day whose end costs at most the cap, or at
    /// once when the move alone puts the period's bill at or past it.
    fn tier_quotes_under(
        &self,
        s: &PeriodState,
        projected: &UsageTotals,
        cap: Option<Decimal>,
        now: DateTime<Utc>,
    ) -> Result<Vec<TierQuote>> {
        // The projection before any cap it has not reached yet: each tier stops it on its own.
        let projected = &match cap {
            Some(_) => UsageTotals { spend_cap: s.totals.spend_cap.clone(), ..projected.clone() },
            None => projected.clone(),
        };
        let credit_cents = s.paid_cents.checked_add(s.balance_cents).ok_or(EngineError::Overflow)?;
        let rank = |name: &str| self.book.tiers.iter().position(|t| t.name == name);
        let current_rank = rank(&s.tier);
        let current_label = self.book.tier(&s.tier).map_or(s.tier.as_str(), |t| t.display_name());
        // An upgrade today keeps refused what the current tier's cap refused so far.
        let upgraded = {
            let mut p = projected.clone();
            if let Some(from) = self.book.tier(&s.tier) {
                let refused = rating::refused_on_leaving(from, &s.totals)?;
                let by = s.totals.refused_by_cap.as_ref().map_or(s.tier.as_str(), |r| r.tier.as_str());
                p.refused_by_cap = rating::refused_usage(&refused, by);
            }
            p
        };
        let mut quotes = Vec::new();
        for tier in self.book.tiers.iter().filter(|t| t.is_rateable() && !t.custom) {
            let current = tier.name == s.tier;
            let higher = rank(&tier.name) > current_rank;
            let shares = if current {
                s.shares.clone()
            } else if higher {
                rating::shares_if_changed_today(&s.changes, &s.period, &tier.name, now)
            } else {
                Vec::new()
            };
            let credit = if tier.credit_packs && credit_cents > 0 { ledger::from_cents(credit_cents) } else { Decimal::ZERO };
            let (today, totals) = if higher {
                (UsageTotals { refused_by_cap: upgraded.refused_by_cap.clone(), ..s.totals.clone() }, upgraded.clone())
            } else {
                (s.totals.clone(), projected.clone())
            };
            let totals = match cap {
                Some(cap) => {
                    let on = spend_cap::CapTier { tier, shares: &shares, period: &s.period };
                    spend_cap::stopped_at_cap(&self.book, &on, &today, &totals, cap, now)?
                }
                None => totals,
            };
            let spend_capped_at = totals.spend_cap.as_ref().and_then(|c| c.capped_at);
            // What the period costs the moment an upgrade applies: the usage so far on it.
            let cost_at_change = if higher {
                let options = s.period.rate_options(Decimal::ZERO, shares.clone());
                Some(self.book.rate_totals(&tier.name, &today.usage(), &options)?.cost())
            } else {
                None
            };
            let options = s.period.rate_options(credit, shares);
            let projected = self.book.rate(&tier.name, &totals.usage(), &options)?;
            let projected_cost = projected.cost();
            let change = if current {
                None
            } else {
                let mut change = tier_move(tier, higher, &projected, s, current_label, now)?;
                change.cost_at_change = cost_at_change;
                Some(change)
            };
            quotes.push(TierQuote {
                tier: tier.name.clone(),
                label: tier.display_name().to_owned(),
                caps_usage: tier.hard_cap && projected.capped,
                current,
                upgrade: higher,
                offered: false,
                recommended: false,
                scheduled: s.scheduled.as_ref().is_some_and(|c| c.tier == tier.name),
                change,
                projected: projected.into(),
                projected_cost,
                spend_capped_at,
            });
        }
        let best = quotes
            .iter()
            .enumerate()
            .filter(|(_, q)| q.upgrade && !q.caps_usage)
            // `min_by_key` keeps the first of equal costs: ties go to the lower tier.
            .min_by_key(|(_, q)| q.projected_cost)
            .map(|(i, _)| i);
        if let Some(i) = best {
            quotes[i].offered = true;
            let staying = quotes.iter().find(|q| q.current);
            let worth_it = staying.is_none_or(|c| c.caps_usage || quotes[i].projected_cost <= c.projected_cost);
            quotes[i].recommended = worth_it;
        }
        Ok(quotes)
    }

    /// Every tier priced for this period's projected usage and the recommended upgrade, with
    /// today's prorated base fee of that tier.
    pub async fn upgrade_quote(&self, account: &AccountId, now: DateTime<Utc>) -> Result<UpgradeQuote> {
        let s = self.period_state(account, now).await?;
        let (basis, projected) = self.projection(account, &s, now).await?;
        let (tiers, spend_cap) = self.tier_quotes(account, &s, &projected, now).await?;
        let spend_cap = match &s.totals.spend_cap {
            Some(c) if c.holds() => c.cap,
            _ => spend_cap,
        };
        let current = tiers.iter().find(|t| t.current).ok_or_else(|| EngineError::NegotiatedTier { tier: s.tier.clone() })?;
        let offered = tiers.iter().find(|t| t.offered);
        let (prorated_base_fee, prorated_explanation, saving) = match offered {
            Some(r) => {
                let change = r.change.as_ref().ok_or(EngineError::Overflow)?;
                let saving = current.projected_cost.checked_sub(r.projected_cost).ok_or(EngineError::Overflow)?;
                (change.base_fee_today, Some(change.explanation.clone()), Some(saving))
            }
            None => (None, None, None),
        };
        Ok(UpgradeQuote {
            current_tier: s.tier.clone(),
            basis,
            upgrade_to: offered.map(|r| r.tier.clone()),
            recommended: tiers.iter().find(|t| t.recommended).map(|r| r.tier.clone()),
            prorated_base_fee,
            prorated_explanation,
            saving,
            tiers,
            spend_cap,
        })
    }

    /// What buying `packs` burst credit packs pays for at this period's run rate.
    pub async fn credits_quote(&self, account: &AccountId, packs: u32, now: DateTime<Utc>) -> Result<CreditsQuote> {
        if packs == 0 || packs > PACKS_PER_PURCHASE_MAX {
            return Err(EngineError::InvalidPackCount { packs, max: PACKS_PER_PURCHASE_MAX });
        }
        let s = self.period_state(account, now).await?;
        if let Some(refusal) = ledger::packs_refusal(&self.book, &s.tier, s.scheduled.as_ref().map(|c| c.tier.as_str())) {
            return Err(refusal);
        }
        let (basis, projected) = self.projection(account, &s, now).await?;
        let pack = &self.book.credit_pack;
        let count = Decimal::from(packs);
        let total_price = pack.price.checked_mul(count).ok_or(EngineError::Overflow)?;
        let credit_added = pack.credit.checked_mul(count).ok_or(EngineError::Overflow)?;
        let balance_now = ledger::from_cents(s.balance_cents);
        let available = balance_now.checked_add(credit_added).ok_or(EngineError::Overflow)?;
        let paid = ledger::from_cents(s.paid_cents);

        // Overage before any credit, now and at the end of each remaining day of the period,
        // with usage growing linearly from the totals to the projection.
        let overage_at = |usage: &Usage| -> Result<Decimal> {
            let options = s.period.rate_options(Decimal::ZERO, s.shares.clone());
            Ok(self.book.rate_totals(&s.tier, usage, &options)?.overage_total)
        };
        let (totals, end) = (s.totals.usage(), projected.usage());
        let overage_now = overage_at(&totals)?;
        let unpaid_now = overage_now.checked_sub(paid).ok_or(EngineError::Overflow)?.max(Decimal::ZERO);
        let balance_after = available.checked_sub(unpaid_now).ok_or(EngineError::Overflow)?.max(Decimal::ZERO);
        let projected_overage = overage_at(&end)?;
        let days_left = s.period.days_left(now);
        let growth = Usage {
            requests: end.requests.checked_sub(totals.requests).ok_or(EngineError::Overflow)?.max(Decimal::ZERO),
            egress_bytes: end.egress_bytes.checked_sub(totals.egress_bytes).ok_or(EngineError::Overflow)?.max(Decimal::ZERO),
            compute_seconds: end.compute_seconds.checked_sub(totals.compute_seconds).ok_or(EngineError::Overflow)?.max(Decimal::ZERO),
        };
        let mut runs_out_after = None;
        // Bounded by the period's length: at most 31 ratings.
        for d in 1..=days_left {
            let share = Decimal::from(d) / Decimal::from(days_left);
            let usage = growth.scaled(share).and_then(|g| totals.checked_add(&g)).ok_or(EngineError::Overflow)?;
            let owed = overage_at(&usage)?.checked_sub(paid).ok_or(EngineError::Overflow)?;
            if owed > available {
                runs_out_after = Some(d);
                break;
            }
        }
        let overage_per_day = if days_left == 0 {
            Decimal::new(0, 2)
        } else {
            let grown = projected_overage.checked_sub(overage_now).ok_or(EngineError::Overflow)?.max(Decimal::ZERO);
            round_to_cents(grown / Decimal::from(days_left))
        };
        let owed_at_end = projected_overage.checked_sub(paid).ok_or(EngineError::Overflow)?.max(Decimal::ZERO);
        let projected_carry_over = available.checked_sub(owed_at_end).ok_or(EngineError::Overflow)?.max(Decimal::ZERO);
        // The credit lasts the whole days before the day whose overage exceeds it.
        let covers_days = runs_out_after.map(|d| d - 1);
        let runs_out_on = match covers_days {
            Some(days) => Some(now.date_naive().checked_add_days(Days::new(u64::from(days))).ok_or(EngineError::Overflow)?),
            None => None,
        };
        Ok(CreditsQuote {
            packs,
            packs_max: PACKS_PER_PURCHASE_MAX,
            pack_price: round_to_cents(pack.price),
            total_price: round_to_cents(total_price),
            credit_added: round_to_cents(credit_added),
            balance_now: round_to_cents(balance_now),
            balance_after: round_to_cents(balance_after),
            overage_per_day: round_to_cents(overage_per_day),
            projected_overage: round_to_cents(projected_overage),
            projected_carry_over: round_to_cents(projected_carry_over),
            covers_days,
            runs_out_on,
            basis,
        })
    }

    /// The simulated outlook of the period (P50 and P90 of 1,000 simulated periods), or why
    /// there is none.
    pub async fn outlook(&self, account: &AccountId, now: DateTime<Utc>) -> Result<OutlookReport> {
        let s = self.period_state(account, now).await?;
        let Simulated { outcomes, rests, history_days } = match self.simulated(account, &s, now).await? {
            Ok(simulated) => simulated,
            Err(why) => return Ok(OutlookReport { as_of: now, outlook: None, unavailable: Some(why.sentence()) }),
        };
        let at = |rank: usize| {
            let (cost, bill, totals) = outcomes[rank - 1].clone();
            SimulatedBill { bill: bill.into(), cost, spend_capped_at: totals.spend_cap.and_then(|c| c.capped_at) }
        };
        let p90_rest = outlook::rest_p90_per_meter(&rests);
        let p90_totals = p90_rest.after(&s.totals).ok_or(EngineError::Overflow)?;
        Ok(OutlookReport {
            as_of: now,
            outlook: Some(Outlook {
                simulations: u32::try_from(rests.len()).unwrap_or(u32::MAX),
                history_days: u32::try_from(history_days).unwrap_or(u32::MAX),
                p50: at(P50_RANK),
                p90: at(P90_RANK),
                p90_totals,
            }),
            unavailable: None,
        })
    }

    /// The period's simulated outcomes, sorted by cost (equal costs keep their simulation
    /// order, so the figures never flicker), each with its bill and totals; or why there are
    /// none.
    pub(crate) async fn simulated(
        &self,
        account: &AccountId,
        s: &PeriodState,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<Simulated, outlook::NoOutlook>> {
        let (from, to) = outlook::history_span(now);
        let query = UsageQuery { from, to, granularity: Granularity::Day, group_by: UsageGrouping::Region };
        let history = self.usage(account, &query).await?;
        let (rests, history_days) = match outlook::simulate_rests(&self.book, &history, s.period.end, now) {
            Ok(r) => r,
            Err(why) => return Ok(Err(why)),
        };
        let credit_cents = s.paid_cents.checked_add(s.balance_cents).ok_or(EngineError::Overflow)?;
        // A spend cap not reached yet stops each simulated period as it stops the run rate.
        let cap = self.spend_cap_not_reached(account, s).await?;
        let mut outcomes = Vec::with_capacity(rests.len());
        for rest in &rests {
            let mut totals = rest.after(&s.totals).ok_or(EngineError::Overflow)?;
            if let Some(cap) = cap {
                totals = spend_cap::projected_under_cap(&self.book, s, &totals, cap, now)?;
            }
            let bill = self.rate(&s.tier, &totals, credit_cents, s)?;
            outcomes.push((bill.cost(), bill, totals));
        }
        outcomes.sort_by_key(|o| o.0);
        Ok(Ok(Simulated { outcomes, rests, history_days }))
    }

    /// The overage of every billing period that `[from, to)` touches, attributed to routes.
    pub async fn route_costs(
        &self,
        account: &AccountId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<RouteCostReport> {
        if from >= to {
            return Err(EngineError::InvalidUsageQuery { reason: "from must be before to".into() });
        }
        let mut periods = Vec::new();
        let mut period = Period::containing(from);
        while period.start < to && period.start <= now {
            if periods.len() == ROUTE_COST_PERIODS_MAX {
                return Err(EngineError::InvalidUsageQuery {
                    reason: format!("cost by route covers at most {ROUTE_COST_PERIODS_MAX} billing periods"),
                });
            }
            periods.push(period);
            period = period.next();
        }
        self.catch_up_rollups().await?;
        let current = self.period_state(account, now).await?;
        let mut report = Vec::with_capacity(periods.len());
        for period in periods {
            let open = period == current.period;
            let state = if open { None } else { Some(self.closed_period_state(account, &current, period).await?) };
            let s = state.as_ref().unwrap_or(&current);
            let bill = self.rate(&s.tier, &s.totals, 0, s)?;
            let projected = if open {
                let (_, totals) = self.projection(account, s, now).await?;
                Some(self.rate(&s.tier, &totals, 0, s)?)
            } else {
                None
            };
            let usage = self.store.route_region_usage(&account.0, period.start_unix(), period.end.timestamp()).await?;
            let routes = self.attribute_to_routes(&usage, &bill, projected.as_ref())?;
            // A period that ended before the account existed billed nothing, base fee included.
            let billed = open || rating::tier_at(&current.changes, period.end - Duration::seconds(1)).is_some();
            let (base_fee, cost) = if billed { (bill.base_fee, bill.cost()) } else { (Decimal::new(0, 2), bill.overage_total) };
            report.push(PeriodRouteCosts {
                start: period.start,
                end: period.end,
                tier: s.tier.clone(),
                closed: !open,
                overage: bill.overage_total,
                projected_overage: projected.as_ref().map(|p| p.overage_total),
                base_fee,
                cost,
                projected_cost: projected.as_ref().map(|p| p.cost()),
                routes,
            });
        }
        Ok(RouteCostReport { as_of: now, periods: report })
    }

    /// The state of a past period as its final bill rates it: the tier at its end, its own
    /// base fee shares and counters. Credit plays no part in cost by route.
    pub(crate) async fn closed_period_state(&self, account: &AccountId, current: &PeriodState, period: Period) -> Result<PeriodState> {
        let last_second = period.end - Duration::seconds(1);
        let tier = rating::tier_at(&current.changes, last_second);
        let Some(tier) = tier else {
            // Before the account existed: nothing was billed.
            return Ok(PeriodState {
                tier: current.tier.clone(),
                period,
                regions: Vec::new(),
                totals: UsageTotals::default(),
                shares: Vec::new(),
                paid_cents: 0,
                balance_cents: 0,
                ..current.clone()
            });
        };
        let regions = self.store.period_usage(&account.0, period.start_unix()).await?;
        let mut totals = rating::totals(&self.book, &regions)?;
        totals.refused_by_cap = rating::refused_in(&current.changes, &period, last_second);
        totals.spend_cap = crate::spend_cap::state_of(self.store.spend_cap(&account.0, period.start_unix()).await?.as_ref())?;
        Ok(PeriodState {
            tier: tier.to_owned(),
            period,
            totals,
            regions,
            shares: rating::base_fee_shares(&current.changes, &period, last_second),
            paid_cents: 0,
            balance_cents: 0,
            ..current.clone()
        })
    }

    fn attribute_to_routes(
        &self,
        usage: &[crate::store::RouteRegionCounters],
        bill: &Bill,
        projected: Option<&Bill>,
    ) -> Result<Vec<RouteCost>> {
        // Billable use per route and meter: [requests, egress, compute], egress weighted by region.
        let mut routes: Vec<(String, [Decimal; 3])> = Vec::new();
        for r in usage {
            let weight = self.book.region_weight(&r.region).unwrap_or(Decimal::ONE);
            let c = &r.counters;
            let row = [
                Decimal::from(c.requests.max(0)),
                Decimal::from(c.egress_bytes.max(0)).checked_mul(weight).ok_or(EngineError::Overflow)?,
                Decimal::from(c.compute_ms.max(0)),
            ];
            match routes.last_mut() {
                Some((route, sums)) if *route == r.route => {
                    for (sum, v) in sums.iter_mut().zip(row) {
                        *sum = sum.checked_add(v).ok_or(EngineError::Overflow)?;
                    }
                }
                _ => routes.push((r.route.clone(), row)),
            }
        }
        let split = |bill: &Bill| -> Result<Vec<Decimal>> {
            let mut costs = vec![Decimal::new(0, 2); routes.len()];
            for (column, meter) in [Meter::Requests, Meter::Egress, Meter::Compute].into_iter().enumerate() {
                let amount = bill.lines.iter().find(|l| l.meter == meter).map_or(Decimal::ZERO, |l| l.amount);
                let weights: Vec<Decimal> = routes.iter().map(|(_, w)| w[column]).collect();
                let shares = edgecost_planner::allocate_cents(amount, &weights).map_err(|_| EngineError::Overflow)?;
                for (cost, share) in costs.iter_mut().zip(shares) {
                    *cost = cost.checked_add(share).ok_or(EngineError::Overflow)?;
                }
            }
            Ok(costs)
        };
        let costs = split(bill)?;
        let projected_costs = projected.map(split).transpose()?;
        let mut out: Vec<RouteCost> = routes
            .iter()
            .enumerate()
            .map(|(i, (route, _))| RouteCost {
                route: route.clone(),
                cost: costs[i],
                projected_cost: projected_costs.as_ref().map(|p| p[i]),
            })
            .collect();
        out.sort_by(|a, b| b.projected_cost.unwrap_or(b.cost).cmp(&a.projected_cost.unwrap_or(a.cost)).then(a.route.cmp(&b.route)));
        Ok(out)
    }
}

/// What moving to `tier` does: a higher tier applies now and charges its base fee from today
/// (`projected` is its bill as if changed today), a lower one applies from the next period.
fn tier_move(
    tier: &edgecost_pricing::Tier,
    higher: bool,
    projected: &Bill,
    s: &PeriodState,
    current_label: &str,
    now: DateTime<Utc>,
) -> Result<TierMove> {
    if higher {
        let (fee, explanation) = match projected.base_fee_lines.iter().rev().find(|l| l.tier == tier.name) {
            Some(line) => (line.amount, format!("{} (from today, {})", line.explanation, now.format("%b %-d"))),
            None => (projected.base_fee, format!("{} for the whole period", money_in(projected.base_fee, &projected.currency))),
        };
        return Ok(TierMove {
            effective_at: now,
            immediate: true,
            base_fee_today: Some(fee),
            explanation,
            refused_code: None,
            refused_reason: None,
            cost_at_change: None,
        });
    }
    let refusal = ledger::downgrade_refusal(tier, s.balance_cents, &projected.currency);
    let explanation = format!(
        "Applies from {}, the start of the next period; this period stays on {} and is billed as it is.",
        s.period.end.format("%b %-d, %Y"),
        current_label,
    );
    Ok(TierMove {
        effective_at: s.period.end,
        immediate: false,
        base_fee_today: None,
        explanation,
        refused_code: refusal.as_ref().map(|e| e.code().to_owned()),
        refused_reason: refusal.map(|e| match e {
            EngineError::CreditsHeld { balance, .. } => format!(
                "{} takes no burst credit and the account holds {balance}; the downgrade can be scheduled once that credit is spent.",
                tier.display_name()
            ),
            other => other.to_string(),
        }),
        cost_at_change: None,
    })
}
