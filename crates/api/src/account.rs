//! The account overview, the bill to date with what its projection rests on, and tier changes.

use chrono::{DateTime, Utc};
use edgecost_pricing::Usage;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::bill::Bill;
use crate::notices::Notice;

/// A billing period: one calendar month in UTC, `[start, end)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct BillingPeriod {
    /// The 1st of the month at 00:00 UTC, the first instant of the period.
    pub start: DateTime<Utc>,
    /// The 1st of the next month at 00:00 UTC, the first instant after the period.
    pub end: DateTime<Utc>,
    /// Days in the month.
    pub days: u32,
    /// Today's day of the month, 1-based.
    pub day: u32,
    /// Days after today until the period ends.
    pub days_left: u32,
}

/// Usage counters summed over a span. `billable_egress_bytes` weighs each region's bytes by
/// the price book's region weight; the bill rates that figure.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct UsageTotals {
    /// Requests served, as measured.
    #[ts(type = "number")]
    pub requests: u64,
    /// Raw egress bytes over all regions, before region weights.
    #[ts(type = "number")]
    pub egress_bytes: u64,
    /// Egress bytes weighted by region (a decimal string; a GB is 10^9 of them): what the
    /// egress meter, its quota and the bill count.
    #[ts(type = "string")]
    pub billable_egress_bytes: Decimal,
    /// Compute time in milliseconds; the bill rates it in seconds.
    #[ts(type = "number")]
    pub compute_ms: u64,
    /// Usage a hard-capped tier refused earlier in the period (the sandbox past its quota):
    /// measured and shown in the counters above, never billed, also after an upgrade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub refused_by_cap: Option<RefusedUsage>,
    /// The account's spend cap this period: what it refuses while it holds and what it
    /// refused before it was raised or removed. Measured and shown above, never billed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub spend_cap: Option<SpendCapUsage>,
}

/// Amounts of the three meters in the counters' units (billable egress in weighted bytes).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct MeterAmounts {
    /// Requests.
    #[ts(type = "number")]
    pub requests: u64,
    /// Compute time in milliseconds.
    #[ts(type = "number")]
    pub compute_ms: u64,
    /// Region-weighted egress bytes, as a decimal string.
    #[ts(type = "string")]
    pub billable_egress_bytes: Decimal,
}

/// What a spend cap does to a period's usage (see "Spend cap" in the billing rules).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct SpendCapUsage {
    /// When the cap was reached; `None` while it is not.
    pub capped_at: Option<DateTime<Utc>>,
    /// The cap that was reached; `None` while it is not.
    #[ts(type = "string | null")]
    pub cap: Option<Decimal>,
    /// While the cap holds: the measured requests past which requests are refused. `None`
    /// while the cap does not hold, or when the tier bills nothing for requests.
    #[ts(type = "number | null")]
    pub limit_requests: Option<u64>,
    /// While the cap holds: the measured compute milliseconds past which compute is refused
    /// (whole milliseconds, rounded down). `None` as for `limit_requests`.
    #[ts(type = "number | null")]
    pub limit_compute_ms: Option<u64>,
    /// While the cap holds: the measured region-weighted egress bytes past which egress is
    /// refused. `None` as for `limit_requests`.
    #[ts(type = "string | null")]
    pub limit_billable_egress_bytes: Option<Decimal>,
    /// Usage refused this period by a cap since raised or removed.
    pub refused_earlier: MeterAmounts,
}

impl SpendCapUsage {
    /// Whether the cap holds now.
    pub fn holds(&self) -> bool {
        self.capped_at.is_some()
    }

    /// What the cap refuses of `measured`: what it refused earlier, plus each meter's usage
    /// past its limit while it holds.
    pub fn refused(&self, measured: &UsageTotals) -> MeterAmounts {
        let past = |used: u64, limit: Option<u64>| limit.map_or(0, |l| used.saturating_sub(l));
        let past_egress =
            self.limit_billable_egress_bytes.map_or(Decimal::ZERO, |l| (measured.billable_egress_bytes - l).max(Decimal::ZERO));
        MeterAmounts {
            requests: self.refused_earlier.requests.saturating_add(past(measured.requests, self.limit_requests)),
            compute_ms: self.refused_earlier.compute_ms.saturating_add(past(measured.compute_ms, self.limit_compute_ms)),
            billable_egress_bytes: self.refused_earlier.billable_egress_bytes + past_egress,
        }
    }
}

/// Usage refused by a hard cap: what the tier that refused it had counted past its quota
/// when the account left it. Billable egress is in weighted bytes, rounded up to a whole byte.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct RefusedUsage {
    /// The hard-capped tier that refused it.
    pub tier: String,
    /// Requests refused, exactly.
    #[ts(type = "number")]
    pub requests: u64,
    /// Compute milliseconds refused, exactly.
    #[ts(type = "number")]
    pub compute_ms: u64,
    /// Region-weighted egress bytes refused, rounded up to a whole byte.
    #[ts(type = "string")]
    pub billable_egress_bytes: Decimal,
}

impl UsageTotals {
    /// The usage the pricing core rates for these totals: egress weighted by region, compute
    /// in seconds, less what a hard cap and the spend cap refused.
    pub fn usage(&self) -> Usage {
        let refused = self.refused_by_cap.clone().unwrap_or_default();
        let by_spend_cap = self.spend_cap.as_ref().map(|c| c.refused(self)).unwrap_or_default();
        let requests = self.requests.saturating_sub(refused.requests).saturating_sub(by_spend_cap.requests);
        let compute_ms = self.compute_ms.saturating_sub(refused.compute_ms).saturating_sub(by_spend_cap.compute_ms);
        Usage {
            requests: Decimal::from(requests),
            egress_bytes: (self.billable_egress_bytes - refused.billable_egress_bytes - by_spend_cap.billable_egress_bytes)
                .max(Decimal::ZERO),
            // Exact: dividing by a power of ten only moves the decimal point.
            compute_seconds: Decimal::from(compute_ms) / Decimal::from(1000u32),
        }
    }
}

/// A downgrade waiting for the next period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct ScheduledTierChange {
    /// The lower tier the account moves to.
    pub tier: String,
    /// When it applies: the start of the next period.
    pub effective_at: DateTime<Utc>,
}

/// `GET /v1/account`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct AccountSummary {
    /// The account's id (`acct_` and 20 hex digits for accounts created by `edgecost admin`).
    pub account_id: String,
    /// The account's display name, as given when it was created.
    pub name: String,
    /// The tier in effect now.
    pub tier: String,
    /// A downgrade waiting for the next period; `None` when none is scheduled.
    pub scheduled_tier: Option<ScheduledTierChange>,
    /// The open billing period.
    pub period: BillingPeriod,
    /// Usage so far this period.
    pub totals: UsageTotals,
    /// Unspent burst credit.
    #[ts(type = "string")]
    pub credit_balance: Decimal,
    /// Open notices of this period.
    pub notices: Vec<Notice>,
}

/// `GET /v1/account/bill`: the bill to date and the projected bill at period end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct BillToDate {
    /// The instant the bill and the projection were computed at.
    pub as_of: DateTime<Utc>,
    /// The open billing period.
    pub period: BillingPeriod,
    /// Usage so far this period, as measured (what caps refused included).
    pub totals: UsageTotals,
    /// What is left to invoice for the usage so far: the same bill `edgecost bill` prints for
    /// these totals, with the credits already spent on this period's overage applied.
    pub bill: Bill,
    /// What the period has cost so far before credit: base fee + overage.
    #[ts(type = "string")]
    pub cost: Decimal,
    /// The totals at period end if usage continues at the run rate `basis` describes.
    pub projected_totals: UsageTotals,
    /// The bill for `projected_totals`, with the period's credit (spent and held) applied.
    pub projected: Bill,
    /// What the period is projected to cost before credit: base fee + overage. Credit the
    /// account already holds was paid for when it was bought, so it pays part of this cost
    /// (`projected.credits_applied`) without lowering it.
    #[ts(type = "string")]
    pub projected_cost: Decimal,
    /// The span the run rate is measured over.
    pub basis: ProjectionBasis,
}

/// `POST /v1/account/tier`, sent with an `Idempotency-Key` header naming the change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ts_rs::TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierChangeRequest {
    /// The tier to move to, as the price book names it (`production`).
    #[schemars(length(min = 1))]
    pub tier: String,
}

/// The outcome of a tier change: an upgrade applies at once, a downgrade next period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct TierChange {
    /// The tier in effect before the change.
    pub previous_tier: String,
    /// The tier asked for.
    pub tier: String,
    /// When the new tier applies: now for an upgrade, the start of the next period for a
    /// downgrade.
    pub effective_at: DateTime<Utc>,
    /// True for an upgrade, which rates this whole period on the new tier.
    pub immediate: bool,
}

/// The span a run-rate projection is measured over.
///
/// The run rate is the usage so far divided by the time it covers: from the later of the
/// period start and the start of the hour of the account's first recorded usage, to now
/// (at least one hour). An established account is measured from the period start, a new or
/// backfilled one from its first usage window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct ProjectionBasis {
    /// Start of the measured span; `None` when the account has no usage yet.
    pub measured_from: Option<DateTime<Utc>>,
    /// Length of the measured span in seconds (0 without usage).
    #[ts(type = "number")]
    pub measured_seconds: u64,
    /// True when the usage covers less than [`SHORT_HISTORY_SECONDS`]: the projection is a
    /// rough guess, shown with that caveat, and nothing is pre-filled from it.
    pub short_history: bool,
    /// One sentence for people: what the projection rests on.
    pub explanation: String,
}

/// Usage covering less than this many seconds (one day) makes a projection a rough guess.
pub const SHORT_HISTORY_SECONDS: u64 = 86_400;
