//! What the credit sheets show: a purchase's quote, the purchase, and the ledger.

use super::*;

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

/// The ledger view of `ledger`: every entry names its packs by purchase order, counted in packs
/// of `pack_credit` (the price book's).
pub fn ledger_view(ledger: &CreditLedger, pack_credit: Decimal) -> Result<LedgerView, DesktopError> {
    let pack_names = crate::invoices::pack_names(ledger, pack_credit);
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

pub(super) fn kind_id(kind: LedgerEntryKind) -> &'static str {
    match kind {
        LedgerEntryKind::Purchase => "purchase",
        LedgerEntryKind::Consumption => "consumption",
        LedgerEntryKind::Adjustment => "adjustment",
    }
}
