//! Parsing of command-line quantities and amounts, exactly, as decimals.

use edgecost_pricing::{Decimal, parse_decimal};

/// Parses a count or quantity: `350000`, `350_000`, `350,000`, `350k`, `1.2M`, `2B`.
pub fn quantity(text: &str) -> Result<Decimal, String> {
    let cleaned = text.trim().replace([',', '_'], "");
    let (digits, scale) = match cleaned.chars().last() {
        Some('k' | 'K') => (&cleaned[..cleaned.len() - 1], 1_000u64),
        Some('m' | 'M') => (&cleaned[..cleaned.len() - 1], 1_000_000),
        Some('b' | 'B' | 'g' | 'G') => (&cleaned[..cleaned.len() - 1], 1_000_000_000),
        _ => (cleaned.as_str(), 1),
    };
    let value = parse_decimal(digits)
        .ok_or_else(|| format!("'{text}' is not a number (examples: 350000, 350k, 1.2M)"))?;
    if value.is_sign_negative() && !value.is_zero() {
        return Err(format!("'{text}' is negative; usage must be zero or more"));
    }
    value
        .checked_mul(Decimal::from(scale))
        .ok_or_else(|| format!("'{text}' is too large"))
}

/// Parses a money amount such as `25`, `25.50` or `$25.50`.
pub fn money(text: &str) -> Result<Decimal, String> {
    let cleaned = text.trim().trim_start_matches('$').replace([',', '_'], "");
    let value = parse_decimal(&cleaned)
        .ok_or_else(|| format!("'{text}' is not an amount (example: 25.50)"))?;
    if value.is_sign_negative() && !value.is_zero() {
        return Err(format!("'{text}' is negative"));
    }
    if value.scale() > 2 && value.normalize().scale() > 2 {
        return Err(format!("'{text}' has fractions of a cent"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_suffixes_and_separators_exactly() {
        assert_eq!(quantity("350k").unwrap(), Decimal::from(350_000));
        assert_eq!(quantity("1.2M").unwrap(), Decimal::from(1_200_000));
        assert_eq!(quantity("2,000,000").unwrap(), Decimal::from(2_000_000));
        assert_eq!(quantity("60.5").unwrap().to_string(), "60.5");
        assert!(quantity("-5").is_err());
        assert!(quantity("lots").is_err());
        assert_eq!(money("$25.50").unwrap().to_string(), "25.50");
        assert!(money("0.001").is_err());
    }
}
