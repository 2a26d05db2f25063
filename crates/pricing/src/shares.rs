//! Splitting a whole into parts that add up to it exactly: cents of a bill line over routes,
//! percentages that total 100.
//!
//! Every split in edgecost goes through [`largest_remainder`], so the rule is the same
//! everywhere: each part is first rounded down, then the units left over go one each to the
//! parts with the largest remainders; equal remainders go to the earlier part. The result
//! always adds up to the total (or is all zeros when every weight is zero).
//!
//! ```
//! use edgecost_pricing::Decimal;
//! use edgecost_pricing::shares::{largest_remainder, percentages};
//!
//! // 10 cents over 1:2:4 is 1.43, 2.86 and 5.71 cents: 1 + 3 + 6.
//! let parts = largest_remainder(&[Decimal::from(1), Decimal::from(2), Decimal::from(4)], 10).unwrap();
//! assert_eq!(parts, vec![1, 3, 6]);
//! // Three equal shares of 100%: 34 + 33 + 33, never 33 + 33 + 33.
//! assert_eq!(percentages(&[Decimal::ONE; 3]).unwrap(), vec![34, 33, 33]);
//! ```

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

/// Why a split could not be made exactly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShareError {
    /// A weight below zero; a part of a whole is never negative.
    #[error("weight {value} is negative; a share must be zero or more")]
    NegativeWeight {
        /// The weight as given.
        value: String,
    },
    /// The weights or the total are too large to split in exact integer arithmetic.
    #[error("the weights or the total are too large to split exactly")]
    Overflow,
}

impl ShareError {
    /// A stable, machine-readable code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            ShareError::NegativeWeight { .. } => "negative_share",
            ShareError::Overflow => "overflow",
        }
    }
}

/// Splits `total` whole units in proportion to `weights` by the largest remainder method.
///
/// The parts add up to `total` exactly, unless every weight is zero: then nothing can be
/// apportioned and every part is zero. Each part is within one unit of its exact share.
/// Weights are exact decimals of any scale; they are brought to a common scale and the split
/// is done in integer arithmetic, so it never depends on float or decimal rounding.
pub fn largest_remainder(weights: &[Decimal], total: u128) -> Result<Vec<u128>, ShareError> {
    if let Some(w) = weights.iter().find(|w| w.is_sign_negative() && !w.is_zero()) {
        return Err(ShareError::NegativeWeight { value: w.to_string() });
    }
    let units = integer_weights(weights)?;
    let sum = units.iter().try_fold(0u128, |acc, u| acc.checked_add(*u)).ok_or(ShareError::Overflow)?;
    if sum == 0 || total == 0 {
        return Ok(vec![0; weights.len()]);
    }
    let mut parts = Vec::with_capacity(units.len());
    let mut remainders = Vec::with_capacity(units.len());
    let mut given: u128 = 0;
    for (i, u) in units.iter().enumerate() {
        let product = total.checked_mul(*u).ok_or(ShareError::Overflow)?;
        parts.push(product / sum);
        remainders.push((product % sum, i));
        given += product / sum;
    }
    // The floors lose less than one unit each, so fewer units are left than there are parts.
    let left = usize::try_from(total - given).map_err(|_| ShareError::Overflow)?;
    remainders.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in remainders.iter().take(left) {
        parts[*i] += 1;
    }
    debug_assert_eq!(parts.iter().sum::<u128>(), total);
    Ok(parts)
}

/// Whole percentages of `weights` that add up to exactly 100 (all zero when every weight is
/// zero), by [`largest_remainder`].
pub fn percentages(weights: &[Decimal]) -> Result<Vec<u32>, ShareError> {
    let parts = largest_remainder(weights, 100)?;
    // Each part is at most 100.
    Ok(parts.into_iter().map(|p| p as u32).collect())
}

/// `part / whole` in percent, rounded half away from zero to `places` decimal places
/// (18.965 -> 18.97, -0.985 -> -0.99 at two places); `None` when `whole` is zero or the
/// ratio is too large to hold.
pub fn percent(part: Decimal, whole: Decimal, places: u32) -> Option<Decimal> {
    if whole.is_zero() {
        return None;
    }
    let exact = part.checked_mul(Decimal::ONE_HUNDRED)?.checked_div(whole)?;
    let mut rounded = exact.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(places);
    Some(rounded)
}

/// The weights as integers at their largest common scale.
fn integer_weights(weights: &[Decimal]) -> Result<Vec<u128>, ShareError> {
    let scale = weights.iter().map(|w| w.normalize().scale()).max().unwrap_or(0);
    weights
        .iter()
        .map(|w| {
            let w = w.normalize();
            let mantissa = u128::try_from(w.mantissa()).map_err(|_| ShareError::Overflow)?;
            let up = 10u128.checked_pow(scale - w.scale()).ok_or(ShareError::Overflow)?;
            mantissa.checked_mul(up).ok_or(ShareError::Overflow)
        })
        .collect()
}

/// A whole number of units as a decimal with `scale` places: cents are `to_decimal(c, 2)`.
pub fn to_decimal(units: u128, scale: u32) -> Option<Decimal> {
    let units = i128::try_from(units).ok()?;
    Decimal::try_from_i128_with_scale(units, scale).ok()
}

/// A non-negative amount in whole units of `10^-scale` (cents at scale 2), cut toward zero.
pub fn to_units(amount: Decimal, scale: u32) -> Option<u128> {
    if amount.is_sign_negative() && !amount.is_zero() {
        return None;
    }
    let factor = Decimal::from_i128_with_scale(10i128.checked_pow(scale)?, 0);
    amount.checked_mul(factor)?.trunc().to_u128()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn shares_that_truncate_to_98_percent_add_up_to_100() {
        // Cut to whole percents, 33.5/33.5/33 read 33 + 33 + 33 = 99; 1:1:1:1:2 reads 16 x 4 + 33 = 97.
        assert_eq!(percentages(&[d("0.335"), d("0.335"), d("0.33")]).unwrap(), vec![34, 33, 33]);
        let sixths = percentages(&[d("1"), d("1"), d("1"), d("1"), d("2")]).unwrap();
        assert_eq!(sixths.iter().sum::<u32>(), 100);
        assert_eq!(sixths, vec![17, 17, 17, 16, 33]);
    }

    #[test]
    fn percent_rounds_half_away_from_zero_not_toward_it() {
        assert_eq!(percent(d("-0.98"), d("100"), 0).unwrap().to_string(), "-1");
        assert_eq!(percent(d("18.97"), d("100"), 0).unwrap().to_string(), "19");
        assert_eq!(percent(d("18.965"), d("100"), 2).unwrap().to_string(), "18.97");
        assert_eq!(percent(d("-0.985"), d("100"), 2).unwrap().to_string(), "-0.99");
        assert_eq!(percent(d("1"), d("8"), 1).unwrap().to_string(), "12.5");
        assert_eq!(percent(d("1"), d("0"), 1), None);
    }

    #[test]
    fn refuses_negative_weights_and_splits_nothing_over_zero_weights() {
        assert!(matches!(largest_remainder(&[d("-1"), d("2")], 5), Err(ShareError::NegativeWeight { .. })));
        assert_eq!(largest_remainder(&[d("0"), d("0")], 5).unwrap(), vec![0, 0]);
    }

    #[test]
    fn extreme_weights_give_an_error_not_a_panic() {
        let huge = [Decimal::MAX, Decimal::MAX, d("0.0000000000000000000000000001")];
        assert_eq!(largest_remainder(&huge, u128::MAX), Err(ShareError::Overflow));
    }

    proptest! {
        #[test]
        fn allocations_always_add_up_to_the_total(
            weights in proptest::collection::vec((0u64..1_000_000_000_000, 0u32..10), 1..40),
            total in 0u128..100_000_000_000_000,
        ) {
            let weights: Vec<Decimal> = weights.iter().map(|(m, s)| Decimal::new(*m as i64, *s)).collect();
            let parts = largest_remainder(&weights, total).unwrap();
            prop_assert_eq!(parts.len(), weights.len());
            let all_zero = weights.iter().all(|w| w.is_zero());
            let sum: u128 = parts.iter().sum();
            prop_assert_eq!(sum, if all_zero { 0 } else { total });
            // Each part is within one unit of its exact share.
            let wsum: Decimal = weights.iter().sum();
            if !all_zero && total < 1_000_000_000 {
                for (w, p) in weights.iter().zip(&parts) {
                    let exact = *w * Decimal::from(total as u64) / wsum;
                    prop_assert!((Decimal::from(*p as u64) - exact).abs() < Decimal::ONE);
                }
            }
        }

        #[test]
        fn percentages_total_100(weights in proptest::collection::vec(0u32..1000, 1..20)) {
            let weights: Vec<Decimal> = weights.into_iter().map(Decimal::from).collect();
            let p = percentages(&weights).unwrap();
            let expected = if weights.iter().all(|w| w.is_zero()) { 0 } else { 100 };
            prop_assert_eq!(p.iter().sum::<u32>(), expected);
        }
    }
}
