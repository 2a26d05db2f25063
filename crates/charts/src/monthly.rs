//! A figure month by month, for the operator's view: revenue stacked by tier as bars, or
//! percentages (retention, churn, conversion) as lines with a marker per month.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::{Deserialize, Serialize};

use edgecost_pricing::Decimal;

use crate::csv_out::Table;
use crate::error::{ChartError, draw_failed};
use crate::frame::{KeyStroke, LABEL_PX, LegendEntry, NOTE_PX, Root, Size, draw_empty, header, svg_document, text, text_width_px};
use crate::labels::{compact, money_tick};
use crate::theme::Theme;
use crate::time_axis::{TickAxis, plot};
use crate::value_labels::{Area, MARKER_RADIUS_PX, Obstacles, Side, Wanted, place};

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
    /// A sentence drawn under the plot, such as why the first months have no rate.
    #[serde(default)]
    pub note: Option<String>,
    /// The ISO 4217 code the amounts are in (the price book's), such as `USD`: money is
    /// written with its symbol or code (`$40.00`, `EUR` as `€40.00`).
    pub currency: String,
}

/// How strongly an open month's bars are filled, against 1 for a closed month's.
const OPEN_MONTH_OPACITY: f64 = 0.35;

/// The message of a monthly chart with no value at all.
pub const NO_MONTHLY_VALUES_MESSAGE: &str = "No figures for these months yet";

/// The most months one chart draws; the report itself covers at most 36.
pub const MONTHS_SHOWN_MAX: usize = 36;

/// The blank margin right of the plot.
const PLOT_MARGIN_RIGHT_PX: i32 = 24;

/// The height of the line a note takes under the plot.
const NOTE_ROW_PX: u32 = 24;

/// A percentage as its label reads, to one place: `104.3%`.
fn percent_label(value: Decimal) -> String {
    format!("{}%", value.round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero).normalize())
}

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

    /// A short text of what the chart shows, for a screen reader or an image's alternative
    /// text: the title and months, the figures of the latest month with any (and of the
    /// last closed month before an open one), and the note.
    pub fn summary(&self) -> String {
        let mut text = self.title.clone();
        match (self.months.first(), self.months.last()) {
            (Some(first), Some(last)) if first != last => text.push_str(&format!(", {first} to {last}.")),
            (Some(first), _) => text.push_str(&format!(", {first}.")),
            _ => text.push('.'),
        }
        let latest = (0..self.months.len()).rev().find(|m| self.has_values(*m));
        match latest {
            None => text.push_str(&format!(" {NO_MONTHLY_VALUES_MESSAGE}.")),
            Some(m) => {
                let closed_before = if self.is_open(m) { (0..m).rev().find(|m| self.has_values(*m)) } else { None };
                for month in closed_before.into_iter().chain(std::iter::once(m)) {
                    text.push(' ');
                    text.push_str(&self.month_summary(month));
                }
            }
        }
        if let Some(note) = &self.note {
            text.push(' ');
            text.push_str(note);
        }
        text
    }

    /// `Nov 2026: NRR 104.3%, GRR 95.5%.`, or `Dec 2026 to date: $40.00 (production $40.00).`
    fn month_summary(&self, m: usize) -> String {
        let label = self.to_date(m, self.months[m].clone());
        let values: Vec<(&str, Decimal)> =
            self.series.iter().enumerate().filter_map(|(s, series)| self.value(s, m).map(|v| (series.label.as_str(), v))).collect();
        match self.unit {
            MonthlyUnit::Percent => {
                let parts: Vec<String> = values.iter().map(|(name, v)| format!("{name} {}", percent_label(*v))).collect();
                format!("{label}: {}.", parts.join(", "))
            }
            MonthlyUnit::Money => {
                let money = |amount: Decimal| edgecost_pricing::format::money_in(amount, &self.currency);
                let parts: Vec<String> = values.iter().map(|(name, v)| format!("{name} {}", money(*v))).collect();
                match self.month_total(m) {
                    Some(total) => format!("{label}: {} ({}).", money(total), parts.join(", ")),
                    None => format!("{label}: {}.", parts.join(", ")),
                }
            }
        }
    }

    /// Whether month `m` is the open one (see `open_last`).
    fn is_open(&self, m: usize) -> bool {
        self.open_last && m + 1 == self.months.len()
    }

    /// `text` about month `m`, followed by "to date" when the month is the open one.
    fn to_date(&self, m: usize, text: String) -> String {
        if self.is_open(m) { format!("{text} to date") } else { text }
    }

    /// Whether any series has a value in month `m`.
    pub fn has_values(&self, m: usize) -> bool {
        (0..self.series.len()).any(|s| self.value(s, m).is_some())
    }

    /// The sum of the series' values in month `m` (a stacked bar's height); `None` past what
    /// a decimal holds.
    fn month_total(&self, m: usize) -> Option<Decimal> {
        (0..self.series.len()).filter_map(|s| self.value(s, m)).try_fold(Decimal::ZERO, |sum, v| sum.checked_add(v))
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
    // The open month's style needs a key of its own: faint outlined bars or hollow markers
    // would otherwise read as a different series.
    if let Some(last) = chart.months.len().checked_sub(1).filter(|m| chart.is_open(*m)) {
        let key = match chart.unit {
            MonthlyUnit::Money => KeyStroke::Faint { fill: theme.muted_text.over(theme.background, OPEN_MONTH_OPACITY) },
            MonthlyUnit::Percent => KeyStroke::Ring,
        };
        legend.push(LegendEntry::new(chart.to_date(last, chart.months[last].clone()), theme.muted_text, key));
    }
    let plot_area = header(root, theme, &chart.title, &legend)?;
    let plot_area = match &chart.note {
        Some(note) => {
            let (_, height_px) = plot_area.dim_in_pixel();
            let (above, below) = plot_area.split_vertically(height_px.saturating_sub(NOTE_ROW_PX));
            below
                .draw(&Text::new(note.clone(), (16, 4), text(theme.muted_text, NOTE_PX).pos(Pos::new(HPos::Left, VPos::Top))))
                .map_err(draw_failed)?;
            above
        }
        None => plot_area,
    };
    let n = chart.months.len();
    let bands = TickAxis { start: 0.0, end: n as f64, ticks: (0..n).map(|i| i as f64 + 0.5).collect() };
    let y_max = chart.y_max();
    let mut ctx: ChartContext<'_, SVGBackend<'_>, Cartesian2d<TickAxis, RangedCoordf64>> = ChartBuilder::on(&plot_area)
        .margin(10)
        .margin_right(PLOT_MARGIN_RIGHT_PX as u32)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(bands, 0f64..y_max)
        .map_err(draw_failed)?;
    let months = chart.months.clone();
    let x_label = move |x: &f64| months.get((*x - 0.5).round().max(0.0) as usize).cloned().unwrap_or_default();
    let unit = chart.unit;
    let currency = chart.currency.as_str();
    let y_label = move |y: &f64| match unit {
        MonthlyUnit::Money => money_tick(*y, currency),
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
        let total = chart.month_total(m).ok_or(ChartError::Overflow { what: "monthly total" })?;
        for s in 0..chart.series.len() {
            let Some(value) = chart.value(s, m) else { continue };
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
        let label = chart.to_date(m, edgecost_pricing::format::money_in(total, &chart.currency));
        ctx.draw_series(std::iter::once(Text::new(
            label,
            (x + 0.5, bottom),
            text(theme.text, NOTE_PX).pos(Pos::new(HPos::Center, VPos::Bottom)),
        )))
        .map_err(draw_failed)?;
    }
    Ok(())
}

/// A line per series through the months that have a value, a marker on each, and each
/// value's label beside its marker where it is clear of the lines, the markers and the other
/// labels (see `value_labels`). Series that meet at one value share one label.
fn draw_lines(ctx: &mut MonthContext<'_, '_>, theme: &Theme, chart: &MonthlyChart) -> Result<(), ChartError> {
    let open_x = chart.open_last.then_some(chart.months.len() as f64 - 0.5);
    let pixel = |ctx: &MonthContext<'_, '_>, p: (f64, f64)| {
        let (x, y) = ctx.backend_coord(&p);
        (f64::from(x), f64::from(y))
    };
    let mut obstacles = Obstacles::default();
    if let Some((_, value)) = &chart.reference {
        let y = plot(*value);
        obstacles.segments.push((pixel(ctx, (0.0, y)), pixel(ctx, (chart.months.len() as f64, y))));
    }
    // Each label's text, month and place on its line, in the order they are placed.
    let mut wanted: Vec<(String, usize, Wanted)> = Vec::new();
    // The open month's markers are hollow rings, drawn over every series' markers so that
    // series meeting at one value all keep theirs.
    let mut rings = Vec::new();
    for s in 0..chart.series.len() {
        let color = theme.series_color(s).plotters();
        let points: Vec<(usize, (f64, f64))> =
            (0..chart.months.len()).filter_map(|m| chart.value(s, m).map(|v| (m, (m as f64 + 0.5, plot(v))))).collect();
        // A gap (a month without a value) breaks the line: consecutive months only.
        let mut segment: Vec<(f64, f64)> = Vec::new();
        for (_, p) in &points {
            if segment.last().is_some_and(|last| p.0 - last.0 > 1.01) {
                ctx.draw_series(std::iter::once(PathElement::new(std::mem::take(&mut segment), color.stroke_width(2))))
                    .map_err(draw_failed)?;
            }
            if let Some(last) = segment.last() {
                obstacles.segments.push((pixel(ctx, *last), pixel(ctx, *p)));
            }
            segment.push(*p);
        }
        ctx.draw_series(std::iter::once(PathElement::new(segment, color.stroke_width(2)))).map_err(draw_failed)?;
        ctx.draw_series(points.iter().map(|(_, p)| {
            let style = if Some(p.0) == open_x { theme.background.plotters().filled() } else { color.filled() };
            Circle::new(*p, MARKER_RADIUS_PX as u32, style)
        }))
        .map_err(draw_failed)?;
        rings.extend(
            points
                .iter()
                .filter(|(_, p)| Some(p.0) == open_x)
                .map(|(_, p)| Circle::new(*p, MARKER_RADIUS_PX as u32, color.stroke_width(2))),
        );
        let marker_box = MARKER_RADIUS_PX * 2.0 + 2.0;
        obstacles.markers.extend(points.iter().map(|(_, p)| Area::around(pixel(ctx, *p), marker_box, marker_box)));
        for (i, (m, p)) in points.iter().enumerate() {
            let Some(value) = chart.value(s, *m) else { continue };
            let label = chart.to_date(*m, percent_label(value));
            // Two series at one value in one month: their markers coincide, one label serves.
            if wanted.iter().any(|(text, month, _)| *month == *m && *text == label) {
                continue;
            }
            // Neighbours on the line: only the months it joins this point to.
            let joined = |q: Option<&(usize, (f64, f64))>| q.filter(|(n, _)| n.abs_diff(*m) == 1).map(|(_, q)| pixel(ctx, *q));
            let at = pixel(ctx, *p);
            let height = (NOTE_PX * 1.3).ceil();
            // Other series' markers this month close enough for their labels to meet.
            let close: Vec<f64> = (0..chart.series.len())
                .filter(|o| *o != s)
                .filter_map(|o| chart.value(o, *m))
                .filter(|v| *v != value)
                .map(|v| pixel(ctx, (p.0, plot(v))).1)
                .filter(|y| (y - at.1).abs() < 2.0 * height)
                .collect();
            let side = match (close.iter().any(|y| *y > at.1), close.iter().any(|y| *y < at.1)) {
                (true, false) => Some(Side::Above),
                (false, true) => Some(Side::Below),
                _ => None,
            };
            let place = Wanted {
                at,
                width: f64::from(text_width_px(&label, NOTE_PX)),
                height,
                before: joined(i.checked_sub(1).and_then(|j| points.get(j))),
                after: joined(points.get(i + 1)),
                side,
            };
            wanted.push((label, *m, place));
        }
    }
    ctx.draw_series(rings).map_err(draw_failed)?;

    let (xs, ys) = ctx.plotting_area().get_pixel_range();
    // Labels may use the blank margin right of the plot: the last month's label, "to date"
    // and all, then fits beside a line that falls into it.
    let right = f64::from(xs.end + PLOT_MARGIN_RIGHT_PX - 4);
    let bounds = Area { left: f64::from(xs.start), top: f64::from(ys.start), right, bottom: f64::from(ys.end) };
    let places: Vec<Wanted> = wanted.iter().map(|(_, _, w)| *w).collect();
    let boxes = place(&places, &obstacles, bounds);
    let area = ctx.plotting_area().strip_coord_spec();
    let (base_x, base_y) = area.get_base_pixel();
    for ((label, _, _), at) in wanted.into_iter().zip(boxes) {
        let centre = (((at.left + at.right) / 2.0).round() as i32 - base_x, ((at.top + at.bottom) / 2.0).round() as i32 - base_y);
        area.draw(&Text::new(label, centre, text(theme.text, NOTE_PX).pos(Pos::new(HPos::Center, VPos::Center)))).map_err(draw_failed)?;
    }
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
            note: None,
            currency: String::from("USD"),
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
            note: None,
            currency: String::from("USD"),
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
            note: None,
            currency: String::from("USD"),
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
            note: None,
            currency: String::from("USD"),
        };
        let closed = lines.to_svg(&theme, Size::DASHBOARD).unwrap();
        lines.open_last = true;
        let open = lines.to_svg(&theme, Size::DASHBOARD).unwrap();
        assert!(open.contains("61.5% to date") && !closed.contains("to date"), "{open}");
        // The markers, without the legend's sample of an open month's marker.
        let legend_ring = format!("stroke=\"{}\"", theme.muted_text.hex());
        let circles =
            |svg: &str| svg.lines().filter(|l| l.contains("<circle") && !l.contains(&legend_ring)).map(str::to_owned).collect::<Vec<_>>();
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

    /// A text of the SVG: what it says, its box (estimated generously, as the layout does) and
    /// its size in pixels.
    #[derive(Debug)]
    struct SvgText {
        text: String,
        area: Area,
        font_px: f64,
        anchor: String,
        dy: String,
    }

    fn attr(tag: &str, name: &str) -> String {
        let key = format!(" {name}=\"");
        let start = tag.find(&key).map(|i| i + key.len()).unwrap_or_else(|| panic!("{name} in {tag}"));
        tag[start..].split('"').next().unwrap().to_owned()
    }

    fn num(tag: &str, name: &str) -> f64 {
        attr(tag, name).parse().unwrap()
    }

    fn texts(svg: &str) -> Vec<SvgText> {
        svg.split("<text")
            .skip(1)
            .map(|rest| {
                let (tag, body) = rest.split_once('>').unwrap();
                let text = body.split("</text>").next().unwrap().trim().to_owned();
                let (x, y, font_px) = (num(tag, "x"), num(tag, "y"), num(tag, "font-size"));
                let (width, height) = (f64::from(text_width_px(&text, font_px)), font_px * 1.2);
                let left = match attr(tag, "text-anchor").as_str() {
                    "start" => x,
                    "end" => x - width,
                    _ => x - width / 2.0,
                };
                let top = match attr(tag, "dy").as_str() {
                    "0.76em" => y,
                    "-0.5ex" => y - height,
                    _ => y - height / 2.0,
                };
                SvgText {
                    text,
                    area: Area { left, top, right: left + width, bottom: top + height },
                    font_px,
                    anchor: attr(tag, "text-anchor"),
                    dy: attr(tag, "dy"),
                }
            })
            .collect()
    }

    /// The series lines' segments: polylines two pixels wide, longer than a legend key.
    fn line_segments(svg: &str) -> Vec<((f64, f64), (f64, f64))> {
        svg.lines()
            .filter(|l| l.starts_with("<polyline") && l.contains("stroke-width=\"2\""))
            .flat_map(|l| {
                let points: Vec<(f64, f64)> = attr(l, "points")
                    .split_whitespace()
                    .map(|p| p.split_once(',').map(|(x, y)| (x.parse().unwrap(), y.parse().unwrap())).unwrap())
                    .collect();
                points.windows(2).map(|w| (w[0], w[1])).collect::<Vec<_>>()
            })
            .filter(|(a, b)| (b.0 - a.0).abs() > 20.0 || a.1 != b.1)
            .collect()
    }

    fn markers(svg: &str) -> Vec<Area> {
        svg.lines()
            .filter(|l| l.starts_with("<circle"))
            .map(|l| Area::around((num(l, "cx"), num(l, "cy")), 2.0 * num(l, "r"), 2.0 * num(l, "r")))
            .collect()
    }

    /// The value labels: centred on both axes (legend entries start at their key, ticks are
    /// right-aligned or hang below the axis).
    fn value_labels(texts: &[SvgText]) -> Vec<&SvgText> {
        texts.iter().filter(|t| t.anchor == "middle" && t.dy == "0.5ex").collect()
    }

    fn months(n: usize) -> Vec<String> {
        ["Aug 2026", "Sep 2026", "Oct 2026", "Nov 2026", "Dec 2026", "Jan 2027"].iter().take(n).map(|m| (*m).to_owned()).collect()
    }

    /// Charts of the shapes the operator's view draws: rates at zero on the x axis, equal rates
    /// in one month, close rates, steep rises and falls, a reference line, an open month.
    fn crowded_charts() -> Vec<MonthlyChart> {
        let series = |label: &str, values: &[Option<&str>]| MonthSeries {
            label: label.to_owned(),
            values: values.iter().map(|v| v.and_then(d)).collect(),
        };
        let chart = |title: &str, series: Vec<MonthSeries>, reference: Option<(String, Decimal)>| MonthlyChart {
            title: title.to_owned(),
            months: months(series[0].values.len()),
            unit: MonthlyUnit::Percent,
            series,
            reference,
            open_last: true,
            note: None,
            currency: String::from("USD"),
        };
        vec![
            chart(
                "Logo and revenue churn",
                vec![
                    series("Logo churn", &[None, Some("0"), Some("0"), Some("12.5"), Some("0")]),
                    series("Revenue churn", &[None, Some("0"), Some("0"), Some("5.89"), Some("0")]),
                ],
                None,
            ),
            chart(
                "Net and gross revenue retention",
                vec![
                    series("NRR", &[None, Some("228.47"), Some("105.73"), Some("109.38"), Some("88.72")]),
                    series("GRR", &[None, Some("100"), Some("100"), Some("90.76"), Some("88.72")]),
                ],
                Some(("100%".to_owned(), Decimal::ONE_HUNDRED)),
            ),
            chart(
                "Conversion",
                vec![
                    series("Sandbox to paid", &[Some("0"), Some("0"), Some("50"), Some("0"), Some("0"), Some("0")]),
                    series("80% to upgrade in 14 days", &[None, Some("100"), Some("50"), Some("50"), Some("0"), None]),
                ],
                None,
            ),
        ]
    }

    #[test]
    fn value_labels_clear_their_lines_the_markers_the_month_names_and_each_other() {
        let theme = Theme::light();
        for chart in crowded_charts() {
            for size in [Size::new(780, 360), Size::new(1100, 360), Size::DASHBOARD] {
                let svg = chart.to_svg(&theme, size).unwrap();
                let texts = texts(&svg);
                let labels = value_labels(&texts);
                // Every text apart from every other, a pixel between them.
                for (i, a) in texts.iter().enumerate() {
                    let grown =
                        Area { left: a.area.left - 1.0, top: a.area.top - 1.0, right: a.area.right + 1.0, bottom: a.area.bottom + 1.0 };
                    for b in &texts[i + 1..] {
                        assert!(!grown.overlaps(&b.area), "{} {size:?}: {a:?} touches {b:?}", chart.title);
                    }
                }
                let segments = line_segments(&svg);
                let markers = markers(&svg);
                assert!(!segments.is_empty() && !markers.is_empty());
                // The x axis: the month names hang below it; every value label stays above.
                let axis_y = texts.iter().filter(|t| chart.months.contains(&t.text)).map(|t| t.area.top).fold(f64::MAX, f64::min);
                for label in &labels {
                    assert!(
                        segments.iter().all(|(p, q)| !label.area.crossed_by(*p, *q)),
                        "{} {size:?}: a line through {label:?}",
                        chart.title
                    );
                    assert!(markers.iter().all(|m| !m.overlaps(&label.area)), "{} {size:?}: a marker under {label:?}", chart.title);
                    assert!(label.area.bottom < axis_y, "{} {size:?}: {label:?} below the axis", chart.title);
                }
                // One label per value and month: two series at one value share it.
                let expected: usize = (0..chart.months.len())
                    .map(|m| {
                        let mut shown: Vec<String> = (0..chart.series.len()).filter_map(|s| chart.value(s, m)).map(percent_label).collect();
                        shown.dedup();
                        shown.len()
                    })
                    .sum();
                assert_eq!(labels.len(), expected, "{} {size:?}: {labels:?}", chart.title);
            }
        }
    }

    #[test]
    fn labels_of_close_values_in_one_month_read_in_the_markers_order() {
        // October: NRR 105.7% just above GRR 100%, NRR's line in a trough there.
        let chart = crowded_charts().remove(1);
        for size in [Size::new(780, 360), Size::new(1100, 360)] {
            let texts = texts(&chart.to_svg(&Theme::light(), size).unwrap());
            let centre = |t: &SvgText| (t.area.left + t.area.right) / 2.0;
            let october = texts.iter().find(|t| t.text == "Oct 2026").map(centre).unwrap();
            // The label of `text` nearest October.
            let label = |text: &str| {
                let nearest = value_labels(&texts)
                    .into_iter()
                    .filter(|t| t.text == text)
                    .min_by(|a, b| (centre(a) - october).abs().total_cmp(&(centre(b) - october).abs()));
                nearest.map(|t| t.area.top).unwrap()
            };
            assert!(label("105.7%") < label("100%"), "{size:?}: {texts:?}");
        }
    }

    #[test]
    fn chart_text_is_at_least_eleven_pixels() {
        for chart in crowded_charts() {
            let svg = chart.to_svg(&Theme::dark(), Size::new(780, 360)).unwrap();
            let texts = texts(&svg);
            assert!(texts.len() > 10);
            assert!(texts.iter().all(|t| t.font_px >= 11.0), "{texts:?}");
        }
    }

    #[test]
    fn an_open_month_has_a_legend_entry_for_its_style() {
        let theme = Theme::light();
        let legend_entry = |svg: &str| texts(svg).into_iter().find(|t| t.text == "Dec 2026 to date" && t.anchor == "start");
        let mut lines = crowded_charts().remove(0);
        let ring_in_legend = |svg: &str, y: f64| {
            markers(svg).iter().any(|m| (m.top + m.bottom) / 2.0 == y)
                && svg.contains(&format!("fill=\"none\" stroke=\"{}\"", theme.muted_text.hex()))
        };
        let open = lines.to_svg(&theme, Size::new(780, 360)).unwrap();
        let entry = legend_entry(&open).expect("the open month's legend entry");
        assert!(ring_in_legend(&open, (entry.area.top + entry.area.bottom) / 2.0), "a hollow marker beside it: {open}");
        lines.open_last = false;
        assert!(legend_entry(&lines.to_svg(&theme, Size::new(780, 360)).unwrap()).is_none());

        let mut bars = MonthlyChart {
            title: String::from("MRR by tier"),
            months: months(5),
            unit: MonthlyUnit::Money,
            series: vec![MonthSeries { label: "production".into(), values: vec![d("19"), d("95"), d("114.50"), d("120"), d("40")] }],
            reference: None,
            open_last: true,
            note: None,
            currency: String::from("USD"),
        };
        let open = bars.to_svg(&theme, Size::new(780, 360)).unwrap();
        assert!(legend_entry(&open).is_some(), "{open}");
        let faint = theme.muted_text.over(theme.background, OPEN_MONTH_OPACITY).hex();
        assert!(open.contains(&format!("fill=\"{faint}\"")), "a faint sample: {open}");
        bars.open_last = false;
        let closed = bars.to_svg(&theme, Size::new(780, 360)).unwrap();
        assert!(legend_entry(&closed).is_none() && !closed.contains(&faint));
    }

    #[test]
    fn a_note_is_drawn_under_the_month_names() {
        let mut chart = crowded_charts().remove(1);
        let note = "Rates start in Sep 2026: each needs the month before as its base.";
        assert!(!chart.to_svg(&Theme::light(), Size::new(780, 360)).unwrap().contains(note));
        chart.note = Some(note.to_owned());
        let texts = texts(&chart.to_svg(&Theme::light(), Size::new(780, 360)).unwrap());
        let drawn = texts.iter().find(|t| t.text == note).expect("the note");
        let month_names_bottom = texts.iter().filter(|t| chart.months.contains(&t.text)).map(|t| t.area.bottom).fold(0.0, f64::max);
        assert!(drawn.area.top > month_names_bottom, "{drawn:?}");
        assert!(drawn.area.bottom <= 360.0);
    }

    #[test]
    fn the_summary_reads_the_latest_figures_from_the_chart() {
        let mut chart = crowded_charts().remove(1);
        let summary = chart.summary();
        assert!(summary.starts_with("Net and gross revenue retention, Aug 2026 to Dec 2026."), "{summary}");
        // The last closed month, then the open one to date; each value as its label reads.
        let closed = format!("Nov 2026: NRR {}, GRR {}.", percent_label(d("109.38").unwrap()), percent_label(d("90.76").unwrap()));
        assert!(summary.contains(&closed), "{summary}");
        assert!(summary.contains("Dec 2026 to date: NRR 88.7%, GRR 88.7%."), "{summary}");
        chart.open_last = false;
        chart.note = Some(String::from("Rates start in Sep 2026."));
        let summary = chart.summary();
        assert!(
            !summary.contains("Nov 2026") && summary.contains("Dec 2026: NRR 88.7%") && summary.ends_with("Rates start in Sep 2026."),
            "{summary}"
        );

        let bars = MonthlyChart {
            title: String::from("MRR by tier"),
            months: months(2),
            unit: MonthlyUnit::Money,
            series: vec![
                MonthSeries { label: "Production".into(), values: vec![d("95.00"), d("114.50")] },
                MonthSeries { label: "Scale".into(), values: vec![d("158.00"), d("79.00")] },
            ],
            reference: None,
            open_last: false,
            note: None,
            currency: String::from("USD"),
        };
        assert_eq!(bars.summary(), "MRR by tier, Aug 2026 to Sep 2026. Sep 2026: $193.50 (Production $114.50, Scale $79.00).");
        // A book in euros writes every amount in euros: the totals, the ticks and the summary.
        let euros = MonthlyChart { currency: String::from("EUR"), ..bars };
        assert_eq!(
            euros.summary(),
            "MRR by tier, Aug 2026 to Sep 2026. Sep 2026: \u{20AC}193.50 (Production \u{20AC}114.50, Scale \u{20AC}79.00)."
        );
        let svg = euros.to_svg(&Theme::light(), Size::new(780, 360)).unwrap();
        let texts = texts(&svg);
        assert!(
            texts.iter().any(|t| t.text == "\u{20AC}253.00") && texts.iter().any(|t| t.text == "\u{20AC}0.00"),
            "total and ticks in euros"
        );
        assert!(!svg.contains('$'), "no dollar sign in a chart in euros");
    }
}
