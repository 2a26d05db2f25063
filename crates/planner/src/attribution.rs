//! Which routes and regions drive the bill.
//!
//! Each meter's overage charge (its bill line) is attributed to routes, and separately to
//! regions, in proportion to their usage of that meter: requests by requests, compute by compute
//! seconds, egress by billable egress bytes. The base fee is not attributed: it is owed whatever
//! the routes do. Shares are whole cents found by the largest remainder method: every share is
//! first rounded down, then the cents left over go one each to the largest remainders (ties to
//! the earlier route), so the shares of a line always add up to that line to the cent.

use edgecost_pricing::{Bill, Decimal, Meter};
use rust_decimal::prelude::ToPrimitive;

use crate::error::PlanError;
use crate::quantity::QUANTITY_SCALE;
use crate::usage::Contribution;

/// Splits `amount` (whole cents) in proportion to `weights`; the result adds up to `amount`.
///
/// Weights are fixed-point quantities at [`QUANTITY_SCALE`] places, so the split is done in
/// exact integer arithmetic. With all weights zero, nothing can be attributed and every share
/// is zero (a bill line is only non-zero when some usage drove it).
pub fn allocate_cents(amount: Decimal, weights: &[Decimal]) -> Result<Vec<Decimal>, PlanError> {
    let cents = (amount * Decimal::ONE_HUNDRED).trunc().to_i128().ok_or(PlanError::Overflow)?;
    let scale = Decimal::from(10u64.pow(QUANTITY_SCALE));
    let units: Vec<i128> = weights
        .iter()
        .map(|w| (w.max(&Decimal::ZERO) * scale).trunc().to_i128().ok_or(PlanError::Overflow))
        .collect::<Result<_, _>>()?;
    let total: i128 = units.iter().try_fold(0i128, |acc, u| acc.checked_add(*u)).ok_or(PlanError::Overflow)?;
    if total == 0 || cents == 0 {
        return Ok(vec![Decimal::new(0, 2); weights.len()]);
    }
    let mut shares = Vec::with_capacity(units.len());
    let mut remainders = Vec::with_capacity(units.len());
    let mut given: i128 = 0;
    for (i, u) in units.iter().enumerate() {
        let product = cents.checked_mul(*u).ok_or(PlanError::Overflow)?;
        shares.push(product / total);
        remainders.push((product % total, i));
        given += product / total;
    }
    let left = usize::try_from(cents - given).map_err(|_| PlanError::Overflow)?;
    // Largest remainder first; equal remainders go to the earlier index.
    remainders.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in remainders.iter().take(left) {
        shares[*i] += 1;
    }
    debug_assert_eq!(shares.iter().sum::<i128>(), cents);
    shares
        .into_iter()
        .map(|c| i64::try_from(c).map(|c| Decimal::new(c, 2)).map_err(|_| PlanError::Overflow))
        .collect()
}

/// The overage charge of each meter attributed over `parts` (routes or regions); the returned
/// rows are `[requests, egress, compute]` charges per part, each meter adding up to its line.
pub fn attribute(bill: &Bill, parts: &[&Contribution]) -> Result<Vec<[Decimal; 3]>, PlanError> {
    let mut rows = vec![[Decimal::new(0, 2); 3]; parts.len()];
    for (column, meter) in Meter::ALL.iter().enumerate() {
        let amount = bill.lines.iter().find(|l| l.meter == *meter).map_or(Decimal::ZERO, |l| l.amount);
        let weights: Vec<Decimal> = parts
            .iter()
            .map(|c| match meter {
                Meter::Requests => c.requests,
                Meter::Egress => c.billable_egress_bytes,
                Meter::Compute => c.compute_seconds,
            })
            .collect();
        for (row, share) in rows.iter_mut().zip(allocate_cents(amount, &weights)?) {
            row[column] = share;
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn thirds_give_the_odd_cent_to_the_first_route() {
        let shares = allocate_cents(d("1.00"), &[d("1"), d("1"), d("1")]).unwrap();
        assert_eq!(shares, vec![d("0.34"), d("0.33"), d("0.33")]);
    }

    #[test]
    fn the_largest_remainder_gets_the_cent() {
        // 10 cents over 1:2:4 is 1.43, 2.86 and 5.71 cents: floors 1 + 2 + 5 = 8, and the two
        // cents left go to the largest remainders, .86 and .71 of a cent.
        let shares = allocate_cents(d("0.10"), &[d("1"), d("2"), d("4")]).unwrap();
        assert_eq!(shares, vec![d("0.01"), d("0.03"), d("0.06")]);
    }

    #[test]
    fn nothing_to_attribute_without_usage() {
        assert_eq!(allocate_cents(d("5.00"), &[d("0"), d("0")]).unwrap(), vec![d("0"), d("0")]);
    }
}
