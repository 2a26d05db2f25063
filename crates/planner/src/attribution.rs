//! Which routes and regions drive the bill.
//!
//! Each meter's overage charge (its bill line) is attributed to routes, and separately to
//! regions, in proportion to their usage of that meter: requests by requests, compute by compute
//! seconds, egress by billable egress bytes. The base fee is not attributed: it is owed whatever
//! the routes do. Shares are whole cents found by the largest remainder method of
//! [`edgecost_pricing::shares`]: every share is first rounded down, then the cents left over go
//! one each to the largest remainders (ties to the earlier route), so the shares of a line
//! always add up to that line to the cent.

use edgecost_pricing::shares::{largest_remainder, to_decimal, to_units};
use edgecost_pricing::{Bill, Decimal, Meter};

use crate::error::PlanError;
use crate::usage::Contribution;

/// Splits `amount` (whole cents) in proportion to `weights`; the result adds up to `amount`.
///
/// The split is [`edgecost_pricing::shares::largest_remainder`] over the cents, in exact
/// integer arithmetic. Negative weights count as zero. With all weights zero, nothing can be
/// attributed and every share is zero (a bill line is only non-zero when some usage drove it).
pub fn allocate_cents(amount: Decimal, weights: &[Decimal]) -> Result<Vec<Decimal>, PlanError> {
    let cents = to_units(amount, 2).ok_or(PlanError::Overflow)?;
    let weights: Vec<Decimal> = weights.iter().map(|w| (*w).max(Decimal::ZERO)).collect();
    let parts = largest_remainder(&weights, cents).map_err(|_| PlanError::Overflow)?;
    parts.into_iter().map(|c| to_decimal(c, 2).ok_or(PlanError::Overflow)).collect()
}

/// The overage charge of each meter attributed over `parts` (routes or regions); the returned
/// rows are `[requests, egress, compute]` charges per part, each meter adding up to its line.
pub fn attribute(bill: &Bill, parts: &[&Contribution]) -> Result<Vec<[Decimal; 3]>, PlanError> {
    let mut rows = vec![[Decimal::new(0, 2); 3]; parts.len()];
    for (column, meter) in Meter::ALL.iter().enumerate() {
        let amount = bill.lines.iter().find(|l| l.meter == *meter).map_or(Decimal::new(0, 2), |l| l.amount);
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
        let none = allocate_cents(d("5.00"), &[d("0"), d("0")]).unwrap();
        assert_eq!(none.iter().map(|c| c.to_string()).collect::<Vec<_>>(), ["0.00", "0.00"]);
    }

    #[test]
    fn extreme_weights_are_an_error_not_a_panic() {
        // 10^15 requests x 10^12-byte responses used to overflow `weight x 10^6` and panic.
        let huge = d("1000000000000000000000000000");
        let shares = allocate_cents(d("5.00"), &[huge, huge, Decimal::MAX]).unwrap();
        assert_eq!(shares.iter().sum::<Decimal>(), d("5.00"));
        assert!(allocate_cents(Decimal::MAX, &[Decimal::MAX, d("0.0000000000000000000000000001")]).is_err());
    }
}
