//! `edgecost diff`: two versions of a plan priced side by side, for reviews and CI cost checks.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use edgecost_planner::{Change, EstimateOptions, Estimator, PlanDiff};
use edgecost_pricing::format::{meter_quantity, money_in, signed_money_in};
use edgecost_pricing::{Decimal, Meter, PriceBook};

use crate::price::BookArg;
use crate::review::{self, Review};
use crate::table::{Align, Table};
use crate::{CliError, args};

use crate::plan::{estimate_plan, first_of_this_month, load_plan};

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

fn load_source(source: &PlanSource, book: &PriceBook) -> Result<Estimator, CliError> {
    match source {
        PlanSource::File(path) => load_plan(path, book),
        PlanSource::Git { revision, path } => {
            let text = git_show(revision, path)?;
            Estimator::parse(&text, &source.label(), book).map_err(CliError::input)
        }
    }
}

pub fn diff(a: &DiffArgs) -> Result<ExitCode, CliError> {
    let book = a.book.load()?;
    let (old_source, new_source) = (PlanSource::of(&a.old), PlanSource::of(&a.new));
    let old = load_source(&old_source, &book)?;
    let new = load_source(&new_source, &book)?;
    let options = EstimateOptions { uncertainty: None, months: 0, ..EstimateOptions::starting(first_of_this_month()) };
    let (old_estimate, new_estimate) = (estimate_plan(&old, &options)?, estimate_plan(&new, &options)?);
    let d = edgecost_planner::diff(old.plan(), &old_estimate, new.plan(), &new_estimate);
    if a.only_if_changed && d.total_change.is_zero() && d.old_tier == d.new_tier {
        return Ok(ExitCode::SUCCESS);
    }
    let failures = limits_passed(&d, a.fail_above, a.fail_increase, &book.currency);
    let warnings = limits_passed(&d, a.warn_above, a.warn_increase, &book.currency);
    let (old_label, new_label) = (old_source.label(), new_source.label());
    let review = Review {
        old_label: &old_label,
        new_label: &new_label,
        diff: &d,
        currency: &book.currency,
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
            DiffFormat::Text => crate::emit(&diff_text(&d, &book.currency)),
            DiffFormat::Markdown => crate::emit(&review::markdown(&review)),
            DiffFormat::Github => {
                let file = match new_source {
                    PlanSource::File(p) => p.to_str(),
                    PlanSource::Git { .. } => None,
                };
                crate::emit(&review::github(&review, file, &diff_text(&d, &book.currency)));
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
fn limits_passed(d: &PlanDiff, above: Option<Decimal>, increase: Option<Decimal>, currency: &str) -> Vec<String> {
    let money = |amount: Decimal| money_in(amount, currency);
    let mut passed = Vec::new();
    if let Some(limit) = above.filter(|l| d.new_total > *l) {
        passed.push(format!("the new monthly bill {} is above {}", money(d.new_total), money(limit)));
    }
    if let Some(limit) = increase.filter(|l| d.total_change > *l) {
        passed.push(format!("the monthly bill grows by {}, more than {}", money(d.total_change), money(limit)));
    }
    passed
}

fn diff_text(d: &PlanDiff, currency: &str) -> String {
    let money = |amount: Decimal| money_in(amount, currency);
    let tiers = if d.old_tier == d.new_tier { d.new_tier.clone() } else { format!("{} -> {}", d.old_tier, d.new_tier) };
    let mut out = format!(
        "Monthly bill: {} -> {} ({}) on {tiers}\n\n",
        money(d.old_total),
        money(d.new_total),
        signed_money_in(d.total_change, currency)
    );
    let mut t = Table::new(&[
        ("Route", Align::Left),
        ("Change", Align::Left),
        ("Requests", Align::Right),
        ("Old cost", Align::Right),
        ("New cost", Align::Right),
        ("Cost change", Align::Right),
    ]);
    for r in &d.routes {
        let change = review::change_label(r);
        let count = |q: Decimal| meter_quantity(Meter::Requests, q);
        let requests = match r.change {
            Change::Added => count(r.new_requests),
            Change::Removed => count(r.old_requests),
            _ if r.old_requests == r.new_requests => count(r.new_requests),
            _ => format!("{} -> {}", count(r.old_requests), count(r.new_requests)),
        };
        t.row([r.path.clone(), change, requests, money(r.old_cost), money(r.new_cost), signed_money_in(r.cost_change, currency)]);
    }
    out.push_str(&t.render());
    out.push_str("\nRoute costs are each route's share of the overage lines; the base fee is not split.\n");
    if d.routes.iter().any(|r| r.change == Change::CostMoved) {
        out.push_str(review::COST_MOVED_NOTE);
        out.push('\n');
    }
    out
}
