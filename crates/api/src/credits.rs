//! Burst credit packs and the credit ledger.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The most burst credit packs one purchase or quote may name (at least one).
pub const MAX_PACKS_PER_PURCHASE: u32 = edgecost_pricing::PACKS_PER_PURCHASE_MAX;

/// `POST /v1/account/credits`, sent with an `Idempotency-Key` header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ts_rs::TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditPurchaseRequest {
    /// Packs to buy, 1 to 100.
    #[schemars(range(min = 1, max = MAX_PACKS_PER_PURCHASE))]
    pub packs: u32,
}

/// The answer to a purchase; the same idempotency key returns this same answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct CreditPurchase {
    /// The ledger entry of the purchase; consumption entries name it as their pack.
    pub purchase_id: String,
    /// Packs bought.
    pub packs: u32,
    /// What the packs cost: the pack price times `packs`.
    #[ts(type = "string")]
    pub price_paid: Decimal,
    /// Credit the packs added at face value: the pack credit times `packs`.
    #[ts(type = "string")]
    pub credit_added: Decimal,
    /// Credit spent at once on this period's unpaid overage.
    #[ts(type = "string")]
    pub consumed_now: Decimal,
    /// Balance right after the purchase and that consumption.
    #[ts(type = "string")]
    pub balance: Decimal,
    /// When the purchase was made (the first time, for a repeated idempotency key).
    pub purchased_at: DateTime<Utc>,
}

/// What a ledger entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LedgerEntryKind {
    /// Credit bought: a positive amount.
    Purchase,
    /// Credit spent on overage: a negative amount, naming its pack and the overage it paid.
    Consumption,
    /// A correction, such as credit returned when an upgrade lowered the period's overage.
    Adjustment,
}

/// The slice of a period's overage a consumption paid: overage amounts `from` to `to` of the
/// period starting `period_start`, as rated with usage up to `usage_through`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct PaidOverage {
    /// The start of the billing period whose overage was paid.
    pub period_start: DateTime<Utc>,
    /// How much of the period's overage was already paid before this entry.
    #[ts(type = "string")]
    pub from: Decimal,
    /// How much of the period's overage is paid once this entry is counted.
    #[ts(type = "string")]
    pub to: Decimal,
    /// The instant the period's usage was rated at when the overage was paid.
    pub usage_through: DateTime<Utc>,
}

/// One movement of credit. The balance is the sum of all entries and never negative.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct LedgerEntry {
    /// The entry's id (`led_` and 24 hex digits).
    pub id: String,
    /// 1, 2, 3, ... per account, without gaps.
    pub sequence: u32,
    /// What the entry records.
    pub kind: LedgerEntryKind,
    /// Signed: positive adds credit, negative spends it.
    #[ts(type = "string")]
    pub amount: Decimal,
    /// The balance once this entry is counted: the sum of the entries up to it.
    #[ts(type = "string")]
    pub balance_after: Decimal,
    /// For a consumption or a return: the purchase entry the credit belongs to. `None` for a
    /// purchase.
    pub pack_id: Option<String>,
    /// For a consumption or a return: the slice of overage it paid or gave back. `None` for a
    /// purchase.
    pub paid_overage: Option<PaidOverage>,
    /// One line for people: what was bought or paid ("paid overage $0.00 to $3.20 of this
    /// period").
    pub note: String,
    /// For a purchase made by automatic top-up: the sequence of the entry after which the
    /// balance was below the top-up threshold (the crossing that caused it; 0 when the balance
    /// was below it from the start). `None` for a purchase the owner made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub auto_top_up_after: Option<u32>,
    /// When the entry was written.
    pub created_at: DateTime<Utc>,
}

/// `GET /v1/account/credits`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct CreditLedger {
    /// Unspent credit: the sum of all entries.
    #[ts(type = "string")]
    pub balance: Decimal,
    /// Oldest first.
    pub entries: Vec<LedgerEntry>,
}
