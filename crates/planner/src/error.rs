//! Errors of the planner crate.

use edgecost_pricing::RateError;

/// Why a plan, an edit or a usage file was refused.
///
/// Every variant has a stable [`PlanError::code`] so callers (the desktop app, scripts) never
/// match on message text.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The text does not parse or a value breaks a rule; `line` and `column` are 1-based.
    #[error("{file}:{line}:{column}: {message}")]
    Malformed {
        /// The file, as named to the reader.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong, for people.
        message: String,
    },
    /// A plan rule (see [`PlanError::code`] of the rule) broken at a place in the text.
    #[error("{file}:{line}:{column}: {message}")]
    At {
        /// The file, as named to the reader.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong, for people.
        message: String,
        /// The stable code of the rule broken.
        rule: &'static str,
    },
    /// A rule was broken somewhere the parser could not place.
    #[error("{file}: {message}")]
    Invalid {
        /// The file, as named to the reader.
        file: String,
        /// What is wrong, for people.
        message: String,
    },
    /// The file could not be read or written.
    #[error("cannot read {file}: {source}")]
    Read {
        /// The file, as named to the reader.
        file: String,
        /// Why the system refused.
        #[source]
        source: std::io::Error,
    },
    /// A route names middleware the catalog does not define.
    #[error("route '{route}' uses middleware '{middleware}', which the catalog does not define (known: {known})")]
    UnknownMiddleware {
        /// The route's path.
        route: String,
        /// The middleware's name.
        middleware: String,
        /// The names that are known, comma-separated.
        known: String,
    },
    /// A region the price book has no egress weight for.
    #[error("region '{region}' is not in the price book (known regions: {known})")]
    UnknownRegion {
        /// The region as written.
        region: String,
        /// The names that are known, comma-separated.
        known: String,
    },
    /// Region shares that do not add up to exactly 1.
    #[error("{owner}: region shares add up to {sum}, they must add up to exactly 1")]
    SharesNotOne {
        /// Whose shares: the plan, or a route's path.
        owner: String,
        /// What the shares add up to.
        sum: String,
    },
    /// A negative or out-of-range quantity.
    #[error("{field} is {value}: {rule}")]
    OutOfRange {
        /// The field, as a path into the plan.
        field: String,
        /// The value given.
        value: String,
        /// The stable code of the rule broken.
        rule: &'static str,
    },
    /// A route gives neither or both of `requests_per_month` and `requests_per_second`.
    #[error("route '{route}': give exactly one of requests_per_month and requests_per_second")]
    Traffic {
        /// The route's path.
        route: String,
    },
    /// A catalog entry cannot be removed while a route uses it.
    #[error("middleware '{middleware}' is used by route '{route}'; take it out of the route first")]
    MiddlewareInUse {
        /// The middleware's name.
        middleware: String,
        /// The route's path.
        route: String,
    },
    /// Two routes share one path.
    #[error("route '{route}' is defined twice; paths must be unique")]
    DuplicateRoute {
        /// The route's path.
        route: String,
    },
    /// An edit named a route or middleware that is not in the plan.
    #[error("no {what} '{name}' in the plan")]
    NotFound {
        /// What was named or asked for.
        what: &'static str,
        /// The name given.
        name: String,
    },
    /// A projection or simulation was asked for more than its bound.
    #[error("{what} is {value}, at most {max} is allowed")]
    Bound {
        /// What was named or asked for.
        what: &'static str,
        /// The amount asked for.
        value: u64,
        /// The most allowed.
        max: u64,
    },
    /// A plan's month of usage, all routes together, past a bound of the pricing core
    /// (`edgecost_pricing::bounds`), found before rating it.
    #[error(
        "the plan's {meter} usage of {total} {unit} a month is above the bound of {max} {unit}; route '{route}' takes the total past it"
    )]
    TotalTooLarge {
        /// The meter's id (`requests`).
        meter: &'static str,
        /// The unit of `total` and `max` (egress in GB).
        unit: &'static str,
        /// The plan's month of the meter.
        total: String,
        /// The bound it passed.
        max: String,
        /// The first route, in plan order, with which the running total passes the bound.
        route: String,
    },
    /// A line of a usage export that cannot be used.
    #[error("{file}:{line}: {message}")]
    UsageRecord {
        /// The file, as named to the reader.
        file: String,
        /// 1-based line of the export.
        line: usize,
        /// What is wrong, for people.
        message: String,
    },
    /// A usage export without a single usable record.
    #[error("{file}: no usage records")]
    NoUsage {
        /// The file, as named to the reader.
        file: String,
    },
    /// The pricing engine refused the totals.
    #[error(transparent)]
    Rate(#[from] RateError),
    /// A quantity grew past what an exact decimal holds.
    #[error("a quantity is too large to compute exactly")]
    Overflow,
}

impl PlanError {
    /// A stable, machine-readable code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            PlanError::Malformed { .. } | PlanError::Invalid { .. } => "plan_invalid",
            PlanError::At { rule, .. } => rule,
            PlanError::Read { .. } => "plan_unreadable",
            PlanError::UnknownMiddleware { .. } => "unknown_middleware",
            PlanError::UnknownRegion { .. } => "unknown_region",
            PlanError::SharesNotOne { .. } => "region_shares_not_one",
            PlanError::OutOfRange { .. } => "value_out_of_range",
            PlanError::Traffic { .. } => "route_traffic_ambiguous",
            PlanError::DuplicateRoute { .. } => "duplicate_route",
            PlanError::MiddlewareInUse { .. } => "middleware_in_use",
            PlanError::NotFound { .. } => "not_found",
            PlanError::Bound { .. } => "over_bound",
            PlanError::TotalTooLarge { .. } => "usage_too_large",
            PlanError::UsageRecord { .. } => "usage_record_invalid",
            PlanError::NoUsage { .. } => "usage_empty",
            PlanError::Rate(e) => e.code(),
            PlanError::Overflow => "overflow",
        }
    }
}
