//! Bounds on every quantity and amount the pricing core accepts.
//!
//! Each bound is far above any real account (the busiest edge services serve well under
//! 10^13 requests a month) and low enough that rating can never overflow an exact decimal:
//! the largest overage line is [`REQUESTS_MAX`] x [`RATE_PRICE_MAX`] / [`RATE_PER_MIN`] =
//! 10^24, four orders of magnitude inside `Decimal::MAX` (about 7.9 x 10^28). Parsers (the CLI,
//! plan files, price books) refuse a value past its bound with the bound in the message, and
//! rating refuses usage past it with [`crate::RateError::UsageTooLarge`], so no input reaches
//! arithmetic that could overflow. The same numbers are stated in `docs/billing-rules.md`.

use rust_decimal::Decimal;

use crate::meter::Meter;

/// Requests in one period (10^18).
pub const REQUESTS_MAX: Decimal = Decimal::from_parts(2_808_348_672, 232_830_643, 0, false, 0);
/// Billable egress in one period, in bytes (10^24 bytes = 10^15 GB).
pub const EGRESS_BYTES_MAX: Decimal = Decimal::from_parts(2_701_131_776, 466_537_709, 54_210, false, 0);
/// Billable egress in one period, in GB of 10^9 bytes (10^15 GB).
pub const EGRESS_GB_MAX: Decimal = Decimal::from_parts(2_764_472_320, 232_830, 0, false, 0);
/// Compute seconds in one period (10^15 seconds).
pub const COMPUTE_SECONDS_MAX: Decimal = Decimal::from_parts(2_764_472_320, 232_830, 0, false, 0);
/// Any money amount: a base fee, a pack's price or credit, a credit balance (10^12).
pub const MONEY_MAX: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0);
/// An overage rate's price for one block of `per` units (10^6).
pub const RATE_PRICE_MAX: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);
/// The smallest block an overage rate is priced per: one unit (a request, a GB, a second).
pub const RATE_PER_MIN: Decimal = Decimal::ONE;
/// The largest block an overage rate is priced per (10^18 units).
pub const RATE_PER_MAX: Decimal = REQUESTS_MAX;
/// A region's egress weight (at most 100; more than zero).
pub const REGION_WEIGHT_MAX: Decimal = Decimal::ONE_HUNDRED;

/// A tier's request-rate limit, in requests a second (at most 10^9).
pub const RATE_LIMIT_RPS_MAX: u32 = 1_000_000_000;
/// A tier's metric retention, in days (at most ten years).
pub const METRIC_RETENTION_DAYS_MAX: u32 = 3_650;

/// The bound of one meter's quantity per period, in the unit bill lines use (egress in GB).
pub fn meter_max(meter: Meter) -> Decimal {
    match meter {
        Meter::Requests => REQUESTS_MAX,
        Meter::Egress => EGRESS_GB_MAX,
        Meter::Compute => COMPUTE_SECONDS_MAX,
    }
}

/// Whether `amount` is a whole number of cents (at most two decimal places once trailing
/// zeros are dropped), as every amount a ledger stores must be.
pub fn is_whole_cents(amount: Decimal) -> bool {
    amount.normalize().scale() <= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pow10(n: u32) -> Decimal {
        (0..n).fold(Decimal::ONE, |acc, _| acc * Decimal::TEN)
    }

    #[test]
    fn bounds_are_the_documented_powers_of_ten() {
        assert_eq!(REQUESTS_MAX, pow10(18));
        assert_eq!(EGRESS_BYTES_MAX, pow10(24));
        assert_eq!(EGRESS_GB_MAX, pow10(15));
        assert_eq!(COMPUTE_SECONDS_MAX, pow10(15));
        assert_eq!(MONEY_MAX, pow10(12));
        assert_eq!(RATE_PRICE_MAX, pow10(6));
        // The largest line stays far inside a decimal.
        let line = REQUESTS_MAX.checked_mul(RATE_PRICE_MAX).and_then(|x| x.checked_div(RATE_PER_MIN));
        assert!(line.is_some_and(|l| l < pow10(25)));
    }

    #[test]
    fn whole_cents_ignore_trailing_zeros() {
        assert!(is_whole_cents("25.00".parse().unwrap()));
        assert!(is_whole_cents("25.5000".parse().unwrap()));
        assert!(!is_whole_cents("25.005".parse().unwrap()));
    }
}
