//! Bills and tiers: the period's state, the bill to date, the account summary and tier changes.

use chrono::{DateTime, Utc};
use edgecost_api::{AccountSummary, BillToDate, ScheduledTierChange, TierChange, TierChangeRequest, UsageTotals};
use edgecost_pricing::{Bill, BillTotals, Decimal};

use crate::error::{EngineError, Result};
use crate::ledger::{self, downgrade_refusal};
use crate::period::{Period, from_unix};
use crate::rating::{self, PeriodState};
use crate::spend_cap;
use crate::store::{Counters, RegionCounters, TierChangeRow, TierPlan, TierWrite};

use crate::engine::{AccountId, Engine, detached, idempotency_claim, truncate_to_second};
use crate::ingest::quota_state;

impl Engine {
    /// Everything about the account's current period that bills and notices need.
    pub(crate) async fn period_state(&self, account: &AccountId, now: DateTime<Utc>) -> Result<PeriodState> {
        let row = self.store.account(&account.0).await?.ok_or(EngineError::NotFound)?;
        let changes = self.store.tier_changes(&account.0).await?;
        let period = Period::containing(now);
        let regions = self.store.period_usage(&account.0, period.start_unix()).await?;
        let spend_cap = self.store.spend_cap(&account.0, period.start_unix()).await?;
        let entries = self.store.ledger(&account.0).await?;
        self.period_state_of(account, row.name, changes, regions, spend_cap.as_ref(), &entries, now)
    }

    /// [`Engine::period_state`] from rows already read.
    #[allow(clippy::too_many_arguments)]
    fn period_state_of(
        &self,
        account: &AccountId,
        name: String,
        changes: Vec<TierChangeRow>,
        regions: Vec<RegionCounters>,
        spend_cap: Option<&crate::store::controls::SpendCapRow>,
        entries: &[crate::store::LedgerRow],
        now: DateTime<Utc>,
    ) -> Result<PeriodState> {
        let period = Period::containing(now);
        let tier = rating::tier_at(&changes, now)
            .ok_or_else(|| EngineError::CorruptRow { reason: format!("account {} has no tier", account.0) })?
            .to_owned();
        let scheduled = changes
            .iter()
            .find(|c| c.effective_at > now.timestamp())
            .map(|c| ScheduledTierChange { tier: c.tier.clone(), effective_at: from_unix(c.effective_at) });
        let mut totals = rating::totals(&self.book, &regions)?;
        totals.refused_by_cap = rating::refused_in(&changes, &period, now);
        totals.spend_cap = spend_cap::state_of(spend_cap)?;
        let balance_cents = ledger::checked_balance(&account.0, entries)?;
        let paid_cents = ledger::paid_for_period(entries, period.start_unix());
        let shares = rating::base_fee_shares(&changes, &period, now);
        Ok(PeriodState { name, tier, scheduled, period, regions, totals, balance_cents, paid_cents, shares, changes })
    }

    pub(crate) fn rate(&self, tier: &str, totals: &UsageTotals, credit_cents: i64, state: &PeriodState) -> Result<Bill> {
        // No credit rates exactly as the pricing core's default options do, so a bill
        // without credit is the same JSON `edgecost bill` prints.
        let credit_balance = if credit_cents == 0 { Decimal::ZERO } else { ledger::from_cents(credit_cents) };
        let options = state.period.rate_options(credit_balance, state.shares.clone());
        Ok(self.book.rate(tier, &totals.usage(), &options)?)
    }

    /// [`Engine::rate`]'s money figures alone (see [`PriceBook::rate_totals`]).
    pub(crate) fn rate_totals(&self, tier: &str, totals: &UsageTotals, credit_cents: i64, state: &PeriodState) -> Result<BillTotals> {
        let credit_balance = if credit_cents == 0 { Decimal::ZERO } else { ledger::from_cents(credit_cents) };
        let options = state.period.rate_options(credit_balance, state.shares.clone());
        Ok(self.book.rate_totals(tier, &totals.usage(), &options)?)
    }

    /// The bill to date (what is left to invoice) and the projected bill at period end.
    pub async fn bill_to_date(&self, account: &AccountId, now: DateTime<Utc>) -> Result<BillToDate> {
        // The period's state and what the projection reads come from one snapshot.
        let period = Period::containing(now);
        let reads = self.store.bill_reads(&account.0, period.start_unix(), period.end.timestamp()).await?.ok_or(EngineError::NotFound)?;
        let s =
            self.period_state_of(account, reads.account.name, reads.changes, reads.usage, reads.spend_cap.as_ref(), &reads.ledger, now)?;
        let bill = self.rate(&s.tier, &s.totals, s.paid_cents, &s)?;
        let (basis, projected_totals) = self.projection_from(account, &s, reads.first_usage_hour, reads.spend_cap_cents, now).await?;
        let projected = self.rate(&s.tier, &projected_totals, s.paid_cents + s.balance_cents, &s)?;
        Ok(BillToDate {
            as_of: now,
            period: s.period.to_api(now),
            totals: s.totals.clone(),
            cost: bill.cost(),
            bill: bill.into(),
            projected_totals,
            projected_cost: projected.cost(),
            projected: projected.into(),
            basis,
        })
    }

    /// The account overview.
    pub async fn account_summary(&self, account: &AccountId, now: DateTime<Utc>) -> Result<AccountSummary> {
        let s = self.period_state(account, now).await?;
        let notices = self.notices_of(account, &s, now).await?;
        Ok(AccountSummary {
            account_id: account.0.clone(),
            name: s.name.clone(),
            tier: s.tier.clone(),
            scheduled_tier: s.scheduled.clone(),
            period: s.period.to_api(now),
            totals: s.totals.clone(),
            credit_balance: ledger::from_cents(s.balance_cents),
            notices,
        })
    }

    /// Changes the tier. An upgrade applies at once: the new tier rates the whole period and
    /// base fees prorate by day. A downgrade applies from the next period. Either resolves
    /// the account's notices when it takes effect.
    ///
    /// `idempotency_key` names this change (one per confirmation): the same key with the same
    /// tier returns the first answer and changes nothing, also when the repeats race or the
    /// first answer was lost after its commit; the same key with another tier is refused.
    /// Keys are per account and shared with no other call. A refused change claims no key.
    pub async fn change_tier(
        &self,
        account: &AccountId,
        idempotency_key: &str,
        request: &TierChangeRequest,
        now: DateTime<Utc>,
    ) -> Result<TierChange> {
        let now = truncate_to_second(now);
        let claim = idempotency_claim(idempotency_key, request, now)?;
        let tier = request.tier.clone();
        self.rateable_tier(&tier)?;
        self.store.account(&account.0).await?.ok_or(EngineError::NotFound)?;
        // The tier and the credit balance are decided from the rows read inside the
        // transaction, which holds the account: a purchase cannot slip in between.
        let period = Period::containing(now);
        let book = self.book.clone();
        let account_id = account.0.clone();
        let decide = move |changes: &[TierChangeRow], entries: &[crate::store::LedgerRow], usage: &[RegionCounters]| -> Result<TierPlan> {
            let current = rating::tier_at(changes, now)
                .ok_or_else(|| EngineError::CorruptRow { reason: "an account has no tier".into() })?
                .to_owned();
            let scheduled = changes.iter().any(|c| c.effective_at > now.timestamp());
            let rank = |name: &str| book.tiers.iter().position(|t| t.name == name);
            // A change that applies now leaves the current tier: what a hard cap refused so
            // far this period stays refused (never billed on the new tier), and the new tier's
            // notices are raised at once on the period's billable usage.
            let immediate = |resolve_notices: bool| -> Result<TierPlan> {
                let from =
                    book.tier(&current).ok_or_else(|| EngineError::UnknownTier { tier: current.clone(), known: book.tier_names() })?;
                let to = book.tier(&tier).expect("checked rateable above");
                let mut totals = rating::totals(&book, usage)?;
                totals.refused_by_cap = rating::refused_in(changes, &period, now);
                let refused = rating::refused_on_leaving(from, &totals)?;
                let refused_by = match &totals.refused_by_cap {
                    Some(earlier) => Some(earlier.tier.clone()),
                    None => (refused != Counters::default()).then(|| current.clone()),
                };
                totals.refused_by_cap = rating::refused_usage(&refused, refused_by.as_deref().unwrap_or_default());
                let (_, notices) = quota_state(to, &totals.usage(), &account_id, period.start_unix(), now);
                let answer = TierChange { previous_tier: current.clone(), tier: tier.clone(), effective_at: now, immediate: true };
                Ok(TierPlan {
                    change: TierChangeRow { effective_at: now.timestamp(), tier: tier.clone(), refused, refused_by },
                    resolve_notices,
                    notices,
                    response_json: serde_json::to_string(&answer).expect("a tier change serializes"),
                })
            };
            if tier == current {
                if !scheduled {
                    return Err(EngineError::TierUnchanged { tier: tier.clone() });
                }
                // Staying put cancels a scheduled downgrade.
                return immediate(false);
            }
            if rank(&tier) > rank(&current) {
                return immediate(true);
            }
            let target = book.tier(&tier).expect("checked rateable above");
            let balance_cents = ledger::checked_balance(&account_id, entries)?;
            if let Some(refusal) = downgrade_refusal(target, balance_cents, &book.currency) {
                return Err(refusal);
            }
            // A downgrade applies from the next period, which starts with nothing refused.
            let answer = TierChange { previous_tier: current.clone(), tier: tier.clone(), effective_at: period.end, immediate: false };
            Ok(TierPlan {
                change: TierChangeRow { effective_at: period.end.timestamp(), tier: tier.clone(), ..Default::default() },
                resolve_notices: false,
                notices: Vec::new(),
                response_json: serde_json::to_string(&answer).expect("a tier change serializes"),
            })
        };
        let (store, id) = (self.store.clone(), account.0.clone());
        let written = detached(async move { store.change_tier(&id, &claim, now.timestamp(), period.start_unix(), &decide).await }).await?;
        let json = match written {
            TierWrite::Written(j) | TierWrite::Replayed(j) => j,
        };
        let change: TierChange =
            serde_json::from_str(&json).map_err(|e| EngineError::CorruptRow { reason: format!("stored tier change: {e}") })?;
        if change.immediate {
            // The period's overage changed with the tier: credit follows it. A replay settles
            // too, which finishes the work of an attempt that crashed after its commit.
            self.settle_credits(account, now).await?;
        }
        Ok(change)
    }
}
