//! Rating: usage totals and a tier in, an itemized bill out.
//!
//! The contract:
//! - overage = max(0, usage - included); its charge = overage x price / per, exact;
//! - every line is rounded once to the cent, half away from zero; totals add rounded lines;
//! - bill = base fee + overage lines - credits applied; credits pay overage only and never
//!   more than the balance;
//! - a hard-capped tier never bills overage: usage past a quota is reported as capped;
//! - every money field of a bill has exactly two decimal places (`0.00`, never `0`);
//! - usage past the bounds of [`crate::bounds`] is refused, and every sum and product is
//!   checked, so rating returns a bill or an error and never panics.
//!
//! One file past 500 lines on purpose: the bill's types and the rating that builds them are
//! the contract above, kept together so that it reads in one place.

use std::borrow::Cow;
use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::book::{OverageRate, PriceBook, Tier};
use crate::bounds::{COMPUTE_SECONDS_MAX, EGRESS_BYTES_MAX, MONEY_MAX, REQUESTS_MAX, is_whole_cents};
use crate::error::RateError;
use crate::format::{money_in, push_meter_quantity, push_money, push_quantity, round_to_cents};
use crate::meter::BYTES_PER_GB;
use crate::meter::{Meter, Usage};
use crate::utilization::{Utilization, check_utilization, is_positive, utilization_of};
use crate::whole;

/// How much of a base fee a period owes: the tier's fee x `days` / `period_days`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseFeeShare {
    /// The tier the account was on for these days.
    pub tier: String,
    /// Days of the period on that tier.
    pub days: u32,
    /// Days in the whole period.
    pub period_days: u32,
}

/// Inputs to rating besides the usage itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RateOptions {
    /// Burst credit available to pay overage.
    pub credit_balance: Decimal,
    /// Base fee shares when the tier changed during the period; empty means the rated tier's
    /// whole base fee.
    pub base_fee_shares: Vec<BaseFeeShare>,
    /// The calendar month (1 to 12) the shares' days fall in, so each share's line names its
    /// dates ("Dec 1–Dec 9"); without it a share's line names its day count.
    pub period_month: Option<u32>,
}

/// One base fee charge of a bill.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseFeeLine {
    /// What the line is called wherever a bill is shown: "Base fee" for a whole period on one
    /// tier, "Base fee, Production (Dec 1–Dec 9)" for one tier's share of a period.
    #[serde(default = "whole_period_label")]
    pub label: Cow<'static, str>,
    /// The tier whose base fee this is.
    pub tier: String,
    /// Days of the period this share covers; 0 for a whole period on one tier.
    pub days: u32,
    /// Days in the period; 0 for a whole period on one tier.
    pub period_days: u32,
    /// The charge, rounded once to the cent (half away from zero).
    pub amount: Decimal,
    /// How the amount was reached, in a sentence for people.
    pub explanation: String,
}

/// The label of a base fee for the whole period, also for bills stored before lines had one.
fn whole_period_label() -> Cow<'static, str> {
    Cow::Borrowed("Base fee")
}

/// "Base fee, Production (Dec 1–Dec 9)": the tier's name and the days its share covers, from
/// `first_day` (1-based) for `days` days; "(9 of 31 days)" when the month is not known.
fn share_label(tier_name: &str, first_day: u32, days: u32, period_days: u32, month: Option<u32>) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let last_day = first_day.saturating_add(days.saturating_sub(1));
    let span = match month.and_then(|m| MONTHS.get((m as usize).wrapping_sub(1))) {
        Some(m) if days == 1 => format!("{m} {first_day}"),
        Some(m) => format!("{m} {first_day}–{m} {last_day}"),
        None => format!("{days} of {period_days} days"),
    };
    format!("Base fee, {tier_name} ({span})")
}

/// One meter's line of a bill.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillLine {
    /// The meter this line charges for.
    pub meter: Meter,
    /// Unit of `quantity`, `included` and `overage`.
    pub unit: Cow<'static, str>,
    /// Usage rated, in `unit`.
    pub quantity: Decimal,
    /// `None` when the tier sets no quota for this meter.
    pub included: Option<Decimal>,
    /// Usage past the included quantity (on a hard-capped tier: usage that was capped).
    pub overage: Decimal,
    /// The tier's overage rate; `None` when usage past the quota is never charged.
    pub rate: Option<OverageRate>,
    /// The line's charge, rounded once to the cent.
    pub amount: Decimal,
    /// Usage went past a hard cap: the overage was refused, not charged.
    pub capped: bool,
    /// How the amount was reached, in a sentence for people.
    pub explanation: String,
}

/// An itemized bill for one period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bill {
    /// The tier rated.
    pub tier: String,
    /// The book's ISO 4217 currency.
    pub currency: String,
    /// Sum of the rounded base fee lines.
    pub base_fee: Decimal,
    /// One line per tier the period was on, in order.
    pub base_fee_lines: Vec<BaseFeeLine>,
    /// One line per meter, in [`Meter::ALL`] order.
    pub lines: Vec<BillLine>,
    /// Sum of the rounded meter lines.
    pub overage_total: Decimal,
    /// Credit spent on overage: at most the balance and at most `overage_total`.
    pub credits_applied: Decimal,
    /// base_fee + overage_total - credits_applied.
    pub total: Decimal,
    /// Some usage went past a hard cap.
    pub capped: bool,
    /// Use of the included quantity, for each meter the tier sets a quota for.
    pub utilization: BTreeMap<Meter, Utilization>,
}

impl Bill {
    /// The base fee shares this bill was rated with: empty when one tier covers the whole
    /// period (as [`RateOptions::base_fee_shares`] takes them), so rating other usage with
    /// them prorates the base fee the same way.
    pub fn base_fee_shares(&self) -> Vec<BaseFeeShare> {
        if self.base_fee_lines.len() <= 1 {
            return Vec::new();
        }
        self.base_fee_lines.iter().map(|l| BaseFeeShare { tier: l.tier.clone(), days: l.days, period_days: l.period_days }).collect()
    }

    /// What the period costs before credit: base fee + overage. Credit was paid for when it
    /// was bought, so it pays part of this cost without lowering it; `total` is what is left
    /// to invoice once credit has paid its part. (Rating already formed this sum for `total`.)
    pub fn cost(&self) -> Decimal {
        self.base_fee + self.overage_total
    }

    /// The bill's money figures.
    pub fn totals(&self) -> BillTotals {
        BillTotals {
            base_fee: self.base_fee,
            overage_total: self.overage_total,
            credits_applied: self.credits_applied,
            total: self.total,
            capped: self.capped,
        }
    }

    /// The highest threshold any meter has reached, with that meter.
    pub fn highest_threshold(&self) -> Option<(Meter, u32)> {
        self.utilization.iter().filter_map(|(m, u)| u.thresholds_crossed.last().map(|t| (*m, *t))).max_by_key(|(_, t)| *t)
    }

    /// Checks the bill's own arithmetic; rating asserts it before returning.
    /// Every money field must have exactly two decimal places, and the sums must hold.
    pub fn is_consistent(&self) -> bool {
        figures_hold(self.lines.iter().map(|l| l.amount), self.base_fee_lines.iter().map(|l| l.amount), &self.totals())
    }
}

/// A bill's arithmetic from its line amounts, base fee amounts and totals: every amount in
/// cents, the sums, and credit within the overage. [`Bill::is_consistent`] and
/// [`PriceBook::rate_totals`] check the same property.
fn figures_hold(lines: impl Iterator<Item = Decimal> + Clone, base: impl Iterator<Item = Decimal> + Clone, t: &BillTotals) -> bool {
    let cents = lines.clone().chain(base.clone()).chain([t.base_fee, t.overage_total, t.credits_applied, t.total]).all(|a| a.scale() == 2);
    // Every amount has two places, so its mantissa is its cents.
    let [base_fee, overage, credits, total] = [t.base_fee, t.overage_total, t.credits_applied, t.total].map(|a| a.mantissa());
    cents
        && cents_sum(lines) == Some(overage)
        && cents_sum(base) == Some(base_fee)
        && credits >= 0
        && credits <= overage
        && base_fee.checked_add(overage).and_then(|c| c.checked_sub(credits)) == Some(total)
}

/// The money figures of a bill, as [`PriceBook::rate_totals`] works them out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BillTotals {
    /// The tier's base fee for the period (prorated shares summed), in dollars and cents.
    pub base_fee: Decimal,
    /// Sum of the rounded meter lines.
    pub overage_total: Decimal,
    /// Burst credit paid toward the overage: at most the overage and the balance offered.
    pub credits_applied: Decimal,
    /// base_fee + overage_total - credits_applied.
    pub total: Decimal,
    /// Some usage went past a hard cap.
    pub capped: bool,
}

impl BillTotals {
    /// What the period costs before credit, as [`Bill::cost`].
    pub fn cost(&self) -> Decimal {
        self.base_fee + self.overage_total
    }
}

impl PriceBook {
    /// Rates `usage` on tier `tier_name`.
    pub fn rate(&self, tier_name: &str, usage: &Usage, options: &RateOptions) -> Result<Bill, RateError> {
        let tier = self.rated_tier(tier_name)?;
        check_usage(usage)?;
        let credit_balance = check_credit(options.credit_balance)?;
        let base_fee_lines = self.base_fee_lines(tier, &options.base_fee_shares, options.period_month)?;
        let base_fee = sum_cents(base_fee_lines.iter().map(|l| l.amount))?;

        let mut lines = Vec::with_capacity(Meter::ALL.len());
        let mut utilization = BTreeMap::new();
        for meter in Meter::ALL {
            let used = line_quantity(usage, meter);
            lines.push(rate_line(tier, meter, used, &self.currency)?);
            if let Some(u) = utilization_of(used, tier.included.get(meter))? {
                utilization.insert(meter, u);
            }
        }
        let overage_total = sum_cents(lines.iter().map(|l| l.amount))?;
        let (credits_applied, total) = apply_credit(base_fee, overage_total, credit_balance)?;
        let bill = Bill {
            tier: tier.name.clone(),
            currency: self.currency.clone(),
            base_fee,
            base_fee_lines,
            capped: lines.iter().any(|l| l.capped),
            lines,
            overage_total,
            credits_applied,
            total,
            utilization,
        };
        assert!(bill.is_consistent(), "bill arithmetic broke: {bill:?}");
        Ok(bill)
    }

    /// The money of the bill [`PriceBook::rate`] gives, to the cent, without its lines' text:
    /// for callers that rate many times and keep only the amounts (projection samples, a
    /// what-if over a fleet, spend against a budget or a cap). The same arguments are
    /// refused with the same errors, and the figures are worked out by the same code as the
    /// bill's, so `rate_totals(..)` equals `rate(..).totals()`.
    pub fn rate_totals(&self, tier_name: &str, usage: &Usage, options: &RateOptions) -> Result<BillTotals, RateError> {
        let tier = self.rated_tier(tier_name)?;
        check_usage(usage)?;
        let credit_balance = check_credit(options.credit_balance)?;
        // Every share is checked before the sum, as the bill's lines are.
        let (whole, shares);
        let base_amounts: &[Decimal] = if options.base_fee_shares.is_empty() {
            whole = [whole_base_fee(tier)?];
            &whole
        } else {
            shares = options.base_fee_shares.iter().map(|share| Ok(self.share_amount(share)?.2)).collect::<Result<Vec<_>, RateError>>()?;
            &shares
        };
        let base_fee = sum_cents(base_amounts.iter().copied())?;
        let mut amounts = [Decimal::ZERO; 3];
        let mut capped = false;
        for (slot, meter) in amounts.iter_mut().zip(Meter::ALL) {
            let used = line_quantity(usage, meter);
            let charge = line_charge(tier, meter, used)?;
            // Rating refuses what the utilization figures cannot hold; so does this.
            check_utilization(used, tier.included.get(meter))?;
            *slot = charge.amount;
            capped |= charge.capped;
        }
        let overage_total = sum_cents(amounts.into_iter())?;
        let (credits_applied, total) = apply_credit(base_fee, overage_total, credit_balance)?;
        let totals = BillTotals { base_fee, overage_total, credits_applied, total, capped };
        assert!(figures_hold(amounts.into_iter(), base_amounts.iter().copied(), &totals), "bill arithmetic broke: {totals:?}");
        Ok(totals)
    }

    fn rated_tier(&self, tier_name: &str) -> Result<&Tier, RateError> {
        self.tier(tier_name).ok_or_else(|| RateError::UnknownTier { tier: tier_name.to_owned(), known: self.tier_names() })
    }

    /// A share's tier, that tier's base fee, and the share's amount rounded to the cent.
    fn share_amount(&self, share: &BaseFeeShare) -> Result<(&Tier, Decimal, Decimal), RateError> {
        if share.period_days == 0 || share.days > share.period_days {
            return Err(RateError::BadProration { days: share.days, period_days: share.period_days });
        }
        let t = self.tier(&share.tier).ok_or_else(|| RateError::UnknownTier { tier: share.tier.clone(), known: self.tier_names() })?;
        let fee = t.base_fee.ok_or_else(|| RateError::Negotiated { tier: t.name.clone() })?;
        let exact = fee
            .checked_mul(Decimal::from(share.days))
            .and_then(|x| x.checked_div(Decimal::from(share.period_days)))
            .ok_or(RateError::Overflow)?;
        Ok((t, fee, round_to_cents(exact)))
    }

    fn base_fee_lines(&self, tier: &Tier, shares: &[BaseFeeShare], period_month: Option<u32>) -> Result<Vec<BaseFeeLine>, RateError> {
        if shares.is_empty() {
            let amount = whole_base_fee(tier)?;
            return Ok(vec![BaseFeeLine {
                label: whole_period_label(),
                tier: tier.name.clone(),
                days: 0,
                period_days: 0,
                amount,
                explanation: {
                    let mut text = String::with_capacity(EXPLANATION_CAPACITY);
                    text.push_str(tier.display_name());
                    text.push_str(" base fee ");
                    push_money(&mut text, amount, &self.currency);
                    text
                },
            }]);
        }
        // Shares follow each other through the period in order, the first from day 1.
        let mut first_day = 1u32;
        shares
            .iter()
            .map(|share| {
                let (t, fee, amount) = self.share_amount(share)?;
                let label = share_label(t.display_name(), first_day, share.days, share.period_days, period_month);
                first_day = first_day.saturating_add(share.days);
                Ok(BaseFeeLine {
                    label: Cow::Owned(label),
                    tier: t.name.clone(),
                    days: share.days,
                    period_days: share.period_days,
                    amount,
                    explanation: format!(
                        "{} base fee {} x {}/{} days = {}",
                        t.display_name(),
                        money_in(round_to_cents(fee), &self.currency),
                        share.days,
                        share.period_days,
                        money_in(amount, &self.currency)
                    ),
                })
            })
            .collect()
    }
}

/// The base fee of a whole period on `tier`, rounded to the cent.
fn whole_base_fee(tier: &Tier) -> Result<Decimal, RateError> {
    let fee = tier.base_fee.ok_or_else(|| RateError::Negotiated { tier: tier.name.clone() })?;
    Ok(round_to_cents(fee))
}

/// The credit applied and the total: credit pays overage only, never more than the balance.
fn apply_credit(base_fee: Decimal, overage_total: Decimal, credit_balance: Decimal) -> Result<(Decimal, Decimal), RateError> {
    // All three have two places (`check_credit` and `sum_cents` leave them so), so the credit
    // and the total are worked out in cents, and read "0.00" when zero, never "0".
    let [base, overage, balance] = [base_fee, overage_total, credit_balance].map(cents);
    let credits = balance.min(overage).max(0);
    let total = base.checked_add(overage).and_then(|c| c.checked_sub(credits)).ok_or(RateError::Overflow)?;
    Ok((from_cents(credits)?, from_cents(total)?))
}

fn check_usage(usage: &Usage) -> Result<(), RateError> {
    for (meter, value, max, unit) in [
        ("requests", usage.requests, REQUESTS_MAX, "requests"),
        ("egress", usage.egress_bytes, EGRESS_BYTES_MAX, "bytes"),
        ("compute", usage.compute_seconds, COMPUTE_SECONDS_MAX, "seconds"),
    ] {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(RateError::NegativeUsage { meter, value: value.to_string() });
        }
        if whole::cmp(value, max).is_gt() {
            return Err(RateError::UsageTooLarge { meter, value: format!("{} {unit}", value.normalize()), max: format!("{max} {unit}") });
        }
    }
    Ok(())
}

/// A credit balance is money a ledger holds: zero or more, whole cents, within the bound.
fn check_credit(balance: Decimal) -> Result<Decimal, RateError> {
    if balance.is_sign_negative() && !balance.is_zero() {
        return Err(RateError::NegativeCredit { value: balance.to_string() });
    }
    if balance.scale() > 2 && !is_whole_cents(balance) {
        return Err(RateError::CreditNotWholeCents { value: balance.to_string() });
    }
    if whole::cmp(balance, MONEY_MAX).is_gt() {
        return Err(RateError::CreditTooLarge { value: balance.to_string(), max: MONEY_MAX.to_string() });
    }
    Ok(round_to_cents(balance))
}

/// The sum of amounts already rounded to the cent (two places each, as [`round_to_cents`]
/// leaves them), with two places even when empty. An amount of another scale would make the
/// bill's arithmetic check fail, which rating asserts.
fn sum_cents(amounts: impl Iterator<Item = Decimal>) -> Result<Decimal, RateError> {
    from_cents(cents_sum(amounts).ok_or(RateError::Overflow)?)
}

/// The cents of amounts with two places, added; `None` past 128 bits.
fn cents_sum(mut amounts: impl Iterator<Item = Decimal>) -> Option<i128> {
    amounts.try_fold(0i128, |acc, a| acc.checked_add(a.mantissa()))
}

/// The cents of an amount [`round_to_cents`] gave: its mantissa, as it has two places. Within
/// the bounds of [`crate::bounds`] every rounded amount keeps them, which the bill's
/// arithmetic check asserts.
fn cents(amount: Decimal) -> i128 {
    debug_assert_eq!(amount.scale(), 2, "an amount in cents: {amount}");
    amount.mantissa()
}

/// An amount of `cents` cents, with two places.
fn from_cents(cents: i128) -> Result<Decimal, RateError> {
    Decimal::try_from_i128_with_scale(cents, 2).map_err(|_| RateError::Overflow)
}

/// Room for the longest explanation a line usually gets, so writing one allocates once.
const EXPLANATION_CAPACITY: usize = 96;

/// A meter's quantity in the unit bill lines use, as [`Usage::quantity`] gives it.
fn line_quantity(usage: &Usage, meter: Meter) -> Decimal {
    if meter != Meter::Egress {
        return usage.quantity(meter);
    }
    // Bytes to GB divides by 10^9, which only moves the decimal point: the same value as
    // the division, without one. A scale past the maximum falls back to dividing.
    let mut gb = usage.egress_bytes;
    match gb.set_scale(usage.egress_bytes.scale() + 9) {
        Ok(()) => gb,
        Err(_) => usage.egress_bytes / Decimal::from(BYTES_PER_GB),
    }
}

/// What one meter's line charges: the figures of a [`BillLine`] without its text.
struct LineCharge<'a> {
    included: Option<Decimal>,
    rate: Option<&'a OverageRate>,
    overage: Decimal,
    amount: Decimal,
    capped: bool,
}

fn line_charge(tier: &Tier, meter: Meter, used: Decimal) -> Result<LineCharge<'_>, RateError> {
    let included = tier.included.get(meter);
    let rate = tier.overage.get(meter);
    let overage = match (included, rate) {
        (Some(inc), _) => match whole::checked_sub(used, inc).ok_or(RateError::Overflow)? {
            over if is_positive(over) => over,
            _ => Decimal::ZERO,
        },
        // A priced meter with no quota: every unit is overage.
        (None, Some(_)) => used,
        (None, None) => Decimal::ZERO,
    };
    let capped = tier.hard_cap && is_positive(overage);
    let amount = match (rate, capped) {
        // Multiply before dividing so a price per 10,000 stays exact.
        (Some(r), false) if is_positive(overage) => match whole::charge_cents(overage, r.price, r.per) {
            Some(c) => from_cents(c)?,
            None => round_to_cents(overage.checked_mul(r.price).and_then(|x| divide_by_block(x, r.per)).ok_or(RateError::Overflow)?),
        },
        _ => round_to_cents(Decimal::ZERO),
    };
    Ok(LineCharge { included, rate, overage, amount, capped })
}

fn rate_line(tier: &Tier, meter: Meter, used: Decimal, currency: &str) -> Result<BillLine, RateError> {
    let LineCharge { included, rate, overage, amount, capped } = line_charge(tier, meter, used)?;
    let unit = meter.unit();
    // A line with overage (charged or capped) keeps the exact overage, so its amount or what a
    // cap refused can be recomputed from it; a line without overage charges nothing and reads
    // its quantities as everywhere else on a bill ("15.41 of 50 GB included").
    // The explanation is written piece by piece into one buffer: rating runs on every bill
    // read and projection sample, and formatting was most of its cost.
    let mut text = String::with_capacity(EXPLANATION_CAPACITY);
    match (rate, capped) {
        (_, true) => {
            // "{overage} {unit} past the {included} {unit} included: capped, not billed"
            push_quantity(&mut text, overage);
            push_words(&mut text, &[" ", unit, " past the "]);
            push_quantity(&mut text, included.unwrap_or_default());
            push_words(&mut text, &[" ", unit, " included: capped, not billed"]);
        }
        (Some(r), false) if is_positive(overage) => {
            // "{overage} {unit}[ past the {included} {unit} included] x {price} per {per} = {amount}"
            push_quantity(&mut text, overage);
            push_words(&mut text, &[" ", unit]);
            if let Some(inc) = included {
                text.push_str(" past the ");
                push_quantity(&mut text, inc);
                push_words(&mut text, &[" ", unit, " included"]);
            }
            text.push_str(" x ");
            push_money(&mut text, r.price, currency);
            text.push_str(" per ");
            if r.per == Decimal::ONE {
                text.push_str(unit.trim_end_matches('s'));
            } else {
                push_quantity(&mut text, r.per);
                push_words(&mut text, &[" ", unit]);
            }
            text.push_str(" = ");
            push_money(&mut text, amount, currency);
        }
        _ => {
            // "{used} of {included} {unit} included" or "{used} {unit}, not charged on this tier"
            push_meter_quantity(&mut text, meter, used);
            match included {
                Some(inc) => {
                    text.push_str(" of ");
                    push_meter_quantity(&mut text, meter, inc);
                    push_words(&mut text, &[" ", unit, " included"]);
                }
                None => push_words(&mut text, &[" ", unit, ", not charged on this tier"]),
            }
        }
    }
    Ok(BillLine {
        meter,
        unit: Cow::Borrowed(unit),
        quantity: whole::normalize(used),
        included: included.map(whole::normalize),
        overage: whole::normalize(overage),
        rate: rate.cloned(),
        amount,
        capped,
        explanation: text,
    })
}

/// `value / per`, the same value `checked_div` gives: a block of one unit or of a power of
/// ten (10,000 requests) only moves the decimal point, which is exact and much cheaper than
/// dividing. Anything else, or a scale past the maximum, divides.
fn divide_by_block(value: Decimal, per: Decimal) -> Option<Decimal> {
    if per == Decimal::ONE {
        return Some(value);
    }
    let places = match (per.scale(), u64::try_from(per.mantissa())) {
        (0, Ok(m)) => whole::power_of_ten(m),
        _ => None,
    };
    let mut shifted = value;
    match places {
        Some(k) if shifted.set_scale(value.scale() + k).is_ok() => Some(shifted),
        _ => value.checked_div(per),
    }
}

fn push_words(text: &mut String, words: &[&str]) {
    for w in words {
        text.push_str(w);
    }
}
