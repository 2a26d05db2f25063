//! The bill as the API sends it, converted from the pricing core's [`edgecost_pricing::Bill`].
//!
//! These types are the HTTP and TypeScript contract. They mirror the pricing core's bill field
//! for field today, but they are declared here so that a change inside pricing fails to compile
//! at the conversions below instead of silently changing what clients receive. The conversions
//! destructure every domain type whole: a field added in pricing must be mapped (or dropped)
//! here on purpose.

use std::borrow::Cow;
use std::collections::BTreeMap;

use edgecost_pricing as pricing;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Something the service measures and may charge for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Meter {
    /// Requests served, counted one by one.
    Requests,
    /// Bytes sent to clients; billed in GB (10^9 bytes), weighted by region.
    Egress,
    /// Compute time; counted in milliseconds, billed in seconds.
    Compute,
}

impl Meter {
    /// Every meter, in display order.
    pub const ALL: [Meter; 3] = [Meter::Requests, Meter::Egress, Meter::Compute];

    /// The meter's id as it appears in JSON (`"requests"`).
    pub fn id(self) -> &'static str {
        pricing::Meter::from(self).id()
    }

    /// The name shown to people (`"Requests"`).
    pub fn label(self) -> &'static str {
        pricing::Meter::from(self).label()
    }

    /// The unit a bill line's quantities are in (`"GB"` for egress).
    pub fn unit(self) -> &'static str {
        pricing::Meter::from(self).unit()
    }
}

impl From<pricing::Meter> for Meter {
    fn from(meter: pricing::Meter) -> Meter {
        match meter {
            pricing::Meter::Requests => Meter::Requests,
            pricing::Meter::Egress => Meter::Egress,
            pricing::Meter::Compute => Meter::Compute,
        }
    }
}

impl From<Meter> for pricing::Meter {
    fn from(meter: Meter) -> pricing::Meter {
        match meter {
            Meter::Requests => pricing::Meter::Requests,
            Meter::Egress => pricing::Meter::Egress,
            Meter::Compute => pricing::Meter::Compute,
        }
    }
}

/// The price of usage past the included quantity: `price` for every `per` units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverageRate {
    /// The price of one block of `per` units; may be a fraction of a cent.
    #[ts(type = "string")]
    pub price: Decimal,
    /// How many units (of the line's `unit`) one `price` buys.
    #[ts(type = "string")]
    pub per: Decimal,
}

impl From<pricing::OverageRate> for OverageRate {
    fn from(rate: pricing::OverageRate) -> OverageRate {
        let pricing::OverageRate { price, per } = rate;
        OverageRate { price, per }
    }
}

/// One base fee charge of a bill.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct BaseFeeLine {
    /// What the line is called wherever a bill is shown: "Base fee" for a whole period on one
    /// tier, "Base fee, Production (Dec 1–Dec 9)" for one tier's share of a period.
    #[serde(default = "whole_period_label")]
    pub label: Cow<'static, str>,
    /// The tier whose base fee this is.
    pub tier: String,
    /// Days of the period this tier's share covers; 0 when one tier covers the whole period.
    pub days: u32,
    /// Days in the period; 0 when one tier covers the whole period.
    pub period_days: u32,
    /// The charge, rounded once to the cent.
    #[ts(type = "string")]
    pub amount: Decimal,
    /// How the amount was reached, in a sentence for people.
    pub explanation: String,
}

/// The label of a base fee for the whole period, also for bills sent before lines had one.
fn whole_period_label() -> Cow<'static, str> {
    Cow::Borrowed("Base fee")
}

impl From<pricing::BaseFeeLine> for BaseFeeLine {
    fn from(line: pricing::BaseFeeLine) -> BaseFeeLine {
        let pricing::BaseFeeLine { label, tier, days, period_days, amount, explanation } = line;
        BaseFeeLine { label, tier, days, period_days, amount, explanation }
    }
}

/// One meter's line of a bill.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct BillLine {
    /// The meter this line charges for.
    pub meter: Meter,
    /// Unit of `quantity`, `included` and `overage`.
    pub unit: Cow<'static, str>,
    /// Usage rated this period, in `unit`.
    #[ts(type = "string")]
    pub quantity: Decimal,
    /// `None` when the tier sets no quota for this meter.
    #[ts(type = "string | null")]
    pub included: Option<Decimal>,
    /// Usage past the included quantity (on a hard-capped tier: usage that was capped).
    #[ts(type = "string")]
    pub overage: Decimal,
    /// The tier's rate for overage; `null` when the tier never charges past the quota.
    pub rate: Option<OverageRate>,
    /// The line's charge, rounded once to the cent.
    #[ts(type = "string")]
    pub amount: Decimal,
    /// Usage went past a hard cap: the overage was refused, not charged.
    pub capped: bool,
    /// How the amount was reached, in a sentence for people.
    pub explanation: String,
}

impl From<pricing::BillLine> for BillLine {
    fn from(line: pricing::BillLine) -> BillLine {
        let pricing::BillLine { meter, unit, quantity, included, overage, rate, amount, capped, explanation } = line;
        BillLine { meter: meter.into(), unit, quantity, included, overage, rate: rate.map(Into::into), amount, capped, explanation }
    }
}

/// One meter's use of its included quantity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct Utilization {
    /// Usage this period, in the meter's billing unit.
    #[ts(type = "string")]
    pub used: Decimal,
    /// The tier's included quantity, in the same unit.
    #[ts(type = "string")]
    pub included: Decimal,
    /// used / included, four places, rounded toward zero so a ratio never overstates.
    #[ts(type = "string")]
    pub ratio: Decimal,
    /// The notice thresholds (80 and 100, in percent of `included`) that usage has reached.
    pub thresholds_crossed: Vec<u32>,
}

impl From<pricing::Utilization> for Utilization {
    fn from(utilization: pricing::Utilization) -> Utilization {
        let pricing::Utilization { used, included, ratio, thresholds_crossed } = utilization;
        Utilization { used, included, ratio, thresholds_crossed }
    }
}

/// An itemized bill for one period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct Bill {
    /// The tier the period was rated on.
    pub tier: String,
    /// ISO 4217 code of every amount, such as `USD`.
    pub currency: String,
    /// Sum of the rounded base fee lines.
    #[ts(type = "string")]
    pub base_fee: Decimal,
    /// One line per tier the period was on, in the order the tiers held.
    pub base_fee_lines: Vec<BaseFeeLine>,
    /// One line per meter.
    pub lines: Vec<BillLine>,
    /// Sum of the rounded meter lines.
    #[ts(type = "string")]
    pub overage_total: Decimal,
    /// Burst credit spent on overage; never more than `overage_total`.
    #[ts(type = "string")]
    pub credits_applied: Decimal,
    /// base_fee + overage_total - credits_applied.
    #[ts(type = "string")]
    pub total: Decimal,
    /// Some usage went past a hard cap.
    pub capped: bool,
    /// Use of the included quantities, for each meter the tier sets a quota for.
    pub utilization: BTreeMap<Meter, Utilization>,
}

impl Bill {
    /// What the period costs before credit: base fee + overage (credit pays part of this cost
    /// without lowering it; `total` is what is left to invoice). Both parts are whole cents, so
    /// the sum needs no rounding.
    pub fn cost(&self) -> Decimal {
        self.base_fee + self.overage_total
    }
}

impl From<pricing::Bill> for Bill {
    fn from(bill: pricing::Bill) -> Bill {
        let pricing::Bill { tier, currency, base_fee, base_fee_lines, lines, overage_total, credits_applied, total, capped, utilization } =
            bill;
        Bill {
            tier,
            currency,
            base_fee,
            base_fee_lines: base_fee_lines.into_iter().map(Into::into).collect(),
            lines: lines.into_iter().map(Into::into).collect(),
            overage_total,
            credits_applied,
            total,
            capped,
            utilization: utilization.into_iter().map(|(meter, u)| (meter.into(), u.into())).collect(),
        }
    }
}

impl From<&pricing::Bill> for Bill {
    fn from(bill: &pricing::Bill) -> Bill {
        bill.clone().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wire bill serializes to exactly the JSON the pricing core's bill does, so stored
    /// bills and older clients read it unchanged.
    #[test]
    fn a_wire_bill_is_the_domain_bill_in_json() {
        let book = pricing::PriceBook::published();
        let usage = pricing::Usage::from_counters(350_000, 60_000_000_000, 1_000_000);
        let domain = book.rate("production", &usage, &pricing::RateOptions::default()).unwrap();
        let wire = Bill::from(&domain);
        assert_eq!(serde_json::to_value(&wire).unwrap(), serde_json::to_value(&domain).unwrap());
        let back: Bill = serde_json::from_value(serde_json::to_value(&domain).unwrap()).unwrap();
        assert_eq!(back, wire);
    }

    #[test]
    fn meters_convert_both_ways() {
        assert_eq!(Meter::ALL.map(pricing::Meter::from), pricing::Meter::ALL);
        for meter in pricing::Meter::ALL {
            assert_eq!(pricing::Meter::from(Meter::from(meter)), meter);
            assert_eq!(serde_json::to_value(Meter::from(meter)).unwrap(), serde_json::to_value(meter).unwrap());
        }
    }
}
