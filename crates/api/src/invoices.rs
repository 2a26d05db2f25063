//! Invoices: closed billing periods, each frozen once its grace hour has passed.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
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

/// The most characters a payment's reference holds.
pub const MAX_PAYMENT_REFERENCE_CHARS: usize = 200;

/// Where an invoice stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    /// Closed with an amount due after credit, and no payment recorded yet.
    Due,
    /// Payments cover part of the total due.
    PartlyPaid,
    /// Payments cover the whole total due.
    Paid,
    /// Closed with nothing due: the base fee was zero and any overage was paid by credit.
    PaidByCredit,
}

/// A payment recorded against an invoice: money the operator's payment processor received.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct InvoicePayment {
    /// The payment's id (`pay_` and 20 hex digits).
    pub id: String,
    /// The invoice it pays.
    pub invoice_id: String,
    /// What was received, in the invoice's currency.
    #[ts(type = "string")]
    pub amount: Decimal,
    /// The payment processor's reference (a charge id); unique per invoice.
    pub reference: String,
    /// When the money was received.
    pub received_at: DateTime<Utc>,
    /// When the engine recorded it.
    pub recorded_at: DateTime<Utc>,
}

/// `POST /v1/admin/accounts/{account_id}/invoices/{invoice_id}/payments`: a payment received
/// for an invoice. The same reference recorded again for the invoice changes nothing and is
/// answered with the first payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ts_rs::TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequest {
    /// What was received, as a decimal string in the invoice's currency, in whole cents
    /// (`"40.46"`): above zero and at most what is still due.
    #[ts(type = "string")]
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub amount: Decimal,
    /// The currency code the amount is in (`"USD"`); when given, it must be the invoice's.
    #[serde(default)]
    pub currency: Option<String>,
    /// The payment processor's reference for the payment, such as its charge id: 1 to 200
    /// printable characters. It makes the request idempotent for the invoice.
    #[schemars(length(min = 1, max = MAX_PAYMENT_REFERENCE_CHARS))]
    pub reference: String,
    /// When the money was received: not in the future, and not before the billed period
    /// ended. Now when absent.
    #[serde(default)]
    pub received_at: Option<DateTime<Utc>>,
}

/// The answer to a recorded payment (or to its replay): the payment, and the invoice as it
/// stands with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct RecordedPayment {
    /// The payment; for a replayed reference, the one first recorded.
    pub payment: InvoicePayment,
    /// The invoice with every payment recorded so far.
    pub invoice: InvoiceSummary,
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
    /// Paid so far by the payments recorded against the invoice.
    #[ts(type = "string")]
    pub amount_paid: Decimal,
    /// When the payments came to the whole total (the latest payment's `received_at`);
    /// `null` until then.
    pub paid_at: Option<DateTime<Utc>>,
    /// `paid_by_credit` when `total` is zero; otherwise `paid` once payments cover it,
    /// `partly_paid` while they cover part of it, `due` before any payment.
    pub status: InvoiceStatus,
    /// The payments recorded against the invoice, by when they were received.
    pub payments: Vec<InvoicePayment>,
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
    /// Paid so far by recorded payments.
    #[ts(type = "string")]
    pub amount_paid: Decimal,
    /// When the payments came to the whole total; `null` until then.
    pub paid_at: Option<DateTime<Utc>>,
    /// `paid_by_credit`, `paid`, `partly_paid` or `due`, as on the [`Invoice`].
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
            amount_paid: self.amount_paid,
            paid_at: self.paid_at,
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
