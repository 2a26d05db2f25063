//! Storage of operators and the fleet-wide reads behind the operator's report. Shared by both
//! backends like [`super::controls`]: the SQL is portable, each read is one query over every
//! account, so a report costs a handful of round trips whatever the fleet's size.

use async_trait::async_trait;

use crate::error::Result;

/// An operator to store; its token only as its SHA-256.
pub(crate) struct NewOperator {
    pub id: String,
    pub name: String,
    pub token_hash: String,
    pub created_at: i64,
}

/// An account as the report lists it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct FleetAccountRow {
    pub id: String,
    pub name: String,
    pub created_at: i64,
}

/// One tier change of one account (see [`super::TierChangeRow`]).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct FleetTierChangeRow {
    pub account_id: String,
    pub effective_at: i64,
    pub tier: String,
    pub refused_requests: i64,
    pub refused_compute_ms: i64,
    pub refused_egress_bytes: i64,
    pub refused_by: Option<String>,
}

impl From<FleetTierChangeRow> for super::TierChangeRow {
    fn from(c: FleetTierChangeRow) -> Self {
        super::TierChangeRow {
            effective_at: c.effective_at,
            tier: c.tier,
            refused: super::Counters {
                requests: c.refused_requests,
                compute_ms: c.refused_compute_ms,
                egress_bytes: c.refused_egress_bytes,
            },
            refused_by: c.refused_by,
        }
    }
}

/// One account's usage of one period in one region, as the period totals hold it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct FleetUsageRow {
    pub account_id: String,
    pub period_start: i64,
    pub region: String,
    pub requests: i64,
    pub compute_ms: i64,
    pub egress_bytes: i64,
}

/// An issued invoice's body (the invoice as served, without its number).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct FleetInvoiceRow {
    pub account_id: String,
    pub period_start: i64,
    pub body: String,
}

/// A credit ledger entry, as far as the report needs it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct FleetLedgerRow {
    pub account_id: String,
    pub kind: String,
    pub amount_cents: i64,
    pub period_start: Option<i64>,
    pub created_at: i64,
}

/// A quota notice (see the `notices` table).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct FleetNoticeRow {
    pub account_id: String,
    pub period_start: i64,
    pub tier: String,
    pub meter: String,
    pub threshold_percent: i64,
    pub reached_at: i64,
}

/// Every account's tier changes, as [`FleetTierChangeRow`]s by account then time.
pub(crate) const ALL_TIER_CHANGES: &str = "SELECT account_id, effective_at, tier, refused_requests, refused_compute_ms, \
     refused_egress_bytes, refused_by FROM tier_changes ORDER BY account_id, effective_at";

/// Period usage of periods starting in `[$1, $2)`, as [`FleetUsageRow`]s by account, period
/// and region.
pub(crate) const PERIOD_USAGE_FROM_TO: &str = "SELECT account_id, period_start, region, requests, compute_ms, egress_bytes \
     FROM period_usage WHERE period_start >= $1 AND period_start < $2 ORDER BY account_id, period_start, region";

/// Everything the report reads, for periods starting in `[from, to)`: every account and tier
/// change, and the usage, invoices, notices and ledger entries of those periods (ledger
/// entries also when they were written in the span).
#[derive(Clone, Debug, Default)]
pub(crate) struct FleetRows {
    pub accounts: Vec<FleetAccountRow>,
    pub changes: Vec<FleetTierChangeRow>,
    pub usage: Vec<FleetUsageRow>,
    pub invoices: Vec<FleetInvoiceRow>,
    pub ledger: Vec<FleetLedgerRow>,
    pub notices: Vec<FleetNoticeRow>,
}

#[async_trait]
pub(crate) trait OperatorStore: Send + Sync {
    async fn insert_operator(&self, operator: &NewOperator) -> Result<()>;
    async fn operator_id_by_token(&self, token_hash: &str) -> Result<Option<String>>;
    /// The fleet's rows for periods starting in `[from, to)` (unix seconds), each list in a
    /// fixed order (account, then time), read in one transaction so they agree.
    async fn fleet(&self, from: i64, to: i64) -> Result<FleetRows>;
}

macro_rules! impl_operator_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::operator::OperatorStore for $store {
            async fn insert_operator(&self, o: &$crate::store::operator::NewOperator) -> $crate::error::Result<()> {
                sqlx::query("INSERT INTO operators (id, name, token_hash, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(&o.id)
                    .bind(&o.name)
                    .bind(&o.token_hash)
                    .bind(o.created_at)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn operator_id_by_token(&self, token_hash: &str) -> $crate::error::Result<Option<String>> {
                Ok(sqlx::query_scalar("SELECT id FROM operators WHERE token_hash = $1").bind(token_hash).fetch_optional(&self.pool).await?)
            }

            async fn fleet(&self, from: i64, to: i64) -> $crate::error::Result<$crate::store::operator::FleetRows> {
                use $crate::store::operator::*;
                // One read transaction: a batch or a tier change committed meanwhile is seen
                // by every list or by none.
                let mut tx = self.pool.begin().await?;
                let accounts: Vec<FleetAccountRow> =
                    sqlx::query_as("SELECT id, name, created_at FROM accounts ORDER BY id").fetch_all(&mut *tx).await?;
                let changes: Vec<FleetTierChangeRow> =
                    sqlx::query_as($crate::store::operator::ALL_TIER_CHANGES).fetch_all(&mut *tx).await?;
                let usage: Vec<FleetUsageRow> =
                    sqlx::query_as($crate::store::operator::PERIOD_USAGE_FROM_TO).bind(from).bind(to).fetch_all(&mut *tx).await?;
                let invoices: Vec<FleetInvoiceRow> = sqlx::query_as(
                    "SELECT account_id, period_start, body FROM invoices \
                     WHERE period_start >= $1 AND period_start < $2 ORDER BY account_id, period_start",
                )
                .bind(from)
                .bind(to)
                .fetch_all(&mut *tx)
                .await?;
                let ledger: Vec<FleetLedgerRow> = sqlx::query_as(
                    "SELECT account_id, kind, amount_cents, period_start, created_at FROM ledger_entries \
                     WHERE (period_start >= $1 AND period_start < $2) OR (created_at >= $1 AND created_at < $2) \
                     ORDER BY account_id, sequence",
                )
                .bind(from)
                .bind(to)
                .fetch_all(&mut *tx)
                .await?;
                let notices: Vec<FleetNoticeRow> = sqlx::query_as(
                    "SELECT account_id, period_start, tier, meter, threshold_percent, reached_at FROM notices \
                     WHERE period_start >= $1 AND period_start < $2 ORDER BY account_id, reached_at, meter, threshold_percent",
                )
                .bind(from)
                .bind(to)
                .fetch_all(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(FleetRows { accounts, changes, usage, invoices, ledger, notices })
            }
        }
    };
}

pub(crate) use impl_operator_store;
