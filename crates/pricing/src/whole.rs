//! Decimal arithmetic on whole numbers, for the values rating meets every time.
//!
//! A decimal is a whole mantissa and a scale (a count of decimal places). Rating's values are
//! nearly always small: counters, quotas, prices, and amounts in cents. Each function here
//! answers such values with integer arithmetic on the mantissas and gives exactly the value
//! (and the scale) the `rust_decimal` operation it stands for gives; anything else goes to
//! that operation. The tests check the two agree over random and extreme values.

use std::cmp::Ordering;

use rust_decimal::Decimal;

/// The largest mantissa a decimal holds (2^96 - 1).
const MANTISSA_MAX: u128 = (1 << 96) - 1;
/// The largest scale a decimal holds.
const SCALE_MAX: u32 = 28;

/// `value.normalize()`: the same value without trailing zeros, and zero as `0`.
pub(crate) fn normalize(value: Decimal) -> Decimal {
    let Ok(mut m) = u64::try_from(value.mantissa().unsigned_abs()) else { return value.normalize() };
    if m == 0 {
        return Decimal::ZERO;
    }
    let mut scale = value.scale();
    while scale > 0 && m.is_multiple_of(10) {
        m /= 10;
        scale -= 1;
    }
    let mut out = Decimal::from_i128_with_scale(i128::from(m), scale);
    out.set_sign_negative(value.is_sign_negative());
    out
}

/// `a.cmp(&b)`.
pub(crate) fn cmp(a: Decimal, b: Decimal) -> Ordering {
    match aligned(a, b) {
        Some((x, y, _)) => x.cmp(&y),
        None => a.cmp(&b),
    }
}

/// Both mantissas at the larger of the two scales, and that scale; `None` when one does not
/// fit 128 bits there.
pub(crate) fn aligned(a: Decimal, b: Decimal) -> Option<(i128, i128, u32)> {
    let (sa, sb) = (a.scale(), b.scale());
    if sa == sb {
        return Some((a.mantissa(), b.mantissa(), sa));
    }
    let scale = sa.max(sb);
    let up = |m: i128, places: u32| match (i64::try_from(m), POW10.get(places as usize)) {
        // A 64-bit mantissa times at most 10^18 fits 128 bits.
        (Ok(small), Some(p)) => Some(i128::from(small) * i128::from(*p)),
        _ => m.checked_mul(10i128.checked_pow(places)?),
    };
    Some((up(a.mantissa(), scale - sa)?, up(b.mantissa(), scale - sb)?, scale))
}

/// 10^0 to 10^18.
const POW10: [i64; 19] = {
    let mut p = [1i64; 19];
    let mut i = 1;
    while i < p.len() {
        p[i] = p[i - 1] * 10;
        i += 1;
    }
    p
};

/// `a.checked_sub(b)`, for values whose exact difference a decimal holds.
pub(crate) fn checked_sub(a: Decimal, b: Decimal) -> Option<Decimal> {
    // A zero operand keeps the other's scale, which `rust_decimal` answers quickly itself.
    if a.is_zero() || b.is_zero() {
        return a.checked_sub(b);
    }
    let exact = aligned(a, b).and_then(|(x, y, scale)| Some((x.checked_sub(y)?, scale)));
    match exact {
        Some((d, scale)) if d.unsigned_abs() <= MANTISSA_MAX => Some(Decimal::from_i128_with_scale(d, scale)),
        _ => a.checked_sub(b),
    }
}

/// The cents of `value` x `price` / `per`, rounded half away from zero: a meter's charge for
/// `value` units past its quota at `price` per block of `per` units. `None` when this cannot
/// answer as rounding the decimal product and quotient to the cent would: a negative value,
/// a block that is not a whole power of ten, or a product a decimal does not hold exactly.
pub(crate) fn charge_cents(value: Decimal, price: Decimal, per: Decimal) -> Option<i128> {
    let (Ok(v), Ok(p)) = (u128::try_from(value.mantissa()), u128::try_from(price.mantissa())) else { return None };
    // A block of 10^k units: dividing by it moves the decimal point by k places.
    let block = u64::try_from(per.mantissa()).ok().filter(|_| per.scale() == 0)?;
    let k = power_of_ten(block)?;
    let product = v.checked_mul(p).filter(|x| *x <= MANTISSA_MAX)?;
    let product_scale = value.scale() + price.scale();
    let scale = product_scale + k;
    if product_scale > SCALE_MAX || scale > SCALE_MAX {
        return None;
    }
    let cents = if scale <= 2 {
        // Rounding leaves two places only where the mantissa can hold them.
        product.checked_mul(10u128.pow(2 - scale)).filter(|x| *x <= MANTISSA_MAX)?
    } else {
        let divisor = 10u128.pow(scale - 2);
        // Most products and divisors fit 64 bits, whose division is far cheaper.
        let (q, r) = match (u64::try_from(product), u64::try_from(divisor)) {
            (Ok(p), Ok(d)) => (u128::from(p / d), u128::from(p % d)),
            _ => (product / divisor, product % divisor),
        };
        // Half away from zero; the doubled remainder stays below 2^97.
        q + u128::from(r * 2 >= divisor)
    };
    i128::try_from(cents).ok()
}

/// `k` when `n` is 10^k.
pub(crate) fn power_of_ten(mut n: u64) -> Option<u32> {
    let mut k = 0;
    while n >= 10 && n.is_multiple_of(10) {
        n /= 10;
        k += 1;
    }
    (n == 1).then_some(k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal::RoundingStrategy;

    fn decimal(mantissa: i128, scale: u32) -> Decimal {
        Decimal::from_i128_with_scale(mantissa, scale)
    }

    /// Mantissas from zero to the largest a decimal holds, weighted toward small ones, and
    /// every scale.
    fn any_decimal() -> impl Strategy<Value = Decimal> {
        let mantissa = prop_oneof![0i128..1_000, 0i128..1_000_000_000_000, 0i128..=MANTISSA_MAX as i128, Just(0), Just(10)];
        (mantissa, 0u32..=SCALE_MAX, any::<bool>()).prop_map(|(m, s, negative)| decimal(if negative { -m } else { m }, s))
    }

    /// What rating does without this module: the decimal product, moved or divided, rounded
    /// to the cent half away from zero with two places.
    fn charge_by_decimals(value: Decimal, price: Decimal, per: Decimal) -> Option<Decimal> {
        let exact = value.checked_mul(price).and_then(|x| x.checked_div(per))?;
        let mut cents = exact.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        cents.rescale(2);
        Some(cents)
    }

    proptest! {
        // Cheap cases, and money rides on them: many more than the default.
        #![proptest_config(ProptestConfig::with_cases(4096))]

        #[test]
        fn normalize_agrees_with_decimal(d in any_decimal()) {
            let (ours, theirs) = (normalize(d), d.normalize());
            prop_assert_eq!(ours, theirs);
            prop_assert_eq!(ours.to_string(), theirs.to_string());
        }

        #[test]
        fn cmp_and_sub_agree_with_decimal(a in any_decimal(), b in any_decimal()) {
            prop_assert_eq!(cmp(a, b), a.cmp(&b));
            let (ours, theirs) = (checked_sub(a, b), a.checked_sub(b));
            prop_assert_eq!(ours, theirs);
            prop_assert_eq!(ours.map(|d| d.scale()), theirs.map(|d| d.scale()));
        }

        #[test]
        fn charges_agree_with_decimal(
            value in any_decimal(),
            price in (0i128..10_000_000_000, 0u32..12).prop_map(|(m, s)| decimal(m, s)),
            k in 0u32..19,
        ) {
            let per = Decimal::from(10u64.pow(k));
            if let Some(cents) = charge_cents(value, price, per) {
                prop_assert_eq!(Some(decimal(cents, 2)), charge_by_decimals(value, price, per), "{} x {} / {}", value, price, per);
            }
        }
    }

    #[test]
    fn charges_of_everyday_values_are_answered_with_integers() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        for (value, price, per, cents) in [
            ("150000", "0.50", "10000", 750),
            ("10.000000001", "0.08", "1", 80),
            ("0.5", "0.01", "1", 1),
            ("0.4999", "0.01", "1", 0),
            ("123.456", "0.00002", "1", 0),
            ("1000000000000000000", "1000000", "1", 100_000_000_000_000_000_000_000_000),
        ] {
            assert_eq!(charge_cents(d(value), d(price), d(per)), Some(cents), "{value} x {price} / {per}");
            assert_eq!(charge_by_decimals(d(value), d(price), d(per)), Some(decimal(cents, 2)));
        }
        // Not a power of ten, or negative: left to the decimals.
        assert_eq!(charge_cents(d("10"), d("1"), d("3")), None);
        assert_eq!(charge_cents(d("-10"), d("1"), d("1")), None);
    }
}
