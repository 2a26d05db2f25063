//! Per-route costs for the rows on screen, without attributing the whole plan per keystroke.
//!
//! The planner's [`edgecost_planner::attribute`] splits each overage line over every route by
//! the largest remainder method, sorting all routes; the route table needs the shares of a few
//! dozen rows after every keystroke. This gives exactly the same shares (same fixed-point
//! weights, same rule: floors first, then one cent each to the largest remainders, ties to the
//! earlier route) with integer arithmetic over the routes and a linear-time selection of the
//! cut-off remainder instead of a sort. Each route's weights are kept as integers and updated
//! for the one route an edit touched.

use edgecost_planner::{Contribution, PlanError, QUANTITY_SCALE};
use edgecost_pricing::{Bill, Decimal, Meter};
use rust_decimal::prelude::ToPrimitive;

/// The meters in the planner's attribution order, with the quantity each is split by.
const METERS: [Meter; 3] = [Meter::Requests, Meter::Egress, Meter::Compute];

fn weight(c: &Contribution, meter: Meter) -> Decimal {
    match meter {
        Meter::Requests => c.requests,
        Meter::Egress => c.billable_egress_bytes,
        Meter::Compute => c.compute_seconds,
    }
}

/// A weight in fixed-point units, as the planner's attribution reads it.
fn units(w: Decimal) -> Result<i128, PlanError> {
    let scale = Decimal::from(10u64.pow(QUANTITY_SCALE));
    (w.max(Decimal::ZERO) * scale).trunc().to_i128().ok_or(PlanError::Overflow)
}

fn route_units(c: &Contribution) -> Result<[i128; 3], PlanError> {
    Ok([units(weight(c, METERS[0]))?, units(weight(c, METERS[1]))?, units(weight(c, METERS[2]))?])
}

/// Every route's weights in units, and their sums.
#[derive(Clone, Debug, Default)]
pub(crate) struct RouteUnits {
    units: Vec<[i128; 3]>,
    totals: [i128; 3],
}

impl RouteUnits {
    pub(crate) fn of(routes: &[&Contribution]) -> Result<RouteUnits, PlanError> {
        let units = routes.iter().map(|c| route_units(c)).collect::<Result<Vec<_>, _>>()?;
        let mut totals = [0i128; 3];
        for u in &units {
            for m in 0..3 {
                totals[m] = totals[m].checked_add(u[m]).ok_or(PlanError::Overflow)?;
            }
        }
        Ok(RouteUnits { units, totals })
    }

    /// Route `index` now contributes `c`.
    pub(crate) fn set(&mut self, index: usize, c: &Contribution) -> Result<(), PlanError> {
        let new = route_units(c)?;
        let old = self.units[index];
        for m in 0..3 {
            self.totals[m] = self.totals[m].checked_sub(old[m]).and_then(|t| t.checked_add(new[m])).ok_or(PlanError::Overflow)?;
        }
        self.units[index] = new;
        Ok(())
    }

    pub(crate) fn len(&self) -> usize {
        self.units.len()
    }

    /// The overage cost of routes `start..end`, each the sum of its three meter shares.
    pub(crate) fn window_costs(&self, bill: &Bill, start: usize, end: usize) -> Result<Vec<Decimal>, PlanError> {
        let mut cents_out = vec![0i128; end.saturating_sub(start)];
        let mut remainders: Vec<(i128, usize)> = Vec::new();
        for (m, meter) in METERS.iter().enumerate() {
            let amount = bill.lines.iter().find(|l| l.meter == *meter).map_or(Decimal::ZERO, |l| l.amount);
            let cents = (amount * Decimal::ONE_HUNDRED).trunc().to_i128().ok_or(PlanError::Overflow)?;
            let total = self.totals[m];
            if cents == 0 || total == 0 {
                continue;
            }
            remainders.clear();
            remainders.reserve(self.units.len());
            let mut given: i128 = 0;
            for (i, u) in self.units.iter().enumerate() {
                let product = cents.checked_mul(u[m]).ok_or(PlanError::Overflow)?;
                given += product / total;
                remainders.push((product % total, i));
            }
            let left = usize::try_from(cents - given).map_err(|_| PlanError::Overflow)?;
            // The last route to get a leftover cent, in the order largest remainder first,
            // earlier route on ties; every route up to it in that order gets one.
            let cutoff = if left == 0 {
                None
            } else {
                let (_, nth, _) = remainders.select_nth_unstable_by(left - 1, |a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
                Some(*nth)
            };
            for (k, i) in (start..end).enumerate() {
                let product = cents * self.units[i][m];
                let (floor, rem) = (product / total, product % total);
                let extra = cutoff.is_some_and(|(cut_rem, cut_i)| rem > cut_rem || (rem == cut_rem && i <= cut_i));
                cents_out[k] += floor + i128::from(extra);
            }
        }
        cents_out.into_iter().map(|c| i64::try_from(c).map(|c| Decimal::new(c, 2)).map_err(|_| PlanError::Overflow)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgecost_planner::{Estimator, Plan, attribute};
    use edgecost_pricing::PriceBook;

    /// Routes with many equal remainders (ties) and very different sizes, over the quotas.
    fn plan(routes: usize, seed: u64) -> Plan {
        let mut yaml = String::from("tier: production\nregions: {na: 0.6, eu: 0.4}\nroutes:\n");
        let mut x = seed;
        for i in 0..routes {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let requests = if i % 3 == 0 { 33_333 } else { (x >> 33) % 2_000_000 };
            let bytes = (x >> 20) % 300_000;
            yaml.push_str(&format!(
                "  - {{path: /r{i}, requests_per_month: {requests}, compute_ms: {}, response_bytes: {bytes}}}\n",
                (x >> 40) % 50
            ));
        }
        Plan::parse(&yaml, "t", PriceBook::published()).unwrap()
    }

    #[test]
    fn windows_match_the_planners_attribution_cent_for_cent() {
        for (routes, seed) in [(1, 1), (7, 2), (300, 3), (1000, 4)] {
            let est = Estimator::new(plan(routes, seed), PriceBook::published()).unwrap();
            let bill = est.bill().unwrap();
            let parts: Vec<&Contribution> = est.route_usages().iter().map(|r| &r.total).collect();
            let expected: Vec<Decimal> = attribute(&bill, &parts).unwrap().iter().map(|r| r.iter().sum()).collect();
            let units = RouteUnits::of(&parts).unwrap();
            assert_eq!(units.window_costs(&bill, 0, routes).unwrap(), expected, "{routes} routes");
            let (a, b) = (routes / 3, (routes / 3 + 17).min(routes));
            assert_eq!(units.window_costs(&bill, a, b).unwrap(), expected[a..b], "window of {routes} routes");
        }
    }

    #[test]
    fn one_route_updated_in_place_matches_a_fresh_count() {
        let mut est = Estimator::new(plan(200, 9), PriceBook::published()).unwrap();
        let parts: Vec<&Contribution> = est.route_usages().iter().map(|r| &r.total).collect();
        let mut units = RouteUnits::of(&parts).unwrap();
        let mut route = est.plan().routes[50].clone();
        route.requests_per_month = Some(Decimal::from(9_999_999));
        est.set_route(50, route).unwrap();
        units.set(50, &est.route_usages()[50].total).unwrap();
        let bill = est.bill().unwrap();
        let parts: Vec<&Contribution> = est.route_usages().iter().map(|r| &r.total).collect();
        let expected: Vec<Decimal> = attribute(&bill, &parts).unwrap().iter().map(|r| r.iter().sum()).collect();
        assert_eq!(units.window_costs(&bill, 40, 60).unwrap(), expected[40..60]);
    }
}
