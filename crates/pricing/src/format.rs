//! Text forms of amounts and quantities for people: `$1,234.50`, `2,000,000`, `16.34 GB`, `+18.97%`.
//!
//! Amounts are written in their price book's currency ([`money_in`]): with its symbol for the
//! common ones (USD `$1,234.50`, EUR `€1,234.50`, GBP `£1,234.50`), otherwise with its ISO code
//! before the amount (`CHF 1,234.50`). [`money`] writes US dollars, for amounts whose book is
//! not at hand.
//!
//! Amounts are shown to the cent. Quantities shown to people go through [`meter_quantity`]
//! (whole requests, GB and seconds to two places), rounded half away from zero; exports and
//! a bill's "how it was worked out" lines keep the exact value ([`quantity`]) so a customer can
//! recompute every line.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::book::Tier;
use crate::meter::Meter;

/// Rounds an amount to the cent, half away from zero (0.025 -> 0.03), and keeps two places.
///
/// This is the only rounding on a money path: each bill line goes through it exactly once.
pub fn round_to_cents(amount: Decimal) -> Decimal {
    let mut cents = round_dp(amount, 2, RoundingStrategy::MidpointAwayFromZero);
    if cents.scale() != 2 {
        cents.rescale(2);
    }
    cents
}

/// `value.round_dp_with_strategy(places, strategy)`, the same value with the same scale and
/// sign, computed on 64 bits for the common case: a positive value whose mantissa fits them,
/// rounded half away from zero or toward zero. Every other case goes to `rust_decimal`.
pub(crate) fn round_dp(value: Decimal, places: u32, strategy: RoundingStrategy) -> Decimal {
    let scale = value.scale();
    if scale <= places {
        return value;
    }
    let away = match strategy {
        RoundingStrategy::MidpointAwayFromZero => true,
        RoundingStrategy::ToZero => false,
        _ => return value.round_dp_with_strategy(places, strategy),
    };
    let (Ok(mantissa), false) = (u64::try_from(value.mantissa()), value.is_sign_negative()) else {
        return value.round_dp_with_strategy(places, strategy);
    };
    // A mantissa under 2^64 has at most 20 digits, so a divisor past 10^19 leaves zero.
    let Some(divisor) = 10u64.checked_pow(scale - places) else {
        return value.round_dp_with_strategy(places, strategy);
    };
    let (quotient, remainder) = (mantissa / divisor, mantissa % divisor);
    // Half away from zero: a remainder of at least half the divisor rounds up. The doubled
    // remainder is compared as a u128 so it cannot overflow.
    let up = away && u128::from(remainder) * 2 >= u128::from(divisor);
    Decimal::from_i128_with_scale(i128::from(quotient) + i128::from(up), places)
}

/// `$1,234.50` for an amount in US dollars already rounded to cents (`-$3.00` for a negative
/// one). An amount from a price book is written with [`money_in`] and the book's currency.
pub fn money(amount: Decimal) -> String {
    money_in(amount, "USD")
}

/// An amount in `currency` (an ISO 4217 code, as a price book names it): `$1,234.50` for USD,
/// `€1,234.50` for EUR, `£1,234.50` for GBP, `CHF 1,234.50` for any other; `-€3.00` and
/// `-CHF 3.00` for a negative one.
///
/// ```
/// use edgecost_pricing::{Decimal, format::money_in};
/// assert_eq!(money_in(Decimal::new(1900, 2), "EUR"), "€19.00");
/// assert_eq!(money_in(Decimal::new(-300, 2), "CHF"), "-CHF 3.00");
/// ```
pub fn money_in(amount: Decimal, currency: &str) -> String {
    let mut out = String::with_capacity(16);
    push_money(&mut out, amount, currency);
    out
}

/// The change of an amount in `currency`: `+$6.96` for a rise, `-$0.29` for a fall, `$0.00`
/// for none.
///
/// ```
/// use edgecost_pricing::{Decimal, format::signed_money_in};
/// assert_eq!(signed_money_in(Decimal::new(696, 2), "USD"), "+$6.96");
/// assert_eq!(signed_money_in(Decimal::new(-29, 2), "EUR"), "-€0.29");
/// assert_eq!(signed_money_in(Decimal::new(0, 2), "USD"), "$0.00");
/// ```
pub fn signed_money_in(amount: Decimal, currency: &str) -> String {
    let text = money_in(amount, currency);
    if amount > Decimal::ZERO { format!("+{text}") } else { text }
}

/// [`signed_money_in`] in US dollars, for a change whose book is not at hand.
pub fn signed_money(amount: Decimal) -> String {
    signed_money_in(amount, "USD")
}

/// The sign an amount in `currency` is written after: its symbol (`$`, `€`, `£`), or its ISO
/// code (`CHF`), which [`money_in`] separates from the digits by a space.
pub fn currency_sign(currency: &str) -> &str {
    match currency {
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        code => code,
    }
}

/// What an amount in `currency` is written after: its symbol, or its code and a space.
fn push_currency(out: &mut String, currency: &str) {
    let sign = currency_sign(currency);
    out.push_str(sign);
    if sign == currency {
        out.push(' ');
    }
}

/// Appends [`money_in`]'s text to `out`, so a line's explanation is written into one buffer.
pub(crate) fn push_money(out: &mut String, amount: Decimal, currency: &str) {
    if amount.is_sign_negative() && !amount.is_zero() {
        out.push('-');
    }
    push_currency(out, currency);
    // At least two places, where the mantissa can hold them (`rescale` keeps what fits).
    let mut abs = amount.abs();
    if abs.scale() < 2 {
        abs.rescale(2);
    }
    push_grouped(out, abs.mantissa().unsigned_abs(), abs.scale());
}

/// A quantity with thousands separators and no trailing zeros: `2,000,000`, `52.5`.
pub fn quantity(value: Decimal) -> String {
    let mut out = String::with_capacity(16);
    push_quantity(&mut out, value);
    out
}

/// Appends [`quantity`]'s text to `out`.
pub(crate) fn push_quantity(out: &mut String, value: Decimal) {
    // `normalize` strips trailing zeros and gives zero a positive sign ("0", never "-0").
    let value = crate::whole::normalize(value);
    if value.is_sign_negative() {
        out.push('-');
    }
    push_grouped(out, value.mantissa().unsigned_abs(), value.scale());
}

/// Appends `mantissa` x 10^-`scale` as decimal text: every fractional digit the scale holds,
/// at least one integer digit, and a comma between each group of three integer digits.
fn push_grouped(out: &mut String, mantissa: u128, scale: u32) {
    // A Decimal has at most 29 digits and a scale of at most 28: with the "0" before the point,
    // the point and a comma between each group of three, the text fits 48 bytes. It is written
    // from its last digit back, then appended at once.
    let mut text = [0u8; 48];
    let mut at = text.len();
    let mut put = |b: u8| {
        at -= 1;
        text[at] = b;
    };
    let mut rest = mantissa;
    for _ in 0..scale {
        put(next_digit(&mut rest));
    }
    if scale > 0 {
        put(b'.');
    }
    // At least one integer digit, and a comma before each further group of three.
    let mut in_group = 0;
    loop {
        if in_group == 3 {
            put(b',');
            in_group = 0;
        }
        put(next_digit(&mut rest));
        in_group += 1;
        if rest == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&text[at..]).unwrap_or_default());
}

/// The last decimal digit of `rest`, as text, taking it off `rest`.
fn next_digit(rest: &mut u128) -> u8 {
    // Most values fit 64 bits, whose division by ten is a multiplication.
    let digit = match u64::try_from(*rest) {
        Ok(small) => {
            *rest = u128::from(small / 10);
            small % 10
        }
        Err(_) => {
            let digit = (*rest % 10) as u64;
            *rest /= 10;
            digit
        }
    };
    b'0' + digit as u8
}

/// A quantity rounded half away from zero to at most `places` decimal places, with thousands
/// separators and no trailing zeros: `quantity_to(16.3368240864, 2)` is `16.34`,
/// `quantity_to(175341.728, 0)` is `175,342`.
pub fn quantity_to(value: Decimal, places: u32) -> String {
    let mut out = String::with_capacity(16);
    push_quantity_to(&mut out, value, places);
    out
}

/// Appends [`quantity_to`]'s text to `out`.
pub(crate) fn push_quantity_to(out: &mut String, value: Decimal, places: u32) {
    push_quantity(out, round_dp(value, places, RoundingStrategy::MidpointAwayFromZero));
}

/// Decimal places a person reads a meter's quantity at: whole requests; GB and seconds to
/// the hundredth.
pub fn meter_places(meter: Meter) -> u32 {
    match meter {
        Meter::Requests => 0,
        Meter::Egress | Meter::Compute => 2,
    }
}

/// A meter's quantity (in the unit bill lines use) as a person reads it, without the unit:
/// `175,342` requests, `16.34` GB, `1,200.5` seconds.
pub fn meter_quantity(meter: Meter, value: Decimal) -> String {
    quantity_to(value, meter_places(meter))
}

/// Appends [`meter_quantity`]'s text to `out`.
pub(crate) fn push_meter_quantity(out: &mut String, meter: Meter, value: Decimal) {
    push_quantity_to(out, value, meter_places(meter));
}

/// What `tier` includes of `meter` each period: `1,000,000`, `100 GB`, `3,600 seconds`, or
/// `unlimited` when the tier sets no quota.
pub fn included_text(tier: &Tier, meter: Meter) -> String {
    match tier.included.get(meter) {
        Some(q) if meter == Meter::Requests => quantity(q),
        Some(q) => format!("{} {}", quantity(q), meter.unit()),
        None => "unlimited".into(),
    }
}

/// `tier`'s price past the quota of `meter` in US dollars: `$0.08 / GB`, `$0.50 / 10,000`,
/// `capped` on a hard-capped tier with a quota, `-` when there is no quota to pass or usage
/// past it costs nothing. [`overage_text_in`] writes it in the book's currency.
pub fn overage_text(tier: &Tier, meter: Meter) -> String {
    overage_text_in(tier, meter, "USD")
}

/// [`overage_text`] in `currency`, the tier's price book's: `€0.08 / GB`, `CHF 0.50 / 10,000`.
pub fn overage_text_in(tier: &Tier, meter: Meter, currency: &str) -> String {
    match tier.overage.get(meter) {
        Some(r) if r.per == Decimal::ONE => format!("{} / {}", money_in(r.price, currency), meter.unit().trim_end_matches('s')),
        Some(r) => format!("{} / {}", money_in(r.price, currency), quantity(r.per)),
        None if tier.hard_cap && tier.included.get(meter).is_some() => "capped".into(),
        None => "-".into(),
    }
}

/// A percentage rounded half away from zero to `places` places: `percent(18.965, 2)` is
/// `18.97%`, `percent(-0.98, 0)` is `-1%`.
pub fn percent(value_percent: Decimal, places: u32) -> String {
    let mut rounded = value_percent.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(places);
    if rounded.is_zero() {
        // A change that rounds to nothing has no sign: "0%", never "-0%".
        rounded.set_sign_positive(true);
    }
    format!("{rounded}%")
}

/// [`percent`] with an explicit sign for a change: `+18.97%`, `-0.98%`, `0%`.
pub fn signed_percent(value_percent: Decimal, places: u32) -> String {
    let text = percent(value_percent, places);
    if text.starts_with('-') || text.trim_end_matches('%').parse::<Decimal>().is_ok_and(|v| v.is_zero()) {
        text
    } else {
        format!("+{text}")
    }
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
        assert_eq!(money_in(d("1234.50"), "USD"), "$1,234.50");
        assert_eq!(money_in(d("1234.50"), "EUR"), "€1,234.50");
        assert_eq!(money_in(d("-3.00"), "GBP"), "-£3.00");
        assert_eq!(money_in(d("19.00"), "CHF"), "CHF 19.00");
        assert_eq!(money_in(d("-0.50"), "JPY"), "-JPY 0.50");
        assert_eq!(quantity(d("2000000")), "2,000,000");
        assert_eq!(quantity(d("52.500")), "52.5");
        assert_eq!(quantity(d("999")), "999");
    }

    #[test]
    fn people_read_quantities_at_a_sensible_precision() {
        assert_eq!(meter_quantity(Meter::Egress, d("16.3368240864")), "16.34");
        assert_eq!(meter_quantity(Meter::Requests, d("175341.728")), "175,342");
        assert_eq!(meter_quantity(Meter::Requests, d("2985047.5808945111376987914555")), "2,985,048");
        assert_eq!(meter_quantity(Meter::Compute, d("1200.5")), "1,200.5");
        assert_eq!(meter_quantity(Meter::Egress, d("60")), "60");
        assert_eq!(quantity_to(d("0.125"), 2), "0.13");
    }

    /// The text forms as they were first written (through `to_string`), which the digit
    /// writer must give exactly.
    fn grouped_as_written(digits: &str) -> String {
        let (int, frac) = match digits.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (digits, None),
        };
        let mut out = String::new();
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i).is_multiple_of(3) {
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

    fn arb_decimal() -> impl proptest::strategy::Strategy<Value = Decimal> {
        use proptest::prelude::*;
        prop_oneof![
            (any::<i64>(), 0u32..=28).prop_map(|(m, s)| Decimal::new(m, s)),
            (any::<i128>(), 0u32..=28).prop_map(|(m, s)| Decimal::from_i128_with_scale(m % 79_228_162_514_264_337_593_543_950_335, s)),
            (0i64..1_000_000, 0u32..=6).prop_map(|(m, s)| Decimal::new(m, s)),
            (0u32..=28).prop_map(|s| {
                let mut z = Decimal::new(0, s);
                z.set_sign_negative(true);
                z
            }),
        ]
    }

    proptest::proptest! {
        #[test]
        fn digits_are_written_as_to_string_would(value in arb_decimal()) {
            let normal = value.normalize().to_string();
            let (sign, digits) = normal.strip_prefix('-').map_or(("", normal.as_str()), |d| ("-", d));
            proptest::prop_assert_eq!(quantity(value), format!("{sign}{}", grouped_as_written(digits)));
            let sign = if value.is_sign_negative() && !value.is_zero() { "-" } else { "" };
            let mut abs = value.abs();
            abs.rescale(abs.scale().max(2));
            proptest::prop_assert_eq!(money(value), format!("{sign}${}", grouped_as_written(&abs.to_string())));
        }

        #[test]
        fn rounding_on_64_bits_is_rust_decimals(value in arb_decimal(), places in 0u32..=28) {
            for strategy in [RoundingStrategy::MidpointAwayFromZero, RoundingStrategy::ToZero, RoundingStrategy::MidpointNearestEven] {
                let ours = round_dp(value, places, strategy);
                let theirs = value.round_dp_with_strategy(places, strategy);
                // Debug shows the scale and the sign of a zero, so both must match too.
                proptest::prop_assert_eq!(format!("{ours:?}"), format!("{theirs:?}"));
                proptest::prop_assert_eq!(ours.is_sign_negative(), theirs.is_sign_negative());
            }
        }

        #[test]
        fn cents_are_rust_decimals_rounding_with_two_places(value in arb_decimal()) {
            let ours = round_to_cents(value);
            let mut theirs = value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
            theirs.rescale(2);
            proptest::prop_assert_eq!(format!("{ours:?}"), format!("{theirs:?}"));
            proptest::prop_assert_eq!(ours.is_sign_negative(), theirs.is_sign_negative());
        }
    }

    #[test]
    fn percentages_round_half_away_from_zero_with_a_sign_for_changes() {
        assert_eq!(signed_percent(d("-0.98"), 0), "-1%");
        assert_eq!(signed_percent(d("18.97"), 0), "+19%");
        assert_eq!(signed_percent(d("-0.98"), 2), "-0.98%");
        assert_eq!(signed_percent(d("18.965"), 2), "+18.97%");
        assert_eq!(signed_percent(d("-0.004"), 2), "0.00%");
        assert_eq!(percent(d("87.5"), 0), "88%");
        assert_eq!(percent(d("87.5"), 1), "87.5%");
    }
}
