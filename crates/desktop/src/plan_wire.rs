//! The route editor's wire types: what the UI sends and receives, decimal quantities as text.
//!
//! The UI edits text cells, so every quantity crosses as the decimal string a person typed and
//! is read here with the same exact reader the plan files use. Converting back writes each
//! quantity normalized, so a cell shows `4`, not `4.000000`.

use edgecost_planner::{Middleware, Route};
use edgecost_pricing::{Decimal, parse_quantity};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::error::DesktopError;

/// One route as the editor's cells show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct RouteFields {
    pub path: String,
    /// Requests in a month; exactly one of this and `requests_per_second` is set.
    pub requests_per_month: Option<String>,
    pub requests_per_second: Option<String>,
    pub compute_ms: String,
    pub response_bytes: String,
    /// Catalog names, in the order they run.
    pub middleware: Vec<String>,
    /// The route's own region split; `None` follows the plan's.
    pub regions: Option<Vec<RegionShare>>,
}

/// A region's share of requests, a decimal from 0 to 1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct RegionShare {
    pub region: String,
    pub share: String,
}

/// A middleware catalog entry as the catalog editor shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct MiddlewareFields {
    pub compute_ms: String,
    pub egress_ratio: Option<String>,
    pub hit_ratio: Option<String>,
}

/// A catalog entry with its name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct NamedMiddleware {
    pub name: String,
    pub fields: MiddlewareFields,
    /// How many routes run it; an entry in use cannot be removed.
    pub used_by: u32,
}

fn text(v: Decimal) -> String {
    v.normalize().to_string()
}

/// Reads a cell as typed with the one quantity reader the CLI and plan files use (`350k`,
/// `1.2M`, `350,000`); an empty cell is zero, so a person can clear a cell and type anew.
/// Anything else is refused by field name with the reader's message.
pub(crate) fn cell(field: &'static str, value: &str) -> Result<Decimal, DesktopError> {
    if value.trim().is_empty() {
        return Ok(Decimal::ZERO);
    }
    parse_quantity(value).map_err(|e| DesktopError::BadQuantity { field, value: value.to_owned(), reason: e.to_string() })
}

fn optional_cell(field: &'static str, value: &Option<String>) -> Result<Option<Decimal>, DesktopError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => cell(field, v).map(Some),
    }
}

pub(crate) fn shares_of(shares: &[RegionShare]) -> Result<BTreeMap<String, Decimal>, DesktopError> {
    shares.iter().map(|s| Ok((s.region.clone(), cell("region share", &s.share)?))).collect()
}

pub(crate) fn share_fields(shares: &BTreeMap<String, Decimal>) -> Vec<RegionShare> {
    shares.iter().map(|(region, share)| RegionShare { region: region.clone(), share: text(*share) }).collect()
}

impl RouteFields {
    pub(crate) fn of(route: &Route) -> RouteFields {
        RouteFields {
            path: route.path.clone(),
            requests_per_month: route.requests_per_month.map(text),
            requests_per_second: route.requests_per_second.map(text),
            compute_ms: text(route.compute_ms),
            response_bytes: text(route.response_bytes),
            middleware: route.middleware.clone(),
            regions: route.regions.as_ref().map(share_fields),
        }
    }

    /// The route these cells describe; the plan's rules are checked by the estimator.
    pub(crate) fn to_route(&self) -> Result<Route, DesktopError> {
        let path = self.path.trim();
        if path.is_empty() {
            let reason = "a route needs a path".to_owned();
            return Err(DesktopError::BadQuantity { field: "path", value: self.path.clone(), reason });
        }
        let mut requests_per_month = optional_cell("requests_per_month", &self.requests_per_month)?;
        let requests_per_second = optional_cell("requests_per_second", &self.requests_per_second)?;
        // An emptied traffic cell means no traffic, not a route without a traffic field.
        if requests_per_month.is_none() && requests_per_second.is_none() {
            requests_per_month = Some(Decimal::ZERO);
        }
        Ok(Route {
            path: path.to_owned(),
            requests_per_month,
            requests_per_second,
            compute_ms: cell("compute_ms", &self.compute_ms)?,
            response_bytes: cell("response_bytes", &self.response_bytes)?,
            middleware: self.middleware.clone(),
            regions: self.regions.as_deref().map(shares_of).transpose()?,
        })
    }
}

impl MiddlewareFields {
    pub(crate) fn of(m: &Middleware) -> MiddlewareFields {
        MiddlewareFields { compute_ms: text(m.compute_ms), egress_ratio: m.egress_ratio.map(text), hit_ratio: m.hit_ratio.map(text) }
    }

    pub(crate) fn to_middleware(&self) -> Result<Middleware, DesktopError> {
        Ok(Middleware {
            compute_ms: cell("compute_ms", &self.compute_ms)?,
            egress_ratio: optional_cell("egress_ratio", &self.egress_ratio)?,
            hit_ratio: optional_cell("hit_ratio", &self.hit_ratio)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_read_as_typed_and_write_back_normalized() {
        assert_eq!(cell("x", "1,000,000").unwrap(), Decimal::from(1_000_000));
        assert_eq!(cell("x", " ").unwrap(), Decimal::ZERO);
        assert_eq!(cell("x", "0.5").unwrap().to_string(), "0.5");
        assert_eq!(cell("x", "-1").unwrap_err().code(), "bad_quantity");
        assert_eq!(cell("x", "ten").unwrap_err().code(), "bad_quantity");
        // The cells read what the CLI's flags read, and refuse with the same message.
        assert_eq!(cell("x", "1.2M").unwrap(), Decimal::from(1_200_000));
        assert_eq!(cell("x", "350k").unwrap(), Decimal::from(350_000));
        assert_eq!(cell("x", "1e3").unwrap(), Decimal::from(1_000));
        for bad in ["abc", "-5", "k"] {
            let want = format!("x: {}", parse_quantity(bad).unwrap_err());
            assert_eq!(cell("x", bad).unwrap_err().to_string(), want);
        }
        let route = Route {
            path: "/a".into(),
            requests_per_month: Some("150000.000".parse().unwrap()),
            requests_per_second: None,
            compute_ms: "4.0".parse().unwrap(),
            response_bytes: Decimal::from(20_000),
            middleware: vec!["auth".into()],
            regions: None,
        };
        let fields = RouteFields::of(&route);
        assert_eq!(fields.requests_per_month.as_deref(), Some("150000"));
        assert_eq!(fields.compute_ms, "4");
        assert_eq!(fields.to_route().unwrap(), route);
    }

    #[test]
    fn an_emptied_traffic_cell_is_no_traffic() {
        let fields = RouteFields {
            path: "/a".into(),
            requests_per_month: Some(String::new()),
            requests_per_second: None,
            compute_ms: "1".into(),
            response_bytes: "1".into(),
            middleware: vec![],
            regions: None,
        };
        assert_eq!(fields.to_route().unwrap().requests_per_month, Some(Decimal::ZERO));
    }
}
