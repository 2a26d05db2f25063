//! `edgecost admin`: create accounts, edge nodes and operators in the engine's database, read
//! the operator's report and price-book what-if from it, and record invoice payments in it.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

use chrono::{DateTime, Utc};
use edgecost_api::{OperatorReportQuery, PaymentRequest};
use edgecost_engine::{EngineError, PaymentOutcome};
use edgecost_pricing::{Decimal, PriceBook};

use crate::CliError;
use crate::serve::{billed_with, database_to_write, existing_database, open_engine, open_engine_with, runtime};

/// Options of `edgecost admin`.
#[derive(Args, Debug)]
pub struct AdminArgs {
    #[command(subcommand)]
    pub command: AdminCommand,
}

/// The database an admin command works on, and how it answers.
#[derive(Args, Debug)]
pub struct Target {
    /// Database URL (`sqlite:///path/to/file.db` or `postgres://user@host/db`); default: the
    /// SQLite file `edgecost serve` uses.
    #[arg(long, value_name = "URL", env = "EDGECOST_DATABASE_URL", hide_env_values = true)]
    pub database: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create an account and print its id and token (the token is shown once).
    #[command(
        after_help = "Examples:\n  edgecost admin create-account --name \"Acme Corp\" --tier production\n  edgecost admin create-account --name Acme --tier scale --json --database postgres://billing@db/edgecost"
    )]
    CreateAccount {
        /// The account's display name.
        #[arg(long)]
        name: String,
        /// Its tier, such as `sandbox`, `production` or `scale`.
        #[arg(long)]
        tier: String,
        #[command(flatten)]
        out: Target,
    },
    /// Create an edge node and print its id and token (the token is shown once).
    #[command(after_help = "Examples:\n  edgecost admin create-node --name fra-1")]
    CreateNode {
        /// The node's name, such as `fra-1`.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        out: Target,
    },
    /// Create an operator and print its id and token (shown once): it opens `/v1/admin/...`
    /// and nothing else.
    #[command(after_help = "Examples:\n  edgecost admin create-operator --name billing-team")]
    CreateOperator {
        /// Who the token is for, such as `billing-team`.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        out: Target,
    },
    /// The service's figures month by month: MRR and revenue by tier, NRR, churn, conversion,
    /// upgrades, burst packs, the 80%-to-upgrade funnel, capped accounts and gross margin.
    #[command(
        after_help = "Examples:\n  edgecost admin report\n  edgecost admin report --from 2026-07 --to 2026-12 --margin-below 40\n  edgecost admin report --costs infra-costs.yaml --json > report.json"
    )]
    Report {
        /// The first month, YYYY-MM (default: five months before --to).
        #[arg(long, value_name = "YYYY-MM")]
        from: Option<String>,
        /// The last month, YYYY-MM, included (default: the current month).
        #[arg(long, value_name = "YYYY-MM")]
        to: Option<String>,
        /// The price book the engine bills with, as given to `edgecost serve --price-book`
        /// (default: the published one); its `infrastructure_cost` prices the gross margin.
        #[arg(long, value_name = "FILE", env = "EDGECOST_PRICE_BOOK", hide_env_values = true)]
        price_book: Option<PathBuf>,
        /// A price book whose `infrastructure_cost` prices the gross margin instead.
        #[arg(long, value_name = "FILE")]
        costs: Option<PathBuf>,
        /// Flag accounts whose gross margin is below this percentage.
        #[arg(long, value_name = "PERCENT", default_value = "50")]
        margin_below: Decimal,
        #[command(flatten)]
        out: Target,
    },
    /// Re-rate the recorded usage of the last closed months under another price book and show
    /// revenue before and after per tier, the accounts whose bill moves most, the accounts
    /// whose cheapest tier changes and gross margin. Read-only: no bill changes.
    #[command(
        after_help = "Examples:\n  edgecost admin what-if --price-book next-year.yaml\n  edgecost admin what-if --price-book next-year.yaml --months 6 --json"
    )]
    WhatIf {
        /// The price book to try (YAML, or JSON by its extension).
        #[arg(long, value_name = "FILE")]
        price_book: PathBuf,
        /// The price book the engine bills with now, as given to `edgecost serve --price-book`
        /// (default: the published one): the "before" of the comparison.
        #[arg(long, value_name = "FILE", env = "EDGECOST_PRICE_BOOK", hide_env_values = true)]
        current: Option<PathBuf>,
        /// How many closed months to re-rate, newest last.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=i64::from(edgecost_api::MAX_REPORT_MONTHS)))]
        months: u32,
        #[command(flatten)]
        out: Target,
    },
    /// Record a payment received for an account's invoice (from the payment processor): the
    /// invoice then reads paid, or partly paid. The reference makes it safe to run again: the
    /// same reference on the same invoice changes nothing and shows the first payment.
    #[command(
        after_help = "Examples:\n  edgecost admin record-payment --account acct_0123456789abcdef0123 --invoice INV-00003 --amount 40.46 --reference ch_3Nf8Qz\n  \
edgecost admin record-payment --account acct_0123456789abcdef0123 --invoice inv_0123456789abcdef0123 --amount 20.00 --reference ch_3Nf8R1 --received-at 2026-12-03T14:00:00Z --json\n\n\
Exit status: 0 when recorded (or already recorded with that reference), 2 when refused: an unknown\n\
account or invoice, nothing due, an amount past what is due, or a bad amount, reference or time."
    )]
    RecordPayment {
        /// The account's id (`acct_...`).
        #[arg(long, value_name = "ACCOUNT_ID")]
        account: String,
        /// The invoice: its number (`INV-00003`, or `3`) or its id (`inv_...`).
        #[arg(long, value_name = "INVOICE")]
        invoice: String,
        /// What was received, in the invoice's currency, whole cents (`40.46`, `$1,250.00`).
        #[arg(long, value_name = "AMOUNT", value_parser = crate::args::money)]
        amount: Decimal,
        /// The payment processor's reference for the payment, such as its charge id (1 to 200
        /// characters).
        #[arg(long, value_name = "TEXT")]
        reference: String,
        /// When the money was received, RFC 3339 (`2026-12-03T14:00:00Z`); default: now.
        #[arg(long, value_name = "RFC3339", value_parser = instant)]
        received_at: Option<DateTime<Utc>>,
        /// The price book the engine bills with, as given to `edgecost serve --price-book`
        /// (default: the published one): periods just due are closed into invoices with it.
        #[arg(long, value_name = "FILE", env = "EDGECOST_PRICE_BOOK", hide_env_values = true)]
        price_book: Option<PathBuf>,
        #[command(flatten)]
        out: Target,
    },
}

/// An RFC 3339 time (`2026-12-03T14:00:00Z`, `2026-12-03T15:00:00+01:00`).
fn instant(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("'{text}' is not an RFC 3339 time such as 2026-12-03T14:00:00Z ({e})"))
}

pub fn admin(args: &AdminArgs) -> Result<(), CliError> {
    runtime()?.block_on(async {
        match &args.command {
            AdminCommand::CreateAccount { name, tier, out: Target { database, json } } => {
                let engine = open_engine(Some(&database_to_write(database.as_deref())?)).await?;
                let created = engine.create_account(name, tier, chrono::Utc::now()).await.map_err(engine_error)?;
                if *json {
                    crate::emit(&serde_json::to_string_pretty(&created).context("encoding JSON")?);
                } else {
                    crate::emit(&format!(
                        "account {} ({}, {} tier)\ntoken: {}\nThe token is shown only now; store it safely.",
                        created.account_id, created.name, created.tier, created.token
                    ));
                }
            }
            AdminCommand::CreateNode { name, out: Target { database, json } } => {
                let engine = open_engine(Some(&database_to_write(database.as_deref())?)).await?;
                let created = engine.create_node(name, chrono::Utc::now()).await.map_err(engine_error)?;
                if *json {
                    crate::emit(&serde_json::to_string_pretty(&created).context("encoding JSON")?);
                } else {
                    crate::emit(&format!(
                        "node {} ({})\ntoken: {}\nThe token is shown only now; store it safely.",
                        created.node_id, created.name, created.token
                    ));
                }
            }
            AdminCommand::CreateOperator { name, out: Target { database, json } } => {
                let engine = open_engine(Some(&database_to_write(database.as_deref())?)).await?;
                let created = engine.create_operator(name, chrono::Utc::now()).await.map_err(engine_error)?;
                if *json {
                    crate::emit(&serde_json::to_string_pretty(&created).context("encoding JSON")?);
                } else {
                    crate::emit(&format!(
                        "operator {} ({})\ntoken: {}\nThe token is shown only now; store it safely.",
                        created.operator_id, created.name, created.token
                    ));
                }
            }
            AdminCommand::Report { from, to, price_book, costs, margin_below, out: Target { database, json } } => {
                let costs = costs.as_deref().map(PriceBook::load).transpose().map_err(CliError::input)?;
                let engine = open_engine_with(Some(&existing_database(database.as_deref())?), billed_with(price_book.as_deref())?).await?;
                let query = OperatorReportQuery { from: from.clone(), to: to.clone(), margin_below: Some(*margin_below) };
                let costs = costs.as_ref().and_then(|b| b.infrastructure_cost.as_ref()).or(engine.book().infrastructure_cost.as_ref());
                let report = engine.operator_report(&query, costs, chrono::Utc::now()).await.map_err(engine_error)?;
                if *json {
                    crate::emit(&serde_json::to_string_pretty(&report).context("encoding JSON")?);
                } else {
                    crate::emit(&crate::operator::report_text(&report));
                }
            }
            AdminCommand::WhatIf { price_book, current, months, out: Target { database, json } } => {
                let proposed = PriceBook::load(price_book).map_err(CliError::input)?;
                let engine = open_engine_with(Some(&existing_database(database.as_deref())?), billed_with(current.as_deref())?).await?;
                let report = engine.what_if(&proposed, *months, chrono::Utc::now()).await.map_err(engine_error)?;
                if *json {
                    crate::emit(&serde_json::to_string_pretty(&report).context("encoding JSON")?);
                } else {
                    crate::emit(&crate::operator::what_if_text(&report));
                }
            }
            AdminCommand::RecordPayment {
                account,
                invoice,
                amount,
                reference,
                received_at,
                price_book,
                out: Target { database, json },
            } => {
                let engine = open_engine_with(Some(&existing_database(database.as_deref())?), billed_with(price_book.as_deref())?).await?;
                let request = PaymentRequest { amount: *amount, currency: None, reference: reference.clone(), received_at: *received_at };
                let outcome = engine.record_payment(account, invoice, &request, chrono::Utc::now()).await.map_err(engine_error)?;
                if *json {
                    let mut answer = serde_json::to_value(&outcome.recorded).context("encoding JSON")?;
                    answer["replayed"] = serde_json::Value::Bool(outcome.replayed);
                    crate::emit(&serde_json::to_string_pretty(&answer).context("encoding JSON")?);
                } else {
                    crate::emit(&payment_text(&outcome, &engine.book().currency));
                }
            }
        }
        Ok(())
    })
}

/// A recorded payment, or the one first recorded with its reference, and where its invoice
/// stands.
fn payment_text(outcome: &PaymentOutcome, currency: &str) -> String {
    let (p, i) = (&outcome.recorded.payment, &outcome.recorded.invoice);
    let money = |amount: Decimal| edgecost_pricing::format::money_in(amount, currency);
    let head = if outcome.replayed {
        format!("Payment {} was already recorded on invoice {}; nothing changed.\n", p.reference, i.number)
    } else {
        format!("Recorded payment {} on invoice {}.\n", p.reference, i.number)
    };
    format!(
        "{head}  payment   {} of {}, received {}\n  invoice   {} ({}, {} tier): {} due, {} paid, {}\n",
        p.id,
        money(p.amount),
        crate::account::instant_text(p.received_at),
        i.number,
        crate::account::days_text(i.period_start, i.period_end),
        i.tier,
        money(i.total),
        money(i.amount_paid),
        crate::account::status_text(i, currency),
    )
}

/// A refusal (unknown tier, bad name) is the user's mistake (exit 2); anything else is a failure.
fn engine_error(e: EngineError) -> CliError {
    if e.is_client_error() { CliError::input(e) } else { CliError::Failed(e.into()) }
}
