//! What a chart's SVG document says about its size: the width it was drawn at and the size of
//! each text, in pixels. An image shown at its drawn width shows each text that many pixels
//! tall, which is how the app and its tests check that chart text stays readable.

/// The drawn width and the text sizes of an SVG document as the charts write it.
#[derive(Clone, Debug, PartialEq)]
pub struct SvgSize {
    /// `<svg width="…">`, in pixels.
    pub width_px: f64,
    /// Every `font-size="…"`, in pixels, in document order.
    pub font_sizes_px: Vec<f64>,
}

/// The size of `svg`, a document the charts drew; `None` when it has no numeric width or a
/// text size is not a number.
pub fn svg_size(svg: &str) -> Option<SvgSize> {
    let number = |rest: &str| rest.split('"').next()?.parse::<f64>().ok();
    let width_key = "<svg width=\"";
    let width_px = number(&svg[svg.find(width_key)? + width_key.len()..])?;
    let font_sizes_px = svg.split("font-size=\"").skip(1).map(number).collect::<Option<Vec<f64>>>()?;
    Some(SvgSize { width_px, font_sizes_px })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Size, Theme, ThemeMode};

    #[test]
    fn a_drawn_chart_reads_as_its_width_and_text_sizes() {
        let chart = crate::RouteCostChart {
            period_label: "Dec 2026".into(),
            currency: "USD".into(),
            routes: Vec::new(),
            period_cost: None,
            previous_period_cost: None,
        };
        let svg = chart.to_svg(&Theme::for_mode(ThemeMode::Light), Size { width_px: 780, height_px: 320 }).unwrap();
        let size = svg_size(&svg).unwrap();
        assert_eq!(size.width_px, 780.0);
        assert!(!size.font_sizes_px.is_empty() && size.font_sizes_px.iter().all(|px| *px > 0.0), "{size:?}");
        assert_eq!(svg_size("<svg height=\"1\">"), None);
        assert_eq!(svg_size("<svg width=\"10\"><text font-size=\"big\">"), None);
    }
}
