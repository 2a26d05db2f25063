//! The burst credit ledger's rules, as pure functions over its entries.
//!
//! Amounts are integer cents. The ledger is a chain: entry n+1 holds
//! `balance_after = balance_after(n) + amount`, and every balance is zero or more. The chain
//! is asserted when entries are planned (write) and verified when they are read.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use edgecost_pricing::format::round_to_cents;
use edgecost_pricing::{Decimal, PriceBook};

use crate::error::{EngineError, Result};
use crate::store::LedgerRow;
use crate::token::random_id;

pub(crate) const KIND_PURCHASE: &str = "purchase";
pub(crate) const KIND_CONSUMPTION: &str = "consumption";
pub(crate) const KIND_ADJUSTMENT: &str = "adjustment";

/// Whole cents of an amount that is already whole cents (bill lines and pack prices are).
pub(crate) fn to_cents(amount: Decimal) -> Result<i64> {
    use rust_decimal::prelude::ToPrimitive;
    assert_eq!(round_to_cents(amount), amount, "an amount on the ledger must be whole cents");
    let cents = amount.checked_mul(Decimal::ONE_HUNDRED).ok_or(EngineError::Overflow)?;
    cents.to_i64().ok_or(EngineError::Overflow)
}

/// An amount of integer cents as a decimal with two places.
pub fn from_cents(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

/// Verifies the chain and returns the balance. Any break is an error, never a guess.
pub(crate) fn checked_balance(account_id: &str, entries: &[LedgerRow]) -> Result<i64> {
    let mut balance: i64 = 0;
    for (i, e) in entries.iter().enumerate() {
        let broken = |reason: String| EngineError::LedgerInconsistent { account_id: account_id.to_owned(), reason };
        if e.sequence != i as i64 + 1 {
            return Err(broken(format!("entry {} has sequence {}", i + 1, e.sequence)));
        }
        balance = balance.checked_add(e.amount_cents).ok_or(EngineError::Overflow)?;
        if balance != e.balance_after_cents {
            return Err(broken(format!("entry {} says balance {} but the entries sum to {}", e.sequence, e.balance_after_cents, balance)));
        }
        if balance < 0 {
            return Err(broken(format!("balance is negative after entry {}", e.sequence)));
        }
    }
    Ok(balance)
}

/// Net credit spent on the overage of the period starting at `period_start`.
pub(crate) fn paid_for_period(entries: &[LedgerRow], period_start: i64) -> i64 {
    -entries.iter().filter(|e| e.kind != KIND_PURCHASE && e.period_start == Some(period_start)).map(|e| e.amount_cents).sum::<i64>()
}

/// Credit left in each pack (purchase entry id), oldest pack first.
fn pack_remaining(entries: &[LedgerRow]) -> Vec<(String, i64)> {
    let mut order = Vec::new();
    let mut left: BTreeMap<&str, i64> = BTreeMap::new();
    for e in entries {
        if e.kind == KIND_PURCHASE {
            order.push(e.id.clone());
            left.insert(&e.id, e.amount_cents);
        } else if let Some(pack) = e.pack_id.as_deref() {
            *left.entry(pack).or_default() += e.amount_cents;
        }
    }
    order
        .into_iter()
        .map(|id| {
            let l = left[id.as_str()];
            (id, l)
        })
        .collect()
}

/// Appends entries to a chain, keeping sequence and running balance. Panics when a planned
/// entry would break the chain: that is a bug, never a state to store.
pub(crate) struct Chain {
    pub next_sequence: i64,
    pub balance: i64,
    pub planned: Vec<LedgerRow>,
}

impl Chain {
    pub fn after(account_id: &str, entries: &[LedgerRow]) -> Result<Chain> {
        let balance = checked_balance(account_id, entries)?;
        Ok(Chain { next_sequence: entries.len() as i64 + 1, balance, planned: Vec::new() })
    }

    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        kind: &str,
        amount_cents: i64,
        pack_id: Option<String>,
        paid: Option<(i64, i64, i64, i64)>,
        note: String,
        now: i64,
    ) -> &LedgerRow {
        let balance_after = self.balance.checked_add(amount_cents).expect("ledger amounts stay far below i64");
        assert!(balance_after >= 0, "a ledger entry would make the balance negative");
        let entry = LedgerRow {
            id: random_id("led_", 12),
            sequence: self.next_sequence,
            kind: kind.to_owned(),
            amount_cents,
            balance_after_cents: balance_after,
            pack_id,
            period_start: paid.map(|p| p.0),
            overage_from_cents: paid.map(|p| p.1),
            overage_to_cents: paid.map(|p| p.2),
            usage_through: paid.map(|p| p.3),
            note,
            created_at: now,
            auto_after_sequence: None,
        };
        self.next_sequence += 1;
        self.balance = balance_after;
        self.planned.push(entry);
        self.planned.last().expect("just pushed")
    }
}

/// Plans the entries that bring the credit spent on a period's overage to
/// `min(overage, paid + balance)`: consumption from the oldest packs first, or, when the
/// overage fell (an upgrade lowers it), credit returned to the packs it came from. Their notes
/// write amounts in `currency`, the price book's.
pub(crate) fn settle(chain: &mut Chain, existing: &[LedgerRow], period_start: i64, overage_cents: i64, currency: &str, now: DateTime<Utc>) {
    let all: Vec<LedgerRow> = existing.iter().chain(chain.planned.iter()).cloned().collect();
    let paid = paid_for_period(&all, period_start);
    let at = now.timestamp();
    if paid > overage_cents {
        // Return the excess, newest consumption of this period first.
        let mut excess = paid - overage_cents;
        let mut by_pack: BTreeMap<String, i64> = BTreeMap::new();
        for e in all.iter().filter(|e| e.kind != KIND_PURCHASE && e.period_start == Some(period_start)) {
            if let Some(p) = &e.pack_id {
                *by_pack.entry(p.clone()).or_default() -= e.amount_cents;
            }
        }
        let mut packs: Vec<_> = pack_remaining(&all).into_iter().map(|(id, _)| id).collect();
        packs.reverse();
        let mut to = paid;
        for pack in packs {
            let spent = by_pack.get(&pack).copied().unwrap_or(0);
            let back = spent.min(excess);
            if back <= 0 {
                continue;
            }
            chain.push(
                KIND_ADJUSTMENT,
                back,
                Some(pack),
                Some((period_start, to - back, to, at)),
                format!("returned {}: the period's overage fell to {}", money(back, currency), money(overage_cents, currency)),
                at,
            );
            to -= back;
            excess -= back;
            if excess == 0 {
                break;
            }
        }
        return;
    }
    let mut need = overage_cents - paid;
    let mut from = paid;
    for (pack, left) in pack_remaining(&all) {
        if need == 0 {
            break;
        }
        let take = left.min(need);
        if take <= 0 {
            continue;
        }
        chain.push(
            KIND_CONSUMPTION,
            -take,
            Some(pack),
            Some((period_start, from, from + take, at)),
            format!("paid overage {} to {} of this period", money(from, currency), money(from + take, currency)),
            at,
        );
        from += take;
        need -= take;
    }
}

/// An amount of integer cents as people read it in `currency`: `$12.34`, `€12.34`.
fn money(cents: i64, currency: &str) -> String {
    edgecost_pricing::format::money_in(from_cents(cents), currency)
}

/// Why burst packs cannot be bought now: the tier takes none, or a downgrade to a tier that
/// takes none is scheduled (its credit could never be spent there).
pub(crate) fn packs_refusal(book: &PriceBook, current: &str, scheduled: Option<&str>) -> Option<EngineError> {
    let takes_packs = |name: &str| book.tier(name).is_some_and(|t| t.credit_packs);
    if !takes_packs(current) {
        return Some(EngineError::CreditPacksNotAllowed { tier: current.to_owned() });
    }
    let scheduled = scheduled.filter(|t| !takes_packs(t))?;
    let label = book.tier(scheduled).map_or(scheduled, |t| t.display_name());
    Some(EngineError::CreditPacksScheduledOut { scheduled: label.to_owned() })
}

/// Why a downgrade to `target` is refused now: a tier that takes no burst packs cannot
/// start while the account holds credit. The balance is written in `currency`, the book's.
pub(crate) fn downgrade_refusal(target: &edgecost_pricing::Tier, balance_cents: i64, currency: &str) -> Option<EngineError> {
    (!target.credit_packs && balance_cents > 0)
        .then(|| EngineError::CreditsHeld { tier: target.name.clone(), balance: money(balance_cents, currency) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> DateTime<Utc> {
        "2026-11-23T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn cents_convert_exactly() {
        assert_eq!(to_cents("25.00".parse().unwrap()).unwrap(), 2500);
        assert_eq!(to_cents("0.05".parse().unwrap()).unwrap(), 5);
        assert_eq!(from_cents(1234).to_string(), "12.34");
    }

    #[test]
    fn consumption_draws_oldest_packs_first_and_returns_newest_first() {
        let mut chain = Chain::after("a", &[]).unwrap();
        chain.push(KIND_PURCHASE, 2500, None, None, "1 pack".into(), 0);
        chain.push(KIND_PURCHASE, 2500, None, None, "1 pack".into(), 0);
        let existing = std::mem::take(&mut chain.planned);
        let mut chain = Chain::after("a", &existing).unwrap();
        settle(&mut chain, &existing, 100, 3000, "USD", t());
        assert_eq!(chain.planned.len(), 2);
        assert_eq!(chain.planned[0].amount_cents, -2500);
        assert_eq!(chain.planned[1].amount_cents, -500);
        assert_eq!(chain.balance, 2000);
        let all: Vec<_> = existing.iter().chain(chain.planned.iter()).cloned().collect();
        assert_eq!(paid_for_period(&all, 100), 3000);

        // The overage fell to $10: $20 comes back, first to the newest pack.
        let mut chain = Chain::after("a", &all).unwrap();
        settle(&mut chain, &all, 100, 1000, "USD", t());
        let back: i64 = chain.planned.iter().map(|e| e.amount_cents).sum();
        assert_eq!(back, 2000);
        assert_eq!(chain.planned[0].pack_id.as_deref(), Some(existing[1].id.as_str()));
        assert_eq!(chain.balance, 4000);
    }

    #[test]
    fn notes_and_the_held_balance_are_written_in_the_books_currency() {
        let mut chain = Chain::after("a", &[]).unwrap();
        chain.push(KIND_PURCHASE, 2500, None, None, "1 pack".into(), 0);
        let existing = std::mem::take(&mut chain.planned);
        let mut chain = Chain::after("a", &existing).unwrap();
        settle(&mut chain, &existing, 100, 1250, "EUR", t());
        assert_eq!(chain.planned[0].note, "paid overage €0.00 to €12.50 of this period");
        let all: Vec<_> = existing.iter().chain(chain.planned.iter()).cloned().collect();
        let mut chain = Chain::after("a", &all).unwrap();
        settle(&mut chain, &all, 100, 1000, "GBP", t());
        assert_eq!(chain.planned[0].note, "returned £2.50: the period's overage fell to £10.00");

        let sandbox = PriceBook::published().tier("sandbox").unwrap();
        match downgrade_refusal(sandbox, 1500, "CHF") {
            Some(EngineError::CreditsHeld { balance, .. }) => assert_eq!(balance, "CHF 15.00"),
            other => panic!("{other:?}"),
        }
        match downgrade_refusal(sandbox, 1500, "USD") {
            Some(EngineError::CreditsHeld { balance, .. }) => assert_eq!(balance, "$15.00"),
            other => panic!("{other:?}"),
        }
        assert!(downgrade_refusal(sandbox, 0, "EUR").is_none(), "no credit, nothing held");
    }

    #[test]
    fn a_broken_chain_is_reported_on_read() {
        let mut chain = Chain::after("a", &[]).unwrap();
        chain.push(KIND_PURCHASE, 2500, None, None, "1 pack".into(), 0);
        let mut rows = chain.planned;
        rows[0].balance_after_cents = 9999;
        assert!(matches!(checked_balance("a", &rows), Err(EngineError::LedgerInconsistent { .. })));
    }
}
