//! Charts of the synced snapshot, drawn by `edgecost-charts`, and their exports.

use edgecost_api::{Granularity, Meter, UsageLine, UsageSeries, UsageTotals};
use edgecost_charts::{
    Bucket, ProjectedTotal, RegionEgressChart, RegionSeries, RouteCost, RouteCostChart, Size, SpendChart, SpendProjection, Theme,
    ThemeMode, TimeRange, UsageChart, UsagePoint, UsageView,
};
use edgecost_pricing::{BYTES_PER_GB, Decimal};
use serde::{Deserialize, Serialize};

use crate::error::DesktopError;
use crate::snapshot::{ChartRange, Snapshot};

/// The height every chart of the app is drawn at; its width follows the column it is shown in.
const CHART_HEIGHT_PX: u32 = 360;
/// The narrowest and widest a chart is drawn on screen. The UI asks for the width it shows the
/// chart at, so that its text is drawn at its real size rather than scaled with the image;
/// below the narrowest the axis labels, months and legends would crowd, so a narrower column
/// scales the image down instead.
pub const CHART_WIDTH_MIN_PX: u32 = 480;
pub const CHART_WIDTH_MAX_PX: u32 = 1_600;
/// Exports are drawn at one width whatever the window they are saved from.
const EXPORT_WIDTH_PX: u32 = 960;
/// PNG exports are drawn at twice the size, crisp on high-density screens.
const PNG_SCALE: f32 = 2.0;

/// The size a chart (the account's dashboard's or the operator's) is drawn at for a column
/// `width_px` wide.
pub(crate) fn chart_size(width_px: u32) -> Size {
    Size::new(width_px.clamp(CHART_WIDTH_MIN_PX, CHART_WIDTH_MAX_PX), CHART_HEIGHT_PX)
}

/// A chart the dashboard offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ChartId {
    Requests,
    Egress,
    Compute,
    /// Egress per region over time.
    Regions,
    /// Overage cost per route against the span before.
    Routes,
    /// The period's spend and its projections against the budget and the spend cap.
    Spend,
}

impl ChartId {
    pub const ALL: [ChartId; 6] = [ChartId::Requests, ChartId::Egress, ChartId::Compute, ChartId::Regions, ChartId::Routes, ChartId::Spend];

    fn meter(self) -> Option<Meter> {
        match self {
            ChartId::Requests => Some(Meter::Requests),
            ChartId::Egress => Some(Meter::Egress),
            ChartId::Compute => Some(Meter::Compute),
            ChartId::Regions | ChartId::Routes | ChartId::Spend => None,
        }
    }

    /// The tab title.
    pub fn title(self) -> &'static str {
        match self {
            ChartId::Requests => "Requests",
            ChartId::Egress => "Egress",
            ChartId::Compute => "Compute",
            ChartId::Regions => "Egress by region",
            ChartId::Routes => "Cost by route",
            ChartId::Spend => "Spend vs budget",
        }
    }

    /// The file name stem of an export: `edgecost-requests`.
    pub fn file_stem(self) -> String {
        let name = match self {
            ChartId::Regions => "regions",
            ChartId::Routes => "routes",
            ChartId::Spend => "spend",
            other => other.meter().map_or("chart", |m| m.id()),
        };
        format!("edgecost-{name}")
    }
}

/// Any of the dashboard's charts, ready to draw or export.
pub enum DashboardChart {
    Usage(UsageChart),
    Regions(RegionEgressChart),
    Routes(RouteCostChart),
    Spend(SpendChart),
}

impl DashboardChart {
    fn svg(&self, theme: &Theme, size: Size) -> Result<String, edgecost_charts::ChartError> {
        match self {
            DashboardChart::Usage(c) => c.to_svg(theme, size),
            DashboardChart::Regions(c) => c.to_svg(theme, size),
            DashboardChart::Routes(c) => c.to_svg(theme, size),
            DashboardChart::Spend(c) => c.to_svg(theme, size),
        }
    }

    fn csv(&self) -> Result<String, edgecost_charts::ChartError> {
        match self {
            DashboardChart::Usage(c) => c.to_csv(),
            DashboardChart::Regions(c) => c.to_csv(),
            DashboardChart::Routes(c) => c.to_csv(),
            DashboardChart::Spend(c) => c.to_csv(),
        }
    }
}

/// Builds chart `id` from the snapshot.
pub fn dashboard_chart(snapshot: &Snapshot, id: ChartId) -> Result<DashboardChart, DesktopError> {
    match id {
        ChartId::Regions => Ok(DashboardChart::Regions(region_chart(snapshot)?)),
        ChartId::Routes => Ok(DashboardChart::Routes(route_chart(snapshot)?)),
        ChartId::Spend => Ok(DashboardChart::Spend(spend_chart(snapshot))),
        _ => Ok(DashboardChart::Usage(usage_chart(snapshot, id)?)),
    }
}

fn bucket_of(granularity: Granularity) -> Bucket {
    match granularity {
        Granularity::Hour => Bucket::Hour,
        Granularity::Day => Bucket::Day,
    }
}

/// Egress per region over the snapshot's range, in GB.
pub fn region_chart(snapshot: &Snapshot) -> Result<RegionEgressChart, DesktopError> {
    let series = &snapshot.usage_by_region;
    let mut regions: Vec<RegionSeries> = Vec::new();
    for line in series.lines.iter().filter(|l| l.meter == Meter::Egress) {
        let points = points_of(line, Meter::Egress).into_iter().collect::<Result<Vec<_>, _>>()?;
        match regions.iter_mut().find(|r| r.region == line.key) {
            Some(r) => r.points.extend(points),
            None => regions.push(RegionSeries { region: line.key.clone(), points }),
        }
    }
    Ok(RegionEgressChart {
        range: TimeRange::new(series.from.timestamp(), series.to.timestamp()),
        bucket: bucket_of(snapshot.granularity),
        now_unix_s: snapshot.synced_at.timestamp(),
        regions,
    })
}

/// Cost by route as the engine attributes the real bills: each route's share of this
/// period's overage projected to period end at the run rate (a whole period, comparable with
/// the last one), against its share of the previous period's final overage. The shares add
/// up to the bills' overage lines to the cent.
pub fn route_chart(snapshot: &Snapshot) -> Result<RouteCostChart, DesktopError> {
    let periods = snapshot.route_costs.as_ref().map(|r| r.periods.as_slice()).unwrap_or_default();
    let Some(current) = periods.iter().find(|p| !p.closed) else {
        return Ok(RouteCostChart { period_label: snapshot.account.period.start.format("%B %Y").to_string(), routes: Vec::new() });
    };
    let previous = periods.iter().rev().find(|p| p.closed && p.end <= current.start);
    let routes = current
        .routes
        .iter()
        .map(|r| RouteCost {
            route: r.route.clone(),
            cost: r.projected_cost.unwrap_or(r.cost),
            previous_cost: previous.and_then(|p| p.routes.iter().find(|x| x.route == r.route)).map(|x| x.cost),
        })
        .collect();
    let to_date = edgecost_pricing::format::money_in(current.overage, &snapshot.book().currency);
    let this = format!("{} projected ({to_date} so far)", current.start.format("%B %Y"));
    let period_label = match previous {
        Some(p) => format!("{this}, against {}", p.start.format("%B %Y")),
        None => this,
    };
    Ok(RouteCostChart { period_label, routes })
}

/// The period's spend as the bill to date shows it, the run-rate projection and the simulated
/// P50 and P90 at period end (the figures of the dashboard's bill cards), against the budget
/// and the spend cap as last synced. Always the current period, whatever the chart range.
pub fn spend_chart(snapshot: &Snapshot) -> SpendChart {
    let period = &snapshot.account.period;
    let mut projections = vec![SpendProjection { label: "Run rate".to_owned(), cost: snapshot.bill.projected.cost() }];
    if let Some(outlook) = snapshot.outlook.as_ref().and_then(|r| r.outlook.as_ref()) {
        projections.push(SpendProjection { label: "P50".to_owned(), cost: outlook.p50.bill.cost() });
        projections.push(SpendProjection { label: "P90".to_owned(), cost: outlook.p90.bill.cost() });
    }
    let settings = snapshot.budget.as_ref().map(|b| &b.settings);
    SpendChart {
        range: TimeRange::new(period.start.timestamp(), period.end.timestamp()),
        now_unix_s: snapshot.synced_at.timestamp(),
        spend_to_date: snapshot.bill.bill.cost(),
        projections,
        budget: settings.and_then(|s| s.monthly_budget),
        spend_cap: settings.and_then(|s| s.spend_cap),
    }
}

/// Export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Png,
    Svg,
    Csv,
}

impl ExportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Png => "png",
            ExportFormat::Svg => "svg",
            ExportFormat::Csv => "csv",
        }
    }
}

/// The usage chart of one meter for the snapshot's range: cumulative against the quota with
/// the projection to period end for the current period, per bucket for the other ranges.
pub fn usage_chart(snapshot: &Snapshot, id: ChartId) -> Result<UsageChart, DesktopError> {
    let meter = id.meter().ok_or(DesktopError::UnknownChart { id: id.file_stem() })?;
    let series = &snapshot.usage_by_meter;
    let now_s = snapshot.synced_at.timestamp();
    let period = &snapshot.account.period;
    let bucket = bucket_of(snapshot.granularity);
    let points = match meter {
        // Egress is billed on region-weighted bytes: the chart draws what the quota counts.
        Meter::Egress => billable_egress_points(snapshot)?,
        _ => series.lines.iter().filter(|l| l.meter == meter).flat_map(|l| points_of(l, meter)).collect::<Result<Vec<_>, _>>()?,
    };
    let in_period = snapshot.range == ChartRange::Period;
    let (range, view, included) = if in_period {
        let included = snapshot.bill.bill.lines.iter().find(|l| l.meter == meter).and_then(|l| l.included);
        (TimeRange::new(period.start.timestamp(), period.end.timestamp()), UsageView::Cumulative, included)
    } else {
        // The first bucket starts at or before the range's start: the chart starts with it,
        // so every granularity of one range shows the same usage.
        let first = points.iter().map(|p| p.start_unix_s).min().unwrap_or(i64::MAX).min(series.from.timestamp());
        (TimeRange::new(first, series.to.timestamp()), UsageView::PerBucket, None)
    };
    let mut chart = UsageChart {
        meter: meter.into(),
        range,
        bucket,
        view,
        now_unix_s: now_s,
        points,
        included,
        projection: Vec::new(),
        projection_p90: Vec::new(),
    };
    if in_period {
        chart.projection = run_rate_projection(snapshot, meter)?;
        chart.projection_p90 = busy_projection(snapshot, meter)?;
    }
    Ok(chart)
}

/// The meter's P90 running total at period end from the engine's outlook: the usage so far
/// plus the meter's own 90th percentile of the simulated rest of the period. Empty without
/// an outlook.
fn busy_projection(snapshot: &Snapshot, meter: Meter) -> Result<Vec<ProjectedTotal>, DesktopError> {
    match snapshot.outlook.as_ref().and_then(|r| r.outlook.as_ref()) {
        Some(outlook) => projected_at_period_end(snapshot, &outlook.p90_totals, meter),
        None => Ok(Vec::new()),
    }
}

/// `totals` as the meter's running total at period end, in the chart's unit.
fn projected_at_period_end(snapshot: &Snapshot, totals: &UsageTotals, meter: Meter) -> Result<Vec<ProjectedTotal>, DesktopError> {
    let overflow = || DesktopError::Chart { detail: "usage too large to chart".to_owned() };
    let total = match meter {
        Meter::Requests => Decimal::from(totals.requests),
        Meter::Egress => totals.billable_egress_bytes.checked_div(Decimal::from(BYTES_PER_GB)).ok_or_else(overflow)?,
        Meter::Compute => Decimal::from(totals.compute_ms).checked_div(Decimal::from(1000u32)).ok_or_else(overflow)?,
    };
    Ok(vec![ProjectedTotal { at_unix_s: snapshot.account.period.end.timestamp(), total }])
}

/// Egress per bucket in billable GB: each region's bytes times its price-book weight.
fn billable_egress_points(snapshot: &Snapshot) -> Result<Vec<UsagePoint>, DesktopError> {
    let book = snapshot.book();
    let overflow = || DesktopError::Chart { detail: "usage too large to chart".to_owned() };
    let mut buckets: std::collections::BTreeMap<i64, Decimal> = std::collections::BTreeMap::new();
    for line in snapshot.usage_by_region.lines.iter().filter(|l| l.meter == Meter::Egress) {
        let weight = book.region_weight(&line.key).unwrap_or(Decimal::ONE);
        for p in &line.points {
            let billable = Decimal::from(p.quantity).checked_mul(weight).ok_or_else(overflow)?;
            let sum = buckets.entry(p.start.timestamp()).or_default();
            *sum = sum.checked_add(billable).ok_or_else(overflow)?;
        }
    }
    buckets
        .into_iter()
        .map(|(start, bytes)| {
            let amount = bytes.checked_div(Decimal::from(BYTES_PER_GB)).ok_or_else(overflow)?;
            Ok(UsagePoint { start_unix_s: start, amount })
        })
        .collect()
}

/// The meter's total at period end at the engine's run rate (see the bill's projection basis).
fn run_rate_projection(snapshot: &Snapshot, meter: Meter) -> Result<Vec<ProjectedTotal>, DesktopError> {
    projected_at_period_end(snapshot, &snapshot.bill.projected_totals, meter)
}

/// A series line's points in the meter's bill unit (requests, GB, seconds).
fn points_of(line: &UsageLine, meter: Meter) -> Vec<Result<UsagePoint, DesktopError>> {
    let divisor = match meter {
        Meter::Requests => Decimal::ONE,
        Meter::Egress => Decimal::from(BYTES_PER_GB),
        Meter::Compute => Decimal::from(1000u32),
    };
    line.points
        .iter()
        .map(|p| {
            // Exact: dividing by a power of ten only moves the decimal point.
            let amount = Decimal::from(p.quantity)
                .checked_div(divisor)
                .ok_or(DesktopError::Chart { detail: "usage too large to chart".to_owned() })?;
            Ok(UsagePoint { start_unix_s: p.start.timestamp(), amount })
        })
        .collect()
}

fn theme(dark: bool) -> Theme {
    Theme::for_mode(if dark { ThemeMode::Dark } else { ThemeMode::Light })
}

fn chart_error(e: edgecost_charts::ChartError) -> DesktopError {
    DesktopError::Chart { detail: e.to_string() }
}

/// Chart `id` of the snapshot as SVG, in the light or dark palette, drawn for a column
/// `width_px` wide (see [`chart_size`]).
pub fn chart_svg(snapshot: &Snapshot, id: ChartId, dark: bool, width_px: u32) -> Result<String, DesktopError> {
    dashboard_chart(snapshot, id)?.svg(&theme(dark), chart_size(width_px)).map_err(chart_error)
}

/// A chart of the operator's dashboard as SVG, drawn for a column `width_px` wide.
pub(crate) fn monthly_svg(chart: &edgecost_charts::MonthlyChart, dark: bool, width_px: u32) -> Result<String, DesktopError> {
    chart.to_svg(&theme(dark), chart_size(width_px)).map_err(chart_error)
}

/// The bytes of an export of the chart.
pub fn export_bytes(snapshot: &Snapshot, id: ChartId, format: ExportFormat, dark: bool) -> Result<Vec<u8>, DesktopError> {
    let svg = || chart_svg(snapshot, id, dark, EXPORT_WIDTH_PX);
    match format {
        ExportFormat::Svg => Ok(svg()?.into_bytes()),
        ExportFormat::Png => edgecost_charts::to_png(&svg()?, PNG_SCALE).map_err(chart_error),
        ExportFormat::Csv => Ok(dashboard_chart(snapshot, id)?.csv().map_err(chart_error)?.into_bytes()),
    }
}

/// Totals of one grouping per key and meter, in the meter's API unit (bytes, ms, requests).
pub(crate) fn totals_by_key(series: &UsageSeries, meter: Meter) -> Vec<(String, u64)> {
    let mut totals: Vec<(String, u64)> = Vec::new();
    for line in series.lines.iter().filter(|l| l.meter == meter) {
        let sum = line.points.iter().fold(0u64, |acc, p| acc.saturating_add(p.quantity));
        match totals.iter_mut().find(|(k, _)| *k == line.key) {
            Some((_, total)) => *total = total.saturating_add(sum),
            None => totals.push((line.key.clone(), sum)),
        }
    }
    totals.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    totals
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_is_drawn_at_its_columns_width_within_bounds() {
        // The chart column of an 880 x 600 window is about 780 px wide, of a 1200 x 800 one
        // about 1,100: both are drawn as wide as they are shown.
        for width_px in [780, 1_100, CHART_WIDTH_MIN_PX, CHART_WIDTH_MAX_PX] {
            assert_eq!(chart_size(width_px), Size::new(width_px, CHART_HEIGHT_PX));
        }
        // A column not laid out yet (0) or too narrow to draw in is drawn at the narrowest and
        // scaled down; one wider than the widest leaves a margin beside the image.
        assert_eq!(chart_size(0).width_px, CHART_WIDTH_MIN_PX);
        assert_eq!(chart_size(200).width_px, CHART_WIDTH_MIN_PX);
        assert_eq!(chart_size(u32::MAX).width_px, CHART_WIDTH_MAX_PX);
    }
}
