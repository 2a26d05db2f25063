//! The route editor's session: one plan held open with its incremental estimator, edited one
//! change at a time, saved to and opened from the same YAML files the CLI reads.
//!
//! Every edit answers its inverse, so the UI's undo and redo are plain stacks of edits and the
//! plan never crosses the boundary whole. An edit re-prices only what it touched (see
//! [`edgecost_planner::Estimator`]); what each edit answers is O(1) in the plan's size apart
//! from the per-route cost attribution of the rows on screen. The slow parts of the estimate (the
//! P50/P90 simulation, the diff of every route against the saved version, the chart) are
//! [`PlanSession::details`], which the UI asks for once typing pauses.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use edgecost_charts::{MeterProjection, QuotaProjectionChart, Size, Theme, ThemeMode};
use edgecost_planner::projection::{cap_outlook, project_months, simulate, threshold_days};
use edgecost_planner::{
    Contribution, Estimator, Plan, PlanDocument, PlanError, Route, Uncertainty, attribute, plan_from_usage, read_usage,
};
use edgecost_pricing::format::{money, quantity};
use edgecost_pricing::{BYTES_PER_GB, Bill, Decimal, Meter, PriceBook};
use serde::{Deserialize, Serialize};

use crate::dashboard::BillView;
use crate::error::DesktopError;
use crate::files::write_atomically;
use crate::plan_costs::RouteUnits;
use crate::plan_wire::{MiddlewareFields, NamedMiddleware, RegionShare, RouteFields, share_fields, shares_of};
use crate::planner::{TierQuote, tier_quotes};

/// The period the threshold days and the chart are measured over, in days.
pub const PLAN_PERIOD_DAYS: u32 = 30;
/// The most rows one answer carries: a screenful, never the whole plan.
pub const ROWS_MAX: u32 = 200;
/// The most per-route changes a details answer lists (largest first).
pub const CHANGES_SHOWN_MAX: usize = 50;

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
    /// `added`, `removed` or `changed`.
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

/// The version last read from or written to disk.
struct Saved {
    plan: Plan,
    total: Decimal,
    /// Path -> (the route, its cost).
    routes: HashMap<String, (Route, Decimal)>,
}

/// The open plan.
pub struct PlanSession {
    estimator: Estimator,
    file: Option<PathBuf>,
    /// The text the plan was read from, last written as, or pasted in the YAML view, with the
    /// plan it holds: saving patches it, so the file keeps its comments and layout.
    document: Option<PlanDocument>,
    /// The last save wrote the plan whole.
    reformatted: bool,
    saved: Option<Saved>,
    revision: u32,
    /// Per-route `[requests, egress, compute]` overage shares, for one revision.
    costs: Option<(u32, Vec<[Decimal; 3]>)>,
    /// Each route's weights for the rows' cost shares; `None` after an edit that touched more
    /// than one route, until the next rows are asked for.
    units: Option<RouteUnits>,
    /// The plan as a new plan starts, until it is saved: a plan still equal to it has no
    /// edits worth asking about.
    pristine: Option<Plan>,
}

/// The name a plan file is shown by.
fn display_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

fn signed_money(amount: Decimal) -> String {
    if amount > Decimal::ZERO { format!("+{}", money(amount)) } else { money(amount) }
}

fn gb(bytes: Decimal) -> Decimal {
    (bytes / Decimal::from(BYTES_PER_GB)).normalize()
}

fn index(i: u32) -> usize {
    i as usize
}

impl PlanSession {
    /// A session over `plan`; `file` is where it was read from, and then it counts as saved.
    pub fn new(plan: Plan, file: Option<PathBuf>) -> Result<PlanSession, DesktopError> {
        let estimator = Estimator::new(plan, PriceBook::published())?;
        let mut session = PlanSession {
            estimator,
            file: None,
            document: None,
            reformatted: false,
            saved: None,
            revision: 0,
            costs: None,
            units: None,
            pristine: None,
        };
        if let Some(file) = file {
            session.file = Some(file);
            session.mark_saved()?;
        }
        Ok(session)
    }

    /// A new plan: production, all traffic from `na`, one route to start from.
    pub fn blank() -> Result<PlanSession, DesktopError> {
        let plan = Plan::parse(
            "tier: production\nregions: {na: 1}\nroutes:\n  - {path: /, requests_per_month: 0, compute_ms: 1, response_bytes: 1000}\n",
            "new plan",
            PriceBook::published(),
        )?;
        let mut session = PlanSession::new(plan, None)?;
        session.pristine = Some(session.plan().clone());
        Ok(session)
    }

    /// An untitled plan from YAML text, every bit of it unsaved (a recovered copy).
    pub fn untitled(yaml: &str) -> Result<PlanSession, DesktopError> {
        PlanSession::new(Plan::parse(yaml, "unsaved plan", PriceBook::published())?, None)
    }

    /// Opens a plan file; errors carry the line and column of the offending value. The file's
    /// text is kept, so saving changes only what was edited.
    pub fn open(path: &Path) -> Result<PlanSession, DesktopError> {
        let document = PlanDocument::load(path, PriceBook::published())?;
        let mut session = PlanSession::new(document.plan().clone(), Some(path.to_owned()))?;
        session.document = Some(document);
        Ok(session)
    }

    /// A plan calibrated from an exported usage file (JSON lines of per-route telemetry), on
    /// `tier`. It has no file until it is saved.
    pub fn from_usage_file(path: &Path, tier: &str) -> Result<PlanSession, DesktopError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| DesktopError::Read { path: path.display().to_string(), detail: e.to_string() })?;
        let records = read_usage(&text, &path.display().to_string())?;
        let plan = plan_from_usage(&records, tier, PriceBook::published())?;
        PlanSession::new(plan, None)
    }

    /// The plan as edited so far.
    pub fn plan(&self) -> &Plan {
        self.estimator.plan()
    }

    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The plan as the YAML a plan file holds: the opened file's text with the edits patched
    /// in, or the whole plan in the canonical layout for a plan that has no text yet.
    pub fn yaml(&self) -> String {
        match &self.document {
            Some(d) => d.rewrite(self.plan(), self.estimator.book()).text,
            None => self.plan().to_yaml(),
        }
    }

    /// Writes the plan to `path` (or to its own file), atomically; it then counts as saved.
    /// A plan read from a file is written by patching that file's text, so a one-number edit
    /// changes one line; [`PlanSummary::reformatted`] tells when that could not be done.
    pub fn save(&mut self, path: Option<&Path>) -> Result<PathBuf, DesktopError> {
        let path = match (path, &self.file) {
            (Some(p), _) => p.to_owned(),
            (None, Some(p)) => p.clone(),
            (None, None) => {
                return Err(DesktopError::Write {
                    path: String::new(),
                    detail: "the plan has no file yet; choose where to save it".into(),
                });
            }
        };
        let (document, reformatted) = match &self.document {
            Some(d) => d.rewritten(self.plan(), self.estimator.book()),
            None => (PlanDocument::canonical(self.plan().clone()), false),
        };
        write_atomically(&path, document.text().as_bytes())?;
        self.document = Some(document);
        self.reformatted = reformatted;
        self.file = Some(path.clone());
        self.mark_saved()?;
        Ok(path)
    }

    fn mark_saved(&mut self) -> Result<(), DesktopError> {
        self.pristine = None;
        let bill = self.estimator.bill()?;
        let costs = self.route_costs()?.to_vec();
        let routes = self.plan().routes.iter().zip(costs).map(|(r, c)| (r.path.clone(), (r.clone(), c.iter().sum()))).collect();
        self.saved = Some(Saved { plan: self.plan().clone(), total: bill.total, routes });
        Ok(())
    }

    /// Applies `edit` and answers the edit that undoes it. On error the plan is unchanged.
    pub fn apply(&mut self, edit: PlanEdit) -> Result<PlanEdit, DesktopError> {
        self.apply_edit(edit).map(|a| a.inverse)
    }

    /// Applies `edit` and answers the edit that undoes it and whether the plan changed.
    pub fn apply_edit(&mut self, edit: PlanEdit) -> Result<Applied, DesktopError> {
        let one_route = match &edit {
            PlanEdit::SetRoute { index: i, .. } => Some(index(*i)),
            _ => None,
        };
        let (inverse, changed) = self.apply_inner(edit)?;
        self.reformatted = false;
        self.revision = self.revision.wrapping_add(1);
        // A keystroke changes one route: update its weights; anything else recounts them all.
        match (one_route, self.units.as_mut()) {
            (Some(i), Some(units)) => units.set(i, &self.estimator.route_usages()[i].total)?,
            _ => self.units = None,
        }
        Ok(Applied { inverse, changed })
    }

    fn apply_inner(&mut self, edit: PlanEdit) -> Result<(PlanEdit, bool), DesktopError> {
        let est = &mut self.estimator;
        let route_at = |est: &Estimator, i: u32| {
            est.plan()
                .routes
                .get(index(i))
                .cloned()
                .ok_or_else(|| DesktopError::Plan(PlanError::NotFound { what: "route at index", name: i.to_string() }))
        };
        Ok(match edit {
            PlanEdit::SetRoute { index: i, route } => {
                let old = route_at(est, i)?;
                let new = route.to_route()?;
                let changed = new != old;
                est.set_route(index(i), new)?;
                (PlanEdit::SetRoute { index: i, route: RouteFields::of(&old) }, changed)
            }
            PlanEdit::InsertRoute { index: i, route } => {
                let at = index(i).min(est.plan().routes.len());
                let added = est.add_route(route.to_route()?)?;
                if added != at {
                    est.move_route(added, at)?;
                }
                (PlanEdit::RemoveRoute { index: at as u32 }, true)
            }
            PlanEdit::DuplicateRoute { index: i } => {
                let mut copy = route_at(est, i)?;
                copy.path = unique_copy_path(est.plan(), &copy.path);
                let added = est.add_route(copy)?;
                est.move_route(added, index(i) + 1)?;
                (PlanEdit::RemoveRoute { index: i + 1 }, true)
            }
            PlanEdit::RemoveRoute { index: i } => {
                let old = est.remove_route(index(i))?;
                (PlanEdit::InsertRoute { index: i, route: RouteFields::of(&old) }, true)
            }
            PlanEdit::MoveRoute { from, to } => {
                est.move_route(index(from), index(to))?;
                (PlanEdit::MoveRoute { from: to, to: from }, from != to)
            }
            PlanEdit::SetMiddleware { name, middleware } => {
                let name = name.trim().to_owned();
                if name.is_empty() {
                    let reason = "a catalog entry needs a name".to_owned();
                    return Err(DesktopError::BadQuantity { field: "middleware name", value: name, reason });
                }
                let old = est.plan().middleware.get(&name).cloned();
                let new = middleware.to_middleware()?;
                let changed = old.as_ref() != Some(&new);
                est.set_middleware(&name, new)?;
                match old {
                    Some(old) => (PlanEdit::SetMiddleware { name, middleware: MiddlewareFields::of(&old) }, changed),
                    None => (PlanEdit::RemoveMiddleware { name }, true),
                }
            }
            PlanEdit::RemoveMiddleware { name } => {
                let old = est.remove_middleware(&name)?;
                (PlanEdit::SetMiddleware { name, middleware: MiddlewareFields::of(&old) }, true)
            }
            PlanEdit::SetRegions { shares } => {
                let old = share_fields(&est.plan().regions);
                let new = shares_of(&shares)?;
                let changed = new != est.plan().regions;
                est.set_regions(new)?;
                (PlanEdit::SetRegions { shares: old }, changed)
            }
            PlanEdit::SetTier { tier } => {
                let old = est.plan().tier.clone();
                let changed = old != tier;
                est.set_tier(&tier)?;
                (PlanEdit::SetTier { tier: old }, changed)
            }
            PlanEdit::ReplaceYaml { yaml } => {
                // The text pasted is kept as written: saving patches it like an opened file.
                let document = PlanDocument::parse(yaml, "plan", PriceBook::published())?;
                let old = match &self.document {
                    Some(d) => d.rewrite(est.plan(), PriceBook::published()).text,
                    None => est.plan().to_yaml(),
                };
                let changed = document.plan() != est.plan() || document.text() != old;
                *est = Estimator::new(document.plan().clone(), PriceBook::published())?;
                self.document = Some(document);
                (PlanEdit::ReplaceYaml { yaml: old }, changed)
            }
        })
    }

    /// Each route's `[requests, egress, compute]` share of the overage, computed once per
    /// revision: attribution is O(routes), so scrolling does not redo it.
    fn route_costs(&mut self) -> Result<&[[Decimal; 3]], DesktopError> {
        if self.costs.as_ref().is_none_or(|(rev, _)| *rev != self.revision) {
            let bill = self.estimator.bill()?;
            let parts: Vec<&Contribution> = self.estimator.route_usages().iter().map(|r| &r.total).collect();
            let rows = attribute(&bill, &parts)?;
            self.costs = Some((self.revision, rows));
        }
        Ok(&self.costs.as_ref().expect("just computed").1)
    }

    /// Each route's path, monthly requests and cost (its share of the bill's overage).
    pub(crate) fn route_figures(&mut self) -> Result<Vec<(String, Decimal, Decimal)>, DesktopError> {
        let costs: Vec<Decimal> = self.route_costs()?.iter().map(|c| c.iter().sum()).collect();
        Ok(self
            .plan()
            .routes
            .iter()
            .zip(self.estimator.route_usages())
            .zip(costs)
            .map(|((route, usage), cost)| (route.path.clone(), usage.total.requests, cost))
            .collect())
    }

    fn dirty(&self) -> bool {
        self.saved.as_ref().is_none_or(|s| s.plan != *self.plan())
    }

    /// Whether replacing or closing the plan would lose edits (see [`PlanSummary::unsaved_edits`]).
    pub fn has_unsaved_edits(&self) -> bool {
        self.dirty() && self.pristine.as_ref().is_none_or(|p| p != self.plan())
    }

    /// The live estimate.
    pub fn summary(&self) -> Result<PlanSummary, DesktopError> {
        let book = self.estimator.book();
        let plan = self.plan();
        let totals = self.estimator.totals();
        let usage = totals.to_usage();
        let bill = self.estimator.bill()?;
        let comparison = self.estimator.comparison(Decimal::ZERO)?;
        let thresholds = threshold_days(book, &plan.tier, &usage, PLAN_PERIOD_DAYS)?
            .into_iter()
            .map(|t| ThresholdView { meter: t.meter.id().to_owned(), label: t.meter.label().to_owned(), percent: t.percent, day: t.day })
            .collect();
        let regions = self.region_costs(&bill)?;
        let mut used_by: HashMap<&str, u32> = HashMap::new();
        for route in &plan.routes {
            for m in &route.middleware {
                *used_by.entry(m.as_str()).or_default() += 1;
            }
        }
        let middleware = plan
            .middleware
            .iter()
            .map(|(name, m)| NamedMiddleware {
                name: name.clone(),
                fields: MiddlewareFields::of(m),
                used_by: used_by.get(name.as_str()).copied().unwrap_or(0),
            })
            .collect();
        let recommendation = comparison.recommendation.as_ref();
        Ok(PlanSummary {
            revision: self.revision,
            file: self.file.as_ref().map(|p| p.display().to_string()),
            file_name: self.file.as_deref().map(display_name),
            dirty: self.dirty(),
            reformatted: self.reformatted,
            unsaved_edits: self.has_unsaved_edits(),
            cap: cap_view(book, &plan.tier, &usage)?,
            tier: plan.tier.clone(),
            tier_label: tier_label(book, &plan.tier),
            route_count: plan.routes.len() as u32,
            usage: PlanUsageView {
                requests: quantity(totals.requests),
                compute_seconds: quantity(totals.compute_seconds),
                egress_gb: quantity(gb(totals.egress_bytes)),
                billable_egress_gb: quantity(totals.billable_egress_gb()),
            },
            bill: BillView::of(&(&bill).into()),
            tiers: tier_quotes(book, &comparison),
            negotiated: comparison.negotiated.iter().map(|t| tier_label(book, t)).collect(),
            recommendation: recommendation.map(|r| r.summary.clone()),
            recommended_tier: recommendation.map(|r| r.tier.clone()),
            saving: recommendation.filter(|r| r.saving > Decimal::ZERO).map(|r| money(r.saving)),
            thresholds,
            regions,
            saved_total: self.saved.as_ref().map(|s| money(s.total)),
            total_change: self.saved.as_ref().map(|s| signed_money(bill.total - s.total)),
            plan_regions: share_fields(&plan.regions),
            known_regions: book.regions.keys().cloned().collect(),
            middleware,
        })
    }

    fn region_costs(&self, bill: &Bill) -> Result<Vec<RegionCostView>, DesktopError> {
        let regions = self.estimator.region_totals()?;
        let parts: Vec<&Contribution> = regions.iter().map(|(_, c)| c).collect();
        let rows = attribute(bill, &parts)?;
        Ok(regions
            .iter()
            .zip(rows)
            .map(|((name, c), row)| RegionCostView {
                region: (*name).to_owned(),
                requests: quantity(c.requests),
                billable_egress_gb: quantity(c.billable_egress_gb()),
                cost: money(row.iter().sum()),
            })
            .collect())
    }

    /// Rows `offset..offset + count` of the route table (at most [`ROWS_MAX`]).
    pub fn rows(&mut self, offset: u32, count: u32) -> Result<PlanRows, DesktopError> {
        let total = self.plan().routes.len();
        let start = index(offset).min(total);
        let end = start.saturating_add(index(count.min(ROWS_MAX))).min(total);
        if self.units.as_ref().is_none_or(|u| u.len() != total) {
            let parts: Vec<&Contribution> = self.estimator.route_usages().iter().map(|r| &r.total).collect();
            self.units = Some(RouteUnits::of(&parts)?);
        }
        let bill = self.estimator.bill()?;
        let costs = self.units.as_ref().expect("just counted").window_costs(&bill, start, end)?;
        let plan = self.estimator.plan();
        let usages = &self.estimator.route_usages()[start..end];
        let rows = (start..end)
            .zip(costs)
            .zip(usages)
            .map(|((i, cost), usage)| {
                let route = &plan.routes[i];
                let saved = self.saved.as_ref().map(|s| s.routes.get(&route.path));
                let (status, change) = match saved {
                    // A plan never saved: everything is new, with nothing to compare against.
                    None => (RouteStatus::Added, None),
                    Some(None) => (RouteStatus::Added, Some(signed_money(cost))),
                    Some(Some((old, old_cost))) if old == route && *old_cost == cost => (RouteStatus::Unchanged, None),
                    Some(Some((old, old_cost))) => (
                        if old == route { RouteStatus::Unchanged } else { RouteStatus::Changed },
                        (*old_cost != cost).then(|| signed_money(cost - *old_cost)),
                    ),
                };
                PlanRow {
                    index: i as u32,
                    fields: RouteFields::of(route),
                    requests: quantity(usage.total.requests),
                    compute_seconds: quantity(usage.total.compute_seconds),
                    billable_egress_gb: quantity(usage.total.billable_egress_gb()),
                    cost: money(cost),
                    cost_change: change,
                    status,
                }
            })
            .collect();
        Ok(PlanRows { revision: self.revision, offset: start as u32, total: total as u32, rows })
    }

    /// Applies `edit` and answers the new summary, the inverse and the rows in the window.
    pub fn edit(&mut self, edit: PlanEdit, offset: u32, count: u32) -> Result<EditAnswer, DesktopError> {
        let Applied { inverse, changed } = self.apply_edit(edit)?;
        Ok(EditAnswer { summary: self.summary()?, inverse, changed, rows: self.rows(offset, count)? })
    }

    /// The estimate and rows `offset..offset + count`.
    pub fn view(&mut self, offset: u32, count: u32) -> Result<PlanView, DesktopError> {
        Ok(PlanView { summary: self.summary()?, rows: self.rows(offset, count)? })
    }

    /// What [`DetailsWork::run`] needs, taken quickly so the session is not held while the
    /// simulation runs; the diff against the saved version is made here, O(routes).
    pub fn details_work(&mut self, dark: bool) -> Result<DetailsWork, DesktopError> {
        let costs: Vec<Decimal> = self.route_costs()?.iter().map(|c| c.iter().sum()).collect();
        let plan = self.estimator.plan();
        let mut changes = Vec::new();
        if let Some(saved) = &self.saved {
            let mut seen = std::collections::HashSet::with_capacity(plan.routes.len());
            for (route, cost) in plan.routes.iter().zip(&costs) {
                seen.insert(route.path.as_str());
                match saved.routes.get(&route.path) {
                    None => changes.push(cost_change(&route.path, "added", Decimal::ZERO, *cost)),
                    Some((old, old_cost)) if old != route || old_cost != cost => {
                        changes.push(cost_change(&route.path, "changed", *old_cost, *cost))
                    }
                    Some(_) => {}
                }
            }
            for old in &saved.plan.routes {
                if !seen.contains(old.path.as_str()) {
                    let old_cost = saved.routes.get(&old.path).map_or(Decimal::ZERO, |r| r.1);
                    changes.push(cost_change(&old.path, "removed", old_cost, Decimal::ZERO));
                }
            }
        }
        changes.sort_by(|a, b| b.1.abs().cmp(&a.1.abs()).then_with(|| a.0.path.cmp(&b.0.path)));
        let changed_count = changes.len() as u32;
        changes.truncate(CHANGES_SHOWN_MAX);
        let book = self.estimator.book();
        let tier = plan.tier.clone();
        let growth_percent = plan.growth.as_ref().map_or(Decimal::ZERO, |g| g.monthly_percent);
        Ok(DetailsWork {
            growth_percent,
            revision: self.revision,
            book: book.clone(),
            tier_label: book.tier(&tier).map(|t| t.display_name().to_owned()).unwrap_or_else(|| tier.clone()),
            tier,
            parts: self.estimator.route_usages().iter().map(|r| r.total).collect(),
            usage: self.estimator.totals().to_usage(),
            changes: changes.into_iter().map(|(c, _)| c).collect(),
            changed_count,
            dark,
        })
    }
}

/// The cap of a hard-capped tier, as the headline shows it (see [`cap_outlook`]).
fn cap_view(book: &PriceBook, tier: &str, usage: &edgecost_pricing::Usage) -> Result<Option<CapView>, DesktopError> {
    Ok(cap_outlook(book, tier, usage, PLAN_PERIOD_DAYS)?.map(|c| CapView {
        day: c.day,
        period_days: PLAN_PERIOD_DAYS,
        meter_label: c.meter.label().to_owned(),
        refused_percent: format!("{}%", c.refused_percent.normalize()),
    }))
}

fn cost_change(path: &str, change: &str, old: Decimal, new: Decimal) -> (RouteCostChange, Decimal) {
    let delta = new - old;
    (
        RouteCostChange {
            path: path.to_owned(),
            change: change.to_owned(),
            old_cost: money(old),
            new_cost: money(new),
            cost_change: signed_money(delta),
        },
        delta,
    )
}

/// A path not yet in the plan: `/a (copy)`, `/a (copy 2)`, ...
fn unique_copy_path(plan: &Plan, path: &str) -> String {
    let taken = |p: &str| plan.routes.iter().any(|r| r.path == p);
    let first = format!("{path} (copy)");
    if !taken(&first) {
        return first;
    }
    // Bounded: a plan of n routes takes at most n of these names.
    (2..=plan.routes.len() + 2).map(|n| format!("{path} (copy {n})")).find(|p| !taken(p)).expect("a free name among n + 1")
}

/// The inputs of the slow part of the estimate, detached from the session.
pub struct DetailsWork {
    revision: u32,
    book: PriceBook,
    tier: String,
    tier_label: String,
    parts: Vec<Contribution>,
    usage: edgecost_pricing::Usage,
    changes: Vec<RouteCostChange>,
    changed_count: u32,
    dark: bool,
    growth_percent: Decimal,
}

impl DetailsWork {
    /// Runs the simulation and draws the chart.
    pub fn run(self) -> Result<PlanDetails, DesktopError> {
        let range = simulate(&self.book, &self.tier, &self.parts, &Uncertainty::default())?;
        let tier = self.book.tier(&self.tier);
        let meters = Meter::ALL
            .iter()
            .map(|m| {
                let included = tier.and_then(|t| t.included.get(*m));
                MeterProjection::linear(*m, self.usage.quantity(*m), included, PLAN_PERIOD_DAYS)
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| DesktopError::Chart { detail: e.to_string() })?;
        let chart = QuotaProjectionChart { tier_label: self.tier_label.clone(), period_days: PLAN_PERIOD_DAYS, meters };
        let theme = Theme::for_mode(if self.dark { ThemeMode::Dark } else { ThemeMode::Light });
        let chart_svg = chart.to_svg(&theme, Size::SMALL).map_err(|e| DesktopError::Chart { detail: e.to_string() })?;
        let months = month_views(&self.book, &project_months(&self.book, &self.tier, &self.usage, self.growth_percent, PROJECTION_MONTHS)?);
        let growth = if self.growth_percent.is_zero() {
            "flat traffic".to_owned()
        } else if self.growth_percent.is_sign_positive() {
            format!("{}% more traffic a month", self.growth_percent.normalize())
        } else {
            format!("{}% less traffic a month", self.growth_percent.abs().normalize())
        };
        Ok(PlanDetails {
            revision: self.revision,
            p50: money(range.p50),
            p90: money(range.p90),
            samples: range.samples,
            changes: self.changes,
            changed_count: self.changed_count,
            chart_svg,
            growth,
            tier_label: self.tier_label.clone(),
            months,
        })
    }
}

/// A tier as people read it: its display name ("Enterprise"), or the id of a tier the book
/// does not know.
fn tier_label(book: &PriceBook, tier: &str) -> String {
    book.tier(tier).map_or_else(|| tier.to_owned(), |t| t.display_name().to_owned())
}

/// The projection's months as shown, each bar scaled to the dearest month.
fn month_views(book: &PriceBook, months: &[edgecost_planner::MonthProjection]) -> Vec<MonthView> {
    let top = months.iter().map(|m| m.total).max().unwrap_or(Decimal::ZERO);
    months
        .iter()
        .map(|m| MonthView {
            month: m.month,
            requests: edgecost_pricing::format::meter_quantity(Meter::Requests, m.usage.requests),
            billable_egress_gb: edgecost_pricing::format::meter_quantity(Meter::Egress, m.usage.quantity(Meter::Egress)),
            bill: money(m.total),
            capped: m.capped,
            cheapest: m.cheapest.as_ref().map(|r| format!("{}, {}", tier_label(book, &r.tier), money(r.monthly_cost))),
            // Rounded down, so no month's bar reaches the top before the dearest one's.
            bar_percent: if top.is_zero() { 0 } else { (m.total * Decimal::ONE_HUNDRED / top).floor().try_into().unwrap_or(100) },
        })
        .collect()
}

/// Checks YAML text as a plan without applying it, for the raw view's inline errors.
pub fn check_yaml(text: &str) -> YamlCheck {
    match Plan::parse(text, "plan", PriceBook::published()) {
        Ok(_) => YamlCheck { ok: true, code: None, line: None, column: None, message: None },
        Err(e) => {
            let (line, column, message) = match &e {
                PlanError::Malformed { line, column, message, .. } | PlanError::At { line, column, message, .. } => {
                    (Some(*line as u32), Some(*column as u32), message.clone())
                }
                PlanError::Invalid { message, .. } => (None, None, message.clone()),
                other => (None, None, other.to_string()),
            };
            YamlCheck { ok: false, code: Some(e.code().to_owned()), line, column, message: Some(message) }
        }
    }
}

/// Exports the route editor's types (and the types they use) for the UI.
pub(crate) fn write_typescript(cfg: &ts_rs::Config) -> Result<(), ts_rs::ExportError> {
    use ts_rs::TS;
    EditAnswer::export_all(cfg)?;
    crate::RecoveryOffer::export_all(cfg)?;
    crate::PlanVsMeasured::export_all(cfg)?;
    PlanView::export_all(cfg)?;
    PlanDetails::export_all(cfg)?;
    YamlCheck::export_all(cfg)?;
    crate::RecentPlan::export_all(cfg)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_projection_grows_like_the_plan_and_the_sandbox_headline_names_the_cap() {
        let yaml = "tier: production\nregions: {na: 1}\ngrowth: {monthly_percent: 10}\nroutes:\n  - {path: /, requests_per_month: 80000, compute_ms: 1, response_bytes: 1000}\n";
        let mut s = PlanSession::untitled(yaml).unwrap();
        let details = s.details_work(false).unwrap().run().unwrap();
        assert_eq!(details.growth, "10% more traffic a month");
        assert_eq!(details.months.len(), PROJECTION_MONTHS as usize);
        assert_eq!(details.months[0].requests, "80,000");
        assert_eq!(details.months[1].requests, "88,000");
        assert_eq!(details.months.last().unwrap().bar_percent, 100);
        assert!(details.months.windows(2).all(|w| w[0].bar_percent <= w[1].bar_percent));

        assert_eq!(s.summary().unwrap().cap, None, "production has no cap");
        s.apply(PlanEdit::SetTier { tier: "sandbox".into() }).unwrap();
        let cap = s.summary().unwrap().cap.unwrap();
        // 50,000 of 80,000 requests: reached 62.5% into the month, on day 19; 37.5% refused.
        assert_eq!((cap.day, cap.meter_label.as_str(), cap.refused_percent.as_str()), (19, "Requests", "37.5%"));
    }

    #[test]
    fn duplicate_paths_count_up() {
        let mut s = PlanSession::blank().unwrap();
        s.apply(PlanEdit::DuplicateRoute { index: 0 }).unwrap();
        s.apply(PlanEdit::DuplicateRoute { index: 0 }).unwrap();
        let paths: Vec<&str> = s.plan().routes.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(paths, ["/", "/ (copy 2)", "/ (copy)"]);
    }
}
