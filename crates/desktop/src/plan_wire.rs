//! The route editor's wire types: what the UI sends and receives, decimal quantities as text.
//!
//! The UI edits text cells, so every quantity crosses as the decimal string a person typed and
//! is read here with the same exact reader the plan files use. Converting back writes each
//! quantity normalized, so a cell shows `4`, not `4.000000`.

use edgecost_planner::{Middleware, Route};
use edgecost_pricing::{Decimal, parse_percent, parse_quantity};
use rust_decimal::RoundingStrategy;
use rust_decimal::prelude::ToPrimitive;
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

/// A region share's input as typed, read as the person types it (the linked inputs move the
/// other shares with each keystroke).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct PercentReading {
    /// The share in basis points (1/10,000 of the traffic), clamped to 0 to 10,000 and rounded
    /// to the nearest one, half away from zero; `None` when the field is empty or refused.
    pub bp: Option<u32>,
    /// Why the text was refused, in the words of the one number reader; `None` for a number
    /// or an empty field.
    pub error: Option<String>,
}

/// Reads a region share typed as a percentage (`60`, `62.5`, `62.5 %`) by the rule every
/// number field follows ([`parse_percent`]): `51,5` is refused, never read as 51.5 or 515.
pub fn read_percent(text: &str) -> PercentReading {
    match parse_percent(text) {
        Ok(None) => PercentReading { bp: None, error: None },
        Ok(Some(percent)) => {
            let clamped = percent.clamp(Decimal::ZERO, Decimal::ONE_HUNDRED);
            let bp = (clamped * Decimal::ONE_HUNDRED).round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
            PercentReading { bp: Some(bp.to_u32().expect("a clamped share is 0 to 10,000")), error: None }
        }
        Err(e) => PercentReading { bp: None, error: Some(e.to_string()) },
    }
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
    fn region_shares_read_as_typed_by_the_one_number_rule() {
        let bp = |t: &str| read_percent(t).bp;
        assert_eq!(read_percent("51.5"), PercentReading { bp: Some(5_150), error: None });
        assert_eq!(bp("62.5 %"), Some(6_250));
        assert_eq!(bp("33.335"), Some(3_334), "half a basis point rounds away from zero");
        assert_eq!(bp("33.3349"), Some(3_333));
        assert_eq!(bp("1,000"), Some(10_000), "clamped to 100%");
        assert_eq!(bp("-5"), Some(0), "clamped to nothing");
        assert_eq!(read_percent(""), PercentReading { bp: None, error: None });
        assert_eq!(read_percent("  %"), PercentReading { bp: None, error: None });
        // Refused in the words of the core's reader, never read as 51.5 or 515.
        for bad in ["51,5", "62,5 %", "1,2,3", "0.000_1", "1,000_000", "lots", "-"] {
            let reading = read_percent(bad);
            assert_eq!(reading.bp, None, "{bad}");
            assert_eq!(reading.error, Some(parse_percent(bad).unwrap_err().to_string()), "{bad}");
        }
        assert_eq!(
            read_percent("51,5").error.as_deref(),
            Some("'51,5': a comma only groups thousands (350,000); write decimals with a point: 51.5")
        );
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
