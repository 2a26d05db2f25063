//! The one error type of the charts crate.

use thiserror::Error;

/// Why a chart could not be drawn or exported.
///
/// Every variant has a stable [`code`](ChartError::code) so the app can choose what to show
/// without matching on message text.
// Variant fields are named by what they hold, unit last; the variant documents them.
#[allow(missing_docs)]
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ChartError {
    /// The requested image is too small to hold a labelled chart or too large to render.
    #[error("a chart must be between {min_px} and {max_px} pixels on each side, not {width_px} x {height_px}")]
    InvalidSize { width_px: u32, height_px: u32, min_px: u32, max_px: u32 },
    /// The time range ends before it starts.
    #[error("the time range ends ({end_unix_s}) before it starts ({start_unix_s})")]
    InvalidRange { start_unix_s: i64, end_unix_s: i64 },
    /// A sum of the chart's values does not fit in a decimal.
    #[error("the {what} of the chart's values is too large to add up")]
    Overflow { what: &'static str },
    /// plotters refused to draw an element.
    #[error("could not draw the chart: {reason}")]
    Draw { reason: String },
    /// The text given to [`crate::to_png`] is not an SVG document.
    #[error("not a valid SVG document: {reason}")]
    InvalidSvg { reason: String },
    /// The PNG scale factor is not a positive finite number.
    #[error("the PNG scale must be a positive number, not {scale}")]
    InvalidScale { scale: String },
    /// The PNG would be larger than [`crate::PNG_SIDE_MAX_PX`] on a side.
    #[error("a {width_px} x {height_px} PNG is larger than {max_px} pixels on a side")]
    ImageTooLarge { width_px: u32, height_px: u32, max_px: u32 },
    /// The rendered pixels could not be encoded as PNG.
    #[error("could not encode the PNG: {reason}")]
    PngEncode { reason: String },
    /// The data could not be written as CSV.
    #[error("could not write the CSV: {reason}")]
    Csv { reason: String },
}

impl ChartError {
    /// A stable, machine-readable identifier of the error kind.
    pub fn code(&self) -> &'static str {
        match self {
            ChartError::InvalidSize { .. } => "chart.invalid_size",
            ChartError::InvalidRange { .. } => "chart.invalid_range",
            ChartError::Overflow { .. } => "chart.overflow",
            ChartError::Draw { .. } => "chart.draw_failed",
            ChartError::InvalidSvg { .. } => "chart.invalid_svg",
            ChartError::InvalidScale { .. } => "chart.invalid_scale",
            ChartError::ImageTooLarge { .. } => "chart.image_too_large",
            ChartError::PngEncode { .. } => "chart.png_encode_failed",
            ChartError::Csv { .. } => "chart.csv_failed",
        }
    }
}

/// Turns any plotters drawing failure into [`ChartError::Draw`].
pub(crate) fn draw_failed(error: impl std::fmt::Display) -> ChartError {
    ChartError::Draw { reason: error.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_distinct() {
        let errors = [
            ChartError::InvalidSize { width_px: 1, height_px: 1, min_px: 2, max_px: 3 },
            ChartError::InvalidRange { start_unix_s: 2, end_unix_s: 1 },
            ChartError::Overflow { what: "sum" },
            ChartError::Draw { reason: String::new() },
            ChartError::InvalidSvg { reason: String::new() },
            ChartError::InvalidScale { scale: "0".into() },
            ChartError::ImageTooLarge { width_px: 1, height_px: 1, max_px: 0 },
            ChartError::PngEncode { reason: String::new() },
            ChartError::Csv { reason: String::new() },
        ];
        let mut codes: Vec<&str> = errors.iter().map(ChartError::code).collect();
        assert!(codes.iter().all(|c| c.starts_with("chart.")));
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), errors.len());
    }
}
