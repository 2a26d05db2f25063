//! A cost diff of two plans, like the cost change of a pull request.
//!
//! A route's attributed cost can move without anyone touching it: the overage of each meter is
//! split over every route by its share of the meter, so an edit to one route, or another tier,
//! moves the shares of the others. The diff therefore tells a route whose plan entry was edited
//! ([`Change::Edited`], with the fields that differ) from one whose cost moved only with other
//! edits ([`Change::CostMoved`]), so a reviewer never reads the second as an edit.

use std::collections::{BTreeMap, HashMap, HashSet};

use edgecost_pricing::Decimal;
use serde::{Deserialize, Serialize};

use crate::estimate::{CostShare, Estimate};
use crate::plan::{Plan, Route};

/// How a route changed between two plans.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// A route only the new plan has.
    Added,
    /// A route only the old plan has.
    Removed,
    /// A route in both plans whose plan entry differs (see [`RouteDiff::edited`]).
    Edited,
    /// A route in both plans whose entry is the same but whose cost (or usage) differs: the
    /// overage was split again after other routes' edits or a tier change, or a middleware
    /// entry or region split it uses was edited.
    CostMoved,
    /// A route in both plans with the same entry, cost and usage.
    Unchanged,
}

/// One route's monthly cost before and after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteDiff {
    /// The route's path.
    pub path: String,
    /// What happened to the route between the plans.
    pub change: Change,
    /// The fields of the route's plan entry that differ (`requests_per_month`, `compute_ms`,
    /// ...), in the plan format's order; empty unless the route was edited.
    pub edited: Vec<String>,
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

/// Compares two plans and their estimates route by route (matched by path): each estimate
/// must be the estimate of the plan beside it.
pub fn diff(old_plan: &Plan, old: &Estimate, new_plan: &Plan, new: &Estimate) -> PlanDiff {
    // An estimate lists its plan's routes in order; zipping a mismatched pair would pair a
    // route with another's cost.
    assert_eq!(old_plan.routes.len(), old.routes.len(), "the old estimate is of another plan");
    assert_eq!(new_plan.routes.len(), new.routes.len(), "the new estimate is of another plan");
    let zero = Decimal::new(0, 2);
    let old_by_path: HashMap<&str, (&Route, &CostShare)> =
        old_plan.routes.iter().zip(&old.routes).map(|(r, s)| (s.name.as_str(), (r, s))).collect();
    let new_paths: HashSet<&str> = new.routes.iter().map(|r| r.name.as_str()).collect();
    let mut routes = Vec::with_capacity(new.routes.len());
    for n in new_plan.routes.iter().zip(&new.routes) {
        routes.push(route_diff(old_by_path.get(n.1.name.as_str()).copied(), Some(n), zero));
    }
    for o in old_plan.routes.iter().zip(&old.routes).filter(|(_, o)| !new_paths.contains(o.name.as_str())) {
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

type Side<'a> = Option<(&'a Route, &'a CostShare)>;

fn route_diff(old_side: Side, new_side: Side, zero: Decimal) -> RouteDiff {
    let (old, new) = (old_side.map(|(_, s)| s), new_side.map(|(_, s)| s));
    let cost = |s: Option<&CostShare>| s.map_or(zero, |s| s.cost);
    let usage = |s: Option<&CostShare>, f: fn(&CostShare) -> Decimal| s.map_or(Decimal::ZERO, f);
    let edited = match (old_side, new_side) {
        (Some((o, _)), Some((n, _))) => edited_fields(o, n),
        _ => Vec::new(),
    };
    let change = match (old, new) {
        (None, _) => Change::Added,
        (_, None) => Change::Removed,
        _ if !edited.is_empty() => Change::Edited,
        (Some(o), Some(n)) if o.usage == n.usage && o.cost == n.cost => Change::Unchanged,
        _ => Change::CostMoved,
    };
    RouteDiff {
        path: old.or(new).map(|s| s.name.clone()).unwrap_or_default(),
        change,
        edited,
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

/// How a route changed, in the words every view of a diff uses: `added`, `removed`, `edited
/// (compute_ms, middleware)` naming the fields of the entry that differ, `cost moved` for a
/// route nobody edited whose cost moved with other edits, and `unchanged`.
pub fn change_label(change: Change, edited: &[String]) -> String {
    match change {
        Change::Added => "added".to_owned(),
        Change::Removed => "removed".to_owned(),
        Change::Edited => format!("edited ({})", edited.join(", ")),
        Change::CostMoved => "cost moved".to_owned(),
        Change::Unchanged => "unchanged".to_owned(),
    }
}

/// The fields of a route's plan entry that differ, in the plan format's order; empty when the
/// entry was not edited. Numbers compare as values (`4` and `4.0` are the same); a field given
/// in one plan and left out of the other differs.
pub fn edited_fields(old: &Route, new: &Route) -> Vec<String> {
    let same_number = |a: Option<Decimal>, b: Option<Decimal>| a.map(|a| a.normalize()) == b.map(|b| b.normalize());
    let shares =
        |m: &Option<BTreeMap<String, Decimal>>| m.as_ref().map(|m| m.iter().map(|(k, v)| (k.clone(), v.normalize())).collect::<Vec<_>>());
    let fields = [
        ("requests_per_month", same_number(old.requests_per_month, new.requests_per_month)),
        ("requests_per_second", same_number(old.requests_per_second, new.requests_per_second)),
        ("compute_ms", same_number(Some(old.compute_ms), Some(new.compute_ms))),
        ("response_bytes", same_number(Some(old.response_bytes), Some(new.response_bytes))),
        ("middleware", old.middleware == new.middleware),
        ("regions", shares(&old.regions) == shares(&new.regions)),
    ];
    fields.into_iter().filter(|(_, same)| !same).map(|(name, _)| name.to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::EstimateOptions;
    use crate::estimator::Estimator;
    use edgecost_pricing::PriceBook;

    const PLAN: &str = "tier: production\nregions: {na: 1}\nroutes:\n  - {path: /a, requests_per_month: 300000}\n  - {path: /b, requests_per_month: 100000}\n";

    fn priced(text: &str) -> (Plan, Estimate) {
        let book = PriceBook::published();
        let plan = Plan::parse(text, "plan.yaml", book).unwrap();
        let options = EstimateOptions { uncertainty: None, months: 0, ..EstimateOptions::starting(chrono::NaiveDate::MIN) };
        let estimate = Estimator::new(plan.clone(), book).unwrap().estimate(&options).unwrap();
        (plan, estimate)
    }

    fn changes(old: &str, new: &str) -> Vec<(String, Change, Vec<String>, String)> {
        let ((op, oe), (np, ne)) = (priced(old), priced(new));
        diff(&op, &oe, &np, &ne).routes.into_iter().map(|r| (r.path, r.change, r.edited, r.cost_change.to_string())).collect()
    }

    #[test]
    fn a_route_whose_share_moves_with_another_edit_is_not_edited() {
        // 400,000 requests: 200,000 past the quota x $0.00004 = $8.00, split 3:1 = $6.00 and
        // $2.00. With /a at 500,000: 400,000 past, $16.00 split 5:1 = $13.333 and $2.667, cut to
        // $13.33 and $2.66 with the odd cent to the larger remainder, /b's: $13.33 and $2.67.
        // Only /a was edited; /b's cost moved by $0.67 all the same.
        let edited = PLAN.replace("300000", "500000");
        assert_eq!(
            changes(PLAN, &edited),
            [
                ("/a".to_owned(), Change::Edited, vec!["requests_per_month".to_owned()], "7.33".to_owned()),
                ("/b".to_owned(), Change::CostMoved, vec![], "0.67".to_owned()),
            ]
        );
    }

    #[test]
    fn a_tier_change_moves_every_route_and_edits_none() {
        // Scale includes these 400,000 requests: no overage, so both shares fall to $0.00.
        let scale = PLAN.replace("tier: production", "tier: scale");
        let routes = changes(PLAN, &scale);
        assert!(routes.iter().all(|(_, change, edited, _)| *change == Change::CostMoved && edited.is_empty()), "{routes:?}");
        assert_eq!(routes[0].3, "-6.00");
        // The same plan: nothing edited, nothing moved.
        assert!(changes(PLAN, PLAN).iter().all(|r| r.1 == Change::Unchanged));
        // Rewriting a number without changing its value is no edit.
        assert!(changes(PLAN, &PLAN.replace("100000}", "100000.0}")).iter().all(|r| r.1 == Change::Unchanged));
    }
}
