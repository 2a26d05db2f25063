//! Exact quantities in plan files: parsing, writing and the JSON Schema of each field.
//!
//! Plans hold quantities (requests, milliseconds, bytes, ratios), never money, so plain YAML
//! numbers are accepted; they are read through the pricing crate's exact decimal reader, so
//! `0.6` is exactly six tenths. Writing emits a plain number when that number reads back to the
//! same decimal, and a quoted string otherwise, so a written plan always reads back unchanged.

use std::collections::BTreeMap;

use edgecost_pricing::{Decimal, parse_decimal};
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

/// What a quantity field accepts besides being a decimal.
#[derive(Clone, Copy)]
enum Rule {
    NonNegative,
    Ratio,
}

/// Reads a decimal and checks its rule inside the visit, so a parser error points at the
/// value itself. Numbers are read exactly through the pricing crate's decimal reader: an
/// integer as is, a float from the shortest text that reads back to it (the literal written).
struct QuantityVisitor(Rule);

impl QuantityVisitor {
    fn check<E: de::Error>(&self, v: Decimal) -> Result<Decimal, E> {
        match self.0 {
            Rule::NonNegative if v.is_sign_negative() && !v.is_zero() => {
                Err(E::custom(format!("{v} is negative; expected zero or more")))
            }
            Rule::Ratio if v < Decimal::ZERO || v > Decimal::ONE => {
                Err(E::custom(format!("{v} is not a ratio; expected a number from 0 to 1")))
            }
            _ => Ok(v),
        }
    }
}

impl de::Visitor<'_> for QuantityVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self.0 {
            Rule::NonNegative => "a decimal number, zero or more",
            Rule::Ratio => "a decimal number from 0 to 1",
        })
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
        let d = parse_decimal(v).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))?;
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
            _ => Rule::NonNegative,
        };
        d.deserialize_any(QuantityVisitor(rule)).map(Exact)
    }
}

/// A quantity that must be zero or more.
pub fn de_nonnegative<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    Exact::<1>::deserialize(d).map(|e| e.0)
}

/// An optional quantity that must be zero or more.
pub fn de_nonnegative_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    Ok(Option::<Exact<1>>::deserialize(d)?.map(|e| e.0))
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
pub fn de_shares_opt<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<BTreeMap<String, Decimal>>, D::Error> {
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
        && let Some(i) = v.to_i64() {
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
pub fn ser_shares_opt<S: Serializer>(
    v: &Option<BTreeMap<String, Decimal>>,
    s: S,
) -> Result<S::Ok, S::Error> {
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
        "pattern": "^[0-9]+(\\.[0-9]+)?([eE][0-9]+)?$",
        "minimum": 0,
        "description": "A decimal quantity, zero or more; quote it to keep more than 15 digits."
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
