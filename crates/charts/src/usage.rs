//! Usage over time of one meter, against its included quota.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::{Deserialize, Serialize};

use edgecost_pricing::{Decimal, Meter, THRESHOLDS_PERCENT};

use crate::csv_out::Table;
use crate::error::{ChartError, draw_failed};
use crate::frame::{Bucket, KeyStroke, LegendEntry, NOTE_PX, Size, TimeRange, draw_empty, svg_document, text};
use crate::labels::{meter_amount, meter_tick, rfc3339};
use crate::theme::Theme;
use crate::time_axis::{TimeAxes, bucketize, plot, running_totals, time_chart, time_header};

/// What a meter measured in one bucket, starting at `start_unix_s` (UTC seconds).
///
/// The amount is in the meter's bill unit: requests, GB of egress, or compute seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsagePoint {
    /// The start of the bucket.
    pub start_unix_s: i64,
    /// What was used in the bucket.
    pub amount: Decimal,
}

/// A projected running total of a meter at `at_unix_s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectedTotal {
    /// When the total is reached, typically the end of the period.
    pub at_unix_s: i64,
    /// The running total since the start of the range.
    pub total: Decimal,
}

/// How the usage line is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageView {
    /// The running total since the start of the range, against the included quota.
    Cumulative,
    /// The amount in each bucket, against the even pace that would use the quota exactly.
    PerBucket,
}

/// One meter's usage over a range, with its quota and projection.
///
/// The chart is pure data: it draws the points as given and reads no clock. Usage is known
/// up to `now_unix_s`; buckets that start at or after it are not drawn (pass the range's end
/// for a range wholly in the past).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageChart {
    /// The meter drawn; it sets the units of the axis and labels.
    pub meter: Meter,
    /// The range on the x axis; for the current billing period, the period itself.
    pub range: TimeRange,
    /// The width of each point.
    pub bucket: Bucket,
    /// Running total or per bucket.
    pub view: UsageView,
    /// The instant usage is known up to; see the type's description.
    pub now_unix_s: i64,
    /// Amounts per bucket; several points in one bucket are added up.
    pub points: Vec<UsagePoint>,
    /// The tier's included quantity over `range`, or `None` to draw no quota.
    pub included: Option<Decimal>,
    /// Projected running totals after `now_unix_s` (the billing engine's run rate), drawn
    /// dashed.
    pub projection: Vec<ProjectedTotal>,
    /// A busier projection (the P90 of simulated periods), drawn as a thinner dashed line
    /// above the projection; empty for none.
    #[serde(default)]
    pub projection_p90: Vec<ProjectedTotal>,
}

/// `percent`% of `included`, exact: dividing by 100 only moves the decimal point.
pub(crate) fn percent_of(included: Decimal, percent: u32) -> Result<Decimal, ChartError> {
    included
        .checked_mul(Decimal::from(percent))
        .and_then(|v| v.checked_div(Decimal::from(100u32)))
        .ok_or(ChartError::Overflow { what: "quota mark" })
}

/// Marks closer than this on screen would print their tags over each other.
pub(crate) const TAG_GAP_MIN_PX: i32 = 14;

/// The message of a usage chart with no points in its range.
pub const NO_USAGE_MESSAGE: &str = "No usage in this range yet";

impl UsageChart {
    /// `Requests, cumulative` or `Egress per hour`.
    pub fn title(&self) -> String {
        match self.view {
            UsageView::Cumulative => format!("{}, cumulative", self.meter.label()),
            UsageView::PerBucket => format!("{} per {}", self.meter.label(), self.bucket.noun()),
        }
    }

    /// Draws the chart as an SVG document.
    pub fn to_svg(&self, theme: &Theme, size: Size) -> Result<String, ChartError> {
        let title = self.title();
        let buckets = bucketize(self.point_pairs(), self.range, self.bucket, self.now_unix_s)?;
        svg_document(size, theme, &title, |root| {
            if !buckets.any_point {
                return draw_empty(root, theme, &title, NO_USAGE_MESSAGE);
            }
            match self.view {
                UsageView::Cumulative => self.draw_cumulative(root, theme, &title, &buckets.amounts),
                UsageView::PerBucket => self.draw_per_bucket(root, theme, &title, &buckets.amounts),
            }
        })
    }

    /// The data behind the chart as CSV (RFC 4180): one `measured` row per bucket with its
    /// amount and running total, one `projected` row per projected total, and the
    /// `included` quota.
    pub fn to_csv(&self) -> Result<String, ChartError> {
        let key = self.meter.book_key();
        let cumulative = format!("cumulative_{key}");
        let mut table = Table::new(&["kind", "time_utc", "unix_s", key, &cumulative]);
        let buckets = bucketize(self.point_pairs(), self.range, self.bucket, self.now_unix_s)?;
        let totals = running_totals(&buckets.amounts)?;
        for (i, (amount, total)) in buckets.amounts.iter().zip(&totals).enumerate() {
            let start = self.range.start_unix_s + i as i64 * self.bucket.seconds();
            table.row(&["measured", &rfc3339(start), &start.to_string(), &amount.to_string(), &total.to_string()])?;
        }
        for (kind, projection) in [("projected", &self.projection), ("projected_p90", &self.projection_p90)] {
            for p in projection {
                table.row(&[kind, &rfc3339(p.at_unix_s), &p.at_unix_s.to_string(), "", &p.total.to_string()])?;
            }
        }
        if let Some(included) = self.included {
            let end = self.range.end_unix_s;
            table.row(&["included", &rfc3339(end), &end.to_string(), "", &included.to_string()])?;
        }
        table.finish()
    }

    fn point_pairs(&self) -> impl Iterator<Item = (i64, Decimal)> + '_ {
        self.points.iter().map(|p| (p.start_unix_s, p.amount))
    }

    /// Where the measured line ends: the end of the last started bucket, or now.
    fn measured_end(&self, measured: usize) -> i64 {
        let end = self.range.start_unix_s + measured as i64 * self.bucket.seconds();
        end.min(self.now_unix_s).min(self.range.end_unix_s)
    }

    /// The y axis names only the unit: the title already says what is measured, and a long
    /// vertical description would run past the plot of a small chart.
    ///
    /// Egress ticks switch between MB, GB and TB with the scale, so its axis says "billable
    /// egress" (the region-weighted bytes the meter bills, not the bytes served) and leaves
    /// the unit to the ticks.
    fn y_desc(&self) -> String {
        let noun = match self.meter {
            Meter::Egress => "billable egress",
            other => other.unit(),
        };
        match self.view {
            UsageView::Cumulative => noun.to_string(),
            UsageView::PerBucket => format!("{noun} per {}", self.bucket.noun()),
        }
    }

    fn draw_cumulative(&self, root: &crate::frame::Root<'_>, theme: &Theme, title: &str, amounts: &[Decimal]) -> Result<(), ChartError> {
        let totals = running_totals(amounts)?;
        let bucket_s = self.bucket.seconds();
        let start = self.range.start_unix_s;
        let last_x = self.measured_end(amounts.len());
        let total = totals.last().copied().unwrap_or(Decimal::ZERO);
        let meter = self.meter;

        // Totals are reached at the end of each bucket; the line starts at zero.
        let mut line = Vec::with_capacity(totals.len() + 1);
        line.push((start as f64, 0.0));
        for (i, t) in totals.iter().enumerate() {
            let x = (start + (i as i64 + 1) * bucket_s).min(last_x);
            line.push((x as f64, plot(*t)));
        }
        // The run-rate projection and the busy case, each from the last measured total.
        let projections = [(&self.projection, &RUN_RATE), (&self.projection_p90, &BUSY_CASE)]
            .map(|(points, style)| (projection_line(points, last_x, total), points, style));
        let levels: Vec<(u32, Decimal)> = match self.included {
            Some(included) => THRESHOLDS_PERCENT.iter().map(|p| Ok((*p, percent_of(included, *p)?))).collect::<Result<_, ChartError>>()?,
            None => Vec::new(),
        };

        let mut legend = vec![
            LegendEntry::new(format!("Measured ({})", meter_amount(meter, total)), theme.series_color(0), KeyStroke::Solid)
                .or_short("Measured"),
        ];
        for (line, points, style) in &projections {
            if !line.is_empty() {
                let end_total = points.iter().map(|p| p.total).max().unwrap_or(total);
                legend.push(
                    LegendEntry::new(format!("{} ({})", style.label, meter_amount(meter, end_total)), theme.projection, style.key)
                        .or_short(style.short),
                );
            }
        }
        for (percent, level) in &levels {
            legend.push(if *percent >= 100 {
                LegendEntry::new(format!("Included ({})", meter_amount(meter, *level)), theme.quota, KeyStroke::Solid).or_short("Included")
            } else {
                LegendEntry::new(format!("{percent}% notice ({})", meter_amount(meter, *level)), theme.warning, KeyStroke::Dashed)
                    .or_short(format!("{percent}%"))
            });
        }

        let mut y_max = plot(total);
        for (_, y) in projections.iter().flat_map(|(line, ..)| line) {
            y_max = y_max.max(*y);
        }
        if let Some(included) = self.included {
            y_max = y_max.max(plot(included));
        }
        let y_desc = self.y_desc();
        let y_tick = move |y: f64| meter_tick(meter, y);
        let axes = TimeAxes { range: self.range, y_max: y_max * 1.1, y_desc: &y_desc, y_tick: &y_tick };
        let plot_area = time_header(root, theme, title, &legend)?;
        let mut chart = time_chart(&plot_area, theme, &axes)?;
        let (x0, x1) = (start as f64, self.range.end_unix_s as f64);

        // Tags sit at the left end, which a running total from zero leaves clear; when the
        // two marks are closer than a line of text, the lower tag goes under its line.
        let level_px: Vec<i32> = levels.iter().map(|(_, l)| chart.backend_coord(&(x0, plot(*l))).1).collect();
        let crowded = level_px.windows(2).any(|w| (w[0] - w[1]).abs() < TAG_GAP_MIN_PX);
        for (percent, level) in &levels {
            let y = plot(*level);
            let (color, tag) = if *percent >= 100 { (theme.quota, String::from("100%")) } else { (theme.warning, format!("{percent}%")) };
            if *percent >= 100 {
                chart.draw_series(LineSeries::new([(x0, y), (x1, y)], color.plotters().stroke_width(2))).map_err(draw_failed)?;
            } else {
                chart
                    .draw_series(DashedLineSeries::new([(x0, y), (x1, y)], 6, 4, color.plotters().stroke_width(1)))
                    .map_err(draw_failed)?;
            }
            let below = crowded && *percent < 100;
            let (v_pos, dy) = if below { (VPos::Top, 3) } else { (VPos::Bottom, -2) };
            chart
                .draw_series(std::iter::once(
                    EmptyElement::at((x0, y)) + Text::new(tag, (6, dy), text(color, NOTE_PX).pos(Pos::new(HPos::Left, v_pos))),
                ))
                .map_err(draw_failed)?;
        }
        chart.draw_series(LineSeries::new(line, theme.series_color(0).plotters().stroke_width(2))).map_err(draw_failed)?;
        // The busy case first, so the run rate draws over it where they meet.
        for (line, _, style) in projections.into_iter().rev() {
            if !line.is_empty() {
                chart
                    .draw_series(DashedLineSeries::new(line, style.dash, style.gap, theme.projection.plotters().stroke_width(style.width)))
                    .map_err(draw_failed)?;
            }
        }
        Ok(())
    }

    fn draw_per_bucket(&self, root: &crate::frame::Root<'_>, theme: &Theme, title: &str, amounts: &[Decimal]) -> Result<(), ChartError> {
        let bucket_s = self.bucket.seconds();
        let start = self.range.start_unix_s;
        let half = bucket_s as f64 / 2.0;
        let meter = self.meter;
        let noun = self.bucket.noun();
        let line: Vec<(f64, f64)> =
            amounts.iter().enumerate().map(|(i, a)| ((start + i as i64 * bucket_s) as f64 + half, plot(*a))).collect();
        let total = running_totals(amounts)?.last().copied().unwrap_or(Decimal::ZERO);
        let last_x = self.measured_end(amounts.len());

        // The pace that would use exactly the included quantity by the end of the range.
        let pace = self
            .included
            .and_then(|included| included.checked_mul(Decimal::from(bucket_s))?.checked_div(Decimal::from(self.range.length_s())));
        // Projected totals become the per-bucket rate each segment implies.
        let mut rates: Vec<(f64, f64, f64)> = Vec::new();
        let mut from = (last_x, total);
        let mut projected: Vec<&ProjectedTotal> = self.projection.iter().filter(|p| p.at_unix_s > last_x).collect();
        projected.sort_by_key(|p| p.at_unix_s);
        for p in projected {
            let span_s = p.at_unix_s - from.0;
            let rate = p
                .total
                .checked_sub(from.1)
                .and_then(|added| added.checked_mul(Decimal::from(bucket_s)))
                .and_then(|r| r.checked_div(Decimal::from(span_s)))
                .ok_or(ChartError::Overflow { what: "projected rate" })?;
            rates.push((from.0 as f64, p.at_unix_s as f64, plot(rate).max(0.0)));
            from = (p.at_unix_s, p.total);
        }

        let mut legend = vec![
            LegendEntry::new(format!("Measured ({} in range)", meter_amount(meter, total)), theme.series_color(0), KeyStroke::Solid)
                .or_short("Measured"),
        ];
        if !rates.is_empty() {
            legend.push(LegendEntry::new("Projected pace to period end", theme.projection, KeyStroke::Dashed).or_short("Projected"));
        }
        if let Some(pace) = pace {
            legend.push(
                LegendEntry::new(
                    format!("Even pace to the quota ({} per {noun})", meter_amount(meter, pace)),
                    theme.quota,
                    KeyStroke::Dashed,
                )
                .or_short("Even pace"),
            );
        }

        let mut y_max = line.iter().map(|(_, y)| *y).fold(0.0, f64::max);
        if let Some(pace) = pace {
            y_max = y_max.max(plot(pace));
        }
        for (_, _, rate) in &rates {
            y_max = y_max.max(*rate);
        }
        let y_desc = self.y_desc();
        let y_tick = move |y: f64| meter_tick(meter, y);
        let axes = TimeAxes { range: self.range, y_max: y_max * 1.1, y_desc: &y_desc, y_tick: &y_tick };
        let plot_area = time_header(root, theme, title, &legend)?;
        let mut chart = time_chart(&plot_area, theme, &axes)?;
        let (x0, x1) = (start as f64, self.range.end_unix_s as f64);

        if let Some(pace) = pace {
            let y = plot(pace);
            chart
                .draw_series(DashedLineSeries::new([(x0, y), (x1, y)], 6, 4, theme.quota.plotters().stroke_width(1)))
                .map_err(draw_failed)?;
        }
        chart.draw_series(LineSeries::new(line, theme.series_color(0).plotters().stroke_width(2))).map_err(draw_failed)?;
        for (from_x, to_x, rate) in rates {
            chart
                .draw_series(DashedLineSeries::new([(from_x, rate), (to_x, rate)], 7, 5, theme.projection.plotters().stroke_width(2)))
                .map_err(draw_failed)?;
        }
        Ok(())
    }
}

/// How a projection line is drawn and named in the legend.
struct ProjectionStyle {
    label: &'static str,
    short: &'static str,
    key: KeyStroke,
    dash: u32,
    gap: u32,
    width: u32,
}

/// The projection at the run rate so far.
const RUN_RATE: ProjectionStyle =
    ProjectionStyle { label: "Projected to period end", short: "Projected", key: KeyStroke::Dashed, dash: 7, gap: 5, width: 2 };
/// The busy case (P90) of simulated periods: thinner, shorter dashes.
const BUSY_CASE: ProjectionStyle =
    ProjectionStyle { label: "P90, busy case", short: "P90", key: KeyStroke::Dotted, dash: 3, gap: 4, width: 1 };

/// A dashed projection line: from the last measured total through each projected total.
fn projection_line(projection: &[ProjectedTotal], last_x: i64, total: Decimal) -> Vec<(f64, f64)> {
    let mut projected: Vec<&ProjectedTotal> = projection.iter().filter(|p| p.at_unix_s > last_x).collect();
    if projected.is_empty() {
        return Vec::new();
    }
    projected.sort_by_key(|p| p.at_unix_s);
    let mut line = vec![(last_x as f64, plot(total))];
    line.extend(projected.iter().map(|p| (p.at_unix_s as f64, plot(p.total))));
    line
}
