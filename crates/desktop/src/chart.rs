//! Charts of the synced snapshot, drawn by `edgecost-charts`, and their exports.

use chrono::{DateTime, Duration, Utc};
use edgecost_api::{Granularity, Meter, UsageLine, UsageSeries, UsageTotals};
use edgecost_charts::{
    Bucket, PeriodCost, ProjectedTotal, RegionEgressChart, RegionSeries, RouteCost, RouteCostChart, Size, SpendChart, SpendProjection,
    Theme, ThemeMode, TimeRange, UsageChart, UsagePoint, UsageView,
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
    /// Each route's share of the period's overage (projected to period end) against the
    /// previous period's, with both periods' base fee and whole cost in a note.
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
            ChartId::Routes => "Overage by route",
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

/// Overage by route as the engine attributes the real bills: each route's share of this
/// period's overage projected to period end at the run rate (a whole period, comparable with
/// the last one), against its share of the previous period's final overage. The shares add
/// up to the bills' overage lines to the cent. The base fee is no route's: the chart's note
/// gives each period's base fee, overage and whole cost as the engine's bills have them, so a
/// tier change that trades overage for a higher base fee does not read as a saving.
pub fn route_chart(snapshot: &Snapshot) -> Result<RouteCostChart, DesktopError> {
    let currency = snapshot.bill.bill.currency.clone();
    let periods = snapshot.route_costs.as_ref().map(|r| r.periods.as_slice()).unwrap_or_default();
    let Some(current) = periods.iter().find(|p| !p.closed) else {
        return Ok(RouteCostChart {
            period_label: snapshot.account.period.start.format("%b %Y").to_string(),
            currency,
            routes: Vec::new(),
            period_cost: None,
            previous_period_cost: None,
        });
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
    // The bars are the projection wherever the engine made one; the note says the same.
    let projected = current.projected_overage.is_some() && current.projected_cost.is_some();
    let period_cost = PeriodCost {
        label: if projected { format!("{}, projected", current.start.format("%B %Y")) } else { current.start.format("%B %Y").to_string() },
        base_fee: current.base_fee,
        overage: current.projected_overage.unwrap_or(current.overage),
        cost: current.projected_cost.unwrap_or(current.cost),
    };
    let previous_period_cost =
        previous.map(|p| PeriodCost { label: p.start.format("%B %Y").to_string(), base_fee: p.base_fee, overage: p.overage, cost: p.cost });
    // Short month names keep the title on one line in the narrowest column.
    let this = if projected { format!("{} projected", current.start.format("%b %Y")) } else { current.start.format("%b %Y").to_string() };
    let period_label = match previous {
        Some(p) => format!("{this} vs {}", p.start.format("%b %Y")),
        None => this,
    };
    Ok(RouteCostChart { period_label, currency, routes, period_cost: Some(period_cost), previous_period_cost })
}

/// The note under the table of requests by route, when the span it compares against (the
/// span of the same length just before the range) does not hold usage from its start: the
/// account or its traffic began inside it, or the tier's metric retention removed its start.
/// Its requests then cover only part of the span, and a route would look as if it grew.
/// `None` when the span before has usage from (about) its start.
///
/// `The span before (Nov 23 – Nov 30) has usage from Nov 27 only, so a change against it
/// overstates growth.`
pub fn earlier_span_note(snapshot: &Snapshot) -> Option<String> {
    let before = &snapshot.previous_by_route;
    // Buckets start at or before the span's start (a day bucket at midnight): the usage
    // starts no earlier than the span.
    let first = before.lines.iter().flat_map(|l| &l.points).filter(|p| p.quantity > 0).map(|p| p.start.max(before.from)).min();
    // The engine's retention rule (docs/billing-rules.md, "Tier limits and data retention").
    let retention = snapshot.book().tier(&snapshot.account.tier).map(|tier| {
        let days = tier.limits.metric_retention_days;
        let kept_from = edgecost_engine::retention::hourly_usage_kept_from(days, snapshot.synced_at);
        (
            tier.display_name().to_owned(),
            days.unwrap_or(edgecost_engine::retention::HOURLY_RETENTION_DAYS_DEFAULT),
            DateTime::from_timestamp(kept_from, 0).unwrap_or(snapshot.synced_at),
        )
    });
    span_note(before.from, before.to, first, retention)
}

/// [`earlier_span_note`] of the span `[from, to)` whose first usage is at `first`, for a
/// tier (its name, its retention in days, the first hour it keeps).
fn span_note(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    first: Option<DateTime<Utc>>,
    retention: Option<(String, u32, DateTime<Utc>)>,
) -> Option<String> {
    if to <= from {
        return None;
    }
    let span = to - from;
    let short = span < Duration::days(2);
    let at = |t: DateTime<Utc>| if short { t.format("%b %-d %H:%M").to_string() } else { t.format("%b %-d").to_string() };
    // A span of days is named by its first and last day, as the range picker names one.
    let last = if short { to } else { to - Duration::seconds(1) };
    let span_text = format!("{} \u{2013} {}", at(from), at(last));
    // The tier's retention is named when it removed the span's start.
    let with_reason = |text: String| match &retention {
        Some((tier, days, kept_from)) if *kept_from > from => format!("{text} {tier} keeps hourly usage for {days} days."),
        _ => text,
    };
    // A quiet first hour or two is traffic, not a gap: a start later by a day, or by a quarter
    // of a shorter span (at least an hour), is.
    let gap = (span / 4).clamp(Duration::hours(1), Duration::days(1));
    match first {
        None => Some(with_reason(format!("The span before ({span_text}) has no usage to compare with."))),
        Some(first) if first - from >= gap => Some(with_reason(format!(
            "The span before ({span_text}) has usage from {} only, so a change against it overstates growth.",
            at(first)
        ))),
        Some(_) => None,
    }
}

/// The period's spend as the bill to date shows it, the run-rate projection and the simulated
/// P50 and P90 at period end (the figures of the dashboard's bill cards), against the budget
/// and the spend cap as last synced. Always the current period, whatever the chart range.
pub fn spend_chart(snapshot: &Snapshot) -> SpendChart {
    let period = &snapshot.account.period;
    // Each projection the spend cap stops flattens from the instant the engine says it does.
    let run_rate_capped = snapshot.bill.projected_totals.spend_cap.as_ref().and_then(|c| c.capped_at);
    let mut projections = vec![SpendProjection {
        label: "Run rate".to_owned(),
        cost: snapshot.bill.projected.cost(),
        capped_from_unix_s: run_rate_capped.map(|t| t.timestamp()),
    }];
    if let Some(outlook) = snapshot.outlook.as_ref().and_then(|r| r.outlook.as_ref()) {
        for (label, p) in [("P50", &outlook.p50), ("P90", &outlook.p90)] {
            projections.push(SpendProjection {
                label: label.to_owned(),
                cost: p.bill.cost(),
                capped_from_unix_s: p.spend_capped_at.map(|t| t.timestamp()),
            });
        }
    }
    let settings = snapshot.budget.as_ref().map(|b| &b.settings);
    SpendChart {
        range: TimeRange::new(period.start.timestamp(), period.end.timestamp()),
        now_unix_s: snapshot.synced_at.timestamp(),
        spend_to_date: snapshot.bill.bill.cost(),
        projections,
        budget: settings.and_then(|s| s.monthly_budget),
        spend_cap: settings.and_then(|s| s.spend_cap),
        currency: snapshot.bill.bill.currency.clone(),
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

    fn t(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn a_span_before_with_usage_from_part_of_it_only_says_so() {
        // The 7 days before the last 7, on Dec 7 at 16:00.
        let (from, to) = (t("2026-11-23T16:00:00Z"), t("2026-11-30T16:00:00Z"));
        let production = Some((String::from("Production"), 395, t("2025-11-07T16:00:00Z")));
        // Usage from its first hours: a like-for-like comparison, nothing to say.
        assert_eq!(span_note(from, to, Some(t("2026-11-23T18:00:00Z")), production.clone()), None);
        // The account's usage began on Nov 27: the span holds 3 of its 7 days.
        assert_eq!(
            span_note(from, to, Some(t("2026-11-27T09:00:00Z")), production.clone()).as_deref(),
            Some("The span before (Nov 23 \u{2013} Nov 30) has usage from Nov 27 only, so a change against it overstates growth.")
        );
        assert_eq!(
            span_note(from, to, None, production).as_deref(),
            Some("The span before (Nov 23 \u{2013} Nov 30) has no usage to compare with.")
        );
        // A Sandbox account keeps 30 days: the 30 days before the last 30 are gone, and the
        // note says why.
        let (from, to) = (t("2026-10-08T16:00:00Z"), t("2026-11-07T16:00:00Z"));
        let sandbox = Some((String::from("Sandbox"), 30, t("2026-11-07T16:00:00Z")));
        assert_eq!(
            span_note(from, to, None, sandbox).as_deref(),
            Some("The span before (Oct 8 \u{2013} Nov 7) has no usage to compare with. Sandbox keeps hourly usage for 30 days.")
        );
        // One that kept part of it, from Oct 20 on.
        let partly = Some((String::from("Sandbox"), 30, t("2026-10-20T16:00:00Z")));
        assert_eq!(
            span_note(from, to, Some(t("2026-10-20T16:00:00Z")), partly).as_deref(),
            Some(
                "The span before (Oct 8 \u{2013} Nov 7) has usage from Oct 20 only, so a change against it overstates growth. \
                 Sandbox keeps hourly usage for 30 days."
            )
        );
        // A short span (the period's first day) is named to the minute, and an hour's gap
        // at its start is a gap.
        let (from, to) = (t("2026-11-30T08:00:00Z"), t("2026-12-01T00:00:00Z"));
        assert_eq!(span_note(from, to, Some(t("2026-11-30T08:30:00Z")), None), None);
        assert_eq!(
            span_note(from, to, Some(t("2026-11-30T14:00:00Z")), None).as_deref(),
            Some(
                "The span before (Nov 30 08:00 \u{2013} Dec 1 00:00) has usage from Nov 30 14:00 only, so a change against it \
                 overstates growth."
            )
        );
    }

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
