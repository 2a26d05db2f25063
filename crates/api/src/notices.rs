//! Quota notices and the offer each one carries.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::bill::Meter;

/// The recommended upgrade (the cheapest higher tier that does not cap the usage), priced for
/// this period's projected usage as if changed today.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct UpgradeOffer {
    pub tier: String,
    /// What this period is projected to cost on that tier before credit.
    #[ts(type = "string")]
    pub projected_bill: Decimal,
    /// Current projected cost minus the upgrade's: positive saves money, negative costs more.
    #[ts(type = "string")]
    pub saving: Decimal,
}

/// Prepaying the projected overage with burst credit packs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct CreditPackOffer {
    pub packs: u32,
    #[ts(type = "string")]
    pub price: Decimal,
    /// The projected overage not yet covered by credit.
    #[ts(type = "string")]
    pub projected_overage: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct NoticeOffer {
    /// `None` on the last tier.
    pub upgrade: Option<UpgradeOffer>,
    /// `None` when the tier takes no packs or no overage is projected.
    pub credit_packs: Option<CreditPackOffer>,
}

/// A meter reached 80% or 100% of its included quantity this period. The notice stays until
/// the tier changes or the period ends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct Notice {
    pub id: String,
    pub meter: Meter,
    pub threshold_percent: u32,
    /// The tier whose quota was reached.
    pub tier: String,
    /// The UTC day the threshold was reached.
    pub reached_on: NaiveDate,
    pub days_left: u32,
    /// What this period is projected to cost before credit, at the run rate.
    #[ts(type = "string")]
    pub projected_bill: Decimal,
    pub offer: NoticeOffer,
    pub message: String,
}

/// `GET /v1/account/notices`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct NoticeList {
    pub notices: Vec<Notice>,
}
