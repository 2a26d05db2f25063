//! Colours and sizes of a chart: one palette for light surfaces, one for dark.

use plotters::style::RGBColor;
use serde::{Deserialize, Serialize};

/// An sRGB colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// `#RRGGBB`, as SVG writes it.
    pub fn hex(self) -> String {
        format!("#{:02X}{:02X}{:02X}", self.0, self.1, self.2)
    }

    /// This colour laid over `under` with opacity `alpha` (0..=1), as one opaque colour.
    ///
    /// Stacked areas use opaque blends so a layer drawn over another does not tint it.
    pub fn over(self, under: Rgb, alpha: f64) -> Rgb {
        let alpha = alpha.clamp(0.0, 1.0);
        let mix = |top: u8, bottom: u8| (f64::from(top) * alpha + f64::from(bottom) * (1.0 - alpha)).round() as u8;
        Rgb(mix(self.0, under.0), mix(self.1, under.1), mix(self.2, under.2))
    }

    pub(crate) fn plotters(self) -> RGBColor {
        RGBColor(self.0, self.1, self.2)
    }
}

/// Whether the chart sits on a light or a dark surface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThemeMode {
    /// Dark text on a white background.
    Light,
    /// Light text on a near-black background.
    Dark,
}

/// Every colour a chart uses.
///
/// Both palettes keep text at a contrast ratio of at least 7:1 and series colours at least
/// 3:1 against the background (WCAG AAA for text, AA for graphics), which the tests check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Theme {
    /// Which surface the palette is for.
    pub mode: ThemeMode,
    /// The chart's background.
    pub background: Rgb,
    /// Titles, tick labels and legend text.
    pub text: Rgb,
    /// Secondary text: axis descriptions, notes, the previous-period marker.
    pub muted_text: Rgb,
    /// Grid lines, and the frame of an empty chart.
    pub grid: Rgb,
    /// Axis lines and tick marks.
    pub axis: Rgb,
    /// Series colours, in order; a chart with more series than colours groups the rest.
    pub series: [Rgb; 6],
    /// The included-quota line and the 100% mark.
    pub quota: Rgb,
    /// The 80% mark, where the persistent notice appears.
    pub warning: Rgb,
    /// The projection to the end of the period: a shade of the first series colour, distinct
    /// from it so the dashes read as "not measured yet".
    pub projection: Rgb,
    /// A cost that went up against the previous period.
    pub increase: Rgb,
    /// A cost that went down against the previous period.
    pub decrease: Rgb,
}

impl Theme {
    /// The palette for light surfaces.
    pub fn light() -> Theme {
        Theme {
            mode: ThemeMode::Light,
            background: Rgb(0xFF, 0xFF, 0xFF),
            text: Rgb(0x1F, 0x23, 0x28),
            muted_text: Rgb(0x59, 0x63, 0x6E),
            grid: Rgb(0xE1, 0xE4, 0xE8),
            axis: Rgb(0x8C, 0x95, 0x9F),
            series: [
                Rgb(0x09, 0x69, 0xDA),
                Rgb(0xBC, 0x4C, 0x00),
                Rgb(0x1A, 0x7F, 0x37),
                Rgb(0x82, 0x50, 0xDF),
                Rgb(0xBF, 0x39, 0x89),
                Rgb(0x1B, 0x7C, 0x83),
            ],
            quota: Rgb(0xCF, 0x22, 0x2E),
            warning: Rgb(0x9A, 0x67, 0x00),
            projection: Rgb(0x05, 0x50, 0xAE),
            increase: Rgb(0xCF, 0x22, 0x2E),
            decrease: Rgb(0x1A, 0x7F, 0x37),
        }
    }

    /// The palette for dark surfaces.
    pub fn dark() -> Theme {
        Theme {
            mode: ThemeMode::Dark,
            background: Rgb(0x0D, 0x11, 0x17),
            text: Rgb(0xE6, 0xED, 0xF3),
            muted_text: Rgb(0x9D, 0xA7, 0xB3),
            grid: Rgb(0x26, 0x2C, 0x36),
            axis: Rgb(0x6E, 0x76, 0x81),
            series: [
                Rgb(0x4C, 0x9A, 0xFF),
                Rgb(0xF0, 0x88, 0x3E),
                Rgb(0x3F, 0xB9, 0x50),
                Rgb(0xAB, 0x7D, 0xF8),
                Rgb(0xDB, 0x61, 0xA2),
                Rgb(0x39, 0xC5, 0xCF),
            ],
            quota: Rgb(0xFF, 0x7B, 0x72),
            warning: Rgb(0xD2, 0x99, 0x22),
            projection: Rgb(0x79, 0xC0, 0xFF),
            increase: Rgb(0xFF, 0x7B, 0x72),
            decrease: Rgb(0x3F, 0xB9, 0x50),
        }
    }

    /// The palette for `mode`.
    pub fn for_mode(mode: ThemeMode) -> Theme {
        match mode {
            ThemeMode::Light => Theme::light(),
            ThemeMode::Dark => Theme::dark(),
        }
    }

    /// The colour of the `index`th series, wrapping around the palette.
    pub fn series_color(&self, index: usize) -> Rgb {
        self.series[index % self.series.len()]
    }
}

/// The WCAG 2 contrast ratio of two colours, from 1 (none) to 21 (black on white).
pub fn contrast_ratio(a: Rgb, b: Rgb) -> f64 {
    fn channel(c: u8) -> f64 {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    }
    fn luminance(c: Rgb) -> f64 {
        0.2126 * channel(c.0) + 0.7152 * channel(c.1) + 0.0722 * channel(c.2)
    }
    let (la, lb) = (luminance(a), luminance(b));
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_palettes_keep_text_and_series_legible() {
        for theme in [Theme::light(), Theme::dark()] {
            let bg = theme.background;
            assert!(contrast_ratio(theme.text, bg) >= 7.0, "{:?} text", theme.mode);
            assert!(contrast_ratio(theme.muted_text, bg) >= 4.5, "{:?} muted", theme.mode);
            for (i, c) in theme.series.iter().enumerate() {
                assert!(contrast_ratio(*c, bg) >= 3.0, "{:?} series {i}", theme.mode);
            }
            for c in [theme.quota, theme.warning, theme.projection, theme.increase, theme.decrease] {
                assert!(contrast_ratio(c, bg) >= 3.0, "{:?} {c:?}", theme.mode);
            }
        }
    }

    #[test]
    fn blends_are_opaque_mixes() {
        assert_eq!(Rgb(255, 255, 255).over(Rgb(0, 0, 0), 0.5), Rgb(128, 128, 128));
        assert_eq!(Rgb(10, 20, 30).over(Rgb(0, 0, 0), 1.0), Rgb(10, 20, 30));
        assert_eq!(Rgb(10, 20, 30).hex(), "#0A141E");
    }
}
