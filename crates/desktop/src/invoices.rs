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
use edgecost_pricing::format::{meter_quantity, money, quantity};
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
    /// "Production".
    pub tier: String,
    /// What the period cost before credit.
    pub cost: String,
    pub paid_by_credit: String,
    pub total: String,
    /// `due` or `paid_by_credit`.
    pub status: String,
    /// "Due" or "Paid by credit".
    pub status_label: String,
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
}

/// One invoice with its lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct InvoiceDetailView {
    pub row: InvoiceRowView,
    /// RFC 3339, UTC.
    pub issued_at: String,
    /// Base fee lines, then overage lines, then credit lines, then the total.
    pub lines: Vec<InvoiceLineView>,
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
    if whole_month { start.format("%b %Y").to_string() } else { format!("{} - {}", start.format("%b %-d"), last_day.format("%b %-d, %Y")) }
}

fn status(status: InvoiceStatus) -> (&'static str, &'static str) {
    match status {
        InvoiceStatus::Due => ("due", "Due"),
        InvoiceStatus::PaidByCredit => ("paid_by_credit", "Paid by credit"),
    }
}

/// The list row of `summary`.
pub fn invoice_row(book: &PriceBook, summary: &InvoiceSummary) -> InvoiceRowView {
    let (code, label) = status(summary.status);
    InvoiceRowView {
        id: summary.id.clone(),
        number: summary.number.clone(),
        period: period_label(summary.period_start, summary.period_end),
        period_start: rfc3339(summary.period_start),
        period_end: rfc3339(summary.period_end),
        tier: tier_name(book, &summary.tier),
        cost: money(summary.cost),
        paid_by_credit: money(summary.paid_by_credit),
        total: money(summary.total),
        status: code.to_owned(),
        status_label: label.to_owned(),
    }
}

/// "Pack 1", "Pack 2", ... by purchase order, as the credit ledger names them.
pub fn pack_names(ledger: &CreditLedger) -> BTreeMap<String, String> {
    ledger
        .entries
        .iter()
        .filter(|e| e.kind == LedgerEntryKind::Purchase)
        .enumerate()
        .map(|(n, e)| (e.id.clone(), format!("Pack {}", n + 1)))
        .collect()
}

/// The detail view of `invoice`; `packs` names the packs that paid credit (their ids otherwise).
pub fn invoice_detail(book: &PriceBook, invoice: &Invoice, packs: &BTreeMap<String, String>) -> InvoiceDetailView {
    let bill = &invoice.bill;
    let mut lines = Vec::new();
    for l in &bill.base_fee_lines {
        let description = l.label.clone();
        // One tier for the whole period comes as a single line without day counts.
        let (quantity, unit) = if l.period_days == 0 {
            ("1".to_owned(), "period".to_owned())
        } else {
            (l.days.to_string(), format!("of {} days", l.period_days))
        };
        lines.push(InvoiceLineView {
            kind: "base_fee".to_owned(),
            description,
            quantity,
            unit,
            rate: String::new(),
            amount: money(l.amount),
            explanation: l.explanation.clone(),
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
            unit: l.unit.clone(),
            rate,
            amount: money(l.amount),
            explanation: l.explanation.clone(),
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
    InvoiceDetailView { row: invoice_row(book, &invoice.summary()), issued_at: rfc3339(invoice.issued_at), lines, usage }
}

/// One row per line: invoice number, period, description, quantity, unit, rate, amount,
/// explanation (RFC 4180, CRLF line ends).
pub fn invoice_csv(detail: &InvoiceDetailView) -> Result<String, DesktopError> {
    let fail = |e: csv::Error| DesktopError::Export { detail: e.to_string() };
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    w.write_record(["invoice", "period_start", "period_end", "description", "quantity", "unit", "rate", "amount", "explanation"])
        .map_err(fail)?;
    for l in &detail.lines {
        w.write_record([
            detail.row.number.as_str(),
            &detail.row.period_start,
            &detail.row.period_end,
            &l.description,
            &l.quantity,
            &l.unit,
            &l.rate,
            // Exports carry plain numbers so a spreadsheet can sum them.
            &plain_amount(&l.amount),
            &l.explanation,
        ])
        .map_err(fail)?;
    }
    let bytes = w.into_inner().map_err(|e| DesktopError::Export { detail: e.to_string() })?;
    String::from_utf8(bytes).map_err(|e| DesktopError::Export { detail: e.to_string() })
}

/// `-1234.50` for `-$1,234.50`.
fn plain_amount(money_text: &str) -> String {
    money_text.chars().filter(|c| *c != '$' && *c != ',').collect()
}

/// The invoice as a PDF of A4 pages in the PDF base font Helvetica (nothing embedded; the
/// text is selectable and searchable).
pub fn invoice_pdf(detail: &InvoiceDetailView, account_label: &str) -> Vec<u8> {
    let mut page = PageText::default();
    let r = &detail.row;
    page.text(50.0, 20.0, Font::Bold, &format!("Invoice {}", r.number));
    page.gap(10.0);
    page.text(50.0, 11.0, Font::Regular, account_label);
    page.text(50.0, 11.0, Font::Regular, &format!("Period: {} ({} to {})", r.period, &r.period_start[..10], &r.period_end[..10]));
    page.text(50.0, 11.0, Font::Regular, &format!("Tier: {}", r.tier));
    page.text(50.0, 11.0, Font::Regular, &format!("Issued: {}", detail.issued_at.replace('T', " ").replace('Z', " UTC")));
    page.text(50.0, 11.0, Font::Regular, &format!("Status: {}", r.status_label));
    page.text(50.0, 9.0, Font::Regular, &detail.usage.replace('·', "-"));
    page.gap(12.0);
    page.columns(Font::Bold, 10.0, ["Description", "Quantity", "Unit", "Amount"]);
    page.rule();
    for l in &detail.lines {
        let font = if l.kind == "total" { Font::Bold } else { Font::Regular };
        if l.kind == "total" {
            page.rule();
        }
        page.columns(font, 10.0, [&l.description, &l.quantity, &l.unit, &l.amount]);
        let mut detail_text = l.explanation.clone();
        if !l.rate.is_empty() {
            detail_text = format!("{detail_text} (rate {})", l.rate);
        }
        for chunk in wrap(&detail_text, 100) {
            page.text(62.0, 8.0, Font::Regular, &chunk);
        }
        page.gap(4.0);
    }
    page.gap(12.0);
    page.text(50.0, 12.0, Font::Bold, &format!("Cost {}   Paid by credit {}   Total due {}", r.cost, r.paid_by_credit, r.total));
    page.render(&format!("Invoice {}", r.number))
}

/// Splits `text` at spaces into lines of at most `width` characters (a longer word stays whole).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Font {
    Regular,
    Bold,
}

const PAGE_WIDTH_PT: f32 = 595.0;
const PAGE_HEIGHT_PT: f32 = 842.0;
const MARGIN_PT: f32 = 50.0;
/// x of the quantity and unit columns, and the right edge of the amount column.
const QUANTITY_X_PT: f32 = 300.0;
const UNIT_X_PT: f32 = 390.0;
const AMOUNT_RIGHT_PT: f32 = PAGE_WIDTH_PT - MARGIN_PT;
/// Pages of a long invoice; every invoice fits in a few (it has at most a handful of lines).
const PAGES_MAX: usize = 50;

enum Op {
    Text { x: f32, y: f32, size: f32, font: Font, text: Vec<u8> },
    Rule { y: f32 },
}

/// Text laid out top-down onto pages.
struct PageText {
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Default for PageText {
    fn default() -> Self {
        PageText { pages: vec![Vec::new()], y: PAGE_HEIGHT_PT - MARGIN_PT }
    }
}

impl PageText {
    fn advance(&mut self, height: f32) {
        if self.y - height < MARGIN_PT && self.pages.len() < PAGES_MAX {
            self.pages.push(Vec::new());
            self.y = PAGE_HEIGHT_PT - MARGIN_PT;
        }
        self.y -= height;
    }

    fn gap(&mut self, height: f32) {
        self.y -= height;
    }

    fn push(&mut self, op: Op) {
        self.pages.last_mut().expect("a page always exists").push(op);
    }

    fn text(&mut self, x: f32, size: f32, font: Font, text: &str) {
        self.advance(size * 1.35);
        let y = self.y;
        self.push(Op::Text { x, y, size, font, text: win_ansi(text) });
    }

    fn columns(&mut self, font: Font, size: f32, cells: [&str; 4]) {
        self.advance(size * 1.5);
        let y = self.y;
        let [description, qty, unit, amount] = cells;
        self.push(Op::Text { x: MARGIN_PT, y, size, font, text: win_ansi(description) });
        let qty_right = UNIT_X_PT - 12.0;
        self.push(Op::Text { x: qty_right.max(QUANTITY_X_PT) - text_width(qty, size), y, size, font, text: win_ansi(qty) });
        self.push(Op::Text { x: UNIT_X_PT, y, size, font, text: win_ansi(unit) });
        self.push(Op::Text { x: AMOUNT_RIGHT_PT - text_width(amount, size), y, size, font, text: win_ansi(amount) });
    }

    fn rule(&mut self) {
        self.advance(4.0);
        let y = self.y;
        self.push(Op::Rule { y });
    }

    fn render(self, title: &str) -> Vec<u8> {
        use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, TextStr};
        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let regular = Ref::new(3);
        let bold = Ref::new(4);
        let info = Ref::new(5);
        let first_page = 6;
        let page_ids: Vec<Ref> = (0..self.pages.len()).map(|n| Ref::new(first_page + 2 * n as i32)).collect();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree).kids(page_ids.iter().copied()).count(page_ids.len() as i32);
        pdf.type1_font(regular).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.document_info(info).title(TextStr(title)).producer(TextStr("edgecost"));
        for (ops, page_id) in self.pages.iter().zip(&page_ids) {
            let content_id = Ref::new(page_id.get() + 1);
            let mut page = pdf.page(*page_id);
            page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH_PT, PAGE_HEIGHT_PT)).parent(tree).contents(content_id);
            {
                let mut resources = page.resources();
                resources.fonts().pair(Name(b"F1"), regular).pair(Name(b"F2"), bold);
            }
            page.finish();
            let mut content = Content::new();
            for op in ops {
                match op {
                    Op::Text { x, y, size, font, text } => {
                        let name = if *font == Font::Bold { Name(b"F2") } else { Name(b"F1") };
                        content.begin_text().set_font(name, *size).next_line(*x, *y).show(pdf_writer::Str(text)).end_text();
                    }
                    Op::Rule { y } => {
                        content.set_line_width(0.5).move_to(MARGIN_PT, *y).line_to(PAGE_WIDTH_PT - MARGIN_PT, *y).stroke();
                    }
                }
            }
            pdf.stream(content_id, &content.finish().into_vec());
        }
        pdf.finish()
    }
}

/// Text in the base fonts' WinAnsi encoding: ASCII and Latin-1 as they are, a few typographic
/// marks mapped, anything else as `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '€' => 0x80,
            '…' => 0x85,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '−' => b'-',
            _ => b'?',
        })
        .collect()
}

/// The width of `text` in Helvetica at `size` points, for right-aligned amounts. Digits, `$`
/// and most letters are close to 0.556 em; the narrow marks are 0.278 em.
fn text_width(text: &str, size: f32) -> f32 {
    let em: f32 = text
        .chars()
        .map(|c| match c {
            ',' | '.' | ' ' | 'i' | 'l' | 'j' | 'f' | 't' | 'I' => 0.278,
            '-' => 0.333,
            'm' | 'w' | 'M' | 'W' => 0.833,
            _ => 0.556,
        })
        .sum();
    em * size
}

/// The invoice list and every invoice fetched, as the server answered them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InvoiceCacheFile {
    pub door: Option<Door>,
    pub server_url: String,
    pub fetched_at: Option<DateTime<Utc>>,
    pub invoices: Vec<InvoiceSummary>,
    /// Invoices never change once issued, so each is fetched once.
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

#[cfg(test)]
mod tests {
    use super::*;
    use edgecost_api::{InvoiceCredit, UsageTotals};
    use edgecost_pricing::{RateOptions, Usage};
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    /// A production invoice for Nov 2026 with overage, partly paid by one pack.
    fn invoice() -> Invoice {
        let book = PriceBook::published();
        let usage = Usage { requests: d("350000"), egress_bytes: d("60000000000"), compute_seconds: d("0") };
        let bill = book.rate("production", &usage, &RateOptions { credit_balance: d("1.50"), ..RateOptions::default() }).unwrap();
        let start: DateTime<Utc> = "2026-11-01T00:00:00Z".parse().unwrap();
        Invoice {
            id: "inv_abc".into(),
            number: "INV-00003".into(),
            period_start: start,
            period_end: "2026-12-01T00:00:00Z".parse().unwrap(),
            tier: "production".into(),
            totals: UsageTotals {
                requests: 350_000,
                egress_bytes: 60_000_000_000,
                billable_egress_bytes: d("60000000000"),
                compute_ms: 0,
                ..Default::default()
            },
            cost: bill.cost(),
            paid_by_credit: bill.credits_applied,
            total: bill.total,
            credits: vec![InvoiceCredit { pack_id: "led_1".into(), amount: bill.credits_applied }],
            bill,
            status: InvoiceStatus::Due,
            issued_at: "2026-12-01T01:00:05Z".parse().unwrap(),
        }
    }

    fn detail() -> InvoiceDetailView {
        let packs = BTreeMap::from([("led_1".to_owned(), "Pack 1".to_owned())]);
        invoice_detail(PriceBook::published(), &invoice(), &packs)
    }

    #[test]
    fn the_detail_lists_base_fee_overage_credit_and_total_as_the_engine_billed() {
        let v = detail();
        let inv = invoice();
        assert_eq!(v.row.period, "Nov 2026");
        assert_eq!(v.row.tier, "Production");
        assert_eq!(v.lines.first().unwrap().kind, "base_fee");
        assert_eq!(v.lines.first().unwrap().amount, money(inv.bill.base_fee));
        assert_eq!((v.lines[0].quantity.as_str(), v.lines[0].unit.as_str()), ("1", "period"));
        let overage: Vec<_> = v.lines.iter().filter(|l| l.kind == "overage").collect();
        assert_eq!(overage.len(), inv.bill.lines.len());
        let requests = overage.iter().find(|l| l.description == "Requests overage").unwrap();
        assert_eq!(requests.quantity, "150,000");
        assert!(requests.rate.contains(" per "), "{}", requests.rate);
        let credit = v.lines.iter().find(|l| l.kind == "credit").unwrap();
        assert_eq!(credit.description, "Burst credit applied (Pack 1)");
        assert_eq!(credit.amount, "-$1.50");
        let total = v.lines.last().unwrap();
        assert_eq!((total.kind.as_str(), total.amount.clone()), ("total", money(inv.total)));
        assert_eq!(v.row.total, "$24.00");
    }

    #[test]
    fn a_partial_period_is_labelled_with_its_days() {
        let start = "2026-08-14T10:00:00Z".parse().unwrap();
        let end = "2026-09-01T00:00:00Z".parse().unwrap();
        assert_eq!(period_label(start, end), "Aug 14 - Aug 31, 2026");
    }

    #[test]
    fn the_csv_has_one_row_per_line_with_plain_amounts() {
        let v = detail();
        let text = invoice_csv(&v).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header = reader.headers().unwrap().clone();
        assert_eq!(&header[0], "invoice");
        assert_eq!(&header[7], "amount");
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), v.lines.len());
        assert!(rows.iter().all(|r| &r[0] == "INV-00003" && &r[1] == "2026-11-01T00:00:00Z"));
        assert_eq!(&rows[rows.len() - 1][7], "24.00");
        assert_eq!(&rows[rows.len() - 2][7], "-1.50");
        assert!(text.ends_with("\r\n"));
    }

    #[test]
    fn the_pdf_is_a_pdf_whose_text_holds_the_number_lines_and_total() {
        let bytes = invoice_pdf(&detail(), "Demo storefront");
        assert!(bytes.starts_with(b"%PDF-"));
        let raw = String::from_utf8_lossy(&bytes);
        for needle in ["(Invoice INV-00003)", "/Helvetica", "($24.00)", "(Total due)"] {
            assert!(raw.contains(needle), "{needle} missing");
        }
        // Where poppler is installed, read the text back as a person's PDF viewer would.
        let Ok(out) = std::process::Command::new("pdftotext").arg("-v").output() else { return };
        if !out.status.success() && out.stderr.is_empty() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("invoice.pdf");
        // `EDGECOST_SHOTS=DIR` keeps a copy to look at.
        if let Some(shots) = std::env::var_os("EDGECOST_SHOTS") {
            std::fs::write(std::path::Path::new(&shots).join("invoice.pdf"), &bytes).unwrap();
        }
        std::fs::write(&path, &bytes).unwrap();
        let text = std::process::Command::new("pdftotext").args(["-layout"]).arg(&path).arg("-").output().unwrap();
        assert!(text.status.success(), "{}", String::from_utf8_lossy(&text.stderr));
        let text = String::from_utf8(text.stdout).unwrap();
        for needle in ["Invoice INV-00003", "Period: Nov 2026", "Requests overage", "150,000", "Total due", "$24.00", "Pack 1"] {
            assert!(text.contains(needle), "{needle} not in the PDF text:\n{text}");
        }
    }

    #[test]
    fn long_explanations_wrap_and_unknown_characters_stay_visible() {
        assert_eq!(wrap("a bb ccc", 4), vec!["a bb", "ccc"]);
        assert_eq!(win_ansi("€1 – ✓"), vec![0x80, b'1', b' ', 0x96, b' ', b'?']);
    }

    #[test]
    fn the_empty_list_says_when_the_first_invoice_comes() {
        let file = InvoiceCacheFile::default();
        let end = "2027-01-01T00:00:00Z".parse().unwrap();
        let v = list_view(PriceBook::published(), &file, Some(end), None);
        assert_eq!(v.empty_note, "No invoices yet: the first one is issued when this period ends (Jan 1, 01:00 UTC)");
    }
}
