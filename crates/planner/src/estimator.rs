//! The live, incremental estimator behind the route editor.
//!
//! It keeps each route's contribution and the running totals (plan-wide and per region).
//! An edit subtracts the route's old contribution and adds the new one; every contribution is a
//! fixed-point decimal, so the totals after any sequence of edits equal a full recompute exactly.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use edgecost_pricing::bounds::meter_max;
use edgecost_pricing::{Bill, Comparison, Decimal, Meter, PriceBook, RateOptions};

use crate::error::PlanError;
use crate::plan::{Growth, Middleware, Plan, Route, Violation, check_growth, check_route, check_shares, locate};
use crate::quantity::fixed;
use crate::usage::{Contribution, PlanSplit, RegionTable, RouteUsage, route_usage};

/// A plan with its priced contributions, kept current under edits.
#[derive(Clone, Debug)]
pub struct Estimator {
    book: PriceBook,
    plan: Plan,
    table: RegionTable,
    routes: Vec<RouteUsage>,
    /// The buffer the next full re-price fills, kept so re-pricing a large plan reuses its
    /// memory instead of mapping a fresh block each time.
    spare: Vec<RouteUsage>,
    paths: HashSet<String>,
    /// The billable weight of the plan's split: the sum of share x region weight.
    plan_weight: Decimal,
    totals: Contribution,
    sums: RegionSums,
}

/// Running sums from which the per-region totals are derived: routes that follow the plan's
/// split are summed once (their region parts are the plan's shares of that sum); routes with
/// their own split are summed per region.
#[derive(Clone, Debug, PartialEq, Eq)]
struct RegionSums {
    followers: Contribution,
    /// The totals of the routes with their own split.
    others: Contribution,
    own: Vec<Contribution>,
}

impl RegionSums {
    fn new(regions: usize) -> RegionSums {
        RegionSums { followers: Contribution::default(), others: Contribution::default(), own: vec![Contribution::default(); regions] }
    }

    /// The plan's totals. Every route is in exactly one of the two sums, so a route's
    /// contribution is added once per route, not once per total kept.
    fn total(&self) -> Result<Contribution, PlanError> {
        self.followers.checked_add(&self.others).ok_or(PlanError::Overflow)
    }
}

impl Estimator {
    /// Validates `plan` against `book` and prices every route.
    pub fn new(plan: Plan, book: &PriceBook) -> Result<Estimator, PlanError> {
        plan.check(book)?;
        let table = RegionTable::from_book(book);
        let mut estimator = Estimator {
            book: book.clone(),
            plan_weight: table.weight_of(&plan.regions)?,
            sums: RegionSums::new(table.names.len()),
            table,
            routes: Vec::new(),
            spare: Vec::new(),
            paths: plan.routes.iter().map(|r| r.path.clone()).collect(),
            totals: Contribution::default(),
            plan,
        };
        estimator.reprice_all()?;
        Ok(estimator)
    }

    /// Reads a plan as [`Plan::parse`] does and prices it. A plan whose month of usage, all
    /// routes together, passes a bound of the pricing core is refused here with the file, line
    /// and column of the route that takes the total past it (see [`Estimator::check_bounds`]),
    /// rather than later by rating, which cannot say where.
    pub fn parse(text: &str, file: &str, book: &PriceBook) -> Result<Estimator, PlanError> {
        let estimator = Estimator::new(Plan::parse(text, file, book)?, book)?;
        estimator.total_past_bound().map_err(|v| locate(v, text, file))?;
        Ok(estimator)
    }

    /// Reads a plan file as [`Estimator::parse`] does.
    pub fn load(path: &Path, book: &PriceBook) -> Result<Estimator, PlanError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| PlanError::Read { file: file.clone(), source })?;
        Estimator::parse(&text, &file, book)
    }

    /// Checks the month's totals against the pricing core's bounds, meter by meter in
    /// [`Meter::ALL`] order as rating does, and names the first route (in plan order) with
    /// which the running total of a meter passes its bound.
    pub fn check_bounds(&self) -> Result<(), PlanError> {
        self.total_past_bound().map_err(|v| *v.error)
    }

    fn total_past_bound(&self) -> Result<(), Violation> {
        let usage = self.totals.to_usage();
        for meter in Meter::ALL {
            let max = meter_max(meter);
            let total = usage.quantity(meter);
            if total <= max {
                continue;
            }
            // The running total ends at the plan's total, past the bound, so a route takes it
            // there; were none found, rating would still refuse the month, without a place.
            let mut running = Decimal::ZERO;
            let index = self.routes.iter().position(|r| {
                running = running.checked_add(r.total.to_usage().quantity(meter)).unwrap_or(Decimal::MAX);
                running > max
            });
            let Some(route) = index.and_then(|i| self.plan.routes.get(i)) else { continue };
            let key = match meter {
                Meter::Requests if route.requests_per_second.is_some() => "requests_per_second",
                Meter::Requests => "requests_per_month",
                Meter::Egress => "response_bytes",
                Meter::Compute => "compute_ms",
            };
            let error = PlanError::TotalTooLarge {
                meter: meter.id(),
                unit: meter.unit(),
                total: total.normalize().to_string(),
                max: max.to_string(),
                route: route.path.clone(),
            };
            return Err(Violation::new(error).at_route(&route.path).at_key(key));
        }
        Ok(())
    }

    /// Recomputes every route's contribution and the totals from scratch.
    pub fn reprice_all(&mut self) -> Result<(), PlanError> {
        let mut routes = std::mem::take(&mut self.spare);
        routes.clear();
        routes.reserve(self.plan.routes.len());
        let mut sums = RegionSums::new(self.table.names.len());
        let split = self.split();
        let priced = self.plan.routes.iter().try_for_each(|route| {
            let usage = route_usage(route, &self.plan.middleware, &split, &self.table)?;
            add_into(&mut sums, &usage)?;
            routes.push(usage);
            Ok(())
        });
        let totals = priced.and_then(|()| sums.total());
        let totals = match totals {
            Ok(t) => t,
            Err(e) => {
                // Nothing changes on error; the buffer is kept for the next attempt.
                self.spare = routes;
                return Err(e);
            }
        };
        self.spare = std::mem::replace(&mut self.routes, routes);
        self.totals = totals;
        self.sums = sums;
        Ok(())
    }

    /// The plan as edited so far.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The plan, giving up the estimator.
    pub fn into_plan(self) -> Plan {
        self.plan
    }

    /// The price book the plan is priced with.
    pub fn book(&self) -> &PriceBook {
        &self.book
    }

    /// The month's totals.
    pub fn totals(&self) -> &Contribution {
        &self.totals
    }

    /// Each route's contribution, in plan order.
    pub fn route_usages(&self) -> &[RouteUsage] {
        &self.routes
    }

    /// Totals per region, with the region's name, in name order; regions with no traffic are
    /// left out. Each is rounded to the fixed scale, so they add up to the plan's totals to
    /// within a millionth of a unit per region.
    pub fn region_totals(&self) -> Result<Vec<(&str, Contribution)>, PlanError> {
        let followers = &self.sums.followers;
        let mut out = Vec::new();
        for (i, name) in self.table.names.iter().enumerate() {
            let mut c = self.sums.own[i];
            if let Some(share) = self.plan.regions.get(name) {
                let weight = share.checked_mul(self.table.weights[i]).ok_or(PlanError::Overflow)?;
                let part = |v: Decimal, by: Decimal| v.checked_mul(by).map(fixed).ok_or(PlanError::Overflow);
                let theirs = Contribution {
                    requests: part(followers.requests, *share)?,
                    compute_seconds: part(followers.compute_seconds, *share)?,
                    egress_bytes: part(followers.egress_bytes, *share)?,
                    billable_egress_bytes: part(followers.egress_bytes, weight)?,
                };
                c = c.checked_add(&theirs).ok_or(PlanError::Overflow)?;
            }
            if !is_zero(&c) {
                out.push((name.as_str(), c));
            }
        }
        Ok(out)
    }

    fn split(&self) -> PlanSplit<'_> {
        PlanSplit { shares: &self.plan.regions, weight: self.plan_weight }
    }

    /// The bill for the plan's tier (no credit applied).
    pub fn bill(&self) -> Result<Bill, PlanError> {
        self.bill_with_credit(Decimal::ZERO)
    }

    /// The bill for the plan's tier with `credit_balance` of held credit paying its overage
    /// (`total` is what is left to invoice; base fee + overage is what the month costs).
    pub fn bill_with_credit(&self, credit_balance: Decimal) -> Result<Bill, PlanError> {
        let options = RateOptions { credit_balance, ..RateOptions::default() };
        Ok(self.book.rate(&self.plan.tier, &self.totals.to_usage(), &options)?)
    }

    /// Every tier's bill and the cheapest option, given a credit balance.
    pub fn comparison(&self, credit_balance: Decimal) -> Result<Comparison, PlanError> {
        Ok(self.book.compare(&self.totals.to_usage(), credit_balance, Some(&self.plan.tier))?)
    }

    /// Replaces the route at `index`, re-pricing only that route.
    pub fn set_route(&mut self, index: usize, route: Route) -> Result<(), PlanError> {
        let old_path = self.route_at(index)?.path.clone();
        if route.path != old_path && self.paths.contains(&route.path) {
            return Err(PlanError::DuplicateRoute { route: route.path });
        }
        check_route(&route, &self.plan.middleware, &self.book).map_err(|v| *v.error)?;
        let usage = route_usage(&route, &self.plan.middleware, &self.split(), &self.table)?;
        self.swap_usage(index, usage)?;
        if route.path != old_path {
            self.paths.remove(&old_path);
            self.paths.insert(route.path.clone());
        }
        self.plan.routes[index] = route;
        Ok(())
    }

    /// Appends a route; returns its index.
    pub fn add_route(&mut self, route: Route) -> Result<usize, PlanError> {
        if self.paths.contains(&route.path) {
            return Err(PlanError::DuplicateRoute { route: route.path });
        }
        check_route(&route, &self.plan.middleware, &self.book).map_err(|v| *v.error)?;
        let usage = route_usage(&route, &self.plan.middleware, &self.split(), &self.table)?;
        let mut sums = self.sums.clone();
        add_into(&mut sums, &usage)?;
        self.totals = sums.total()?;
        self.sums = sums;
        self.paths.insert(route.path.clone());
        self.plan.routes.push(route);
        self.routes.push(usage);
        Ok(self.plan.routes.len() - 1)
    }

    /// Removes the route at `index` and returns it.
    pub fn remove_route(&mut self, index: usize) -> Result<Route, PlanError> {
        self.route_at(index)?;
        let mut sums = self.sums.clone();
        sub_from(&mut sums, &self.routes[index])?;
        self.totals = sums.total()?;
        self.sums = sums;
        self.routes.remove(index);
        let route = self.plan.routes.remove(index);
        self.paths.remove(&route.path);
        Ok(route)
    }

    /// Moves the route at `from` to `to`; totals do not change.
    pub fn move_route(&mut self, from: usize, to: usize) -> Result<(), PlanError> {
        self.route_at(from)?;
        self.route_at(to)?;
        let route = self.plan.routes.remove(from);
        let usage = self.routes.remove(from);
        self.plan.routes.insert(to, route);
        self.routes.insert(to, usage);
        Ok(())
    }

    /// Adds or changes a catalog entry and re-prices only the routes that use it; returns their
    /// indices.
    pub fn set_middleware(&mut self, name: &str, middleware: Middleware) -> Result<Vec<usize>, PlanError> {
        let mut probe = BTreeMap::new();
        probe.insert(name.to_owned(), middleware.clone());
        // Reuse the plan rule for one entry by checking a catalog holding only it.
        let check =
            Plan { tier: self.plan.tier.clone(), regions: self.plan.regions.clone(), routes: Vec::new(), middleware: probe, growth: None };
        check.check(&self.book)?;
        let users: Vec<usize> =
            self.plan.routes.iter().enumerate().filter(|(_, r)| r.middleware.iter().any(|m| m == name)).map(|(i, _)| i).collect();
        let old = self.plan.middleware.insert(name.to_owned(), middleware);
        if let Err(e) = self.reprice(&users) {
            match old {
                Some(old) => self.plan.middleware.insert(name.to_owned(), old),
                None => self.plan.middleware.remove(name),
            };
            return Err(e);
        }
        Ok(users)
    }

    /// Removes a catalog entry that no route uses.
    pub fn remove_middleware(&mut self, name: &str) -> Result<Middleware, PlanError> {
        if let Some(route) = self.plan.routes.iter().find(|r| r.middleware.iter().any(|m| m == name)) {
            return Err(PlanError::MiddlewareInUse { middleware: name.to_owned(), route: route.path.clone() });
        }
        self.plan.middleware.remove(name).ok_or_else(|| PlanError::NotFound { what: "middleware", name: name.to_owned() })
    }

    /// Changes the plan-wide region split and re-prices the routes that follow it.
    pub fn set_regions(&mut self, shares: BTreeMap<String, Decimal>) -> Result<Vec<usize>, PlanError> {
        check_shares("plan regions", &shares, &self.book)?;
        let followers: Vec<usize> = self.plan.routes.iter().enumerate().filter(|(_, r)| r.regions.is_none()).map(|(i, _)| i).collect();
        let weight = self.table.weight_of(&shares)?;
        let old = std::mem::replace(&mut self.plan.regions, shares);
        let old_weight = std::mem::replace(&mut self.plan_weight, weight);
        if let Err(e) = self.reprice(&followers) {
            self.plan.regions = old;
            self.plan_weight = old_weight;
            return Err(e);
        }
        Ok(followers)
    }

    /// Changes the tier the plan is priced on; usage does not change.
    pub fn set_tier(&mut self, tier: &str) -> Result<(), PlanError> {
        if self.book.tier(tier).is_none() {
            return Err(edgecost_pricing::RateError::UnknownTier { tier: tier.to_owned(), known: self.book.tier_names() }.into());
        }
        self.plan.tier = tier.to_owned();
        Ok(())
    }

    /// Changes the growth assumption; the month's usage does not change.
    pub fn set_growth(&mut self, growth: Option<Growth>) -> Result<(), PlanError> {
        if let Some(g) = &growth {
            check_growth(g)?;
        }
        self.plan.growth = growth;
        Ok(())
    }

    fn route_at(&self, index: usize) -> Result<&Route, PlanError> {
        self.plan.routes.get(index).ok_or_else(|| PlanError::NotFound { what: "route at index", name: index.to_string() })
    }

    /// Re-prices the given routes; on error nothing changes.
    fn reprice(&mut self, indices: &[usize]) -> Result<(), PlanError> {
        let split = self.split();
        let fresh: Vec<RouteUsage> = indices
            .iter()
            .map(|&i| route_usage(&self.plan.routes[i], &self.plan.middleware, &split, &self.table))
            .collect::<Result<_, _>>()?;
        for (&i, usage) in indices.iter().zip(fresh) {
            self.swap_usage(i, usage)?;
        }
        Ok(())
    }

    fn swap_usage(&mut self, index: usize, usage: RouteUsage) -> Result<(), PlanError> {
        // Work on copies so an overflow leaves the totals as they were.
        let mut sums = self.sums.clone();
        sub_from(&mut sums, &self.routes[index])?;
        add_into(&mut sums, &usage)?;
        self.totals = sums.total()?;
        self.sums = sums;
        self.routes[index] = usage;
        Ok(())
    }
}

fn is_zero(c: &Contribution) -> bool {
    c.requests.is_zero() && c.compute_seconds.is_zero() && c.egress_bytes.is_zero()
}

fn add_into(sums: &mut RegionSums, usage: &RouteUsage) -> Result<(), PlanError> {
    if usage.follows_plan {
        sums.followers = sums.followers.checked_add(&usage.total).ok_or(PlanError::Overflow)?;
    } else {
        sums.others = sums.others.checked_add(&usage.total).ok_or(PlanError::Overflow)?;
    }
    for (i, part) in &usage.regions {
        sums.own[*i] = sums.own[*i].checked_add(part).ok_or(PlanError::Overflow)?;
    }
    Ok(())
}

fn sub_from(sums: &mut RegionSums, usage: &RouteUsage) -> Result<(), PlanError> {
    if usage.follows_plan {
        sums.followers = sums.followers.checked_sub(&usage.total).ok_or(PlanError::Overflow)?;
    } else {
        sums.others = sums.others.checked_sub(&usage.total).ok_or(PlanError::Overflow)?;
    }
    for (i, part) in &usage.regions {
        sums.own[*i] = sums.own[*i].checked_sub(part).ok_or(PlanError::Overflow)?;
    }
    Ok(())
}
