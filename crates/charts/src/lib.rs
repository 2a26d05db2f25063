//! Usage and cost charts drawn as SVG with plotters.

mod csv_out;
mod error;
mod frame;
mod labels;
mod png;
mod theme;
mod time_axis;
mod usage;

pub use error::ChartError;
pub use frame::{BUCKETS_MAX, Bucket, Size, TimeRange};
pub use png::{PNG_SIDE_MAX_PX, to_png};
pub use theme::{Rgb, Theme, ThemeMode, contrast_ratio};
pub use usage::{NO_USAGE_MESSAGE, ProjectedTotal, UsageChart, UsagePoint, UsageView};
