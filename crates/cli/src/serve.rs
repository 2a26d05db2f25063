//! `edgecost serve`: the billing engine's HTTP API.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use edgecost_engine::Engine;
use edgecost_engine::otlp::OtlpMapping;
use edgecost_pricing::PriceBook;
use edgecost_server::{AppState, RunningServer, metrics_router, router};

use crate::CliError;

/// Options of `edgecost serve`.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  edgecost serve --demo\n  edgecost serve --database sqlite:///var/lib/edgecost/edgecost.db --listen 0.0.0.0:8080\n  \
EDGECOST_DATABASE_URL=postgres://billing@db/edgecost edgecost serve --price-book book.yaml --metrics-listen 127.0.0.1:9090"
)]
pub struct ServeArgs {
    /// Database URL: `sqlite:///path/to/file.db` or `postgres://user@host/db`; for a
    /// PostgreSQL group that fails over, every host and the read-write one wanted:
    /// `postgres://user@h1:5432,h2:5432/db?target_session_attrs=read-write`.
    /// Default: a SQLite file in the user's data folder.
    #[arg(long, value_name = "URL", env = "EDGECOST_DATABASE_URL", hide_env_values = true)]
    pub database: Option<String>,
    /// Address to listen on; port 0 picks a free port (the chosen address is printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Serve Prometheus metrics (`GET /metrics`) on this address only; off when not given.
    /// The counters are platform-wide, so keep it on loopback or an operators' network.
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<SocketAddr>,
    /// The price book every bill is rated with (YAML, or JSON by its extension); its
    /// `infrastructure_cost` prices the operator's gross margin. Default: the published book.
    /// Accounts read it at `/v1/price-book` without the infrastructure cost.
    #[arg(long, value_name = "FILE", env = "EDGECOST_PRICE_BOOK", hide_env_values = true)]
    pub price_book: Option<PathBuf>,
    /// Create the demo account (100 days of telemetry) beside a small fleet of accounts over
    /// the last three closed months, and print the demo account's and the operator's tokens
    /// before serving. Without `--database` the demo has a database of its own, started over
    /// each time; a database given must hold no accounts yet.
    #[arg(long)]
    pub demo: bool,
    /// The OpenTelemetry attribute (of a data point or its resource) that names the account
    /// a point's usage belongs to (`POST /v1/metrics`).
    #[arg(long, value_name = "NAME", default_value = "edgecost.account.id")]
    pub otlp_account_attribute: String,
    /// The OpenTelemetry attribute that names a point's region of the price book.
    #[arg(long, value_name = "NAME", default_value = "edgecost.region")]
    pub otlp_region_attribute: String,
    /// The wait before a failed webhook delivery is retried the first time, in milliseconds;
    /// each later retry waits twice the one before (docs/webhooks.md).
    #[arg(long, value_name = "MS", default_value_t = 180_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub webhook_retry_base_ms: u64,
    /// Delivery attempts per webhook event, the first included.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=30))]
    pub webhook_attempts: u32,
    /// Deliver webhooks to receivers at private addresses too (10.0.0.0/8, 192.168.0.0/16,
    /// link-local, ...): for an engine whose accounts are all inside one trusted network.
    #[arg(long)]
    pub webhook_private_targets: bool,
    /// Days raw usage records (the usage log) are kept after their billing period closes; never
    /// longer than the tier's metric retention. Period totals, invoices and the credit ledger
    /// are kept forever (docs/billing-rules.md, "Data retention").
    #[arg(long, value_name = "DAYS", default_value_t = edgecost_engine::retention::RAW_RETENTION_DAYS_DEFAULT,
          value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub raw_retention_days: u32,
    /// Minutes between two runs of the job that removes usage past its retention; 0 never
    /// runs it.
    #[arg(long, value_name = "MINUTES", default_value_t = 60)]
    pub expire_every_minutes: u64,
}

/// The SQLite file used when no `--database` is given: `<data dir>/edgecost/edgecost.db`.
pub fn default_database_path() -> Result<PathBuf, CliError> {
    let data = dirs::data_dir().ok_or_else(|| CliError::input("cannot find the user's data folder; pass --database URL"))?;
    Ok(data.join("edgecost").join("edgecost.db"))
}

/// `path` (a file of the data folder) once its folder exists.
fn with_folder(path: PathBuf) -> Result<PathBuf, CliError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("creating the data folder {}", parent.display()))?;
    }
    Ok(path)
}

/// `--database`, or the default SQLite file (its folder created).
pub fn database_url(database: Option<&str>) -> Result<String, CliError> {
    match database {
        Some(url) => Ok(url.to_owned()),
        None => Ok(Engine::sqlite_url(&with_folder(default_database_path()?)?)),
    }
}

/// The database `serve --demo` seeds when no `--database` is given: `<data dir>/edgecost/
/// demo.db`, apart from the default database, removed first so that the demo starts over
/// with its traffic up to now.
fn fresh_demo_database() -> Result<String, CliError> {
    let path = with_folder(default_database_path()?.with_file_name("demo.db"))?;
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(anyhow::anyhow!("removing the previous demo database {}: {e}", file.display()).into());
            }
            _ => {}
        }
    }
    Ok(Engine::sqlite_url(&path))
}

/// The file of a SQLite database URL (`sqlite://PATH`, `sqlite:PATH`, options after `?`);
/// `None` for an in-memory database or another backend.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:" && !url.contains("mode=memory")).then(|| PathBuf::from(path))
}

/// `--database` (or the default) for a command that only reads: a SQLite file that does not
/// exist is a mistyped path (or a server never started), not an empty fleet to report on.
pub(crate) fn existing_database(database: Option<&str>) -> Result<String, CliError> {
    // Only read: the default's folder is not created for it.
    let url = match database {
        Some(url) => url.to_owned(),
        None => Engine::sqlite_url(&default_database_path()?),
    };
    match sqlite_file(&url) {
        Some(path) if !path.exists() => Err(CliError::input(match database {
            Some(_) => format!("there is no database at {}: check --database (a SQLite URL is sqlite:///path/to/file.db)", path.display()),
            None => format!(
                "there is no database at {} (the default) yet: pass --database URL, or start `edgecost serve` once to create it",
                path.display()
            ),
        })),
        _ => Ok(url),
    }
}

/// `--database` (or the default) for a command that writes: a SQLite file that does not exist
/// yet is created, and said so on stderr, where a mistyped path shows at once.
pub(crate) fn database_to_write(database: Option<&str>) -> Result<String, CliError> {
    let url = database_url(database)?;
    if let Some(path) = sqlite_file(&url).filter(|p| !p.exists()) {
        eprintln!("note: creating a new database at {}", path.display());
    }
    Ok(url)
}

/// Opens (and migrates) the engine's database; bills are rated with the published price book.
pub async fn open_engine(database: Option<&str>) -> Result<Engine, CliError> {
    open_engine_with(database, PriceBook::published().clone()).await
}

/// The price book the engine bills with: `path`'s, or the published one.
pub(crate) fn billed_with(path: Option<&std::path::Path>) -> Result<PriceBook, CliError> {
    match path {
        Some(path) => PriceBook::load(path).map_err(CliError::input),
        None => Ok(PriceBook::published().clone()),
    }
}

/// Opens (and migrates) the engine's database; bills are rated with `book`.
pub async fn open_engine_with(database: Option<&str>, book: PriceBook) -> Result<Engine, CliError> {
    let url = database_url(database)?;
    Engine::open(&url, book).await.map_err(|e| CliError::Failed(anyhow::anyhow!("opening the database {}: {e}", redact(&url))))
}

/// The URL without its user and password, fit for messages and logs.
fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host_start = rest.find('@').filter(|at| rest[..*at].find('/').is_none());
            match host_start {
                Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
                None => url.to_owned(),
            }
        }
        None => url.to_owned(),
    }
}

/// A multi-threaded runtime for the engine and the server.
pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?)
}

pub fn serve(args: &ServeArgs) -> Result<(), CliError> {
    init_logging();
    runtime()?.block_on(async {
        // The handlers are in place before the `listening on` line, so a signal sent as soon
        // as a script sees it shuts the server down cleanly instead of killing it.
        let shutdown = ShutdownSignal::install().context("listening for shutdown signals")?;
        let book = billed_with(args.price_book.as_deref())?;
        let demo_database = match (&args.database, args.demo) {
            (None, true) => Some(fresh_demo_database()?),
            _ => None,
        };
        let engine = open_engine_with(args.database.as_deref().or(demo_database.as_deref()), book).await?;
        engine.set_webhook_options(edgecost_engine::webhooks::WebhookOptions {
            retry_base: std::time::Duration::from_millis(args.webhook_retry_base_ms),
            attempts_max: args.webhook_attempts,
            private_targets: args.webhook_private_targets,
            ..engine.webhook_options()
        });
        if args.demo {
            // The demo's accounts would count in a real fleet's figures (its revenue, churn
            // and margin): they go into a database of their own, or one that holds none yet.
            if let Some(url) = args.database.as_deref() {
                let accounts = engine.account_count().await.context("counting the database's accounts")?;
                if accounts > 0 {
                    return Err(CliError::input(format!(
                        "--demo seeds a demo account and fleet into a database without accounts, and {} holds {accounts} \
                         already; give --database a new SQLite file, or leave it out for the demo's own database",
                        redact(url)
                    )));
                }
            }
            if let Some(url) = &demo_database {
                crate::emit(&format!("demo database: {url} (started over by each `serve --demo`)"));
            }
            let now = chrono::Utc::now();
            let operator = edgecost_engine::seed_demo_fleet(&engine, now).await.context("creating the demo fleet")?;
            let demo = edgecost_engine::seed_demo(&engine, now).await.context("creating the demo account")?;
            crate::emit(&format!("demo account: {}\ndemo token: {}\ndemo operator token: {operator}", demo.account_id, demo.token));
        }
        let expiry = (args.expire_every_minutes > 0).then(|| {
            engine.start_expiry(
                edgecost_engine::retention::RetentionSettings { raw_days: args.raw_retention_days },
                std::time::Duration::from_secs(args.expire_every_minutes.saturating_mul(60)),
            )
        });
        let failed = |e: edgecost_server::AppError| CliError::Failed(anyhow::anyhow!("{e}"));
        let state = AppState::new(engine).with_otlp_mapping(OtlpMapping {
            account_attribute: args.otlp_account_attribute.clone(),
            region_attribute: args.otlp_region_attribute.clone(),
        });
        // Metrics first, so the `listening on` line (which scripts wait for) comes last.
        let metrics = match args.metrics_listen {
            Some(addr) => {
                let metrics = RunningServer::start(metrics_router(state.clone()), addr).await.map_err(failed)?;
                crate::emit(&format!("metrics on {}/metrics", metrics.url()));
                Some(metrics)
            }
            None => None,
        };
        let server = RunningServer::start(router(state), args.listen).await.map_err(failed)?;
        crate::emit(&format!("listening on {}", server.url()));
        shutdown.received().await;
        tracing::info!("shutting down");
        if let Some(expiry) = expiry {
            expiry.abort();
        }
        server.shutdown().await.map_err(failed)?;
        if let Some(metrics) = metrics {
            metrics.shutdown().await.map_err(failed)?;
        }
        Ok(())
    })
}

/// Logs to stderr; `RUST_LOG` overrides the default level.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only on a terminal: a log file or a journal gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr).try_init();
}

/// Ctrl-C, or SIGTERM on Unix, listened for from the moment it is installed.
struct ShutdownSignal {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl ShutdownSignal {
    fn install() -> std::io::Result<ShutdownSignal> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(ShutdownSignal { terminate: signal(SignalKind::terminate())?, interrupt: signal(SignalKind::interrupt())? })
        }
        #[cfg(not(unix))]
        Ok(ShutdownSignal {})
    }

    async fn received(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn database_urls_lose_their_credentials_in_messages() {
        assert_eq!(redact("postgres://ec:s3cret@db:5432/edgecost"), "postgres://***@db:5432/edgecost");
        assert_eq!(redact("sqlite:///home/a/edgecost.db"), "sqlite:///home/a/edgecost.db");
        assert_eq!(redact("sqlite:///tmp/a@b.db"), "sqlite:///tmp/a@b.db");
    }
}
