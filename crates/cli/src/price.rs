//! `edgecost tiers`, `edgecost bill` and `edgecost compare`: the pricing core on the command line.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use edgecost_pricing::format::{included_text, meter_quantity, money_in, overage_text_in, percent};
use edgecost_pricing::{
    BYTES_PER_GB, Bill, BillLine, Comparison, Decimal, Meter, PriceBook, RateOptions, THRESHOLDS_PERCENT, Tier, TierOption, Usage,
    Utilization, shares,
};

use crate::table::{Align, Table};
use crate::{CliError, args};

/// Where the price book comes from.
#[derive(Args, Debug, Clone)]
pub struct BookArg {
    /// A price book file (YAML or JSON); the published tiers when left out.
    #[arg(long, value_name = "FILE")]
    pub price_book: Option<PathBuf>,
}

impl BookArg {
    /// Loads the chosen book; a malformed file is bad input (exit code 2).
    pub fn load(&self) -> Result<PriceBook, CliError> {
        match &self.price_book {
            Some(path) => PriceBook::load(path).map_err(CliError::input),
            None => Ok(PriceBook::published().clone()),
        }
    }
}

/// A period's usage totals, as flags.
#[derive(Args, Debug, Clone)]
pub struct UsageArgs {
    /// Requests in the month, whole (350000, 350,000, 350k, 1.2M); at most 10^18. A comma,
    /// underscore or space only groups thousands (350,000); decimals take a point.
    #[arg(long, value_name = "N", value_parser = args::requests)]
    pub requests: Decimal,
    /// Billable egress in GB (10^9 bytes), such as 60 or 51.5 (a decimal point, never a comma);
    /// at most 10^15.
    #[arg(long, value_name = "GB", value_parser = args::egress_gb)]
    pub egress_gb: Decimal,
    /// Compute seconds in the month; at most 10^15.
    #[arg(long, value_name = "S", value_parser = args::compute_seconds, default_value = "0")]
    pub compute_seconds: Decimal,
    /// Burst credit balance available to pay overage, in the book's currency, in whole cents
    /// (25, 25.50, 1,250.50).
    #[arg(long, value_name = "USD", value_parser = args::money, default_value = "0")]
    pub credits: Decimal,
}

impl UsageArgs {
    fn usage(&self) -> Result<Usage, CliError> {
        let egress_bytes =
            self.egress_gb.checked_mul(Decimal::from(BYTES_PER_GB)).ok_or_else(|| CliError::input("--egress-gb is too large"))?;
        Ok(Usage { requests: self.requests, egress_bytes, compute_seconds: self.compute_seconds })
    }
}

#[derive(Args, Debug)]
pub struct TiersArgs {
    #[command(flatten)]
    pub book: BookArg,
    /// Print the whole price book as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct BillArgs {
    /// The tier to rate on.
    #[arg(long, value_name = "NAME")]
    pub tier: String,
    #[command(flatten)]
    pub usage: UsageArgs,
    #[command(flatten)]
    pub book: BookArg,
    /// Print the bill as one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct CompareArgs {
    #[command(flatten)]
    pub usage: UsageArgs,
    /// The tier the account is on now, so the advice reads "stay" or "move".
    #[arg(long, value_name = "NAME")]
    pub tier: Option<String>,
    #[command(flatten)]
    pub book: BookArg,
    /// Print every tier's bill and the recommendation as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn tiers(args: &TiersArgs) -> Result<(), CliError> {
    let book = args.book.load()?;
    if args.json {
        crate::emit(&book.to_json());
        return Ok(());
    }
    crate::emit(&tiers_table(&book));
    Ok(())
}

fn tiers_table(book: &PriceBook) -> String {
    let money = |amount: Decimal| money_in(amount, &book.currency);
    let mut t = Table::new(&[
        ("Tier", Align::Left),
        ("Base fee", Align::Right),
        ("Requests incl.", Align::Right),
        ("Egress incl.", Align::Right),
        ("Requests overage", Align::Left),
        ("Egress overage", Align::Left),
        ("Burst packs", Align::Left),
    ]);
    let mut negotiated = String::new();
    for tier in &book.tiers {
        if !tier.is_rateable() {
            let features =
                if tier.features.is_empty() { String::new() } else { format!(", with {}", tier.features.join(", ").replace('_', " ")) };
            negotiated.push_str(&format!("{}: negotiated rates per account{features}.\n", tier.name));
            continue;
        }
        t.row([
            tier.name.clone(),
            money(tier.base_fee.unwrap_or_default()),
            included_text(tier, Meter::Requests),
            included_text(tier, Meter::Egress),
            overage_text_in(tier, Meter::Requests, &book.currency),
            overage_text_in(tier, Meter::Egress, &book.currency),
            if tier.credit_packs { "yes".into() } else { "no".into() },
        ]);
    }
    let weights: Vec<String> = book.regions.iter().map(|(region, w)| format!("{region} x{}", w.0.normalize())).collect();
    format!(
        "{}{negotiated}\nBurst credit pack: {} buys {} of overage credit, on tiers marked yes.\nEgress region weights: {}\n",
        t.render(),
        money(book.credit_pack.price),
        money(book.credit_pack.credit),
        weights.join(", ")
    )
}

pub fn bill(args: &BillArgs) -> Result<(), CliError> {
    let book = args.book.load()?;
    let usage = args.usage.usage()?;
    let options = RateOptions { credit_balance: args.usage.credits, ..RateOptions::default() };
    let bill = book.rate(&args.tier, &usage, &options).map_err(CliError::input)?;
    if args.json {
        crate::emit(&serde_json::to_string_pretty(&bill).context("encoding the bill")?);
    } else {
        crate::emit(&bill_text(&book, &bill));
    }
    Ok(())
}

fn bill_text(book: &PriceBook, bill: &Bill) -> String {
    let label = book.tier(&bill.tier).map_or(bill.tier.as_str(), Tier::display_name);
    format!("{label} tier, {} a month\n\n{}", bill.currency, bill_body(bill))
}

/// A bill's table of lines and totals, then how each line was worked out, the quotas reached
/// and whether usage was capped: what `edgecost bill` prints under its heading, and
/// `edgecost account bill` and `account invoice` under theirs.
pub(crate) fn bill_body(bill: &Bill) -> String {
    let money = |amount: Decimal| money_in(amount, &bill.currency);
    let mut out = bill_table(bill);
    out.push_str("\nHow each line was worked out (exact quantities):\n");
    for base in &bill.base_fee_lines {
        out.push_str(&format!("  {}\n", base.explanation));
    }
    for line in &bill.lines {
        out.push_str(&format!("  {}: {}\n", line.meter.label(), line.explanation));
    }
    if !bill.credits_applied.is_zero() {
        out.push_str(&format!("  Burst credit pays {} of the overage\n", money(bill.credits_applied)));
    }
    let notes: Vec<String> = bill
        .utilization
        .iter()
        .filter(|(_, u)| !u.thresholds_crossed.is_empty())
        .map(|(m, u)| format!("{} at {} of its quota", m.label(), quota_percent(u)))
        .collect();
    if !notes.is_empty() {
        out.push_str(&format!("\nUtilization: {}.\n", notes.join("; ")));
    }
    if bill.capped {
        // Name the meters capped: egress past its quota is refused as well as requests.
        let capped: Vec<String> = bill.lines.iter().filter(|l| l.capped).map(|l| l.meter.label().to_lowercase()).collect();
        out.push_str(&format!("Usage past a quota is capped on this tier and never billed. Capped: {}.\n", capped.join(" and ")));
    }
    out
}

/// A bill's lines (base fees, then one row per meter) and its total rows, as a table.
pub(crate) fn bill_table(bill: &Bill) -> String {
    let money = |amount: Decimal| money_in(amount, &bill.currency);
    let mut t = Table::new(&[
        ("Line", Align::Left),
        ("Used", Align::Right),
        ("Included", Align::Right),
        ("Overage", Align::Right),
        ("Amount", Align::Right),
    ]);
    for base in &bill.base_fee_lines {
        t.row([base.label.to_string(), String::new(), String::new(), String::new(), money(base.amount)]);
    }
    for line in &bill.lines {
        t.row(meter_row(line, &bill.currency));
    }
    for (label, amount) in total_rows(bill) {
        t.row([label, String::new(), String::new(), String::new(), amount]);
    }
    t.render()
}

/// One meter's row of a bill table, its quantities at the precision a person reads and its
/// amount in `currency`.
pub(crate) fn meter_row(line: &BillLine, currency: &str) -> [String; 5] {
    let unit = |q: Decimal| match line.meter {
        Meter::Requests => meter_quantity(line.meter, q),
        _ => format!("{} {}", meter_quantity(line.meter, q), line.unit),
    };
    let overage = if line.capped {
        format!("{} capped", unit(line.overage))
    } else if line.overage.is_zero() {
        "-".into()
    } else {
        unit(line.overage)
    };
    [
        line.meter.label().to_owned(),
        unit(line.quantity),
        line.included.map_or("unlimited".into(), unit),
        overage,
        money_in(line.amount, currency),
    ]
}

/// The rows under a bill's lines: the total, or with credit the month's cost, what credit
/// pays and what is left to invoice.
pub(crate) fn total_rows(bill: &Bill) -> Vec<(String, String)> {
    let money = |amount: Decimal| money_in(amount, &bill.currency);
    if bill.credits_applied.is_zero() {
        return vec![("Total".into(), money(bill.total))];
    }
    let cost = bill.base_fee.checked_add(bill.overage_total).map_or_else(|| "-".to_owned(), money);
    vec![
        ("Cost of the month".into(), cost),
        ("Burst credit pays".into(), money(-bill.credits_applied)),
        ("Total to invoice".into(), money(bill.total)),
    ]
}

/// Used / included in whole percent, rounded half away from zero, except that a threshold not
/// yet reached is never shown as reached (99.6% reads "just under 100%", not "100%").
fn quota_percent(u: &Utilization) -> String {
    let Some(exact) = shares::percent(u.used, u.included, 0) else { return "-".into() };
    let next = THRESHOLDS_PERCENT.iter().find(|t| !u.thresholds_crossed.contains(t));
    match next {
        Some(t) if exact >= Decimal::from(*t) => format!("just under {t}%"),
        _ => percent(exact, 0),
    }
}

pub fn compare(args: &CompareArgs) -> Result<(), CliError> {
    let book = args.book.load()?;
    let usage = args.usage.usage()?;
    let comparison = book.compare(&usage, args.usage.credits, args.tier.as_deref()).map_err(CliError::input)?;
    if args.json {
        crate::emit(&serde_json::to_string_pretty(&comparison).context("encoding the comparison")?);
    } else {
        crate::emit(&compare_text(&comparison, args.tier.as_deref(), args.usage.credits, &book.currency));
    }
    Ok(())
}

/// The note of a tier's row in a comparison table: `marker` on the `marked` tier (the account's
/// current tier, or a plan's own), then whether the tier caps this usage and whether it is the
/// cheapest the comparison recommends.
pub(crate) fn tier_note(c: &Comparison, o: &TierOption, marked: Option<&str>, marker: &str) -> String {
    let notes = [
        (marked == Some(o.tier.as_str()), marker),
        (o.caps_usage, "caps this usage"),
        (c.recommendation.as_ref().is_some_and(|r| r.tier == o.tier), "cheapest"),
    ];
    notes.iter().filter(|(on, _)| *on).map(|(_, note)| *note).collect::<Vec<_>>().join(", ")
}

fn compare_text(c: &Comparison, current: Option<&str>, credits: Decimal, currency: &str) -> String {
    let money = |amount: Decimal| money_in(amount, currency);
    let with_credit = credits > Decimal::ZERO;
    let mut header = vec![("Tier", Align::Left), ("Base fee", Align::Right), ("Overage", Align::Right), ("Cost this month", Align::Right)];
    if with_credit {
        header.extend([("Credit pays", Align::Right), ("To invoice", Align::Right)]);
    }
    header.push(("Note", Align::Left));
    let mut t = Table::new(&header);
    let header_len = header.len();
    for o in &c.options {
        let note = tier_note(c, o, current, "current");
        let mut row = vec![o.tier.clone(), money(o.bill.base_fee)];
        if o.caps_usage {
            row.extend(["-".to_owned(), "-".to_owned()]);
            if with_credit {
                row.extend(["-".to_owned(), "-".to_owned()]);
            }
        } else {
            row.extend([money(o.bill.overage_total), money(o.monthly_cost)]);
            if with_credit {
                row.extend([money(-o.credit_pays), money(o.bill.total)]);
            }
        }
        row.push(note);
        t.row(row);
    }
    for name in &c.negotiated {
        let mut row = vec![name.clone(), "negotiated".into()];
        row.resize(header_len - 1, String::new());
        row.push("contact sales".into());
        t.row(row);
    }
    let advice = match &c.recommendation {
        Some(r) => format!("\nRecommendation: {}\n", r.summary),
        None => "\nNo tier in this price book can carry this usage without capping it.\n".to_owned(),
    };
    format!("{}{advice}\n{}\n", t.render(), c.ranking)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_table_lists_every_published_tier() {
        let text = tiers_table(PriceBook::published());
        for needle in ["sandbox", "production", "$19.00", "$0.40 / 10,000", "$0.05 / GB", "negotiated", "capped"] {
            assert!(text.contains(needle), "{needle} missing from\n{text}");
        }
    }

    #[test]
    fn tiers_table_writes_the_books_currency() {
        let mut book = PriceBook::published().clone();
        book.currency = "EUR".into();
        let text = tiers_table(&book);
        for needle in ["€19.00", "€0.40 / 10,000", "€0.05 / GB", "€25.00 buys €25.00"] {
            assert!(text.contains(needle), "{needle} missing from\n{text}");
        }
        assert!(!text.contains('$'), "{text}");
    }
}
