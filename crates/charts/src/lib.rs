//! Usage and cost charts drawn as SVG with plotters, for the dashboard and the planner.
//!
//! Every chart is a plain data value (points with UTC timestamps in seconds, exact `Decimal`
//! amounts, the quota) with three pure methods: `to_svg(&Theme, Size)` draws it, `to_csv()`
//! exports the numbers behind it, and `title()` names it. Nothing here reads a clock, a file
//! or the network; [`to_png`] turns any chart's SVG into PNG bytes for export.
//!
//! - [`UsageChart`]: one meter over time, cumulative or per hour/day, with the included
//!   quota, the 80% notice mark and a dashed projection to the end of the period.
//! - [`RegionEgressChart`]: egress by region over time, stacked.
//! - [`RouteCostChart`]: each route's overage this period with its change since the last one,
//!   and a note with each period's base fee (which no route carries) and whole cost.
//! - [`QuotaProjectionChart`]: the planner's projected usage against every quota.
//! - [`SpendChart`]: the period's spend and its projections against the budget and the spend cap.
//! - [`MonthlyChart`]: the operator's figures month by month: revenue stacked by tier, or
//!   percentages such as retention, churn and conversion.
//!
//! Both [`Theme::light`] and [`Theme::dark`] keep text and lines at a legible contrast, and a
//! chart with no data draws a short sentence saying so instead of empty axes.
//!
//! ```
//! use edgecost_charts::{Bucket, ProjectedTotal, Size, Theme, TimeRange, UsageChart, UsagePoint, UsageView};
//! use edgecost_pricing::{Decimal, Meter};
//!
//! let period = TimeRange::new(1_793_491_200, 1_793_491_200 + 30 * 86_400);
//! let mut chart = UsageChart {
//!     meter: Meter::Requests,
//!     range: period,
//!     bucket: Bucket::Day,
//!     view: UsageView::Cumulative,
//!     now_unix_s: period.start_unix_s + 10 * 86_400,
//!     points: (0..10)
//!         .map(|day| UsagePoint {
//!             start_unix_s: period.start_unix_s + day * 86_400,
//!             amount: Decimal::from(50_000),
//!         })
//!         .collect(),
//!     included: Some(Decimal::from(2_000_000)),
//!     projection: Vec::new(),
//!     projection_p90: Vec::new(),
//! };
//! // The projection is the billing engine's (its run rate to period end); the chart draws it.
//! chart.projection = vec![ProjectedTotal { at_unix_s: period.end_unix_s, total: Decimal::from(1_500_000) }];
//!
//! let svg = chart.to_svg(&Theme::dark(), Size::DASHBOARD)?;
//! assert!(svg.contains("Included (2M requests)"));
//! assert!(svg.contains("Projected to period end (1.5M requests)"));
//!
//! let png = edgecost_charts::to_png(&svg, 2.0)?;
//! assert!(png.starts_with(b"\x89PNG"));
//! assert!(chart.to_csv()?.starts_with("kind,time_utc,unix_s,requests,cumulative_requests\r\n"));
//! # Ok::<(), edgecost_charts::ChartError>(())
//! ```

#![warn(missing_docs)]

mod csv_out;
mod error;
mod frame;
mod inspect;
mod labels;
mod monthly;
mod png;
mod quota;
mod region;
mod route;
mod spend;
mod theme;
mod time_axis;
mod usage;
mod value_labels;

pub use error::ChartError;
pub use frame::{BUCKETS_MAX, Bucket, Size, TimeRange};
pub use inspect::{SvgSize, svg_size};
pub use monthly::{MONTHS_SHOWN_MAX, MonthSeries, MonthlyChart, MonthlyUnit, NO_MONTHLY_VALUES_MESSAGE};
pub use png::{PNG_SIDE_MAX_PX, to_png};
pub use quota::{MeterProjection, NO_PROJECTION_MESSAGE, PERIOD_DAYS_MAX, QuotaProjectionChart};
pub use region::{NO_EGRESS_MESSAGE, REGIONS_SHOWN_MAX, RegionEgressChart, RegionSeries};
pub use route::{
    BASE_FEE_NOTE, CSV_BASE_FEE_ROW, CSV_PERIOD_COST_ROW, NO_ROUTE_COSTS_MESSAGE, PeriodCost, ROUTES_SHOWN_MAX, RouteCost, RouteCostChart,
};
pub use spend::{SpendChart, SpendProjection};
pub use theme::{Rgb, Theme, ThemeMode, contrast_ratio};
pub use usage::{NO_USAGE_MESSAGE, ProjectedTotal, UsageChart, UsagePoint, UsageView};
