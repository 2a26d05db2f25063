//! Invoices: closed billing periods, each frozen once its grace hour has passed.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::account::UsageTotals;
use crate::bill::Bill;

/// Invoices per page when the query names no `limit`.
pub const DEFAULT_INVOICE_PAGE: u32 = 24;
/// The most invoices one page holds.
pub const MAX_INVOICE_PAGE: u32 = 100;

/// `GET /v1/account/invoices?cursor=&limit=`: newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceQuery {
    /// `next_cursor` of the previous page; absent for the first page.
    pub cursor: Option<String>,
    /// Invoices per page, 1 to 100; 24 when absent.
    pub limit: Option<u32>,
}

/// Where an invoice stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    /// Closed with an amount due after credit.
    Due,
    /// Closed with nothing due: the base fee was zero and any overage was paid by credit.
    PaidByCredit,
}

/// Burst credit one pack paid on an invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct InvoiceCredit {
    /// The purchase entry of the pack in the credit ledger.
    pub pack_id: String,
    /// What the pack's credit paid of the period's overage.
    #[ts(type = "string")]
    pub amount: Decimal,
}

/// A closed period as the account was billed for it. Immutable once issued: late records are
/// refused after the grace hour, so nothing can change it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct Invoice {
    /// The invoice's id (`inv_` and 20 hex digits), for `GET /v1/account/invoices/{id}`.
    pub id: String,
    /// `INV-00001`, `INV-00002`, ... per account, in period order, without gaps.
    pub number: String,
    /// The first instant of the billed period (the 1st of the month, 00:00 UTC).
    pub period_start: DateTime<Utc>,
    /// The first instant after the billed period (the 1st of the next month, 00:00 UTC).
    pub period_end: DateTime<Utc>,
    /// The tier in effect at the period's end; `bill.base_fee_lines` has each tier's share.
    pub tier: String,
    /// The period's usage; the bill rates it (less anything a hard cap refused).
    pub totals: UsageTotals,
    /// The period's final bill: every line with its quantity and explanation, the credit
    /// applied and the total due.
    pub bill: Bill,
    /// Which packs paid the credit applied, largest first.
    pub credits: Vec<InvoiceCredit>,
    /// Before credit: base fees plus overage.
    #[ts(type = "string")]
    pub cost: Decimal,
    /// Paid from burst credit.
    #[ts(type = "string")]
    pub paid_by_credit: Decimal,
    /// Due after credit.
    #[ts(type = "string")]
    pub total: Decimal,
    /// `due` when `total` is above zero, `paid_by_credit` otherwise.
    pub status: InvoiceStatus,
    /// When the engine closed the period into this invoice.
    pub issued_at: DateTime<Utc>,
}

/// One line of the invoice list: the [`Invoice`] without its usage, bill and credits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct InvoiceSummary {
    /// The invoice's id, for `GET /v1/account/invoices/{id}`.
    pub id: String,
    /// `INV-00001`, `INV-00002`, ... per account, in period order.
    pub number: String,
    /// The first instant of the billed period.
    pub period_start: DateTime<Utc>,
    /// The first instant after the billed period.
    pub period_end: DateTime<Utc>,
    /// The tier in effect at the period's end.
    pub tier: String,
    /// Before credit: base fees plus overage.
    #[ts(type = "string")]
    pub cost: Decimal,
    /// Paid from burst credit.
    #[ts(type = "string")]
    pub paid_by_credit: Decimal,
    /// Due after credit.
    #[ts(type = "string")]
    pub total: Decimal,
    /// `due` when `total` is above zero, `paid_by_credit` otherwise.
    pub status: InvoiceStatus,
}

impl Invoice {
    /// The invoice's line in the invoice list.
    pub fn summary(&self) -> InvoiceSummary {
        InvoiceSummary {
            id: self.id.clone(),
            number: self.number.clone(),
            period_start: self.period_start,
            period_end: self.period_end,
            tier: self.tier.clone(),
            cost: self.cost,
            paid_by_credit: self.paid_by_credit,
            total: self.total,
            status: self.status,
        }
    }
}

/// `GET /v1/account/invoices`: one page of the account's invoices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct InvoicePage {
    /// Newest period first.
    pub invoices: Vec<InvoiceSummary>,
    /// Pass as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}
