//! What every chart shares: its size, its time range and buckets, the SVG document around it,
//! text styles, and the empty state.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::{Deserialize, Serialize};

use crate::error::{ChartError, draw_failed};
use crate::labels::SECONDS_PER_DAY;
use crate::theme::{Rgb, Theme};

/// The drawing area every chart draws on.
pub(crate) type Root<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Fonts the SVG asks for, in order; DejaVu Sans ships with most Linux desktops and is what
/// [`crate::to_png`] prefers.
pub(crate) const FONT_FAMILY: &str = "DejaVu Sans, Verdana, Arial, sans-serif";

/// plotters' SVG backend writes `font-size` as the requested size / 1.24; multiplying by the
/// same factor makes the sizes below real pixels.
const SVG_FONT_SCALE: f64 = 1.24;

pub(crate) const TITLE_PX: f64 = 15.0;
pub(crate) const LABEL_PX: f64 = 12.0;
pub(crate) const NOTE_PX: f64 = 11.0;

/// The pixel size of a chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Size {
    /// Width in pixels.
    pub width_px: u32,
    /// Height in pixels.
    pub height_px: u32,
}

impl Size {
    /// Smallest side that still fits a title, axis labels and a plot.
    pub const SIDE_MIN_PX: u32 = 160;
    /// Largest side drawn; larger images belong to [`crate::to_png`]'s scale.
    pub const SIDE_MAX_PX: u32 = 4_096;
    /// A dashboard card.
    pub const DASHBOARD: Size = Size { width_px: 720, height_px: 320 };
    /// The planner's small chart beside the estimate.
    pub const SMALL: Size = Size { width_px: 480, height_px: 240 };

    /// A size of `width_px` x `height_px`; checked when a chart is drawn.
    pub fn new(width_px: u32, height_px: u32) -> Size {
        Size { width_px, height_px }
    }

    pub(crate) fn check(self) -> Result<Size, ChartError> {
        let fits = |side| (Size::SIDE_MIN_PX..=Size::SIDE_MAX_PX).contains(&side);
        if fits(self.width_px) && fits(self.height_px) {
            Ok(self)
        } else {
            Err(ChartError::InvalidSize {
                width_px: self.width_px,
                height_px: self.height_px,
                min_px: Size::SIDE_MIN_PX,
                max_px: Size::SIDE_MAX_PX,
            })
        }
    }
}

impl Default for Size {
    fn default() -> Size {
        Size::DASHBOARD
    }
}

/// A span of time shown on a chart, in UTC seconds since the Unix epoch, end exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TimeRange {
    /// The first second of the range.
    pub start_unix_s: i64,
    /// The second after the range ends.
    pub end_unix_s: i64,
}

impl TimeRange {
    /// The range from `start_unix_s` up to, not including, `end_unix_s`.
    pub fn new(start_unix_s: i64, end_unix_s: i64) -> TimeRange {
        TimeRange { start_unix_s, end_unix_s }
    }

    /// The `days` days that end at `end_unix_s`, as the 7/30/90-day range picker selects.
    pub fn last_days(end_unix_s: i64, days: u32) -> TimeRange {
        TimeRange { start_unix_s: end_unix_s - i64::from(days) * SECONDS_PER_DAY, end_unix_s }
    }

    pub(crate) fn check(self) -> Result<TimeRange, ChartError> {
        if self.end_unix_s > self.start_unix_s {
            Ok(self)
        } else {
            Err(ChartError::InvalidRange { start_unix_s: self.start_unix_s, end_unix_s: self.end_unix_s })
        }
    }

    pub(crate) fn length_s(self) -> i64 {
        self.end_unix_s - self.start_unix_s
    }
}

/// The width of one data point on a time axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    /// One hour, aligned to the range start.
    Hour,
    /// One day, aligned to the range start.
    Day,
}

impl Bucket {
    /// The bucket's width in seconds.
    pub fn seconds(self) -> i64 {
        match self {
            Bucket::Hour => 3_600,
            Bucket::Day => SECONDS_PER_DAY,
        }
    }

    /// `hour` or `day`, as in "requests per hour".
    pub fn noun(self) -> &'static str {
        match self {
            Bucket::Hour => "hour",
            Bucket::Day => "day",
        }
    }
}

/// The most buckets a time chart holds: a year of hours. It bounds memory and drawing time.
pub const BUCKETS_MAX: usize = 366 * 24;

/// The index of each bucket of `range`, or an error when there would be more than
/// [`BUCKETS_MAX`].
pub(crate) fn bucket_count(range: TimeRange, bucket: Bucket) -> Result<usize, ChartError> {
    let range = range.check()?;
    let count = (range.length_s() + bucket.seconds() - 1) / bucket.seconds();
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    if count > BUCKETS_MAX {
        return Err(ChartError::InvalidRange { start_unix_s: range.start_unix_s, end_unix_s: range.end_unix_s });
    }
    Ok(count)
}

/// A text style in real pixels.
pub(crate) fn text(color: Rgb, px: f64) -> TextStyle<'static> {
    (FONT_FAMILY, px * SVG_FONT_SCALE).into_font().color(&color.plotters())
}

/// Draws a chart into an SVG document of `size` on the theme's background, with `title` as
/// the document's accessible title.
pub(crate) fn svg_document(
    size: Size,
    theme: &Theme,
    title: &str,
    draw: impl FnOnce(&Root<'_>) -> Result<(), ChartError>,
) -> Result<String, ChartError> {
    let size = size.check()?;
    let mut svg = String::with_capacity(96 * 1024);
    {
        let root = SVGBackend::with_string(&mut svg, (size.width_px, size.height_px)).into_drawing_area();
        root.fill(&theme.background.plotters()).map_err(draw_failed)?;
        draw(&root)?;
        root.present().map_err(draw_failed)?;
    }
    Ok(with_title(svg, title))
}

/// Puts a `<title>` first in the document so screen readers and tooltips name the chart.
fn with_title(svg: String, title: &str) -> String {
    let Some(open_end) = svg.find('>') else {
        return svg;
    };
    let mut escaped = String::with_capacity(title.len());
    for c in title.chars() {
        match c {
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '&' => escaped.push_str("&amp;"),
            other => escaped.push(other),
        }
    }
    let mut out = String::with_capacity(svg.len() + escaped.len() + 20);
    out.push_str(&svg[..=open_end]);
    out.push_str("\n<title>");
    out.push_str(&escaped);
    out.push_str("</title>");
    out.push_str(&svg[open_end + 1..]);
    out
}

/// How a legend entry's key is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyStroke {
    Solid,
    Dashed,
    /// Short thin dashes, for a secondary projection.
    Dotted,
    /// A filled square, for areas and bars.
    Block,
    /// A short vertical bar, for markers.
    Tick,
    /// A faintly filled, outlined square: bars of figures to date.
    Faint {
        fill: Rgb,
    },
    /// A hollow ring: line markers of figures to date.
    Ring,
}

/// One entry of a chart's legend.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LegendEntry {
    pub label: String,
    /// A shorter label for a small chart, where the full legend would crowd out the plot.
    pub short: Option<String>,
    pub color: Rgb,
    pub stroke: KeyStroke,
}

impl LegendEntry {
    pub fn new(label: impl Into<String>, color: Rgb, stroke: KeyStroke) -> LegendEntry {
        LegendEntry { label: label.into(), short: None, color, stroke }
    }

    /// The same entry with a shorter label for small charts.
    pub fn or_short(mut self, short: impl Into<String>) -> LegendEntry {
        self.short = Some(short.into());
        self
    }

    fn text(&self, short: bool) -> &str {
        match (&self.short, short) {
            (Some(s), true) => s,
            _ => &self.label,
        }
    }
}

/// The legend may take at most this share of a chart's height before short labels are used.
const LEGEND_HEIGHT_SHARE_MAX: f64 = 0.25;

/// Where each legend entry goes, flowing left to right in rows, and the bottom of the last.
fn legend_layout(legend: &[LegendEntry], right_px: i32, short: bool) -> (Vec<(i32, i32)>, i32) {
    let mut x = HEADER_LEFT_PX;
    let mut y = 40;
    let mut at = Vec::with_capacity(legend.len());
    for entry in legend {
        let width = 24 + text_width_px(entry.text(short), NOTE_PX) + 18;
        if x > HEADER_LEFT_PX && x + width > right_px {
            x = HEADER_LEFT_PX;
            y += LEGEND_ROW_PX;
        }
        at.push((x, y));
        x += width;
    }
    let bottom = if legend.is_empty() { 32 } else { y + LEGEND_ROW_PX / 2 + 4 };
    (at, bottom)
}

/// A generous estimate of a label's width: DejaVu Sans averages well under 0.62 em a glyph.
pub(crate) fn text_width_px(label: &str, px: f64) -> i32 {
    (label.chars().count() as f64 * px * 0.62).ceil() as i32
}

const HEADER_LEFT_PX: i32 = 16;
const LEGEND_ROW_PX: i32 = 18;

/// Draws the title and, beneath it, the legend in rows across the chart's width (never over
/// the data), and returns the area left for the plot.
pub(crate) fn header<'b>(root: &Root<'b>, theme: &Theme, title: &str, legend: &[LegendEntry]) -> Result<Root<'b>, ChartError> {
    let (width_px, height_px) = root.dim_in_pixel();
    let right_px = width_px as i32 - HEADER_LEFT_PX;
    root.draw(&Text::new(title.to_string(), (HEADER_LEFT_PX, 10), text(theme.text, TITLE_PX).pos(Pos::new(HPos::Left, VPos::Top))))
        .map_err(draw_failed)?;
    let (mut at, mut bottom) = legend_layout(legend, right_px, false);
    let short = f64::from(bottom - 32) > f64::from(height_px) * LEGEND_HEIGHT_SHARE_MAX;
    if short {
        (at, bottom) = legend_layout(legend, right_px, true);
    }
    for (entry, (x, y)) in legend.iter().zip(at) {
        draw_key(root, entry, (x, y))?;
        root.draw(&Text::new(
            entry.text(short).to_string(),
            (x + 24, y),
            text(theme.text, NOTE_PX).pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(draw_failed)?;
    }
    Ok(root.split_vertically(bottom).1)
}

fn draw_key(root: &Root<'_>, entry: &LegendEntry, (x, y): (i32, i32)) -> Result<(), ChartError> {
    let color = entry.color.plotters();
    // The sample of a bar, filled or faint.
    let square = [(x + 3, y - 6), (x + 15, y + 6)];
    let result = match entry.stroke {
        KeyStroke::Solid => root.draw(&PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2))),
        KeyStroke::Dashed => root
            .draw(&PathElement::new([(x, y), (x + 7, y)], color.stroke_width(2)))
            .and_then(|()| root.draw(&PathElement::new([(x + 11, y), (x + 18, y)], color.stroke_width(2)))),
        KeyStroke::Dotted => {
            [0, 7, 14].into_iter().try_for_each(|dx| root.draw(&PathElement::new([(x + dx, y), (x + dx + 3, y)], color.stroke_width(1))))
        }
        KeyStroke::Block => root.draw(&Rectangle::new(square, color.filled())),
        KeyStroke::Tick => root.draw(&PathElement::new([(x + 9, y - 7), (x + 9, y + 7)], color.stroke_width(2))),
        KeyStroke::Faint { fill } => root
            .draw(&Rectangle::new(square, fill.plotters().filled()))
            .and_then(|()| root.draw(&Rectangle::new(square, color.stroke_width(1)))),
        KeyStroke::Ring => root.draw(&Circle::new((x + 9, y), 4, color.stroke_width(2))),
    };
    result.map_err(draw_failed)
}

/// The empty state: the title, a quiet frame, and a sentence saying why there is nothing.
pub(crate) fn draw_empty(root: &Root<'_>, theme: &Theme, title: &str, message: &str) -> Result<(), ChartError> {
    let (width_px, height_px) = root.dim_in_pixel();
    let (w, h) = (width_px as i32, height_px as i32);
    header(root, theme, title, &[])?;
    root.draw(&Rectangle::new([(16, 40), (w - 16, h - 16)], theme.grid.plotters().stroke_width(1))).map_err(draw_failed)?;
    root.draw(&Text::new(
        message.to_string(),
        (w / 2, (h + 24) / 2),
        text(theme.muted_text, LABEL_PX + 1.0).pos(Pos::new(HPos::Center, VPos::Center)),
    ))
    .map_err(draw_failed)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_ranges_are_checked() {
        assert!(Size::new(720, 320).check().is_ok());
        assert_eq!(Size::new(10, 320).check().unwrap_err().code(), "chart.invalid_size");
        assert_eq!(TimeRange::new(10, 10).check().unwrap_err().code(), "chart.invalid_range");
        assert_eq!(bucket_count(TimeRange::last_days(0, 90), Bucket::Hour).unwrap(), 2_160);
        assert_eq!(bucket_count(TimeRange::new(0, 3_601), Bucket::Hour).unwrap(), 2);
        assert!(bucket_count(TimeRange::last_days(0, 400), Bucket::Hour).is_err());
    }

    #[test]
    fn the_title_is_escaped_into_the_document() {
        let svg = with_title(String::from("<svg a=\"1\">\n</svg>"), "Cost & usage");
        assert_eq!(svg, "<svg a=\"1\">\n<title>Cost &amp; usage</title>\n</svg>");
    }
}
