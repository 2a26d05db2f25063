//! Burst credit: settlement of overage from held packs, purchases and the ledger.

use chrono::{DateTime, Duration, Utc};
use edgecost_api::{CreditLedger, CreditPurchase, CreditPurchaseRequest, LedgerEntry, LedgerEntryKind, PaidOverage};
use edgecost_pricing::format::money_in;
use edgecost_pricing::{Decimal, PriceBook};

use crate::error::{EngineError, Result};
use crate::ledger::{self, Chain, KIND_PURCHASE, packs_refusal};
use crate::period::{Period, from_unix};
use crate::rating;
use crate::spend_cap;
use crate::store::{LedgerPlan, LedgerState, LedgerWrite};
use crate::top_up;
use crate::validate::{self, PACKS_PER_PURCHASE_MAX};

use crate::engine::{AccountId, Engine, detached, idempotency_claim, truncate_to_second};

impl Engine {
    /// Spends credit on the open period's unpaid overage (or returns credit the overage no
    /// longer needs), and during the grace hour after a period ends first on what late records
    /// added to the period just closed. Idempotent: it converges on the same ledger however
    /// often it runs. The overage is worked out from the usage and tier read inside the
    /// ledger's transaction, so a settlement never acts on overage a concurrent batch changed.
    pub async fn settle_credits(&self, account: &AccountId, now: DateTime<Utc>) -> Result<()> {
        let now = truncate_to_second(now);
        let open = Period::containing(now);
        let closing = Period::containing(now - Duration::seconds(validate::LATE_RECORD_GRACE_SECONDS));
        if closing != open {
            self.settle_period(account, closing, now).await?;
        }
        self.settle_period(account, open, now).await
    }

    async fn settle_period(&self, account: &AccountId, period: Period, now: DateTime<Utc>) -> Result<()> {
        let entries = self.store.ledger(&account.0).await?;
        let balance = ledger::checked_balance(&account.0, &entries)?;
        let paid = ledger::paid_for_period(&entries, period.start_unix());
        // Automatic top-up buys for the open period only.
        let open = period == Period::containing(now);
        // Nothing to spend, nothing to return and nothing to buy: the common case costs a read.
        if balance == 0 && paid == 0 && !(open && self.store.controls(&account.0).await?.is_some_and(|c| c.top_up.is_some())) {
            return Ok(());
        }
        // A closed period is rated as its final bill: on the tier at its last second.
        let at = now.min(period.end - Duration::seconds(1));
        let (book, account_id) = (self.book.clone(), account.0.clone());
        let decide = move |state: &LedgerState| -> Result<LedgerPlan> {
            let (overage, takes_packs) = overage_in(&book, state, &period, at)?;
            let mut chain = Chain::after(&account_id, &state.entries)?;
            if takes_packs {
                ledger::settle(&mut chain, &state.entries, period.start_unix(), overage, &book.currency, now);
            }
            let alerts = match (&state.top_up, open) {
                (Some(top_up), true) => top_up::plan_top_up(&book, &mut chain, state, top_up, &period, overage, &account_id, now)?,
                _ => Vec::new(),
            };
            Ok(LedgerPlan { entries: chain.planned, response_json: None, alerts })
        };
        let (store, id) = (self.store.clone(), account.0.clone());
        detached(async move { store.write_ledger(&id, period.start_unix(), None, &decide).await }).await?;
        Ok(())
    }

    /// Buys `request.packs` burst credit packs. The same `idempotency_key` returns the first
    /// answer; with a different request it is refused. The new credit pays the period's
    /// unpaid overage at once, including overage from before the purchase.
    pub async fn purchase_credits(
        &self,
        account: &AccountId,
        idempotency_key: &str,
        request: &CreditPurchaseRequest,
        now: DateTime<Utc>,
    ) -> Result<CreditPurchase> {
        let now = truncate_to_second(now);
        let claim = idempotency_claim(idempotency_key, request, now)?;
        let s = self.period_state(account, now).await?;
        self.rateable_tier(&s.tier)?;
        if request.packs == 0 || request.packs > PACKS_PER_PURCHASE_MAX {
            return Err(EngineError::InvalidPackCount { packs: request.packs, max: PACKS_PER_PURCHASE_MAX });
        }
        let pack = &self.book.credit_pack;
        let packs = Decimal::from(request.packs);
        let price_paid = pack.price.checked_mul(packs).ok_or(EngineError::Overflow)?;
        let credit_added = pack.credit.checked_mul(packs).ok_or(EngineError::Overflow)?;
        let credit_cents = ledger::to_cents(credit_added)?;
        let period = s.period;
        let period_start = s.period.start_unix();
        let account_id = account.0.clone();
        let packs_count = request.packs;
        let book = self.book.clone();
        // A replay is answered before this rule: the first answer stands whatever changed since.
        // The rule reads the tier changes inside the transaction, which holds the account
        // against a racing tier change: packs need a tier that takes them, now and as scheduled.
        let decide = move |state: &LedgerState| -> Result<LedgerPlan> {
            let (entries, changes) = (&state.entries, &state.changes);
            let current =
                rating::tier_at(changes, now).ok_or_else(|| EngineError::CorruptRow { reason: "an account has no tier".into() })?;
            let scheduled = changes.iter().find(|c| c.effective_at > now.timestamp());
            if let Some(refusal) = packs_refusal(&book, current, scheduled.map(|c| c.tier.as_str())) {
                return Err(refusal);
            }
            let mut chain = Chain::after(&account_id, entries)?;
            let purchase_id = chain
                .push(
                    KIND_PURCHASE,
                    credit_cents,
                    None,
                    None,
                    format!(
                        "bought {packs_count} pack{} for {}",
                        if packs_count == 1 { "" } else { "s" },
                        money_in(price_paid, &book.currency)
                    ),
                    now.timestamp(),
                )
                .id
                .clone();
            let balance_before_spend = chain.balance;
            let (overage, _) = overage_in(&book, state, &period, now)?;
            ledger::settle(&mut chain, entries, period_start, overage, &book.currency, now);
            let response = CreditPurchase {
                purchase_id,
                packs: packs_count,
                price_paid,
                credit_added,
                consumed_now: ledger::from_cents(balance_before_spend - chain.balance),
                balance: ledger::from_cents(chain.balance),
                purchased_at: now,
            };
            Ok(LedgerPlan {
                entries: chain.planned,
                response_json: Some(serde_json::to_string(&response).expect("a purchase serializes")),
                alerts: Vec::new(),
            })
        };
        let (store, id) = (self.store.clone(), account.0.clone());
        let written = detached(async move { store.write_ledger(&id, period_start, Some(&claim), &decide).await }).await?;
        let json = match written {
            LedgerWrite::Written(Some(j)) => {
                // Usage that committed while this purchase ran was rated before the credit
                // existed: settle again now that both are visible.
                self.settle_credits(account, now).await?;
                j
            }
            LedgerWrite::Replayed(j) => j,
            LedgerWrite::Written(None) => unreachable!("a purchase always plans its answer"),
        };
        serde_json::from_str(&json).map_err(|e| EngineError::CorruptRow { reason: format!("stored purchase: {e}") })
    }

    /// The balance and every ledger entry, oldest first. The chain is verified on the way.
    pub async fn credit_ledger(&self, account: &AccountId) -> Result<CreditLedger> {
        let rows = self.store.ledger(&account.0).await?;
        let balance = ledger::checked_balance(&account.0, &rows)?;
        let entries = rows
            .into_iter()
            .map(|r| {
                let kind = match r.kind.as_str() {
                    "purchase" => LedgerEntryKind::Purchase,
                    "consumption" => LedgerEntryKind::Consumption,
                    _ => LedgerEntryKind::Adjustment,
                };
                let paid_overage = match (r.period_start, r.overage_from_cents, r.overage_to_cents, r.usage_through) {
                    (Some(p), Some(f), Some(t), Some(u)) => Some(PaidOverage {
                        period_start: from_unix(p),
                        from: ledger::from_cents(f),
                        to: ledger::from_cents(t),
                        usage_through: from_unix(u),
                    }),
                    _ => None,
                };
                LedgerEntry {
                    id: r.id,
                    sequence: r.sequence as u32,
                    kind,
                    amount: ledger::from_cents(r.amount_cents),
                    balance_after: ledger::from_cents(r.balance_after_cents),
                    pack_id: r.pack_id,
                    paid_overage,
                    note: r.note,
                    auto_top_up_after: r.auto_after_sequence.map(|s| s as u32),
                    created_at: from_unix(r.created_at),
                }
            })
            .collect();
        Ok(CreditLedger { balance: ledger::from_cents(balance), entries })
    }
}

/// The overage in cents of `period` before any credit, on the tier in effect at `now`, from
/// what a ledger decision read inside its transaction; and whether that tier takes packs.
fn overage_in(book: &PriceBook, state: &LedgerState, period: &Period, now: DateTime<Utc>) -> Result<(i64, bool)> {
    let tier = rating::tier_at(&state.changes, now).ok_or_else(|| EngineError::CorruptRow { reason: "an account has no tier".into() })?;
    let takes_packs = book.tier(tier).is_some_and(|t| t.credit_packs);
    let mut totals = rating::totals(book, &state.usage)?;
    totals.refused_by_cap = rating::refused_in(&state.changes, period, now);
    totals.spend_cap = spend_cap::state_of(state.spend_cap.as_ref())?;
    let options = period.rate_options(Decimal::ZERO, rating::base_fee_shares(&state.changes, period, now));
    let bill = book.rate(tier, &totals.usage(), &options)?;
    Ok((ledger::to_cents(bill.overage_total)?, takes_packs))
}
