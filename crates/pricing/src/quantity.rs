//! The one reader of quantities as people write them: command-line flags, plan files and the
//! desktop app's cells all go through [`parse_quantity`], so `350k` means the same everywhere
//! and a bad spelling is refused with the same message everywhere.

use rust_decimal::Decimal;

use crate::decimal::parse_decimal;

/// Spellings a quantity may take, quoted in every refusal.
pub const QUANTITY_EXAMPLES: &str = "350000, 350,000, 350k, 1.2M, 2B, 1e6";

/// Why a quantity's text was refused. The text is quoted as given.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    /// The text is no number this parser reads.
    #[error("'{text}' is not a quantity (examples: {QUANTITY_EXAMPLES})")]
    NotAQuantity {
        /// The text as given.
        text: String,
    },
    /// The number is below zero.
    #[error("'{text}' is negative; a quantity is zero or more")]
    Negative {
        /// The text as given.
        text: String,
    },
    /// The number does not fit a 96-bit decimal.
    #[error("'{text}' is too large to hold exactly")]
    TooLarge {
        /// The text as given.
        text: String,
    },
}

/// Reads a quantity exactly: a plain or scientific decimal (`350000`, `0.5`, `1e6`) with
/// optional thousands separators (`350,000`, `350_000`, `350 000`) and an optional suffix for
/// thousands (`k`), millions (`M`) or billions (`B`, or `G`), either case. Zero or more; what
/// bound a quantity has is its field's rule, checked by the caller.
///
/// ```
/// use edgecost_pricing::{Decimal, parse_quantity};
/// assert_eq!(parse_quantity("1.2M").unwrap(), Decimal::from(1_200_000));
/// assert_eq!(parse_quantity("350,000").unwrap(), Decimal::from(350_000));
/// assert!(parse_quantity("abc").is_err());
/// ```
pub fn parse_quantity(text: &str) -> Result<Decimal, QuantityError> {
    let cleaned: String = text.trim().chars().filter(|c| !matches!(c, ',' | '_' | ' ')).collect();
    let (digits, scale) = match cleaned.chars().last() {
        Some('k' | 'K') => (&cleaned[..cleaned.len() - 1], 1_000u64),
        Some('m' | 'M') => (&cleaned[..cleaned.len() - 1], 1_000_000),
        Some('b' | 'B' | 'g' | 'G') => (&cleaned[..cleaned.len() - 1], 1_000_000_000),
        _ => (cleaned.as_str(), 1),
    };
    // A sign or a suffix alone is not a number; `parse_decimal` refuses both.
    let value = parse_decimal(digits).ok_or_else(|| QuantityError::NotAQuantity { text: text.to_owned() })?;
    if value.is_sign_negative() && !value.is_zero() {
        return Err(QuantityError::Negative { text: text.to_owned() });
    }
    value.checked_mul(Decimal::from(scale)).ok_or_else(|| QuantityError::TooLarge { text: text.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every spelling the CLI, plan files and the app's cells share, and what it reads as.
    const ACCEPTED: &[(&str, &str)] = &[
        ("350000", "350000"),
        ("350,000", "350000"),
        ("350_000", "350000"),
        (" 350 000 ", "350000"),
        ("350k", "350000"),
        ("350K", "350000"),
        ("1.2M", "1200000"),
        ("1.2m", "1200000"),
        ("2B", "2000000000"),
        ("2G", "2000000000"),
        ("1.5k", "1500"),
        ("0.5", "0.5"),
        ("1e6", "1000000"),
        ("1E3", "1000"),
        ("0", "0"),
        ("-0", "0"),
    ];

    /// Every spelling they all refuse, with the one message.
    const REFUSED: &[(&str, &str)] = &[
        ("abc", "'abc' is not a quantity (examples: 350000, 350,000, 350k, 1.2M, 2B, 1e6)"),
        ("", "'' is not a quantity (examples: 350000, 350,000, 350k, 1.2M, 2B, 1e6)"),
        ("k", "'k' is not a quantity (examples: 350000, 350,000, 350k, 1.2M, 2B, 1e6)"),
        ("12 apples", "'12 apples' is not a quantity (examples: 350000, 350,000, 350k, 1.2M, 2B, 1e6)"),
        ("1.2.3", "'1.2.3' is not a quantity (examples: 350000, 350,000, 350k, 1.2M, 2B, 1e6)"),
        ("-5", "'-5' is negative; a quantity is zero or more"),
        ("-1k", "'-1k' is negative; a quantity is zero or more"),
        ("79228162514264337593543950335B", "'79228162514264337593543950335B' is too large to hold exactly"),
    ];

    #[test]
    fn one_table_of_spellings() {
        for (text, want) in ACCEPTED {
            let got = parse_quantity(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(got.normalize().to_string(), *want, "{text}");
        }
        for (text, want) in REFUSED {
            assert_eq!(parse_quantity(text).unwrap_err().to_string(), *want, "{text}");
        }
    }
}
