//! Egress by region over time, as stacked areas.

use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use edgecost_pricing::{Decimal, Meter};

use crate::csv_out::Table;
use crate::error::{ChartError, draw_failed};
use crate::frame::{Bucket, KeyStroke, LegendEntry, Root, Size, TimeRange, draw_empty, svg_document};
use crate::labels::{meter_amount, meter_tick, rfc3339};
use crate::theme::Theme;
use crate::time_axis::{TimeAxes, bucketize, plot, running_totals, time_chart, time_header};
use crate::usage::UsagePoint;

/// One region's egress per bucket, in GB.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionSeries {
    /// The region's name as the price book spells it, e.g. `eu-west`.
    pub region: String,
    /// Egress per bucket, in GB.
    pub points: Vec<UsagePoint>,
}

/// Egress of every region over a range, stacked so the top edge is the total.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionEgressChart {
    /// The range on the x axis.
    pub range: TimeRange,
    /// The width of each step of the areas.
    pub bucket: Bucket,
    /// Buckets that start at or after `now_unix_s` are not drawn.
    pub now_unix_s: i64,
    /// Every region's egress; their order does not matter, the largest is drawn lowest.
    pub regions: Vec<RegionSeries>,
}

/// The message of an egress chart with no points in its range.
pub const NO_EGRESS_MESSAGE: &str = "No egress in this range yet";

/// Regions drawn on their own; the rest are added up as "Other regions" so every layer keeps
/// a distinct colour.
pub const REGIONS_SHOWN_MAX: usize = 5;

/// A region's buckets and total, ready to stack.
struct Layer {
    name: String,
    amounts: Vec<Decimal>,
    total: Decimal,
}

impl RegionEgressChart {
    /// `Egress by region per day`.
    pub fn title(&self) -> String {
        format!("Egress by region per {}", self.bucket.noun())
    }

    /// Draws the chart as an SVG document.
    pub fn to_svg(&self, theme: &Theme, size: Size) -> Result<String, ChartError> {
        let title = self.title();
        let (layers, any_point) = self.layers()?;
        svg_document(size, theme, &title, |root| {
            if !any_point {
                return draw_empty(root, theme, &title, NO_EGRESS_MESSAGE);
            }
            self.draw(root, theme, &title, &layers)
        })
    }

    /// The data behind the chart as CSV (RFC 4180): one row per region and bucket, in GB.
    pub fn to_csv(&self) -> Result<String, ChartError> {
        let mut table = Table::new(&["region", "time_utc", "unix_s", "egress_gb"]);
        for series in &self.regions {
            let buckets = self.bucketize(series)?;
            for (i, amount) in buckets.amounts.iter().enumerate() {
                let start = self.range.start_unix_s + i as i64 * self.bucket.seconds();
                table.row(&[&series.region, &rfc3339(start), &start.to_string(), &amount.to_string()])?;
            }
        }
        table.finish()
    }

    fn bucketize(&self, series: &RegionSeries) -> Result<crate::time_axis::Buckets, ChartError> {
        bucketize(series.points.iter().map(|p| (p.start_unix_s, p.amount)), self.range, self.bucket, self.now_unix_s)
    }

    /// Layers from the largest region down, with the smallest ones folded into one.
    fn layers(&self) -> Result<(Vec<Layer>, bool), ChartError> {
        let mut any_point = false;
        let mut layers = Vec::with_capacity(self.regions.len());
        for series in &self.regions {
            let buckets = self.bucketize(series)?;
            any_point |= buckets.any_point;
            let total = running_totals(&buckets.amounts)?.last().copied().unwrap_or(Decimal::ZERO);
            layers.push(Layer { name: series.region.clone(), amounts: buckets.amounts, total });
        }
        layers.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.name.cmp(&b.name)));
        if layers.len() > REGIONS_SHOWN_MAX + 1 {
            let rest = layers.split_off(REGIONS_SHOWN_MAX);
            let mut other = Layer {
                name: format!("{} other regions", rest.len()),
                amounts: vec![Decimal::ZERO; rest[0].amounts.len()],
                total: Decimal::ZERO,
            };
            for layer in rest {
                for (sum, amount) in other.amounts.iter_mut().zip(&layer.amounts) {
                    *sum = sum.checked_add(*amount).ok_or(ChartError::Overflow { what: "other regions" })?;
                }
                other.total = other.total.checked_add(layer.total).ok_or(ChartError::Overflow { what: "other regions" })?;
            }
            layers.push(other);
        }
        Ok((layers, any_point))
    }

    fn draw(&self, root: &Root<'_>, theme: &Theme, title: &str, layers: &[Layer]) -> Result<(), ChartError> {
        let bucket_s = self.bucket.seconds();
        let start = self.range.start_unix_s;
        let buckets = layers.first().map_or(0, |l| l.amounts.len());

        // stacks[i][b]: the top edge of layer i in bucket b, the sum of layers 0..=i.
        let mut stacks: Vec<Vec<f64>> = Vec::with_capacity(layers.len());
        let mut below = vec![0f64; buckets];
        for layer in layers {
            let top: Vec<f64> = below.iter().zip(&layer.amounts).map(|(b, a)| b + plot(*a)).collect();
            below.clone_from(&top);
            stacks.push(top);
        }
        let y_max = below.iter().copied().fold(0.0, f64::max);

        let legend: Vec<LegendEntry> = layers
            .iter()
            .enumerate()
            .map(|(i, l)| {
                LegendEntry::new(format!("{} ({})", l.name, meter_amount(Meter::Egress, l.total)), theme.series_color(i), KeyStroke::Block)
                    .or_short(l.name.clone())
            })
            .collect();
        // The ticks carry the unit: MB, GB or TB with the scale. The bytes are those served,
        // before region weights, unlike the egress meter's billable bytes.
        let y_desc = format!("egress served per {}", self.bucket.noun());
        let y_tick = |y: f64| meter_tick(Meter::Egress, y);
        let axes = TimeAxes { range: self.range, y_max: y_max * 1.1, y_desc: &y_desc, y_tick: &y_tick };
        let plot_area = time_header(root, theme, title, &legend)?;
        let mut chart = time_chart(&plot_area, theme, &axes)?;

        // Each bucket is drawn as a step across its whole width, so a bucket's area is its
        // amount, and the last one ends where measurement ends.
        let x_of = |b: usize| (start + b as i64 * bucket_s) as f64;
        let end_x = (x_of(buckets)).min(self.now_unix_s as f64).min(self.range.end_unix_s as f64);
        let steps = |top: &[f64]| -> Vec<(f64, f64)> {
            let mut points = Vec::with_capacity(top.len() * 2);
            for (b, y) in top.iter().enumerate() {
                points.push((x_of(b), *y));
                points.push((x_of(b + 1).min(end_x), *y));
            }
            points
        };
        // Draw the tallest stack first; each lower layer then covers its own share of it.
        for (i, top) in stacks.iter().enumerate().rev() {
            let color = theme.series_color(i);
            let fill = color.over(theme.background, 0.55).plotters();
            chart
                .draw_series(AreaSeries::new(steps(top), 0.0, fill.filled()).border_style(color.plotters().stroke_width(1)))
                .map_err(draw_failed)?;
        }
        Ok(())
    }
}
