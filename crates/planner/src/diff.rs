//! A cost diff of two plans, like the cost change of a pull request.

use std::collections::{HashMap, HashSet};

use edgecost_pricing::Decimal;
use serde::{Deserialize, Serialize};

use crate::estimate::{CostShare, Estimate};

/// How a route changed between two plans.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// A route only the new plan has.
    Added,
    /// A route only the old plan has.
    Removed,
    /// A route in both plans whose cost or usage differs.
    Changed,
    /// A route in both plans with the same cost and usage.
    Unchanged,
}

/// One route's monthly cost before and after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteDiff {
    /// The route's path.
    pub path: String,
    /// What happened to the route between the plans.
    pub change: Change,
    /// The route's monthly cost in the old plan (0 when added).
    pub old_cost: Decimal,
    /// The route's monthly cost in the new plan (0 when removed).
    pub new_cost: Decimal,
    /// new_cost - old_cost.
    pub cost_change: Decimal,
    /// Requests a month in the old plan.
    pub old_requests: Decimal,
    /// Requests a month in the new plan.
    pub new_requests: Decimal,
    /// Billable egress in GB (region-weighted) in the old plan.
    pub old_billable_egress_gb: Decimal,
    /// Billable egress in GB (region-weighted) in the new plan.
    pub new_billable_egress_gb: Decimal,
    /// Compute seconds a month in the old plan.
    pub old_compute_seconds: Decimal,
    /// Compute seconds a month in the new plan.
    pub new_compute_seconds: Decimal,
}

/// The monthly cost change between two estimates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanDiff {
    /// The old plan's tier.
    pub old_tier: String,
    /// The new plan's tier.
    pub new_tier: String,
    /// The old plan's monthly bill.
    pub old_total: Decimal,
    /// The new plan's monthly bill.
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
