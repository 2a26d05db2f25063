//! Invoices: the account's closed periods as the engine issued them, listed newest first, one
//! invoice's bill lines, and its export as CSV or PDF.
//!
//! The engine computes every amount; this module only formats what it served (with the
//! pricing core's `format` helpers) and lays it out. Invoices never change once issued, so a
//! fetched invoice is kept in `invoices.json` in the app data folder and shown offline, with
//! the list as last fetched and when.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use edgecost_api::{CreditLedger, Invoice, InvoicePage, InvoiceQuery, InvoiceStatus, InvoiceSummary, LedgerEntryKind, MAX_INVOICE_PAGE};
use edgecost_pricing::format::{meter_quantity, money_in, quantity};
use edgecost_pricing::{Decimal, PriceBook};
use serde::{Deserialize, Serialize};

use crate::error::DesktopError;
use crate::remote::AccountConnection;
use crate::snapshot::Door;

/// The invoice cache's file name in the app data folder.
pub const INVOICE_CACHE_FILE: &str = "invoices.json";
/// At most this many pages are read for the list (100 invoices each: over 800 years of months).
const INVOICE_PAGES_MAX: usize = 10;
/// The engine issues a period's invoice once its late-record grace hour has passed.
const GRACE_HOUR: i64 = 1;

/// One invoice of the list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct InvoiceRowView {
    pub id: String,
    pub number: String,
    /// "Nov 2026" for a whole calendar month, else "Nov 14 - Dec 1, 2026".
    pub period: String,
    /// RFC 3339, UTC: `[period_start, period_end)`.
    pub period_start: String,
    pub period_end: String,
    /// The days the period covers, its last day included, in UTC: "Nov 1 - Nov 30, 2026".
    pub period_days: String,
    /// "Production".
    pub tier: String,
    /// What the period cost before credit.
    pub cost: String,
    pub paid_by_credit: String,
    pub total: String,
    /// Paid so far by the payments the operator recorded.
    pub amount_paid: String,
    /// RFC 3339, UTC: when the last payment that paid it in full was received; empty until
    /// it is paid.
    pub paid_at: String,
    /// `due`, `partly_paid`, `paid` or `paid_by_credit`.
    pub status: String,
    /// "Due", "Partly paid ($20.00 of $40.46)", "Paid Dec 3" or "Paid by credit".
    pub status_label: String,
    /// The status as an export states it: the label, with the year of a payment date
    /// ("Paid Dec 3, 2026").
    pub status_dated: String,
}

/// The invoice list, newest first, as last fetched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct InvoiceListView {
    pub rows: Vec<InvoiceRowView>,
    /// RFC 3339, UTC: when the list was fetched from the server.
    pub fetched_at: String,
    /// The server could not be reached: this is the list as last fetched.
    pub offline: bool,
    /// Why the last fetch failed, when `offline`.
    pub error: Option<String>,
    /// With no invoice yet: "No invoices yet: the first one is issued when this period ends
    /// (Jan 1, 01:00 UTC)".
    pub empty_note: String,
}

/// One line of an invoice: a base fee share, a meter's overage, credit a pack paid, or the total.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct InvoiceLineView {
    /// `base_fee`, `overage`, `credit` or `total`.
    pub kind: String,
    pub description: String,
    /// Empty for the credit and total lines.
    pub quantity: String,
    pub unit: String,
    /// "$0.50 per 10,000 requests"; empty where no rate applies.
    pub rate: String,
    /// Signed: credit lines are negative.
    pub amount: String,
    /// How the line was worked out, as the engine wrote it.
    pub explanation: String,
    /// The line's exact figures, as exports carry them.
    pub figures: InvoiceLineFigures,
}

/// A line's figures as the engine issued them: plain numbers (no grouping, no currency sign),
/// exact, so a spreadsheet reads them as numbers and recomputes the amount. Empty where a
/// figure does not apply.
///
/// A meter line's amount is `overage` x `rate_price` / `rate_per`, rounded to the cent; a base
/// fee line's is `quantity` (days, or 1 for the whole period) x `rate_price` / `rate_per`
/// (the period's days, or 1).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct InvoiceLineFigures {
    /// Usage billed on a meter line ("1034211", "16.3368240864"); days on a base fee line.
    pub quantity: String,
    /// The tier's included quantity, on a meter line with a quota.
    pub included: String,
    /// Usage past `included`, which the rate applies to.
    pub overage: String,
    /// The price per `rate_per` units ("0.40"); a base fee line's is the tier's fee.
    pub rate_price: String,
    /// The block the price is for ("10000"); a base fee line's is the period's days.
    pub rate_per: String,
    /// Signed: credit lines are negative ("-1.50").
    pub amount: String,
}

/// A payment recorded against an invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct InvoicePaymentView {
    /// "Dec 3, 2026".
    pub received: String,
    /// The payment processor's reference, such as its charge id.
    pub reference: String,
    /// "$20.00".
    pub amount: String,
}

/// One invoice with its lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct InvoiceDetailView {
    pub row: InvoiceRowView,
    /// RFC 3339, UTC.
    pub issued_at: String,
    /// The payments recorded against it, in the order received.
    pub payments: Vec<InvoicePaymentView>,
    /// Base fee lines, then overage lines, then credit lines, then the total.
    pub lines: Vec<InvoiceLineView>,
    /// The ISO 4217 currency of every amount.
    pub currency: String,
    /// "Requests 1,034,211 · Egress 16.34 GB · Compute 1,234.5 s".
    pub usage: String,
}

/// CSV or PDF.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceFormat {
    Csv,
    Pdf,
}

impl InvoiceFormat {
    pub fn extension(self) -> &'static str {
        match self {
            InvoiceFormat::Csv => "csv",
            InvoiceFormat::Pdf => "pdf",
        }
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn tier_name(book: &PriceBook, tier: &str) -> String {
    book.tier(tier).map_or_else(|| tier.to_owned(), |t| t.display_name().to_owned())
}

/// "Nov 2026" for a calendar month, else its first and last day.
pub fn period_label(start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    use chrono::Datelike;
    let last_day = end - Duration::seconds(1);
    let whole_month = start.day() == 1 && start.time() == chrono::NaiveTime::MIN && last_day.month() == start.month() && (end.day() == 1);
    if whole_month { start.format("%b %Y").to_string() } else { period_days(start, end) }
}

/// The first and last day of `[start, end)`: "Nov 1 - Nov 30, 2026".
pub fn period_days(start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    let last_day = end - Duration::seconds(1);
    format!("{} - {}", start.format("%b %-d"), last_day.format("%b %-d, %Y"))
}

/// The status code and label of `summary`: "Due", "Partly paid ($20.00 of $40.46)",
/// "Paid Dec 3" or "Paid by credit".
fn status(summary: &InvoiceSummary, currency: &str) -> (&'static str, String) {
    match summary.status {
        InvoiceStatus::Due => ("due", "Due".to_owned()),
        InvoiceStatus::PartlyPaid => {
            ("partly_paid", format!("Partly paid ({} of {})", money_in(summary.amount_paid, currency), money_in(summary.total, currency)))
        }
        InvoiceStatus::Paid => ("paid", summary.paid_at.map_or_else(|| "Paid".to_owned(), |at| format!("Paid {}", at.format("%b %-d")))),
        InvoiceStatus::PaidByCredit => ("paid_by_credit", "Paid by credit".to_owned()),
    }
}

/// [`status`]'s label as an export states it, with the year of a payment date ("Paid Dec 3,
/// 2026").
fn status_dated(summary: &InvoiceSummary, label: &str) -> String {
    match summary.paid_at {
        Some(at) if summary.status == InvoiceStatus::Paid => format!("{label}, {}", at.format("%Y")),
        _ => label.to_owned(),
    }
}

/// The list row of `summary`.
pub fn invoice_row(book: &PriceBook, summary: &InvoiceSummary) -> InvoiceRowView {
    let money = |amount: Decimal| money_in(amount, &book.currency);
    let (code, label) = status(summary, &book.currency);
    InvoiceRowView {
        id: summary.id.clone(),
        number: summary.number.clone(),
        period: period_label(summary.period_start, summary.period_end),
        period_start: rfc3339(summary.period_start),
        period_end: rfc3339(summary.period_end),
        period_days: period_days(summary.period_start, summary.period_end),
        tier: tier_name(book, &summary.tier),
        cost: money(summary.cost),
        paid_by_credit: money(summary.paid_by_credit),
        total: money(summary.total),
        amount_paid: money(summary.amount_paid),
        paid_at: summary.paid_at.map(rfc3339).unwrap_or_default(),
        status: code.to_owned(),
        status_dated: status_dated(summary, &label),
        status_label: label,
    }
}

/// The name of each purchase in the credit ledger, numbering the packs bought in purchase
/// order: "Pack 1" for a purchase of one pack, "Packs 2–3" for the next one of two, so a
/// $50.00 purchase of $25.00 packs never reads as one pack. `pack_credit` is the credit one
/// pack adds; a purchase that is not a whole number of packs counts as one.
pub fn pack_names(ledger: &CreditLedger, pack_credit: Decimal) -> BTreeMap<String, String> {
    let mut next = 1u64;
    let mut names = BTreeMap::new();
    for e in ledger.entries.iter().filter(|e| e.kind == LedgerEntryKind::Purchase) {
        let count = e
            .amount
            .checked_div(pack_credit)
            .filter(|n| n.fract().is_zero() && *n >= Decimal::ONE)
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(1);
        let last = next.saturating_add(count - 1);
        let name = if count == 1 { format!("Pack {next}") } else { format!("Packs {next}–{last}") };
        names.insert(e.id.clone(), name);
        next = last.saturating_add(1);
    }
    names
}

/// The detail view of `invoice`; `packs` names the packs that paid credit (their ids otherwise).
pub fn invoice_detail(book: &PriceBook, invoice: &Invoice, packs: &BTreeMap<String, String>) -> InvoiceDetailView {
    let bill = &invoice.bill;
    let money = |amount: Decimal| money_in(amount, &bill.currency);
    let mut lines = Vec::new();
    for l in &bill.base_fee_lines {
        let description = l.label.to_string();
        // One tier for the whole period comes as a single line without day counts.
        let (quantity, unit) = if l.period_days == 0 {
            ("1".to_owned(), "period".to_owned())
        } else {
            (l.days.to_string(), format!("of {} days", l.period_days))
        };
        let fee = book.tier(&l.tier).and_then(|t| t.base_fee);
        let figures = InvoiceLineFigures {
            quantity: quantity.clone(),
            rate_price: fee.map(plain).unwrap_or_default(),
            rate_per: if l.period_days == 0 { "1".to_owned() } else { l.period_days.to_string() },
            amount: plain(l.amount),
            ..InvoiceLineFigures::default()
        };
        lines.push(InvoiceLineView {
            kind: "base_fee".to_owned(),
            description,
            quantity,
            unit,
            rate: String::new(),
            amount: money(l.amount),
            explanation: l.explanation.clone(),
            figures,
        });
    }
    if bill.base_fee_lines.is_empty() {
        lines.push(InvoiceLineView {
            kind: "base_fee".to_owned(),
            description: "Base fee".to_owned(),
            quantity: String::new(),
            unit: String::new(),
            rate: String::new(),
            amount: money(bill.base_fee),
            explanation: format!("The {} base fee for the whole period", tier_name(book, &invoice.tier)),
            figures: InvoiceLineFigures { amount: plain(bill.base_fee), ..InvoiceLineFigures::default() },
        });
    }
    for l in &bill.lines {
        let rate = l.rate.as_ref().map_or_else(String::new, |r| {
            let per =
                if r.per == Decimal::ONE { l.unit.trim_end_matches('s').to_owned() } else { format!("{} {}", quantity(r.per), l.unit) };
            format!("{} per {per}", money(r.price))
        });
        lines.push(InvoiceLineView {
            kind: "overage".to_owned(),
            description: format!("{} overage", l.meter.label()),
            quantity: quantity(l.overage),
            unit: l.unit.to_string(),
            rate,
            amount: money(l.amount),
            explanation: l.explanation.clone(),
            figures: InvoiceLineFigures {
                quantity: plain(l.quantity),
                included: l.included.map(plain).unwrap_or_default(),
                overage: plain(l.overage),
                rate_price: l.rate.as_ref().map(|r| plain(r.price)).unwrap_or_default(),
                rate_per: l.rate.as_ref().map(|r| plain(r.per)).unwrap_or_default(),
                amount: plain(l.amount),
            },
        });
    }
    for c in &invoice.credits {
        let pack = packs.get(&c.pack_id).cloned().unwrap_or_else(|| c.pack_id.clone());
        lines.push(InvoiceLineView {
            kind: "credit".to_owned(),
            description: format!("Burst credit applied ({pack})"),
            quantity: String::new(),
            unit: String::new(),
            rate: String::new(),
            amount: money(-c.amount),
            explanation: format!("{pack} paid {} of this period's overage", money(c.amount)),
            figures: InvoiceLineFigures { amount: plain(-c.amount), ..InvoiceLineFigures::default() },
        });
    }
    lines.push(InvoiceLineView {
        kind: "total".to_owned(),
        description: "Total due".to_owned(),
        quantity: String::new(),
        unit: String::new(),
        rate: String::new(),
        amount: money(invoice.total),
        explanation: format!("{} cost - {} paid by credit", money(invoice.cost), money(invoice.paid_by_credit)),
        figures: InvoiceLineFigures { amount: plain(invoice.total), ..InvoiceLineFigures::default() },
    });
    let t = &invoice.totals;
    let egress_gb = t.billable_egress_bytes / Decimal::from(1_000_000_000u64);
    let compute_s = Decimal::from(t.compute_ms) / Decimal::from(1_000u64);
    let usage = format!(
        "Requests {} · Billable egress {} GB · Compute {} s",
        meter_quantity(edgecost_pricing::Meter::Requests, Decimal::from(t.requests)),
        meter_quantity(edgecost_pricing::Meter::Egress, egress_gb),
        meter_quantity(edgecost_pricing::Meter::Compute, compute_s),
    );
    let payments = invoice
        .payments
        .iter()
        .map(|p| InvoicePaymentView {
            received: p.received_at.format("%b %-d, %Y").to_string(),
            reference: p.reference.clone(),
            amount: money(p.amount),
        })
        .collect();
    InvoiceDetailView {
        row: invoice_row(book, &invoice.summary()),
        issued_at: rfc3339(invoice.issued_at),
        payments,
        lines,
        currency: bill.currency.clone(),
        usage,
    }
}

/// One row per line, with the line's exact figures (see [`InvoiceLineFigures`]) beside its
/// description, unit and explanation, and the invoice's status ("Paid Dec 3, 2026") on every
/// row (RFC 4180, CRLF line ends). Numbers are plain so a spreadsheet sums them.
pub fn invoice_csv(detail: &InvoiceDetailView) -> Result<String, DesktopError> {
    let fail = |e: csv::Error| DesktopError::Export { detail: e.to_string() };
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    w.write_record(INVOICE_CSV_COLUMNS).map_err(fail)?;
    let status = &detail.row.status_dated;
    for l in &detail.lines {
        let f = &l.figures;
        w.write_record([
            detail.row.number.as_str(),
            &detail.row.period_start,
            &detail.row.period_end,
            &detail.currency,
            &l.kind,
            &l.description,
            &f.quantity,
            &f.included,
            &f.overage,
            &l.unit,
            &f.rate_price,
            &f.rate_per,
            &f.amount,
            &l.explanation,
            status,
        ])
        .map_err(fail)?;
    }
    let bytes = w.into_inner().map_err(|e| DesktopError::Export { detail: e.to_string() })?;
    String::from_utf8(bytes).map_err(|e| DesktopError::Export { detail: e.to_string() })
}

/// The invoice CSV's header.
pub const INVOICE_CSV_COLUMNS: [&str; 15] = [
    "invoice",
    "period_start",
    "period_end",
    "currency",
    "kind",
    "description",
    "quantity",
    "included",
    "overage",
    "unit",
    "rate_price",
    "rate_per",
    "amount",
    "explanation",
    "status",
];

/// An exact figure as exports write it: "16.3368240864", "0.40", "-1.50"; no grouping, no
/// sign of currency, no trailing zeros past what the engine gave.
fn plain(value: Decimal) -> String {
    value.to_string()
}

/// The invoice list and every invoice fetched, as the server answered them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InvoiceCacheFile {
    pub door: Option<Door>,
    pub server_url: String,
    pub fetched_at: Option<DateTime<Utc>>,
    pub invoices: Vec<InvoiceSummary>,
    /// Invoices never change once issued (only their payments do), so each is fetched again
    /// only when the list shows other payments than the copy here.
    pub details: BTreeMap<String, Invoice>,
    /// Pack names by pack id, as of the last ledger read.
    pub packs: BTreeMap<String, String>,
}

/// `invoices.json` in the app data folder.
#[derive(Clone, Debug)]
pub struct InvoiceCache {
    path: PathBuf,
}

impl InvoiceCache {
    pub fn in_dir(data_dir: &Path) -> InvoiceCache {
        InvoiceCache { path: data_dir.join(INVOICE_CACHE_FILE) }
    }

    /// The cache for `door` and `server_url`; an empty one when there is none, it is
    /// unreadable, or it belongs to another account.
    pub fn load(&self, door: Door, server_url: &str) -> InvoiceCacheFile {
        let file: Option<InvoiceCacheFile> = crate::files::read_json(&self.path);
        match file {
            Some(f) if f.door == Some(door) && f.server_url == server_url => f,
            _ => InvoiceCacheFile { door: Some(door), server_url: server_url.to_owned(), ..InvoiceCacheFile::default() },
        }
    }

    pub fn save(&self, file: &InvoiceCacheFile) -> Result<(), DesktopError> {
        crate::files::write_json(&self.path, file)
    }

    pub fn clear(&self) -> Result<(), DesktopError> {
        crate::files::remove_if_present(&self.path)
    }
}

/// Every invoice of the account, newest first, a bounded number of pages.
pub async fn fetch_invoice_list(connection: &AccountConnection) -> Result<Vec<InvoiceSummary>, DesktopError> {
    let mut all = Vec::new();
    let mut cursor = None;
    for _ in 0..INVOICE_PAGES_MAX {
        let query = InvoiceQuery { cursor: cursor.take(), limit: Some(MAX_INVOICE_PAGE) };
        let page: InvoicePage = connection.invoices(&query).await?;
        all.extend(page.invoices);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(all)
}

/// The list view of `file`; `failure` says why it could not be refreshed.
pub fn list_view(
    book: &PriceBook,
    file: &InvoiceCacheFile,
    current_period_end: Option<DateTime<Utc>>,
    failure: Option<&DesktopError>,
) -> InvoiceListView {
    let empty_note = match current_period_end {
        Some(end) => format!(
            "No invoices yet: the first one is issued when this period ends ({}, {} UTC)",
            end.format("%b %-d"),
            (end + Duration::hours(GRACE_HOUR)).format("%H:%M")
        ),
        None => "No invoices yet: the first one is issued when this period ends".to_owned(),
    };
    InvoiceListView {
        rows: file.invoices.iter().map(|s| invoice_row(book, s)).collect(),
        fetched_at: file.fetched_at.map(rfc3339).unwrap_or_default(),
        offline: failure.is_some(),
        error: failure.map(|e| e.to_string()),
        empty_note,
    }
}

mod pdf;

pub use pdf::invoice_pdf;

#[cfg(test)]
mod tests;
