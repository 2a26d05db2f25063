//! Which tier is cheapest for a usage, and by how much.
//!
//! Tiers are ranked by what the month costs on each: base fee + overage, before credit. Credit
//! (held, or bought as burst packs) is money paid before the month: it pays part of the month's
//! cost on any tier, so it never changes which tier is cheapest and is never counted as a
//! saving. The recommendation says how much of the month held credit would pay, and shows
//! packs as what they are: a prepayment that keeps overage off the invoice, with the unused
//! remainder carried to the next period.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use crate::book::PriceBook;
use crate::error::RateError;
use crate::format::{money_in, quantity, round_to_cents};
use crate::meter::Usage;
use crate::rate::{Bill, RateOptions};

/// How tiers are ranked, as the CLI and the docs state it.
pub const RANKING_RULE: &str = "Tiers are ranked by what the month costs (base fee + overage, before any credit); \
a tier that would cap the usage is never recommended; ties go to the lower tier. \
Burst packs prepay overage at face value: they never lower a bill.";

/// The most burst packs one purchase buys (docs/billing-rules.md, "Upgrades and burst credit
/// quotes"): the billing engine refuses more, so advice that needs more says how many
/// purchases it takes.
pub const PACKS_PER_PURCHASE_MAX: u32 = 100;

/// The purchases `packs` burst packs take, at most [`PACKS_PER_PURCHASE_MAX`] each.
pub fn purchases_for(packs: u32) -> u32 {
    packs.div_ceil(PACKS_PER_PURCHASE_MAX)
}

/// What pack advice adds after the price it quotes: `, bought in 50 purchases of at most 100`
/// when `packs` take more than one purchase, so more are never advised as if one; empty
/// otherwise.
pub fn purchases_note(packs: u32) -> String {
    match purchases_for(packs) {
        0 | 1 => String::new(),
        n => format!(", bought in {} purchases of at most {PACKS_PER_PURCHASE_MAX}", quantity(n.into())),
    }
}

/// One tier priced for the usage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierOption {
    /// The tier's name in the book.
    pub tier: String,
    /// The bill, with held credit applied (`bill.total` is what is left to invoice).
    pub bill: Bill,
    /// This tier would cap the usage (sandbox past a quota); never recommended.
    pub caps_usage: bool,
    /// What the usage costs on this tier: base fee + overage, before any credit is spent.
    /// Tiers are ranked by it.
    pub monthly_cost: Decimal,
    /// What held credit pays of that cost: the overage, up to the balance.
    pub credit_pays: Decimal,
    /// Burst packs that would prepay the overage held credit leaves (0 when none is left or
    /// the tier takes no packs). Buying them does not change `monthly_cost`.
    pub packs_needed: u32,
}

/// Prepaying a tier's overage with burst packs: an option shown for what it is, never a saving.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prepay {
    /// Packs to buy.
    pub packs: u32,
    /// Purchases they take, at most [`PACKS_PER_PURCHASE_MAX`] packs each.
    pub purchases: u32,
    /// What buying them costs now: packs x the pack's price.
    pub price: Decimal,
    /// The credit they add: packs x the pack's credit.
    pub credit: Decimal,
    /// The overage they pay this period (what held credit leaves).
    pub overage_paid: Decimal,
    /// The credit left after this period's overage, carried over to the next period.
    pub carries_over: Decimal,
}

/// The cheapest tier for the usage, by what the month costs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    /// The recommended tier's name in the book.
    pub tier: String,
    /// What the month costs on that tier: base fee + overage, before credit.
    pub monthly_cost: Decimal,
    /// The option the saving is measured against: the current tier when it differs, else the
    /// next cheapest option.
    pub compared_with: Option<String>,
    /// `compared_with`'s monthly cost minus this one's; zero on a tie.
    pub saving: Decimal,
    /// Other tiers whose month costs exactly the same; ties go to the lower tier.
    pub tied_with: Vec<String>,
    /// What held credit would pay of the month (its overage, up to the balance).
    pub credit_pays: Decimal,
    /// What is left to invoice once held credit has paid its part.
    pub invoice: Decimal,
    /// Held credit left after this month, carried over to the next period.
    pub credit_carries_over: Decimal,
    /// Packs that would prepay the overage held credit leaves; `None` when there is none or
    /// the tier takes no packs. Optional: buying them does not lower the month's cost.
    pub prepay: Option<Prepay>,
    /// The recommendation in a sentence for people, with the saving.
    pub summary: String,
}

/// Every tier's bill for one usage, and the recommendation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    /// Every rateable tier, in the book's order.
    pub options: Vec<TierOption>,
    /// Tiers with negotiated pricing, which cannot be priced from the book.
    pub negotiated: Vec<String>,
    /// The cheapest tier that does not cap the usage; `None` when every tier caps it.
    pub recommendation: Option<Recommendation>,
    /// How the options were ranked: [`RANKING_RULE`].
    pub ranking: String,
}

impl PriceBook {
    /// Prices `usage` on every tier and recommends the cheapest tier that does not cap it,
    /// by what the month costs (see [`RANKING_RULE`]). `credit_balance` is credit already
    /// held: it pays part of the month on any tier but does not change the ranking. With
    /// `current`, the recommendation reads as "stay" or "move" and the saving is measured
    /// against the current tier.
    pub fn compare(&self, usage: &Usage, credit_balance: Decimal, current: Option<&str>) -> Result<Comparison, RateError> {
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
            let uncovered = bill.overage_total.checked_sub(bill.credits_applied).ok_or(RateError::Overflow)?;
            let packs_needed = if tier.credit_packs { packs_to_cover(uncovered, self.credit_pack.credit) } else { 0 };
            options.push(TierOption {
                tier: tier.name.clone(),
                caps_usage: bill.capped,
                monthly_cost: round_to_cents(bill.base_fee.checked_add(bill.overage_total).ok_or(RateError::Overflow)?),
                credit_pays: bill.credits_applied,
                packs_needed,
                bill,
            });
        }
        let recommendation = self.recommend(&options, current, credit_balance)?;
        Ok(Comparison { options, negotiated, recommendation, ranking: RANKING_RULE.to_owned() })
    }

    fn recommend(
        &self,
        options: &[TierOption],
        current: Option<&str>,
        credit_balance: Decimal,
    ) -> Result<Option<Recommendation>, RateError> {
        // Ties go to the earlier (lower) tier: `min_by_key` keeps the first minimum.
        let Some(best) = options.iter().filter(|o| !o.caps_usage).min_by_key(|o| o.monthly_cost) else {
            return Ok(None);
        };
        let current_option = current.and_then(|c| options.iter().find(|o| o.tier == c));
        let against = match current_option {
            Some(c) if c.tier != best.tier => Some(c),
            _ => options.iter().filter(|o| !o.caps_usage && o.tier != best.tier).min_by_key(|o| o.monthly_cost),
        };
        let saving = match against {
            Some(a) if !a.caps_usage => round_to_cents(a.monthly_cost.checked_sub(best.monthly_cost).ok_or(RateError::Overflow)?),
            _ => Decimal::new(0, 2),
        };
        let tied_with: Vec<String> = options
            .iter()
            .filter(|o| !o.caps_usage && o.tier != best.tier && o.monthly_cost == best.monthly_cost)
            .map(|o| o.tier.clone())
            .collect();
        let credit_pays = best.credit_pays;
        let invoice = best.bill.total;
        let held = round_to_cents(credit_balance);
        let credit_carries_over = round_to_cents(held.checked_sub(credit_pays).ok_or(RateError::Overflow)?);
        let prepay = self.prepay(best)?;

        // Amounts are written in the book's currency.
        let money = |amount: Decimal| money_in(amount, &self.currency);
        // The sentence names tiers as people read them ("Scale"), not by their ids.
        let name = |tier: &str| self.tier(tier).map_or(tier, |t| t.display_name()).to_owned();
        let mut summary = match current {
            Some(c) if c == best.tier => format!("Stay on {}", name(&best.tier)),
            Some(_) => format!("Move to {}", name(&best.tier)),
            None => format!("Choose {}", name(&best.tier)),
        };
        let parts = if best.bill.overage_total.is_zero() {
            format!("{} base fee, no overage", money(best.bill.base_fee))
        } else {
            format!("{} base fee + {} overage", money(best.bill.base_fee), money(best.bill.overage_total))
        };
        summary.push_str(&format!(": {} this month ({parts})", money(best.monthly_cost)));
        if let Some(a) = against {
            let cause = match current_option {
                Some(c) if c.tier == a.tier && c.caps_usage => format!("; {} would cap this usage", name(&a.tier)),
                _ if saving.is_zero() => {
                    format!("; {} costs the same, and ties go to the lower tier", name(&a.tier))
                }
                Some(c) if c.tier == a.tier => format!(", {} less than staying on {}", money(saving), name(&a.tier)),
                _ => format!(", {} less than {}", money(saving), name(&a.tier)),
            };
            summary.push_str(&cause);
        }
        summary.push('.');
        if held > Decimal::ZERO {
            if credit_pays.is_zero() {
                summary.push_str(&format!(
                    " Held credit of {} pays none of it (there is no overage on {}) and carries over to the next period.",
                    money(held),
                    name(&best.tier)
                ));
            } else {
                summary.push_str(&format!(
                    " Held credit of {} would pay {} of it (the overage), leaving {} to invoice and {} of credit for the next period.",
                    money(held),
                    money(credit_pays),
                    money(invoice),
                    money(credit_carries_over)
                ));
            }
        }
        if let Some(p) = &prepay {
            // Counts are grouped like every count shown (1,237).
            let purchases = purchases_note(p.packs);
            summary.push_str(&format!(
                " Optionally, {} burst pack{} ({}{purchases}) would prepay the {} of overage{} so it never reaches the invoice; the {} left carries over to the next period. A pack prepays the bill at face value, it does not lower it.",
                quantity(p.packs.into()),
                if p.packs == 1 { "" } else { "s" },
                money(p.price),
                money(p.overage_paid),
                if held > Decimal::ZERO { " held credit leaves" } else { "" },
                money(p.carries_over)
            ));
        }
        Ok(Some(Recommendation {
            tier: best.tier.clone(),
            monthly_cost: best.monthly_cost,
            compared_with: against.map(|a| a.tier.clone()),
            saving,
            tied_with,
            credit_pays,
            invoice,
            credit_carries_over,
            prepay,
            summary,
        }))
    }

    /// The packs that would prepay `option`'s overage past held credit.
    fn prepay(&self, option: &TierOption) -> Result<Option<Prepay>, RateError> {
        if option.packs_needed == 0 {
            return Ok(None);
        }
        let packs = Decimal::from(option.packs_needed);
        let price = self.credit_pack.price.checked_mul(packs).ok_or(RateError::Overflow)?;
        let credit = self.credit_pack.credit.checked_mul(packs).ok_or(RateError::Overflow)?;
        let overage_paid = option.bill.overage_total.checked_sub(option.credit_pays).ok_or(RateError::Overflow)?;
        let carries_over = credit.checked_sub(overage_paid).ok_or(RateError::Overflow)?;
        Ok(Some(Prepay {
            packs: option.packs_needed,
            purchases: purchases_for(option.packs_needed),
            price: round_to_cents(price),
            credit: round_to_cents(credit),
            overage_paid: round_to_cents(overage_paid),
            carries_over: round_to_cents(carries_over),
        }))
    }
}

/// Packs of `credit_per_pack` needed to cover `amount`: ceil(amount / credit), 0 for none,
/// `u32::MAX` when more would be needed than that.
pub fn packs_to_cover(amount: Decimal, credit_per_pack: Decimal) -> u32 {
    if amount <= Decimal::ZERO || credit_per_pack <= Decimal::ZERO {
        return 0;
    }
    amount.checked_div(credit_per_pack).and_then(|p| p.ceil().to_u32()).unwrap_or(u32::MAX)
}
