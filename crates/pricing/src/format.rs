//! Text forms of amounts and quantities for people: `$1,234.50`, `2,000,000`.

use rust_decimal::Decimal;

/// Rounds an amount to the cent, half away from zero (0.025 -> 0.03), and keeps two places.
///
/// This is the only rounding on a money path: each bill line goes through it exactly once.
pub fn round_to_cents(amount: Decimal) -> Decimal {
    let mut cents =
        amount.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    cents.rescale(2);
    cents
}

/// `$1,234.50` for an amount already rounded to cents (`-$3.00` for a negative one).
pub fn money(amount: Decimal) -> String {
    let sign = if amount.is_sign_negative() && !amount.is_zero() { "-" } else { "" };
    let mut abs = amount.abs();
    abs.rescale(abs.scale().max(2));
    format!("{sign}${}", group_thousands(&abs.to_string()))
}

/// A quantity with thousands separators and no trailing zeros: `2,000,000`, `52.5`.
pub fn quantity(value: Decimal) -> String {
    let text = value.normalize().to_string();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    format!("{sign}{}", group_thousands(digits))
}

fn group_thousands(digits: &str) -> String {
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let mut out = String::with_capacity(digits.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(frac) = frac {
        out.push('.');
        out.push_str(frac);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn rounds_half_away_from_zero_to_two_places() {
        assert_eq!(round_to_cents(d("0.025")).to_string(), "0.03");
        assert_eq!(round_to_cents(d("0.015")).to_string(), "0.02");
        assert_eq!(round_to_cents(d("-0.025")).to_string(), "-0.03");
        assert_eq!(round_to_cents(d("0.0249999")).to_string(), "0.02");
        assert_eq!(round_to_cents(d("25.5")).to_string(), "25.50");
        assert_eq!(round_to_cents(d("7")).to_string(), "7.00");
    }

    #[test]
    fn formats_money_and_quantities_for_people() {
        assert_eq!(money(d("1234.50")), "$1,234.50");
        assert_eq!(money(d("0.00")), "$0.00");
        assert_eq!(money(d("-3.00")), "-$3.00");
        assert_eq!(quantity(d("2000000")), "2,000,000");
        assert_eq!(quantity(d("52.500")), "52.5");
        assert_eq!(quantity(d("999")), "999");
    }
}
