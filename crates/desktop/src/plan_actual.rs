//! Plan against measured usage: each route's monthly usage and cost as the plan says, beside
//! the same route as the account measured it (its usage log scaled to a 30-day month, the way
//! "Start from my account" calibrates a plan), both priced on the plan's tier with the same
//! estimator and attribution, the biggest differences first.

use std::collections::{BTreeMap, BTreeSet};

use edgecost_planner::{UsageRecord, plan_from_usage};
use edgecost_pricing::format::{money_in, quantity, signed_money_in};
use edgecost_pricing::{Decimal, PriceBook};
use rust_decimal::RoundingStrategy;
use serde::{Deserialize, Serialize};

use crate::error::DesktopError;
use crate::plan_session::{CHANGES_SHOWN_MAX, PlanSession};

/// A route's path, monthly requests and cost.
type RouteFigures = (String, Decimal, Decimal);

/// One route, as planned and as measured.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct RouteVsMeasured {
    pub path: String,
    /// Requests a month; `None` when the route is not in the plan (or was not measured).
    pub plan_requests: Option<String>,
    pub measured_requests: Option<String>,
    pub plan_cost: String,
    pub measured_cost: String,
    /// Plan minus measured, signed: positive when the plan expects more than was measured.
    pub cost_difference: String,
}

/// The whole comparison.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PlanVsMeasured {
    pub tier_label: String,
    /// How much measured time the month is scaled from, e.g. "45 days".
    pub observed: String,
    pub plan_total: String,
    pub measured_total: String,
    /// The biggest cost differences first (at most 50).
    pub routes: Vec<RouteVsMeasured>,
    /// How many routes there are in all, planned or measured.
    pub route_count: u32,
}

/// Compares the open plan with `records`, the account's measured usage.
pub fn plan_vs_measured(plan: &mut PlanSession, records: &[UsageRecord]) -> Result<PlanVsMeasured, DesktopError> {
    let book = PriceBook::published();
    let tier = plan.plan().tier.clone();
    let measured_plan = plan_from_usage(records, &tier, book)?;
    let mut measured = PlanSession::new(measured_plan, None)?;
    let planned = plan.route_figures()?;
    let actual = measured.route_figures()?;

    let mut routes: BTreeMap<&str, (Option<&RouteFigures>, Option<&RouteFigures>)> = BTreeMap::new();
    for r in &planned {
        routes.entry(r.0.as_str()).or_default().0 = Some(r);
    }
    for r in &actual {
        routes.entry(r.0.as_str()).or_default().1 = Some(r);
    }
    let mut rows: Vec<(Decimal, Decimal, RouteVsMeasured)> = routes
        .into_iter()
        .map(|(path, (p, m))| {
            let (p_req, p_cost) = p.map_or((None, Decimal::ZERO), |r| (Some(r.1), r.2));
            let (m_req, m_cost) = m.map_or((None, Decimal::ZERO), |r| (Some(r.1), r.2));
            let cost_delta = p_cost - m_cost;
            let req_delta = p_req.unwrap_or_default() - m_req.unwrap_or_default();
            let row = RouteVsMeasured {
                path: path.to_owned(),
                plan_requests: p_req.map(quantity),
                measured_requests: m_req.map(quantity),
                plan_cost: money_in(p_cost, &book.currency),
                measured_cost: money_in(m_cost, &book.currency),
                cost_difference: signed_money_in(cost_delta, &book.currency),
            };
            (cost_delta.abs(), req_delta.abs(), row)
        })
        .collect();
    rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.cmp(&a.1)).then_with(|| a.2.path.cmp(&b.2.path)));
    let route_count = rows.len() as u32;
    rows.truncate(CHANGES_SHOWN_MAX);
    let tier_label = book.tier(&tier).map(|t| t.display_name().to_owned()).unwrap_or(tier);
    Ok(PlanVsMeasured {
        tier_label,
        observed: observed(records),
        plan_total: plan.summary()?.bill.total,
        measured_total: measured.summary()?.bill.total,
        routes: rows.into_iter().map(|(_, _, r)| r).collect(),
        route_count,
    })
}

/// The measured time, as calibration counts it: distinct windows x their length.
fn observed(records: &[UsageRecord]) -> String {
    let windows: BTreeSet<(&str, u32)> = records.iter().map(|r| (r.window_start.as_str(), r.window_seconds)).collect();
    let seconds: u64 = windows.iter().map(|(_, s)| u64::from(*s)).sum();
    let days = (Decimal::from(seconds) / Decimal::from(86_400u32)).round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
    if days == Decimal::ONE { "1 day".to_owned() } else { format!("{} days", days.normalize()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan_session::PlanEdit;

    fn record(route: &str, hour: u32, requests: u64) -> UsageRecord {
        UsageRecord {
            route: route.into(),
            region: "na".into(),
            window_start: format!("2026-11-01T{hour:02}:00:00Z"),
            window_seconds: 3600,
            requests,
            compute_ms: requests * 2,
            egress_bytes: requests * 1000,
        }
    }

    #[test]
    fn routes_side_by_side_biggest_difference_first() {
        // 24 measured hours: /api 10,000 requests an hour, /old 100 an hour.
        let records: Vec<UsageRecord> = (0..24).flat_map(|h| [record("/api", h, 10_000), record("/old", h, 100)]).collect();
        let yaml = "tier: production\nregions: {na: 1}\nroutes:\n  - {path: /api, requests_per_month: 1000000, compute_ms: 2, response_bytes: 1000}\n  - {path: /new, requests_per_month: 50000, compute_ms: 1, response_bytes: 100}\n";
        let mut plan = PlanSession::untitled(yaml).unwrap();
        let report = plan_vs_measured(&mut plan, &records).unwrap();

        assert_eq!(report.observed, "1 day");
        assert_eq!(report.route_count, 3);
        let paths: Vec<&str> = report.routes.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(paths[0], "/api", "measured 7.2M a month against 1M planned: the biggest difference");
        let api = &report.routes[0];
        assert_eq!(api.plan_requests.as_deref(), Some("1,000,000"));
        assert_eq!(api.measured_requests.as_deref(), Some("7,200,000"));
        assert!(api.cost_difference.starts_with('-'), "{api:?}");
        let new = report.routes.iter().find(|r| r.path == "/new").unwrap();
        assert_eq!(new.measured_requests, None, "planned, never measured");
        let old = report.routes.iter().find(|r| r.path == "/old").unwrap();
        assert_eq!(old.plan_requests, None, "measured, not in the plan");
        assert_eq!(report.plan_total, plan.summary().unwrap().bill.total);

        // The comparison follows the plan's edits.
        plan.apply(PlanEdit::SetTier { tier: "scale".into() }).unwrap();
        assert_eq!(plan_vs_measured(&mut plan, &records).unwrap().tier_label, "Scale");
    }
}
