//! The dashboard's data as last synced, and its cache file in the app data folder.
//!
//! The cache lets the dashboard open instantly and offline. It holds what the server answered
//! and never the token (the token is not part of any answer).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use edgecost_api::{
    AccountSummary, AutoTopUpStatus, BillToDate, BudgetStatus, Granularity, OutlookReport, RouteCostReport, UsageGrouping, UsageSeries,
};
use edgecost_pricing::PriceBook;
use serde::{Deserialize, Serialize};

use crate::error::DesktopError;
use crate::remote::AccountConnection;

/// The span of the charts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ChartRange {
    /// The current billing period so far.
    Period,
    Days7,
    Days30,
    Days90,
    /// A span of its own, such as a closed period an invoice bills (to reconcile the invoice
    /// against its usage).
    Between {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
}

impl ChartRange {
    /// `[from, to)` of the range ending at `now`; the period starts at `period_start`.
    pub fn span(self, period_start: DateTime<Utc>, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let from = match self {
            ChartRange::Period => period_start,
            ChartRange::Days7 => now - Duration::days(7),
            ChartRange::Days30 => now - Duration::days(30),
            ChartRange::Days90 => now - Duration::days(90),
            ChartRange::Between { from, to } => {
                let to = to.min(now);
                return (from.min(to), to);
            }
        };
        (from.min(now), now)
    }
}

/// Which door the data came through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Door {
    /// A signed-in account on a server.
    Account,
    /// The demo engine running inside the app.
    Demo,
    /// An operator signed in on a server with an operator token: the operator's dashboard.
    Operator,
}

/// Everything the dashboard shows, as the server answered it at `synced_at`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub door: Door,
    pub server_url: String,
    pub synced_at: DateTime<Utc>,
    pub range: ChartRange,
    pub granularity: Granularity,
    pub account: AccountSummary,
    pub bill: BillToDate,
    pub usage_by_meter: UsageSeries,
    pub usage_by_region: UsageSeries,
    pub usage_by_route: UsageSeries,
    /// Route usage over the span of the same length just before the range, for "what changed".
    pub previous_by_route: UsageSeries,
    /// The engine's simulated outlook of the period (P50/P90); absent in caches written
    /// before it was fetched.
    #[serde(default, deserialize_with = "lenient")]
    pub outlook: Option<OutlookReport>,
    /// Cost by route of this period and the one before, as the engine attributes the bills.
    #[serde(default, deserialize_with = "lenient")]
    pub route_costs: Option<RouteCostReport>,
    /// The price book the account is billed with (region weights for the egress charts).
    #[serde(default, deserialize_with = "lenient")]
    pub price_book: Option<PriceBook>,
    /// The budget with its forecasts and open alerts; absent in caches written before it was
    /// fetched, and from a server without spend controls.
    #[serde(default, deserialize_with = "lenient")]
    pub budget: Option<BudgetStatus>,
    /// Automatic top-up with its open alerts; absent as the budget is.
    #[serde(default, deserialize_with = "lenient")]
    pub auto_top_up: Option<AutoTopUpStatus>,
}

/// An optional part of a cached snapshot that an older version wrote in another shape reads
/// as absent, to be fetched again at the next sync, rather than making the whole cache (and the
/// offline dashboard) unreadable.
fn lenient<'de, D: serde::Deserializer<'de>, T: serde::de::DeserializeOwned>(d: D) -> Result<Option<T>, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(serde_json::from_value(value).ok())
}

impl Snapshot {
    /// The price book the account is billed with; the published one for caches written
    /// before it was fetched.
    pub fn book(&self) -> &PriceBook {
        self.price_book.as_ref().unwrap_or_else(|| PriceBook::published())
    }
}

/// Fetches a fresh snapshot for `range` at `granularity`.
pub async fn fetch_snapshot(
    connection: &AccountConnection,
    door: Door,
    range: ChartRange,
    granularity: Granularity,
    now: DateTime<Utc>,
) -> Result<Snapshot, DesktopError> {
    let account = connection.account().await?;
    let (from, to) = range.span(account.period.start, now);
    let previous_from = from - (to - from);
    // Cost by route compares this period with the whole period before it.
    let previous_period_start = account.period.start - Duration::days(1);
    // The spend controls are pulled with every sync, so their alerts reach the dashboard and
    // the desktop notifications; a server without them answers 404 and the dashboard has none.
    let (bill, by_meter, by_region, by_route, previous, outlook, route_costs, price_book, budget, auto_top_up) = tokio::try_join!(
        connection.bill(),
        connection.usage(from, to, granularity, UsageGrouping::Meter),
        connection.usage(from, to, granularity, UsageGrouping::Region),
        connection.usage(from, to, granularity, UsageGrouping::Route),
        connection.usage(previous_from, from, granularity, UsageGrouping::Route),
        connection.outlook(),
        connection.route_costs(previous_period_start, now.max(previous_period_start + Duration::seconds(1))),
        connection.price_book(),
        absent_when_missing(connection.budget()),
        absent_when_missing(connection.auto_top_up()),
    )?;
    Ok(Snapshot {
        door,
        server_url: connection.server_url().to_owned(),
        synced_at: now,
        range,
        granularity,
        account,
        bill,
        usage_by_meter: by_meter,
        usage_by_region: by_region,
        usage_by_route: by_route,
        previous_by_route: previous,
        outlook: Some(outlook),
        route_costs: Some(route_costs),
        price_book: Some(price_book),
        budget,
        auto_top_up,
    })
}

/// `None` for a route the server does not have (HTTP 404).
async fn absent_when_missing<T>(read: impl std::future::Future<Output = Result<T, DesktopError>>) -> Result<Option<T>, DesktopError> {
    match read.await {
        Ok(value) => Ok(Some(value)),
        Err(DesktopError::Server { status: 404, .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The last snapshot on disk.
#[derive(Clone, Debug)]
pub struct SnapshotCache {
    path: PathBuf,
}

impl SnapshotCache {
    /// The cache file `snapshot.json` in `data_dir`.
    pub fn in_dir(data_dir: &Path) -> SnapshotCache {
        SnapshotCache { path: data_dir.join("snapshot.json") }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The cached snapshot; `None` when there is none or it is unreadable (a cache from an
    /// older version is simply replaced at the next sync).
    pub fn load(&self) -> Option<Snapshot> {
        crate::files::read_json(&self.path)
    }

    /// Writes the snapshot atomically: a crash mid-write leaves the previous one in place.
    pub fn save(&self, snapshot: &Snapshot) -> Result<(), DesktopError> {
        crate::files::write_json(&self.path, snapshot)
    }

    /// Removes the cache, as on sign-out.
    pub fn clear(&self) -> Result<(), DesktopError> {
        crate::files::remove_if_present(&self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_of_its_own_is_kept_and_never_reaches_past_now() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let now = t("2026-12-06T00:10:00Z");
        let november = ChartRange::Between { from: t("2026-11-01T00:00:00Z"), to: t("2026-12-01T00:00:00Z") };
        assert_eq!(november.span(t("2026-12-01T00:00:00Z"), now), (t("2026-11-01T00:00:00Z"), t("2026-12-01T00:00:00Z")));
        let later = ChartRange::Between { from: t("2026-12-01T00:00:00Z"), to: t("2027-01-01T00:00:00Z") };
        assert_eq!(later.span(t("2026-12-01T00:00:00Z"), now), (t("2026-12-01T00:00:00Z"), now));
        let json = serde_json::to_string(&november).unwrap();
        assert_eq!(json, r#"{"between":{"from":"2026-11-01T00:00:00Z","to":"2026-12-01T00:00:00Z"}}"#);
        assert_eq!(serde_json::from_str::<ChartRange>(r#""days7""#).unwrap(), ChartRange::Days7);
    }
}
