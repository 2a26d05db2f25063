//! Routing plans and the live incremental cost estimator.
//!
//! A [`Plan`] is a routing configuration plus traffic assumptions: the tier, the region split,
//! the routes with their traffic, compute and response size, and the middleware they run. The
//! [`Estimator`] prices a plan with the pricing crate's exact rating and keeps the totals
//! current as single routes or middleware entries change, which is what the desktop editor's
//! live estimate needs. Around it: threshold days, credit run-out, growth and uncertainty
//! projections ([`projection`]), per-route and per-region cost attribution, a cost [`diff`] of
//! two plans, [`plan_from_usage`] to build a plan from measured telemetry, and
//! [`PlanDocument`], which saves an edited plan by patching its file's text so that a one-number
//! edit changes one line and comments and layout stay as written.
//!
//! Everything here is pure: values in, values out, with the period start and random seeds
//! passed in.
//!
//! ```
//! use edgecost_planner::{Estimator, Plan};
//! use edgecost_pricing::PriceBook;
//!
//! let book = PriceBook::published();
//! let plan = Plan::parse(
//!     "tier: production\nregions: {na: 0.6, eu: 0.4}\nroutes:\n  - {path: /api/orders, requests_per_month: 300000, compute_ms: 4, response_bytes: 20000}\n",
//!     "plan.yaml",
//!     book,
//! )
//! .unwrap();
//! let mut estimator = Estimator::new(plan, book).unwrap();
//! // 100,000 requests past the 200,000 included: 10 x $0.40 on top of the $19 base fee.
//! assert_eq!(estimator.bill().unwrap().total.to_string(), "23.00");
//!
//! // Halve the traffic: only that route is re-priced, and it fits the included quota.
//! let mut route = estimator.plan().routes[0].clone();
//! route.requests_per_month = Some(150_000.into());
//! estimator.set_route(0, route).unwrap();
//! assert_eq!(estimator.bill().unwrap().total.to_string(), "19.00");
//! ```

#![warn(missing_docs)]

mod attribution;
mod calibrate;
mod diff;
mod document;
mod error;
mod estimate;
mod estimator;
mod plan;
pub mod projection;
mod quantity;
mod usage;

pub use attribution::{allocate_cents, attribute};
pub use calibrate::{MAX_USAGE_RECORDS, UsageRecord, plan_from_usage, read_usage, read_usage_for};
pub use diff::{Change, PlanDiff, RouteDiff, change_label, diff, edited_fields};
pub use document::{PlanDocument, Rewrite};
pub use error::PlanError;
pub use estimate::{CostShare, Estimate, EstimateOptions};
pub use estimator::Estimator;
pub use plan::{Growth, Middleware, Plan, Route, SECONDS_PER_MONTH};
pub use projection::{BillRange, CapOutlook, CreditRunway, MonthProjection, ThresholdDay, Uncertainty};
pub use quantity::{
    COMPUTE_MS_MAX, EGRESS_RATIO_MAX, GROWTH_PERCENT_MAX, QUANTITY_SCALE, REQUESTS_PER_MONTH_MAX, REQUESTS_PER_SECOND_MAX,
    RESPONSE_BYTES_MAX,
};
pub use usage::{Contribution, PlanSplit, RegionTable, RouteUsage, UsageSummary, route_usage};
