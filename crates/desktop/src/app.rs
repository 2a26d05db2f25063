//! The app's state and the bodies of its commands, free of Tauri so tests drive them directly.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use edgecost_api::Granularity;
use edgecost_server::Clock;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::chart::{ChartId, ExportFormat};
use crate::dashboard::DashboardView;
use crate::demo::DemoServer;
use crate::error::DesktopError;
use crate::invoices::{InvoiceCache, InvoiceDetailView, InvoiceFormat, InvoiceListView};
use crate::operator::{OperatorChartId, OperatorChartImage, OperatorView};
use crate::operator_session::{Opened, OperatorLive, is_operator_token};
use crate::remote::{AccountConnection, normalize_server_url};
use crate::session::{LastServer, Session, SessionFile};
use crate::snapshot::{ChartRange, Door, Snapshot, SnapshotCache, fetch_snapshot};
use crate::vault::TokenVault;
use crate::what_if::WhatIfView;

/// What the app shows first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Startup {
    /// The remembered door, `None` on first run.
    pub door: Option<Door>,
    /// The cached dashboard, shown at once while a sync runs.
    pub dashboard: Option<DashboardView>,
    /// Why a remembered sign-in could not be restored (e.g. the keyring is locked).
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// The server URL an account was last connected to, also after sign-out: the sign-in
    /// form starts with it.
    pub server_url: Option<String>,
}

/// Where the app's data lives and what it is connected to now.
pub struct App {
    data_dir: PathBuf,
    vault: TokenVault,
    session_file: SessionFile,
    last_server: LastServer,
    cache: SnapshotCache,
    invoices: InvoiceCache,
    live: Mutex<Live>,
    demo: Mutex<Option<DemoServer>>,
    operator: Mutex<OperatorLive>,
    /// What the demo engine's API reads as the time.
    clock: Clock,
}

#[derive(Default)]
struct Live {
    connection: Option<(Door, AccountConnection)>,
    snapshot: Option<Snapshot>,
    last_failure: Option<DesktopError>,
    range: Option<(ChartRange, Granularity)>,
}

impl App {
    /// The app over `data_dir` (created when missing), with tokens in `vault`; its demo engine
    /// reads the system clock.
    pub fn new(data_dir: &Path, vault: TokenVault) -> App {
        App::with_clock(data_dir, vault, Clock::system())
    }

    /// [`App::new`] with the demo engine's API reading the time from `clock`. The app's own
    /// operations take `now` from their caller; a test pins both to one instant (a
    /// [`Clock::manual`] at the `now` it passes), so the demo it seeds and the figures its
    /// server answers belong to the same period whenever the test runs. The desktop shell
    /// always uses [`App::new`]: nothing a person sets moves the demo's time.
    pub fn with_clock(data_dir: &Path, vault: TokenVault, clock: Clock) -> App {
        App {
            data_dir: data_dir.to_owned(),
            vault,
            session_file: SessionFile::in_dir(data_dir),
            last_server: LastServer::in_dir(data_dir),
            cache: SnapshotCache::in_dir(data_dir),
            invoices: InvoiceCache::in_dir(data_dir),
            live: Mutex::new(Live::default()),
            demo: Mutex::new(None),
            operator: Mutex::new(OperatorLive::default()),
            clock,
        }
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Restores the last session: the cached dashboard at once and, for an account, the token
    /// from the keyring. Never touches the network.
    pub async fn startup(&self) -> Startup {
        let mut live = self.live.lock().await;
        let server_url = self.last_server_url();
        let Some(session) = self.session_file.load() else {
            return Startup { door: None, dashboard: None, error_code: None, error_message: None, server_url };
        };
        let cached = self.cache.load().filter(|s| s.door == session.door);
        live.snapshot = cached.clone();
        let restored = match (session.door, session.server_url.as_deref()) {
            (Door::Account, Some(url)) => self.restore_account(url),
            (Door::Operator, Some(url)) => self.restore_account(url).map(|connection| {
                // The operator's dashboard reads its report when it opens; no sync runs.
                if let Some(connection) = connection {
                    self.operator.try_lock().expect("nothing else runs at startup").restore(Door::Operator, connection);
                }
                None
            }),
            // The demo engine is started again by `start_demo`; it never needs a stored token.
            (Door::Demo, _) => Ok(None),
            (Door::Account | Door::Operator, None) => Err(DesktopError::NotSignedIn),
        };
        match restored {
            Ok(connection) => {
                live.connection = connection.map(|c| (session.door, c));
                Startup {
                    door: Some(session.door),
                    dashboard: cached.as_ref().map(|s| DashboardView::of(s, None)),
                    error_code: None,
                    error_message: None,
                    server_url,
                }
            }
            Err(e) => Startup {
                door: None,
                dashboard: None,
                error_code: Some(e.code().to_owned()),
                error_message: Some(e.to_string()),
                server_url,
            },
        }
    }

    /// The server URL an account was last connected to, kept after sign-out.
    pub fn last_server_url(&self) -> Option<String> {
        self.last_server.load()
    }

    fn restore_account(&self, url: &str) -> Result<Option<AccountConnection>, DesktopError> {
        let token = self.vault.load(url)?.ok_or(DesktopError::NotSignedIn)?;
        AccountConnection::new(url, &token).map(Some)
    }

    /// Door 1: checks `token` against the server, then stores it in the keyring. Nothing is
    /// stored when the check or the keyring fails. The server URL is normalized first (see
    /// [`normalize_server_url`]) and remembered for the sign-in form.
    pub async fn connect(&self, server_url: &str, token: &str, now: DateTime<Utc>) -> Result<DashboardView, DesktopError> {
        let url = normalize_server_url(server_url)?;
        let connection = AccountConnection::new(&url, token)?;
        connection.check().await?;
        self.vault.store(&url, token.trim())?;
        self.last_server.save(&url)?;
        self.session_file.save(&Session { door: Door::Account, server_url: Some(url) })?;
        self.open(Door::Account, connection, now).await
    }

    /// The sign-in form: an operator token opens the operator's dashboard
    /// ([`App::connect_operator`]), any other the account's ([`App::connect`]).
    pub async fn sign_in(&self, server_url: &str, token: &str, now: DateTime<Utc>) -> Result<Opened, DesktopError> {
        if is_operator_token(token) {
            Ok(Opened::Operator { operator: Box::new(self.connect_operator(server_url, token).await?) })
        } else {
            Ok(Opened::Account { dashboard: Box::new(self.connect(server_url, token, now).await?) })
        }
    }

    /// Signs in as the service's operator: reads the report with `token`, then stores the
    /// token in the keyring. Nothing is stored when the report or the keyring fails.
    pub async fn connect_operator(&self, server_url: &str, token: &str) -> Result<OperatorView, DesktopError> {
        let url = normalize_server_url(server_url)?;
        let connection = AccountConnection::new(&url, token)?;
        let mut operator = self.operator.lock().await;
        let view = operator.open(Door::Operator, connection).await?;
        let stored = self
            .vault
            .store(&url, token.trim())
            .and_then(|()| self.last_server.save(&url))
            .and_then(|()| self.session_file.save(&Session { door: Door::Operator, server_url: Some(url) }));
        if let Err(e) = stored {
            operator.clear();
            return Err(e);
        }
        Ok(view)
    }

    /// The demo's operator: the operator's dashboard over the demo engine (started when it
    /// is not running). The demo stays the remembered door.
    pub async fn open_demo_operator(&self, now: DateTime<Utc>) -> Result<OperatorView, DesktopError> {
        let connection = {
            let mut demo = self.demo.lock().await;
            if demo.is_none() {
                *demo = Some(DemoServer::start(&self.data_dir, now, self.clock.clone()).await?);
            }
            let server = demo.as_ref().expect("started above");
            let token = server.operator_token().ok_or(DesktopError::DemoWithoutOperator)?;
            AccountConnection::new(&server.url(), token)?
        };
        self.operator.lock().await.open(Door::Demo, connection).await
    }

    /// The operator's dashboard with the report read again.
    pub async fn operator_view(&self) -> Result<OperatorView, DesktopError> {
        self.operator.lock().await.refresh().await
    }

    /// Chart `id` of the operator's dashboard drawn `width_px` wide (the width the UI shows it
    /// at), with a text of what it shows.
    pub async fn operator_chart(&self, id: OperatorChartId, dark: bool, width_px: u32) -> Result<OperatorChartImage, DesktopError> {
        self.operator.lock().await.chart_image(id, dark, width_px)
    }

    /// The what-if of the price book file at `path` (picked by the person in a file dialog)
    /// over the last `months` closed months.
    pub async fn what_if(&self, path: &Path, months: u32) -> Result<WhatIfView, DesktopError> {
        self.operator.lock().await.what_if(path, months).await
    }

    /// Door 2 (and reopening the demo): starts the engine in-process on the demo database as
    /// the last run left it (seeded at `now` the first time, its traffic topped up to `now`
    /// after), and opens its demo account. Starting it again while it runs reuses the running
    /// engine.
    pub async fn start_demo(&self, now: DateTime<Utc>) -> Result<DashboardView, DesktopError> {
        let connection = {
            let mut demo = self.demo.lock().await;
            if demo.is_none() {
                *demo = Some(DemoServer::start(&self.data_dir, now, self.clock.clone()).await?);
            }
            let server = demo.as_ref().expect("started above");
            AccountConnection::new(&server.url(), server.token())?
        };
        self.session_file.save(&Session { door: Door::Demo, server_url: None })?;
        self.open(Door::Demo, connection, now).await
    }

    /// "Reset demo": stops the demo engine, starts it over on a fresh database seeded at
    /// `now`, and opens it. Purchases and upgrades made in the demo are gone.
    pub async fn reset_demo(&self, now: DateTime<Utc>) -> Result<DashboardView, DesktopError> {
        let connection = {
            let mut demo = self.demo.lock().await;
            if let Some(running) = demo.take() {
                running.stop().await?;
            }
            let server = DemoServer::reset(&self.data_dir, now, self.clock.clone()).await?;
            let connection = AccountConnection::new(&server.url(), server.token())?;
            *demo = Some(server);
            connection
        };
        self.invoices.clear()?;
        {
            // The last demo's figures must not show while the new one syncs, nor stay offline.
            let mut live = self.live.lock().await;
            live.snapshot = None;
            live.last_failure = None;
        }
        self.session_file.save(&Session { door: Door::Demo, server_url: None })?;
        self.open(Door::Demo, connection, now).await
    }

    async fn open(&self, door: Door, connection: AccountConnection, now: DateTime<Utc>) -> Result<DashboardView, DesktopError> {
        let mut live = self.live.lock().await;
        if live.snapshot.as_ref().is_some_and(|s| s.door != door || s.server_url != connection.server_url()) {
            live.snapshot = None;
        }
        live.connection = Some((door, connection));
        self.sync_locked(&mut live, now).await
    }

    /// Stops the demo engine and closes its database, as the app quits; the session, the
    /// caches and the demo's state stay for the next start.
    pub async fn shut_down(&self) -> Result<(), DesktopError> {
        match self.demo.lock().await.take() {
            Some(demo) => demo.stop().await,
            None => Ok(()),
        }
    }

    /// Signs out: the token leaves the keyring, the session and the cached data are removed.
    pub async fn sign_out(&self) -> Result<(), DesktopError> {
        let mut live = self.live.lock().await;
        if let Some(Session { server_url: Some(url), .. }) = self.session_file.load() {
            self.vault.delete(&url)?;
        }
        self.session_file.clear()?;
        self.cache.clear()?;
        self.invoices.clear()?;
        *live = Live::default();
        self.operator.lock().await.clear();
        if let Some(demo) = self.demo.lock().await.take() {
            demo.stop().await?;
        }
        Ok(())
    }

    /// Sets the chart range and syncs.
    pub async fn set_range(&self, range: ChartRange, granularity: Granularity, now: DateTime<Utc>) -> Result<DashboardView, DesktopError> {
        let mut live = self.live.lock().await;
        live.range = Some((range, granularity));
        self.sync_locked(&mut live, now).await
    }

    /// Fetches a fresh snapshot. When the server cannot be reached, fails, or rejects the token
    /// and a snapshot is cached, the answer is that snapshot marked with the failure (offline,
    /// or token rejected), not an error.
    pub async fn sync(&self, now: DateTime<Utc>) -> Result<DashboardView, DesktopError> {
        let mut live = self.live.lock().await;
        self.sync_locked(&mut live, now).await
    }

    async fn sync_locked(&self, live: &mut Live, now: DateTime<Utc>) -> Result<DashboardView, DesktopError> {
        let Some((door, connection)) = live.connection.clone() else {
            return Err(DesktopError::NotSignedIn);
        };
        let (range, granularity) = live
            .range
            .or_else(|| live.snapshot.as_ref().map(|s| (s.range, s.granularity)))
            .unwrap_or((ChartRange::Period, Granularity::Day));
        match fetch_snapshot(&connection, door, range, granularity, now).await {
            Ok(snapshot) => {
                self.cache.save(&snapshot)?;
                let view = DashboardView::of(&snapshot, None);
                live.snapshot = Some(snapshot);
                live.last_failure = None;
                Ok(view)
            }
            Err(e) => match &live.snapshot {
                Some(snapshot) if e.is_offline() || matches!(e, DesktopError::Server { .. } | DesktopError::Unauthorized { .. }) => {
                    let view = DashboardView::of(snapshot, Some(&e));
                    live.last_failure = Some(e);
                    Ok(view)
                }
                _ => Err(e),
            },
        }
    }

    /// The dashboard as last synced, with the last sync failure if any.
    pub async fn dashboard(&self) -> Result<DashboardView, DesktopError> {
        let live = self.live.lock().await;
        let snapshot = live.snapshot.as_ref().ok_or(DesktopError::NoSnapshot)?;
        Ok(DashboardView::of(snapshot, live.last_failure.as_ref()))
    }

    /// A copy of the last snapshot, for charts and exports.
    pub async fn snapshot(&self) -> Result<Snapshot, DesktopError> {
        self.live.lock().await.snapshot.clone().ok_or(DesktopError::NoSnapshot)
    }

    /// The chart `id` of the last snapshot as SVG, drawn `width_px` wide (the width the UI
    /// shows it at).
    pub async fn chart_svg(&self, id: ChartId, dark: bool, width_px: u32) -> Result<String, DesktopError> {
        let live = self.live.lock().await;
        let snapshot = live.snapshot.as_ref().ok_or(DesktopError::NoSnapshot)?;
        crate::chart::chart_svg(snapshot, id, dark, width_px)
    }

    /// Writes an export of chart `id` to `path` (chosen by the person in a save dialog).
    pub async fn export_chart(&self, id: ChartId, format: ExportFormat, dark: bool, path: &Path) -> Result<(), DesktopError> {
        let bytes = {
            let live = self.live.lock().await;
            let snapshot = live.snapshot.as_ref().ok_or(DesktopError::NoSnapshot)?;
            crate::chart::export_bytes(snapshot, id, format, dark)?
        };
        crate::files::write_atomically(path, &bytes)
    }

    /// The live connection, for actions on the account (upgrades, credit purchases). Refused
    /// while the server rejects the token: no money action starts until a new token is in.
    pub async fn connection(&self) -> Result<AccountConnection, DesktopError> {
        let live = self.live.lock().await;
        if let Some(DesktopError::Unauthorized { code }) = &live.last_failure {
            return Err(DesktopError::Unauthorized { code: code.clone() });
        }
        live.connection.as_ref().map(|(_, c)| c.clone()).ok_or(DesktopError::NotSignedIn)
    }

    /// The price book the account is billed with, as last synced (tier names, hard caps, the
    /// currency of invoices); the published one before the first sync.
    pub async fn account_book(&self) -> edgecost_pricing::PriceBook {
        let live = self.live.lock().await;
        live.snapshot.as_ref().map_or_else(|| edgecost_pricing::PriceBook::published().clone(), |s| s.book().clone())
    }

    /// The tier a new plan starts on: the signed-in (or demo) account's tier as last synced,
    /// or production when there is none or it has no published prices (custom tiers).
    pub async fn planning_tier(&self) -> String {
        // Plans are priced with the published book, so the tier must be one of its own.
        let book = edgecost_pricing::PriceBook::published();
        let live = self.live.lock().await;
        live.snapshot
            .as_ref()
            .map(|s| s.account.tier.clone())
            .filter(|tier| book.tier(tier).is_some_and(|t| t.is_rateable() && !t.custom))
            .unwrap_or_else(|| "production".to_owned())
    }

    /// Whether a connection is live (an account signed in, or the demo running).
    pub async fn is_connected(&self) -> bool {
        self.live.lock().await.connection.is_some()
    }

    /// The invoice list, newest first. When the server cannot be reached, the list as last
    /// fetched, marked offline with its time.
    pub async fn invoices(&self, now: DateTime<Utc>) -> Result<InvoiceListView, DesktopError> {
        let (door, connection, period_end) = self.invoice_context().await?;
        let mut file = self.invoices.load(door, connection.server_url());
        let book = &self.account_book().await;
        match crate::invoices::fetch_invoice_list(&connection).await {
            Ok(list) => {
                file.invoices = list;
                file.fetched_at = Some(now);
                // Pack names are a nicety: an invoice still shows its pack ids without them.
                if let Ok(ledger) = connection.credits().await {
                    file.packs = crate::invoices::pack_names(&ledger, book.credit_pack.credit);
                }
                self.invoices.save(&file)?;
                Ok(crate::invoices::list_view(book, &file, period_end, None))
            }
            Err(e) if file.fetched_at.is_some() && (e.is_offline() || matches!(e, DesktopError::Server { .. })) => {
                Ok(crate::invoices::list_view(book, &file, period_end, Some(&e)))
            }
            Err(e) => Err(e),
        }
    }

    /// One invoice with its lines. Invoices never change once issued, only their payments do:
    /// a fetched one is answered from the cache while the list shows the same payments (and
    /// offline), and fetched again once the list shows more.
    pub async fn invoice(&self, id: &str) -> Result<InvoiceDetailView, DesktopError> {
        let (door, connection, _) = self.invoice_context().await?;
        let mut file = self.invoices.load(door, connection.server_url());
        let cached = file.details.get(id).cloned();
        let listed = file.invoices.iter().find(|s| s.id == id);
        let current = cached.clone().filter(|c| listed.is_none_or(|s| *s == c.summary()));
        let invoice = match current {
            Some(invoice) => invoice,
            None => match connection.invoice(id).await {
                Ok(invoice) => {
                    file.details.insert(id.to_owned(), invoice.clone());
                    self.invoices.save(&file)?;
                    invoice
                }
                Err(e) if e.is_offline() && cached.is_some() => cached.expect("checked"),
                Err(e) => return Err(e),
            },
        };
        Ok(crate::invoices::invoice_detail(&self.account_book().await, &invoice, &file.packs))
    }

    /// Writes invoice `id` as CSV or PDF to `path` (chosen by the person in a save dialog).
    pub async fn export_invoice(&self, id: &str, format: InvoiceFormat, path: &Path) -> Result<(), DesktopError> {
        let detail = self.invoice(id).await?;
        let bytes = match format {
            InvoiceFormat::Csv => crate::invoices::invoice_csv(&detail)?.into_bytes(),
            InvoiceFormat::Pdf => {
                let label = {
                    let live = self.live.lock().await;
                    live.snapshot.as_ref().map_or_else(String::new, |s| format!("Account: {} ({})", s.account.name, s.account.account_id))
                };
                crate::invoices::invoice_pdf(&detail, &label)
            }
        };
        crate::files::write_atomically(path, &bytes)
    }

    /// The door and connection invoices are read through, and the current period's end.
    async fn invoice_context(&self) -> Result<(Door, AccountConnection, Option<DateTime<Utc>>), DesktopError> {
        let live = self.live.lock().await;
        let (door, connection) = live.connection.clone().ok_or(DesktopError::NotSignedIn)?;
        let period_end = live.snapshot.as_ref().map(|s| s.account.period.end);
        Ok((door, connection, period_end))
    }
}
