//! Exact decimal parsing for price-book and plan files.
//!
//! Money must never pass through a binary float, so money fields accept only quoted decimal
//! strings and integers. Quantities and ratios also accept plain YAML/JSON numbers: they are
//! read back from the shortest text that round-trips the parsed number, which is the literal
//! the author wrote for any literal of up to 15 significant digits.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, Deserializer, Visitor};

use crate::bounds::{
    COMPUTE_SECONDS_MAX, EGRESS_GB_MAX, MONEY_MAX, RATE_PER_MAX, RATE_PER_MIN, RATE_PRICE_MAX, REGION_WEIGHT_MAX, REQUESTS_MAX,
    is_whole_cents,
};

/// Parses decimal text such as `"0.40"`, `"-3"`, `"1e9"` or `"1_000"` exactly. Thousands
/// separators follow the one rule of [`crate::parse_quantity`]: between groups of three digits
/// of the integer part only, so `"1_0"` and `"0.4_0"` are refused, never read as 10 or 0.40.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let text = crate::grouping::ungroup(text.trim()).ok()?;
    if text.is_empty() {
        return None;
    }
    Decimal::from_str(&text).ok().or_else(|| Decimal::from_scientific(&text).ok())
}

/// A rule a decimal must meet besides parsing; returns the value to keep or why it is refused.
type Check = fn(Decimal) -> Result<Decimal, String>;

/// Reads a decimal and applies its rule inside the visit, so a parser error points at the
/// value itself (a rule applied after the visit is reported at a neighbouring line).
struct DecimalVisitor {
    allow_float: bool,
    check: Check,
}

impl DecimalVisitor {
    fn checked<E: de::Error>(&self, v: Decimal) -> Result<Decimal, E> {
        (self.check)(v).map_err(E::custom)
    }
}

impl Visitor<'_> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.allow_float {
            f.write_str("a decimal number")
        } else {
            f.write_str("a decimal amount as a quoted string, such as \"0.40\"")
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
        let d = parse_decimal(v).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))?;
        self.checked(d)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        self.checked(Decimal::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        self.checked(Decimal::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        if !self.allow_float {
            return Err(E::custom(format!("money must be written as a quoted string to stay exact: write \"{v}\" instead of {v}")));
        }
        if !v.is_finite() {
            return Err(E::invalid_value(de::Unexpected::Float(v), &self));
        }
        // `Display` for f64 prints the shortest text that parses back to the same number.
        let text = format!("{v}");
        let d = parse_decimal(&text).ok_or_else(|| E::invalid_value(de::Unexpected::Float(v), &self))?;
        self.checked(d)
    }
}

fn read<'de, D: Deserializer<'de>>(d: D, allow_float: bool, check: Check) -> Result<Decimal, D::Error> {
    d.deserialize_any(DecimalVisitor { allow_float, check })
}

/// Deserializes a money amount: a quoted decimal string or an integer.
pub fn money<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    read(d, false, Ok)
}

/// Deserializes a quantity or ratio: a decimal string, an integer or a plain number.
pub fn quantity<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    read(d, true, Ok)
}

fn nonnegative(v: Decimal) -> Result<Decimal, String> {
    if v.is_sign_negative() && !v.is_zero() {
        return Err(format!("amount {v} must not be negative"));
    }
    Ok(v)
}

fn whole_cents(v: Decimal) -> Result<Decimal, String> {
    let v = nonnegative(v)?;
    if !is_whole_cents(v) {
        return Err(format!("amount {v} is not a whole number of cents; amounts a ledger stores have at most two decimal places"));
    }
    if v > MONEY_MAX {
        return Err(format!("amount {v} is above the bound of {MONEY_MAX}"));
    }
    let mut v = v.normalize();
    v.rescale(2);
    Ok(v)
}

/// A money amount a ledger stores: zero or more, whole cents, at most [`MONEY_MAX`]; kept
/// with exactly two places (`"19"` reads as `19.00`).
pub fn money_cents<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    read(d, false, whole_cents)
}

/// An overage rate's price: zero or more, at most [`RATE_PRICE_MAX`], any number of places
/// (a rate may be a fraction of a cent per unit); shown with at least two places.
pub fn rate_price<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    read(d, false, |v| {
        let mut v = nonnegative(v)?;
        if v > RATE_PRICE_MAX {
            return Err(format!("price {v} is above the bound of {RATE_PRICE_MAX}"));
        }
        v.rescale(v.normalize().scale().max(2));
        Ok(v)
    })
}

/// The block an overage rate is priced per: from [`RATE_PER_MIN`] to [`RATE_PER_MAX`] units.
pub fn rate_per<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    read(d, true, |v| {
        if v < RATE_PER_MIN || v > RATE_PER_MAX {
            return Err(format!("per {v} is out of bounds; a rate is priced per {RATE_PER_MIN} to {RATE_PER_MAX} units"));
        }
        Ok(v)
    })
}

/// A region's egress weight: more than zero, at most [`REGION_WEIGHT_MAX`].
pub fn region_weight<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    read(d, true, |v| {
        if v <= Decimal::ZERO || v > REGION_WEIGHT_MAX {
            return Err(format!("weight {v} is out of bounds; a weight is more than 0 and at most {REGION_WEIGHT_MAX}"));
        }
        Ok(v)
    })
}

/// An optional quantity read with `check`.
fn read_opt<'de, D: Deserializer<'de>>(d: D, check: Check) -> Result<Option<Decimal>, D::Error> {
    struct Opt(Check);
    impl<'de> Visitor<'de> for Opt {
        type Value = Option<Decimal>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a decimal number or nothing")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            read(d, true, self.0).map(Some)
        }
    }
    d.deserialize_option(Opt(check))
}

fn quantity_nonnegative(q: Decimal) -> Result<Decimal, String> {
    if q.is_sign_negative() && !q.is_zero() {
        return Err(format!("quantity {q} must not be negative"));
    }
    Ok(q)
}

fn bounded(q: Decimal, max: Decimal, unit: &str) -> Result<Decimal, String> {
    let q = quantity_nonnegative(q)?;
    if q > max {
        return Err(format!("{q} {unit} is above the bound of {max} {unit}"));
    }
    Ok(q)
}

/// Included requests: zero or more, at most [`REQUESTS_MAX`].
pub fn included_requests<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    read_opt(d, |q| bounded(q, REQUESTS_MAX, "requests"))
}

/// Included egress in GB: zero or more, at most [`EGRESS_GB_MAX`].
pub fn included_egress_gb<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    read_opt(d, |q| bounded(q, EGRESS_GB_MAX, "GB"))
}

/// Included compute seconds: zero or more, at most [`COMPUTE_SECONDS_MAX`].
pub fn included_compute_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    read_opt(d, |q| bounded(q, COMPUTE_SECONDS_MAX, "seconds"))
}

/// JSON Schema for a money field.
pub fn money_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": ["string", "integer"],
        "pattern": "^-?[0-9]+(\\.[0-9]+)?$",
        "description": "An exact decimal amount, quoted, such as \"0.40\"."
    })
}

/// JSON Schema for a quantity or ratio field.
pub fn quantity_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": ["string", "number"],
        "description": "A decimal quantity; quote it to keep every digit."
    })
}

/// JSON Schema for an optional quantity field.
pub fn quantity_opt_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": ["string", "number", "null"],
        "description": "A decimal quantity; quote it to keep every digit."
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_scientific_text() {
        assert_eq!(parse_decimal("0.40"), Some(Decimal::new(40, 2)));
        assert_eq!(parse_decimal("1_000"), Some(Decimal::from(1000)));
        assert_eq!(parse_decimal("1e9"), Some(Decimal::from(1_000_000_000)));
        assert_eq!(parse_decimal("abc"), None);
        assert_eq!(parse_decimal("1_0"), None);
        assert_eq!(parse_decimal("0.4_0"), None);
        assert_eq!(parse_decimal(""), None);
    }
}
