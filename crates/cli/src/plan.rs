//! `edgecost estimate` and `edgecost plan from-usage` (`edgecost diff` is in `plan_diff`): the planner on the
//! command line, for people and for CI cost checks.

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Datelike, NaiveDate};
use clap::{Args, Subcommand};
use edgecost_planner::{Estimate, EstimateOptions, Estimator, Plan, Uncertainty, plan_from_usage, read_usage_for};
use edgecost_pricing::format::{meter_quantity, money_in};
use edgecost_pricing::{Decimal, Meter, PriceBook};

use crate::price::BookArg;
use crate::table::{Align, Table};
use crate::{CliError, args};

#[derive(Args, Debug)]
pub struct EstimateArgs {
    /// The plan file (YAML or JSON).
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    /// Price the plan on this tier instead of the one it names.
    #[arg(long, value_name = "NAME")]
    pub tier: Option<String>,
    #[command(flatten)]
    pub book: BookArg,
    /// Burst credit balance already held, in the book's currency.
    #[arg(long, value_name = "USD", value_parser = args::money, default_value = "0")]
    pub credits: Decimal,
    /// First day of the billing period (YYYY-MM-DD); the first of this month (UTC) by default.
    #[arg(long, value_name = "DATE")]
    pub period_start: Option<NaiveDate>,
    /// Days in the billing period, for threshold days and credit run-out.
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub period_days: u32,
    /// Monte Carlo samples for the P50/P90 bill (at most 10,000; 0 skips it).
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub samples: u32,
    /// Seed of the simulation; the same seed gives the same P50/P90.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
    /// Print the estimate as one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct PlanArgs {
    #[command(subcommand)]
    pub command: PlanCommand,
}

#[derive(Subcommand, Debug)]
pub enum PlanCommand {
    /// Build a plan from measured usage: a JSON-lines export of per-route, per-region windows.
    FromUsage(FromUsageArgs),
    /// Print the JSON Schema of the plan format.
    Schema,
}

#[derive(Args, Debug)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["file", "server"]))]
pub struct FromUsageArgs {
    /// The usage export (JSON lines: route, region, window_start, window_seconds, requests,
    /// compute_ms, egress_bytes).
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Read the measured usage from an engine's account API instead (the newest
    /// 1,000,000 records of the usage log).
    #[arg(long, value_name = "URL", requires = "token")]
    pub server: Option<String>,
    /// The account token for `--server`.
    #[arg(long, value_name = "TOKEN", env = "EDGECOST_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Write the plan here instead of to standard output. An existing file is kept unless
    /// `--force` is given; the usage file itself is never overwritten.
    #[arg(short, long, value_name = "PLAN")]
    pub output: Option<PathBuf>,
    /// Replace the `--output` file when it exists.
    #[arg(long, requires = "output")]
    pub force: bool,
    /// The plan's tier; the cheapest tier for the measured usage by default.
    #[arg(long, value_name = "NAME")]
    pub tier: Option<String>,
    #[command(flatten)]
    pub book: BookArg,
}

/// Reads and prices a plan file; every refusal, a month past a bound included, names the
/// file, line and column.
pub(crate) fn load_plan(path: &Path, book: &PriceBook) -> Result<Estimator, CliError> {
    Estimator::load(path, book).map_err(CliError::input)
}

pub(crate) fn estimate_plan(estimator: &Estimator, options: &EstimateOptions) -> Result<Estimate, CliError> {
    estimator.estimate(options).map_err(CliError::input)
}

pub(crate) fn first_of_this_month() -> NaiveDate {
    let seconds = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let today = DateTime::from_timestamp(seconds, 0).unwrap_or_default().date_naive();
    today.with_day(1).unwrap_or(today)
}

pub fn estimate(a: &EstimateArgs) -> Result<(), CliError> {
    let book = a.book.load()?;
    let mut estimator = load_plan(&a.plan, &book)?;
    if let Some(tier) = &a.tier {
        estimator.set_tier(tier).map_err(CliError::input)?;
    }
    let options = EstimateOptions {
        credit_balance: a.credits,
        period_start: a.period_start.unwrap_or_else(first_of_this_month),
        period_days: a.period_days,
        uncertainty: (a.samples > 0).then(|| Uncertainty { samples: a.samples, seed: a.seed, ..Uncertainty::default() }),
        months: 12,
    };
    let e = estimate_plan(&estimator, &options)?;
    if a.json {
        let mut value = serde_json::to_value(&e).context("encoding the estimate")?;
        value["plan"] = a.plan.display().to_string().into();
        value["recommendation"] = serde_json::to_value(&e.comparison.recommendation).context("encoding")?;
        value["period_start"] = options.period_start.to_string().into();
        value["period_days"] = options.period_days.into();
        crate::emit(&serde_json::to_string_pretty(&value).context("encoding the estimate")?);
    } else {
        crate::emit(&estimate_text(&a.plan, &e, &options, &book));
    }
    Ok(())
}

fn estimate_text(path: &Path, e: &Estimate, options: &EstimateOptions, book: &PriceBook) -> String {
    let money = |amount: Decimal| money_in(amount, &book.currency);
    let mut out = format!("Plan {} on {}, {} a month\n\n", path.display(), e.tier, e.bill.currency);
    if let Some(cap) = &e.cap {
        out.push_str(&format!("{}\n\n", cap.headline(options.period_days, book, &e.tier)));
    }

    let mut meters = Table::new(&[
        ("Meter", Align::Left),
        ("Usage", Align::Right),
        ("Included", Align::Right),
        ("Overage", Align::Right),
        ("Amount", Align::Right),
    ]);
    for base in &e.bill.base_fee_lines {
        meters.row([base.label.to_string(), String::new(), String::new(), String::new(), money(base.amount)]);
    }
    for line in &e.bill.lines {
        meters.row(crate::price::meter_row(line, &book.currency));
    }
    for (label, amount) in crate::price::total_rows(&e.bill) {
        meters.row([label, String::new(), String::new(), String::new(), amount]);
    }
    out.push_str(&meters.render());
    out.push_str(&format!(
        "\nEgress served {} GB; billable after region weights {} GB.\n",
        meter_quantity(Meter::Egress, e.usage.egress_bytes / Decimal::from(edgecost_pricing::BYTES_PER_GB)),
        meter_quantity(Meter::Egress, e.usage.billable_egress_gb)
    ));

    out.push_str("\nCost by route (each overage line split by the route's share of that meter)\n");
    out.push_str(&shares_table("Route", &e.routes, &book.currency));
    if !e.regions.is_empty() {
        out.push_str("\nCost by region\n");
        out.push_str(&shares_table("Region", &e.regions, &book.currency));
    }

    out.push_str(&format!("\nQuotas over a {}-day period from {}\n", options.period_days, options.period_start));
    let mut quotas = Table::new(&[("Meter", Align::Left), ("Included", Align::Right), ("80%", Align::Right), ("100%", Align::Right)]);
    for meter in Meter::ALL {
        let days: Vec<_> = e.thresholds.iter().filter(|t| t.meter == meter).collect();
        let Some(first) = days.first() else { continue };
        let at = |p: u32| {
            days.iter()
                .find(|t| t.percent == p)
                .and_then(|t| t.day)
                .and_then(|d| options.period_start.checked_add_days(chrono::Days::new(u64::from(d - 1))).map(|date| (d, date)))
                .map_or("not reached".to_owned(), |(d, date)| format!("day {d} ({date})"))
        };
        let included = match meter {
            Meter::Requests => meter_quantity(meter, first.included),
            _ => format!("{} {}", meter_quantity(meter, first.included), meter.unit()),
        };
        quotas.row([meter.label().to_owned(), included, at(80), at(100)]);
    }
    out.push_str(&quotas.render());

    out.push_str("\nEvery tier\n");
    let mut tiers = Table::new(&[("Tier", Align::Left), ("Cost this month", Align::Right), ("Note", Align::Left)]);
    for o in &e.comparison.options {
        let cost = if o.caps_usage { "-".to_owned() } else { money(o.monthly_cost) };
        tiers.row([o.tier.clone(), cost, crate::price::tier_note(&e.comparison, o, Some(&e.tier), "this plan")]);
    }
    for name in &e.comparison.negotiated {
        tiers.row([name.clone(), "negotiated".into(), String::new()]);
    }
    out.push_str(&tiers.render());
    match &e.comparison.recommendation {
        Some(r) => out.push_str(&format!("\nRecommendation: {}\n", r.summary)),
        None => out.push_str("\nNo tier in this price book carries this usage without capping it.\n"),
    }
    out.push_str(&format!("{}\n", e.comparison.ranking));

    if let (Some(first), Some(last)) = (e.months.first(), e.months.last()) {
        let growth = if first.usage == last.usage { "flat traffic".to_owned() } else { "the plan's growth".to_owned() };
        out.push_str(&format!("\nNext {} months with {growth}\n", e.months.len()));
        let mut t = Table::new(&[
            ("Month", Align::Right),
            ("Requests", Align::Right),
            ("Billable GB", Align::Right),
            ("Bill", Align::Right),
            ("Cheapest option", Align::Left),
        ]);
        for m in &e.months {
            let bill = if m.capped { format!("{} capped", money(m.total)) } else { money(m.total) };
            let cheapest = m.cheapest.as_ref().map_or("-".to_owned(), |r| format!("{}, {}", r.tier, money(r.monthly_cost)));
            t.row([
                m.month.to_string(),
                meter_quantity(Meter::Requests, m.usage.requests),
                meter_quantity(Meter::Egress, m.usage.billable_egress_gb),
                bill,
                cheapest,
            ]);
        }
        out.push_str(&t.render());
        out.push('\n');
    }

    let c = &e.credits;
    if !c.overage_total.is_zero() {
        let runway = match (c.runs_out_day, c.runs_out_on) {
            (Some(d), Some(date)) if c.credit_balance.is_zero() => format!("overage starts on day {d} ({date})"),
            (Some(d), Some(date)) => format!("a balance of {} runs out on day {d} ({date})", money(c.credit_balance)),
            _ => format!("a balance of {} lasts the whole period", money(c.credit_balance)),
        };
        let prepay = if c.packs_needed > 0 {
            format!(
                "; {} pack{} ({}{}) would prepay the rest, leaving {} of credit for the next period (a prepayment, not a saving)",
                edgecost_pricing::format::quantity(c.packs_needed.into()),
                if c.packs_needed == 1 { "" } else { "s" },
                money(c.packs_cost),
                edgecost_pricing::purchases_note(c.packs_needed),
                money(c.credit_left),
            )
        } else {
            format!("; {} of credit is left for the next period", money(c.credit_left))
        };
        out.push_str(&format!("Credits: {} of overage this month; {runway}{prepay}.\n", money(c.overage_total)));
    }
    if let Some(r) = &e.range {
        out.push_str(&format!(
            "Uncertain traffic: P50 {}, P90 {} ({} samples, seed {}).\n",
            money(r.p50),
            money(r.p90),
            r.samples,
            options.uncertainty.as_ref().map_or(0, |u| u.seed)
        ));
    }
    out
}

fn shares_table(what: &str, shares: &[edgecost_planner::CostShare], currency: &str) -> String {
    let money = |amount: Decimal| money_in(amount, currency);
    let mut t = Table::new(&[
        (what, Align::Left),
        ("Requests", Align::Right),
        ("Share", Align::Right),
        ("Compute s", Align::Right),
        ("Billable GB", Align::Right),
        ("Cost", Align::Right),
    ]);
    // Whole percents of the plan's requests that add up to 100.
    let requests: Vec<Decimal> = shares.iter().map(|s| s.usage.requests).collect();
    let percents = edgecost_pricing::shares::percentages(&requests).unwrap_or_default();
    for (i, s) in shares.iter().enumerate() {
        t.row([
            s.name.clone(),
            meter_quantity(Meter::Requests, s.usage.requests),
            percents.get(i).map_or_else(|| "-".to_owned(), |p| format!("{p}%")),
            meter_quantity(Meter::Compute, s.usage.compute_seconds),
            meter_quantity(Meter::Egress, s.usage.billable_egress_gb),
            money(s.cost),
        ]);
    }
    t.render()
}

pub fn plan(a: &PlanArgs) -> Result<(), CliError> {
    match &a.command {
        PlanCommand::FromUsage(f) => from_usage(f),
        PlanCommand::Schema => {
            crate::emit(&serde_json::to_string_pretty(&Plan::json_schema()).context("encoding the schema")?);
            Ok(())
        }
    }
}

/// Usage records read from the account API calibrate a plan too: at most this many, newest first.
const ACCOUNT_USAGE_RECORDS_MAX: usize = 1_000_000;

/// The measured usage as JSON lines, and where it came from (for messages and the plan's header).
fn usage_text(a: &FromUsageArgs) -> Result<(String, String), CliError> {
    if let (Some(server), Some(token)) = (&a.server, &a.token) {
        let client = edgecost_client::Client::new(server, token).map_err(CliError::input)?;
        let records =
            crate::serve::runtime()?.block_on(client.usage_log_recent(ACCOUNT_USAGE_RECORDS_MAX)).map_err(|e| match e.status() {
                Some(_) => CliError::input(format!("{server}: {e}")),
                None => CliError::Failed(anyhow::anyhow!("{server}: {e}")),
            })?;
        // The export format is the usage log's record shape, so each record is one line.
        let mut text = String::new();
        for r in &records {
            text.push_str(&serde_json::to_string(r).context("encoding a usage record")?);
            text.push('\n');
        }
        return Ok((text, format!("{server} (account usage log)")));
    }
    let path = a.file.as_ref().ok_or_else(|| CliError::input("give a usage file or --server"))?;
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| CliError::input(format!("cannot read {file}: {e}")))?;
    Ok((text, file))
}

fn from_usage(a: &FromUsageArgs) -> Result<(), CliError> {
    let book = a.book.load()?;
    let (text, file) = usage_text(a)?;
    let records = read_usage_for(&text, &file, &book).map_err(CliError::input)?;
    let first_tier = a.tier.clone().unwrap_or_else(|| "production".to_owned());
    let mut plan = plan_from_usage(&records, &first_tier, &book).map_err(CliError::input)?;
    if a.tier.is_none() {
        let estimator = Estimator::new(plan.clone(), &book).map_err(CliError::input)?;
        if let Some(r) = estimator.comparison(Decimal::ZERO).map_err(CliError::input)?.recommendation {
            plan.tier = r.tier;
        }
    }
    let yaml = format!(
        "# Built by `edgecost plan from-usage` from {file}: {} record{}, {} route{}.\n{}",
        records.len(),
        if records.len() == 1 { "" } else { "s" },
        plan.routes.len(),
        if plan.routes.len() == 1 { "" } else { "s" },
        plan.to_yaml()
    );
    match &a.output {
        Some(path) => {
            let inputs: Vec<&Path> = a.file.iter().map(PathBuf::as_path).collect();
            write_output(path, &yaml, a.force, &inputs)?;
            eprintln!("wrote {} ({} routes, tier {})", path.display(), plan.routes.len(), plan.tier);
        }
        None => crate::emit(&yaml),
    }
    Ok(())
}

/// Writes a command's output file without ever losing what was there: an existing file is
/// refused unless `force` (exit code 2, naming the file), a file the command reads (`inputs`,
/// compared by canonical path, so `./u.jsonl`, a symlink or a hard-to-spot `../` all count) is
/// always refused, and the text goes to a temporary file in the same folder that is then
/// renamed over the target, so a crash leaves either the old file or the whole new one.
pub(crate) fn write_output(path: &Path, text: &str, force: bool, inputs: &[&Path]) -> Result<(), CliError> {
    let shown = path.display();
    let target = canonical_target(path).map_err(|e| CliError::input(format!("cannot write {shown}: {e}")))?;
    for input in inputs {
        if std::fs::canonicalize(input).is_ok_and(|i| i == target) {
            return Err(CliError::input(format!("{shown} is the file being read ({}); write the output to another file", input.display())));
        }
    }
    if !force && std::fs::symlink_metadata(path).is_ok() {
        return Err(CliError::input(format!("{shown} already exists; pass --force to replace it")));
    }
    let folder = target.parent().ok_or_else(|| CliError::input(format!("cannot write {shown}: it has no folder")))?;
    let temporary = write_temporary(folder, &target, text).with_context(|| format!("writing {shown}"))?;
    // Replacing keeps the old file's permissions; a new file gets the usual ones.
    if let Ok(old) = std::fs::metadata(&target) {
        let _ = std::fs::set_permissions(&temporary, old.permissions());
    }
    let placed = if force {
        std::fs::rename(&temporary, &target)
    } else {
        // A hard link never replaces a file, so one created since the check above is kept too.
        match std::fs::hard_link(&temporary, &target) {
            Ok(()) => {
                let _ = std::fs::remove_file(&temporary);
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(e),
            // A file system without hard links: the check above is the guard.
            Err(_) => std::fs::rename(&temporary, &target),
        }
    };
    if let Err(e) = placed {
        let _ = std::fs::remove_file(&temporary);
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            return Err(CliError::input(format!("{shown} already exists; pass --force to replace it")));
        }
        return Err(CliError::Failed(anyhow::anyhow!("writing {shown}: {e}")));
    }
    Ok(())
}

/// The canonical path `path` names: itself when it exists (following symlinks), otherwise its
/// canonical folder joined with its file name.
fn canonical_target(path: &Path) -> std::io::Result<PathBuf> {
    if let Ok(existing) = std::fs::canonicalize(path) {
        return Ok(existing);
    }
    let name = path.file_name().ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"))?;
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Ok(std::fs::canonicalize(folder)?.join(name))
}

/// Writes `text` to a new, uniquely named file beside `target` and flushes it to disk.
fn write_temporary(folder: &Path, target: &Path, text: &str) -> std::io::Result<PathBuf> {
    use std::io::Write;
    let name = target.file_name().map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    // A bounded number of names: the pid and a counter make a clash unlikely already.
    for attempt in 0..100u32 {
        let temporary = folder.join(format!(".{name}.{}.{attempt}.tmp", std::process::id()));
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&temporary) {
            Ok(mut file) => {
                let written = file.write_all(text.as_bytes()).and_then(|()| file.sync_all());
                if let Err(e) = written {
                    let _ = std::fs::remove_file(&temporary);
                    return Err(e);
                }
                return Ok(temporary);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, "no free temporary file name"))
}
