//! Automatic top-up of burst credit: the setting, and the rule the ledger's own transaction
//! applies (see [`crate::controls`]).

use chrono::{DateTime, Utc};
use edgecost_api::{AutoTopUpSettings, AutoTopUpStatus, MAX_TOP_UP_PACKS_PER_PERIOD};
use edgecost_pricing::Decimal;
use edgecost_pricing::format::{money_in, round_to_cents};

use crate::alerts::{ALERT_TOP_UP_BOUGHT, ALERT_TOP_UP_CEILING, ALERT_TOP_UP_FAILED, TOP_UP_KINDS, default_controls, to_api_alert};
use crate::engine::{AccountId, Engine, idempotency_claim, truncate_to_second};
use crate::error::{EngineError, Result};
use crate::ledger::{self, Chain, KIND_PURCHASE, packs_refusal};
use crate::period::Period;
use crate::rating;
use crate::store::controls::{AlertRow, ControlsPlan, ControlsRead, TopUpRow};
use crate::store::{ClaimScope, LedgerRow, LedgerState};
use crate::token;
use crate::validate::{PACKS_PER_PURCHASE_MAX, checked_amount};

impl Engine {
    /// The account's automatic top-up, what it bought this period and its open alerts.
    pub async fn auto_top_up(&self, account: &AccountId, now: DateTime<Utc>) -> Result<AutoTopUpStatus> {
        let now = truncate_to_second(now);
        let controls = self.store.controls(&account.0).await?;
        self.store.account(&account.0).await?.ok_or(EngineError::NotFound)?;
        let entries = self.store.ledger(&account.0).await?;
        let balance = ledger::checked_balance(&account.0, &entries)?;
        let period = Period::containing(now);
        let bought = auto_packs_in(&entries, &period, self.book.credit_pack.credit)?;
        let settings = controls.as_ref().and_then(|c| {
            c.top_up.map(|t| (t, true)).or(c.top_up_disabled.map(|t| (t, false))).map(|(t, enabled)| AutoTopUpSettings {
                enabled,
                below: ledger::from_cents(t.below_cents),
                packs: t.packs as u32,
                max_packs_per_period: t.max_packs as u32,
            })
        });
        let max = controls.as_ref().and_then(|c| c.top_up).map_or(0, |t| t.max_packs);
        let open = self.store.open_alerts(&account.0, period.start_unix()).await?;
        Ok(AutoTopUpStatus {
            settings,
            packs_this_period: bought as u32,
            spent_this_period: round_to_cents(self.book.credit_pack.price * Decimal::from(bought)),
            packs_left_this_period: (max - bought).max(0) as u32,
            balance: ledger::from_cents(balance),
            alerts: open.iter().filter(|a| TOP_UP_KINDS.contains(&a.kind.as_str())).map(to_api_alert).collect::<Result<_>>()?,
        })
    }

    /// Sets up, changes or switches off automatic top-up. `idempotency_key` names this change
    /// as for [`Engine::set_budget`]. Switching it on settles at once: a balance already below
    /// the threshold while the period has overage buys right away.
    pub async fn set_auto_top_up(
        &self,
        account: &AccountId,
        idempotency_key: &str,
        settings: &AutoTopUpSettings,
        now: DateTime<Utc>,
    ) -> Result<AutoTopUpStatus> {
        let now = truncate_to_second(now);
        let claim = idempotency_claim(idempotency_key, settings, now)?;
        let top_up = checked_top_up(settings, &self.book.currency)?;
        let s = self.period_state(account, now).await?;
        if settings.enabled {
            let scheduled = s.scheduled.as_ref().map(|c| c.tier.as_str());
            if let Some(refusal) = packs_refusal(&self.book, &s.tier, scheduled) {
                return Err(refusal);
            }
        }
        let enabled = settings.enabled;
        let decide = move |read: ControlsRead| -> Result<ControlsPlan> {
            let mut next = read.stored.unwrap_or_else(default_controls);
            (next.top_up, next.top_up_disabled) = if enabled { (Some(top_up), None) } else { (None, Some(top_up)) };
            // A new setting starts with no top-up alerts: they were about the old one.
            let resolve = TOP_UP_KINDS.iter().map(|k| (*k, "-".to_owned())).collect();
            Ok(ControlsPlan { row: next, resolve, spend_cap: None, alerts: Vec::new() })
        };
        self.store.write_controls(&account.0, ClaimScope::AutoTopUp, &claim, s.period.start_unix(), now.timestamp(), &decide).await?;
        if enabled {
            self.settle_credits(account, now).await?;
        }
        self.auto_top_up(account, now).await
    }
}

/// What the ledger's transaction decides about automatic top-up for the open `period`, after
/// the overage was paid from the chain: a purchase appended to `chain` (then the overage paid
/// again from it) or an alert that it could not buy. Nothing when the balance is at or above
/// the threshold or the period has no overage.
#[allow(clippy::too_many_arguments)]
pub(crate) fn plan_top_up(
    book: &edgecost_pricing::PriceBook,
    chain: &mut Chain,
    state: &LedgerState,
    top_up: &TopUpRow,
    period: &Period,
    overage_cents: i64,
    account_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<AlertRow>> {
    if overage_cents == 0 || chain.balance >= top_up.below_cents {
        return Ok(Vec::new());
    }
    let all: Vec<LedgerRow> = state.entries.iter().chain(chain.planned.iter()).cloned().collect();
    let alert = |kind: &str, key: String, message: String| AlertRow {
        id: token::random_id("alr_", 10),
        account_id: account_id.to_owned(),
        period_start: period.start_unix(),
        kind: kind.to_owned(),
        key,
        message,
        raised_at: now.timestamp(),
    };
    let money = |amount: Decimal| money_in(amount, &book.currency);
    let (below, balance) = (money(ledger::from_cents(top_up.below_cents)), money(ledger::from_cents(chain.balance)));
    let current =
        rating::tier_at(&state.changes, now).ok_or_else(|| EngineError::CorruptRow { reason: "an account has no tier".into() })?;
    let scheduled = state.changes.iter().find(|c| c.effective_at > now.timestamp()).map(|c| c.tier.as_str());
    if let Some(refusal) = packs_refusal(book, current, scheduled) {
        return Ok(vec![alert(
            ALERT_TOP_UP_FAILED,
            refusal.code().to_owned(),
            format!("Automatic top-up could not buy credit: {refusal}. Nothing was charged; the balance is {balance}."),
        )]);
    }
    let bought = auto_packs_in(&all, period, book.credit_pack.credit)?;
    let packs = top_up.packs.min(top_up.max_packs - bought);
    if packs <= 0 {
        return Ok(vec![alert(
            ALERT_TOP_UP_CEILING,
            top_up.max_packs.to_string(),
            format!(
                "Automatic top-up has bought its {} packs for this period and buys no more; the balance is {balance}, below {below}. \
                 Buy packs or raise the ceiling to keep overage paid by credit.",
                top_up.max_packs
            ),
        )]);
    }
    let count = Decimal::from(packs);
    let price = book.credit_pack.price.checked_mul(count).ok_or(EngineError::Overflow)?;
    let credit_cents = ledger::to_cents(book.credit_pack.credit.checked_mul(count).ok_or(EngineError::Overflow)?)?;
    let after = chain.next_sequence - 1;
    let plural = if packs == 1 { "" } else { "s" };
    let note = format!("automatic top-up: bought {packs} pack{plural} for {}: the balance was {balance}, below {below}", money(price));
    let message = format!(
        "Automatic top-up bought {packs} pack{plural} for {}: the balance was {balance}, below {below}. Bought {} of {} packs this period.",
        money(price),
        bought + packs,
        top_up.max_packs
    );
    chain.push(KIND_PURCHASE, credit_cents, None, None, note, now.timestamp());
    chain.planned.last_mut().expect("just pushed").auto_after_sequence = Some(after);
    ledger::settle(chain, &state.entries, period.start_unix(), overage_cents, &book.currency, now);
    Ok(vec![alert(ALERT_TOP_UP_BOUGHT, format!("after:{after}"), message)])
}

/// Packs bought automatically within `period`.
fn auto_packs_in(entries: &[LedgerRow], period: &Period, pack_credit: Decimal) -> Result<i64> {
    let pack_cents = ledger::to_cents(pack_credit)?;
    let credit: i64 = entries
        .iter()
        .filter(|e| e.auto_after_sequence.is_some() && e.created_at >= period.start_unix() && e.created_at < period.end.timestamp())
        .map(|e| e.amount_cents)
        .sum();
    Ok(if pack_cents > 0 { credit / pack_cents } else { 0 })
}

/// The stored setting of `settings`, or why it is refused (amounts written in `currency`).
fn checked_top_up(settings: &AutoTopUpSettings, currency: &str) -> Result<TopUpRow> {
    let below_cents = checked_amount("below", settings.below, true, currency)?;
    if settings.packs == 0 || settings.packs > PACKS_PER_PURCHASE_MAX {
        return Err(EngineError::InvalidPackCount { packs: settings.packs, max: PACKS_PER_PURCHASE_MAX });
    }
    if settings.max_packs_per_period < settings.packs || settings.max_packs_per_period > MAX_TOP_UP_PACKS_PER_PERIOD {
        return Err(EngineError::InvalidControls {
            reason: format!(
                "max_packs_per_period must be from packs ({}) to {MAX_TOP_UP_PACKS_PER_PERIOD}; got {}",
                settings.packs, settings.max_packs_per_period
            ),
        });
    }
    Ok(TopUpRow { below_cents, packs: i64::from(settings.packs), max_packs: i64::from(settings.max_packs_per_period) })
}
