//! The contract for one month of steady traffic: what a route adds to each meter.
//!
//! Per route:
//! - requests = `requests_per_month`, or `requests_per_second` x the seconds of a 30-day month;
//! - compute seconds = requests x (handler `compute_ms` x the product of (1 - `hit_ratio`) over
//!   the caches in its chain + the sum of its middleware `compute_ms`) / 1000. With one cache
//!   this is the handler's compute on misses only; two caches in a row miss only when both do;
//! - egress bytes = requests x `response_bytes` x the product of its middleware `egress_ratio`;
//! - billable egress bytes = the sum over its regions of egress x share x the region's weight.
//!
//! Each per-route and per-region quantity is rounded once to [`crate::QUANTITY_SCALE`] places,
//! so the plan's totals are sums of fixed-point numbers and stay exact under edits.

use std::collections::BTreeMap;

use edgecost_pricing::{BYTES_PER_GB, Decimal, Usage};
use serde::{Deserialize, Serialize};

use crate::error::PlanError;
use crate::plan::{Middleware, Route};
use crate::quantity::fixed;

/// What one route, or one region of it, adds to the month's meters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contribution {
    /// Requests in the month.
    pub requests: Decimal,
    /// Compute seconds in the month.
    pub compute_seconds: Decimal,
    /// Egress bytes sent, before region weights.
    pub egress_bytes: Decimal,
    /// Egress bytes x the region weight: what the egress meter counts.
    pub billable_egress_bytes: Decimal,
}

impl Contribution {
    /// The sum of two contributions.
    pub fn checked_add(&self, other: &Contribution) -> Option<Contribution> {
        Some(Contribution {
            requests: self.requests.checked_add(other.requests)?,
            compute_seconds: self.compute_seconds.checked_add(other.compute_seconds)?,
            egress_bytes: self.egress_bytes.checked_add(other.egress_bytes)?,
            billable_egress_bytes: self.billable_egress_bytes.checked_add(other.billable_egress_bytes)?,
        })
    }

    /// `self - other`; exact because both sides are fixed-point sums.
    pub fn checked_sub(&self, other: &Contribution) -> Option<Contribution> {
        Some(Contribution {
            requests: self.requests.checked_sub(other.requests)?,
            compute_seconds: self.compute_seconds.checked_sub(other.compute_seconds)?,
            egress_bytes: self.egress_bytes.checked_sub(other.egress_bytes)?,
            billable_egress_bytes: self.billable_egress_bytes.checked_sub(other.billable_egress_bytes)?,
        })
    }

    /// The usage the pricing engine rates: billable egress goes on the egress meter.
    pub fn to_usage(&self) -> Usage {
        Usage { requests: self.requests, egress_bytes: self.billable_egress_bytes, compute_seconds: self.compute_seconds }
    }

    /// Billable egress in GB (10^9 bytes), exact.
    pub fn billable_egress_gb(&self) -> Decimal {
        (self.billable_egress_bytes / Decimal::from(BYTES_PER_GB)).normalize()
    }
}

/// Usage as reported (a plan's month, a route's or region's part of it, a projected month):
/// egress served and billable egress side by side, each field named with its unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageSummary {
    /// Requests in the month.
    pub requests: Decimal,
    /// Compute seconds in the month.
    pub compute_seconds: Decimal,
    /// Egress bytes served, before region weights.
    pub egress_bytes: Decimal,
    /// Egress bytes x each region's weight: what the egress meter counts.
    pub billable_egress_bytes: Decimal,
    /// The billable egress in GB (10^9 bytes).
    pub billable_egress_gb: Decimal,
}

impl From<&Contribution> for UsageSummary {
    fn from(c: &Contribution) -> Self {
        UsageSummary {
            requests: c.requests.normalize(),
            compute_seconds: c.compute_seconds.normalize(),
            egress_bytes: c.egress_bytes.normalize(),
            billable_egress_bytes: c.billable_egress_bytes.normalize(),
            billable_egress_gb: c.billable_egress_gb(),
        }
    }
}

/// One route's contribution. A route with its own region split also carries its parts per
/// region (indices into the estimator's region table); a route that follows the plan's split
/// carries none, since its region parts are the plan's shares of its total.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouteUsage {
    /// The route's whole contribution.
    pub total: Contribution,
    /// Its parts per region (index into the region table, part), when the route has its own split.
    pub regions: Vec<(usize, Contribution)>,
    /// The route follows the plan's region split and carries no parts of its own.
    pub follows_plan: bool,
}

/// Region names with their book weights, in a fixed order, so routes refer to regions by index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionTable {
    /// Region names, sorted.
    pub names: Vec<String>,
    /// Each region's egress weight from the price book, in the order of `names`.
    pub weights: Vec<Decimal>,
}

impl RegionTable {
    /// Every region of the book, sorted by name.
    pub fn from_book(book: &edgecost_pricing::PriceBook) -> RegionTable {
        let names: Vec<String> = book.regions.keys().cloned().collect();
        let weights = names.iter().map(|n| book.region_weight(n).unwrap_or(Decimal::ONE)).collect();
        RegionTable { names, weights }
    }

    /// A region's index.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The billable weight of a split: the sum of share x region weight.
    pub fn weight_of(&self, shares: &BTreeMap<String, Decimal>) -> Result<Decimal, PlanError> {
        shares.iter().try_fold(Decimal::ZERO, |acc, (name, share)| {
            let i = self.index(name).ok_or_else(|| PlanError::UnknownRegion { region: name.clone(), known: self.names.join(", ") })?;
            share.checked_mul(self.weights[i]).and_then(|w| acc.checked_add(w)).ok_or(PlanError::Overflow)
        })
    }
}

/// The plan-wide region split with its billable weight, computed once per split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanSplit<'a> {
    /// Each region's share of traffic; the shares add up to exactly 1.
    pub shares: &'a BTreeMap<String, Decimal>,
    /// The split's billable weight: the sum of share x region weight.
    pub weight: Decimal,
}

/// Prices one route against the catalog and region split (already validated).
pub fn route_usage(
    route: &Route,
    catalog: &BTreeMap<String, Middleware>,
    split: &PlanSplit<'_>,
    table: &RegionTable,
) -> Result<RouteUsage, PlanError> {
    let requests = route.checked_monthly_requests().ok_or(PlanError::Overflow)?;
    let mut miss = Decimal::ONE;
    let mut middleware_ms = Decimal::ZERO;
    let mut egress_ratio = Decimal::ONE;
    for name in &route.middleware {
        let mw = catalog.get(name).ok_or_else(|| PlanError::UnknownMiddleware {
            route: route.path.clone(),
            middleware: name.clone(),
            known: catalog.keys().cloned().collect::<Vec<_>>().join(", "),
        })?;
        if let Some(h) = mw.hit_ratio {
            miss = miss.checked_mul(Decimal::ONE - h).ok_or(PlanError::Overflow)?;
        }
        middleware_ms = middleware_ms.checked_add(mw.compute_ms).ok_or(PlanError::Overflow)?;
        egress_ratio = egress_ratio.checked_mul(mw.egress_ratio()).ok_or(PlanError::Overflow)?;
    }
    // Milliseconds to seconds by multiplying by 0.001, which only moves the decimal point.
    let compute_seconds = route
        .compute_ms
        .checked_mul(miss)
        .and_then(|h| h.checked_add(middleware_ms))
        .and_then(|ms| ms.checked_mul(requests))
        .and_then(|ms| ms.checked_mul(MS_TO_SECONDS))
        .ok_or(PlanError::Overflow)?;
    let egress_bytes = requests.checked_mul(route.response_bytes).and_then(|b| b.checked_mul(egress_ratio)).ok_or(PlanError::Overflow)?;

    let Some(shares) = &route.regions else {
        let billable = egress_bytes.checked_mul(split.weight).ok_or(PlanError::Overflow)?;
        return Ok(RouteUsage {
            total: Contribution {
                requests: fixed(requests),
                compute_seconds: fixed(compute_seconds),
                egress_bytes: fixed(egress_bytes),
                billable_egress_bytes: fixed(billable),
            },
            regions: Vec::new(),
            follows_plan: true,
        });
    };
    let mut regions = Vec::with_capacity(shares.len());
    let mut billable = Decimal::ZERO;
    for (name, share) in shares {
        let index = table.index(name).ok_or_else(|| PlanError::UnknownRegion { region: name.clone(), known: table.names.join(", ") })?;
        let part = |v: Decimal| v.checked_mul(*share).map(fixed).ok_or(PlanError::Overflow);
        let region_billable =
            egress_bytes.checked_mul(*share).and_then(|b| b.checked_mul(table.weights[index])).map(fixed).ok_or(PlanError::Overflow)?;
        billable = billable.checked_add(region_billable).ok_or(PlanError::Overflow)?;
        regions.push((
            index,
            Contribution {
                requests: part(requests)?,
                compute_seconds: part(compute_seconds)?,
                egress_bytes: part(egress_bytes)?,
                billable_egress_bytes: region_billable,
            },
        ));
    }
    let total = Contribution {
        requests: fixed(requests),
        compute_seconds: fixed(compute_seconds),
        egress_bytes: fixed(egress_bytes),
        // The sum of the rounded region parts, so region attribution adds up to the route.
        billable_egress_bytes: billable,
    };
    Ok(RouteUsage { total, regions, follows_plan: false })
}

const MS_TO_SECONDS: Decimal = Decimal::from_parts(1, 0, 0, false, 3);
