//! Meters and usage totals.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Bytes in one GB: egress is priced per 10^9 bytes.
pub const BYTES_PER_GB: u64 = 1_000_000_000;

/// Something the service measures and may charge for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Meter {
    /// Requests served, counted one by one.
    Requests,
    /// Bytes sent to clients, billed in GB (10^9 bytes) after region weights.
    Egress,
    /// Compute time, billed in seconds.
    Compute,
}

impl Meter {
    /// Every meter, in display order.
    pub const ALL: [Meter; 3] = [Meter::Requests, Meter::Egress, Meter::Compute];

    /// The meter's id as it appears in JSON.
    pub fn id(self) -> &'static str {
        match self {
            Meter::Requests => "requests",
            Meter::Egress => "egress",
            Meter::Compute => "compute",
        }
    }

    /// The unit a bill line's quantities are in.
    pub fn unit(self) -> &'static str {
        match self {
            Meter::Requests => "requests",
            Meter::Egress => "GB",
            Meter::Compute => "seconds",
        }
    }

    /// The key the price book uses for this meter's quantities.
    pub fn book_key(self) -> &'static str {
        match self {
            Meter::Requests => "requests",
            Meter::Egress => "egress_gb",
            Meter::Compute => "compute_seconds",
        }
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Meter::Requests => "Requests",
            Meter::Egress => "Egress",
            Meter::Compute => "Compute",
        }
    }
}

impl std::fmt::Display for Meter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// Usage totals for one billing period. Egress is billable egress: bytes already weighted by
/// region (see [`crate::PriceBook::region_weight`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Requests served.
    pub requests: Decimal,
    /// Billable egress in bytes (already weighted by region; may hold a fraction).
    pub egress_bytes: Decimal,
    /// Compute time in seconds.
    pub compute_seconds: Decimal,
}

impl Usage {
    /// Usage from whole counters, as edge nodes report them.
    pub fn from_counters(requests: u64, egress_bytes: u64, compute_ms: u64) -> Usage {
        Usage {
            requests: Decimal::from(requests),
            egress_bytes: Decimal::from(egress_bytes),
            // Exact: dividing by a power of ten only moves the decimal point.
            compute_seconds: Decimal::from(compute_ms) / Decimal::from(1000u32),
        }
    }

    /// The quantity of one meter in the unit bill lines use (egress in GB).
    pub fn quantity(&self, meter: Meter) -> Decimal {
        match meter {
            Meter::Requests => self.requests,
            Meter::Egress => self.egress_bytes / Decimal::from(BYTES_PER_GB),
            Meter::Compute => self.compute_seconds,
        }
    }

    /// Usage with every meter scaled by `factor`, as for a projection.
    pub fn scaled(&self, factor: Decimal) -> Option<Usage> {
        Some(Usage {
            requests: self.requests.checked_mul(factor)?,
            egress_bytes: self.egress_bytes.checked_mul(factor)?,
            compute_seconds: self.compute_seconds.checked_mul(factor)?,
        })
    }

    /// The sum of two usages.
    pub fn checked_add(&self, other: &Usage) -> Option<Usage> {
        Some(Usage {
            requests: self.requests.checked_add(other.requests)?,
            egress_bytes: self.egress_bytes.checked_add(other.egress_bytes)?,
            compute_seconds: self.compute_seconds.checked_add(other.compute_seconds)?,
        })
    }
}
