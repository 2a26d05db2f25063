//! The `edgecost` command line: the pricing, planner and billing-engine cores for scripts and CI.
//!
//! Exit codes: 0 success, 1 a failure while running (or a CI cost check that tripped), 2 bad
//! arguments or bad input files.

mod account;
mod admin;
mod args;
mod operator;
mod plan;
mod plan_diff;
mod price;
mod review;
mod serve;
mod table;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Plan and check the cost of usage-priced edge infrastructure.
#[derive(Parser, Debug)]
#[command(name = "edgecost", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List the tiers of a price book: base fees, included quotas, overage rates.
    Tiers(price::TiersArgs),
    /// Print the itemized bill for a month's usage on one tier.
    Bill(price::BillArgs),
    /// Price a month's usage on every tier and recommend the cheapest option.
    Compare(price::CompareArgs),
    /// Print the JSON Schema of the price book format.
    Schema,
    /// Estimate a routing plan: usage, the bill, cost per route, quota days, the cheapest option.
    Estimate(plan::EstimateArgs),
    /// Compare the monthly cost of two plans (files or git `REV:PATH`), per route, as text, a
    /// pull-request comment or GitHub annotations; warn or fail a CI check past a limit.
    Diff(plan_diff::DiffArgs),
    /// Build routing plans from measured usage.
    Plan(plan::PlanArgs),
    /// Run the billing engine's HTTP API (telemetry ingest and the account API).
    Serve(serve::ServeArgs),
    /// Create accounts, edge nodes and operators in the billing engine's database; the
    /// operator's report and price-book what-if.
    Admin(admin::AdminArgs),
    /// An account's bill to date and projection, usage, burst credit and invoices, read from a
    /// running `edgecost serve` with the account's token.
    Account(account::AccountArgs),
    /// Print shell completions: `edgecost completions bash > ~/.local/share/bash-completion/completions/edgecost`.
    Completions {
        /// The shell to complete in.
        #[arg(value_name = "SHELL", value_enum)]
        shell: clap_complete::Shell,
    },
}

/// A command's failure, with the exit code it maps to.
#[derive(Debug)]
pub enum CliError {
    /// Bad arguments or a bad input file: exit code 2.
    Input(anyhow::Error),
    /// Anything else that went wrong while running: exit code 1.
    Failed(anyhow::Error),
}

impl CliError {
    /// Wraps an error caused by what the user passed in.
    pub fn input(e: impl std::fmt::Display) -> CliError {
        CliError::Input(anyhow::anyhow!("{e}"))
    }
}

impl From<anyhow::Error> for CliError {
    fn from(e: anyhow::Error) -> Self {
        CliError::Failed(e)
    }
}

/// Writes command output to stdout, ending it with a newline. A closed pipe (`| head`) ends
/// the output quietly instead of panicking.
pub fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let newline = if text.ends_with('\n') { "" } else { "\n" };
    let written = out.write_all(text.as_bytes()).and_then(|()| out.write_all(newline.as_bytes()));
    if let Err(e) = written.and_then(|()| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("error: writing output: {e}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<ExitCode, CliError> {
    match cli.command {
        Command::Tiers(a) => price::tiers(&a)?,
        Command::Bill(a) => price::bill(&a)?,
        Command::Compare(a) => price::compare(&a)?,
        Command::Schema => {
            emit(&serde_json::to_string_pretty(&edgecost_pricing::PriceBook::json_schema()).expect("a schema always encodes"))
        }
        Command::Estimate(a) => plan::estimate(&a)?,
        Command::Diff(a) => return plan_diff::diff(&a),
        Command::Plan(a) => plan::plan(&a)?,
        Command::Serve(a) => serve::serve(&a)?,
        Command::Admin(a) => admin::admin(&a)?,
        Command::Account(a) => account::account(&a)?,
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "edgecost", &mut script);
            emit(&String::from_utf8_lossy(&script));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(CliError::Input(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
        Err(CliError::Failed(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
