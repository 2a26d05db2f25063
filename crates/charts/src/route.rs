//! Overage by route this period, with the change against the previous period, and the whole
//! period's cost beside it: routes carry only the overage they are attributed, never the base
//! fee, so the chart says so and shows what each period cost in all.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::{Deserialize, Serialize};

use edgecost_pricing::Decimal;
use edgecost_pricing::format::{money_in, signed_money_in};

use crate::csv_out::Table;
use crate::error::{ChartError, draw_failed};
use crate::frame::{KeyStroke, LABEL_PX, LegendEntry, NOTE_PX, Root, Size, draw_empty, header, svg_document, text, text_width_px};
use crate::labels::{money_tick, truncate};
use crate::theme::Theme;
use crate::time_axis::{TickAxis, plot};

/// One route's share of a period's overage, in the bill's currency and already rounded to the
/// cent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteCost {
    /// The route's path or name.
    pub route: String,
    /// The cost this period.
    pub cost: Decimal,
    /// The cost in the previous period; `None` for a route that is new this period.
    pub previous_cost: Option<Decimal>,
}

/// What a whole period costs, as its bill shows it: the routes' overage is one part of it,
/// the base fee (owed whatever the routes do) the other. Every figure is the bill's, already
/// rounded to the cent; the chart adds nothing up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodCost {
    /// Names the period in the note, e.g. `December 2026, projected` or `November 2026`.
    pub label: String,
    /// The base fee: every tier's share of the period. No route carries it.
    pub base_fee: Decimal,
    /// The overage, which the routes' costs add up to.
    pub overage: Decimal,
    /// What the period costs, before credit: base fee + overage.
    pub cost: Decimal,
}

/// Each route's overage this period as a horizontal bar, most expensive first, with a marker
/// at the previous period's and the change written beside the bar. A note under the bars says
/// that routes carry overage only, and gives each period's base fee and whole cost, so a tier
/// change (a higher base fee, less overage) never reads as a saving.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteCostChart {
    /// Names the period in the title, e.g. `November 2026`.
    pub period_label: String,
    /// The ISO 4217 code every amount is in (the price book's), such as `USD`.
    pub currency: String,
    /// Every route; the chart sorts them by cost.
    pub routes: Vec<RouteCost>,
    /// This period's whole bill (projected where the routes' costs are); `None` leaves its
    /// figures out of the note.
    #[serde(default)]
    pub period_cost: Option<PeriodCost>,
    /// The previous period's whole bill; `None` when there is none to compare with.
    #[serde(default)]
    pub previous_period_cost: Option<PeriodCost>,
}

/// The message of a route chart with no routes.
pub const NO_ROUTE_COSTS_MESSAGE: &str = "No route costs in this period yet";

/// The first line of the note under the bars: what the bars leave out, and why.
pub const BASE_FEE_NOTE: &str = "Overage only: the base fee is owed whatever the routes do, so no route carries it.";

/// The height of one line of the note under the bars.
const NOTE_ROW_PX: u32 = 16;

/// Routes drawn with their own bar; the rest share one "other routes" bar so the labels
/// stay readable.
pub const ROUTES_SHOWN_MAX: usize = 10;

/// Characters of a route shown on the axis before it is cut with an ellipsis.
const ROUTE_LABEL_CHARS_MAX: usize = 26;

/// A bar ready to draw.
struct Bar {
    label: String,
    cost: Decimal,
    previous_cost: Option<Decimal>,
    /// cost - previous cost, `None` for a new route.
    change: Option<Decimal>,
}

impl Bar {
    fn new(label: String, cost: Decimal, previous_cost: Option<Decimal>) -> Result<Bar, ChartError> {
        let change = previous_cost.map(|p| cost.checked_sub(p).ok_or(ChartError::Overflow { what: "change" })).transpose()?;
        Ok(Bar { label, cost, previous_cost, change })
    }
}

impl RouteCostChart {
    /// `Overage by route, November 2026`.
    pub fn title(&self) -> String {
        if self.period_label.is_empty() { String::from("Overage by route") } else { format!("Overage by route, {}", self.period_label) }
    }

    /// Draws the chart as an SVG document.
    pub fn to_svg(&self, theme: &Theme, size: Size) -> Result<String, ChartError> {
        let title = self.title();
        let bars = self.bars()?;
        let note = self.note()?;
        svg_document(size, theme, &title, |root| {
            if bars.is_empty() {
                return draw_empty(root, theme, &title, NO_ROUTE_COSTS_MESSAGE);
            }
            draw(root, theme, &title, &self.currency, &bars, &note)
        })
    }

    /// The note under the bars, sentence by sentence: what the bars leave out, then each
    /// period's bill as base fee + overage = cost, with the change of the whole cost.
    ///
    /// `Overage only: the base fee is owed whatever the routes do, so no route carries it.`,
    /// `December 2026, projected: base fee $79.00 + overage $4.00 = $83.00, ▲ +$34.00.`,
    /// `November 2026: base fee $19.00 + overage $30.00 = $49.00.`
    pub fn note(&self) -> Result<Vec<String>, ChartError> {
        let money = |amount: Decimal| money_in(amount, &self.currency);
        let bill =
            |p: &PeriodCost| format!("{}: base fee {} + overage {} = {}", p.label, money(p.base_fee), money(p.overage), money(p.cost));
        let mut lines = vec![String::from(BASE_FEE_NOTE)];
        if let Some(this) = &self.period_cost {
            let mut line = bill(this);
            if let Some(previous) = &self.previous_period_cost {
                let delta = this.cost.checked_sub(previous.cost).ok_or(ChartError::Overflow { what: "change" })?;
                line.push_str(", ");
                line.push_str(&change_text(delta, &self.currency));
            }
            line.push('.');
            lines.push(line);
        }
        if let Some(previous) = &self.previous_period_cost {
            lines.push(format!("{}.", bill(previous)));
        }
        Ok(lines)
    }

    /// The data behind the chart as CSV (RFC 4180): every route, not only those drawn, with
    /// the change against the previous period; then, when the chart has the periods' bills,
    /// the base fee (which no route carries) and the period's whole cost, so the note can be
    /// checked too. Routes always start with `/`, so these rows never read as a route.
    pub fn to_csv(&self) -> Result<String, ChartError> {
        let mut table = Table::new(&["route", "cost", "previous_cost", "change"]);
        let mut row = |name: &str, cost: Decimal, previous_cost: Option<Decimal>| -> Result<(), ChartError> {
            let previous = previous_cost.map(|p| p.to_string()).unwrap_or_default();
            let change = match previous_cost {
                Some(p) => cost.checked_sub(p).ok_or(ChartError::Overflow { what: "change" })?.to_string(),
                None => String::new(),
            };
            table.row(&[name, &cost.to_string(), &previous, &change])
        };
        for r in &self.routes {
            row(&r.route, r.cost, r.previous_cost)?;
        }
        if let Some(this) = &self.period_cost {
            let previous = self.previous_period_cost.as_ref();
            row(CSV_BASE_FEE_ROW, this.base_fee, previous.map(|p| p.base_fee))?;
            row(CSV_PERIOD_COST_ROW, this.cost, previous.map(|p| p.cost))?;
        }
        table.finish()
    }

    fn bars(&self) -> Result<Vec<Bar>, ChartError> {
        let mut routes: Vec<&RouteCost> = self.routes.iter().collect();
        routes.sort_by(|a, b| b.cost.cmp(&a.cost).then_with(|| a.route.cmp(&b.route)));
        let shown = if routes.len() > ROUTES_SHOWN_MAX + 1 { ROUTES_SHOWN_MAX } else { routes.len() };
        let mut bars: Vec<Bar> = routes[..shown]
            .iter()
            .map(|r| Bar::new(truncate(&r.route, ROUTE_LABEL_CHARS_MAX), r.cost, r.previous_cost))
            .collect::<Result<_, _>>()?;
        let rest = &routes[shown..];
        if !rest.is_empty() {
            let overflow = || ChartError::Overflow { what: "other routes" };
            let mut cost = Decimal::ZERO;
            let mut previous = Decimal::ZERO;
            for r in rest {
                cost = cost.checked_add(r.cost).ok_or_else(overflow)?;
                // A route new this period cost nothing in the previous one.
                previous = previous.checked_add(r.previous_cost.unwrap_or(Decimal::ZERO)).ok_or_else(overflow)?;
            }
            bars.push(Bar::new(format!("{} other routes", rest.len()), cost, Some(previous))?);
        }
        Ok(bars)
    }
}

/// The CSV row of the base fee, which no route carries.
pub const CSV_BASE_FEE_ROW: &str = "base fee (not attributed to routes)";
/// The CSV row of the period's whole cost: base fee + overage.
pub const CSV_PERIOD_COST_ROW: &str = "period cost (base fee + overage)";

/// `▲ +$3.20`, `▼ -$1.35` or `no change`.
fn change_text(delta: Decimal, currency: &str) -> String {
    if delta > Decimal::ZERO {
        format!("\u{25B2} {}", signed_money_in(delta, currency))
    } else if delta < Decimal::ZERO {
        format!("\u{25BC} {}", signed_money_in(delta, currency))
    } else {
        String::from("no change")
    }
}

/// The change label beside a bar and its colour.
fn change(bar: &Bar, theme: &Theme, currency: &str) -> (String, crate::theme::Rgb) {
    match bar.change {
        None => (String::from("new"), theme.muted_text),
        Some(delta) => {
            let color = if delta > Decimal::ZERO {
                theme.increase
            } else if delta < Decimal::ZERO {
                theme.decrease
            } else {
                theme.muted_text
            };
            (change_text(delta, currency), color)
        }
    }
}

/// `text` cut into lines of at most `width_px` at `px`, between words.
fn wrap(text: &str, px: f64, width_px: i32) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
        if !line.is_empty() && text_width_px(&candidate, px) > width_px {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn draw(root: &Root<'_>, theme: &Theme, title: &str, currency: &str, bars: &[Bar], note: &[String]) -> Result<(), ChartError> {
    let money = |amount: Decimal| money_in(amount, currency);
    let legend = [
        LegendEntry::new("Overage this period", theme.series_color(0), KeyStroke::Block).or_short("This period"),
        LegendEntry::new("Previous period", theme.text, KeyStroke::Tick),
    ];
    let plot_area = header(root, theme, title, &legend)?;
    // The note goes under the plot, each sentence wrapped to the chart's width.
    let (width_px, height_px) = plot_area.dim_in_pixel();
    let lines: Vec<String> = note.iter().flat_map(|sentence| wrap(sentence, NOTE_PX, width_px as i32 - 32)).collect();
    let note_px = if lines.is_empty() { 0 } else { lines.len() as u32 * NOTE_ROW_PX + 6 };
    let (plot_area, below) = plot_area.split_vertically(height_px.saturating_sub(note_px));
    for (i, line) in lines.iter().enumerate() {
        below
            .draw(&Text::new(
                line.clone(),
                (16, i as i32 * NOTE_ROW_PX as i32),
                text(theme.muted_text, NOTE_PX).pos(Pos::new(HPos::Left, VPos::Top)),
            ))
            .map_err(draw_failed)?;
    }
    let n = bars.len();
    let x_max = bars.iter().map(|b| plot(b.cost).max(b.previous_cost.map_or(0.0, plot))).fold(0.0, f64::max);
    // Room on the right for the widest "$1,234.50 ▲ +$12.00" label.
    let label_px = bars
        .iter()
        .map(|b| text_width_px(&money(b.cost), LABEL_PX) + text_width_px(&change(b, theme, currency).0, NOTE_PX) + 24)
        .max()
        .unwrap_or(0);
    let axis_px = bars.iter().map(|b| text_width_px(&b.label, LABEL_PX)).max().unwrap_or(40) + 12;
    let plot_px = (width_px as i32 - axis_px - label_px - 24).max(40);
    let x_max = if x_max > 0.0 { x_max * (1.0 + f64::from(label_px) / f64::from(plot_px)) } else { 1.0 };

    let labels: Vec<String> = bars.iter().map(|b| b.label.clone()).collect();
    let bands = TickAxis { start: 0.0, end: n as f64, ticks: (0..n).map(|i| i as f64 + 0.5).collect() };
    let mut chart: ChartContext<'_, SVGBackend<'_>, Cartesian2d<RangedCoordf64, TickAxis>> = ChartBuilder::on(&plot_area)
        .margin(10)
        .margin_right(16)
        .x_label_area_size(44)
        .y_label_area_size(axis_px as u32)
        .build_cartesian_2d(0f64..x_max, bands)
        .map_err(draw_failed)?;
    // Bar i sits in band n-1-i so the most expensive route is on top.
    let y_label = |y: &f64| {
        let band = (*y - 0.5).round().max(0.0) as usize;
        labels.get(n.saturating_sub(band + 1)).cloned().unwrap_or_default()
    };
    let x_tick = |x: &f64| money_tick(*x, currency);
    let x_desc = format!("Overage this period ({currency})");
    chart
        .configure_mesh()
        .disable_y_mesh()
        .bold_line_style(theme.grid.plotters().stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(theme.axis.plotters().stroke_width(1))
        .label_style(text(theme.text, LABEL_PX))
        .axis_desc_style(text(theme.muted_text, LABEL_PX))
        .x_desc(x_desc)
        .x_labels(6)
        .y_labels(n)
        .x_label_formatter(&x_tick)
        .y_label_formatter(&y_label)
        .draw()
        .map_err(draw_failed)?;

    let bar_color = theme.series_color(0).plotters();
    for (i, bar) in bars.iter().enumerate() {
        let band = (n - 1 - i) as f64;
        let cost = plot(bar.cost);
        chart
            .draw_series(std::iter::once(Rectangle::new([(0.0, band + 0.22), (cost, band + 0.78)], bar_color.filled())))
            .map_err(draw_failed)?;
        if let Some(previous) = bar.previous_cost {
            let x = plot(previous);
            chart
                .draw_series(std::iter::once(PathElement::new([(x, band + 0.1), (x, band + 0.9)], theme.text.plotters().stroke_width(2))))
                .map_err(draw_failed)?;
        }
        let amount = money(bar.cost);
        let (delta, delta_color) = change(bar, theme, currency);
        let label_x = cost.max(bar.previous_cost.map_or(0.0, plot));
        let amount_px = text_width_px(&amount, LABEL_PX);
        let centre = Pos::new(HPos::Left, VPos::Center);
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((label_x, band + 0.5))
                    + Text::new(amount, (8, 0), text(theme.text, LABEL_PX).pos(centre))
                    + Text::new(delta, (14 + amount_px, 0), text(delta_color, NOTE_PX).pos(centre)),
            ))
            .map_err(draw_failed)?;
    }
    Ok(())
}
