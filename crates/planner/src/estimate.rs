//! The whole estimate of a plan: usage, the bill, every tier, attribution and projections.

use chrono::NaiveDate;
use edgecost_pricing::{Bill, Comparison, Decimal, Meter};
use serde::{Deserialize, Serialize};

use crate::attribution::attribute;
use crate::error::PlanError;
use crate::estimator::Estimator;
use crate::projection::{
    BillRange, CapOutlook, CreditRunway, MonthProjection, ThresholdDay, Uncertainty, cap_outlook, credit_runway, project_months, simulate,
    threshold_days,
};
use crate::usage::{Contribution, UsageSummary};

/// What one route, or one region, costs: its usage and its share of each overage line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostShare {
    /// The route's path or the region's name.
    pub name: String,
    /// What this part adds to the month's meters.
    pub usage: UsageSummary,
    /// Its share of the request overage line.
    pub requests_cost: Decimal,
    /// Its share of the egress overage line.
    pub egress_cost: Decimal,
    /// Its share of the compute overage line.
    pub compute_cost: Decimal,
    /// The sum of the three: this part's share of the bill's overage.
    pub cost: Decimal,
}

/// Inputs of an estimate besides the plan.
#[derive(Clone, Debug, PartialEq)]
pub struct EstimateOptions {
    /// Burst credit held at the start of the period, applied to the overage.
    pub credit_balance: Decimal,
    /// The first day of the period estimated.
    pub period_start: NaiveDate,
    /// The period's length in days (thresholds and the credit runway count days of it).
    pub period_days: u32,
    /// `None` skips the simulation.
    pub uncertainty: Option<Uncertainty>,
    /// Months of growth projection (the plan's `growth`, or flat without one); 0 skips it.
    pub months: u32,
}

impl EstimateOptions {
    /// A 30-day period starting `period_start`, no credit, the default uncertainty and a
    /// 12-month projection.
    pub fn starting(period_start: NaiveDate) -> EstimateOptions {
        EstimateOptions {
            credit_balance: Decimal::ZERO,
            period_start,
            period_days: 30,
            uncertainty: Some(Uncertainty::default()),
            months: 12,
        }
    }
}

/// A full estimate of the plan on its tier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Estimate {
    /// The tier the plan is estimated on.
    pub tier: String,
    /// The month's usage totals.
    pub usage: UsageSummary,
    /// The bill on the plan's tier, in the pricing engine's shape, with the options' held
    /// credit applied: `total` is left to invoice, base fee + overage is the month's cost.
    pub bill: Bill,
    /// Every tier's bill and the cheapest option.
    pub comparison: Comparison,
    /// Per route, in plan order; the costs of each meter add up to that bill line.
    pub routes: Vec<CostShare>,
    /// Per region with traffic; the costs of each meter add up to that bill line.
    pub regions: Vec<CostShare>,
    /// The day each meter reaches 80% and 100% of its included quantity.
    pub thresholds: Vec<ThresholdDay>,
    /// On a hard-capped tier whose quota this traffic outgrows: the day the cap is hit and the
    /// share of the month's traffic it refuses ([`cap_outlook`]); `None` otherwise.
    pub cap: Option<CapOutlook>,
    /// How long the held credit lasts against the overage, and the packs that would cover the rest.
    pub credits: CreditRunway,
    /// The simulated range of the bill; `None` when the options skip the simulation.
    pub range: Option<BillRange>,
    /// Month by month with the plan's growth, starting with this month.
    pub months: Vec<MonthProjection>,
}

impl Estimator {
    /// The full estimate: attribution is O(routes), the rest O(1) in the plan's size apart
    /// from the optional simulation.
    pub fn estimate(&self, options: &EstimateOptions) -> Result<Estimate, PlanError> {
        let tier = self.plan().tier.clone();
        let usage = self.totals().to_usage();
        // Held credit pays part of the month, as it does on the real bill.
        let bill = self.bill_with_credit(options.credit_balance)?;
        let comparison = self.comparison(options.credit_balance)?;

        let route_parts: Vec<&Contribution> = self.route_usages().iter().map(|r| &r.total).collect();
        let route_rows = attribute(&bill, &route_parts)?;
        let routes =
            self.plan().routes.iter().zip(&route_parts).zip(route_rows).map(|((route, part), row)| share(&route.path, part, row)).collect();

        let regions_in_use = self.region_totals()?;
        let region_parts: Vec<&Contribution> = regions_in_use.iter().map(|(_, c)| c).collect();
        let region_rows = attribute(&bill, &region_parts)?;
        let regions = regions_in_use.iter().zip(region_rows).map(|((name, part), row)| share(name, part, row)).collect();

        let book = self.book();
        let thresholds = threshold_days(book, &tier, &usage, options.period_days)?;
        let cap = cap_outlook(book, &tier, &usage, options.period_days)?;
        let credits = credit_runway(book, &tier, &usage, options.credit_balance, options.period_start, options.period_days)?;
        let range = match &options.uncertainty {
            Some(u) => {
                let parts: Vec<Contribution> = route_parts.iter().map(|c| **c).collect();
                Some(simulate(book, &tier, &parts, u)?)
            }
            None => None,
        };
        let growth = self.plan().growth.as_ref().map_or(Decimal::ZERO, |g| g.monthly_percent);
        let months = project_months(book, &tier, self.totals(), growth, options.months)?;
        Ok(Estimate { months, tier, usage: self.totals().into(), bill, comparison, routes, regions, thresholds, cap, credits, range })
    }
}

fn share(name: &str, part: &Contribution, row: [Decimal; 3]) -> CostShare {
    let [requests_cost, egress_cost, compute_cost] = row;
    debug_assert_eq!(Meter::ALL, [Meter::Requests, Meter::Egress, Meter::Compute]);
    CostShare {
        name: name.to_owned(),
        usage: part.into(),
        requests_cost,
        egress_cost,
        compute_cost,
        cost: requests_cost + egress_cost + compute_cost,
    }
}
