//! Parsing of command-line quantities and amounts, exactly, as decimals, within the bounds of
//! [`edgecost_pricing::bounds`] (a value past its bound is bad input: exit code 2).

use edgecost_pricing::bounds::{COMPUTE_SECONDS_MAX, EGRESS_GB_MAX, MONEY_MAX, REQUESTS_MAX};
use edgecost_pricing::{Decimal, parse_amount, parse_quantity};

/// Parses a count or quantity with the one reader plan files and the desktop app use too:
/// `350000`, `350_000`, `350,000`, `350k`, `1.2M`, `2B`, `1e6`. A separator only groups
/// thousands (`51,5` is refused, never read as 515).
fn quantity(text: &str) -> Result<Decimal, String> {
    parse_quantity(text).map_err(|e| e.to_string())
}

fn at_most(text: &str, value: Decimal, max: Decimal, unit: &str) -> Result<Decimal, String> {
    if value > max {
        return Err(format!("'{text}' is above the bound of {max} {unit} a period"));
    }
    Ok(value)
}

/// Requests in a period: a whole number from 0 to 10^18.
pub fn requests(text: &str) -> Result<Decimal, String> {
    let value = at_most(text, quantity(text)?, REQUESTS_MAX, "requests")?;
    if value.fract() != Decimal::ZERO {
        return Err(format!("'{text}' is not a whole number; requests are counted whole"));
    }
    Ok(value.normalize())
}

/// Billable egress in GB: from 0 to 10^15.
pub fn egress_gb(text: &str) -> Result<Decimal, String> {
    at_most(text, quantity(text)?, EGRESS_GB_MAX, "GB")
}

/// Compute seconds: from 0 to 10^15.
pub fn compute_seconds(text: &str) -> Result<Decimal, String> {
    at_most(text, quantity(text)?, COMPUTE_SECONDS_MAX, "seconds")
}

/// Parses a money amount such as `25`, `25.50`, `$25.50` or `1,250.50` with the pricing core's
/// reader (its thousands-separator rule included): whole cents, at most 10^12, kept with two
/// places.
pub fn money(text: &str) -> Result<Decimal, String> {
    let value = parse_amount(text).map_err(|e| e.to_string())?;
    if value.is_sign_negative() && !value.is_zero() {
        return Err(format!("'{text}' is negative"));
    }
    if !edgecost_pricing::bounds::is_whole_cents(value) {
        return Err(format!("'{text}' has fractions of a cent"));
    }
    if value > MONEY_MAX {
        return Err(format!("'{text}' is above the bound of {MONEY_MAX}"));
    }
    Ok(edgecost_pricing::format::round_to_cents(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_suffixes_and_separators_exactly() {
        assert_eq!(requests("350k").unwrap(), Decimal::from(350_000));
        assert_eq!(requests("1.2M").unwrap(), Decimal::from(1_200_000));
        assert_eq!(requests("2,000,000").unwrap(), Decimal::from(2_000_000));
        assert_eq!(egress_gb("60.5").unwrap().to_string(), "60.5");
        assert!(requests("-5").is_err());
        assert!(requests("lots").is_err());
        // The flags read quantities with the shared reader: its spellings and its messages.
        for text in ["350k", "350,000", "350_000", "0.35M", "3.5e5"] {
            assert_eq!(requests(text).unwrap(), Decimal::from(350_000), "{text}");
        }
        for text in ["abc", "-5", "k", "1.2.3"] {
            assert_eq!(requests(text).unwrap_err(), parse_quantity(text).unwrap_err().to_string(), "{text}");
        }
        assert_eq!(money("$25.50").unwrap().to_string(), "25.50");
        assert_eq!(money("10").unwrap().to_string(), "10.00");
        assert!(money("0.001").is_err());
        assert_eq!(money("$1,250.50").unwrap().to_string(), "1250.50");
    }

    #[test]
    fn a_separator_only_groups_thousands() {
        assert_eq!(egress_gb("51,5").unwrap_err(), "'51,5': a comma only groups thousands (350,000); write decimals with a point: 51.5");
        assert_eq!(requests("12,34").unwrap_err(), parse_quantity("12,34").unwrap_err().to_string());
        assert!(requests("1,2,3").unwrap_err().contains("groups of exactly 3"));
        assert!(money("1,2,5").unwrap_err().contains("groups of exactly 3"));
        assert_eq!(money("25,50").unwrap_err(), "'25,50': a comma only groups thousands (350,000); write decimals with a point: 25.50");
        assert_eq!(egress_gb("51.5").unwrap().to_string(), "51.5");
        assert_eq!(requests("1 234 567").unwrap(), Decimal::from(1_234_567));
    }

    #[test]
    fn requests_are_whole_and_every_flag_is_bounded() {
        assert!(requests("1.5").unwrap_err().contains("whole"));
        assert_eq!(requests("1.5k").unwrap(), Decimal::from(1_500));
        assert!(requests("7e28").unwrap_err().contains("above the bound"));
        assert!(requests("1000000000000000001").is_err());
        assert_eq!(requests("1e18").unwrap().to_string(), "1000000000000000000");
        assert!(egress_gb("1e16").unwrap_err().contains("above the bound"));
        assert!(compute_seconds("79228162514264337593543950335").is_err());
        assert!(money("1000000000000.01").is_err());
    }

    proptest! {
        #[test]
        fn every_flag_parser_answers_ok_or_a_message_never_a_panic(
            m in any::<i64>(), scale in 0u32..=28, suffix in prop::sample::select(vec!["", "k", "M", "B", "e28", "e-28"]),
            raw in "\\PC{0,40}",
        ) {
            let text = format!("{}{suffix}", Decimal::new(m, scale));
            for t in [text.as_str(), raw.as_str(), "79228162514264337593543950335", "18446744073709551615", "7e28"] {
                let _ = requests(t);
                let _ = egress_gb(t);
                let _ = compute_seconds(t);
                let _ = money(t);
            }
        }
    }
}
