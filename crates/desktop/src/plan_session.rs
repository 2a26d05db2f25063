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
    Change, Contribution, Estimator, Plan, PlanDocument, PlanError, Route, Uncertainty, attribute, change_label, edited_fields,
    plan_from_usage, read_usage_for,
};
use edgecost_pricing::format::{meter_quantity, money};
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
        // A month whose routes together pass a bound is refused at the route that passes it.
        Estimator::parse(document.text(), &path.display().to_string(), PriceBook::published())?;
        let mut session = PlanSession::new(document.plan().clone(), Some(path.to_owned()))?;
        session.document = Some(document);
        Ok(session)
    }

    /// A plan calibrated from an exported usage file (JSON lines of per-route telemetry), on
    /// `tier`. It has no file until it is saved.
    pub fn from_usage_file(path: &Path, tier: &str) -> Result<PlanSession, DesktopError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| DesktopError::Read { path: path.display().to_string(), detail: e.to_string() })?;
        let records = read_usage_for(&text, &path.display().to_string(), PriceBook::published())?;
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
                Estimator::parse(&yaml, "plan", PriceBook::published())?;
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

/// A tier as people read it: its display name ("Enterprise"), or the id of a tier the book
/// does not know.
fn tier_label(book: &PriceBook, tier: &str) -> String {
    book.tier(tier).map_or_else(|| tier.to_owned(), |t| t.display_name().to_owned())
}

/// Checks YAML text as a plan without applying it, for the raw view's inline errors.
pub fn check_yaml(text: &str) -> YamlCheck {
    // As applying it would: a month past a bound is pointed at the route that passes it.
    match Estimator::parse(text, "plan", PriceBook::published()) {
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

mod details;
mod summary;
mod views;

pub use views::*;

#[cfg(test)]
mod tests;
