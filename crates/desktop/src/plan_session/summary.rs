//! What the editor shows of the open plan: the headline summary and the rows on screen, alone
//! or as the answer to an edit.

use super::*;

impl PlanSession {
    /// The live estimate.
    pub fn summary(&self) -> Result<PlanSummary, DesktopError> {
        let book = self.estimator.book();
        let plan = self.plan();
        let totals = self.estimator.totals();
        let usage = totals.to_usage();
        let bill = self.estimator.bill()?;
        let comparison = self.estimator.comparison(Decimal::ZERO)?;
        let thresholds = threshold_days(book, &plan.tier, &usage, PLAN_PERIOD_DAYS)?
            .into_iter()
            .map(|t| ThresholdView { meter: t.meter.id().to_owned(), label: t.meter.label().to_owned(), percent: t.percent, day: t.day })
            .collect();
        let regions = self.region_costs(&bill)?;
        let mut used_by: HashMap<&str, u32> = HashMap::new();
        for route in &plan.routes {
            for m in &route.middleware {
                *used_by.entry(m.as_str()).or_default() += 1;
            }
        }
        let middleware = plan
            .middleware
            .iter()
            .map(|(name, m)| NamedMiddleware {
                name: name.clone(),
                fields: MiddlewareFields::of(m),
                used_by: used_by.get(name.as_str()).copied().unwrap_or(0),
            })
            .collect();
        let recommendation = comparison.recommendation.as_ref();
        Ok(PlanSummary {
            revision: self.revision,
            file: self.file.as_ref().map(|p| p.display().to_string()),
            file_name: self.file.as_deref().map(display_name),
            dirty: self.dirty(),
            reformatted: self.reformatted,
            unsaved_edits: self.has_unsaved_edits(),
            cap: cap_view(book, &plan.tier, &usage)?,
            tier: plan.tier.clone(),
            tier_label: tier_label(book, &plan.tier),
            route_count: plan.routes.len() as u32,
            // Read at the precision people read meters at (docs/billing-rules.md, "Rounding and
            // percentages"): whole requests, GB and seconds to the hundredth.
            usage: PlanUsageView {
                requests: meter_quantity(Meter::Requests, totals.requests),
                compute_seconds: meter_quantity(Meter::Compute, totals.compute_seconds),
                egress_gb: meter_quantity(Meter::Egress, gb(totals.egress_bytes)),
                billable_egress_gb: meter_quantity(Meter::Egress, totals.billable_egress_gb()),
            },
            bill: BillView::of(&(&bill).into()),
            tiers: tier_quotes(book, &comparison),
            negotiated: comparison.negotiated.iter().map(|t| tier_label(book, t)).collect(),
            recommendation: recommendation.map(|r| r.summary.clone()),
            recommended_tier: recommendation.map(|r| r.tier.clone()),
            saving: recommendation.filter(|r| r.saving > Decimal::ZERO).map(|r| money(r.saving)),
            thresholds,
            regions,
            saved_total: self.saved.as_ref().map(|s| money(s.total)),
            total_change: self.saved.as_ref().map(|s| signed_money(bill.total - s.total)),
            plan_regions: share_fields(&plan.regions),
            known_regions: book.regions.keys().cloned().collect(),
            middleware,
        })
    }

    fn region_costs(&self, bill: &Bill) -> Result<Vec<RegionCostView>, DesktopError> {
        let regions = self.estimator.region_totals()?;
        let parts: Vec<&Contribution> = regions.iter().map(|(_, c)| c).collect();
        let rows = attribute(bill, &parts)?;
        Ok(regions
            .iter()
            .zip(rows)
            .map(|((name, c), row)| RegionCostView {
                region: (*name).to_owned(),
                requests: meter_quantity(Meter::Requests, c.requests),
                billable_egress_gb: meter_quantity(Meter::Egress, c.billable_egress_gb()),
                cost: money(row.iter().sum()),
            })
            .collect())
    }

    /// Rows `offset..offset + count` of the route table (at most [`ROWS_MAX`]).
    pub fn rows(&mut self, offset: u32, count: u32) -> Result<PlanRows, DesktopError> {
        let total = self.plan().routes.len();
        let start = index(offset).min(total);
        let end = start.saturating_add(index(count.min(ROWS_MAX))).min(total);
        if self.units.as_ref().is_none_or(|u| u.len() != total) {
            let parts: Vec<&Contribution> = self.estimator.route_usages().iter().map(|r| &r.total).collect();
            self.units = Some(RouteUnits::of(&parts)?);
        }
        let bill = self.estimator.bill()?;
        let costs = self.units.as_ref().expect("just counted").window_costs(&bill, start, end)?;
        let plan = self.estimator.plan();
        let usages = &self.estimator.route_usages()[start..end];
        let rows = (start..end)
            .zip(costs)
            .zip(usages)
            .map(|((i, cost), usage)| {
                let route = &plan.routes[i];
                let saved = self.saved.as_ref().map(|s| s.routes.get(&route.path));
                let (status, change) = match saved {
                    // A plan never saved: everything is new, with nothing to compare against.
                    None => (RouteStatus::Added, None),
                    Some(None) => (RouteStatus::Added, Some(signed_money(cost))),
                    // Edited by the diff's rule: a number rewritten to the same value is no edit.
                    Some(Some((old, old_cost))) => (
                        if edited_fields(old, route).is_empty() { RouteStatus::Unchanged } else { RouteStatus::Changed },
                        (*old_cost != cost).then(|| signed_money(cost - *old_cost)),
                    ),
                };
                PlanRow {
                    index: i as u32,
                    fields: RouteFields::of(route),
                    requests: meter_quantity(Meter::Requests, usage.total.requests),
                    compute_seconds: meter_quantity(Meter::Compute, usage.total.compute_seconds),
                    billable_egress_gb: meter_quantity(Meter::Egress, usage.total.billable_egress_gb()),
                    cost: money(cost),
                    cost_change: change,
                    status,
                }
            })
            .collect();
        Ok(PlanRows { revision: self.revision, offset: start as u32, total: total as u32, rows })
    }

    /// Applies `edit` and answers the new summary, the inverse and the rows in the window.
    pub fn edit(&mut self, edit: PlanEdit, offset: u32, count: u32) -> Result<EditAnswer, DesktopError> {
        let Applied { inverse, changed } = self.apply_edit(edit)?;
        Ok(EditAnswer { summary: self.summary()?, inverse, changed, rows: self.rows(offset, count)? })
    }

    /// The estimate and rows `offset..offset + count`.
    pub fn view(&mut self, offset: u32, count: u32) -> Result<PlanView, DesktopError> {
        Ok(PlanView { summary: self.summary()?, rows: self.rows(offset, count)? })
    }
}

/// The cap of a hard-capped tier, as the headline shows it (see [`cap_outlook`]).
fn cap_view(book: &PriceBook, tier: &str, usage: &edgecost_pricing::Usage) -> Result<Option<CapView>, DesktopError> {
    Ok(cap_outlook(book, tier, usage, PLAN_PERIOD_DAYS)?.map(|c| CapView {
        day: c.day,
        period_days: PLAN_PERIOD_DAYS,
        meter_label: c.meter.label().to_owned(),
        refused_percent: format!("{}%", c.refused_percent.normalize()),
        headline: c.headline(PLAN_PERIOD_DAYS, book, tier),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_is_shown_at_the_precision_people_read_meters_at() {
        // 123,457 requests x 94,447 bytes = 11.660143279 GB, half of it from apac (weight 1.5):
        // 14.57517909875 GB billable; 123,457 x 80.583 ms = 9,948.535431 s.
        let yaml = "tier: production\nregions: {na: 0.5, apac: 0.5}\nroutes:\n  - {path: /a, requests_per_month: 123457, compute_ms: 80.583, response_bytes: 94447}\n";
        let mut s = PlanSession::untitled(yaml).unwrap();
        let summary = s.summary().unwrap();
        let usage = &summary.usage;
        assert_eq!(
            (usage.requests.as_str(), usage.compute_seconds.as_str(), usage.egress_gb.as_str(), usage.billable_egress_gb.as_str()),
            ("123,457", "9,948.54", "11.66", "14.58")
        );
        let regions: Vec<(&str, &str, &str)> =
            summary.regions.iter().map(|r| (r.region.as_str(), r.requests.as_str(), r.billable_egress_gb.as_str())).collect();
        assert_eq!(regions, [("apac", "61,729", "8.75"), ("na", "61,729", "5.83")]);
        let row = s.rows(0, 1).unwrap().rows.remove(0);
        assert_eq!(
            (row.requests.as_str(), row.compute_seconds.as_str(), row.billable_egress_gb.as_str()),
            ("123,457", "9,948.54", "14.58")
        );
    }
}
