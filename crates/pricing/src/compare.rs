//! Which tier is cheapest for a usage, and by how much, with burst credit packs as an option.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use crate::book::PriceBook;
use crate::error::RateError;
use crate::format::money;
use crate::meter::Usage;
use crate::rate::{Bill, RateOptions};

/// One tier priced for the usage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierOption {
    pub tier: String,
    pub bill: Bill,
    /// This tier would cap the usage (sandbox past a quota); never recommended.
    pub caps_usage: bool,
    /// What the usage costs on this tier: base fee + overage, before any credit is spent.
    pub monthly_cost: Decimal,
    /// Burst packs to buy so that credit covers this tier's overage (0 when it needs none or
    /// the tier takes no packs).
    pub packs_needed: u32,
}

/// The cheapest way to carry the usage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    pub tier: String,
    /// Burst packs to buy to prepay the overage on that tier.
    pub packs: u32,
    pub packs_cost: Decimal,
    pub monthly_cost: Decimal,
    /// The option the saving is measured against: the current tier when it differs, else the
    /// next cheapest option.
    pub compared_with: Option<String>,
    pub saving: Decimal,
    pub summary: String,
}

/// Every tier's bill for one usage, and the recommendation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    pub options: Vec<TierOption>,
    /// Tiers with negotiated pricing, which cannot be priced from the book.
    pub negotiated: Vec<String>,
    pub recommendation: Option<Recommendation>,
}

impl PriceBook {
    /// Prices `usage` on every tier and recommends the cheapest option that does not cap it.
    /// With `current`, the recommendation reads as "stay" or "move" and the saving is measured
    /// against the current tier.
    pub fn compare(
        &self,
        usage: &Usage,
        credit_balance: Decimal,
        current: Option<&str>,
    ) -> Result<Comparison, RateError> {
        if let Some(name) = current
            && self.tier(name).is_none()
        {
            return Err(RateError::UnknownTier { tier: name.to_owned(), known: self.tier_names() });
        }
        let options_in = RateOptions { credit_balance, ..RateOptions::default() };
        let mut options = Vec::new();
        let mut negotiated = Vec::new();
        for tier in &self.tiers {
            if !tier.is_rateable() {
                negotiated.push(tier.name.clone());
                continue;
            }
            let bill = self.rate(&tier.name, usage, &options_in)?;
            let packs_needed = if tier.credit_packs {
                packs_to_cover(bill.overage_total - bill.credits_applied, self.credit_pack.credit)
            } else {
                0
            };
            options.push(TierOption {
                tier: tier.name.clone(),
                caps_usage: bill.capped,
                monthly_cost: bill.base_fee + bill.overage_total,
                packs_needed,
                bill,
            });
        }
        let recommendation = self.recommend(&options, current);
        Ok(Comparison { options, negotiated, recommendation })
    }

    fn recommend(&self, options: &[TierOption], current: Option<&str>) -> Option<Recommendation> {
        // Ties go to the earlier (smaller) tier: `min_by_key` keeps the first minimum.
        let best = options.iter().filter(|o| !o.caps_usage).min_by_key(|o| o.monthly_cost)?;
        let current_option = current.and_then(|c| options.iter().find(|o| o.tier == c));
        let against = match current_option {
            Some(c) if c.tier != best.tier => Some(c),
            _ => options
                .iter()
                .filter(|o| !o.caps_usage && o.tier != best.tier)
                .min_by_key(|o| o.monthly_cost),
        };
        let saving = against.map_or(Decimal::ZERO, |a| a.monthly_cost - best.monthly_cost);
        let packs_cost = self.credit_pack.price * Decimal::from(best.packs_needed);

        let mut summary = match current {
            Some(c) if c == best.tier => format!("Stay on {}", best.tier),
            Some(_) => format!("Move to {}", best.tier),
            None => format!("Choose {}", best.tier),
        };
        if best.packs_needed > 0 {
            summary.push_str(&format!(
                " and buy {} burst pack{} ({}) to cover {} of overage",
                best.packs_needed,
                if best.packs_needed == 1 { "" } else { "s" },
                money(packs_cost),
                money(best.bill.overage_total - best.bill.credits_applied)
            ));
        }
        summary.push_str(&format!(": {} this month", money(best.monthly_cost)));
        if let Some(a) = against {
            let cause = match current_option {
                Some(c) if c.tier == a.tier && c.caps_usage => format!(
                    "; {} would cap this usage",
                    a.tier
                ),
                Some(c) if c.tier == a.tier => {
                    format!(", {} less than staying on {}", money(saving), a.tier)
                }
                _ => format!(", {} less than {}", money(saving), a.tier),
            };
            summary.push_str(&cause);
        }
        summary.push('.');
        Some(Recommendation {
            tier: best.tier.clone(),
            packs: best.packs_needed,
            packs_cost,
            monthly_cost: best.monthly_cost,
            compared_with: against.map(|a| a.tier.clone()),
            saving,
            summary,
        })
    }
}

/// Packs of `credit_per_pack` needed to cover `amount`: ceil(amount / credit), 0 for none.
pub fn packs_to_cover(amount: Decimal, credit_per_pack: Decimal) -> u32 {
    if amount <= Decimal::ZERO || credit_per_pack <= Decimal::ZERO {
        return 0;
    }
    let packs = (amount / credit_per_pack).ceil();
    packs.to_u32().unwrap_or(u32::MAX)
}
