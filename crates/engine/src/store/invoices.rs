//! Storage of issued invoices: which periods have one, issuing them in number order, and
//! reading them back. Shared by both backends like [`super::common`]'s queries.

use async_trait::async_trait;

use super::{InvoiceRow, NewInvoice};
use crate::error::Result;

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
        }
    };
}

pub(crate) use impl_invoice_store;
