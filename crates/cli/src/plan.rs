//! `edgecost estimate`, `edgecost diff` and `edgecost plan from-usage`: the planner on the
//! command line, for people and for CI cost checks.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Datelike, NaiveDate};
use clap::{Args, Subcommand};
use edgecost_planner::{Change, Estimate, EstimateOptions, Estimator, Plan, PlanDiff, Uncertainty, plan_from_usage, read_usage};
use edgecost_pricing::format::{meter_quantity, money};
use edgecost_pricing::{Decimal, Meter, PriceBook};

use crate::price::BookArg;
use crate::review::{self, Review, signed_money};
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

/// How `edgecost diff` prints the change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// Aligned tables for a terminal.
    Text,
    /// A pull-request comment: totals, a table of changed routes, tier, recommendation, verdict.
    Markdown,
    /// GitHub Actions annotations (`::notice`, `::warning`, `::error`) and the text summary.
    Github,
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The plan before the change: a file, or `REV:PATH` to read PATH at a git revision
    /// (`main:plans/api.yaml`, PATH from the repository root; a file by that name wins).
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The plan after the change: a file or `REV:PATH`.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    #[command(flatten)]
    pub book: BookArg,
    /// Exit with code 1 when the new plan's monthly bill is above this amount.
    #[arg(long, value_name = "USD", value_parser = args::money)]
    pub fail_above: Option<Decimal>,
    /// Exit with code 1 when the monthly bill grows by more than this amount.
    #[arg(long, value_name = "USD", value_parser = args::money)]
    pub fail_increase: Option<Decimal>,
    /// Warn (exit code 0) when the new plan's monthly bill is above this amount.
    #[arg(long, value_name = "USD", value_parser = args::money)]
    pub warn_above: Option<Decimal>,
    /// Warn (exit code 0) when the monthly bill grows by more than this amount.
    #[arg(long, value_name = "USD", value_parser = args::money)]
    pub warn_increase: Option<Decimal>,
    /// Print nothing and exit 0 when the monthly bill and the tier do not change (limits are
    /// not checked then: the change did not move the bill).
    #[arg(long)]
    pub only_if_changed: bool,
    /// How to print the change.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// Print the diff as one JSON object (same as the text format's data, with the checks).
    #[arg(long, conflicts_with = "format")]
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
    /// Write the plan here instead of to standard output.
    #[arg(short, long, value_name = "PLAN")]
    pub output: Option<PathBuf>,
    /// The plan's tier; the cheapest tier for the measured usage by default.
    #[arg(long, value_name = "NAME")]
    pub tier: Option<String>,
    #[command(flatten)]
    pub book: BookArg,
}

fn load_plan(path: &Path, book: &PriceBook) -> Result<Plan, CliError> {
    Plan::load(path, book).map_err(CliError::input)
}

fn estimate_plan(plan: Plan, book: &PriceBook, options: &EstimateOptions) -> Result<Estimate, CliError> {
    let estimator = Estimator::new(plan, book).map_err(CliError::input)?;
    estimator.estimate(options).map_err(CliError::input)
}

fn first_of_this_month() -> NaiveDate {
    let seconds = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let today = DateTime::from_timestamp(seconds, 0).unwrap_or_default().date_naive();
    today.with_day(1).unwrap_or(today)
}

pub fn estimate(a: &EstimateArgs) -> Result<(), CliError> {
    let book = a.book.load()?;
    let mut plan = load_plan(&a.plan, &book)?;
    if let Some(tier) = &a.tier {
        plan.tier = tier.clone();
        plan.check(&book).map_err(CliError::input)?;
    }
    let options = EstimateOptions {
        credit_balance: a.credits,
        period_start: a.period_start.unwrap_or_else(first_of_this_month),
        period_days: a.period_days,
        uncertainty: (a.samples > 0).then(|| Uncertainty { samples: a.samples, seed: a.seed, ..Uncertainty::default() }),
        months: 12,
    };
    let e = estimate_plan(plan, &book, &options)?;
    if a.json {
        let mut value = serde_json::to_value(&e).context("encoding the estimate")?;
        value["plan"] = a.plan.display().to_string().into();
        value["recommendation"] = serde_json::to_value(&e.comparison.recommendation).context("encoding")?;
        value["period_start"] = options.period_start.to_string().into();
        value["period_days"] = options.period_days.into();
        crate::emit(&serde_json::to_string_pretty(&value).context("encoding the estimate")?);
    } else {
        crate::emit(&estimate_text(&a.plan, &e, &options));
    }
    Ok(())
}

fn estimate_text(path: &Path, e: &Estimate, options: &EstimateOptions) -> String {
    let mut out = format!("Plan {} on {}, {} a month\n\n", path.display(), e.tier, e.bill.currency);

    let mut meters = Table::new(&[
        ("Meter", Align::Left),
        ("Usage", Align::Right),
        ("Included", Align::Right),
        ("Overage", Align::Right),
        ("Amount", Align::Right),
    ]);
    for base in &e.bill.base_fee_lines {
        meters.row([base.label.clone(), String::new(), String::new(), String::new(), money(base.amount)]);
    }
    for line in &e.bill.lines {
        meters.row(crate::price::meter_row(line));
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
    out.push_str(&shares_table("Route", &e.routes));
    if !e.regions.is_empty() {
        out.push_str("\nCost by region\n");
        out.push_str(&shares_table("Region", &e.regions));
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
        let mut note = Vec::new();
        if o.tier == e.tier {
            note.push("this plan".to_owned());
        }
        if o.caps_usage {
            note.push("caps this usage".to_owned());
        }
        if e.comparison.recommendation.as_ref().is_some_and(|r| r.tier == o.tier) {
            note.push("cheapest".to_owned());
        }
        let cost = if o.caps_usage { "-".to_owned() } else { money(o.monthly_cost) };
        tiers.row([o.tier.clone(), cost, note.join(", ")]);
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
                meter_quantity(Meter::Egress, m.usage.quantity(Meter::Egress)),
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
                "; {} pack{} ({}) would prepay the rest, leaving {} of credit for the next period (a prepayment, not a saving)",
                c.packs_needed,
                if c.packs_needed == 1 { "" } else { "s" },
                money(c.packs_cost),
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

fn shares_table(what: &str, shares: &[edgecost_planner::CostShare]) -> String {
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

/// Where a plan comes from: a file, or a path at a git revision (`REV:PATH`).
enum PlanSource<'a> {
    File(&'a Path),
    Git { revision: &'a str, path: &'a str },
}

impl<'a> PlanSource<'a> {
    /// A file that exists is a file even when its name has a colon; otherwise `REV:PATH` with a
    /// non-empty revision and path is read from git.
    fn of(arg: &'a Path) -> PlanSource<'a> {
        if !arg.exists()
            && let Some((revision, path)) = arg.to_str().and_then(|s| s.split_once(':'))
            && !revision.is_empty()
            && !path.is_empty()
        {
            return PlanSource::Git { revision, path };
        }
        PlanSource::File(arg)
    }

    /// The plan's name in output and errors: the path, or `REV:PATH`.
    fn label(&self) -> String {
        match self {
            PlanSource::File(p) => p.display().to_string(),
            PlanSource::Git { revision, path } => format!("{revision}:{path}"),
        }
    }
}

/// Reads `REV:PATH` with `git show` in the current directory; any failure is bad input.
fn git_show(revision: &str, path: &str) -> Result<String, CliError> {
    let spec = format!("{revision}:{path}");
    let out = std::process::Command::new("git")
        .args(["show", "--no-textconv", &spec])
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| CliError::input(format!("cannot read {spec}: running git: {e}")))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let reason = stderr.trim();
        let reason = if reason.is_empty() { "git show failed" } else { reason };
        return Err(CliError::input(format!("cannot read {spec} from git: {reason}")));
    }
    String::from_utf8(out.stdout).map_err(|_| CliError::input(format!("{spec} is not UTF-8 text")))
}

fn load_source(source: &PlanSource, book: &PriceBook) -> Result<Plan, CliError> {
    match source {
        PlanSource::File(path) => load_plan(path, book),
        PlanSource::Git { revision, path } => {
            let text = git_show(revision, path)?;
            Plan::parse(&text, &source.label(), book).map_err(CliError::input)
        }
    }
}

pub fn diff(a: &DiffArgs) -> Result<ExitCode, CliError> {
    let book = a.book.load()?;
    let (old_source, new_source) = (PlanSource::of(&a.old), PlanSource::of(&a.new));
    let old = load_source(&old_source, &book)?;
    let new = load_source(&new_source, &book)?;
    let options = EstimateOptions { uncertainty: None, months: 0, ..EstimateOptions::starting(first_of_this_month()) };
    let (old_estimate, new_estimate) = (estimate_plan(old, &book, &options)?, estimate_plan(new, &book, &options)?);
    let d = edgecost_planner::diff(&old_estimate, &new_estimate);
    if a.only_if_changed && d.total_change.is_zero() && d.old_tier == d.new_tier {
        return Ok(ExitCode::SUCCESS);
    }
    let failures = limits_passed(&d, a.fail_above, a.fail_increase);
    let warnings = limits_passed(&d, a.warn_above, a.warn_increase);
    let (old_label, new_label) = (old_source.label(), new_source.label());
    let review = Review {
        old_label: &old_label,
        new_label: &new_label,
        diff: &d,
        old_recommendation: old_estimate.comparison.recommendation.as_ref(),
        new_recommendation: new_estimate.comparison.recommendation.as_ref(),
        warnings: &warnings,
        failures: &failures,
    };
    if a.json {
        let mut value = serde_json::to_value(&d).context("encoding the diff")?;
        value["failed_checks"] = failures.clone().into();
        value["warnings"] = warnings.clone().into();
        crate::emit(&serde_json::to_string_pretty(&value).context("encoding the diff")?);
    } else {
        match a.format {
            DiffFormat::Text => crate::emit(&diff_text(&d)),
            DiffFormat::Markdown => crate::emit(&review::markdown(&review)),
            DiffFormat::Github => {
                let file = match new_source {
                    PlanSource::File(p) => p.to_str(),
                    PlanSource::Git { .. } => None,
                };
                crate::emit(&review::github(&review, file, &diff_text(&d)));
            }
        }
    }
    for w in &warnings {
        eprintln!("cost warning: {w}");
    }
    if failures.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for f in &failures {
        eprintln!("cost check failed: {f}");
    }
    Ok(ExitCode::from(1))
}

/// The limits the diff passes: above an amount for the new bill, more than an amount of growth.
fn limits_passed(d: &PlanDiff, above: Option<Decimal>, increase: Option<Decimal>) -> Vec<String> {
    let mut passed = Vec::new();
    if let Some(limit) = above.filter(|l| d.new_total > *l) {
        passed.push(format!("the new monthly bill {} is above {}", money(d.new_total), money(limit)));
    }
    if let Some(limit) = increase.filter(|l| d.total_change > *l) {
        passed.push(format!("the monthly bill grows by {}, more than {}", money(d.total_change), money(limit)));
    }
    passed
}

fn diff_text(d: &PlanDiff) -> String {
    let tiers = if d.old_tier == d.new_tier { d.new_tier.clone() } else { format!("{} -> {}", d.old_tier, d.new_tier) };
    let mut out =
        format!("Monthly bill: {} -> {} ({}) on {tiers}\n\n", money(d.old_total), money(d.new_total), signed_money(d.total_change));
    let mut t = Table::new(&[
        ("Route", Align::Left),
        ("Change", Align::Left),
        ("Requests", Align::Right),
        ("Old cost", Align::Right),
        ("New cost", Align::Right),
        ("Cost change", Align::Right),
    ]);
    for r in &d.routes {
        let change = match r.change {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Changed => "changed",
            Change::Unchanged => "unchanged",
        };
        let count = |q: Decimal| meter_quantity(Meter::Requests, q);
        let requests = match r.change {
            Change::Added => count(r.new_requests),
            Change::Removed => count(r.old_requests),
            _ if r.old_requests == r.new_requests => count(r.new_requests),
            _ => format!("{} -> {}", count(r.old_requests), count(r.new_requests)),
        };
        t.row([r.path.clone(), change.into(), requests, money(r.old_cost), money(r.new_cost), signed_money(r.cost_change)]);
    }
    out.push_str(&t.render());
    out.push_str("\nRoute costs are each route's share of the overage lines; the base fee is not split.\n");
    out
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
    let records = read_usage(&text, &file).map_err(CliError::input)?;
    let first_tier = a.tier.clone().unwrap_or_else(|| "production".to_owned());
    let mut plan = plan_from_usage(&records, &first_tier, &book).map_err(CliError::input)?;
    if a.tier.is_none() {
        let estimator = Estimator::new(plan.clone(), &book).map_err(CliError::input)?;
        if let Some(r) = estimator.comparison(Decimal::ZERO).map_err(CliError::input)?.recommendation {
            plan.tier = r.tier;
        }
    }
    let yaml = format!(
        "# Built by `edgecost plan from-usage` from {file}: {} records, {} routes.\n{}",
        records.len(),
        plan.routes.len(),
        plan.to_yaml()
    );
    match &a.output {
        Some(path) => {
            std::fs::write(path, yaml).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {} ({} routes, tier {})", path.display(), plan.routes.len(), plan.tier);
        }
        None => crate::emit(&yaml),
    }
    Ok(())
}
