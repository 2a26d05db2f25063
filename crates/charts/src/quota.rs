//! Projected cumulative usage of each meter against its quota over a billing period, for the
//! planner's live estimate.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::{Deserialize, Serialize};

use edgecost_pricing::{Decimal, Meter, THRESHOLDS_PERCENT};

use crate::csv_out::Table;
use crate::error::{ChartError, draw_failed};
use crate::frame::{KeyStroke, LABEL_PX, LegendEntry, NOTE_PX, Root, Size, draw_empty, header, svg_document, text};
use crate::labels::compact;
use crate::theme::Theme;
use crate::time_axis::{TickAxis, plot};
use crate::usage::{TAG_GAP_MIN_PX, percent_of};

/// The longest period drawn, in days; it bounds every per-day loop.
pub const PERIOD_DAYS_MAX: u32 = 366;

/// One meter's projected running total at the end of each day of the period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeterProjection {
    /// The meter projected.
    pub meter: Meter,
    /// The tier's included quantity; a meter without one has nothing to be measured against
    /// and is listed under the chart instead of drawn.
    pub included: Option<Decimal>,
    /// `cumulative_by_day[d]` is the projected total at the end of day `d + 1`, in the meter's
    /// bill unit.
    pub cumulative_by_day: Vec<Decimal>,
}

impl MeterProjection {
    /// Usage spread evenly over the period: `period_total` x day / `period_days` each day.
    pub fn linear(meter: Meter, period_total: Decimal, included: Option<Decimal>, period_days: u32) -> Result<MeterProjection, ChartError> {
        let days = period_days.min(PERIOD_DAYS_MAX);
        let cumulative_by_day = (1..=days)
            .map(|day| {
                period_total
                    .checked_mul(Decimal::from(day))
                    .and_then(|v| v.checked_div(Decimal::from(days)))
                    .ok_or(ChartError::Overflow { what: "projection" })
            })
            .collect::<Result<_, _>>()?;
        Ok(MeterProjection { meter, included, cumulative_by_day })
    }

    /// The first day (1-based) whose projected total reaches `percent` of the quota.
    pub fn day_reaching(&self, percent: u32) -> Option<u32> {
        let included = self.included.filter(|i| *i > Decimal::ZERO)?;
        let level = percent_of(included, percent).ok()?;
        let index = self.cumulative_by_day.iter().position(|v| *v >= level)?;
        u32::try_from(index + 1).ok()
    }

    /// The projected total as a percentage of the quota, for plotting.
    fn percent(&self, value: Decimal) -> Option<f64> {
        let included = self.included.filter(|i| *i > Decimal::ZERO)?;
        Some(plot(value) / plot(included) * 100.0)
    }
}

/// Every meter's projection over one period, as a percentage of its quota, with the 80% and
/// 100% marks and the day each meter reaches them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaProjectionChart {
    /// The tier whose quotas are shown, e.g. `Production`.
    pub tier_label: String,
    /// Days in the billing period, the length of the x axis.
    pub period_days: u32,
    /// One projection per meter, drawn in order.
    pub meters: Vec<MeterProjection>,
}

/// The message of a projection chart with nothing to project.
pub const NO_PROJECTION_MESSAGE: &str = "No traffic planned yet";

impl QuotaProjectionChart {
    /// `Projected usage of the Production quotas`.
    pub fn title(&self) -> String {
        if self.tier_label.is_empty() {
            String::from("Projected usage of the included quotas")
        } else {
            format!("Projected usage of the {} quotas", self.tier_label)
        }
    }

    /// Draws the chart as an SVG document.
    pub fn to_svg(&self, theme: &Theme, size: Size) -> Result<String, ChartError> {
        let title = self.title();
        let days = self.period_days.min(PERIOD_DAYS_MAX);
        let drawn: Vec<(usize, &MeterProjection)> = self
            .meters
            .iter()
            .enumerate()
            .filter(|(_, m)| m.included.is_some_and(|i| i > Decimal::ZERO) && m.cumulative_by_day.iter().any(|v| !v.is_zero()))
            .collect();
        svg_document(size, theme, &title, |root| {
            if drawn.is_empty() || days == 0 {
                return draw_empty(root, theme, &title, NO_PROJECTION_MESSAGE);
            }
            self.draw(root, theme, &title, days, &drawn)
        })
    }

    /// The data behind the chart as CSV (RFC 4180): one row per meter and day.
    pub fn to_csv(&self) -> Result<String, ChartError> {
        let mut table = Table::new(&["meter", "unit", "day", "cumulative", "included"]);
        for m in &self.meters {
            let included = m.included.map(|i| i.to_string()).unwrap_or_default();
            for (d, value) in m.cumulative_by_day.iter().enumerate().take(PERIOD_DAYS_MAX as usize) {
                table.row(&[m.meter.id(), m.meter.unit(), &(d + 1).to_string(), &value.to_string(), &included])?;
            }
        }
        table.finish()
    }

    fn draw(&self, root: &Root<'_>, theme: &Theme, title: &str, days: u32, drawn: &[(usize, &MeterProjection)]) -> Result<(), ChartError> {
        let mut legend = Vec::with_capacity(drawn.len() + 2);
        for (i, m) in drawn {
            let reached: Vec<String> =
                THRESHOLDS_PERCENT.iter().filter_map(|p| m.day_reaching(*p).map(|d| format!("{p}% on day {d}"))).collect();
            let note = if reached.is_empty() { String::from("stays under 80%") } else { reached.join(", ") };
            legend.push(
                LegendEntry::new(format!("{}: {note}", m.meter.label()), theme.series_color(*i), KeyStroke::Solid)
                    .or_short(m.meter.label()),
            );
        }
        let unquoted: Vec<&str> =
            self.meters.iter().filter(|m| m.included.is_none_or(|i| i <= Decimal::ZERO)).map(|m| m.meter.label()).collect();
        if !unquoted.is_empty() {
            legend.push(
                LegendEntry::new(format!("No quota on this tier: {}", unquoted.join(", ")), theme.muted_text, KeyStroke::Tick)
                    .or_short(format!("No quota: {}", unquoted.join(", "))),
            );
        }
        let plot_area = header(root, theme, title, &legend)?;

        let lines: Vec<(usize, Vec<(f64, f64)>)> = drawn
            .iter()
            .map(|(i, m)| {
                let mut line = vec![(0.0, 0.0)];
                line.extend(
                    m.cumulative_by_day
                        .iter()
                        .take(days as usize)
                        .enumerate()
                        .filter_map(|(d, v)| m.percent(*v).map(|p| ((d + 1) as f64, p))),
                );
                (*i, line)
            })
            .collect();
        let top = lines.iter().flat_map(|(_, l)| l.iter().map(|(_, y)| *y)).fold(100.0, f64::max);

        let step = match days {
            0..=10 => 1,
            11..=35 => 5,
            36..=100 => 10,
            _ => 30,
        };
        let x = TickAxis { start: 0.0, end: f64::from(days), ticks: (0..=days).step_by(step).map(f64::from).collect() };
        let mut chart: ChartContext<'_, SVGBackend<'_>, Cartesian2d<TickAxis, RangedCoordf64>> = ChartBuilder::on(&plot_area)
            .margin(10)
            .margin_right(24)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(x, 0f64..top * 1.12)
            .map_err(draw_failed)?;
        let x_tick = |x: &f64| format!("{x:.0}");
        let y_tick = |y: &f64| format!("{}%", compact(*y));
        chart
            .configure_mesh()
            .bold_line_style(theme.grid.plotters().stroke_width(1))
            .light_line_style(TRANSPARENT)
            .axis_style(theme.axis.plotters().stroke_width(1))
            .label_style(text(theme.text, LABEL_PX))
            .axis_desc_style(text(theme.muted_text, LABEL_PX))
            .x_desc("Day of the billing period")
            .y_desc("% of included quota")
            .x_label_formatter(&x_tick)
            .y_label_formatter(&y_tick)
            .y_labels(6)
            .draw()
            .map_err(draw_failed)?;

        let x_end = f64::from(days);

        let gap_px = chart.backend_coord(&(0.0, 80.0)).1 - chart.backend_coord(&(0.0, 100.0)).1;
        let crowded = gap_px.abs() < TAG_GAP_MIN_PX;
        for percent in THRESHOLDS_PERCENT {
            let y = f64::from(percent);
            let (color, width) = if percent >= 100 { (theme.quota, 2) } else { (theme.warning, 1) };
            chart
                .draw_series(DashedLineSeries::new([(0.0, y), (x_end, y)], 6, 4, color.plotters().stroke_width(width)))
                .map_err(draw_failed)?;
            // Upper left stays clear: every line starts at zero there. When the marks are
            // closer than a line of text, the lower tag goes under its line.
            let below = crowded && percent < 100;
            let (v_pos, dy) = if below { (VPos::Top, 3) } else { (VPos::Bottom, -2) };
            chart
                .draw_series(std::iter::once(
                    EmptyElement::at((0.0, y))
                        + Text::new(format!("{percent}%"), (6, dy), text(color, NOTE_PX).pos(Pos::new(HPos::Left, v_pos))),
                ))
                .map_err(draw_failed)?;
        }
        for (i, line) in &lines {
            let color = theme.series_color(*i).plotters();
            // Where the line crosses each mark, found on the drawn line itself.
            let crossings: Vec<(f64, f64)> = THRESHOLDS_PERCENT.iter().filter_map(|p| crossing(line, f64::from(*p))).collect();
            chart.draw_series(LineSeries::new(line.clone(), color.stroke_width(2))).map_err(draw_failed)?;
            chart.draw_series(crossings.into_iter().map(|c| Circle::new(c, 4, color.filled()))).map_err(draw_failed)?;
        }
        Ok(())
    }
}

/// The first point where `line` reaches `level`, interpolated between its vertices.
fn crossing(line: &[(f64, f64)], level: f64) -> Option<(f64, f64)> {
    line.windows(2).find_map(|w| {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        if y0 < level && y1 >= level {
            let t = (level - y0) / (y1 - y0);
            Some((x0 + t * (x1 - x0), level))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linear_projection_reaches_the_marks_on_the_expected_days() {
        // 3M requests over 30 days against 2M included: 100k a day, 1.6M on day 16, 2M on 20.
        let m = MeterProjection::linear(Meter::Requests, Decimal::from(3_000_000), Some(Decimal::from(2_000_000)), 30).unwrap();
        assert_eq!(m.cumulative_by_day.len(), 30);
        assert_eq!(m.cumulative_by_day[29], Decimal::from(3_000_000));
        assert_eq!(m.day_reaching(80), Some(16));
        assert_eq!(m.day_reaching(100), Some(20));
        let none = MeterProjection { included: None, ..m };
        assert_eq!(none.day_reaching(80), None);
    }

    #[test]
    fn crossings_are_interpolated() {
        assert_eq!(crossing(&[(0.0, 0.0), (2.0, 100.0)], 80.0), Some((1.6, 80.0)));
        assert_eq!(crossing(&[(0.0, 0.0), (2.0, 50.0)], 80.0), None);
    }
}
