//! The simulated outlook of the period and the quotes the app shows before an upgrade or a
//! credit purchase. The engine computes every figure here; clients only format them.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::account::{ProjectionBasis, UsageTotals};
use crate::bill::Bill;

/// One percentile of the simulated end-of-period outcomes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct SimulatedBill {
    /// The bill of that simulated period, rated exactly with the account's price book, with
    /// the period's credit (spent and held) applied.
    pub bill: Bill,
    /// What that period costs before credit: base fee + overage.
    #[ts(type = "string")]
    pub cost: Decimal,
    /// When the spend cap stops that simulated period: the end of the last UTC day whose end
    /// costs at most the cap (usage that would cost more is refused from then), or when the
    /// cap was reached if it holds already. `None` without a cap, or when the period stays
    /// under it.
    #[serde(default)]
    pub spend_capped_at: Option<DateTime<Utc>>,
}

/// The simulated outlook of the period: the rest of the period simulated [`Outlook::simulations`]
/// times by drawing whole days, with replacement, from the account's recent complete days (a
/// bootstrap), each outcome rated exactly. P50 and P90 are the median and the 90th percentile
/// of those outcomes' costs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct Outlook {
    /// How many periods were simulated (1,000).
    pub simulations: u32,
    /// Days of history the simulation drew from.
    pub history_days: u32,
    /// Half of the simulated periods cost this or less.
    pub p50: SimulatedBill,
    /// Nine in ten of the simulated periods cost this or less.
    pub p90: SimulatedBill,
    /// Each meter's own 90th percentile of its end-of-period total (for usage charts; the
    /// meters are ranked separately, so these totals are not one simulated period).
    pub p90_totals: UsageTotals,
}

/// `GET /v1/account/outlook`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct OutlookReport {
    /// The instant the outlook was computed at.
    pub as_of: DateTime<Utc>,
    /// `None` with `unavailable` saying why (too little history, the period has ended).
    pub outlook: Option<Outlook>,
    /// One sentence for people saying why there is no outlook (fewer than 7 days of usage,
    /// say); `None` when there is one.
    pub unavailable: Option<String>,
}

/// One tier priced for this period's projected usage, as if changed to today.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct TierQuote {
    /// The tier, as the price book names it (`production`).
    pub tier: String,
    /// The tier's name for people (`Production`): its label in the price book, or its name.
    pub label: String,
    /// The projected bill on this tier, with the period's credit applied where the tier
    /// takes packs.
    pub projected: Bill,
    /// What the period would cost on this tier before credit: base fee + overage.
    #[ts(type = "string")]
    pub projected_cost: Decimal,
    /// The tier would cap this usage (the sandbox past a quota): never recommended.
    pub caps_usage: bool,
    /// The account is on this tier now.
    pub current: bool,
    /// Moving here applies at once (a higher tier) rather than next period. A higher tier is
    /// priced as if upgraded today; a lower one as if the whole period had been on it.
    pub upgrade: bool,
    /// The upgrade offered: the cheapest higher tier that does not cap the usage.
    pub offered: bool,
    /// The offered upgrade costs no more than staying (or the current tier caps the usage).
    pub recommended: bool,
    /// A downgrade to this tier is scheduled for the next period.
    pub scheduled: bool,
    /// What moving to this tier would do; `None` for the current tier.
    pub change: Option<TierMove>,
    /// When the spend cap stops this tier's projection: the end of the last UTC day whose
    /// end costs at most the cap, or now when the move alone puts the period's bill at or
    /// past it (usage that would cost more is refused from then), or when the cap was
    /// reached if it holds already. `None` without a cap, or when the projection stays under
    /// it.
    #[serde(default)]
    pub spend_capped_at: Option<DateTime<Utc>>,
}

/// What moving to a tier would do: an upgrade applies at once with today's prorated base fee,
/// a downgrade from the next period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct TierMove {
    /// Now for a higher tier; the next period's start for a lower one.
    pub effective_at: DateTime<Utc>,
    /// True for a higher tier, which applies at once and rates this whole period on it.
    pub immediate: bool,
    /// A higher tier's base fee from today to the period's end (the whole period's fee for an
    /// account that has not been billed a base fee yet this period).
    #[ts(type = "string | null")]
    pub base_fee_today: Option<Decimal>,
    /// One sentence for people: when the move applies and what it charges.
    pub explanation: String,
    /// The error code the engine would answer if the move were asked for now
    /// (`credits_held`: a tier without burst packs while credit is held); `None` when it
    /// would be accepted.
    pub refused_code: Option<String>,
    /// One sentence for people saying why the move would be refused and what would allow
    /// it; `None` when it would be accepted.
    pub refused_reason: Option<String>,
    /// For a higher tier: what the period costs the moment the move applies, before credit
    /// (the usage so far on the new tier, with the base fee shares of a change today).
    /// `None` for a lower tier, which changes nothing this period.
    #[ts(type = "string | null")]
    #[serde(default)]
    pub cost_at_change: Option<Decimal>,
}

/// `GET /v1/account/upgrade-quote`: every rateable tier for this period's projected usage
/// and the recommended upgrade: the cheapest higher tier that does not cap the usage (ties
/// go to the lower tier).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct UpgradeQuote {
    /// The tier the account is on now.
    pub current_tier: String,
    /// What the projection every tier is priced for rests on.
    pub basis: ProjectionBasis,
    /// Every rateable tier, in the price book's order (smallest first).
    pub tiers: Vec<TierQuote>,
    /// The upgrade offered; `None` when no higher tier would leave the usage uncapped (on
    /// the last tier, say).
    pub upgrade_to: Option<String>,
    /// The offered upgrade when it costs no more than staying (or the current tier caps the
    /// usage); `None` when staying is cheaper.
    pub recommended: Option<String>,
    /// The offered tier's base fee from today to the period's end; `None` without an offer.
    #[ts(type = "string | null")]
    pub prorated_base_fee: Option<Decimal>,
    /// How `prorated_base_fee` was worked out ("$79.00 x 20 of 30 days (from today, Nov
    /// 11)"); `None` without an offer.
    pub prorated_explanation: Option<String>,
    /// Current projected cost minus the offered tier's, before credit: positive saves money.
    /// `None` without an offer.
    #[ts(type = "string | null")]
    pub saving: Option<Decimal>,
    /// The spend cap every tier is priced under (each projection stops at it as the spend cap
    /// rule says); `None` without a cap.
    #[ts(type = "string | null")]
    #[serde(default)]
    pub spend_cap: Option<Decimal>,
}

/// `GET /v1/account/credits/quote?packs=N`: what buying `packs` burst packs pays for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct CreditsQuote {
    /// Packs quoted.
    pub packs: u32,
    /// The most packs one purchase may buy ([`crate::MAX_PACKS_PER_PURCHASE`]).
    pub packs_max: u32,
    /// What one pack costs.
    #[ts(type = "string")]
    pub pack_price: Decimal,
    /// What the quoted packs cost together.
    #[ts(type = "string")]
    pub total_price: Decimal,
    /// Credit the quoted packs add, at face value.
    #[ts(type = "string")]
    pub credit_added: Decimal,
    /// The credit balance now, before the purchase.
    #[ts(type = "string")]
    pub balance_now: Decimal,
    /// The balance once the credit has paid this period's overage so far.
    #[ts(type = "string")]
    pub balance_after: Decimal,
    /// Overage added per day at the run rate, before credit: the projected overage growth
    /// over the days left, to the cent.
    #[ts(type = "string")]
    pub overage_per_day: Decimal,
    /// Overage projected for the whole period at the run rate, before credit.
    #[ts(type = "string")]
    pub projected_overage: Decimal,
    /// Credit left at period end at the run rate; it carries over to the next period.
    #[ts(type = "string")]
    pub projected_carry_over: Decimal,
    /// Whole days the credit covers before it runs out; `None` when it lasts the period.
    pub covers_days: Option<u32>,
    /// The day the credit runs out at the run rate; `None` when it lasts the period.
    pub runs_out_on: Option<NaiveDate>,
    /// What the run rate rests on.
    pub basis: ProjectionBasis,
}

/// One route's share of one period's overage charges.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct RouteCost {
    /// The route as the edge nodes report it (`/api/orders`).
    pub route: String,
    /// The route's share of the period's overage so far (for a closed period, of its final
    /// overage), before credit.
    #[ts(type = "string")]
    pub cost: Decimal,
    /// The route's share of the projected overage at period end; `None` once the period has
    /// ended.
    #[ts(type = "string | null")]
    pub projected_cost: Option<Decimal>,
}

/// The overage of one billing period attributed to its routes. Each meter's overage line is
/// split over the routes by their billable use of that meter (requests, compute seconds,
/// region-weighted egress bytes) in whole cents by the largest remainder method, so the
/// routes add up to the bill's overage lines to the cent. The base fee is not attributed; it is
/// given beside the routes, with what the whole period costs, so the routes' overage is never
/// read as the period's cost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct PeriodRouteCosts {
    /// The period's first instant (the 1st, 00:00 UTC).
    pub start: DateTime<Utc>,
    /// The first instant after the period (the 1st of the next month, 00:00 UTC).
    pub end: DateTime<Utc>,
    /// The tier in effect at the end of the period (now, for the open period).
    pub tier: String,
    /// The period has ended: its figures are final.
    pub closed: bool,
    /// The period's overage before credit: to date for the open period.
    #[ts(type = "string")]
    pub overage: Decimal,
    /// The open period's projected overage at period end, before credit; `None` once the
    /// period has ended.
    #[ts(type = "string | null")]
    pub projected_overage: Option<Decimal>,
    /// The period's base fee (every tier's share by day), which no route carries.
    #[ts(type = "string")]
    pub base_fee: Decimal,
    /// What the period costs before credit, base fee + overage: to date for the open period.
    #[ts(type = "string")]
    pub cost: Decimal,
    /// What the open period is projected to cost at period end, base fee + projected
    /// overage, before credit; `None` once the period has ended.
    #[ts(type = "string | null")]
    pub projected_cost: Option<Decimal>,
    /// The routes, the most expensive first.
    pub routes: Vec<RouteCost>,
}

/// `GET /v1/account/route-costs?from=&to=`: every billing period the span touches, whole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct RouteCostReport {
    /// The instant the figures were computed at: the open period's are to this instant.
    pub as_of: DateTime<Utc>,
    /// Oldest first.
    pub periods: Vec<PeriodRouteCosts>,
}

/// The query of `GET /v1/account/credits/quote`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CreditsQuoteQuery {
    /// Packs to quote, 1 to 100.
    pub packs: u32,
}

/// The query of `GET /v1/account/route-costs`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RouteCostQuery {
    /// Start, RFC 3339 UTC, inclusive.
    pub from: DateTime<Utc>,
    /// End, RFC 3339 UTC, exclusive.
    pub to: DateTime<Utc>,
}
