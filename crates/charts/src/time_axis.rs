//! The time-axis chart shared by the usage and egress charts, and bucketing of points.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use rust_decimal::prelude::ToPrimitive;

use crate::error::{ChartError, draw_failed};
use crate::frame::{Bucket, LABEL_PX, LegendEntry, Root, TimeRange, bucket_count, header, text};
use crate::labels::{time_tick, time_ticks};
use crate::theme::Theme;
use edgecost_pricing::Decimal;

/// A chart with time on x (UTC seconds) and a quantity on y.
pub(crate) type TimeChart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<TickAxis, RangedCoordf64>>;

/// An axis whose grid lines and labels fall on the given ticks: whole hours, midnights and
/// Mondays on a time axis (rather than round numbers of seconds), the middle of each bar on a
/// bar chart.
pub(crate) struct TickAxis {
    pub start: f64,
    pub end: f64,
    pub ticks: Vec<f64>,
}

impl Ranged for TickAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.end - self.start;
        if span <= 0.0 {
            return limit.0;
        }
        let ratio = (value - self.start) / span;
        limit.0 + (f64::from(limit.1 - limit.0) * ratio).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Only bold grid lines: a light line between two midnights adds noise, not meaning.
        if hint.weight().allow_light_points() {
            return Vec::new();
        }
        self.ticks.clone()
    }

    fn range(&self) -> Range<f64> {
        self.start..self.end
    }
}

/// What the axes of a time chart show.
pub(crate) struct TimeAxes<'f> {
    pub range: TimeRange,
    pub y_max: f64,
    pub y_desc: &'f str,
    pub y_tick: &'f dyn Fn(f64) -> String,
}

/// Builds the plot area, grid, ticks and axis descriptions of a time chart.
pub(crate) fn time_chart<'a, 'b>(plot_area: &'a Root<'b>, theme: &Theme, axes: &TimeAxes<'_>) -> Result<TimeChart<'a, 'b>, ChartError> {
    let (width_px, _) = plot_area.dim_in_pixel();
    // About one date label per 90 px keeps "Nov 24" labels from touching.
    let max_ticks = (width_px / 90).max(2) as usize;
    let (ticks, step_s) = time_ticks(axes.range.start_unix_s, axes.range.end_unix_s, max_ticks);
    let x = TickAxis {
        start: axes.range.start_unix_s as f64,
        end: axes.range.end_unix_s as f64,
        ticks: ticks.iter().map(|t| *t as f64).collect(),
    };
    let y_max = if axes.y_max.is_finite() && axes.y_max > 0.0 { axes.y_max } else { 1.0 };

    let mut chart = ChartBuilder::on(plot_area)
        .margin(10)
        .margin_right(24)
        .x_label_area_size(44)
        .y_label_area_size(76)
        .build_cartesian_2d(x, 0f64..y_max)
        .map_err(draw_failed)?;
    let x_tick = |x: &f64| time_tick(*x as i64, step_s);
    let y_tick = |y: &f64| (axes.y_tick)(*y);
    chart
        .configure_mesh()
        .bold_line_style(theme.grid.plotters().stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(theme.axis.plotters().stroke_width(1))
        .label_style(text(theme.text, LABEL_PX))
        .axis_desc_style(text(theme.muted_text, LABEL_PX))
        .x_desc("Date (UTC)")
        .y_desc(axes.y_desc)
        .x_label_formatter(&x_tick)
        .y_label_formatter(&y_tick)
        .y_labels(6)
        .draw()
        .map_err(draw_failed)?;
    Ok(chart)
}

/// Draws the header of a time chart and returns the area for its plot.
pub(crate) fn time_header<'b>(root: &Root<'b>, theme: &Theme, title: &str, legend: &[LegendEntry]) -> Result<Root<'b>, ChartError> {
    header(root, theme, title, legend)
}

/// Amounts of `points` summed into the buckets of `range`.
pub(crate) struct Buckets {
    /// One amount per bucket that had started by `now`.
    pub amounts: Vec<Decimal>,
    /// Whether any point fell inside the range at all.
    pub any_point: bool,
}

/// Sums `(start_unix_s, amount)` points into the buckets of `range` that started before
/// `now_unix_s`; points outside the range or in the future are left out.
pub(crate) fn bucketize(
    points: impl Iterator<Item = (i64, Decimal)>,
    range: TimeRange,
    bucket: Bucket,
    now_unix_s: i64,
) -> Result<Buckets, ChartError> {
    let count = bucket_count(range, bucket)?;
    let bucket_s = bucket.seconds();
    let elapsed_s = now_unix_s.clamp(range.start_unix_s, range.end_unix_s) - range.start_unix_s;
    let measured = usize::try_from((elapsed_s + bucket_s - 1) / bucket_s).unwrap_or(0).min(count);
    let mut amounts = vec![Decimal::ZERO; measured];
    let mut any_point = false;
    for (start_unix_s, amount) in points {
        if start_unix_s < range.start_unix_s || start_unix_s >= range.end_unix_s {
            continue;
        }
        let index = usize::try_from((start_unix_s - range.start_unix_s) / bucket_s).unwrap_or(usize::MAX);
        let Some(slot) = amounts.get_mut(index) else {
            continue;
        };
        *slot = slot.checked_add(amount).ok_or(ChartError::Overflow { what: "bucket sum" })?;
        any_point = true;
    }
    Ok(Buckets { amounts, any_point })
}

/// Running totals of `amounts`.
pub(crate) fn running_totals(amounts: &[Decimal]) -> Result<Vec<Decimal>, ChartError> {
    let mut total = Decimal::ZERO;
    amounts
        .iter()
        .map(|amount| {
            total = total.checked_add(*amount).ok_or(ChartError::Overflow { what: "running total" })?;
            Ok(total)
        })
        .collect()
}

/// A plot coordinate from an exact value; values beyond `f64` are drawn at its limit.
pub(crate) fn plot(value: Decimal) -> f64 {
    value.to_f64().unwrap_or(f64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_are_summed_into_started_buckets_only() {
        let range = TimeRange::new(0, 10 * 3_600);
        let points = [(0, 1), (1_800, 2), (3_600, 4), (7 * 3_600, 8), (-5, 16), (36_000, 32)];
        let buckets = bucketize(points.iter().map(|(t, a)| (*t, Decimal::from(*a))), range, Bucket::Hour, 5 * 3_600 + 1).unwrap();
        let amounts: Vec<String> = buckets.amounts.iter().map(Decimal::to_string).collect();
        assert_eq!(amounts, ["3", "4", "0", "0", "0", "0"]);
        assert!(buckets.any_point);
        let totals = running_totals(&buckets.amounts).unwrap();
        assert_eq!(totals.last().unwrap().to_string(), "7");
    }
}
