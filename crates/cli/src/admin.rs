//! `edgecost admin`: create accounts and edge nodes in the engine's database.

use anyhow::Context;
use clap::{Args, Subcommand};

use edgecost_engine::EngineError;

use crate::CliError;
use crate::serve::{open_engine, runtime};

/// Options of `edgecost admin`.
#[derive(Args, Debug)]
pub struct AdminArgs {
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create an account and print its id and token (the token is shown once).
    CreateAccount {
        /// The account's display name.
        #[arg(long)]
        name: String,
        /// Its tier, such as `sandbox`, `production` or `scale`.
        #[arg(long)]
        tier: String,
        /// Database URL; default: the SQLite file `edgecost serve` uses.
        #[arg(long, value_name = "URL", env = "EDGECOST_DATABASE_URL", hide_env_values = true)]
        database: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Create an edge node and print its id and token (the token is shown once).
    CreateNode {
        /// The node's name, such as `fra-1`.
        #[arg(long)]
        name: String,
        #[arg(long, value_name = "URL", env = "EDGECOST_DATABASE_URL", hide_env_values = true)]
        database: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

pub fn admin(args: &AdminArgs) -> Result<(), CliError> {
    runtime()?.block_on(async {
        match &args.command {
            AdminCommand::CreateAccount { name, tier, database, json } => {
                let engine = open_engine(database.as_deref()).await?;
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
            AdminCommand::CreateNode { name, database, json } => {
                let engine = open_engine(database.as_deref()).await?;
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
        }
        Ok(())
    })
}

/// A refusal (unknown tier, bad name) is the user's mistake (exit 2); anything else is a failure.
fn engine_error(e: EngineError) -> CliError {
    if e.is_client_error() { CliError::input(e) } else { CliError::Failed(e.into()) }
}
