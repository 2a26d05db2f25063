//! Quota notices and the offer each one carries.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::bill::Meter;

/// The upgrade offered (the cheapest higher tier that does not cap the usage), priced for
/// this period's projected usage as if changed today.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct UpgradeOffer {
    /// The tier offered.
    pub tier: String,
    /// What this period is projected to cost on that tier before credit.
    #[ts(type = "string")]
    pub projected_bill: Decimal,
    /// Current projected cost minus the upgrade's: positive saves money, negative costs more.
    #[ts(type = "string")]
    pub saving: Decimal,
    /// The upgrade is recommended: it costs no more than staying, or the current tier caps
    /// the usage (the upgrade quote's rule). Absent from notices stored before it: false.
    #[serde(default)]
    pub recommended: bool,
}

/// Prepaying the projected overage with burst credit packs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct CreditPackOffer {
    /// The fewest packs whose credit covers `projected_overage`.
    pub packs: u32,
    /// What those packs cost together.
    #[ts(type = "string")]
    pub price: Decimal,
    /// The projected overage not yet covered by credit.
    #[ts(type = "string")]
    pub projected_overage: Decimal,
}

/// What a notice suggests: an upgrade, burst credit packs, both or neither.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct NoticeOffer {
    /// `None` when no higher tier would leave the usage uncapped (on the last tier, say).
    pub upgrade: Option<UpgradeOffer>,
    /// `None` when the tier takes no packs, when credit already covers the projected overage,
    /// or when the projection is a rough guess (under a day of usage).
    pub credit_packs: Option<CreditPackOffer>,
}

/// A meter reached 80% or 100% of its included quantity this period. The notice stays until
/// the tier changes or the period ends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct Notice {
    /// The notice's id (`ntc_` and 20 hex digits).
    pub id: String,
    /// The meter that reached the threshold.
    pub meter: Meter,
    /// 80 or 100: the share of the tier's included quantity reached.
    pub threshold_percent: u32,
    /// The tier whose quota was reached.
    pub tier: String,
    /// The UTC day the threshold was reached.
    pub reached_on: NaiveDate,
    /// Days after today until the period ends.
    pub days_left: u32,
    /// What this period is projected to cost before credit, at the run rate.
    #[ts(type = "string")]
    pub projected_bill: Decimal,
    /// What the notice suggests doing about it.
    pub offer: NoticeOffer,
    /// One sentence for people ("Requests reached 80% of the 200,000 requests included on
    /// Production on Nov 18; 12 days left, projected to cost $23.00 this period.").
    pub message: String,
}

/// `GET /v1/account/notices`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct NoticeList {
    /// The open notices of this period, oldest first.
    pub notices: Vec<Notice>,
}
