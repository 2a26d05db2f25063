//! Acting on quota notices: the notice banner, the upgrade offer, buying burst credit packs,
//! the credit ledger, and which thresholds were already announced on the desktop.
//!
//! Every amount here is computed by the pricing core from the synced snapshot and the
//! server's price book, and reaches the UI as text, so the UI never does money arithmetic.
//!
//! Upgrades and purchases are keyed by an *intent*: one key per opened sheet, made when the
//! sheet opens and sent again on every retry of that sheet's confirm. A purchase sends it as
//! the `Idempotency-Key` header, so the engine itself answers a repeat with the first
//! purchase. The tier endpoint takes no key, so for an upgrade the intent's record is what
//! makes a repeat safe: a second confirm of the same intent waits for the first and returns
//! its answer, and a retry after a lost answer first reads the account's tier.

use std::collections::{BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use edgecost_api::{CreditLedger, CreditPurchase, CreditsQuote as EngineCreditsQuote, LedgerEntryKind, TierChange, UpgradeQuote};
use edgecost_client::{Client, ClientError};
use edgecost_pricing::format::money;
use edgecost_pricing::{Decimal, PriceBook};
use rand_core::{OsRng, TryRngCore};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::dashboard::{DashboardView, NoticeView};
use crate::error::DesktopError;

/// At most this many packs in one purchase, as the engine allows.
pub const PACKS_PER_PURCHASE_MAX: u32 = 100;

/// Intents remembered at once; the oldest is forgotten first. A forgotten intent only loses
/// the in-app record: purchases stay deduplicated by the engine.
const INTENTS_MAX: usize = 64;

/// How strong the banner is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum BannerLevel {
    /// A meter passed 80% of its quota.
    Warning,
    /// A meter passed 100%: overage is being charged.
    Over,
    /// A meter passed 100% on a tier with a hard cap: traffic past the quota is refused.
    Capped,
}

/// One open notice as a line of the banner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct BannerLine {
    pub notice_id: String,
    pub meter: String,
    /// "Requests passed 80% of the Production quota on Nov 20".
    pub headline: String,
    /// "10 days left · projected to cost $31.50".
    pub detail: String,
}

/// The persistent banner over the dashboard. It exists while any notice is open and goes
/// away only when the condition is resolved (an upgrade, or the period's end).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct NoticeBanner {
    pub level: BannerLevel,
    /// The strongest notice first.
    pub lines: Vec<BannerLine>,
    /// What the level means for the account, in one sentence.
    pub summary: String,
    /// "Upgrade to Scale"; `None` on the last tier.
    pub upgrade_label: Option<String>,
    /// Whether the tier takes burst credit packs (the sandbox does not).
    pub can_buy_credits: bool,
}

/// The banner for `view`, `None` when no notice is open.
pub fn notice_banner(book: &PriceBook, view: &DashboardView) -> Option<NoticeBanner> {
    let mut notices: Vec<&NoticeView> = view.notices.iter().collect();
    if notices.is_empty() {
        return None;
    }
    // Strongest first; the meter name breaks ties so the order is stable between syncs.
    notices.sort_by(|a, b| b.threshold_percent.cmp(&a.threshold_percent).then_with(|| a.meter.cmp(&b.meter)));
    let tier = book.tier(&view.tier);
    let hard_cap = tier.is_some_and(|t| t.hard_cap);
    let top = notices[0].threshold_percent;
    let level = match (top >= 100, hard_cap) {
        (true, true) => BannerLevel::Capped,
        (true, false) => BannerLevel::Over,
        (false, _) => BannerLevel::Warning,
    };
    let lines = notices
        .iter()
        .map(|n| BannerLine {
            notice_id: n.id.clone(),
            meter: n.meter.clone(),
            headline: format!(
                "{} passed {}% of the {} quota on {}",
                n.meter_label,
                n.threshold_percent,
                view.tier_label,
                short_day(&n.reached_on)
            ),
            detail: format!("{} · projected to cost {}", days_left_text(n.days_left), n.projected_bill),
        })
        .collect();
    let summary = match level {
        BannerLevel::Capped => {
            format!("The {} tier is capped: traffic over the quota is refused until the period ends or you upgrade.", view.tier_label)
        }
        BannerLevel::Over => "Usage past the quota is billed as overage; burst credit pays it first.".to_owned(),
        // Only what is certain: the projection may or may not reach the quota.
        BannerLevel::Warning if hard_cap => format!(
            "At 100% the {} tier caps traffic: requests over the quota are refused until the period ends or you upgrade.",
            view.tier_label
        ),
        BannerLevel::Warning => "Past 100%, usage is billed as overage; burst credit pays it first.".to_owned(),
    };
    let next = book.next_tier(&view.tier).filter(|t| !t.custom);
    Some(NoticeBanner {
        level,
        lines,
        summary,
        upgrade_label: next.map(|t| format!("Upgrade to {}", t.display_name())),
        // Credit bought before a scheduled move to a tier without packs could never be spent.
        can_buy_credits: tier.is_some_and(|t| t.credit_packs)
            && view.scheduled.as_ref().is_none_or(|s| book.tier(&s.tier).is_some_and(|t| t.credit_packs)),
    })
}

/// One tier's projected bill for this period's usage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct TierProjection {
    pub tier: String,
    pub label: String,
    /// What the period is projected to cost on this tier, before credit.
    pub projected_bill: String,
    pub current: bool,
    /// The upgrade this sheet confirms.
    pub target: bool,
    /// The engine recommends it: it costs no more than staying, or staying caps the usage.
    pub recommended: bool,
    /// The tier's hard cap would refuse this usage.
    pub caps_usage: bool,
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
    /// "Saves $12.00 on what the period is projected to cost" or "Costs $5.00 more than staying".
    pub difference: String,
    /// What the projection rests on.
    pub basis: String,
    /// What the change does beyond its price: the target caps this usage, or an upgrade
    /// cancels a scheduled downgrade.
    pub warnings: Vec<String>,
}

/// What the credit pack sheet shows for a number of packs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CreditsQuote {
    pub packs: u32,
    pub packs_max: u32,
    /// "$25.00" per pack.
    pub pack_price: String,
    pub total_price: String,
    pub credit_added: String,
    pub balance_now: String,
    /// Unspent credit right after buying, once it has paid the overage not yet paid.
    pub balance_after: String,
    /// Overage at the current run rate, per day: "$2.75 a day".
    pub overage_per_day: String,
    /// "Covers about 9 days", "Covers the rest of this period", or why nothing is consumed.
    pub coverage: String,
    /// Whole days of overage the new credit pays at the current run rate, within this period.
    pub covers_days: Option<u32>,
    /// "runs out around Dec 14", when it runs out within this period.
    pub runs_out: Option<String>,
    /// Credit left at period end at the run rate; it carries over to the next period.
    pub carry_over: String,
    /// What the run rate rests on.
    pub basis: String,
}

/// The credit sheet as opened: its intent key and a first quote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CreditsSheet {
    pub intent_key: String,
    pub quote: CreditsQuote,
}

/// A purchase as the credit sheet confirms it, amounts formatted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PurchaseView {
    pub purchase_id: String,
    pub packs: u32,
    pub price_paid: String,
    /// Credit spent at once on overage not yet paid.
    pub consumed_now: String,
    /// The engine's balance right after the purchase.
    pub balance: String,
}

impl PurchaseView {
    pub fn of(p: &CreditPurchase) -> PurchaseView {
        PurchaseView {
            purchase_id: p.purchase_id.clone(),
            packs: p.packs,
            price_paid: money(p.price_paid),
            consumed_now: money(p.consumed_now),
            balance: money(p.balance),
        }
    }
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
            projected_bill: money(t.projected_cost),
            current: t.current,
            target: t.tier == target,
            recommended: t.recommended,
            caps_usage: t.caps_usage,
        })
        .collect();
    let current_cost = quote.tiers.iter().find(|t| t.current).map(|t| t.projected_cost).unwrap_or_default();
    let saving = current_cost.checked_sub(target_quote.projected_cost).ok_or(DesktopError::Overflow)?;
    let difference = if !change.immediate {
        // Both figures are this period's projected cost: the lower tier as if the whole period
        // had been on it, the current one as it stands (prorated shares included).
        format!(
            "On {}, this period's usage would cost {} instead of {}",
            label(&target),
            money(target_quote.projected_cost),
            money(current_cost)
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
        effective_on: change.effective_at.format("%b %-d, %Y").to_string(),
        prorated_base_fee: change.base_fee_today.map(money).unwrap_or_default(),
        prorated_explanation: change.explanation.clone(),
        projections,
        difference: format!("{difference}.{caveat}"),
        basis: quote.basis.explanation.clone(),
        warnings,
    })
}

/// The credit sheet's figures for the engine's quote.
pub fn credits_quote_view(quote: &EngineCreditsQuote) -> CreditsQuote {
    let (coverage, runs_out) = match (quote.covers_days, quote.runs_out_on) {
        (Some(days), Some(day)) => {
            let runs_out = format!("runs out around {}", day.format("%b %-d"));
            let coverage = match days {
                0 => format!("Covers less than a day of overage; {runs_out}"),
                1 => format!("Covers about 1 day of overage; {runs_out}"),
                n => format!("Covers about {n} days of overage; {runs_out}"),
            };
            (coverage, Some(runs_out))
        }
        _ if quote.projected_overage.is_zero() => {
            ("No overage is projected this period; the credit stays on the account until overage needs it.".to_owned(), None)
        }
        _ => (
            format!(
                "Covers the projected overage for the rest of this period; about {} carries over to the next period.",
                money(quote.projected_carry_over)
            ),
            None,
        ),
    };
    CreditsQuote {
        packs: quote.packs,
        packs_max: quote.packs_max,
        pack_price: money(quote.pack_price),
        total_price: money(quote.total_price),
        credit_added: money(quote.credit_added),
        balance_now: money(quote.balance_now),
        balance_after: money(quote.balance_after),
        overage_per_day: format!("{} a day", money(quote.overage_per_day)),
        coverage,
        covers_days: quote.covers_days,
        runs_out,
        carry_over: money(quote.projected_carry_over),
        basis: quote.basis.explanation.clone(),
    }
}

/// One row of the ledger view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct LedgerRowView {
    pub sequence: u32,
    /// `purchase`, `consumption` or `adjustment`.
    pub kind: String,
    /// RFC 3339, UTC.
    pub at: String,
    /// Signed: `$25.00`, `-$3.10`.
    pub amount: String,
    pub balance_after: String,
    /// "Pack 1" for a purchase and for the entries that spent or returned its credit.
    pub pack: Option<String>,
    /// For a consumption: "overage $12.00 to $15.10 of the Nov 2026 period, usage through Nov 23 10:00".
    pub paid_for: Option<String>,
    pub note: String,
}

/// One purchase with what became of its credit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PackView {
    pub pack: String,
    pub bought_at: String,
    pub credit: String,
    pub spent: String,
    pub left: String,
}

/// The credit ledger as the ledger view shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct LedgerView {
    pub balance: String,
    /// Newest first.
    pub rows: Vec<LedgerRowView>,
    /// Oldest first.
    pub packs: Vec<PackView>,
}

/// The ledger view of `ledger`: every entry names its pack by purchase order.
pub fn ledger_view(ledger: &CreditLedger) -> Result<LedgerView, DesktopError> {
    let pack_names = crate::invoices::pack_names(ledger);
    let mut packs: Vec<(String, String, Decimal, Decimal)> = ledger
        .entries
        .iter()
        .filter(|e| e.kind == LedgerEntryKind::Purchase)
        .map(|e| (e.id.clone(), e.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), e.amount, Decimal::ZERO))
        .collect();
    let mut rows = Vec::with_capacity(ledger.entries.len());
    for e in &ledger.entries {
        let pack_id = match e.kind {
            LedgerEntryKind::Purchase => Some(e.id.as_str()),
            _ => e.pack_id.as_deref(),
        };
        if e.kind != LedgerEntryKind::Purchase
            && let Some(p) = pack_id.and_then(|id| packs.iter_mut().find(|p| p.0 == id))
        {
            // Spending is negative, a return positive: both move the pack's spent total.
            p.3 = p.3.checked_sub(e.amount).ok_or(DesktopError::Overflow)?;
        }
        let paid_for = e.paid_overage.as_ref().map(|p| {
            format!(
                "overage {} to {} of the {} period, usage through {}",
                money(p.from),
                money(p.to),
                p.period_start.format("%b %Y"),
                p.usage_through.format("%b %-d %H:%M")
            )
        });
        rows.push(LedgerRowView {
            sequence: e.sequence,
            kind: kind_id(e.kind).to_owned(),
            at: e.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            amount: money(e.amount),
            balance_after: money(e.balance_after),
            pack: pack_id.and_then(|id| pack_names.get(id).cloned()),
            paid_for,
            note: e.note.clone(),
        });
    }
    rows.reverse();
    let packs = packs
        .into_iter()
        .map(|(id, bought_at, credit, spent)| {
            let left = credit.checked_sub(spent).ok_or(DesktopError::Overflow)?;
            Ok(PackView {
                pack: pack_names.get(id.as_str()).cloned().unwrap_or_default(),
                bought_at,
                credit: money(credit),
                spent: money(spent),
                left: money(left),
            })
        })
        .collect::<Result<_, DesktopError>>()?;
    Ok(LedgerView { balance: money(ledger.balance), rows, packs })
}

fn kind_id(kind: LedgerEntryKind) -> &'static str {
    match kind {
        LedgerEntryKind::Purchase => "purchase",
        LedgerEntryKind::Consumption => "consumption",
        LedgerEntryKind::Adjustment => "adjustment",
    }
}

/// The settled answer of one intent.
#[derive(Clone, Debug)]
enum Settled {
    Upgraded(TierChange),
    Bought(CreditPurchase),
}

type IntentCell = Arc<tokio::sync::Mutex<Option<Settled>>>;

/// The intents of this app run: one record per opened sheet, so a double click or a retry
/// of the same confirmation never acts twice.
#[derive(Default)]
pub struct Intents {
    cells: std::sync::Mutex<VecDeque<(String, IntentCell)>>,
}

impl Intents {
    pub fn new() -> Intents {
        Intents::default()
    }

    /// The record of `key`, made on first use.
    fn cell(&self, key: &str) -> IntentCell {
        let mut cells = self.cells.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, cell)) = cells.iter().find(|(k, _)| k == key) {
            return cell.clone();
        }
        if cells.len() >= INTENTS_MAX {
            cells.pop_front();
        }
        let cell: IntentCell = Arc::default();
        cells.push_back((key.to_owned(), cell.clone()));
        cell
    }

    /// Upgrades to `tier` once for `key`, sending `key` as the idempotency key: a repeat of
    /// `key` (a double click, a retry after a lost answer, a fresh app run) returns the first
    /// change, and the engine never changes the tier twice for it. An account another window
    /// or device already moved to `tier` counts as done.
    pub async fn upgrade(&self, client: &Client, key: &str, tier: &str) -> Result<TierChange, ActionFailure> {
        let cell = self.cell(key);
        let mut settled = cell.lock().await;
        if let Some(Settled::Upgraded(change)) = &*settled {
            return Ok(change.clone());
        }
        let change = match client.change_tier(tier, key).await {
            Ok(change) => change,
            Err(ClientError::Rejected { code, .. }) if code == "tier_unchanged" => {
                let account = client.account().await.map_err(|e| ActionFailure::of(Action::Upgrade, &e))?;
                already_on(&account.tier, account.period.start, tier)
            }
            Err(e) => return Err(ActionFailure::of(Action::Upgrade, &e)),
        };
        *settled = Some(Settled::Upgraded(change.clone()));
        Ok(change)
    }

    /// Buys `packs` packs once for `key`, sending `key` as the idempotency key so the engine
    /// also answers any repeat with the first purchase.
    pub async fn buy(&self, client: &Client, key: &str, packs: u32) -> Result<CreditPurchase, ActionFailure> {
        let cell = self.cell(key);
        let mut settled = cell.lock().await;
        if let Some(Settled::Bought(purchase)) = &*settled {
            return Ok(purchase.clone());
        }
        let purchase = client.buy_credits(packs, key).await.map_err(|e| ActionFailure::of(Action::Purchase, &e))?;
        *settled = Some(Settled::Bought(purchase.clone()));
        Ok(purchase)
    }
}

/// The banner over the dashboard as last synced.
pub async fn banner(app: &App) -> Result<Option<NoticeBanner>, ActionFailure> {
    let view = app.dashboard().await.map_err(|e| ActionFailure::local(&e))?;
    // The published book names tiers and caps; the sheets price with the server's own book.
    Ok(notice_banner(PriceBook::published(), &view))
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
    ledger_view(&ledger).map_err(|e| ActionFailure::local(&e))
}

fn already_on(previous: &str, effective_at: DateTime<Utc>, tier: &str) -> TierChange {
    TierChange { previous_tier: previous.to_owned(), tier: tier.to_owned(), effective_at, immediate: true }
}

/// Which thresholds were already announced with a desktop notification, kept in the app
/// data folder so each fires once per period, across restarts and from background syncs.
#[derive(Clone, Debug)]
pub struct NotifiedThresholds {
    path: PathBuf,
}

#[derive(Default, Serialize, Deserialize)]
struct NotifiedFile {
    /// The period these entries belong to (`YYYY-MM-DD` of its first day).
    period: String,
    /// `meter:threshold`, e.g. `requests:80`, and `alert:<id>` for spend alerts.
    announced: BTreeSet<String>,
}

impl NotifiedThresholds {
    /// The record `notified.json` in `data_dir`.
    pub fn in_dir(data_dir: &Path) -> NotifiedThresholds {
        NotifiedThresholds { path: data_dir.join("notified.json") }
    }

    /// The notices of `view` not announced yet this period, recorded as announced. A record
    /// of an earlier period is dropped, so the file never grows past one period's thresholds.
    pub fn take_new(&self, view: &DashboardView) -> Result<Vec<NoticeView>, DesktopError> {
        let keys: Vec<String> = view.notices.iter().map(|n| format!("{}:{}", n.meter, n.threshold_percent)).collect();
        let fresh = self.take_new_keys(&view.period_first_day, &keys)?;
        Ok(view.notices.iter().zip(keys).filter(|(_, k)| fresh.contains(k)).map(|(n, _)| n.clone()).collect())
    }

    /// Which of `keys` were not announced yet in `period`, recorded as announced.
    pub(crate) fn take_new_keys(&self, period: &str, keys: &[String]) -> Result<BTreeSet<String>, DesktopError> {
        let mut file: NotifiedFile = crate::files::read_json(&self.path).unwrap_or_default();
        if file.period != period {
            file = NotifiedFile { period: period.to_owned(), announced: BTreeSet::new() };
        }
        let fresh: BTreeSet<String> = keys.iter().filter(|k| file.announced.insert((*k).clone())).cloned().collect();
        if !fresh.is_empty() {
            crate::files::write_json(&self.path, &file)?;
        }
        Ok(fresh)
    }
}

/// "Nov 20" from `YYYY-MM-DD`.
fn short_day(day: &str) -> String {
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").map_or_else(|_| day.to_owned(), |d| d.format("%b %-d").to_string())
}

fn days_left_text(days: u32) -> String {
    match days {
        0 => "last day of the period".to_owned(),
        1 => "1 day left".to_owned(),
        n => format!("{n} days left"),
    }
}

/// Writes the TypeScript declarations of the views and failures above into `dir`
/// (committed under `ui/src/bindings/account/`).
pub fn write_typescript(dir: &Path) -> Result<(), ts_rs::ExportError> {
    use ts_rs::TS;
    let cfg = ts_rs::Config::new().with_out_dir(dir).with_large_int("number");
    NoticeBanner::export_all(&cfg)?;
    UpgradeSheet::export_all(&cfg)?;
    CreditsSheet::export_all(&cfg)?;
    CreditsQuote::export_all(&cfg)?;
    PurchaseView::export_all(&cfg)?;
    ActionFailure::export_all(&cfg)?;
    LedgerView::export_all(&cfg)?;
    crate::PlanBillingView::export_all(&cfg)?;
    crate::controls::write_typescript(&cfg)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_say_what_happened_and_whether_money_moved_without_transport_text() {
        let refused = ClientError::Network {
            detail: "error sending request: tcp connect error: Connection refused (os error 111)".into(),
            unsent: true,
        };
        let buy = ActionFailure::of(Action::Purchase, &refused);
        assert_eq!((buy.kind, buy.charged), (FailureKind::Offline, Charged::No));
        assert!(buy.message.starts_with("Could not reach the server; nothing was charged."), "{}", buy.message);
        let read = ActionFailure::of_read(&refused);
        assert_eq!((read.charged, read.message.as_str()), (Charged::No, OFFLINE_NOTHING_CHARGED));

        let broke = ClientError::Network { detail: "connection reset".into(), unsent: false };
        let buy = ActionFailure::of(Action::Purchase, &broke);
        assert_eq!(buy.charged, Charged::Unknown);
        assert!(buy.message.contains("same key"), "{}", buy.message);

        let local = ActionFailure::local(&DesktopError::Network { url: "http://127.0.0.1:1".into(), detail: "tcp connect error".into() });
        assert_eq!(local.message, OFFLINE_NOTHING_CHARGED);
        let revoked = ActionFailure::of_read(&ClientError::Unauthorized { code: "invalid_token".into(), message: "no".into() });
        assert_eq!((revoked.kind, revoked.message.as_str()), (FailureKind::SignedOut, TOKEN_REJECTED_NOTHING_CHARGED));
        let packs = ActionFailure::local(&DesktopError::BadPackCount { packs: 0, max: 100 });
        assert_eq!(packs.message, "0 packs: buy 1 to 100 packs at a time; nothing was charged.");
        for f in [buy, read, local, revoked, packs] {
            assert!(!f.message.contains("os error") && !f.message.contains("tcp"), "{}", f.message);
        }
    }
}
