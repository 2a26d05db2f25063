//! "Start from my account": a plan calibrated from the signed-in (or demo) account's measured
//! per-route telemetry, read page by page from the account API's usage log.

use edgecost_api::UsageLogQuery;
use edgecost_client::ClientError;
use edgecost_planner::{UsageRecord, plan_from_usage};
use edgecost_pricing::PriceBook;

use crate::error::DesktopError;
use crate::plan_session::PlanSession;
use crate::remote::AccountConnection;

/// Records asked for per page (the API's largest page).
pub const USAGE_LOG_PAGE_RECORDS: u32 = 500;
/// The most pages read: a bound on the calibration's memory and time (1,000,000 records).
pub const USAGE_LOG_PAGES_MAX: usize = 2_000;

fn client_error(url: &str, e: ClientError) -> DesktopError {
    match e {
        ClientError::Network { detail, .. } => DesktopError::Network { url: url.to_owned(), detail },
        ClientError::Unauthorized { code, .. } => DesktopError::Unauthorized { code },
        ClientError::InvalidUrl { .. } => DesktopError::BadServerUrl { url: url.to_owned() },
        ClientError::Rejected { status, code, message } | ClientError::Server { status, code, message } => {
            DesktopError::Server { status, code, message }
        }
        ClientError::UnexpectedBody { status, detail } => DesktopError::BadAnswer { detail: format!("HTTP {status}: {detail}") },
    }
}

/// Every telemetry record of the account's usage log, as the planner's usage records.
pub async fn usage_records(connection: &AccountConnection) -> Result<Vec<UsageRecord>, DesktopError> {
    let url = connection.server_url();
    let mut records = Vec::new();
    let mut cursor = None;
    for _ in 0..USAGE_LOG_PAGES_MAX {
        let query = UsageLogQuery { cursor, limit: Some(USAGE_LOG_PAGE_RECORDS) };
        let page = connection.client().usage_log(&query).await.map_err(|e| client_error(url, e))?;
        records.extend(page.records.into_iter().map(|r| UsageRecord {
            route: r.route,
            region: r.region,
            window_start: r.window_start.to_rfc3339(),
            window_seconds: r.window_seconds,
            requests: r.requests,
            compute_ms: r.compute_ms,
            egress_bytes: r.egress_bytes,
        }));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(records),
        }
    }
    Err(DesktopError::Plan(edgecost_planner::PlanError::Bound {
        what: "usage log pages",
        value: USAGE_LOG_PAGES_MAX as u64 + 1,
        max: USAGE_LOG_PAGES_MAX as u64,
    }))
}

impl PlanSession {
    /// A plan on the account's own tier, calibrated from its measured usage. It has no file
    /// until it is saved.
    pub async fn from_account(connection: &AccountConnection) -> Result<PlanSession, DesktopError> {
        let account = connection.account().await?;
        let records = usage_records(connection).await?;
        if records.is_empty() {
            return Err(DesktopError::Plan(edgecost_planner::PlanError::NoUsage { file: connection.server_url().to_owned() }));
        }
        let plan = plan_from_usage(&records, &account.tier, PriceBook::published())?;
        PlanSession::new(plan, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo engine on loopback: the plan built from its usage log has its routes, its tier,
    /// and a bill equal to a fresh estimate of that plan.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_plan_starts_from_the_demo_accounts_measured_routes() {
        let dir = tempfile::tempdir().unwrap();
        // A pinned mid-month instant: the demo's figures never depend on when the test runs.
        let now = chrono::DateTime::parse_from_rfc3339("2026-06-17T14:25:00Z").unwrap().to_utc();
        let demo = crate::DemoServer::start(dir.path(), now, edgecost_server::Clock::manual(now)).await.unwrap();
        let connection = AccountConnection::new(&demo.url(), demo.token()).unwrap();
        let records = usage_records(&connection).await.unwrap();
        assert!(records.len() > USAGE_LOG_PAGE_RECORDS as usize, "the log is read past its first page");
        let mut session = PlanSession::from_account(&connection).await.unwrap();
        let summary = session.summary().unwrap();
        assert_eq!(summary.tier, connection.account().await.unwrap().tier);
        assert!(summary.dirty && summary.file.is_none());
        let rows = session.rows(0, 50).unwrap();
        let mut paths: Vec<&str> = rows.rows.iter().map(|r| r.fields.path.as_str()).collect();
        paths.sort_unstable();
        let mut measured: Vec<&str> = records.iter().map(|r| r.route.as_str()).collect();
        measured.sort_unstable();
        measured.dedup();
        assert_eq!(paths, measured);
        let fresh = edgecost_planner::Estimator::new(session.plan().clone(), PriceBook::published()).unwrap();
        assert_eq!(summary.bill.total, edgecost_pricing::format::money(fresh.bill().unwrap().total));
        demo.stop().await.unwrap();
    }
}
