//! Acting on quota notices: the notice banner, the upgrade offer, buying burst credit packs,
//! the credit ledger, and which thresholds were already announced on the desktop.
//!
//! Every amount here is computed by the pricing core from the synced snapshot and the
//! server's price book, and reaches the UI as text, so the UI never does money arithmetic.
//!
//! Upgrades and purchases are keyed by an *intent*: one key per opened sheet, made when the
//! sheet opens and sent again on every retry of that sheet's confirm. Both send it as the
//! `Idempotency-Key` header, so the engine itself answers a repeat with the first tier change
//! or purchase, whether or not the first answer arrived. The intent's record adds what the
//! engine cannot know: a second confirm of the same intent in this app run waits for the
//! first and returns its answer, and an upgrade refused as `tier_unchanged` (another window
//! or device moved the account already) reads the account's tier and counts as done.

use std::collections::{BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use edgecost_api::{CreditLedger, CreditPurchase, CreditsQuote as EngineCreditsQuote, LedgerEntryKind, TierChange, UpgradeQuote};
use edgecost_client::{Client, ClientError};
use edgecost_pricing::format::{money, money_in};
use edgecost_pricing::{Decimal, PriceBook};
use rand_core::{OsRng, TryRngCore};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::dashboard::{BillView, DashboardView, NoticeView};
use crate::error::DesktopError;

/// At most this many packs in one purchase, as the engine allows.
pub const PACKS_PER_PURCHASE_MAX: u32 = edgecost_pricing::PACKS_PER_PURCHASE_MAX;

/// Intents remembered at once; the oldest is forgotten first. A forgotten intent only loses
/// the in-app record: purchases stay deduplicated by the engine.
const INTENTS_MAX: usize = 64;

/// A tier's projected cost as it reads beside the other tiers' (the upgrade sheet's table, the
/// Plan & billing page's row).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ComparedCost {
    /// "$42.10"; "caps this usage" for another tier whose hard cap would refuse this usage,
    /// whose $0.00 would be usage refused, not a saving.
    pub text: String,
    /// `text` says that the tier caps the usage, in place of a cost.
    pub capped: bool,
    /// The current tier caps this usage: its cost is shown, tagged "caps this usage".
    pub tagged: bool,
}

/// What [`ComparedCost::text`] says in place of a cost.
const CAPS_THIS_USAGE: &str = "caps this usage";

impl ComparedCost {
    /// `cost` (already written) of a tier whose hard cap would or would not refuse the usage,
    /// the account's current tier or another.
    pub fn of(cost: String, caps_usage: bool, current: bool) -> ComparedCost {
        let capped = caps_usage && !current;
        ComparedCost { text: if capped { CAPS_THIS_USAGE.to_owned() } else { cost }, capped, tagged: caps_usage && current }
    }
}

/// One tier's projected bill for this period's usage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct TierProjection {
    pub tier: String,
    pub label: String,
    /// What the period is projected to cost on this tier, before credit.
    pub projected: ComparedCost,
    pub current: bool,
    /// The upgrade this sheet confirms.
    pub target: bool,
    /// The engine recommends it: it costs no more than staying, or staying caps the usage.
    pub recommended: bool,
}

/// What the upgrade confirmation shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct UpgradeSheet {
    /// Sent with the confirm and with every retry of it.
    pub intent_key: String,
    pub current_tier: String,
    pub current_label: String,
    pub target_tier: String,
    pub target_label: String,
    /// An upgrade applies today; a downgrade from the next period.
    pub immediate: bool,
    /// The day the change applies: "Dec 6, 2026" today, "Jan 1, 2027" for a downgrade.
    pub effective_on: String,
    /// The new tier's base fee for the rest of the period, today included: `$52.67`; empty
    /// for a downgrade, which charges nothing this period.
    pub prorated_base_fee: String,
    /// "$79.00 x 20 of 30 days (from today, Nov 11)", or when a downgrade applies.
    pub prorated_explanation: String,
    /// The current tier, then each higher tier that can be priced.
    pub projections: Vec<TierProjection>,
    /// The target tier's projected bill line by line (each tier's share of the base fee,
    /// then each meter's overage), which its projected cost adds up from.
    pub target_bill: BillView,
    /// "Saves $12.00 on what the period is projected to cost" or "Costs $5.00 more than staying".
    pub difference: String,
    /// What the projection rests on.
    pub basis: String,
    /// What the change does beyond its price: the target caps this usage, or an upgrade
    /// cancels a scheduled downgrade.
    pub warnings: Vec<String>,
}

/// Whether a failed action charged the account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Charged {
    /// The server refused the action or it never reached the server.
    No,
    /// No answer arrived: it may have gone through. Retrying the same sheet is safe.
    Unknown,
}

/// What kind of failure an action met.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The server refused it (tier not allowed, pack count, a key reused with other packs).
    Declined,
    /// The server could not be reached, or the answer was lost.
    Offline,
    /// The server failed.
    ServerError,
    /// Not signed in, or the token was refused.
    SignedOut,
}

/// A failed upgrade or purchase as the sheet shows it: what happened and whether anything
/// was charged. Serializes with `code` and `message` like every command error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ActionFailure {
    pub code: String,
    pub kind: FailureKind,
    pub charged: Charged,
    pub message: String,
}

impl ActionFailure {
    fn of(action: Action, e: &ClientError) -> ActionFailure {
        let code = e.code().to_owned();
        let (kind, charged, message) = match e {
            ClientError::Network { unsent: true, .. } => (
                FailureKind::Offline,
                Charged::No,
                format!("Could not reach the server; nothing was {}. Try again once the connection is back.", action.past()),
            ),
            ClientError::Network { unsent: false, .. } => (
                FailureKind::Offline,
                Charged::Unknown,
                format!(
                    "The connection to the server broke before it answered, so it is not known whether the {} went through. Try again: this confirmation is sent with the same key, so it never {} twice.",
                    action.noun(),
                    action.verb()
                ),
            ),
            ClientError::Unauthorized { .. } => (
                FailureKind::SignedOut,
                Charged::No,
                format!("The server rejected the token; nothing was {}. Enter a new token.", action.past()),
            ),
            ClientError::Rejected { code, message, .. } if code == "idempotency_key_reused" => (
                FailureKind::Declined,
                Charged::No,
                format!(
                    "An earlier confirmation from this sheet already bought a different number of packs; nothing more was charged. Close the sheet to see the balance. ({message})"
                ),
            ),
            ClientError::Rejected { message, .. } => (
                FailureKind::Declined,
                Charged::No,
                format!("The server declined the {}; nothing was {}. {message}", action.noun(), action.past()),
            ),
            ClientError::Server { .. } | ClientError::UnexpectedBody { .. } => (
                FailureKind::ServerError,
                Charged::Unknown,
                format!(
                    "The server failed while handling the {}. It may not have gone through; trying again is safe and never {} twice.",
                    action.noun(),
                    action.verb()
                ),
            ),
            ClientError::InvalidUrl { .. } => {
                (FailureKind::Offline, Charged::No, format!("The server address is not usable; nothing was {}.", action.past()))
            }
        };
        ActionFailure { code, kind, charged, message }
    }

    /// A failed read (price book, ledger): nothing was charged whatever happened. The
    /// message says what happened in words; the transport's own text stays out of it.
    pub(crate) fn of_read(e: &ClientError) -> ActionFailure {
        let (kind, message) = match e {
            ClientError::Network { .. } => (FailureKind::Offline, OFFLINE_NOTHING_CHARGED.to_owned()),
            ClientError::InvalidUrl { .. } => (FailureKind::Offline, "The server address is not usable; nothing was charged.".to_owned()),
            ClientError::Unauthorized { .. } => (FailureKind::SignedOut, TOKEN_REJECTED_NOTHING_CHARGED.to_owned()),
            ClientError::Rejected { message, .. } => {
                (FailureKind::Declined, format!("The server refused: {message}. Nothing was charged."))
            }
            ClientError::Server { status, .. } => {
                (FailureKind::ServerError, format!("The server failed (HTTP {status}); nothing was charged. Try again in a minute."))
            }
            ClientError::UnexpectedBody { .. } => {
                (FailureKind::ServerError, "The server's answer could not be read; nothing was charged.".to_owned())
            }
        };
        ActionFailure { code: e.code().to_owned(), kind, charged: Charged::No, message }
    }

    /// A failure before anything was sent.
    pub fn local(e: &DesktopError) -> ActionFailure {
        let (kind, message) = match e {
            DesktopError::NotSignedIn => (FailureKind::SignedOut, "You are signed out; nothing was charged.".to_owned()),
            DesktopError::Unauthorized { .. } => (FailureKind::SignedOut, TOKEN_REJECTED_NOTHING_CHARGED.to_owned()),
            DesktopError::Network { .. } => (FailureKind::Offline, OFFLINE_NOTHING_CHARGED.to_owned()),
            _ => (FailureKind::Declined, format!("{}; nothing was charged.", capitalized(&e.to_string()))),
        };
        ActionFailure { code: e.code().to_owned(), kind, charged: Charged::No, message }
    }
}

const OFFLINE_NOTHING_CHARGED: &str = "Could not reach the server; nothing was charged.";
const TOKEN_REJECTED_NOTHING_CHARGED: &str = "The server rejected the token; nothing was charged. Enter a new token.";

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

#[derive(Clone, Copy)]
enum Action {
    Upgrade,
    Purchase,
}

impl Action {
    fn noun(self) -> &'static str {
        match self {
            Action::Upgrade => "upgrade",
            Action::Purchase => "purchase",
        }
    }
    fn verb(self) -> &'static str {
        match self {
            Action::Upgrade => "upgrades",
            Action::Purchase => "charges",
        }
    }
    fn past(self) -> &'static str {
        match self {
            Action::Upgrade => "changed",
            Action::Purchase => "charged",
        }
    }
}

/// A new intent key: 128 random bits, printable, well under the engine's 128-character limit.
pub fn new_intent_key(prefix: &str) -> String {
    let mut bytes = [0u8; 16];
    OsRng.try_fill_bytes(&mut bytes).expect("the operating system's random source works");
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}-{hex}")
}

/// The confirmation of a tier change for the engine's quote: every tier priced for this
/// period's projected usage, with `target` (the offered upgrade when `None`) as the move.
pub fn upgrade_sheet(
    book: &PriceBook,
    quote: &UpgradeQuote,
    target: Option<&str>,
    intent_key: String,
) -> Result<UpgradeSheet, DesktopError> {
    let label = |tier: &str| book.tier(tier).map_or_else(|| tier.to_owned(), |t| t.display_name().to_owned());
    let money = |amount: Decimal| money_in(amount, &book.currency);
    let current = &quote.current_tier;
    let target = match target {
        Some(t) => t.to_owned(),
        None => quote.upgrade_to.clone().ok_or(DesktopError::NoUpgrade { tier: label(current) })?,
    };
    let target_quote = quote.tiers.iter().find(|t| t.tier == target).ok_or_else(|| DesktopError::NoTierChange { tier: label(&target) })?;
    let change = target_quote.change.as_ref().ok_or_else(|| DesktopError::NoTierChange { tier: label(&target) })?;
    if let Some(reason) = &change.refused_reason {
        return Err(DesktopError::TierChangeRefused { reason: reason.clone() });
    }
    let projections = quote
        .tiers
        .iter()
        .map(|t| TierProjection {
            tier: t.tier.clone(),
            label: t.label.clone(),
            projected: ComparedCost::of(money(t.projected_cost), t.caps_usage, t.current),
            current: t.current,
            target: t.tier == target,
            recommended: t.recommended,
        })
        .collect();
    let current_cost = quote.tiers.iter().find(|t| t.current).map(|t| t.projected_cost).unwrap_or_default();
    let saving = current_cost.checked_sub(target_quote.projected_cost).ok_or(DesktopError::Overflow)?;
    let effective_on = change.effective_at.format("%b %-d, %Y").to_string();
    let difference = if !change.immediate && target_quote.caps_usage {
        // A downgrade changes nothing this period, and a tier that caps this usage would
        // refuse traffic rather than bill it: its lower figure is not a saving.
        format!(
            "Applies from {effective_on}; this period stays on {} ({} projected). At this period's usage {} would cap traffic: usage past its quotas would be refused, not billed, so its {} is not a saving",
            label(current),
            money(current_cost),
            label(&target),
            money(target_quote.projected_cost)
        )
    } else if !change.immediate {
        // Both figures are this period's projected cost: the lower tier as if the whole period
        // had been on it, the current one as it stands (prorated shares included).
        format!(
            "Applies from {effective_on}; this period stays on {} ({} projected). At this period's usage a whole period on {} would cost {}",
            label(current),
            money(current_cost),
            label(&target),
            money(target_quote.projected_cost)
        )
    } else if saving > Decimal::ZERO {
        format!("Saves {} on what the period is projected to cost", money(saving))
    } else if saving.is_zero() {
        "Costs the same as staying".to_owned()
    } else {
        format!("Costs {} more than staying", money(-saving))
    };
    let caveat = if quote.basis.short_history { format!(" {}", quote.basis.explanation) } else { String::new() };
    let mut warnings = Vec::new();
    if target_quote.caps_usage {
        warnings.push(format!("{} caps this usage: traffic past its quotas would be refused, not billed.", label(&target)));
    }
    warnings.extend(spend_cap_warnings(quote, target_quote, &label, &money));
    if let Some(scheduled) = quote.tiers.iter().find(|t| t.scheduled).filter(|_| change.immediate) {
        warnings.push(format!("This also cancels the downgrade to {} scheduled for next period.", scheduled.label));
    }
    Ok(UpgradeSheet {
        intent_key,
        current_tier: current.clone(),
        current_label: label(current),
        target_label: label(&target),
        target_tier: target,
        immediate: change.immediate,
        effective_on,
        prorated_base_fee: change.base_fee_today.map(money).unwrap_or_default(),
        prorated_explanation: change.explanation.clone(),
        projections,
        target_bill: BillView::of(&target_quote.projected),
        difference: format!("{difference}.{caveat}"),
        basis: quote.basis.explanation.clone(),
        warnings,
    })
}

/// What the spend cap does to the move, from the engine's quote (every tier is priced under
/// the cap): an upgrade whose base fee alone puts the period's bill at or past the cap is
/// capped from the moment it applies; otherwise the day each projection reaches the cap.
fn spend_cap_warnings(
    quote: &UpgradeQuote,
    target: &edgecost_api::TierQuote,
    label: &dyn Fn(&str) -> String,
    money: &dyn Fn(Decimal) -> String,
) -> Vec<String> {
    let Some(cap) = quote.spend_cap else { return Vec::new() };
    let Some(change) = target.change.as_ref() else { return Vec::new() };
    let mut warnings = Vec::new();
    let current = quote.tiers.iter().find(|t| t.current);
    let now = change.immediate.then_some(change.effective_at);
    if let Some(c) = current.filter(|c| c.spend_capped_at.is_some()) {
        let at = c.spend_capped_at.unwrap_or_default();
        warnings.push(match now.or(current_now(quote)) {
            Some(now) if at <= now => format!(
                "On {}, your {} spend cap already refuses usage that would cost more: {} this period.",
                c.label,
                money(cap),
                money(c.projected_cost)
            ),
            _ => format!(
                "Staying on {}, this period is projected to reach your {} spend cap on {} ({}); usage that would cost more is refused from then.",
                c.label,
                money(cap),
                at.format("%b %-d"),
                money(c.projected_cost)
            ),
        });
    }
    if !change.immediate {
        return warnings;
    }
    match change.cost_at_change {
        Some(at_change) if at_change >= cap => warnings.push(format!(
            "{}'s base fee from today puts this period's bill at {}, {} your {} spend cap: from the upgrade on, usage that would cost more is refused until you raise or remove the cap.",
            label(&target.tier),
            money(at_change),
            if at_change > cap { "past" } else { "at" },
            money(cap)
        )),
        _ => {
            if let Some(at) = target.spend_capped_at.filter(|at| Some(*at) > now) {
                warnings.push(format!(
                    "On {}, this period is projected to reach your {} spend cap on {} ({}); usage that would cost more is refused from then.",
                    label(&target.tier),
                    money(cap),
                    at.format("%b %-d"),
                    money(target.projected_cost)
                ));
            }
        }
    }
    warnings
}

/// The instant a quote was made, as an upgrade in it would apply (now); `None` when it offers
/// no upgrade.
fn current_now(quote: &UpgradeQuote) -> Option<DateTime<Utc>> {
    quote.tiers.iter().filter_map(|t| t.change.as_ref()).find(|c| c.immediate).map(|c| c.effective_at)
}

/// The banner over the dashboard as last synced.
pub async fn banner(app: &App) -> Result<Option<NoticeBanner>, ActionFailure> {
    let view = app.dashboard().await.map_err(|e| ActionFailure::local(&e))?;
    // The account's book, as last synced, names its tiers and says which caps.
    Ok(notice_banner(&app.account_book().await, &view))
}

/// Opens the upgrade confirmation with a new intent key, priced by the engine.
pub async fn open_upgrade(app: &App) -> Result<UpgradeSheet, ActionFailure> {
    open_tier_change(app, None).await
}

/// Opens the confirmation of a move to `tier` (the offered upgrade when `None`), upgrade or
/// downgrade, with a new intent key, priced by the engine.
pub async fn open_tier_change(app: &App, tier: Option<&str>) -> Result<UpgradeSheet, ActionFailure> {
    let connection = app.connection().await.map_err(|e| ActionFailure::local(&e))?;
    let client = connection.client();
    let (book, quote) = tokio::try_join!(client.price_book(), client.upgrade_quote()).map_err(|e| ActionFailure::of_read(&e))?;
    upgrade_sheet(&book, &quote, tier, new_intent_key("tier")).map_err(|e| ActionFailure::local(&e))
}

/// Cancels the scheduled downgrade: the account stays on its tier. `intent_key` names the
/// cancellation so a repeat changes nothing more.
pub async fn cancel_downgrade(
    app: &App,
    intents: &Intents,
    intent_key: &str,
    now: DateTime<Utc>,
) -> Result<(TierChange, Option<DashboardView>), ActionFailure> {
    let connection = app.connection().await.map_err(|e| ActionFailure::local(&e))?;
    let account = connection.client().account().await.map_err(|e| ActionFailure::of_read(&e))?;
    let change = intents.upgrade(connection.client(), intent_key, &account.tier).await?;
    Ok((change, app.sync(now).await.ok()))
}

/// Confirms the upgrade sheet `intent_key`, then syncs so the dashboard shows the new tier.
/// The dashboard is `None` when the upgrade went through but the sync after it failed.
pub async fn confirm_upgrade(
    app: &App,
    intents: &Intents,
    intent_key: &str,
    tier: &str,
    now: DateTime<Utc>,
) -> Result<(TierChange, Option<DashboardView>), ActionFailure> {
    let connection = app.connection().await.map_err(|e| ActionFailure::local(&e))?;
    let change = intents.upgrade(connection.client(), intent_key, tier).await?;
    Ok((change, app.sync(now).await.ok()))
}

/// Opens the credit sheet with a new intent key, quoting one pack: the sheet never suggests
/// spending more from a projection; the user chooses the count.
pub async fn open_credits(app: &App) -> Result<CreditsSheet, ActionFailure> {
    let quote = quote_credits(app, 1).await?;
    Ok(CreditsSheet { intent_key: new_intent_key("credits"), quote })
}

/// Quotes `packs` packs on the open credit sheet, as the engine works it out.
pub async fn quote_credits(app: &App, packs: u32) -> Result<CreditsQuote, ActionFailure> {
    if packs == 0 || packs > PACKS_PER_PURCHASE_MAX {
        return Err(ActionFailure::local(&DesktopError::BadPackCount { packs, max: PACKS_PER_PURCHASE_MAX }));
    }
    let connection = app.connection().await.map_err(|e| ActionFailure::local(&e))?;
    let quote = connection.client().credits_quote(packs).await.map_err(|e| ActionFailure::of_read(&e))?;
    Ok(credits_quote_view(&quote))
}

/// Confirms the credit sheet `intent_key`, then syncs so the dashboard shows the balance.
pub async fn buy_credits(
    app: &App,
    intents: &Intents,
    intent_key: &str,
    packs: u32,
    now: DateTime<Utc>,
) -> Result<(PurchaseView, Option<DashboardView>), ActionFailure> {
    let connection = app.connection().await.map_err(|e| ActionFailure::local(&e))?;
    let purchase = intents.buy(connection.client(), intent_key, packs).await?;
    Ok((PurchaseView::of(&purchase), app.sync(now).await.ok()))
}

/// The ledger of the connected account.
pub async fn ledger(app: &App) -> Result<LedgerView, ActionFailure> {
    let connection = app.connection().await.map_err(|e| ActionFailure::local(&e))?;
    let ledger = connection.client().credits().await.map_err(|e| ActionFailure::of_read(&e))?;
    ledger_view(&ledger, app.account_book().await.credit_pack.credit).map_err(|e| ActionFailure::local(&e))
}

fn already_on(previous: &str, effective_at: DateTime<Utc>, tier: &str) -> TierChange {
    TierChange { previous_tier: previous.to_owned(), tier: tier.to_owned(), effective_at, immediate: true }
}

/// Writes the TypeScript declarations of the views and failures above with `cfg` (committed
/// under `ui/src/bindings/account/` by [`crate::bindings::write_account_typescript`]).
pub(crate) fn write_typescript(cfg: &ts_rs::Config) -> Result<(), ts_rs::ExportError> {
    use ts_rs::TS;
    NoticeBanner::export_all(cfg)?;
    UpgradeSheet::export_all(cfg)?;
    CreditsSheet::export_all(cfg)?;
    CreditsQuote::export_all(cfg)?;
    PurchaseView::export_all(cfg)?;
    ActionFailure::export_all(cfg)?;
    LedgerView::export_all(cfg)?;
    Ok(())
}

mod banner;
mod credits;
mod intents;

pub use banner::*;
pub use credits::*;
pub use intents::Intents;

#[cfg(test)]
mod tests;
