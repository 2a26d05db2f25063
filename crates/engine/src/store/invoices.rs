//! Storage of issued invoices: which periods have one, issuing them in number order, and
//! reading them back; and the payments recorded against them. Shared by both backends like
//! [`super::common`]'s queries.

use async_trait::async_trait;
use edgecost_api::Invoice;

use super::{InvoiceRow, NewInvoice};
use crate::error::{EngineError, Result};

/// A payment recorded against an invoice (the `invoice_payments` table).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct PaymentRow {
    pub id: String,
    pub invoice_id: String,
    pub reference: String,
    pub amount_cents: i64,
    pub received_at: i64,
    pub recorded_at: i64,
}

/// Decides on a payment from the invoice (as stored) and the payments it has: the payment to
/// insert, `None` to write nothing (a replay), or a refusal.
pub(crate) type PaymentDecide<'a> = &'a (dyn Fn(&InvoiceRow, &[PaymentRow]) -> Result<Option<PaymentRow>> + Send + Sync);

/// The invoice a stored body holds. Bodies stored before payments were recorded lack the
/// payment fields; they read as unpaid (the engine works those fields out from the payments
/// anyway).
pub(crate) fn stored_invoice(body: &str) -> Result<Invoice> {
    let corrupt = |e: serde_json::Error| EngineError::CorruptRow { reason: format!("stored invoice: {e}") };
    let mut value: serde_json::Value = serde_json::from_str(body).map_err(corrupt)?;
    if let Some(fields) = value.as_object_mut() {
        fields.entry("amount_paid").or_insert_with(|| serde_json::Value::String("0.00".to_owned()));
        fields.entry("paid_at").or_insert(serde_json::Value::Null);
        fields.entry("payments").or_insert_with(|| serde_json::Value::Array(Vec::new()));
    }
    serde_json::from_value(value).map_err(corrupt)
}

#[async_trait]
pub(crate) trait InvoiceStore: Send + Sync {
    /// The period starts of the account's issued invoices.
    async fn invoiced_periods(&self, account_id: &str) -> Result<Vec<i64>>;
    /// Issues those of `invoices` (in period order) whose period has none yet, numbered after
    /// the account's last, in one transaction that holds the account: concurrent closers
    /// issue each period once.
    async fn issue_invoices(&self, account_id: &str, invoices: &[NewInvoice]) -> Result<()>;
    /// Up to `limit` invoices numbered below `before` (any, when `None`), newest first.
    async fn invoices(&self, account_id: &str, before: Option<i64>, limit: i64) -> Result<Vec<InvoiceRow>>;
    /// The account's invoice `id`; `None` for an id it does not have.
    async fn invoice(&self, account_id: &str, id: &str) -> Result<Option<InvoiceRow>>;
    /// The id of the account's invoice numbered `number`; `None` when it has none.
    async fn invoice_id_by_number(&self, account_id: &str, number: i64) -> Result<Option<String>>;
    /// The payments of the account's invoices numbered `first` to `last`, oldest received first.
    async fn payments(&self, account_id: &str, first: i64, last: i64) -> Result<Vec<PaymentRow>>;
    /// In one transaction that holds the invoice: reads the account's invoice `invoice_id` and
    /// its payments, and inserts the payment `decide` plans. Answers the invoice's payments
    /// afterwards, oldest received first; `None` when the account has no such invoice.
    /// Concurrent recorders take turns, so a reference is inserted once and the payments never
    /// pass what `decide` allows.
    async fn record_payment(
        &self,
        account_id: &str,
        invoice_id: &str,
        decide: PaymentDecide<'_>,
    ) -> Result<Option<(InvoiceRow, Vec<PaymentRow>)>>;
}

/// Implements [`InvoiceStore`] for a store with `pool` and `begin_write`.
macro_rules! impl_invoice_store {
    ($store:ty, $row:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::invoices::InvoiceStore for $store {
            async fn invoiced_periods(&self, account_id: &str) -> $crate::error::Result<Vec<i64>> {
                Ok(sqlx::query_scalar("SELECT period_start FROM invoices WHERE account_id = $1 ORDER BY period_start")
                    .bind(account_id)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn issue_invoices(&self, account_id: &str, invoices: &[$crate::store::NewInvoice]) -> $crate::error::Result<()> {
                let mut tx = self.begin_write().await?;
                // Held until commit, as a tier change holds it: closers take turns.
                sqlx::query("UPDATE accounts SET name = name WHERE id = $1").bind(account_id).execute(&mut *tx).await?;
                let issued: Vec<i64> = sqlx::query_scalar("SELECT period_start FROM invoices WHERE account_id = $1")
                    .bind(account_id)
                    .fetch_all(&mut *tx)
                    .await?;
                let last: Option<i64> = sqlx::query_scalar("SELECT MAX(number) FROM invoices WHERE account_id = $1")
                    .bind(account_id)
                    .fetch_one(&mut *tx)
                    .await?;
                let mut number = last.unwrap_or(0);
                for invoice in invoices.iter().filter(|i| !issued.contains(&i.period_start)) {
                    number += 1;
                    sqlx::query(
                        "INSERT INTO invoices (id, account_id, number, period_start, body, issued_at) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(&invoice.id)
                    .bind(account_id)
                    .bind(number)
                    .bind(invoice.period_start)
                    .bind(&invoice.body)
                    .bind(invoice.issued_at)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn invoices(
                &self,
                account_id: &str,
                before: Option<i64>,
                limit: i64,
            ) -> $crate::error::Result<Vec<$crate::store::InvoiceRow>> {
                Ok(sqlx::query_as("SELECT number, body FROM invoices WHERE account_id = $1 AND number < $2 ORDER BY number DESC LIMIT $3")
                    .bind(account_id)
                    .bind(before.unwrap_or(i64::MAX))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn invoice(&self, account_id: &str, id: &str) -> $crate::error::Result<Option<$crate::store::InvoiceRow>> {
                Ok(sqlx::query_as("SELECT number, body FROM invoices WHERE account_id = $1 AND id = $2")
                    .bind(account_id)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn invoice_id_by_number(&self, account_id: &str, number: i64) -> $crate::error::Result<Option<String>> {
                Ok(sqlx::query_scalar("SELECT id FROM invoices WHERE account_id = $1 AND number = $2")
                    .bind(account_id)
                    .bind(number)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn payments(
                &self,
                account_id: &str,
                first: i64,
                last: i64,
            ) -> $crate::error::Result<Vec<$crate::store::invoices::PaymentRow>> {
                Ok(sqlx::query_as(
                    "SELECT p.id, p.invoice_id, p.reference, p.amount_cents, p.received_at, p.recorded_at \
                     FROM invoice_payments p JOIN invoices i ON i.id = p.invoice_id \
                     WHERE p.account_id = $1 AND i.account_id = $1 AND i.number BETWEEN $2 AND $3 \
                     ORDER BY p.received_at, p.recorded_at, p.id",
                )
                .bind(account_id)
                .bind(first)
                .bind(last)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn record_payment(
                &self,
                account_id: &str,
                invoice_id: &str,
                decide: $crate::store::invoices::PaymentDecide<'_>,
            ) -> $crate::error::Result<Option<($crate::store::InvoiceRow, Vec<$crate::store::invoices::PaymentRow>)>> {
                let mut tx = self.begin_write().await?;
                // Held until commit: recorders of the same invoice take turns, and each reads
                // the payments the one before it committed.
                let held = sqlx::query("UPDATE invoices SET number = number WHERE account_id = $1 AND id = $2")
                    .bind(account_id)
                    .bind(invoice_id)
                    .execute(&mut *tx)
                    .await?;
                if held.rows_affected() == 0 {
                    return Ok(None);
                }
                let invoice: $crate::store::InvoiceRow =
                    sqlx::query_as("SELECT number, body FROM invoices WHERE id = $1").bind(invoice_id).fetch_one(&mut *tx).await?;
                let select = "SELECT id, invoice_id, reference, amount_cents, received_at, recorded_at FROM invoice_payments \
                              WHERE invoice_id = $1 ORDER BY received_at, recorded_at, id";
                let mut payments: Vec<$crate::store::invoices::PaymentRow> =
                    sqlx::query_as(select).bind(invoice_id).fetch_all(&mut *tx).await?;
                if let Some(p) = decide(&invoice, &payments)? {
                    sqlx::query(
                        "INSERT INTO invoice_payments (id, account_id, invoice_id, reference, amount_cents, received_at, recorded_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(&p.id)
                    .bind(account_id)
                    .bind(&p.invoice_id)
                    .bind(&p.reference)
                    .bind(p.amount_cents)
                    .bind(p.received_at)
                    .bind(p.recorded_at)
                    .execute(&mut *tx)
                    .await?;
                    payments = sqlx::query_as(select).bind(invoice_id).fetch_all(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(Some((invoice, payments)))
            }
        }
    };
}

pub(crate) use impl_invoice_store;
