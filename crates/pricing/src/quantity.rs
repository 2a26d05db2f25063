//! The one reader of numbers as people write them: command-line flags, plan files and the
//! desktop app's cells all go through [`parse_quantity`] (amounts through [`parse_amount`]),
//! so `350k` means the same everywhere and a bad spelling is refused with the same message
//! everywhere.
//!
//! **Separators.** A comma, an underscore or a space may group the thousands of a number's
//! integer part and nothing else: 1 to 3 leading digits (not starting with 0), then groups of
//! exactly 3 digits, one kind of separator per number (`350,000`, `1_250_000.5`, `350 000`).
//! A separator anywhere else is refused, never dropped: `51,5` is not 515 (nor 51.5, which
//! is written `51.5`), `1,2,3` is not 123, and the fraction and the exponent take none.

use rust_decimal::Decimal;

use crate::decimal::parse_decimal;
#[cfg(test)]
use crate::grouping::SEPARATORS;
use crate::grouping::{Grouping, ungroup};

/// Spellings a quantity may take, quoted in every refusal.
pub const QUANTITY_EXAMPLES: &str = "350000, 350,000, 350k, 1.2M, 2B, 1e6";

/// Why a quantity's or an amount's text was refused. The text is quoted as given.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    /// The text is no number this parser reads.
    #[error("'{text}' is not a quantity (examples: {QUANTITY_EXAMPLES})")]
    NotAQuantity {
        /// The text as given.
        text: String,
    },
    /// The text is no amount this parser reads.
    #[error("'{text}' is not an amount (examples: 25, 25.50, $1,250.50)")]
    NotAnAmount {
        /// The text as given.
        text: String,
    },
    /// A comma sits where it can only have been meant as a decimal point (`51,5`).
    #[error("'{text}': a comma only groups thousands (350,000); write decimals with a point: {decimal}")]
    DecimalComma {
        /// The text as given.
        text: String,
        /// The text with a point for the comma, which is what to write for a decimal.
        decimal: String,
    },
    /// A separator is not between groups of three digits of the integer part (`1,2,3`, `1_0`).
    #[error(
        "'{text}': {} only groups thousands, 1 to 3 digits then groups of exactly 3 ({}); write the number without it or grouped so",
        separator_name(*.separator),
        separator_example(*.separator)
    )]
    Misgrouped {
        /// The text as given.
        text: String,
        /// The separator that is out of place.
        separator: char,
    },
    /// A separator sits in the fraction or the exponent (`0.000_1`, `1.234,5`).
    #[error(
        "'{text}': {} only groups the thousands before the decimal point ({}.5); write the digits after the point without it",
        separator_name(*.separator),
        separator_example(*.separator)
    )]
    SeparatorInFraction {
        /// The text as given.
        text: String,
        /// The separator after the point.
        separator: char,
    },
    /// Two kinds of separator in one number (`1,000_000`).
    #[error("'{text}': a number groups its thousands with one kind of separator (350,000 or 350_000 or 350 000), not several")]
    MixedSeparators {
        /// The text as given.
        text: String,
    },
    /// The number is below zero.
    #[error("'{text}' is negative; a quantity is zero or more")]
    Negative {
        /// The text as given.
        text: String,
    },
    /// The text is no percentage this parser reads.
    #[error("'{text}' is not a percentage (examples: 60, 62.5)")]
    NotAPercentage {
        /// The text as given, without its `%`.
        text: String,
    },
    /// The number does not fit a 96-bit decimal.
    #[error("'{text}' is too large to hold exactly")]
    TooLarge {
        /// The text as given.
        text: String,
    },
}

fn separator_name(separator: char) -> &'static str {
    match separator {
        ',' => "a comma",
        '_' => "an underscore",
        _ => "a space",
    }
}

fn separator_example(separator: char) -> &'static str {
    match separator {
        ',' => "350,000",
        '_' => "350_000",
        _ => "350 000",
    }
}

impl Grouping {
    /// The refusal of `text`, whose number was followed by `suffix` (`k`, `M`, ...).
    fn into_error(self, text: &str, suffix: &str) -> QuantityError {
        let text = text.to_owned();
        match self {
            Grouping::DecimalComma(decimal) => QuantityError::DecimalComma { text, decimal: format!("{decimal}{suffix}") },
            Grouping::Misgrouped(separator) => QuantityError::Misgrouped { text, separator },
            Grouping::InFraction(separator) => QuantityError::SeparatorInFraction { text, separator },
            Grouping::Mixed => QuantityError::MixedSeparators { text },
        }
    }
}

/// Reads a quantity exactly: a plain or scientific decimal (`350000`, `0.5`, `1e6`) with
/// optional thousands separators (`350,000`, `350_000`, `350 000`, grouped as the module
/// documentation says) and an optional suffix for thousands (`k`), millions (`M`) or billions
/// (`B`, or `G`), either case. Zero or more; what bound a quantity has is its field's rule,
/// checked by the caller.
///
/// ```
/// use edgecost_pricing::{Decimal, parse_quantity};
/// assert_eq!(parse_quantity("1.2M").unwrap(), Decimal::from(1_200_000));
/// assert_eq!(parse_quantity("350,000").unwrap(), Decimal::from(350_000));
/// assert_eq!(
///     parse_quantity("51,5").unwrap_err().to_string(),
///     "'51,5': a comma only groups thousands (350,000); write decimals with a point: 51.5"
/// );
/// assert!(parse_quantity("abc").is_err());
/// ```
pub fn parse_quantity(text: &str) -> Result<Decimal, QuantityError> {
    let trimmed = text.trim();
    let (number, scale) = match trimmed.chars().last() {
        Some('k' | 'K') => (&trimmed[..trimmed.len() - 1], 1_000u64),
        Some('m' | 'M') => (&trimmed[..trimmed.len() - 1], 1_000_000),
        Some('b' | 'B' | 'g' | 'G') => (&trimmed[..trimmed.len() - 1], 1_000_000_000),
        _ => (trimmed, 1),
    };
    // A space may stand between the number and its suffix (`350 k`).
    let suffix = &trimmed[number.len()..];
    let number = ungroup(number.trim_end()).map_err(|g| g.into_error(text, suffix))?;
    // A sign or a suffix alone is not a number; `parse_decimal` refuses both.
    let value = parse_decimal(&number).ok_or_else(|| {
        if is_plain_number(&number) {
            QuantityError::TooLarge { text: text.to_owned() }
        } else {
            QuantityError::NotAQuantity { text: text.to_owned() }
        }
    })?;
    if value.is_sign_negative() && !value.is_zero() {
        return Err(QuantityError::Negative { text: text.to_owned() });
    }
    value.checked_mul(Decimal::from(scale)).ok_or_else(|| QuantityError::TooLarge { text: text.to_owned() })
}

/// Reads an amount of money exactly as people write it: an optional leading `$`, then a plain
/// or scientific decimal with optional thousands separators under the same rule as
/// [`parse_quantity`] (`25`, `25.50`, `$1,250.50`), and no suffix. The sign is kept; what an
/// amount may be (zero or more, whole cents, a bound) is its field's rule, checked by the
/// caller.
///
/// ```
/// use edgecost_pricing::{Decimal, parse_amount};
/// assert_eq!(parse_amount("$1,250.50").unwrap(), Decimal::new(125050, 2));
/// assert!(parse_amount("12,50").is_err());
/// ```
pub fn parse_amount(text: &str) -> Result<Decimal, QuantityError> {
    let trimmed = text.trim();
    let number = trimmed.strip_prefix('$').unwrap_or(trimmed).trim_start();
    suffixless_decimal(number, text, |text| QuantityError::NotAnAmount { text })
}

/// `number` (no suffix) read exactly by the separator rule, its refusals quoting `quoted`:
/// `not_a` names text that is no number at all, and a plain number too long to hold is
/// [`QuantityError::TooLarge`].
fn suffixless_decimal(number: &str, quoted: &str, not_a: impl FnOnce(String) -> QuantityError) -> Result<Decimal, QuantityError> {
    let plain = ungroup(number).map_err(|g| g.into_error(quoted, ""))?;
    parse_decimal(&plain)
        .ok_or_else(|| if is_plain_number(&plain) { QuantityError::TooLarge { text: quoted.to_owned() } } else { not_a(quoted.to_owned()) })
}

/// Reads a percentage as people type it in a share field: a plain or scientific decimal with
/// an optional `%` after it (`60`, `62.5`, `62.5 %`) and thousands separators under the same
/// rule as [`parse_quantity`], refused in the same words. `None` for a field with no number in
/// it yet (empty, or a `%` alone), which is no error. The sign is kept; what range a share may
/// take is its field's rule.
///
/// ```
/// use edgecost_pricing::{Decimal, parse_percent};
/// assert_eq!(parse_percent("62.5 %").unwrap(), Some(Decimal::new(625, 1)));
/// assert_eq!(parse_percent(" ").unwrap(), None);
/// assert_eq!(
///     parse_percent("51,5%").unwrap_err().to_string(),
///     "'51,5': a comma only groups thousands (350,000); write decimals with a point: 51.5"
/// );
/// ```
pub fn parse_percent(text: &str) -> Result<Option<Decimal>, QuantityError> {
    let trimmed = text.trim();
    let number = trimmed.strip_suffix('%').unwrap_or(trimmed).trim();
    if number.is_empty() {
        return Ok(None);
    }
    suffixless_decimal(number, number, |text| QuantityError::NotAPercentage { text }).map(Some)
}

/// Whether `text` is a sign, digits and an optional fraction: a number that only fails to
/// parse because it is too large.
fn is_plain_number(text: &str) -> bool {
    let unsigned = text.trim_start_matches(['-', '+']);
    let (integer, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    !integer.is_empty() && integer.bytes().all(|b| b.is_ascii_digit()) && fraction.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every spelling the CLI, plan files and the app's cells share, and what it reads as.
    const ACCEPTED: &[(&str, &str)] = &[
        ("350000", "350000"),
        ("350,000", "350000"),
        ("350_000", "350000"),
        (" 350 000 ", "350000"),
        ("1,234,567.891", "1234567.891"),
        ("12,345", "12345"),
        ("999,999", "999999"),
        ("1_000_000", "1000000"),
        ("350k", "350000"),
        ("350 k", "350000"),
        ("350K", "350000"),
        ("1.2M", "1200000"),
        ("1.2m", "1200000"),
        ("2B", "2000000000"),
        ("2G", "2000000000"),
        ("1.5k", "1500"),
        ("1,500k", "1500000"),
        ("0.5", "0.5"),
        ("1e6", "1000000"),
        ("1E3", "1000"),
        ("1,000e3", "1000000"),
        ("0", "0"),
        ("-0", "0"),
        ("0012", "12"),
    ];

    /// Every spelling they all refuse, with the one message.
    const REFUSED: &[(&str, &str)] = &[
        ("abc", "'abc' is not a quantity (examples: 350000, 350,000, 350k, 1.2M, 2B, 1e6)"),
        ("", "'' is not a quantity (examples: 350000, 350,000, 350k, 1.2M, 2B, 1e6)"),
        ("k", "'k' is not a quantity (examples: 350000, 350,000, 350k, 1.2M, 2B, 1e6)"),
        ("12 apples", "'12 apples' is not a quantity (examples: 350000, 350,000, 350k, 1.2M, 2B, 1e6)"),
        ("1.2.3", "'1.2.3' is not a quantity (examples: 350000, 350,000, 350k, 1.2M, 2B, 1e6)"),
        ("1,5e", "'1,5e' is not a quantity (examples: 350000, 350,000, 350k, 1.2M, 2B, 1e6)"),
        ("51,5", "'51,5': a comma only groups thousands (350,000); write decimals with a point: 51.5"),
        ("12,34", "'12,34': a comma only groups thousands (350,000); write decimals with a point: 12.34"),
        ("0,500", "'0,500': a comma only groups thousands (350,000); write decimals with a point: 0.500"),
        ("1,5k", "'1,5k': a comma only groups thousands (350,000); write decimals with a point: 1.5k"),
        (
            "1,2,3",
            "'1,2,3': a comma only groups thousands, 1 to 3 digits then groups of exactly 3 (350,000); write the number without it or grouped so",
        ),
        (
            "1234,567",
            "'1234,567': a comma only groups thousands, 1 to 3 digits then groups of exactly 3 (350,000); write the number without it or grouped so",
        ),
        (
            "1_0",
            "'1_0': an underscore only groups thousands, 1 to 3 digits then groups of exactly 3 (350_000); write the number without it or grouped so",
        ),
        (
            "35 00",
            "'35 00': a space only groups thousands, 1 to 3 digits then groups of exactly 3 (350 000); write the number without it or grouped so",
        ),
        (
            "1,000,",
            "'1,000,': a comma only groups thousands, 1 to 3 digits then groups of exactly 3 (350,000); write the number without it or grouped so",
        ),
        (
            "0.000_1",
            "'0.000_1': an underscore only groups the thousands before the decimal point (350_000.5); write the digits after the point without it",
        ),
        (
            "1.234,5",
            "'1.234,5': a comma only groups the thousands before the decimal point (350,000.5); write the digits after the point without it",
        ),
        ("1,000_000", "'1,000_000': a number groups its thousands with one kind of separator (350,000 or 350_000 or 350 000), not several"),
        ("-5", "'-5' is negative; a quantity is zero or more"),
        ("-1k", "'-1k' is negative; a quantity is zero or more"),
        ("79228162514264337593543950335B", "'79228162514264337593543950335B' is too large to hold exactly"),
        ("99,999,999,999,999,999,999,999,999,999", "'99,999,999,999,999,999,999,999,999,999' is too large to hold exactly"),
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

    #[test]
    fn amounts_follow_the_same_separator_rule() {
        assert_eq!(parse_amount("$1,250.50").unwrap(), Decimal::new(125_050, 2));
        assert_eq!(parse_amount(" 25 ").unwrap(), Decimal::from(25));
        assert_eq!(parse_amount("-3.00").unwrap(), Decimal::new(-300, 2));
        assert_eq!(
            parse_amount("12,50").unwrap_err().to_string(),
            "'12,50': a comma only groups thousands (350,000); write decimals with a point: 12.50"
        );
        assert!(matches!(parse_amount("1,2,5"), Err(QuantityError::Misgrouped { separator: ',', .. })));
        assert_eq!(parse_amount("25k").unwrap_err().to_string(), "'25k' is not an amount (examples: 25, 25.50, $1,250.50)");
        assert!(matches!(parse_amount("99999999999999999999999999999999"), Err(QuantityError::TooLarge { .. })));
    }

    #[test]
    fn percentages_follow_the_same_separator_rule() {
        let read = |t: &str| parse_percent(t).unwrap().map(|d| d.normalize().to_string());
        assert_eq!(read("60").as_deref(), Some("60"));
        assert_eq!(read(" 62.5 % ").as_deref(), Some("62.5"));
        assert_eq!(read("1,000").as_deref(), Some("1000"));
        assert_eq!(read("-5").as_deref(), Some("-5"));
        assert_eq!(read(""), None);
        assert_eq!(read(" % "), None);
        for (text, want) in [
            ("51,5", "'51,5': a comma only groups thousands (350,000); write decimals with a point: 51.5"),
            ("62,5 %", "'62,5': a comma only groups thousands (350,000); write decimals with a point: 62.5"),
            ("0,500", "'0,500': a comma only groups thousands (350,000); write decimals with a point: 0.500"),
            (
                "1,2,3",
                "'1,2,3': a comma only groups thousands, 1 to 3 digits then groups of exactly 3 (350,000); write the number without it or grouped so",
            ),
            (
                "0.000_1",
                "'0.000_1': an underscore only groups the thousands before the decimal point (350_000.5); write the digits after the point without it",
            ),
            (
                "1,000_000",
                "'1,000_000': a number groups its thousands with one kind of separator (350,000 or 350_000 or 350 000), not several",
            ),
            ("lots", "'lots' is not a percentage (examples: 60, 62.5)"),
            ("50k", "'50k' is not a percentage (examples: 60, 62.5)"),
            ("-", "'-' is not a percentage (examples: 60, 62.5)"),
            ("99999999999999999999999999999999", "'99999999999999999999999999999999' is too large to hold exactly"),
        ] {
            assert_eq!(parse_percent(text).unwrap_err().to_string(), want, "{text}");
        }
    }

    /// `digits` with `separator` between each group of three, counted from the right.
    fn grouped(digits: &str, separator: char) -> String {
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(separator);
            }
            out.push(c);
        }
        out
    }

    proptest! {
        #[test]
        fn a_well_grouped_number_reads_as_its_value(
            whole in any::<u64>(), fraction in proptest::option::of("[0-9]{1,6}"),
            separator in prop::sample::select(SEPARATORS.to_vec()), suffix in prop::sample::select(vec![("", 1u64), ("k", 1_000), ("M", 1_000_000)]),
        ) {
            let plain = format!("{whole}{}", fraction.as_deref().map_or(String::new(), |f| format!(".{f}")));
            let text = format!("{}{}{}", grouped(&whole.to_string(), separator), fraction.map_or(String::new(), |f| format!(".{f}")), suffix.0);
            let want = plain.parse::<Decimal>().unwrap() * Decimal::from(suffix.1);
            prop_assert_eq!(parse_quantity(&text), Ok(want));
            prop_assert_eq!(parse_decimal(&grouped(&whole.to_string(), separator)), Some(Decimal::from(whole)));
        }

        #[test]
        fn a_misplaced_separator_is_refused_never_dropped(
            whole in 10u64.., at in any::<prop::sample::Index>(), separator in prop::sample::select(SEPARATORS.to_vec()),
        ) {
            let digits = whole.to_string();
            // A separator after `cut` digits is well placed only when a multiple of 3 digits
            // follow it; every other place is refused.
            let cut = 1 + at.index(digits.len() - 1);
            prop_assume!(!(digits.len() - cut).is_multiple_of(3));
            let text = format!("{}{separator}{}", &digits[..cut], &digits[cut..]);
            prop_assert!(parse_quantity(&text).is_err(), "{} was read", text);
            prop_assert!(parse_amount(&text).is_err(), "{} was read", text);
            prop_assert!(parse_decimal(&text).is_none(), "{} was read", text);
        }

        #[test]
        fn a_separator_in_the_fraction_is_refused(
            whole in any::<u32>(), fraction in "[0-9]{2,8}", at in any::<prop::sample::Index>(),
            separator in prop::sample::select(SEPARATORS.to_vec()),
        ) {
            let cut = 1 + at.index(fraction.len() - 1);
            let text = format!("{whole}.{}{separator}{}", &fraction[..cut], &fraction[cut..]);
            prop_assert!(matches!(parse_quantity(&text), Err(QuantityError::SeparatorInFraction { .. })), "{}", text);
        }

        #[test]
        fn any_text_gets_a_value_or_a_message_never_a_panic(text in "[0-9,_ .eEkM+-]{0,16}|\\PC{0,24}") {
            let _ = parse_quantity(&text);
            let _ = parse_amount(&text);
            let _ = parse_decimal(&text);
        }
    }
}
