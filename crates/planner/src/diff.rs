//! A cost diff of two plans, like the cost change of a pull request.

use std::collections::{HashMap, HashSet};

use edgecost_pricing::Decimal;
use serde::{Deserialize, Serialize};

use crate::estimate::{CostShare, Estimate};

/// How a route changed between two plans.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Added,
    Removed,
    Changed,
    Unchanged,
}

/// One route's monthly cost before and after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteDiff {
    pub path: String,
    pub change: Change,
    pub old_cost: Decimal,
    pub new_cost: Decimal,
    /// new_cost - old_cost.
    pub cost_change: Decimal,
    pub old_requests: Decimal,
    pub new_requests: Decimal,
    pub old_billable_egress_gb: Decimal,
    pub new_billable_egress_gb: Decimal,
    pub old_compute_seconds: Decimal,
    pub new_compute_seconds: Decimal,
}

/// The monthly cost change between two estimates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanDiff {
    pub old_tier: String,
    pub new_tier: String,
    pub old_total: Decimal,
    pub new_total: Decimal,
    /// new_total - old_total.
    pub total_change: Decimal,
    /// Routes in the new plan's order, then the removed ones in the old plan's order.
    pub routes: Vec<RouteDiff>,
}

/// Compares two estimates route by route (matched by path).
pub fn diff(old: &Estimate, new: &Estimate) -> PlanDiff {
    let zero = Decimal::new(0, 2);
    let old_by_path: HashMap<&str, &CostShare> = old.routes.iter().map(|r| (r.name.as_str(), r)).collect();
    let new_paths: HashSet<&str> = new.routes.iter().map(|r| r.name.as_str()).collect();
    let mut routes = Vec::with_capacity(new.routes.len());
    for n in &new.routes {
        routes.push(route_diff(old_by_path.get(n.name.as_str()).copied(), Some(n), zero));
    }
    for o in old.routes.iter().filter(|o| !new_paths.contains(o.name.as_str())) {
        routes.push(route_diff(Some(o), None, zero));
    }
    PlanDiff {
        old_tier: old.tier.clone(),
        new_tier: new.tier.clone(),
        old_total: old.bill.total,
        new_total: new.bill.total,
        total_change: new.bill.total - old.bill.total,
        routes,
    }
}

fn route_diff(old: Option<&CostShare>, new: Option<&CostShare>, zero: Decimal) -> RouteDiff {
    let cost = |s: Option<&CostShare>| s.map_or(zero, |s| s.cost);
    let usage = |s: Option<&CostShare>, f: fn(&CostShare) -> Decimal| s.map_or(Decimal::ZERO, f);
    let change = match (old, new) {
        (None, _) => Change::Added,
        (_, None) => Change::Removed,
        (Some(o), Some(n)) if o.usage == n.usage && o.cost == n.cost => Change::Unchanged,
        _ => Change::Changed,
    };
    RouteDiff {
        path: old.or(new).map(|s| s.name.clone()).unwrap_or_default(),
        change,
        old_cost: cost(old),
        new_cost: cost(new),
        cost_change: cost(new) - cost(old),
        old_requests: usage(old, |s| s.usage.requests),
        new_requests: usage(new, |s| s.usage.requests),
        old_billable_egress_gb: usage(old, |s| s.usage.billable_egress_gb),
        new_billable_egress_gb: usage(new, |s| s.usage.billable_egress_gb),
        old_compute_seconds: usage(old, |s| s.usage.compute_seconds),
        new_compute_seconds: usage(new, |s| s.usage.compute_seconds),
    }
}
