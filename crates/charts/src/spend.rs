//! The period's spend against its budget: what the period costs so far, each projection of the
//! period's bill at its end, and the budget and the spend cap as horizontal lines.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::{Deserialize, Serialize};

use edgecost_pricing::Decimal;
use edgecost_pricing::format::money_in;

use crate::csv_out::Table;
use crate::error::{ChartError, draw_failed};
use crate::frame::{KeyStroke, LegendEntry, NOTE_PX, Size, TimeRange, svg_document, text};
use crate::labels::{money_tick, rfc3339};
use crate::theme::Theme;
use crate::time_axis::{TimeAxes, plot, time_chart, time_header};

/// One projection of what the whole period will cost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendProjection {
    /// "Run rate", "P50", "P90".
    pub label: String,
    /// What the period is projected to cost by its end (base fee + overage, before credit).
    pub cost: Decimal,
    /// When the spend cap stops this projection (the engine's `capped_at`): the line rises to
    /// `cost` by then and stays flat after it. `None` when no cap stops it.
    #[serde(default)]
    pub capped_from_unix_s: Option<i64>,
}

/// The period's spend (base fee + overage, before credit) against the budget.
///
/// The chart is pure data and reads no clock: the spend to date is drawn at `now_unix_s`, and
/// each projection as a dashed line from it to the end of `range`. The budget is drawn in the
/// warning colour, the spend cap (which refuses usage) in the quota's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendChart {
    /// The billing period.
    pub range: TimeRange,
    /// The instant the spend to date was worked out.
    pub now_unix_s: i64,
    /// What the period costs so far.
    pub spend_to_date: Decimal,
    /// The engine's projections of the period's bill, the run rate first.
    pub projections: Vec<SpendProjection>,
    /// The monthly budget, drawn as a horizontal line; `None` for none.
    pub budget: Option<Decimal>,
    /// The spend cap, drawn as a horizontal line; `None` for none.
    pub spend_cap: Option<Decimal>,
    /// The ISO 4217 code every amount is in (the price book's), such as `USD`.
    pub currency: String,
}

/// Dashes of each projection, the run rate boldest.
const DASHES: [(u32, u32, u32); 3] = [(7, 5, 2), (4, 4, 2), (3, 4, 1)];

impl SpendChart {
    /// `Spend this period`.
    pub fn title(&self) -> String {
        String::from("Spend this period")
    }

    /// Draws the chart as an SVG document.
    pub fn to_svg(&self, theme: &Theme, size: Size) -> Result<String, ChartError> {
        let range = self.range.check()?;
        let title = self.title();
        svg_document(size, theme, &title, |root| {
            let start = range.start_unix_s;
            let now = self.now_unix_s.clamp(start, range.end_unix_s);
            let (x0, x1) = (start as f64, range.end_unix_s as f64);
            let spent = plot(self.spend_to_date);
            let money = |amount: Decimal| money_in(amount, &self.currency);

            let mut legend = vec![
                LegendEntry::new(format!("Spend to date ({})", money(self.spend_to_date)), theme.series_color(0), KeyStroke::Solid)
                    .or_short("Spent"),
            ];
            for (i, p) in self.projections.iter().enumerate() {
                let key = if i == 0 { KeyStroke::Dashed } else { KeyStroke::Dotted };
                legend.push(LegendEntry::new(format!("{} ({})", p.label, money(p.cost)), theme.projection, key).or_short(p.label.clone()));
            }
            let lines: Vec<(&str, Decimal, crate::theme::Rgb)> =
                [("Budget", self.budget, theme.warning), ("Spend cap", self.spend_cap, theme.quota)]
                    .into_iter()
                    .filter_map(|(label, amount, color)| amount.map(|a| (label, a, color)))
                    .collect();
            for (label, amount, color) in &lines {
                legend.push(LegendEntry::new(format!("{label} ({})", money(*amount)), *color, KeyStroke::Solid).or_short(*label));
            }

            let mut y_max = spent;
            for p in &self.projections {
                y_max = y_max.max(plot(p.cost));
            }
            for (_, amount, _) in &lines {
                y_max = y_max.max(plot(*amount));
            }
            let y_tick = |y: f64| money_tick(y, &self.currency);
            // The ticks are dollar amounts and the title says what they are: a description
            // beside ticks as wide as "$2,000.00" would run into them.
            let axes = TimeAxes { range, y_max: y_max * 1.1, y_desc: "", y_tick: &y_tick };
            let plot_area = time_header(root, theme, &title, &legend)?;
            let mut chart = time_chart(&plot_area, theme, &axes)?;

            for (label, amount, color) in &lines {
                let y = plot(*amount);
                chart.draw_series(LineSeries::new([(x0, y), (x1, y)], color.plotters().stroke_width(2))).map_err(draw_failed)?;
                chart
                    .draw_series(std::iter::once(
                        EmptyElement::at((x0, y))
                            + Text::new(
                                format!("{label} {}", money(*amount)),
                                (6, -2),
                                text(*color, NOTE_PX).pos(Pos::new(HPos::Left, VPos::Bottom)),
                            ),
                    ))
                    .map_err(draw_failed)?;
            }
            for (p, (dash, gap, width)) in self.projections.iter().zip(DASHES.iter().chain(std::iter::repeat(&DASHES[2]))) {
                // A projection the spend cap stops rises to its cost by the day the cap is
                // reached and stays flat from then.
                let line = match p.capped_from_unix_s {
                    Some(at) if at > now && at < range.end_unix_s => {
                        vec![(now as f64, spent), (at as f64, plot(p.cost)), (x1, plot(p.cost))]
                    }
                    Some(_) => vec![(now as f64, spent), (now as f64, plot(p.cost)), (x1, plot(p.cost))],
                    None => vec![(now as f64, spent), (x1, plot(p.cost))],
                };
                chart
                    .draw_series(DashedLineSeries::new(line, *dash, *gap, theme.projection.plotters().stroke_width(*width)))
                    .map_err(draw_failed)?;
            }
            let color = theme.series_color(0);
            chart.draw_series(std::iter::once(Circle::new((now as f64, spent), 5, color.plotters().filled()))).map_err(draw_failed)?;
            Ok(())
        })
    }

    /// The data behind the chart as CSV: the spend to date, each projection at the period's
    /// end, the budget and the spend cap.
    pub fn to_csv(&self) -> Result<String, ChartError> {
        // The amount column is named by the currency's code: `usd`, `eur`.
        let amount_column = self.currency.to_ascii_lowercase();
        let mut table = Table::new(&["kind", "time_utc", "unix_s", &amount_column]);
        table.row(&["spend_to_date", &rfc3339(self.now_unix_s), &self.now_unix_s.to_string(), &self.spend_to_date.to_string()])?;
        let end = self.range.end_unix_s;
        for p in &self.projections {
            if let Some(at) = p.capped_from_unix_s {
                let kind = format!("projected {} reaches the spend cap", p.label);
                table.row(&[&kind, &rfc3339(at), &at.to_string(), &p.cost.to_string()])?;
            }
            let kind = format!("projected {}", p.label);
            table.row(&[&kind, &rfc3339(end), &end.to_string(), &p.cost.to_string()])?;
        }
        for (kind, amount) in [("budget", self.budget), ("spend_cap", self.spend_cap)] {
            if let Some(amount) = amount {
                table.row(&[kind, &rfc3339(end), &end.to_string(), &amount.to_string()])?;
            }
        }
        table.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(budget: Option<&str>) -> SpendChart {
        let start = 1_796_083_200; // 2026-12-01
        SpendChart {
            range: TimeRange::new(start, start + 31 * 86_400),
            now_unix_s: start + 5 * 86_400,
            spend_to_date: "40.00".parse().unwrap(),
            projections: vec![
                SpendProjection { label: "Run rate".into(), cost: "130.00".parse().unwrap(), capped_from_unix_s: None },
                SpendProjection { label: "P90".into(), cost: "180.50".parse().unwrap(), capped_from_unix_s: None },
            ],
            budget: budget.map(|b| b.parse().unwrap()),
            spend_cap: None,
            currency: "USD".into(),
        }
    }

    #[test]
    fn the_budget_is_a_line_named_with_its_exact_amount() {
        let svg = chart(Some("100")).to_svg(&Theme::light(), Size::DASHBOARD).unwrap();
        assert!(svg.contains("Budget ($100.00)"), "the legend names the budget");
        assert!(svg.contains("Budget $100.00"), "the line is tagged");
        assert!(svg.contains("Run rate ($130.00)") && svg.contains("P90 ($180.50)"));
        let none = chart(None).to_svg(&Theme::dark(), Size::DASHBOARD).unwrap();
        assert!(!none.contains("Budget"), "no budget, no line");
    }

    #[test]
    fn amounts_are_written_in_the_books_currency() {
        let euros = SpendChart { currency: "EUR".into(), ..chart(Some("100")) };
        let svg = euros.to_svg(&Theme::light(), Size::DASHBOARD).unwrap();
        assert!(svg.contains("Budget (\u{20AC}100.00)") && svg.contains("Run rate (\u{20AC}130.00)"), "legend in euros");
        assert!(svg.contains("Spend to date (\u{20AC}40.00)"));
        assert!(svg.contains("\u{20AC}0.00"), "ticks in euros");
        assert!(!svg.contains('$'), "no dollar sign in a euro chart");
        assert!(euros.to_csv().unwrap().starts_with("kind,time_utc,unix_s,eur\r\n"));
    }

    #[test]
    fn a_projection_the_cap_stops_rises_to_the_day_it_is_reached_and_stays_flat() {
        let start = 1_796_083_200; // 2026-12-01
        let reached = start + 17 * 86_400; // 2026-12-18
        let mut capped = chart(Some("50"));
        capped.spend_cap = Some("30.00".parse().unwrap());
        capped.spend_to_date = "19.00".parse().unwrap();
        capped.projections =
            vec![SpendProjection { label: "Run rate".into(), cost: "29.75".parse().unwrap(), capped_from_unix_s: Some(reached) }];
        let csv = capped.to_csv().unwrap();
        assert!(csv.contains("projected Run rate reaches the spend cap,2026-12-18T00:00:00Z,1797552000,29.75\r\n"), "{csv}");
        assert!(csv.contains("projected Run rate,2027-01-01T00:00:00Z,1798761600,29.75\r\n"), "{csv}");
        let flat = capped.to_svg(&Theme::light(), Size::DASHBOARD).unwrap();
        let straight =
            SpendChart { projections: vec![SpendProjection { capped_from_unix_s: None, ..capped.projections[0].clone() }], ..capped }
                .to_svg(&Theme::light(), Size::DASHBOARD)
                .unwrap();
        assert_ne!(flat, straight, "the capped line bends at the day the cap is reached");
    }

    #[test]
    fn the_csv_holds_the_exact_amounts() {
        let csv = chart(Some("100.00")).to_csv().unwrap();
        assert!(csv.starts_with("kind,time_utc,unix_s,usd\r\nspend_to_date,2026-12-06T00:00:00Z,"), "{csv}");
        assert!(csv.contains("projected Run rate,2027-01-01T00:00:00Z,1798761600,130.00\r\n"), "{csv}");
        assert!(csv.contains("budget,2027-01-01T00:00:00Z,1798761600,100.00\r\n"), "{csv}");
    }
}
