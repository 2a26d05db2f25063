//! Charts of the synced snapshot, drawn by `edgecost-charts`, and their exports.

use edgecost_api::{Granularity, Meter, UsageLine, UsageSeries};
use edgecost_charts::{
    Bucket, ProjectedTotal, RegionEgressChart, RegionSeries, RouteCost, RouteCostChart, Size, Theme, ThemeMode, TimeRange,
    UsageChart, UsagePoint, UsageView,
};
use edgecost_pricing::{BYTES_PER_GB, Decimal, PriceBook, RateOptions, Usage};
use serde::{Deserialize, Serialize};

use crate::error::DesktopError;
use crate::snapshot::{ChartRange, Snapshot};

/// The size charts are drawn at; the UI scales the SVG to its column.
const CHART_SIZE: (u32, u32) = (960, 360);
/// PNG exports are drawn at twice the size, crisp on high-density screens.
const PNG_SCALE: f32 = 2.0;

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
}

impl ChartId {
    pub const ALL: [ChartId; 5] = [ChartId::Requests, ChartId::Egress, ChartId::Compute, ChartId::Regions, ChartId::Routes];

    fn meter(self) -> Option<Meter> {
        match self {
            ChartId::Requests => Some(Meter::Requests),
            ChartId::Egress => Some(Meter::Egress),
            ChartId::Compute => Some(Meter::Compute),
            ChartId::Regions | ChartId::Routes => None,
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
        }
    }

    /// The file name stem of an export: `edgecost-requests`.
    pub fn file_stem(self) -> String {
        let name = match self {
            ChartId::Regions => "regions",
            ChartId::Routes => "routes",
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
}

impl DashboardChart {
    fn svg(&self, theme: &Theme, size: Size) -> Result<String, edgecost_charts::ChartError> {
        match self {
            DashboardChart::Usage(c) => c.to_svg(theme, size),
            DashboardChart::Regions(c) => c.to_svg(theme, size),
            DashboardChart::Routes(c) => c.to_svg(theme, size),
        }
    }

    fn csv(&self) -> Result<String, edgecost_charts::ChartError> {
        match self {
            DashboardChart::Usage(c) => c.to_csv(),
            DashboardChart::Regions(c) => c.to_csv(),
            DashboardChart::Routes(c) => c.to_csv(),
        }
    }
}

/// Builds chart `id` from the snapshot.
pub fn dashboard_chart(snapshot: &Snapshot, id: ChartId) -> Result<DashboardChart, DesktopError> {
    match id {
        ChartId::Regions => Ok(DashboardChart::Regions(region_chart(snapshot)?)),
        ChartId::Routes => Ok(DashboardChart::Routes(route_chart(snapshot)?)),
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

/// Each route's share of the overage its usage would be billed on the account's tier, for
/// the range and for the span of the same length before it. Both spans are rated the same
/// way by the pricing core (raw egress bytes, no credit), then each meter's line is split over
/// the routes by their use of that meter, to the cent (largest remainder).
pub fn route_chart(snapshot: &Snapshot) -> Result<RouteCostChart, DesktopError> {
    let book = PriceBook::published();
    let tier = &snapshot.account.tier;
    let current = route_costs(book, tier, &snapshot.usage_by_route)?;
    let previous = route_costs(book, tier, &snapshot.previous_by_route)?;
    let routes = current
        .into_iter()
        .map(|(route, cost)| {
            let previous_cost = previous.iter().find(|(r, _)| *r == route).map(|(_, c)| *c);
            RouteCost { route, cost, previous_cost }
        })
        .collect();
    let period_label = match snapshot.range {
        ChartRange::Period => snapshot.account.period.start.format("%B %Y").to_string(),
        ChartRange::Days7 => "the last 7 days".to_owned(),
        ChartRange::Days30 => "the last 30 days".to_owned(),
        ChartRange::Days90 => "the last 90 days".to_owned(),
    };
    Ok(RouteCostChart { period_label, routes })
}

fn route_costs(book: &PriceBook, tier: &str, series: &UsageSeries) -> Result<Vec<(String, Decimal)>, DesktopError> {
    let requests = totals_by_key(series, Meter::Requests);
    let mut routes: Vec<String> = requests.iter().map(|(k, _)| k.clone()).collect();
    for meter in [Meter::Egress, Meter::Compute] {
        for (key, _) in totals_by_key(series, meter) {
            if !routes.contains(&key) {
                routes.push(key);
            }
        }
    }
    let of = |meter: Meter, route: &str| {
        totals_by_key(series, meter).iter().find(|(k, _)| k == route).map_or(0, |(_, v)| *v)
    };
    let mut sum = [0u64; 3];
    for route in &routes {
        sum[0] = sum[0].saturating_add(of(Meter::Requests, route));
        sum[1] = sum[1].saturating_add(of(Meter::Egress, route));
        sum[2] = sum[2].saturating_add(of(Meter::Compute, route));
    }
    let usage = Usage::from_counters(sum[0], sum[1], sum[2]);
    let bill = match book.rate(tier, &usage, &RateOptions::default()) {
        Ok(bill) => bill,
        // A negotiated tier has no book price to split; the chart then shows no costs.
        Err(edgecost_pricing::RateError::Negotiated { .. }) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut costs = vec![Decimal::new(0, 2); routes.len()];
    for meter in Meter::ALL {
        let amount = bill.lines.iter().find(|l| l.meter == meter).map_or(Decimal::ZERO, |l| l.amount);
        let weights: Vec<Decimal> = routes.iter().map(|r| Decimal::from(of(meter, r))).collect();
        let shares = edgecost_planner::allocate_cents(amount, &weights)
            .map_err(|e| DesktopError::Chart { detail: e.to_string() })?;
        for (cost, share) in costs.iter_mut().zip(shares) {
            *cost = cost.checked_add(share).ok_or(DesktopError::Chart { detail: "route cost overflow".to_owned() })?;
        }
    }
    Ok(routes.into_iter().zip(costs).collect())
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
    let points = series
        .lines
        .iter()
        .filter(|l| l.meter == meter)
        .flat_map(|l| points_of(l, meter))
        .collect::<Result<Vec<_>, _>>()?;
    let in_period = snapshot.range == ChartRange::Period;
    let (range, view, included) = if in_period {
        let included = snapshot.bill.bill.lines.iter().find(|l| l.meter == meter).and_then(|l| l.included);
        (TimeRange::new(period.start.timestamp(), period.end.timestamp()), UsageView::Cumulative, included)
    } else {
        (TimeRange::new(series.from.timestamp(), series.to.timestamp()), UsageView::PerBucket, None)
    };
    let mut chart =
        UsageChart { meter, range, bucket, view, now_unix_s: now_s, points, included, projection: Vec::new(), projection_p90: Vec::new() };
    if in_period {
        chart.projection = projection(&chart, period.end.timestamp())?;
        chart.projection_p90 = busy_projection(snapshot, &chart, meter)?;
    }
    Ok(chart)
}

/// The meter's P90 running total at period end (see [`crate::projection`]): the usage so far
/// plus the busy case of the rest; never below the run-rate projection. Empty without enough
/// history.
fn busy_projection(snapshot: &Snapshot, chart: &UsageChart, meter: Meter) -> Result<Vec<ProjectedTotal>, DesktopError> {
    let book = PriceBook::published();
    let end = snapshot.account.period.end;
    let Some(rest) = snapshot
        .recent_days
        .as_ref()
        .and_then(|history| crate::projection::remaining_p90(book, history, end, snapshot.synced_at))
    else {
        return Ok(Vec::new());
    };
    let (quantity, per_unit) = match meter {
        Meter::Requests => (rest.requests, Decimal::ONE),
        Meter::Egress => (rest.egress_bytes, Decimal::from(BYTES_PER_GB)),
        Meter::Compute => (rest.compute_ms, Decimal::from(1000u32)),
    };
    let overflow = || DesktopError::Chart { detail: "usage too large to chart".to_owned() };
    let so_far = chart.points.iter().try_fold(Decimal::ZERO, |sum, p| sum.checked_add(p.amount)).ok_or_else(overflow)?;
    let busy = Decimal::from(quantity).checked_div(per_unit).and_then(|r| so_far.checked_add(r)).ok_or_else(overflow)?;
    let run_rate = chart.projection.iter().map(|p| p.total).max().unwrap_or(so_far);
    Ok(vec![ProjectedTotal { at_unix_s: end.timestamp(), total: busy.max(run_rate) }])
}

fn projection(chart: &UsageChart, period_end_s: i64) -> Result<Vec<ProjectedTotal>, DesktopError> {
    chart.linear_projection(period_end_s).map_err(chart_error)
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

/// The chart as SVG, in the light or dark palette.
pub fn chart_svg(snapshot: &Snapshot, id: ChartId, dark: bool) -> Result<String, DesktopError> {
    dashboard_chart(snapshot, id)?.svg(&theme(dark), Size::new(CHART_SIZE.0, CHART_SIZE.1)).map_err(chart_error)
}

/// The bytes of an export of the chart.
pub fn export_bytes(snapshot: &Snapshot, id: ChartId, format: ExportFormat, dark: bool) -> Result<Vec<u8>, DesktopError> {
    match format {
        ExportFormat::Svg => Ok(chart_svg(snapshot, id, dark)?.into_bytes()),
        ExportFormat::Png => edgecost_charts::to_png(&chart_svg(snapshot, id, dark)?, PNG_SCALE).map_err(chart_error),
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
