//! The Plan & billing page: the current tier and what it includes, every tier side by side
//! priced for this period's usage, the move each one offers (an upgrade now, a downgrade from
//! the next period, a scheduled downgrade to cancel), and the burst credit ledger.
//!
//! The engine prices every tier and says what each move would do; this module only arranges
//! those figures and the price book's quotas as text.

use edgecost_api::{AccountSummary, CreditLedger, UpgradeQuote};
use edgecost_client::ClientError;
use edgecost_pricing::format::{included_text, money_in, overage_text_in};
use edgecost_pricing::{Decimal, Meter, PriceBook, Tier};
use serde::{Deserialize, Serialize};

use crate::account_actions::{ActionFailure, ComparedCost, LedgerView, ledger_view};
use crate::account_status::{ScheduledView, label, scheduled_view};
use crate::app::App;
use crate::dashboard::DashboardView;
use crate::error::DesktopError;

/// What a tier's column offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum TierAction {
    /// The account's tier.
    Current,
    /// A higher tier: applies at once.
    Upgrade,
    /// A lower tier: applies from the next period.
    Downgrade,
    /// A downgrade to this tier is scheduled; it can be cancelled.
    Scheduled,
    /// The engine would refuse the move now (`note` says why).
    Unavailable,
    /// Negotiated pricing: set up by contract.
    Contact,
}

/// One meter's quota and overage price on a tier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct TierMeterTerms {
    pub meter: String,
    /// "Requests".
    pub label: String,
    /// "1,000,000", "100 GB", "unlimited".
    pub included: String,
    /// "$0.40 / 10,000", "capped", "-".
    pub overage: String,
}

/// One tier as the page's side-by-side table shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct TierColumn {
    pub tier: String,
    pub label: String,
    pub purpose: Option<String>,
    /// "$19.00 a month", or "Negotiated".
    pub base_fee: String,
    pub meters: Vec<TierMeterTerms>,
    pub credit_packs: bool,
    pub hard_cap: bool,
    /// What this period is projected to cost on the tier before credit; `None` offline and
    /// on negotiated tiers.
    pub projected: Option<ComparedCost>,
    pub recommended: bool,
    pub action: TierAction,
    /// When the move applies and what it charges, or why it is refused.
    pub note: String,
}

/// The Plan & billing page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PlanBillingView {
    pub current_tier: String,
    pub current_label: String,
    pub scheduled: Option<ScheduledView>,
    /// Every published tier, lowest first.
    pub tiers: Vec<TierColumn>,
    /// What the projections rest on.
    pub basis: Option<String>,
    pub credit_balance: String,
    /// Burst credit packs can be bought now.
    pub can_buy_credits: bool,
    /// Why they cannot, when they cannot.
    pub credits_unavailable: Option<String>,
    /// `None` offline.
    pub ledger: Option<LedgerView>,
    /// Set when the server could not be reached: the page shows the last sync and the
    /// published prices, and nothing can be changed.
    pub offline: Option<String>,
}

/// The page for the engine's answers: `quote` is `None` on a negotiated tier, which the
/// engine does not price.
pub fn plan_billing_view(
    book: &PriceBook,
    account: &AccountSummary,
    quote: Option<&UpgradeQuote>,
    ledger: &CreditLedger,
) -> Result<PlanBillingView, DesktopError> {
    let money = |amount: Decimal| money_in(amount, &book.currency);
    let scheduled = account.scheduled_tier.as_ref().map(|s| scheduled_view(book, s));
    let tiers = book
        .tiers
        .iter()
        .map(|tier| {
            let mut column = terms(tier, &account.tier, &book.currency);
            let Some(q) = quote.and_then(|q| q.tiers.iter().find(|t| t.tier == tier.name)) else { return column };
            column.projected = Some(ComparedCost::of(money(q.projected_cost), q.caps_usage, q.current));
            column.recommended = q.recommended;
            if let Some(change) = &q.change {
                (column.action, column.note) = if q.scheduled {
                    (TierAction::Scheduled, format!("The account moves here on {}.", change.effective_at.format("%b %-d, %Y")))
                } else if let Some(reason) = &change.refused_reason {
                    (TierAction::Unavailable, reason.clone())
                } else if change.immediate {
                    (TierAction::Upgrade, format!("Applies today: {}.", change.explanation))
                } else {
                    (TierAction::Downgrade, change.explanation.clone())
                };
            }
            column
        })
        .collect();
    let takes_packs = |name: &str| book.tier(name).is_some_and(|t| t.credit_packs);
    let credits_unavailable = if !takes_packs(&account.tier) {
        Some(format!("{} takes no burst credit packs; upgrade to buy them.", label(book, &account.tier)))
    } else {
        scheduled
            .as_ref()
            .filter(|s| !takes_packs(&s.tier))
            .map(|s| format!("A downgrade to {0} is scheduled and {0} takes no burst credit; cancel the downgrade to buy packs.", s.label))
    };
    Ok(PlanBillingView {
        current_tier: account.tier.clone(),
        current_label: label(book, &account.tier),
        scheduled,
        tiers,
        basis: quote.map(|q| q.basis.explanation.clone()),
        credit_balance: money(account.credit_balance),
        can_buy_credits: credits_unavailable.is_none(),
        credits_unavailable,
        ledger: Some(ledger_view(ledger, book.credit_pack.credit)?),
        offline: None,
    })
}

/// The page from the last sync alone, when the server cannot be reached.
pub fn offline_view(book: &PriceBook, dashboard: &DashboardView, why: &str) -> PlanBillingView {
    PlanBillingView {
        current_tier: dashboard.tier.clone(),
        current_label: label(book, &dashboard.tier),
        scheduled: dashboard.scheduled.clone(),
        tiers: book.tiers.iter().map(|t| terms(t, &dashboard.tier, &book.currency)).collect(),
        basis: None,
        credit_balance: dashboard.credit_balance.clone(),
        can_buy_credits: book.tier(&dashboard.tier).is_some_and(|t| t.credit_packs),
        credits_unavailable: None,
        ledger: None,
        offline: Some(format!(
            "{why} This page shows the published prices and the balance as last synced; tier changes and purchases need the server."
        )),
    }
}

/// A tier's published terms, before the engine has priced anything.
fn terms(tier: &Tier, current: &str, currency: &str) -> TierColumn {
    let is_current = tier.name == current;
    TierColumn {
        tier: tier.name.clone(),
        label: tier.display_name().to_owned(),
        purpose: tier.purpose.clone(),
        base_fee: tier.base_fee.map_or_else(|| "Negotiated".to_owned(), |fee| format!("{} a month", money_in(fee, currency))),
        meters: Meter::ALL
            .iter()
            .map(|&m| TierMeterTerms {
                meter: m.id().to_owned(),
                label: m.label().to_owned(),
                included: if tier.custom { "Negotiated".to_owned() } else { included_text(tier, m) },
                overage: if tier.custom { "Negotiated".to_owned() } else { overage_text_in(tier, m, currency) },
            })
            .collect(),
        credit_packs: tier.credit_packs,
        hard_cap: tier.hard_cap,
        projected: None,
        recommended: false,
        action: if is_current {
            TierAction::Current
        } else if tier.custom || !tier.is_rateable() {
            TierAction::Contact
        } else {
            TierAction::Unavailable
        },
        note: if is_current {
            "Your tier.".to_owned()
        } else if tier.custom || !tier.is_rateable() {
            "Pricing is negotiated per account; contact sales to move here.".to_owned()
        } else {
            String::new()
        },
    }
}

/// The page for the connected account; offline it falls back to the last sync.
pub async fn plan_billing(app: &App) -> Result<PlanBillingView, ActionFailure> {
    let connection = app.connection().await.map_err(|e| ActionFailure::local(&e))?;
    let client = connection.client();
    let quote = async {
        match client.upgrade_quote().await {
            Ok(q) => Ok(Some(q)),
            // The engine does not price negotiated tiers: the page shows their terms alone.
            Err(ClientError::Rejected { code, .. }) if code == "negotiated_tier" => Ok(None),
            Err(e) => Err(e),
        }
    };
    match tokio::try_join!(client.price_book(), client.account(), quote, client.credits()) {
        Ok((book, account, quote, ledger)) => {
            plan_billing_view(&book, &account, quote.as_ref(), &ledger).map_err(|e| ActionFailure::local(&e))
        }
        Err(e @ (ClientError::Network { .. } | ClientError::InvalidUrl { .. })) => {
            let dashboard = app.dashboard().await.map_err(|_| ActionFailure::of_read(&e))?;
            Ok(offline_view(&app.account_book().await, &dashboard, "The server could not be reached."))
        }
        Err(e) => Err(ActionFailure::of_read(&e)),
    }
}
