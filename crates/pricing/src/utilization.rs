//! A meter's use of its included quantity: the ratio, four places rounded toward zero, and
//! the thresholds of [`THRESHOLDS_PERCENT`] usage has reached, compared exactly
//! (used x 100 >= included x threshold), never through the rounded ratio.
//!
//! Both figures are whole-number questions once usage and quota are counted in one unit, so
//! the common case (both held in 64 bits) is answered with integers; anything else divides
//! decimals. The two give the same figures, which the tests check over random and extreme
//! values.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::RateError;
use crate::format::round_dp;
use crate::whole;

/// Utilization thresholds, in percent of an included quantity, that raise a notice.
pub const THRESHOLDS_PERCENT: [u32; 2] = [80, 100];

/// One meter's use of its included quantity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Utilization {
    /// Usage, in the meter's billing unit.
    pub used: Decimal,
    /// The tier's included quantity, in the same unit.
    pub included: Decimal,
    /// used / included, four places, rounded toward zero so a ratio never overstates.
    pub ratio: Decimal,
    /// Thresholds from [`THRESHOLDS_PERCENT`] that usage has reached.
    pub thresholds_crossed: Vec<u32>,
}

/// `value > 0`, without the general comparison's rescaling.
pub(crate) fn is_positive(value: Decimal) -> bool {
    !value.is_zero() && value.is_sign_positive()
}

/// How `used` stands against `included`; `None` when there is no quota (none, or zero).
pub(crate) fn utilization_of(used: Decimal, included: Option<Decimal>) -> Result<Option<Utilization>, RateError> {
    let Some(included) = included.filter(|i| is_positive(*i)) else { return Ok(None) };
    let (ratio, reached) = match whole_figures(used, included) {
        Some(figures) => figures,
        None => decimal_figures(used, included)?,
    };
    // Most meters cross no threshold: an empty list allocates nothing.
    let thresholds_crossed = THRESHOLDS_PERCENT.into_iter().zip(reached).filter_map(|(t, r)| r.then_some(t)).collect();
    Ok(Some(Utilization { used: whole::normalize(used), included: whole::normalize(included), ratio, thresholds_crossed }))
}

/// Refuses what [`utilization_of`] refuses, without working the figures out when they
/// cannot fail: with at least one unit included the ratio is no larger than the usage, which
/// rating bounds far inside a decimal.
pub(crate) fn check_utilization(used: Decimal, included: Option<Decimal>) -> Result<(), RateError> {
    match included {
        // A mantissa of 64 bits times 100 fits a decimal's 96: nothing can overflow.
        Some(inc) if inc >= Decimal::ONE && fits_u64(used) && fits_u64(inc) => Ok(()),
        Some(inc) if inc >= Decimal::ONE => {
            used.checked_mul(Decimal::ONE_HUNDRED).ok_or(RateError::Overflow)?;
            inc.checked_mul(Decimal::ONE_HUNDRED).ok_or(RateError::Overflow)?;
            Ok(())
        }
        _ => utilization_of(used, included).map(|_| ()),
    }
}

/// Whether `value`'s mantissa fits 64 bits.
fn fits_u64(value: Decimal) -> bool {
    u64::try_from(value.mantissa().unsigned_abs()).is_ok()
}

type Figures = (Decimal, [bool; THRESHOLDS_PERCENT.len()]);

/// The figures by dividing decimals: the general case.
fn decimal_figures(used: Decimal, included: Decimal) -> Result<Figures, RateError> {
    let exact = used.checked_div(included).ok_or(RateError::Overflow)?;
    let ratio = round_dp(exact, 4, rust_decimal::RoundingStrategy::ToZero).normalize();
    let used_percent = used.checked_mul(Decimal::ONE_HUNDRED).ok_or(RateError::Overflow)?;
    let mut reached = [false; THRESHOLDS_PERCENT.len()];
    for (r, t) in reached.iter_mut().zip(THRESHOLDS_PERCENT) {
        *r = used_percent >= included.checked_mul(Decimal::from(t)).ok_or(RateError::Overflow)?;
    }
    Ok((ratio, reached))
}

/// Past this many units (in the finer unit of the two), a decimal quotient's 28 digits could
/// round it across a fourth place, which the integers never do; both stay far below it here.
const WHOLE_LIMIT: u128 = 10u128.pow(22);

/// The figures with integers, when usage and a positive quota both stay under
/// [`WHOLE_LIMIT`] once counted in the finer unit of the two; `None` otherwise. Under the limit, a quotient that is not on a fourth place is at least
/// 1 / (quota x 10^4) from one, more than a decimal quotient's rounding can move it.
fn whole_figures(used: Decimal, included: Decimal) -> Option<Figures> {
    if used.is_sign_negative() && !used.is_zero() {
        return None;
    }
    // Both counted in the finer unit of the two; neither is negative.
    let (u, i, _) = whole::aligned(used, included)?;
    let (u, i) = (u128::try_from(u).ok()?, u128::try_from(i).ok()?);
    if u >= WHOLE_LIMIT || i >= WHOLE_LIMIT {
        return None;
    }
    // floor(used / included x 10^4): rounded toward zero to four places.
    // Most quotients are of 64-bit numbers, whose division is much cheaper.
    let scaled = u.checked_mul(10_000)?;
    let quotient = match (u64::try_from(scaled), u64::try_from(i)) {
        (Ok(x), Ok(y)) => u128::from(x / y),
        _ => scaled / i,
    };
    let ratio = whole::normalize(Decimal::try_from_i128_with_scale(i128::try_from(quotient).ok()?, 4).ok()?);
    let percent = u.checked_mul(100)?;
    // A quota x threshold past 128 bits is more than any usage x 100 here.
    let reached = THRESHOLDS_PERCENT.map(|t| i.checked_mul(u128::from(t)).is_some_and(|x| percent >= x));
    Some((ratio, reached))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// Whenever the integers answer, they answer as the decimals do; true when they answered.
    fn agree(used: Decimal, included: Decimal) -> bool {
        let Some(whole) = whole_figures(used, included) else { return false };
        let by_decimals = decimal_figures(used, included).expect("the decimals hold what the integers hold");
        assert_eq!(whole, by_decimals, "{used} of {included}");
        assert_eq!(whole.0.to_string(), by_decimals.0.to_string(), "{used} of {included}: the ratio's text");
        true
    }

    #[test]
    fn the_integers_give_the_decimals_figures() {
        for (used, included) in [
            ("0", "250000"),
            ("200000", "250000"),
            ("199999", "250000"),
            ("250000", "250000"),
            ("250001", "250000"),
            ("15.412345678", "50"),
            ("40", "50"),
            ("39.999999999", "50"),
            ("1", "3"),
            ("2", "3"),
            ("18446744073709551615", "1"),
            ("18446744073709551615", "0.0000000001"),
            ("0.000000001", "18446744073709551615"),
            ("1", "0.0000000000000000000000000001"),
            ("123.5", "0.25"),
        ] {
            agree(d(used), d(included));
        }
        let mut answered = 0;
        // Quotients just under and over a fourth place, with large quotas.
        for q in ["0.8", "1", "0.0001", "123456.7891"] {
            for inc in ["9999999999999999999", "7", "0.0000000007983237943", "18446744073.709551615"] {
                let (q, inc) = (d(q), d(inc));
                let on = q * inc;
                for used in [on, on - d("0.000000000001"), on + d("0.000000000001"), on - Decimal::new(1, on.scale())] {
                    answered += usize::from(agree(used.max(Decimal::ZERO), inc));
                }
            }
        }
        // A simple LCG over mantissas and scales of every size the decimals take.
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1442695040888963407);
            state
        };
        for _ in 0..200_000 {
            let (a, b, c) = (next(), next(), next());
            let used = Decimal::from_i128_with_scale(i128::from(a >> (a % 64)), (c % 29) as u32);
            let included = Decimal::from_i128_with_scale(i128::from((b >> (b % 64)).max(1)), ((c >> 8) % 29) as u32);
            answered += usize::from(agree(used, included));
        }
        // The integers answered often enough for the comparison to mean something.
        assert!(answered > 20_000, "the integers answered {answered} times");
    }

    #[test]
    fn common_quotas_take_the_integers() {
        // Whole requests of a whole quota, and bytes in GB against whole GB.
        assert!(whole_figures(d("200000"), d("250000")).is_some());
        assert!(whole_figures(d("15.412345678"), d("50")).is_some());
        let (ratio, reached) = utilization_of(d("40"), Some(d("50"))).unwrap().map(|u| (u.ratio, u.thresholds_crossed)).unwrap();
        assert_eq!((ratio.to_string(), reached), ("0.8".to_owned(), vec![80]));
    }
}
