//! The spend cap: once the period's spend to date (base fee + overage, before credit) reaches
//! the cap an owner set, usage that would cost more is refused and never billed.
//!
//! The rule, as `docs/billing-rules.md` states it:
//! - The cap is checked as each batch is stored. When the batch takes the spend past the cap,
//!   the account is capped as it stood before the batch; when it takes the spend exactly to
//!   the cap, as it stands after it. So the spend never passes the cap through usage.
//! - Capping fixes, for every meter the tier bills overage for, a limit on the measured usage:
//!   the usage at that point plus what is left of the meter's included quantity. Usage past a
//!   limit is refused: measured and shown, never billed. A meter the tier bills nothing for is
//!   never refused.
//! - Raising or removing the cap lifts it at once: what it refused so far stays refused, and
//!   usage from then on counts again (until a new cap is reached). A cap set at or below the
//!   spend already reached caps at once, from the usage measured then.
//! - A cap holds for its billing period; the next period starts uncapped.
//! - A run-rate projection that passes a cap not reached yet stops at it: usage grows evenly
//!   from today's totals to the projected ones (as for the day a budget is reached), and the
//!   cap is reached with the usage at the end of the last UTC day whose end costs at most the
//!   cap; past that day's limits the projected usage is refused. Each simulated period of the
//!   outlook, and each tier of the upgrade quote (on its own base fee shares), stops the same
//!   way; a tier whose base fee alone puts the bill at or past the cap is capped at once.
//!
//! Pure functions of their arguments; the engine calls them inside the transactions that read
//! the usage they decide on.

use chrono::{DateTime, Utc};
use edgecost_api::{MeterAmounts, SpendCapUsage, UsageTotals};
use edgecost_pricing::format::money_in;
use edgecost_pricing::{BYTES_PER_GB, Decimal, Meter, PriceBook, Tier};

use crate::alerts::ALERT_SPEND_CAP;
use crate::error::{EngineError, Result};
use crate::ledger;
use crate::period::{Period, from_unix};
use crate::rating;
use crate::store::TierChangeRow;
use crate::store::controls::{AlertRow, SpendCapRow};
use crate::token;

/// The spend to date of `totals` (with the refusals they carry) on the tier in effect at
/// `now`, with the period's base fee shares: base fee + overage, before credit.
pub(crate) fn spend(
    book: &PriceBook,
    changes: &[TierChangeRow],
    period: &Period,
    totals: &UsageTotals,
    now: DateTime<Utc>,
) -> Result<Decimal> {
    let tier = tier_in_effect(book, changes, now)?;
    let options = period.rate_options(Decimal::ZERO, rating::base_fee_shares(changes, period, now));
    Ok(book.rate_totals(&tier.name, &totals.usage(), &options)?.cost())
}

/// The tier of `book` in effect at `now`.
pub(crate) fn tier_in_effect<'b>(book: &'b PriceBook, changes: &[TierChangeRow], now: DateTime<Utc>) -> Result<&'b Tier> {
    let name = rating::tier_at(changes, now).ok_or_else(|| EngineError::CorruptRow { reason: "an account has no tier".into() })?;
    book.tier(name).ok_or_else(|| EngineError::UnknownTier { tier: name.to_owned(), known: book.tier_names() })
}

/// `state` capped at `now` with the usage `at` measured: each meter `tier` bills overage for
/// gets the limit `at`'s measured usage plus what is left of its included quantity.
pub(crate) fn capped(tier: &Tier, state: &SpendCapUsage, at: &UsageTotals, cap: Decimal, now: DateTime<Utc>) -> Result<SpendCapUsage> {
    let mut measured = at.clone();
    measured.spend_cap = Some(state.clone());
    let billable = measured.usage();
    let bills = |meter: Meter| !tier.hard_cap && tier.overage.get(meter).is_some();
    // What is left of a quota, in the counters' unit (compute in whole ms, rounded down, so
    // the free part never bills).
    let left = |meter: Meter, unit: Decimal| -> Decimal {
        let included = tier.included.get(meter).unwrap_or_default();
        ((included - billable.quantity(meter)).max(Decimal::ZERO) * unit).floor()
    };
    let whole = |d: Decimal| u64::try_from(d).map_err(|_| EngineError::Overflow);
    let limit_requests =
        bills(Meter::Requests).then(|| whole(Decimal::from(at.requests) + left(Meter::Requests, Decimal::ONE))).transpose()?;
    let limit_compute_ms =
        bills(Meter::Compute).then(|| whole(Decimal::from(at.compute_ms) + left(Meter::Compute, Decimal::from(1000u32)))).transpose()?;
    let limit_billable_egress_bytes =
        bills(Meter::Egress).then(|| (at.billable_egress_bytes + left(Meter::Egress, Decimal::from(BYTES_PER_GB))).normalize());
    Ok(SpendCapUsage {
        capped_at: Some(now),
        cap: Some(cap),
        limit_requests,
        limit_compute_ms,
        limit_billable_egress_bytes,
        refused_earlier: state.refused_earlier.clone(),
    })
}

/// `state` lifted with `measured` usage: what it refused so far stays refused.
pub(crate) fn lifted(state: &SpendCapUsage, measured: &UsageTotals) -> SpendCapUsage {
    SpendCapUsage { refused_earlier: state.refused(measured), ..SpendCapUsage::default() }
}

/// The meters whose usage `state` refuses from now on: those whose limit is reached.
pub(crate) fn capped_meters(state: &SpendCapUsage, measured: &UsageTotals) -> Vec<Meter> {
    if !state.holds() {
        return Vec::new();
    }
    let mut meters = Vec::new();
    if state.limit_requests.is_some_and(|l| measured.requests >= l) {
        meters.push(Meter::Requests);
    }
    if state.limit_compute_ms.is_some_and(|l| measured.compute_ms >= l) {
        meters.push(Meter::Compute);
    }
    if state.limit_billable_egress_bytes.is_some_and(|l| measured.billable_egress_bytes >= l) {
        meters.push(Meter::Egress);
    }
    meters.sort();
    meters
}

/// The alert that the cap was reached, its amounts written in `currency` (the book's).
pub(crate) fn reached_alert(
    account_id: &str,
    period: &Period,
    cap: Decimal,
    spend: Decimal,
    currency: &str,
    now: DateTime<Utc>,
) -> Result<AlertRow> {
    Ok(AlertRow {
        id: token::random_id("alr_", 10),
        account_id: account_id.to_owned(),
        period_start: period.start_unix(),
        kind: ALERT_SPEND_CAP.to_owned(),
        // Once per reach: a cap raised and lowered again within the period alerts again.
        key: format!("{}:{}", ledger::to_cents(cap)?, now.timestamp()),
        message: format!(
            "The {} spend cap was reached on {} with {} spent: usage that would cost more is refused and not billed until the cap is raised or removed.",
            money_in(cap, currency),
            now.format("%b %-d"),
            money_in(spend, currency)
        ),
        raised_at: now.timestamp(),
    })
}

/// The stored row of `state` for a cap of `cap_cents`.
pub(crate) fn to_row(state: &SpendCapUsage) -> Result<SpendCapRow> {
    let signed = |v: u64| i64::try_from(v).map_err(|_| EngineError::Overflow);
    Ok(SpendCapRow {
        cap_cents: state.cap.map(ledger::to_cents).transpose()?,
        capped_at: state.capped_at.map(|t| t.timestamp()),
        limit_requests: state.limit_requests.map(signed).transpose()?,
        limit_compute_ms: state.limit_compute_ms.map(signed).transpose()?,
        limit_egress: state.limit_billable_egress_bytes.map(|d| d.to_string()),
        refused_requests: signed(state.refused_earlier.requests)?,
        refused_compute_ms: signed(state.refused_earlier.compute_ms)?,
        refused_egress: state.refused_earlier.billable_egress_bytes.to_string(),
    })
}

/// `row` as the API shows it.
pub(crate) fn from_row(row: &SpendCapRow) -> Result<SpendCapUsage> {
    let corrupt = |what: &str| EngineError::CorruptRow { reason: format!("spend cap {what}") };
    let unsigned = |v: i64| u64::try_from(v).map_err(|_| corrupt("counter"));
    let decimal = |s: &str| s.parse::<Decimal>().map_err(|_| corrupt("egress"));
    Ok(SpendCapUsage {
        capped_at: row.capped_at.map(from_unix),
        cap: row.cap_cents.map(ledger::from_cents),
        limit_requests: row.limit_requests.map(unsigned).transpose()?,
        limit_compute_ms: row.limit_compute_ms.map(unsigned).transpose()?,
        limit_billable_egress_bytes: row.limit_egress.as_deref().map(decimal).transpose()?,
        refused_earlier: MeterAmounts {
            requests: unsigned(row.refused_requests)?,
            compute_ms: unsigned(row.refused_compute_ms)?,
            billable_egress_bytes: decimal(&row.refused_egress)?,
        },
    })
}

/// The state a stored row gives a period's totals: `None` without a row, so totals of
/// accounts that never capped stay as they were.
pub(crate) fn state_of(row: Option<&SpendCapRow>) -> Result<Option<SpendCapUsage>> {
    row.map(from_row).transpose()
}

/// What checking the cap after a batch decides for one account: the state its totals carry
/// now, and, when the batch capped it, the state to store and the alert to raise.
pub(crate) struct CapCheck {
    pub state: Option<SpendCapUsage>,
    pub reached: Option<(SpendCapRow, AlertRow)>,
}

/// Checks the cap of `cap_cents` after a batch: `after` is the account's period totals with the
/// batch, `before` without it (both with the period's hard-cap refusals).
#[allow(clippy::too_many_arguments)]
pub(crate) fn check_after_batch(
    book: &PriceBook,
    changes: &[TierChangeRow],
    period: &Period,
    row: Option<&SpendCapRow>,
    cap_cents: i64,
    before: &UsageTotals,
    after: &UsageTotals,
    account_id: &str,
    now: DateTime<Utc>,
) -> Result<CapCheck> {
    let state = state_of(row)?.unwrap_or_default();
    if state.holds() {
        return Ok(CapCheck { state: Some(state), reached: None });
    }
    let cap = ledger::from_cents(cap_cents);
    let with = |t: &UsageTotals| UsageTotals { spend_cap: Some(state.clone()), ..t.clone() };
    let spend_after = spend(book, changes, period, &with(after), now)?;
    if spend_after < cap {
        return Ok(CapCheck { state: row.is_some().then_some(state), reached: None });
    }
    let tier = tier_in_effect(book, changes, now)?;
    let (at, spend_at) = if spend_after > cap { (before, spend(book, changes, period, &with(before), now)?) } else { (after, spend_after) };
    let next = capped(tier, &state, at, cap, now)?;
    let alert = reached_alert(account_id, period, cap, spend_at, &book.currency, now)?;
    Ok(CapCheck { reached: Some((to_row(&next)?, alert)), state: Some(next) })
}

/// `projected` (the period's run-rate totals) as the cap of `cap` would leave them when the
/// cap has not been reached yet: unchanged when they cost at most the cap, otherwise capped
/// at the end of the last UTC day whose end costs at most the cap (usage growing evenly from
/// `state.totals` to `projected`), or at today's totals when even today's end passes it.
pub(crate) fn projected_under_cap(
    book: &PriceBook,
    state: &rating::PeriodState,
    projected: &UsageTotals,
    cap: Decimal,
    now: DateTime<Utc>,
) -> Result<UsageTotals> {
    let tier = book.tier(&state.tier).ok_or_else(|| EngineError::UnknownTier { tier: state.tier.clone(), known: book.tier_names() })?;
    let shares = rating::base_fee_shares(&state.changes, &state.period, now);
    let on = CapTier { tier, shares: &shares, period: &state.period };
    stopped_at_cap(book, &on, &state.totals, projected, cap, now)
}

/// A tier the period is priced on under a spend cap: the tier and the period's base fee
/// shares on it (those of a change made today, for a tier the account could move to).
pub(crate) struct CapTier<'a> {
    pub tier: &'a Tier,
    pub shares: &'a [edgecost_pricing::BaseFeeShare],
    pub period: &'a Period,
}

/// [`projected_under_cap`] on any tier: `projected` as a cap of `cap` not reached yet leaves
/// it when the period is priced on `on`, usage growing evenly from `today` (the totals now,
/// with the refusals they carry) to `projected`. The cap is taken as reached at the end of the
/// last UTC day whose end costs at most the cap, or now when even today's totals cost more
/// (a tier whose base fee alone passes the cap); its `capped_at` says which.
pub(crate) fn stopped_at_cap(
    book: &PriceBook,
    on: &CapTier<'_>,
    today: &UsageTotals,
    projected: &UsageTotals,
    cap: Decimal,
    now: DateTime<Utc>,
) -> Result<UsageTotals> {
    use chrono::{Duration, DurationRound};
    let period = on.period;
    let spend_of = |t: &UsageTotals| -> Result<Decimal> {
        let options = period.rate_options(Decimal::ZERO, on.shares.to_vec());
        Ok(book.rate_totals(&on.tier.name, &t.usage(), &options)?.cost())
    };
    if spend_of(projected)? <= cap {
        return Ok(projected.clone());
    }
    let total = (period.end - now).num_seconds();
    let mut day = now.duration_trunc(Duration::days(1)).unwrap_or(now);
    let (mut last_under, mut reached_at) = (today.clone(), now);
    if total > 0 {
        loop {
            let end = (day + Duration::days(1)).min(period.end);
            let at = rating::between(today, projected, (end - now).num_seconds().max(0), total)?;
            if spend_of(&at)? > cap || end >= period.end {
                break;
            }
            (last_under, reached_at) = (at, end);
            day += Duration::days(1);
        }
    }
    let held = projected.spend_cap.clone().unwrap_or_default();
    let capped = capped(on.tier, &held, &last_under, cap, reached_at)?;
    Ok(UsageTotals { spend_cap: Some(capped), ..projected.clone() })
}
