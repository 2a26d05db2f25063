//! The slow part of the estimate: the diff against the saved version, the P50/P90 simulation,
//! the growth projection and the chart, run off the session once typing pauses.

use super::*;

impl PlanSession {
    /// What [`DetailsWork::run`] needs, taken quickly so the session is not held while the
    /// simulation runs; the diff against the saved version is made here, O(routes).
    pub fn details_work(&mut self, dark: bool) -> Result<DetailsWork, DesktopError> {
        let costs: Vec<Decimal> = self.route_costs()?.iter().map(|c| c.iter().sum()).collect();
        let plan = self.estimator.plan();
        let mut changes = Vec::new();
        if let Some(saved) = &self.saved {
            let mut seen = std::collections::HashSet::with_capacity(plan.routes.len());
            for (route, cost) in plan.routes.iter().zip(&costs) {
                seen.insert(route.path.as_str());
                match saved.routes.get(&route.path) {
                    None => changes.push(cost_change(&route.path, &change_label(Change::Added, &[]), Decimal::ZERO, *cost)),
                    // An entry nobody edited whose share of the overage moved is told apart
                    // from an edit, in the words of `edgecost diff`.
                    Some((old, old_cost)) => {
                        let edited = edited_fields(old, route);
                        let change = match (edited.is_empty(), old_cost != cost) {
                            (false, _) => Change::Edited,
                            (true, true) => Change::CostMoved,
                            (true, false) => continue,
                        };
                        changes.push(cost_change(&route.path, &change_label(change, &edited), *old_cost, *cost));
                    }
                }
            }
            for old in &saved.plan.routes {
                if !seen.contains(old.path.as_str()) {
                    let old_cost = saved.routes.get(&old.path).map_or(Decimal::ZERO, |r| r.1);
                    changes.push(cost_change(&old.path, &change_label(Change::Removed, &[]), old_cost, Decimal::ZERO));
                }
            }
        }
        changes.sort_by(|a, b| b.1.abs().cmp(&a.1.abs()).then_with(|| a.0.path.cmp(&b.0.path)));
        let changed_count = changes.len() as u32;
        changes.truncate(CHANGES_SHOWN_MAX);
        let book = self.estimator.book();
        let tier = plan.tier.clone();
        let growth_percent = plan.growth.as_ref().map_or(Decimal::ZERO, |g| g.monthly_percent);
        Ok(DetailsWork {
            growth_percent,
            revision: self.revision,
            book: book.clone(),
            tier_label: book.tier(&tier).map(|t| t.display_name().to_owned()).unwrap_or_else(|| tier.clone()),
            tier,
            parts: self.estimator.route_usages().iter().map(|r| r.total).collect(),
            totals: *self.estimator.totals(),
            changes: changes.into_iter().map(|(c, _)| c).collect(),
            changed_count,
            dark,
        })
    }
}

fn cost_change(path: &str, change: &str, old: Decimal, new: Decimal) -> (RouteCostChange, Decimal) {
    let delta = new - old;
    (
        RouteCostChange {
            path: path.to_owned(),
            change: change.to_owned(),
            old_cost: money(old),
            new_cost: money(new),
            cost_change: signed_money(delta),
        },
        delta,
    )
}

/// The inputs of the slow part of the estimate, detached from the session.
pub struct DetailsWork {
    revision: u32,
    book: PriceBook,
    tier: String,
    tier_label: String,
    parts: Vec<Contribution>,
    /// The month's totals, served and billable egress side by side.
    totals: Contribution,
    changes: Vec<RouteCostChange>,
    changed_count: u32,
    dark: bool,
    growth_percent: Decimal,
}

impl DetailsWork {
    /// Runs the simulation and draws the chart.
    pub fn run(self) -> Result<PlanDetails, DesktopError> {
        let range = simulate(&self.book, &self.tier, &self.parts, &Uncertainty::default())?;
        let tier = self.book.tier(&self.tier);
        let usage = self.totals.to_usage();
        let meters = Meter::ALL
            .iter()
            .map(|m| {
                let included = tier.and_then(|t| t.included.get(*m));
                MeterProjection::linear(*m, usage.quantity(*m), included, PLAN_PERIOD_DAYS)
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| DesktopError::Chart { detail: e.to_string() })?;
        let chart = QuotaProjectionChart { tier_label: self.tier_label.clone(), period_days: PLAN_PERIOD_DAYS, meters };
        let theme = Theme::for_mode(if self.dark { ThemeMode::Dark } else { ThemeMode::Light });
        let chart_svg = chart.to_svg(&theme, Size::SMALL).map_err(|e| DesktopError::Chart { detail: e.to_string() })?;
        let months =
            month_views(&self.book, &project_months(&self.book, &self.tier, &self.totals, self.growth_percent, PROJECTION_MONTHS)?);
        let growth = if self.growth_percent.is_zero() {
            "flat traffic".to_owned()
        } else if self.growth_percent.is_sign_positive() {
            format!("{}% more traffic a month", self.growth_percent.normalize())
        } else {
            format!("{}% less traffic a month", self.growth_percent.abs().normalize())
        };
        Ok(PlanDetails {
            revision: self.revision,
            p50: money(range.p50),
            p90: money(range.p90),
            samples: range.samples,
            changes: self.changes,
            changed_count: self.changed_count,
            chart_svg,
            growth,
            tier_label: self.tier_label.clone(),
            months,
        })
    }
}

/// The projection's months as shown, each bar scaled to the dearest month.
fn month_views(book: &PriceBook, months: &[edgecost_planner::MonthProjection]) -> Vec<MonthView> {
    let top = months.iter().map(|m| m.total).max().unwrap_or(Decimal::ZERO);
    months
        .iter()
        .map(|m| MonthView {
            month: m.month,
            requests: edgecost_pricing::format::meter_quantity(Meter::Requests, m.usage.requests),
            billable_egress_gb: edgecost_pricing::format::meter_quantity(Meter::Egress, m.usage.billable_egress_gb),
            bill: money(m.total),
            capped: m.capped,
            cheapest: m.cheapest.as_ref().map(|r| format!("{}, {}", tier_label(book, &r.tier), money(r.monthly_cost))),
            // Rounded down, so no month's bar reaches the top before the dearest one's.
            bar_percent: if top.is_zero() { 0 } else { (m.total * Decimal::ONE_HUNDRED / top).floor().try_into().unwrap_or(100) },
        })
        .collect()
}
