//! A figure month by month, for the operator's view: revenue stacked by tier as bars, or
//! percentages (retention, churn, conversion) as lines with a marker per month.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::{Deserialize, Serialize};

use edgecost_pricing::Decimal;

use crate::csv_out::Table;
use crate::error::{ChartError, draw_failed};
use crate::frame::{KeyStroke, LABEL_PX, LegendEntry, NOTE_PX, Root, Size, draw_empty, header, svg_document, text};
use crate::labels::{compact, money_tick};
use crate::theme::Theme;
use crate::time_axis::{TickAxis, plot};

/// What a monthly chart's values are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MonthlyUnit {
    /// Amounts in the currency, stacked as bars (the series add up to each month's total).
    Money,
    /// Percentages, drawn as lines; a month without a value (no base to divide by) is a gap.
    Percent,
}

/// One series: a value per month of the chart, in the chart's order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthSeries {
    /// Names the series in the legend, e.g. `NRR` or `production`.
    pub label: String,
    /// One value per month; `None` where the month has none.
    pub values: Vec<Option<Decimal>>,
}

/// Figures month by month: bars of money stacked by series, or lines of percentages with an
/// optional reference line (100% retention).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthlyChart {
    /// The chart's title, e.g. `Net and gross revenue retention`.
    pub title: String,
    /// The months' labels in order, e.g. `Sep 2026`; an open month may say so (`Dec (to date)`).
    pub months: Vec<String>,
    /// What the values are.
    pub unit: MonthlyUnit,
    /// The series, drawn in order.
    pub series: Vec<MonthSeries>,
    /// A horizontal reference line and its label, such as 100% for retention.
    pub reference: Option<(String, Decimal)>,
    /// The last month is still open, its figures to date: its bars are drawn faint with an
    /// outline, its line markers hollow, and its figures read "to date", so that a month half
    /// gone is not read as a month that fell.
    #[serde(default)]
    pub open_last: bool,
}

/// How strongly an open month's bars are filled, against 1 for a closed month's.
const OPEN_MONTH_OPACITY: f64 = 0.35;

/// The message of a monthly chart with no value at all.
pub const NO_MONTHLY_VALUES_MESSAGE: &str = "No figures for these months yet";

/// The most months one chart draws; the report itself covers at most 36.
pub const MONTHS_SHOWN_MAX: usize = 36;

impl MonthlyChart {
    /// Draws the chart as an SVG document.
    pub fn to_svg(&self, theme: &Theme, size: Size) -> Result<String, ChartError> {
        if self.months.len() > MONTHS_SHOWN_MAX {
            return Err(ChartError::Overflow { what: "months" });
        }
        let empty = self.series.iter().all(|s| s.values.iter().all(Option::is_none)) || self.months.is_empty();
        svg_document(size, theme, &self.title, |root| {
            if empty {
                return draw_empty(root, theme, &self.title, NO_MONTHLY_VALUES_MESSAGE);
            }
            draw(root, theme, self)
        })
    }

    /// The numbers behind the chart as CSV (RFC 4180): one row per month, one column per series.
    pub fn to_csv(&self) -> Result<String, ChartError> {
        let mut header: Vec<&str> = vec!["month"];
        header.extend(self.series.iter().map(|s| s.label.as_str()));
        let mut table = Table::new(&header);
        for (i, month) in self.months.iter().enumerate() {
            let cells: Vec<String> = std::iter::once(month.clone())
                .chain(self.series.iter().map(|s| s.values.get(i).copied().flatten().map(|v| v.to_string()).unwrap_or_default()))
                .collect();
            let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
            table.row(&refs)?;
        }
        table.finish()
    }

    /// Whether month `m` is the open one (see `open_last`).
    fn is_open(&self, m: usize) -> bool {
        self.open_last && m + 1 == self.months.len()
    }

    fn value(&self, series: usize, month: usize) -> Option<Decimal> {
        self.series.get(series).and_then(|s| s.values.get(month).copied().flatten())
    }

    /// The largest value drawn: the highest stacked total, line point or reference.
    fn y_max(&self) -> f64 {
        let n = self.months.len();
        let data = match self.unit {
            MonthlyUnit::Money => (0..n)
                .map(|m| (0..self.series.len()).filter_map(|s| self.value(s, m)).map(plot).filter(|v| *v > 0.0).sum::<f64>())
                .fold(0.0, f64::max),
            MonthlyUnit::Percent => {
                (0..n).flat_map(|m| (0..self.series.len()).filter_map(move |s| self.value(s, m))).map(plot).fold(0.0, f64::max)
            }
        };
        let reference = self.reference.as_ref().map_or(0.0, |(_, v)| plot(*v));
        let top = data.max(reference);
        if top > 0.0 { top * 1.15 } else { 1.0 }
    }
}

fn draw(root: &Root<'_>, theme: &Theme, chart: &MonthlyChart) -> Result<(), ChartError> {
    let stroke = match chart.unit {
        MonthlyUnit::Money => KeyStroke::Block,
        MonthlyUnit::Percent => KeyStroke::Solid,
    };
    let mut legend: Vec<LegendEntry> =
        chart.series.iter().enumerate().map(|(i, s)| LegendEntry::new(s.label.clone(), theme.series_color(i), stroke)).collect();
    if let Some((label, _)) = &chart.reference {
        legend.push(LegendEntry::new(label.clone(), theme.muted_text, KeyStroke::Dashed));
    }
    let plot_area = header(root, theme, &chart.title, &legend)?;
    let n = chart.months.len();
    let bands = TickAxis { start: 0.0, end: n as f64, ticks: (0..n).map(|i| i as f64 + 0.5).collect() };
    let y_max = chart.y_max();
    let mut ctx: ChartContext<'_, SVGBackend<'_>, Cartesian2d<TickAxis, RangedCoordf64>> = ChartBuilder::on(&plot_area)
        .margin(10)
        .margin_right(24)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(bands, 0f64..y_max)
        .map_err(draw_failed)?;
    let months = chart.months.clone();
    let x_label = move |x: &f64| months.get((*x - 0.5).round().max(0.0) as usize).cloned().unwrap_or_default();
    let unit = chart.unit;
    let y_label = move |y: &f64| match unit {
        MonthlyUnit::Money => money_tick(*y),
        MonthlyUnit::Percent => format!("{}%", compact(*y)),
    };
    ctx.configure_mesh()
        .disable_x_mesh()
        .bold_line_style(theme.grid.plotters().stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(theme.axis.plotters().stroke_width(1))
        .label_style(text(theme.text, LABEL_PX))
        .x_labels(n)
        .y_labels(5)
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .draw()
        .map_err(draw_failed)?;

    if let Some((_, value)) = &chart.reference {
        let y = plot(*value);
        let dashes = (0..n * 8).map(|i| {
            let x = i as f64 / 8.0;
            PathElement::new([(x, y), (x + 0.08, y)], theme.muted_text.plotters().stroke_width(1))
        });
        ctx.draw_series(dashes).map_err(draw_failed)?;
    }
    match chart.unit {
        MonthlyUnit::Money => draw_bars(&mut ctx, theme, chart),
        MonthlyUnit::Percent => draw_lines(&mut ctx, theme, chart),
    }
}

type MonthContext<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<TickAxis, RangedCoordf64>>;

/// Bars stacked by series, with each month's total above its bar.
fn draw_bars(ctx: &mut MonthContext<'_, '_>, theme: &Theme, chart: &MonthlyChart) -> Result<(), ChartError> {
    for m in 0..chart.months.len() {
        let x = m as f64;
        let open = chart.is_open(m);
        let mut bottom = 0.0;
        let mut total = Decimal::ZERO;
        for s in 0..chart.series.len() {
            let Some(value) = chart.value(s, m) else { continue };
            total = total.checked_add(value).ok_or(ChartError::Overflow { what: "monthly total" })?;
            let height = plot(value);
            if height <= 0.0 {
                continue;
            }
            let color = theme.series_color(s).plotters();
            let corners = [(x + 0.2, bottom), (x + 0.8, bottom + height)];
            if open {
                let faint = theme.series_color(s).over(theme.background, OPEN_MONTH_OPACITY).plotters();
                ctx.draw_series([Rectangle::new(corners, faint.filled()), Rectangle::new(corners, color.stroke_width(1))])
                    .map_err(draw_failed)?;
            } else {
                ctx.draw_series(std::iter::once(Rectangle::new(corners, color.filled()))).map_err(draw_failed)?;
            }
            bottom += height;
        }
        let mut label = edgecost_pricing::format::money(total);
        if open {
            label.push_str(" to date");
        }
        ctx.draw_series(std::iter::once(Text::new(
            label,
            (x + 0.5, bottom),
            text(theme.text, NOTE_PX).pos(Pos::new(HPos::Center, VPos::Bottom)),
        )))
        .map_err(draw_failed)?;
    }
    Ok(())
}

/// A line per series through the months that have a value, a marker on each, and the
/// value's label beside the last one.
fn draw_lines(ctx: &mut MonthContext<'_, '_>, theme: &Theme, chart: &MonthlyChart) -> Result<(), ChartError> {
    let open_x = chart.open_last.then_some(chart.months.len() as f64 - 0.5);
    // The open month's markers are hollow rings, drawn over every series' markers so that
    // series meeting at one value all keep theirs.
    let mut rings = Vec::new();
    for s in 0..chart.series.len() {
        let color = theme.series_color(s).plotters();
        let points: Vec<(f64, f64)> =
            (0..chart.months.len()).filter_map(|m| chart.value(s, m).map(|v| (m as f64 + 0.5, plot(v)))).collect();
        // A gap (a month without a value) breaks the line: consecutive months only.
        let mut segment: Vec<(f64, f64)> = Vec::new();
        for p in &points {
            if segment.last().is_some_and(|last| p.0 - last.0 > 1.01) {
                ctx.draw_series(std::iter::once(PathElement::new(std::mem::take(&mut segment), color.stroke_width(2))))
                    .map_err(draw_failed)?;
            }
            segment.push(*p);
        }
        ctx.draw_series(std::iter::once(PathElement::new(segment, color.stroke_width(2)))).map_err(draw_failed)?;
        ctx.draw_series(points.iter().map(|p| {
            let style = if Some(p.0) == open_x { theme.background.plotters().filled() } else { color.filled() };
            Circle::new(*p, 4, style)
        }))
        .map_err(draw_failed)?;
        rings.extend(points.iter().filter(|p| Some(p.0) == open_x).map(|p| Circle::new(*p, 4, color.stroke_width(2))));
        for (m, value) in (0..chart.months.len()).filter_map(|m| chart.value(s, m).map(|v| (m, v))) {
            let to_date = if chart.is_open(m) { " to date" } else { "" };
            ctx.draw_series(std::iter::once(Text::new(
                format!("{}%{to_date}", value.round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero).normalize()),
                (m as f64 + 0.5, plot(value)),
                text(theme.text, NOTE_PX).pos(Pos::new(HPos::Center, if s % 2 == 0 { VPos::Bottom } else { VPos::Top })),
            )))
            .map_err(draw_failed)?;
        }
    }
    ctx.draw_series(rings).map_err(draw_failed)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<Decimal> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn revenue_bars_and_retention_lines_draw_with_their_labels_and_gaps() {
        let bars = MonthlyChart {
            title: String::from("MRR by tier"),
            months: vec!["Sep 2026".into(), "Oct 2026".into()],
            unit: MonthlyUnit::Money,
            series: vec![
                MonthSeries { label: "production".into(), values: vec![d("95.00"), d("114.50")] },
                MonthSeries { label: "scale".into(), values: vec![d("158.00"), None] },
            ],
            reference: None,
            open_last: false,
        };
        let svg = bars.to_svg(&Theme::light(), Size::DASHBOARD).unwrap();
        assert!(svg.contains("$253.00") && svg.contains("$114.50"), "each month's total above its bar");
        assert!(svg.contains("Oct 2026"));
        assert_eq!(bars.to_csv().unwrap(), "month,production,scale\r\nSep 2026,95.00,158.00\r\nOct 2026,114.50,\r\n");

        let lines = MonthlyChart {
            title: String::from("Retention"),
            months: vec!["Sep".into(), "Oct".into(), "Nov".into()],
            unit: MonthlyUnit::Percent,
            series: vec![MonthSeries { label: "NRR".into(), values: vec![None, d("104.25"), d("98.5")] }],
            reference: Some((String::from("100%"), Decimal::ONE_HUNDRED)),
            open_last: false,
        };
        let svg = lines.to_svg(&Theme::dark(), Size::DASHBOARD).unwrap();
        assert!(svg.contains("104.3%") && svg.contains("98.5%"), "{svg}");

        let empty = MonthlyChart { series: vec![MonthSeries { label: "NRR".into(), values: vec![None, None, None] }], ..lines };
        assert!(empty.to_svg(&Theme::light(), Size::DASHBOARD).unwrap().contains(NO_MONTHLY_VALUES_MESSAGE));
    }

    #[test]
    fn an_open_month_is_drawn_as_figures_to_date() {
        let theme = Theme::light();
        let mut bars = MonthlyChart {
            title: String::from("MRR by tier"),
            months: vec!["Nov 2026".into(), "Dec 2026".into()],
            unit: MonthlyUnit::Money,
            series: vec![MonthSeries { label: "production".into(), values: vec![d("114.50"), d("40.00")] }],
            reference: None,
            open_last: false,
        };
        let color = theme.series_color(0);
        let faint = color.over(theme.background, OPEN_MONTH_OPACITY).hex();
        let closed = bars.to_svg(&theme, Size::DASHBOARD).unwrap();
        assert!(closed.contains("$40.00") && !closed.contains("to date") && !closed.to_lowercase().contains(&faint.to_lowercase()));
        bars.open_last = true;
        let open = bars.to_svg(&theme, Size::DASHBOARD).unwrap();
        // The closed month as before; the open one faint, outlined, its total to date.
        assert!(open.contains("$114.50") && open.contains("$40.00 to date"), "{open}");
        assert!(open.to_lowercase().contains(&faint.to_lowercase()), "a faint fill for the open month");
        // The CSV keeps the numbers as they are.
        assert_eq!(bars.to_csv().unwrap(), "month,production\r\nNov 2026,114.50\r\nDec 2026,40.00\r\n");

        let mut lines = MonthlyChart {
            title: String::from("Retention"),
            months: vec!["Nov".into(), "Dec".into()],
            unit: MonthlyUnit::Percent,
            series: vec![MonthSeries { label: "NRR".into(), values: vec![d("104.25"), d("61.5")] }],
            reference: None,
            open_last: false,
        };
        let closed = lines.to_svg(&theme, Size::DASHBOARD).unwrap();
        lines.open_last = true;
        let open = lines.to_svg(&theme, Size::DASHBOARD).unwrap();
        assert!(open.contains("61.5% to date") && !closed.contains("to date"), "{open}");
        let circles = |svg: &str| svg.lines().filter(|l| l.contains("<circle")).map(str::to_owned).collect::<Vec<_>>();
        let (closed, open) = (circles(&closed), circles(&open));
        let series_fill = format!("fill=\"{}\"", color.hex());
        assert!(closed.len() == 2 && closed.iter().all(|c| c.contains(&series_fill)), "{closed:?}");
        // The open month's marker: a ring in the series' colour over the background.
        assert_eq!(open.len(), 3, "{open:?}");
        assert!(open[0].contains(&series_fill), "the closed month as before: {open:?}");
        assert!(open[1].contains(&format!("fill=\"{}\"", theme.background.hex())), "{open:?}");
        assert!(open[2].contains("fill=\"none\"") && open[2].contains(&format!("stroke=\"{}\"", color.hex())), "{open:?}");

        // Two series meeting at the open month: both rings show, over both markers.
        lines.series.push(MonthSeries { label: "GRR".into(), values: vec![d("99"), d("61.5")] });
        let both = circles(&lines.to_svg(&theme, Size::DASHBOARD).unwrap());
        let last_two: Vec<&String> = both.iter().rev().take(2).collect();
        assert!(last_two.iter().all(|c| c.contains("fill=\"none\"")), "{both:?}");
        assert!(last_two.iter().any(|c| c.contains(&format!("stroke=\"{}\"", color.hex()))), "{both:?}");
    }
}
