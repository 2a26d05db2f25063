//! Exact quantities in plan files: parsing, writing and the JSON Schema of each field.
//!
//! Plans hold quantities (requests, milliseconds, bytes, ratios), never money, so plain YAML
//! numbers are accepted; they are read through the pricing crate's exact decimal reader, so
//! `0.6` is exactly six tenths. Quoted values are read by the pricing crate's one quantity
//! reader, the same the CLI's flags and the desktop app's cells use: `"350k"`, `"1.2M"`,
//! `"350,000"`. Writing emits a plain number when that number reads back to the
//! same decimal, and a quoted string otherwise, so a written plan always reads back unchanged.

use std::collections::BTreeMap;

use edgecost_pricing::{Decimal, parse_decimal, parse_quantity};
use rust_decimal::RoundingStrategy;
use rust_decimal::prelude::ToPrimitive;
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serializer};

/// Decimal places every per-route quantity is kept to. Fixing the scale makes every total a sum
/// of fixed-point numbers, so adding and removing a route's contribution is exact (no drift).
pub const QUANTITY_SCALE: u32 = 6;

/// Rounds a quantity to at most [`QUANTITY_SCALE`] places, half away from zero. A value that
/// already has no more places is returned as is: sums of such values are exact all the same.
pub fn fixed(value: Decimal) -> Decimal {
    if value.scale() <= QUANTITY_SCALE {
        return value;
    }
    value.round_dp_with_strategy(QUANTITY_SCALE, RoundingStrategy::MidpointAwayFromZero)
}

/// The most requests a route may take in a month: the pricing core's bound on a period.
pub const REQUESTS_PER_MONTH_MAX: Decimal = edgecost_pricing::bounds::REQUESTS_MAX;
/// The highest steady request rate a route may give (10^11 a second, 2.6 x 10^17 a month).
pub const REQUESTS_PER_SECOND_MAX: Decimal = Decimal::from_parts(1_215_752_192, 23, 0, false, 0);
/// The most compute one request may take, in milliseconds (10^7 ms, close to three hours).
pub const COMPUTE_MS_MAX: Decimal = Decimal::from_parts(10_000_000, 0, 0, false, 0);
/// The largest response one request may send, in bytes (10^12 bytes, a terabyte).
pub const RESPONSE_BYTES_MAX: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0);
/// The most a middleware may multiply a response's size by.
pub const EGRESS_RATIO_MAX: Decimal = Decimal::ONE_HUNDRED;
/// The fastest monthly growth a plan may assume, in percent (ten-fold a month).
pub const GROWTH_PERCENT_MAX: Decimal = Decimal::ONE_THOUSAND;

/// What a quantity field accepts besides being a decimal.
#[derive(Clone, Copy)]
enum Rule {
    Ratio,
    /// Zero or more, at most the bound, in the unit named.
    AtMost(Decimal, &'static str),
}

/// Reads a decimal and checks its rule inside the visit, so a parser error points at the
/// value itself. Numbers are read exactly through the pricing crate's decimal reader: an
/// integer as is, a float from the shortest text that reads back to it (the literal written).
struct QuantityVisitor(Rule);

impl QuantityVisitor {
    fn check<E: de::Error>(&self, v: Decimal) -> Result<Decimal, E> {
        match self.0 {
            Rule::Ratio if v < Decimal::ZERO || v > Decimal::ONE => {
                Err(E::custom(format!("{v} is not a ratio; expected a number from 0 to 1")))
            }
            Rule::AtMost(_, _) if v.is_sign_negative() && !v.is_zero() => Err(E::custom(format!("{v} is negative; expected zero or more"))),
            Rule::AtMost(max, unit) if v > max => Err(E::custom(format!("{v} {unit} is above the bound of {max} {unit}"))),
            _ => Ok(v),
        }
    }
}

impl de::Visitor<'_> for QuantityVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self.0 {
            Rule::AtMost(_, _) => "a decimal number, zero or more",
            Rule::Ratio => "a decimal number from 0 to 1",
        })
    }

    /// A quoted value is read the way the CLI reads its flags (`"350k"`, `"1.2M"`,
    /// `"350,000"`), with the same message for a bad spelling.
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
        let d = parse_quantity(v).map_err(E::custom)?;
        self.check(d)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        self.check(Decimal::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        self.check(Decimal::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        let d = v
            .is_finite()
            .then(|| parse_decimal(&format!("{v}")))
            .flatten()
            .ok_or_else(|| E::invalid_value(de::Unexpected::Float(v), &self))?;
        self.check(d)
    }
}

struct Exact<const RULE: u8>(Decimal);

impl<'de, const RULE: u8> Deserialize<'de> for Exact<RULE> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let rule = match RULE {
            2 => Rule::Ratio,
            3 => Rule::AtMost(REQUESTS_PER_MONTH_MAX, "requests a month"),
            4 => Rule::AtMost(REQUESTS_PER_SECOND_MAX, "requests a second"),
            5 => Rule::AtMost(COMPUTE_MS_MAX, "ms"),
            6 => Rule::AtMost(RESPONSE_BYTES_MAX, "bytes"),
            7 => Rule::AtMost(EGRESS_RATIO_MAX, "x"),
            _ => unreachable!("every Exact<RULE> in this module names a rule above"),
        };
        d.deserialize_any(QuantityVisitor(rule)).map(Exact)
    }
}

/// Requests a month: zero or more, at most [`REQUESTS_PER_MONTH_MAX`].
pub fn de_requests_per_month_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    Ok(Option::<Exact<3>>::deserialize(d)?.map(|e| e.0))
}

/// Requests a second: zero or more, at most [`REQUESTS_PER_SECOND_MAX`].
pub fn de_requests_per_second_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    Ok(Option::<Exact<4>>::deserialize(d)?.map(|e| e.0))
}

/// Compute per request in ms: zero or more, at most [`COMPUTE_MS_MAX`].
pub fn de_compute_ms<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    Exact::<5>::deserialize(d).map(|e| e.0)
}

/// Response size in bytes: zero or more, at most [`RESPONSE_BYTES_MAX`].
pub fn de_response_bytes<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    Exact::<6>::deserialize(d).map(|e| e.0)
}

/// A middleware's egress ratio: zero or more, at most [`EGRESS_RATIO_MAX`].
pub fn de_egress_ratio_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    Ok(Option::<Exact<7>>::deserialize(d)?.map(|e| e.0))
}

/// A ratio between 0 and 1 inclusive.
pub fn de_unit_ratio_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    Ok(Option::<Exact<2>>::deserialize(d)?.map(|e| e.0))
}

/// Any decimal, sign included.
pub fn de_signed<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    edgecost_pricing::deserialize_quantity(d)
}

/// Region shares: each from 0 to 1 (that they add up to 1 is a plan rule, checked later).
pub fn de_shares<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, Decimal>, D::Error> {
    let raw = BTreeMap::<String, Exact<2>>::deserialize(d)?;
    Ok(raw.into_iter().map(|(region, share)| (region, share.0)).collect())
}

/// Optional region shares.
pub fn de_shares_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<BTreeMap<String, Decimal>>, D::Error> {
    struct Shares(BTreeMap<String, Decimal>);
    impl<'de> Deserialize<'de> for Shares {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            de_shares(d).map(Shares)
        }
    }
    Ok(Option::<Shares>::deserialize(d)?.map(|s| s.0))
}

/// Writes a quantity as a plain number when that reads back exactly, else as a string.
pub fn ser<S: Serializer>(v: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    let v = v.normalize();
    if v.scale() == 0
        && let Some(i) = v.to_i64()
    {
        return s.serialize_i64(i);
    }
    if let Some(f) = v.to_f64() {
        let text = format!("{f}");
        if edgecost_pricing::parse_decimal(&text) == Some(v) && text.contains('.') {
            return s.serialize_f64(f);
        }
    }
    s.serialize_str(&v.to_string())
}

/// Whether `v` written as a plain YAML number reads back as exactly `v` (see [`ser`]).
pub(crate) fn plain_number_reads_back(v: Decimal) -> bool {
    let v = v.normalize();
    if v.scale() == 0 {
        return v.to_i64().is_some();
    }
    v.to_f64().is_some_and(|f| {
        let text = format!("{f}");
        parse_decimal(&text) == Some(v) && text.contains('.')
    })
}

/// [`ser`] for an optional field.
pub fn ser_opt<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => ser(v, s),
        None => s.serialize_none(),
    }
}

/// [`ser`] for region shares.
pub fn ser_shares<S: Serializer>(v: &BTreeMap<String, Decimal>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(v.len()))?;
    for (k, share) in v {
        map.serialize_entry(k, &Written(*share))?;
    }
    map.end()
}

/// [`ser_shares`] for an optional field.
pub fn ser_shares_opt<S: Serializer>(v: &Option<BTreeMap<String, Decimal>>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => ser_shares(v, s),
        None => s.serialize_none(),
    }
}

struct Written(Decimal);

impl serde::Serialize for Written {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ser(&self.0, s)
    }
}

/// JSON Schema of a quantity.
pub fn schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": ["number", "string"],
        "pattern": "^ *[0-9][0-9,_ ]*(\\.[0-9]+)?([eE][0-9]+)? *[kKmMbBgG]? *$",
        "minimum": 0,
        "description": "A decimal quantity, zero or more; quote it to keep more than 15 digits, or to write it as the CLI reads it (\"350k\", \"1.2M\", \"350,000\")."
    })
}

/// JSON Schema of an optional quantity.
pub fn schema_opt(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schema(g)
}

/// JSON Schema of a ratio from 0 to 1.
pub fn ratio_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": ["number", "string"],
        "minimum": 0,
        "maximum": 1,
        "description": "A decimal ratio from 0 to 1."
    })
}

/// JSON Schema of a signed decimal.
pub fn signed_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": ["number", "string"],
        "description": "A decimal number."
    })
}

/// JSON Schema of region shares.
pub fn shares_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "description": "Share of requests served from each egress region; the shares add up to exactly 1.",
        "minProperties": 1,
        "additionalProperties": {"type": ["number", "string"], "minimum": 0, "maximum": 1}
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(v: &str) -> String {
        let d: Decimal = v.parse().unwrap();
        serde_json::to_string(&Written(d)).unwrap()
    }

    #[test]
    fn writes_numbers_that_read_back_exactly() {
        assert_eq!(written("0.6"), "0.6");
        assert_eq!(written("1000000"), "1000000");
        assert_eq!(written("4.000"), "4");
        assert_eq!(written("0.12345678901234567891"), "\"0.12345678901234567891\"");
    }

    #[test]
    fn fixed_point_rounds_half_away_from_zero() {
        assert_eq!(fixed("0.0000005".parse().unwrap()).to_string(), "0.000001");
        assert_eq!(fixed("2.5".parse().unwrap()).to_string(), "2.5");
    }
}
