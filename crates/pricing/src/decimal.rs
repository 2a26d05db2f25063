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

/// Parses decimal text such as `"0.40"`, `"-3"` or `"1e9"` exactly.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let text = text.trim().replace('_', "");
    if text.is_empty() {
        return None;
    }
    Decimal::from_str(&text)
        .ok()
        .or_else(|| Decimal::from_scientific(&text).ok())
}

struct DecimalVisitor {
    allow_float: bool,
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
        parse_decimal(v).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        if !self.allow_float {
            return Err(E::custom(format!(
                "money must be written as a quoted string to stay exact: write \"{v}\" instead of {v}"
            )));
        }
        if !v.is_finite() {
            return Err(E::invalid_value(de::Unexpected::Float(v), &self));
        }
        // `Display` for f64 prints the shortest text that parses back to the same number.
        let text = format!("{v}");
        parse_decimal(&text).ok_or_else(|| E::invalid_value(de::Unexpected::Float(v), &self))
    }
}

/// Deserializes a money amount: a quoted decimal string or an integer.
pub fn money<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    d.deserialize_any(DecimalVisitor { allow_float: false })
}

/// Deserializes a quantity or ratio: a decimal string, an integer or a plain number.
pub fn quantity<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    d.deserialize_any(DecimalVisitor { allow_float: true })
}

/// A money amount that must be zero or more.
pub fn money_nonnegative<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let v = money(d)?;
    if v.is_sign_negative() && !v.is_zero() {
        return Err(de::Error::custom(format!("amount {v} must not be negative")));
    }
    Ok(v)
}

/// A quantity that must be more than zero, such as a unit size or a weight.
pub fn quantity_positive<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let v = quantity(d)?;
    if v <= Decimal::ZERO {
        return Err(de::Error::custom(format!("{v} must be more than zero")));
    }
    Ok(v)
}

/// Like [`quantity`], for optional fields that must not be negative.
pub fn quantity_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    struct Wrapped(Decimal);
    impl<'de> serde::Deserialize<'de> for Wrapped {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            quantity(d).map(Wrapped)
        }
    }
    let v = <Option<Wrapped> as serde::Deserialize>::deserialize(d)?.map(|w| w.0);
    if let Some(q) = v
        && q.is_sign_negative()
        && !q.is_zero()
    {
        return Err(de::Error::custom(format!("quantity {q} must not be negative")));
    }
    Ok(v)
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
        assert_eq!(parse_decimal(""), None);
    }
}
