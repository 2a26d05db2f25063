//! PNG export of a chart's SVG with resvg, using the system's fonts.

use std::sync::{Arc, OnceLock};

use resvg::{tiny_skia, usvg};

use crate::error::ChartError;

/// The largest PNG side [`to_png`] renders, in pixels.
pub const PNG_SIDE_MAX_PX: u32 = 8_192;

/// Font families tried, in order, for text that asks for a generic `sans-serif`.
const SANS_SERIF_FAMILIES: [&str; 4] = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "FreeSans"];

/// Where Debian's `fonts-dejavu-core` puts its fonts, read even when the system font scan
/// finds nothing (as in a minimal container).
const DEJAVU_DIR: &str = "/usr/share/fonts/truetype/dejavu";

/// The font database, loaded once per process: scanning the system's fonts takes far longer
/// than rendering a chart.
fn fonts() -> Arc<usvg::fontdb::Database> {
    static FONTS: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = usvg::fontdb::Database::new();
            db.load_system_fonts();
            if db.is_empty() {
                db.load_fonts_dir(DEJAVU_DIR);
            }
            let installed = |family: &str| db.faces().any(|face| face.families.iter().any(|(name, _)| name == family));
            if let Some(family) = SANS_SERIF_FAMILIES.into_iter().find(|f| installed(f)) {
                db.set_sans_serif_family(family);
            }
            Arc::new(db)
        })
        .clone()
}

/// Renders an SVG document (as the charts produce) to PNG bytes at `scale` times its size:
/// 2.0 for a crisp image on a high-density screen.
///
/// Text is drawn with the system's fonts; without any installed, the PNG still renders,
/// without its text.
pub fn to_png(svg: &str, scale: f32) -> Result<Vec<u8>, ChartError> {
    if !scale.is_finite() || scale <= 0.0 {
        return Err(ChartError::InvalidScale { scale: scale.to_string() });
    }
    let options = usvg::Options { fontdb: fonts(), ..usvg::Options::default() };
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| ChartError::InvalidSvg { reason: e.to_string() })?;
    let size = tree.size();
    let width_px = (size.width() * scale).round();
    let height_px = (size.height() * scale).round();
    let max = PNG_SIDE_MAX_PX as f32;
    if width_px > max || height_px > max {
        return Err(ChartError::ImageTooLarge {
            width_px: width_px.min(u32::MAX as f32) as u32,
            height_px: height_px.min(u32::MAX as f32) as u32,
            max_px: PNG_SIDE_MAX_PX,
        });
    }
    let (width_px, height_px) = (width_px.max(1.0) as u32, height_px.max(1.0) as u32);
    let mut pixmap =
        tiny_skia::Pixmap::new(width_px, height_px).ok_or(ChartError::ImageTooLarge { width_px, height_px, max_px: PNG_SIDE_MAX_PX })?;
    resvg::render(&tree, tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| ChartError::PngEncode { reason: e.to_string() })
}
