//! `edgecost account`: an account owner's bill, usage, burst credit and invoices, read from a
//! running billing engine (`edgecost serve`) through its account API.
//!
//! Every figure is the engine's: this only lays its answers out, as text or, with `--json`,
//! as the API's JSON. Money is written in the bill's (or the served price book's) currency.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, Datelike, Months, NaiveDate, TimeDelta, Utc};
use clap::{Args, Subcommand, ValueEnum};
use edgecost_api::{
    BillToDate, BillingPeriod, CreditLedger, Granularity, Invoice, InvoicePage, InvoiceQuery, InvoiceStatus, InvoiceSummary,
    LedgerEntryKind, MAX_INVOICE_PAGE, UsageGrouping, UsageQuery, UsageSeries,
};
use edgecost_client::{Client, ClientError};
use edgecost_pricing::format::{meter_quantity, money_in, signed_money_in};
use edgecost_pricing::{BYTES_PER_GB, Decimal, Meter, PriceBook, Tier};
use serde::Serialize;

use crate::CliError;
use crate::price::{bill_body, bill_table};
use crate::table::{Align, Table};

/// The address `edgecost serve` listens on when given no `--listen`.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

/// What a missing token says: where a token comes from and how to give it.
const NO_TOKEN: &str = "no account token: set EDGECOST_TOKEN to the token `edgecost admin create-account` printed \
                        (or `edgecost serve --demo` for the demo account), or pass --token-file PATH";

/// Options of `edgecost account`.
#[derive(Args, Debug)]
#[command(after_help = "The account token is read from EDGECOST_TOKEN, or from the file given to --token-file; it is never printed.\n\n\
Examples:\n  export EDGECOST_TOKEN=ec_acct_...\n  edgecost account bill\n  edgecost account usage --by route\n  \
edgecost account invoices --server https://billing.example.com --token-file ~/.config/edgecost/token\n  \
edgecost account bill --json | jq -r .projected_cost")]
pub struct AccountArgs {
    #[command(flatten)]
    pub connection: Connection,
    #[command(subcommand)]
    pub command: AccountCommand,
}

/// The server, the account's token and the output form, shared by every subcommand.
#[derive(Args, Debug)]
#[command(next_help_heading = "Server, token and output")]
pub struct Connection {
    /// The billing engine's address, as `edgecost serve` prints it (`listening on ...`); without
    /// a scheme, http for this computer and https anywhere else.
    #[arg(long, value_name = "URL", env = "EDGECOST_SERVER", default_value = DEFAULT_SERVER, global = true)]
    pub server: String,
    /// The account token. Prefer EDGECOST_TOKEN or --token-file: an argument shows in the
    /// process list and the shell's history.
    #[arg(long, value_name = "TOKEN", env = "EDGECOST_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
    /// Read the account token from this file (the token alone, a trailing newline allowed);
    /// it takes precedence over EDGECOST_TOKEN.
    #[arg(long, value_name = "PATH", global = true)]
    pub token_file: Option<PathBuf>,
    /// Print the API's answer as JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum AccountCommand {
    /// The bill to date (tier, period, each line with how it was worked out, credit applied,
    /// total) and the projected bill at period end, with what the projection rests on.
    #[command(after_help = "Examples:\n  edgecost account bill\n  edgecost account bill --json | jq -r .bill.total")]
    Bill,
    /// Usage over a span as a table: by meter, route or region, per day or hour.
    #[command(after_help = "Examples:\n  edgecost account usage\n  edgecost account usage --by route --from 2026-11 --to 2026-11\n  \
edgecost account usage --by region --granularity hour --from 2026-11-23 --to 2026-11-23\n  \
edgecost account usage --from 2026-11-01T00:00:00Z --to 2026-12-01T00:00:00Z --json")]
    Usage(UsageArgs),
    /// The burst credit balance and the credit ledger, newest entry first.
    #[command(
        after_help = "Examples:\n  edgecost account credits\n  edgecost account credits --limit 0\n  edgecost account credits --json"
    )]
    Credits {
        /// Ledger entries to show, newest first; 0 shows them all (`--json` prints the whole
        /// ledger as the API answers it).
        #[arg(long, value_name = "N", default_value_t = 20)]
        limit: usize,
    },
    /// The account's invoices, newest period first.
    #[command(after_help = "Examples:\n  edgecost account invoices\n  edgecost account invoices --limit 100 --json")]
    Invoices {
        /// Invoices to list, 1 to 100.
        #[arg(long, value_name = "N", default_value_t = edgecost_api::DEFAULT_INVOICE_PAGE,
              value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_INVOICE_PAGE)))]
        limit: u32,
        /// Continue after an earlier page: the cursor it ended with.
        #[arg(long, value_name = "CURSOR")]
        cursor: Option<String>,
    },
    /// One invoice: its period, each line with how it was worked out, the credit that paid
    /// part of it and what is due.
    #[command(after_help = "Examples:\n  edgecost account invoice INV-00003\n  edgecost account invoice 3\n  \
edgecost account invoice inv_0123456789abcdef0123 --json")]
    Invoice {
        /// The invoice's number (`INV-00003`, or `3`) or its id (`inv_...`).
        #[arg(value_name = "ID|NUMBER")]
        invoice: String,
    },
}

/// What one line of the usage table stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum By {
    /// One row per bucket with each meter's usage.
    Meter,
    /// One row per bucket and route.
    Route,
    /// One row per bucket and region.
    Region,
}

/// How long one row of the usage table is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Grain {
    /// One clock hour (UTC).
    Hour,
    /// One UTC day.
    Day,
}

#[derive(Args, Debug)]
pub struct UsageArgs {
    /// Start of the span: a day (2026-11-01, from 00:00 UTC), a month (2026-11) or an RFC 3339
    /// time. Default: the start of the current billing period.
    #[arg(long, value_name = "WHEN", value_parser = span_start)]
    pub from: Option<DateTime<Utc>>,
    /// End of the span: a day or a month, included whole (2026-11-30, 2026-11), or an RFC 3339
    /// time, excluded. Default: the end of the current billing period.
    #[arg(long, value_name = "WHEN", value_parser = span_end)]
    pub to: Option<DateTime<Utc>>,
    /// What each row stands for.
    #[arg(long, value_enum, default_value_t = By::Meter)]
    pub by: By,
    /// How long each row is.
    #[arg(long, value_enum, default_value_t = Grain::Day)]
    pub granularity: Grain,
}

/// `--from`: the first instant of a day, a month, or an RFC 3339 time.
fn span_start(text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Some(day) = day(text) {
        return Ok(day.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    if let Some(first) = month(text) {
        return Ok(first.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    instant(text)
}

/// `--to`: the first instant after a day or a month (so it is included whole), or an RFC 3339
/// time (excluded).
fn span_end(text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    let after = |date: Option<NaiveDate>| {
        date.map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc()).ok_or_else(|| format!("'{text}' is past the last date there is"))
    };
    if let Some(day) = day(text) {
        return after(day.succ_opt());
    }
    if let Some(first) = month(text) {
        return after(first.checked_add_months(Months::new(1)));
    }
    instant(text)
}

fn day(text: &str) -> Option<NaiveDate> {
    (text.len() == 10).then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()).flatten()
}

fn month(text: &str) -> Option<NaiveDate> {
    (text.len() == 7).then(|| NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").ok()).flatten()
}

fn instant(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("'{text}' is not a day (2026-11-30), a month (2026-11) or an RFC 3339 time (2026-11-30T12:00:00Z)"))
}

/// A client for the chosen server and token, and the server's address for messages.
struct Session {
    client: Client,
    server: String,
}

impl Session {
    fn open(c: &Connection) -> Result<Session, CliError> {
        let server = edgecost_client::base_url(&c.server).map_err(|e| CliError::input(format!("--server: {e}")))?;
        let token = token(c)?;
        let client = Client::new(&server, &token).map_err(|e| CliError::input(format!("--server: {e}")))?;
        Ok(Session { client, server })
    }

    /// A failed call as the command's failure, in one line: the network, the server or a
    /// refused token exit 1; a request the server refused as bad (a span too long) exits 2.
    fn failure(&self, e: ClientError) -> CliError {
        let server = &self.server;
        let message = match &e {
            ClientError::Network { detail, .. } => format!("could not reach the server at {server}: {detail}"),
            ClientError::Unauthorized { code, message } => {
                format!("the server at {server} refused the account token ({code}: {message}); check EDGECOST_TOKEN or --token-file")
            }
            ClientError::InvalidUrl { .. } => format!("--server: {e}"),
            _ => format!("{server}: {e}"),
        };
        // A proxy's error page may span lines; a message is one.
        let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
        match e {
            ClientError::InvalidUrl { .. } | ClientError::Rejected { .. } => CliError::input(message),
            ClientError::Network { .. }
            | ClientError::Unauthorized { .. }
            | ClientError::Server { .. }
            | ClientError::UnexpectedBody { .. } => CliError::Failed(anyhow::anyhow!(message)),
        }
    }
}

/// The account token: `--token-file`'s content, else `--token` or EDGECOST_TOKEN.
fn token(c: &Connection) -> Result<String, CliError> {
    if let Some(path) = &c.token_file {
        let text =
            std::fs::read_to_string(path).map_err(|e| CliError::input(format!("cannot read the token file {}: {e}", path.display())))?;
        let token = text.trim();
        if token.is_empty() {
            return Err(CliError::input(format!("the token file {} is empty", path.display())));
        }
        if token.contains(char::is_whitespace) {
            return Err(CliError::input(format!("the token file {} holds more than one token", path.display())));
        }
        return Ok(token.to_owned());
    }
    match c.token.as_deref().map(str::trim) {
        Some(token) if !token.is_empty() => Ok(token.to_owned()),
        _ => Err(CliError::input(NO_TOKEN)),
    }
}

fn json<T: Serialize>(value: &T) -> Result<(), CliError> {
    crate::emit(&serde_json::to_string_pretty(value).context("encoding JSON")?);
    Ok(())
}

pub fn account(args: &AccountArgs) -> Result<(), CliError> {
    let session = Session::open(&args.connection)?;
    let as_json = args.connection.json;
    crate::serve::runtime()?.block_on(async {
        let s = &session;
        let fail = |e| s.failure(e);
        match &args.command {
            AccountCommand::Bill => {
                if as_json {
                    return json(&s.client.bill().await.map_err(fail)?);
                }
                let (bill, book) = tokio::try_join!(s.client.bill(), s.client.price_book()).map_err(fail)?;
                crate::emit(&bill_text(&bill, &book));
            }
            AccountCommand::Usage(u) => {
                let (from, to) = match (u.from, u.to) {
                    (Some(from), Some(to)) => (from, to),
                    (from, to) => {
                        let period = s.client.account().await.map_err(fail)?.period;
                        (from.unwrap_or(period.start), to.unwrap_or(period.end))
                    }
                };
                if from >= to {
                    return Err(CliError::input(format!(
                        "the span is empty: --from ({}) must be before --to ({})",
                        instant_text(from),
                        instant_text(to)
                    )));
                }
                let query = UsageQuery {
                    from,
                    to,
                    granularity: match u.granularity {
                        Grain::Hour => Granularity::Hour,
                        Grain::Day => Granularity::Day,
                    },
                    group_by: match u.by {
                        By::Meter => UsageGrouping::Meter,
                        By::Route => UsageGrouping::Route,
                        By::Region => UsageGrouping::Region,
                    },
                };
                let series = s.client.usage(&query).await.map_err(fail)?;
                if as_json {
                    return json(&series);
                }
                crate::emit(&usage_text(&series));
            }
            AccountCommand::Credits { limit } => {
                if as_json {
                    return json(&s.client.credits().await.map_err(fail)?);
                }
                let (ledger, book) = tokio::try_join!(s.client.credits(), s.client.price_book()).map_err(fail)?;
                crate::emit(&credits_text(&ledger, *limit, &book.currency));
            }
            AccountCommand::Invoices { limit, cursor } => {
                let query = InvoiceQuery { cursor: cursor.clone(), limit: Some(*limit) };
                if as_json {
                    return json(&s.client.invoices(&query).await.map_err(fail)?);
                }
                let (page, book) = tokio::try_join!(s.client.invoices(&query), s.client.price_book()).map_err(fail)?;
                crate::emit(&invoices_text(&page, *limit, &book.currency));
            }
            AccountCommand::Invoice { invoice } => {
                let id = match invoice_wanted(invoice) {
                    Wanted::Id(id) => id,
                    Wanted::Number(wanted) => find_invoice(s, &wanted).await?.ok_or_else(|| {
                        CliError::input(format!("there is no invoice {wanted} on this account; `edgecost account invoices` lists them"))
                    })?,
                };
                let unknown = |e| match e {
                    ClientError::Rejected { status: 404, .. } => {
                        CliError::input(format!("there is no invoice {id} on this account; `edgecost account invoices` lists them"))
                    }
                    e => s.failure(e),
                };
                if as_json {
                    return json(&s.client.invoice(&id).await.map_err(unknown)?);
                }
                let (invoice, book) = tokio::join!(s.client.invoice(&id), s.client.price_book());
                let (invoice, book) = (invoice.map_err(unknown)?, book.map_err(fail)?);
                crate::emit(&invoice_text(&invoice, &book));
            }
        }
        Ok(())
    })
}

/// How an invoice was named on the command line.
#[derive(Debug, PartialEq, Eq)]
enum Wanted {
    /// Its id, `inv_...`.
    Id(String),
    /// Its number, as the account's invoices are numbered (`INV-00003`).
    Number(String),
}

/// `inv_...` is an id; `INV-00003`, `inv-3` or `3` name the number `INV-00003`.
fn invoice_wanted(text: &str) -> Wanted {
    let text = text.trim();
    if text.starts_with("inv_") {
        return Wanted::Id(text.to_owned());
    }
    let digits = text.get(..4).filter(|p| p.eq_ignore_ascii_case("INV-")).map_or(text, |_| &text[4..]);
    match digits.parse::<u32>() {
        Ok(n) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => Wanted::Number(format!("INV-{n:05}")),
        _ => Wanted::Number(text.to_ascii_uppercase()),
    }
}

/// The id of the invoice numbered `number`, read page by page from the invoice list.
async fn find_invoice(s: &Session, number: &str) -> Result<Option<String>, CliError> {
    let mut cursor = None;
    loop {
        let query = InvoiceQuery { cursor, limit: Some(MAX_INVOICE_PAGE) };
        let page = s.client.invoices(&query).await.map_err(|e| s.failure(e))?;
        if let Some(found) = page.invoices.iter().find(|i| i.number.eq_ignore_ascii_case(number)) {
            return Ok(Some(found.id.clone()));
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(None),
        }
    }
}

/// The pricing core's bill for the API's: the same fields (the API declares its own so that
/// its contract changes on purpose only), destructured whole so that a field added to either
/// fails to compile here until it is mapped.
fn pricing_bill(bill: &edgecost_api::Bill) -> edgecost_pricing::Bill {
    let edgecost_api::Bill { tier, currency, base_fee, base_fee_lines, lines, overage_total, credits_applied, total, capped, utilization } =
        bill.clone();
    edgecost_pricing::Bill {
        tier,
        currency,
        base_fee,
        base_fee_lines: base_fee_lines
            .into_iter()
            .map(|line| {
                let edgecost_api::BaseFeeLine { label, tier, days, period_days, amount, explanation } = line;
                edgecost_pricing::BaseFeeLine { label, tier, days, period_days, amount, explanation }
            })
            .collect(),
        lines: lines
            .into_iter()
            .map(|line| {
                let edgecost_api::BillLine { meter, unit, quantity, included, overage, rate, amount, capped, explanation } = line;
                let rate = rate.map(|edgecost_api::OverageRate { price, per }| edgecost_pricing::OverageRate { price, per });
                edgecost_pricing::BillLine { meter: meter.into(), unit, quantity, included, overage, rate, amount, capped, explanation }
            })
            .collect(),
        overage_total,
        credits_applied,
        total,
        capped,
        utilization: utilization
            .into_iter()
            .map(|(meter, u)| {
                let edgecost_api::Utilization { used, included, ratio, thresholds_crossed } = u;
                (meter.into(), edgecost_pricing::Utilization { used, included, ratio, thresholds_crossed })
            })
            .collect(),
    }
}

/// `2026-11-23 12:00 UTC`.
pub(crate) fn instant_text(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `Nov 1–Nov 30 2026` for a span of whole days `[start, end)`; `Nov 23 2026` for one day,
/// `Dec 1 2026–Jan 31 2027` across a year's end.
pub(crate) fn days_text(start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    let last = (end - TimeDelta::days(1)).max(start);
    if last.date_naive() == start.date_naive() {
        return start.format("%b %-d %Y").to_string();
    }
    let first = if start.year() == last.year() { start.format("%b %-d") } else { start.format("%b %-d %Y") };
    format!("{first}–{}", last.format("%b %-d %Y"))
}

fn period_text(p: &BillingPeriod) -> String {
    format!("{} (day {} of {}, {} left)", days_text(p.start, p.end), p.day, p.days, plural(u64::from(p.days_left), "day"))
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}

/// The bill to date and the projection: the heading, the bill as `edgecost bill` prints it,
/// then the projected bill's lines, its cost and its basis.
fn bill_text(b: &BillToDate, book: &PriceBook) -> String {
    let bill = pricing_bill(&b.bill);
    let projected = pricing_bill(&b.projected);
    let money = |amount: Decimal| money_in(amount, &bill.currency);
    let label = book.tier(&bill.tier).map_or(bill.tier.as_str(), Tier::display_name);
    let mut out = format!(
        "{label} tier, {}, {}\nBill to date as of {}\n\n{}",
        period_text(&b.period),
        bill.currency,
        instant_text(b.as_of),
        bill_body(&bill)
    );
    out.push_str(&format!("\nProjected at period end ({}):\n\n{}", days_text(b.period.start, b.period.end), bill_table(&projected)));
    out.push_str(&format!("\nProjected cost: {} (base fee + overage", money(b.projected_cost)));
    if projected.credits_applied.is_zero() {
        out.push_str(")\n");
    } else {
        out.push_str(&format!(
            "; burst credit pays {}, leaving {} to invoice)\n",
            money(projected.credits_applied),
            money(projected.total)
        ));
    }
    out.push_str(&format!("Basis: {}\n", b.basis.explanation));
    if b.basis.short_history {
        out.push_str("The usage covers less than a day: the projection is a rough guess.\n");
    }
    out
}

/// Quantities of the three meters, in their counters' units (requests, raw egress bytes,
/// compute milliseconds).
#[derive(Clone, Copy, Default)]
struct Counts([u64; 3]);

impl Counts {
    fn add(&mut self, other: Counts) {
        for (mine, theirs) in self.0.iter_mut().zip(other.0) {
            *mine = mine.saturating_add(theirs);
        }
    }

    /// Requests whole, egress in GB and compute in seconds, at the precision bills show.
    fn cells(self) -> [String; 3] {
        let [requests, egress_bytes, compute_ms] = self.0;
        [
            meter_quantity(Meter::Requests, Decimal::from(requests)),
            meter_quantity(Meter::Egress, Decimal::from(egress_bytes) / Decimal::from(BYTES_PER_GB)),
            meter_quantity(Meter::Compute, Decimal::from(compute_ms) / Decimal::from(1000u32)),
        ]
    }
}

fn meter_index(meter: edgecost_api::Meter) -> usize {
    match meter {
        edgecost_api::Meter::Requests => 0,
        edgecost_api::Meter::Egress => 1,
        edgecost_api::Meter::Compute => 2,
    }
}

/// The usage series as a table: one row per bucket (and route or region) with usage, then the
/// totals over the span.
fn usage_text(series: &UsageSeries) -> String {
    let keyed = series.group_by != UsageGrouping::Meter;
    let (key_header, all_keys) = match series.group_by {
        UsageGrouping::Route => ("Route", "all routes"),
        UsageGrouping::Region => ("Region", "all regions"),
        UsageGrouping::Meter => ("", ""),
    };
    let mut buckets: BTreeMap<(DateTime<Utc>, &str), Counts> = BTreeMap::new();
    let mut totals: BTreeMap<&str, Counts> = BTreeMap::new();
    let mut total = Counts::default();
    for line in &series.lines {
        let key = if keyed { line.key.as_str() } else { "" };
        let at = meter_index(line.meter);
        for point in &line.points {
            let mut one = Counts::default();
            one.0[at] = point.quantity;
            buckets.entry((point.start, key)).or_default().add(one);
            totals.entry(key).or_default().add(one);
            total.add(one);
        }
    }
    let (when_header, when_format) = match series.granularity {
        Granularity::Day => ("Day (UTC)", "%Y-%m-%d"),
        Granularity::Hour => ("Hour (UTC)", "%Y-%m-%d %H:00"),
    };
    let mut header = vec![(when_header, Align::Left)];
    if keyed {
        header.push((key_header, Align::Left));
    }
    header.extend([("Requests", Align::Right), ("Egress GB", Align::Right), ("Compute s", Align::Right)]);
    let mut t = Table::new(&header);
    let row = |first: String, key: &str, counts: Counts| {
        let mut cells = vec![first];
        if keyed {
            cells.push(key.to_owned());
        }
        cells.extend(counts.cells());
        cells
    };
    for ((at, key), counts) in &buckets {
        t.row(row(at.format(when_format).to_string(), key, *counts));
    }
    if keyed {
        for (key, counts) in &totals {
            t.row(row("Total".into(), key, *counts));
        }
    }
    t.row(row("Total".into(), all_keys, total));

    let grouping = match series.group_by {
        UsageGrouping::Meter => "meter",
        UsageGrouping::Route => "route",
        UsageGrouping::Region => "region",
    };
    let per = match series.granularity {
        Granularity::Day => "day",
        Granularity::Hour => "hour",
    };
    let midnight = |at: DateTime<Utc>| at.time() == chrono::NaiveTime::MIN;
    let span = if midnight(series.from) && midnight(series.to) {
        days_text(series.from, series.to)
    } else {
        format!("{} to {} (excluded)", instant_text(series.from), instant_text(series.to))
    };
    let mut out = format!("Usage by {grouping} per {per}, {span}\n\n{}", t.render());
    if buckets.is_empty() {
        out.push_str("\nNo usage in this span.\n");
    } else {
        out.push_str(&format!("\n{}s without usage are left out. ", capitalized(per)));
    }
    out.push_str("Egress is the bytes served, before the price book's region weights (the bill weighs them).\n");
    out
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

fn kind_text(kind: LedgerEntryKind) -> &'static str {
    match kind {
        LedgerEntryKind::Purchase => "purchase",
        LedgerEntryKind::Consumption => "consumption",
        LedgerEntryKind::Adjustment => "adjustment",
    }
}

/// The balance, then the newest `limit` ledger entries (all of them for 0), newest first.
fn credits_text(ledger: &CreditLedger, limit: usize, currency: &str) -> String {
    let mut out = format!("Burst credit balance: {}\n", money_in(ledger.balance, currency));
    if ledger.entries.is_empty() {
        out.push_str("\nNo burst credit has been bought yet.\n");
        return out;
    }
    let mut t = Table::new(&[
        ("#", Align::Right),
        ("When (UTC)", Align::Left),
        ("Kind", Align::Left),
        ("Amount", Align::Right),
        ("Balance", Align::Right),
        ("Note", Align::Left),
    ]);
    let shown = if limit == 0 { ledger.entries.len() } else { limit.min(ledger.entries.len()) };
    for e in ledger.entries.iter().rev().take(shown) {
        let kind = if e.auto_top_up_after.is_some() { "purchase (auto top-up)" } else { kind_text(e.kind) };
        t.row([
            e.sequence.to_string(),
            e.created_at.format("%Y-%m-%d %H:%M").to_string(),
            kind.to_owned(),
            signed_money_in(e.amount, currency),
            money_in(e.balance_after, currency),
            e.note.clone(),
        ]);
    }
    out.push('\n');
    out.push_str(&t.render());
    if shown < ledger.entries.len() {
        out.push_str(&format!("\nThe newest {shown} of {} entries; --limit 0 shows them all.\n", ledger.entries.len()));
    }
    out
}

/// Where an invoice stands: `due`, `partly paid ($20.00 of $40.46)`, `paid Dec 3 2026` or
/// `paid by credit`.
pub(crate) fn status_text(i: &InvoiceSummary, currency: &str) -> String {
    match i.status {
        InvoiceStatus::Due => "due".to_owned(),
        InvoiceStatus::PartlyPaid => format!("partly paid ({} of {})", money_in(i.amount_paid, currency), money_in(i.total, currency)),
        InvoiceStatus::Paid => i.paid_at.map_or_else(|| "paid".to_owned(), |at| format!("paid {}", at.format("%b %-d %Y"))),
        InvoiceStatus::PaidByCredit => "paid by credit".to_owned(),
    }
}

/// One page of invoices as a table, newest period first.
fn invoices_text(page: &InvoicePage, limit: u32, currency: &str) -> String {
    if page.invoices.is_empty() {
        return "No invoices yet: the first is issued when the first billing period closes.\n".to_owned();
    }
    let money = |amount: Decimal| money_in(amount, currency);
    let mut t = Table::new(&[
        ("Number", Align::Left),
        ("Period", Align::Left),
        ("Tier", Align::Left),
        ("Cost", Align::Right),
        ("Paid by credit", Align::Right),
        ("Due", Align::Right),
        ("Status", Align::Left),
        ("Id", Align::Left),
    ]);
    for i in &page.invoices {
        t.row([
            i.number.clone(),
            days_text(i.period_start, i.period_end),
            i.tier.clone(),
            money(i.cost),
            money(i.paid_by_credit),
            money(i.total),
            status_text(i, currency),
            i.id.clone(),
        ]);
    }
    let mut out = t.render();
    if let Some(cursor) = &page.next_cursor {
        out.push_str(&format!("\nMore invoices: edgecost account invoices --limit {limit} --cursor {cursor}\n"));
    }
    out
}

/// One invoice: its heading, its bill as `edgecost bill` prints it, the packs whose credit
/// paid part of it, and what is due.
fn invoice_text(i: &Invoice, book: &PriceBook) -> String {
    let bill = pricing_bill(&i.bill);
    let money = |amount: Decimal| money_in(amount, &bill.currency);
    let label = book.tier(&i.tier).map_or(i.tier.as_str(), Tier::display_name);
    let mut out = format!(
        "Invoice {} ({})\nPeriod {}, {} tier, {}\nIssued {}\n\n{}",
        i.number,
        i.id,
        days_text(i.period_start, i.period_end),
        label,
        bill.currency,
        instant_text(i.issued_at),
        bill_body(&bill)
    );
    if !i.credits.is_empty() {
        out.push_str("\nBurst credit by pack:\n");
        for c in &i.credits {
            out.push_str(&format!("  {} paid {}\n", c.pack_id, money(c.amount)));
        }
    }
    out.push_str(&format!(
        "\nCost {}, paid by credit {}, due {} ({})\n",
        money(i.cost),
        money(i.paid_by_credit),
        money(i.total),
        status_text(&i.summary(), &bill.currency)
    ));
    if !i.payments.is_empty() {
        out.push_str("\nPayments:\n");
        for p in &i.payments {
            out.push_str(&format!("  {} received {}: {}\n", p.reference, instant_text(p.received_at), money(p.amount)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_server_is_where_serve_listens_by_default() {
        let cli = <crate::Cli as clap::CommandFactory>::command();
        let serve = cli.find_subcommand("serve").unwrap();
        let listen = serve.get_arguments().find(|a| a.get_id() == "listen").unwrap();
        let default = listen.get_default_values()[0].to_str().unwrap();
        assert_eq!(DEFAULT_SERVER, format!("http://{default}"));
    }

    #[test]
    fn an_invoice_is_named_by_id_or_number() {
        assert_eq!(invoice_wanted("inv_0123"), Wanted::Id("inv_0123".into()));
        for text in ["INV-00003", "inv-3", "3", " 00003 "] {
            assert_eq!(invoice_wanted(text), Wanted::Number("INV-00003".into()), "{text}");
        }
        assert_eq!(invoice_wanted("inv-x"), Wanted::Number("INV-X".into()));
    }

    #[test]
    fn days_and_months_bound_the_span_whole() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(span_start("2026-11").unwrap(), at("2026-11-01T00:00:00Z"));
        assert_eq!(span_end("2026-11").unwrap(), at("2026-12-01T00:00:00Z"));
        assert_eq!(span_end("2026-12").unwrap(), at("2027-01-01T00:00:00Z"));
        assert_eq!(span_start("2026-11-23").unwrap(), at("2026-11-23T00:00:00Z"));
        assert_eq!(span_end("2026-11-30").unwrap(), at("2026-12-01T00:00:00Z"));
        assert_eq!(span_end("2026-11-30T12:00:00+01:00").unwrap(), at("2026-11-30T11:00:00Z"));
        assert!(span_start("2026-13").is_err());
        assert!(span_end("yesterday").unwrap_err().contains("RFC 3339"));
    }

    #[test]
    fn the_ledger_reads_newest_first_within_its_limit() {
        let entry = |sequence: u32, kind, amount: i64, balance: i64, note: &str| edgecost_api::LedgerEntry {
            id: format!("led_{sequence:024}"),
            sequence,
            kind,
            amount: Decimal::new(amount, 2),
            balance_after: Decimal::new(balance, 2),
            pack_id: None,
            paid_overage: None,
            note: note.to_owned(),
            auto_top_up_after: None,
            created_at: format!("2026-11-{:02}T10:00:00Z", 10 + sequence).parse().unwrap(),
        };
        let ledger = CreditLedger {
            balance: Decimal::new(1680, 2),
            entries: vec![
                entry(1, LedgerEntryKind::Purchase, 2500, 2500, "bought 1 pack"),
                entry(2, LedgerEntryKind::Consumption, -820, 1680, "paid overage $0.00 to $8.20 of this period"),
            ],
        };
        let text = credits_text(&ledger, 20, "EUR");
        assert!(text.starts_with("Burst credit balance: €16.80\n"), "{text}");
        let rows: Vec<&str> = text.lines().filter(|l| l.trim_start().starts_with(['1', '2'])).collect();
        assert!(rows[0].contains("consumption") && rows[0].contains("-€8.20") && rows[0].contains("€16.80"), "{text}");
        assert!(rows[1].contains("purchase") && rows[1].contains("+€25.00"), "{text}");
        let one = credits_text(&ledger, 1, "EUR");
        assert!(one.contains("The newest 1 of 2 entries; --limit 0 shows them all."), "{one}");
        assert!(!one.contains("bought 1 pack"), "{one}");
        assert!(credits_text(&CreditLedger { balance: Decimal::ZERO, entries: vec![] }, 20, "USD").contains("No burst credit"));
    }

    #[test]
    fn spans_of_days_read_as_dates() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(days_text(at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z")), "Nov 1–Nov 30 2026");
        assert_eq!(days_text(at("2026-11-23T00:00:00Z"), at("2026-11-24T00:00:00Z")), "Nov 23 2026");
        assert_eq!(days_text(at("2026-12-01T00:00:00Z"), at("2027-02-01T00:00:00Z")), "Dec 1 2026–Jan 31 2027");
    }
}
