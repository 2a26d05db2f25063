//! The plan file: a routing configuration plus traffic assumptions.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use edgecost_pricing::{Decimal, PriceBook, RateError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::PlanError;
use crate::quantity::{
    self, COMPUTE_MS_MAX, EGRESS_RATIO_MAX, GROWTH_PERCENT_MAX, REQUESTS_PER_MONTH_MAX, REQUESTS_PER_SECOND_MAX, RESPONSE_BYTES_MAX,
};
use edgecost_pricing::bounds::{EGRESS_BYTES_MAX, REQUESTS_MAX};

/// Seconds in the 30-day month a `requests_per_second` rate is multiplied by.
pub const SECONDS_PER_MONTH: u32 = 30 * 24 * 60 * 60;

/// A routing plan: which tier, where traffic is served from, the routes and their middleware.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "edgecost routing plan")]
pub struct Plan {
    /// The tier the plan is priced on, as named in the price book.
    pub tier: String,
    /// Share of requests served from each egress region; the shares add up to exactly 1.
    #[serde(deserialize_with = "quantity::de_shares", serialize_with = "quantity::ser_shares")]
    #[schemars(schema_with = "quantity::shares_schema")]
    pub regions: BTreeMap<String, Decimal>,
    /// The routes, in the order they are shown.
    #[serde(default)]
    pub routes: Vec<Route>,
    /// The middleware catalog routes pick from, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub middleware: BTreeMap<String, Middleware>,
    /// Traffic growth, for multi-month projections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub growth: Option<Growth>,
}

/// One route and its traffic assumptions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// The route's path; unique within a plan.
    pub path: String,
    /// Requests in a month, at most 10^18. Give this or `requests_per_second`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "quantity::de_requests_per_month_opt", serialize_with = "quantity::ser_opt")]
    #[schemars(schema_with = "quantity::schema_opt")]
    pub requests_per_month: Option<Decimal>,
    /// A steady request rate, multiplied by the seconds of a 30-day month; at most 10^11.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "quantity::de_requests_per_second_opt", serialize_with = "quantity::ser_opt")]
    #[schemars(schema_with = "quantity::schema_opt")]
    pub requests_per_second: Option<Decimal>,
    /// The handler's compute per request, in milliseconds; at most 10^7.
    #[serde(default, deserialize_with = "quantity::de_compute_ms", serialize_with = "quantity::ser")]
    #[schemars(schema_with = "quantity::schema")]
    pub compute_ms: Decimal,
    /// The handler's response size, in bytes; at most 10^12.
    #[serde(default, deserialize_with = "quantity::de_response_bytes", serialize_with = "quantity::ser")]
    #[schemars(schema_with = "quantity::schema")]
    pub response_bytes: Decimal,
    /// Middleware from the catalog, in the order it runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub middleware: Vec<String>,
    /// This route's own region split, overriding the plan's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "quantity::de_shares_opt", serialize_with = "quantity::ser_shares_opt")]
    #[schemars(schema_with = "quantity::shares_schema")]
    pub regions: Option<BTreeMap<String, Decimal>>,
}

/// A middleware catalog entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Middleware {
    /// Compute the middleware adds to every request, in milliseconds; at most 10^7.
    #[serde(default, deserialize_with = "quantity::de_compute_ms", serialize_with = "quantity::ser")]
    #[schemars(schema_with = "quantity::schema")]
    pub compute_ms: Decimal,
    /// Response bytes out per byte in (compression below 1); 1 when absent; at most 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "quantity::de_egress_ratio_opt", serialize_with = "quantity::ser_opt")]
    #[schemars(schema_with = "quantity::schema_opt")]
    pub egress_ratio: Option<Decimal>,
    /// A cache's hit ratio: a hit skips the handler's compute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "quantity::de_unit_ratio_opt", serialize_with = "quantity::ser_opt")]
    #[schemars(schema_with = "quantity::ratio_schema")]
    pub hit_ratio: Option<Decimal>,
}

/// Month-over-month traffic growth.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Growth {
    /// Percent more traffic each month (negative for decline): above -100, at most 1000.
    #[serde(deserialize_with = "quantity::de_signed", serialize_with = "quantity::ser")]
    #[schemars(schema_with = "quantity::signed_schema")]
    pub monthly_percent: Decimal,
}

impl Route {
    /// Requests a month, from whichever traffic field the route gives; saturates at
    /// `Decimal::MAX` for a rate past its bound, which validation refuses.
    pub fn monthly_requests(&self) -> Decimal {
        self.checked_monthly_requests().unwrap_or(Decimal::MAX)
    }

    /// Requests a month, or `None` when the rate is too large to hold.
    pub fn checked_monthly_requests(&self) -> Option<Decimal> {
        match (self.requests_per_month, self.requests_per_second) {
            (Some(m), _) => Some(m),
            (None, Some(rps)) => rps.checked_mul(Decimal::from(SECONDS_PER_MONTH)),
            (None, None) => Some(Decimal::ZERO),
        }
    }
}

impl Middleware {
    /// The egress ratio, 1 when the entry sets none.
    pub fn egress_ratio(&self) -> Decimal {
        self.egress_ratio.unwrap_or(Decimal::ONE)
    }
}

/// A broken rule with where to point in the text: a route (by path) and a key inside it.
pub(crate) struct Violation {
    pub error: Box<PlanError>,
    pub route: Option<String>,
    pub key: Option<String>,
}

impl Violation {
    pub(crate) fn new(error: PlanError) -> Self {
        Violation { error: Box::new(error), route: None, key: None }
    }
    pub(crate) fn at_route(mut self, path: &str) -> Self {
        self.route = Some(path.to_owned());
        self
    }
    pub(crate) fn at_key(mut self, key: &str) -> Self {
        self.key = Some(key.to_owned());
        self
    }
}

impl Plan {
    /// Parses and validates YAML (or JSON, which is YAML too) against `book`; `file` names the
    /// text in errors, which carry the line and column of the offending value.
    pub fn parse(text: &str, file: &str, book: &PriceBook) -> Result<Plan, PlanError> {
        let plan: Plan = serde_yaml_ng::from_str(text).map_err(|e| {
            let message = e.to_string();
            let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
            match e.location() {
                Some(at) => PlanError::Malformed { file: file.to_owned(), line: at.line(), column: at.column(), message },
                None => PlanError::Invalid { file: file.to_owned(), message },
            }
        })?;
        plan.check_rules(book).map_err(|v| locate(v, text, file))?;
        Ok(plan)
    }

    /// Reads and validates a plan file.
    pub fn load(path: &Path, book: &PriceBook) -> Result<Plan, PlanError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| PlanError::Read { file: file.clone(), source })?;
        Plan::parse(&text, &file, book)
    }

    /// Checks every rule of a plan built or edited in memory.
    pub fn check(&self, book: &PriceBook) -> Result<(), PlanError> {
        self.check_rules(book).map_err(|v| *v.error)
    }

    /// The plan as YAML text, which [`Plan::parse`] reads back unchanged.
    pub fn to_yaml(&self) -> String {
        serde_yaml_ng::to_string(self).expect("a plan always serializes")
    }

    /// The JSON Schema of the plan format.
    pub fn json_schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(Plan)).expect("schema serializes")
    }

    /// A route by path.
    pub fn route(&self, path: &str) -> Option<&Route> {
        self.routes.iter().find(|r| r.path == path)
    }

    pub(crate) fn check_rules(&self, book: &PriceBook) -> Result<(), Violation> {
        if book.tier(&self.tier).is_none() {
            let error = RateError::UnknownTier { tier: self.tier.clone(), known: book.tier_names() };
            return Err(Violation::new(error.into()).at_key("tier"));
        }
        check_shares("plan regions", &self.regions, book).map_err(|e| Violation::new(e).at_key("regions"))?;
        for (name, mw) in &self.middleware {
            check_middleware(name, mw).map_err(|e| Violation::new(e).at_key(name))?;
        }
        if let Some(g) = &self.growth {
            check_growth(g).map_err(|e| Violation::new(e).at_key("monthly_percent"))?;
        }
        let mut seen = HashSet::with_capacity(self.routes.len());
        for route in &self.routes {
            if !seen.insert(route.path.as_str()) {
                let error = PlanError::DuplicateRoute { route: route.path.clone() };
                return Err(Violation::new(error).at_route(&route.path));
            }
            check_route(route, &self.middleware, book)?;
        }
        Ok(())
    }
}

/// The rules of one route against the catalog and the book.
pub(crate) fn check_route(route: &Route, catalog: &BTreeMap<String, Middleware>, book: &PriceBook) -> Result<(), Violation> {
    let at = |e: PlanError| Violation::new(e).at_route(&route.path);
    if route.requests_per_month.is_some() == route.requests_per_second.is_some() {
        return Err(at(PlanError::Traffic { route: route.path.clone() }));
    }
    for (field, v, max, rule) in [
        ("requests_per_month", route.requests_per_month, REQUESTS_PER_MONTH_MAX, "must be from 0 to 10^18"),
        ("requests_per_second", route.requests_per_second, REQUESTS_PER_SECOND_MAX, "must be from 0 to 10^11"),
        ("compute_ms", Some(route.compute_ms), COMPUTE_MS_MAX, "must be from 0 to 10^7"),
        ("response_bytes", Some(route.response_bytes), RESPONSE_BYTES_MAX, "must be from 0 to 10^12"),
    ] {
        if let Some(v) = v.filter(|v| (v.is_sign_negative() && !v.is_zero()) || *v > max) {
            let error = PlanError::OutOfRange { field: format!("route '{}' {field}", route.path), value: v.to_string(), rule };
            return Err(at(error).at_key(field));
        }
    }
    // Each field is within its bound; their product, the route's month, must be too.
    let requests = route.checked_monthly_requests().filter(|r| *r <= REQUESTS_MAX);
    let egress_bytes = requests.and_then(|r| r.checked_mul(route.response_bytes));
    if egress_bytes.is_none_or(|b| b > EGRESS_BYTES_MAX) {
        let error = PlanError::OutOfRange {
            field: format!("route '{}' egress (requests a month x response_bytes)", route.path),
            value: egress_bytes.map_or_else(|| "too large to hold".to_owned(), |b| format!("{b} bytes")),
            rule: "must be at most 10^24 bytes a month",
        };
        return Err(at(error).at_key("response_bytes"));
    }
    for name in &route.middleware {
        if !catalog.contains_key(name) {
            let error = PlanError::UnknownMiddleware { route: route.path.clone(), middleware: name.clone(), known: names(catalog.keys()) };
            return Err(at(error).at_key(name));
        }
    }
    if let Some(shares) = &route.regions {
        check_shares(&format!("route '{}' regions", route.path), shares, book).map_err(|e| at(e).at_key("regions"))?;
    }
    Ok(())
}

/// Growth above -100 percent (traffic cannot fall below nothing) and at most ten-fold a month.
pub(crate) fn check_growth(g: &Growth) -> Result<(), PlanError> {
    if g.monthly_percent <= Decimal::from(-100) || g.monthly_percent > GROWTH_PERCENT_MAX {
        return Err(PlanError::OutOfRange {
            field: "growth.monthly_percent".into(),
            value: g.monthly_percent.to_string(),
            rule: "growth must be above -100 percent and at most 1000 percent",
        });
    }
    Ok(())
}

fn check_middleware(name: &str, mw: &Middleware) -> Result<(), PlanError> {
    let negative = |v: Decimal| v.is_sign_negative() && !v.is_zero();
    if negative(mw.compute_ms)
        || mw.egress_ratio.is_some_and(negative)
        || mw.compute_ms > COMPUTE_MS_MAX
        || mw.egress_ratio() > EGRESS_RATIO_MAX
    {
        return Err(PlanError::OutOfRange {
            field: format!("middleware '{name}'"),
            value: format!("compute_ms {}, egress_ratio {}", mw.compute_ms, mw.egress_ratio()),
            rule: "compute_ms must be from 0 to 10^7 and egress_ratio from 0 to 100",
        });
    }
    if let Some(h) = mw.hit_ratio.filter(|h| *h < Decimal::ZERO || *h > Decimal::ONE) {
        return Err(PlanError::OutOfRange {
            field: format!("middleware '{name}' hit_ratio"),
            value: h.to_string(),
            rule: "a hit ratio is from 0 to 1",
        });
    }
    Ok(())
}

/// Region shares: known to the book, each from 0 to 1, adding up to exactly 1.
pub(crate) fn check_shares(owner: &str, shares: &BTreeMap<String, Decimal>, book: &PriceBook) -> Result<(), PlanError> {
    for (region, share) in shares {
        if book.region_weight(region).is_none() {
            return Err(unknown_region(region, book));
        }
        if *share < Decimal::ZERO || *share > Decimal::ONE {
            return Err(PlanError::OutOfRange {
                field: format!("{owner} share of '{region}'"),
                value: share.to_string(),
                rule: "a share is from 0 to 1",
            });
        }
    }
    let sum: Decimal = shares.values().sum();
    if sum != Decimal::ONE {
        return Err(PlanError::SharesNotOne { owner: owner.to_owned(), sum: sum.normalize().to_string() });
    }
    Ok(())
}

/// A region `book` has no egress weight for, with the regions it has.
pub(crate) fn unknown_region(region: &str, book: &PriceBook) -> PlanError {
    PlanError::UnknownRegion { region: region.to_owned(), known: names(book.regions.keys()) }
}

fn names<'a>(keys: impl Iterator<Item = &'a String>) -> String {
    let all: Vec<&str> = keys.map(String::as_str).collect();
    if all.is_empty() { "none".into() } else { all.join(", ") }
}

/// Points a broken rule at a line: the route's `path` line, then the first line after it that
/// holds the key. Plans are small enough that a scan of the text is cheap and exact for both
/// YAML and JSON layouts.
pub(crate) fn locate(v: Violation, text: &str, file: &str) -> PlanError {
    let lines: Vec<&str> = text.lines().collect();
    let mut from = 0;
    let mut found = None;
    if let Some(path) = &v.route
        && let Some(i) = lines.iter().position(|l| holds_key_value(l, "path", path))
    {
        from = i;
        found = Some((i, column_of(lines[i], "path")));
    }
    if let Some(key) = &v.key {
        // A plan-wide key is looked for at the top level first, so a route's own `regions`
        // is not mistaken for the plan's.
        let top_level = |l: &str| !l.starts_with([' ', '-', '\t']);
        // Within a route, stop at the next route's `path` or the next top-level key (the
        // catalog after the last route); elsewhere search the whole text.
        let ends_route = |l: &str| holds_key(l, "path") || (top_level(l) && !l.trim().is_empty() && !l.starts_with('#'));
        let end = if v.route.is_some() {
            lines[from + 1..].iter().position(|l| ends_route(l)).map_or(lines.len(), |p| from + 1 + p)
        } else {
            lines.len()
        };
        let hit = (v.route.is_none())
            .then(|| (from..end).find(|&i| top_level(lines[i]) && mentions(lines[i], key)))
            .flatten()
            .or_else(|| (from..end).find(|&i| mentions(lines[i], key)));
        if let Some(i) = hit {
            found = Some((i, column_of(lines[i], key)));
        }
    }
    match found {
        Some((line, column)) => {
            PlanError::At { file: file.to_owned(), line: line + 1, column, message: v.error.to_string(), rule: v.error.code() }
        }
        None => PlanError::Invalid { file: file.to_owned(), message: v.error.to_string() },
    }
}

fn unquote(s: &str) -> &str {
    s.trim().trim_end_matches(',').trim().trim_matches(|c| c == '"' || c == '\'')
}

fn holds_key(line: &str, key: &str) -> bool {
    let t = line.trim_start().trim_start_matches("- ").trim_start_matches('{').trim_start();
    let t = t.strip_prefix('"').unwrap_or(t);
    t.strip_prefix(key).is_some_and(|rest| {
        let rest = rest.strip_prefix('"').unwrap_or(rest);
        rest.trim_start().starts_with(':')
    })
}

fn holds_key_value(line: &str, key: &str, value: &str) -> bool {
    holds_key(line, key) && line.split_once(':').is_some_and(|(_, v)| unquote(v.split('#').next().unwrap_or(v)) == value)
}

fn mentions(line: &str, word: &str) -> bool {
    let code = line.split(" #").next().unwrap_or(line);
    code.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '/' || c == '.')).any(|w| w == word)
}

fn column_of(line: &str, word: &str) -> usize {
    line.find(word).map_or(1, |c| c + 1)
}
