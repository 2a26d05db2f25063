//! Offline planning: price entered usage on every tier of the embedded price book.

use edgecost_pricing::format::{money_in, quantity};
use edgecost_pricing::{BYTES_PER_GB, Comparison, Decimal, PriceBook, Usage};
use serde::{Deserialize, Serialize};

use crate::dashboard::BillView;
use crate::error::DesktopError;

/// Usage for a month as a person types it: decimal strings in the units people think in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PlanInput {
    pub requests: String,
    pub egress_gb: String,
    pub compute_seconds: String,
    /// The tier to itemize; the comparison covers every tier anyway.
    pub tier: String,
}

/// One tier's price for the entered usage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct TierQuote {
    pub tier: String,
    pub label: String,
    /// Base fee + overage, before credit.
    pub monthly_cost: String,
    /// The tier would cap this usage (a hard-capped sandbox).
    pub caps_usage: bool,
    pub packs_needed: u32,
    /// `packs_needed` as shown beside the tier, grouped like every count (`"1,237 packs"`);
    /// empty when no pack would be needed.
    pub packs_note: String,
    pub recommended: bool,
}

/// The priced plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PlanQuote {
    pub tier: String,
    pub bill: BillView,
    pub tiers: Vec<TierQuote>,
    /// Tiers priced by negotiation, not from the book.
    pub negotiated: Vec<String>,
    pub recommendation: Option<String>,
}

/// A tier a person can pick in the planner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct TierChoice {
    pub tier: String,
    pub label: String,
}

/// The rateable tiers of the embedded book, in book order.
pub fn tier_choices() -> Vec<TierChoice> {
    PriceBook::published()
        .tiers
        .iter()
        .filter(|t| t.is_rateable())
        .map(|t| TierChoice { tier: t.name.clone(), label: t.display_name().to_owned() })
        .collect()
}

/// Prices `input` with the embedded price book.
pub fn quote(input: &PlanInput) -> Result<PlanQuote, DesktopError> {
    let book = PriceBook::published();
    let egress_gb = parse("egress_gb", &input.egress_gb)?;
    let usage = Usage {
        requests: parse("requests", &input.requests)?,
        egress_bytes: egress_gb.checked_mul(Decimal::from(BYTES_PER_GB)).ok_or_else(|| DesktopError::BadQuantity {
            field: "egress_gb",
            value: input.egress_gb.clone(),
            reason: format!("'{}' is too large to hold exactly", input.egress_gb),
        })?,
        compute_seconds: parse("compute_seconds", &input.compute_seconds)?,
    };
    let comparison = book.compare(&usage, Decimal::ZERO, Some(&input.tier))?;
    let bill = book.rate(&input.tier, &usage, &Default::default())?;
    Ok(PlanQuote {
        tier: input.tier.clone(),
        bill: BillView::of(&(&bill).into()),
        tiers: tier_quotes(book, &comparison),
        negotiated: comparison
            .negotiated
            .iter()
            .map(|n| book.tier(n).map(|t| t.display_name().to_owned()).unwrap_or_else(|| n.clone()))
            .collect(),
        recommendation: comparison.recommendation.map(|r| r.summary),
    })
}

/// Every tier's price side by side, the recommended one marked.
pub(crate) fn tier_quotes(book: &PriceBook, comparison: &Comparison) -> Vec<TierQuote> {
    let recommended = comparison.recommendation.as_ref().map(|r| r.tier.as_str());
    comparison
        .options
        .iter()
        .map(|o| TierQuote {
            tier: o.tier.clone(),
            label: book.tier(&o.tier).map(|t| t.display_name().to_owned()).unwrap_or_else(|| o.tier.clone()),
            monthly_cost: money_in(o.monthly_cost, &book.currency),
            caps_usage: o.caps_usage,
            packs_needed: o.packs_needed,
            packs_note: packs_note(o.packs_needed),
            recommended: recommended == Some(o.tier.as_str()),
        })
        .collect()
}

/// How many burst packs would prepay a tier's overage, as a person reads a count.
fn packs_note(packs: u32) -> String {
    match packs {
        0 => String::new(),
        1 => "1 pack".to_owned(),
        n => format!("{} packs", quantity(Decimal::from(n))),
    }
}

/// An empty field counts as zero, so a person can fill in one meter at a time; anything else
/// is read like a route editor cell (`350,000`, `350k`).
fn parse(field: &'static str, text: &str) -> Result<Decimal, DesktopError> {
    crate::plan_wire::cell(field, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(requests: &str, egress_gb: &str, tier: &str) -> PlanInput {
        PlanInput { requests: requests.into(), egress_gb: egress_gb.into(), compute_seconds: String::new(), tier: tier.into() }
    }

    #[test]
    fn prices_entered_usage_like_the_pricing_core() {
        // The crate's own documented example: 350k requests and 60 GB on production = $25.50.
        let quote = quote(&input("350,000", "60", "production")).unwrap();
        assert_eq!(quote.bill.total, "$25.50");
        assert_eq!(super::quote(&input("350k", "60", "production")).unwrap().bill.total, "$25.50");
        assert!(quote.tiers.iter().any(|t| t.tier == "sandbox" && t.caps_usage));
        assert_eq!(quote.tiers.iter().filter(|t| t.recommended).count(), 1);
        assert!(quote.recommendation.is_some());
    }

    #[test]
    fn rejects_negative_and_garbled_quantities_by_field() {
        let err = quote(&input("-5", "0", "production")).unwrap_err();
        assert_eq!(err.code(), "bad_quantity");
        let err = quote(&input("10", "lots", "production")).unwrap_err();
        assert!(err.to_string().contains("egress_gb"));
    }

    #[test]
    fn packs_beside_a_tier_are_counted_with_thousands_separators() {
        // 5 billion requests on production: $199,992.00 of request overage, 7,999.68 packs.
        let quote = quote(&input("5B", "0", "production")).unwrap();
        let production = quote.tiers.iter().find(|t| t.tier == "production").unwrap();
        assert_eq!(production.packs_needed, 8_000);
        assert_eq!(production.packs_note, "8,000 packs");
        assert_eq!(packs_note(1), "1 pack");
        assert_eq!(packs_note(0), "");
    }

    #[test]
    fn empty_fields_are_zero_usage() {
        let quote = quote(&input("", "", "scale")).unwrap();
        assert_eq!(quote.bill.total, quote.bill.base_fee);
    }
}
