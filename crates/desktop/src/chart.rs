//! Charts of the synced snapshot, drawn by `edgecost-charts`, and their exports.

use edgecost_api::{Granularity, Meter, UsageLine, UsageSeries};
use edgecost_charts::{Bucket, ProjectedTotal, Size, Theme, ThemeMode, TimeRange, UsageChart, UsagePoint, UsageView};
use edgecost_pricing::{BYTES_PER_GB, Decimal};
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
}

impl ChartId {
    pub const ALL: [ChartId; 3] = [ChartId::Requests, ChartId::Egress, ChartId::Compute];

    fn meter(self) -> Meter {
        match self {
            ChartId::Requests => Meter::Requests,
            ChartId::Egress => Meter::Egress,
            ChartId::Compute => Meter::Compute,
        }
    }

    /// The file name stem of an export: `edgecost-requests`.
    pub fn file_stem(self) -> String {
        format!("edgecost-{}", self.meter().id())
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
    let meter = id.meter();
    let series = &snapshot.usage_by_meter;
    let now_s = snapshot.synced_at.timestamp();
    let period = &snapshot.account.period;
    let bucket = match snapshot.granularity {
        Granularity::Hour => Bucket::Hour,
        Granularity::Day => Bucket::Day,
    };
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
    let mut chart = UsageChart { meter, range, bucket, view, now_unix_s: now_s, points, included, projection: Vec::new() };
    if in_period {
        chart.projection = projection(&chart, period.end.timestamp())?;
    }
    Ok(chart)
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
    usage_chart(snapshot, id)?.to_svg(&theme(dark), Size::new(CHART_SIZE.0, CHART_SIZE.1)).map_err(chart_error)
}

/// The bytes of an export of the chart.
pub fn export_bytes(snapshot: &Snapshot, id: ChartId, format: ExportFormat, dark: bool) -> Result<Vec<u8>, DesktopError> {
    match format {
        ExportFormat::Svg => Ok(chart_svg(snapshot, id, dark)?.into_bytes()),
        ExportFormat::Png => edgecost_charts::to_png(&chart_svg(snapshot, id, dark)?, PNG_SCALE).map_err(chart_error),
        ExportFormat::Csv => Ok(usage_chart(snapshot, id)?.to_csv().map_err(chart_error)?.into_bytes()),
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
