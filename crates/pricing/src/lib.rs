//! Price books and the exact rating engine behind every edgecost bill.
//!
//! A [`PriceBook`] describes tiers, included quantities, overage rates, burst credit packs and
//! regional egress weights. [`PriceBook::rate`] turns usage totals into an itemized [`Bill`]
//! whose every line is exact to the cent, and [`PriceBook::compare`] prices the same usage on
//! every tier and recommends the cheapest option.
//!
//! ```
//! use edgecost_pricing::{PriceBook, RateOptions, Usage};
//!
//! let book = PriceBook::published();
//! // 350,000 requests and 60 GB of egress on production: 15 x $0.40 + 10 x $0.05 overage.
//! let usage = Usage::from_counters(350_000, 60_000_000_000, 0);
//! let bill = book.rate("production", &usage, &RateOptions::default()).unwrap();
//! assert_eq!(bill.total.to_string(), "25.50");
//! ```

#![warn(missing_docs)]

mod book;
pub mod bounds;
mod compare;
mod decimal;
mod error;
pub mod format;
mod grouping;
mod meter;
mod quantity;
mod rate;
pub mod shares;
mod utilization;
mod whole;

pub use book::{
    CreditPack, FORMAT_VERSION, InfrastructureCost, MeterQuantities, MeterRates, OverageRate, PriceBook, RegionWeight, Tier, UnitCost,
};
pub use compare::{
    Comparison, PACKS_PER_PURCHASE_MAX, Prepay, RANKING_RULE, Recommendation, TierOption, packs_to_cover, purchases_for, purchases_note,
};
pub use decimal::{money as deserialize_money, parse_decimal, quantity as deserialize_quantity};
pub use error::{PriceBookError, RateError};
pub use meter::{BYTES_PER_GB, Meter, Usage};
pub use quantity::{QUANTITY_EXAMPLES, QuantityError, parse_amount, parse_percent, parse_quantity};
pub use rate::{BaseFeeLine, BaseFeeShare, Bill, BillLine, BillTotals, RateOptions};
pub use utilization::{THRESHOLDS_PERCENT, Utilization};

/// Re-exported so callers name the same decimal type.
pub use rust_decimal::Decimal;
