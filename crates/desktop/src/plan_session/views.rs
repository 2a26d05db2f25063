//! What the route editor's session answers the UI: the edits it takes and the views it returns.

use super::*;

/// One change to the open plan. Indices are positions in the plan's route list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PlanEdit {
    /// Replaces the route at `index` (any of its cells).
    SetRoute {
        index: u32,
        route: RouteFields,
    },
    /// Inserts a route so that it ends up at `index`.
    InsertRoute {
        index: u32,
        route: RouteFields,
    },
    /// Copies the route at `index` to `index + 1` under a new, unique path.
    DuplicateRoute {
        index: u32,
    },
    RemoveRoute {
        index: u32,
    },
    /// Moves a route in the table; totals do not change.
    MoveRoute {
        from: u32,
        to: u32,
    },
    /// Adds or changes a catalog entry, re-pricing the routes that run it.
    SetMiddleware {
        name: String,
        middleware: MiddlewareFields,
    },
    /// Removes a catalog entry no route runs.
    RemoveMiddleware {
        name: String,
    },
    /// The plan-wide region split, re-pricing the routes that follow it.
    SetRegions {
        shares: Vec<RegionShare>,
    },
    SetTier {
        tier: String,
    },
    /// The whole plan from YAML text (the raw view).
    ReplaceYaml {
        yaml: String,
    },
}

/// The month's usage of the plan, formatted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PlanUsageView {
    pub requests: String,
    pub compute_seconds: String,
    pub egress_gb: String,
    pub billable_egress_gb: String,
}

/// The day of the period a quota reaches a threshold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ThresholdView {
    pub meter: String,
    pub label: String,
    pub percent: u32,
    /// 1-based day of a 30-day period; `None` when the quota is not reached.
    pub day: Option<u32>,
}

/// What one region costs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct RegionCostView {
    pub region: String,
    pub requests: String,
    pub billable_egress_gb: String,
    pub cost: String,
}

/// The live estimate, answered after every edit. Its size does not grow with the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PlanSummary {
    /// Counts edits; answers about an older revision are stale.
    pub revision: u32,
    /// The file the plan was opened from or saved to.
    pub file: Option<String>,
    pub file_name: Option<String>,
    /// The plan differs from the file on disk (or was never saved).
    pub dirty: bool,
    /// The last save could not keep the file's layout and wrote the plan whole (see
    /// [`edgecost_planner::PlanDocument`]); cleared by the next edit.
    pub reformatted: bool,
    /// Edits that closing the plan would lose: dirty, except a new plan nobody has touched.
    pub unsaved_edits: bool,
    /// On a hard-capped tier whose quota the traffic outgrows: when the cap is hit and how
    /// much of the month's traffic it refuses.
    pub cap: Option<CapView>,
    pub tier: String,
    pub tier_label: String,
    pub route_count: u32,
    pub usage: PlanUsageView,
    /// The bill on the plan's tier.
    pub bill: BillView,
    /// Every tier side by side.
    pub tiers: Vec<TierQuote>,
    pub negotiated: Vec<String>,
    /// The cheapest option: stay (with N packs) or move.
    pub recommendation: Option<String>,
    pub recommended_tier: Option<String>,
    pub saving: Option<String>,
    pub thresholds: Vec<ThresholdView>,
    pub regions: Vec<RegionCostView>,
    /// The last saved version's total and the change since, when there is a saved version.
    pub saved_total: Option<String>,
    pub total_change: Option<String>,
    pub plan_regions: Vec<RegionShare>,
    /// Every region the price book has an egress weight for.
    pub known_regions: Vec<String>,
    pub middleware: Vec<NamedMiddleware>,
}

/// When a hard-capped tier's cap is hit in the month, and what it refuses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CapView {
    /// 1-based day of the period the first quota is reached.
    pub day: u32,
    pub period_days: u32,
    /// The quota reached first.
    pub meter_label: String,
    /// The share of the month's traffic refused after the cap, e.g. `"37.5%"`.
    pub refused_percent: String,
    /// The headline sentence, as the planner core words it
    /// ([`edgecost_planner::CapOutlook::headline`]): "Capped on day 19 of 30: 37.5% of the
    /// month's traffic is refused once the requests quota is reached. Sandbox bills nothing
    /// past it."
    pub headline: String,
}

/// How a route differs from the last saved version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum RouteStatus {
    Added,
    Changed,
    Unchanged,
}

/// One row of the route table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PlanRow {
    pub index: u32,
    pub fields: RouteFields,
    pub requests: String,
    pub compute_seconds: String,
    pub billable_egress_gb: String,
    /// The route's share of the bill's overage.
    pub cost: String,
    /// Against the last saved version, signed; `None` when unchanged.
    pub cost_change: Option<String>,
    pub status: RouteStatus,
}

/// A window of the route table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PlanRows {
    pub revision: u32,
    pub offset: u32,
    pub total: u32,
    pub rows: Vec<PlanRow>,
}

/// What an edit answers: the new estimate, the edit that undoes it, the rows on screen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct EditAnswer {
    pub summary: PlanSummary,
    pub inverse: PlanEdit,
    /// The edit changed the plan. One that did not (the same split sent twice, a cell typed
    /// back to its value) is no step of undo.
    pub changed: bool,
    pub rows: PlanRows,
}

/// An applied edit: the edit that undoes it, and whether the plan changed at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub inverse: PlanEdit,
    pub changed: bool,
}

/// An opened plan: its estimate and the first rows of its table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PlanView {
    pub summary: PlanSummary,
    pub rows: PlanRows,
}

/// A route's cost change against the saved version, like a line of a pull request's cost diff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct RouteCostChange {
    pub path: String,
    /// `added`, `removed`, `edited (compute_ms, ...)` naming the fields edited, or `cost moved`
    /// for a route nobody edited whose share of the overage moved (as `edgecost diff` words it).
    pub change: String,
    pub old_cost: String,
    pub new_cost: String,
    pub cost_change: String,
}

/// The months a growth projection shows.
pub const PROJECTION_MONTHS: u32 = 12;

/// One month of the growth projection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct MonthView {
    /// 1 for the plan's month as written.
    pub month: u32,
    pub requests: String,
    pub billable_egress_gb: String,
    /// The bill on the plan's tier.
    pub bill: String,
    /// The tier caps this month's usage.
    pub capped: bool,
    /// The cheapest tier that does not cap the month, and what it costs: "Scale, $79.00".
    pub cheapest: Option<String>,
    /// This month's bill as a whole percent of the largest month's (rounded down), for the bars.
    pub bar_percent: u32,
}

/// The slower parts of the estimate, asked for when typing pauses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PlanDetails {
    pub revision: u32,
    /// Bill percentiles under traffic uncertainty (seeded, so the same plan gives the same).
    pub p50: String,
    pub p90: String,
    pub samples: u32,
    /// Routes whose cost changed since the last save, largest change first.
    pub changes: Vec<RouteCostChange>,
    /// How many routes changed in all (the list is bounded).
    pub changed_count: u32,
    /// Projected cumulative usage against the quotas, SVG.
    pub chart_svg: String,
    /// "5% more traffic a month" or "flat traffic".
    pub growth: String,
    /// The tier the projection bills on (the plan's, at this revision).
    pub tier_label: String,
    /// The next [`PROJECTION_MONTHS`] months with the plan's growth, this month first.
    pub months: Vec<MonthView>,
}

/// The raw YAML view's check of its text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct YamlCheck {
    pub ok: bool,
    pub code: Option<String>,
    /// 1-based, when the error has a place.
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: Option<String>,
}
