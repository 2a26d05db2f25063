//! Storage of an ingested batch: its claim, records, period totals, queued hourly sums and
//! receipt, written in one transaction. Shared by both backends like [`super::common`]'s
//! queries; each backend supplies its bulk writes.

use async_trait::async_trait;

#[cfg(feature = "testing")]
use super::RecordRow;
use super::{IngestDecide, IngestStored, PreparedBatch};
use crate::error::Result;

#[async_trait]
pub(crate) trait IngestStore: Send + Sync {
    /// Claims the batch, writes its records and period totals, queues its hourly sums and
    /// stores the receipt, in one transaction.
    async fn ingest(&self, batch: &PreparedBatch, decide: IngestDecide<'_>) -> Result<IngestStored>;
    /// Writes records to the usage log only, in one transaction: the baseline the ingest
    /// benchmark compares against.
    #[cfg(feature = "testing")]
    async fn insert_records_only(&self, node_id: &str, batch_id: &str, received_at: i64, records: &[RecordRow]) -> Result<()>;
}

/// Implements [`IngestStore`] for a store with `begin_write` and the backend's bulk writes,
/// beside [`super::common::impl_store`] (whose helpers it uses).
macro_rules! impl_ingest_store {
    ($store:ty, $row:ty) => {
        /// Claims the batch's OpenTelemetry points and CloudEvents. A shard of series another
        /// writer changed since it was read fails with [`crate::EngineError::Contention`]; an event
        /// claimed already, with a unique violation (a plain insert).
        async fn insert_claims(
            tx: &mut sqlx::Transaction<'static, <$row as sqlx::Row>::Database>,
            b: &$crate::store::PreparedBatch,
        ) -> $crate::error::Result<()> {
            <$store>::claim_shards(tx, &b.node_id, &b.series).await?;
            for chunk in b.events.chunks($crate::store::common::IN_LIST_MAX / 2) {
                let mut q = sqlx::QueryBuilder::<<$row as sqlx::Row>::Database>::new("INSERT INTO usage_events (source, id) ");
                q.push_values(chunk, |mut row, (source, id)| {
                    row.push_bind(source).push_bind(id);
                });
                q.build().execute(&mut **tx).await?;
            }
            Ok(())
        }

        #[async_trait::async_trait]
        impl $crate::store::ingest::IngestStore for $store {
            async fn ingest(
                &self,
                b: &$crate::store::PreparedBatch,
                decide: $crate::store::IngestDecide<'_>,
            ) -> $crate::error::Result<$crate::store::IngestStored> {
                let mut tx = self.begin_write().await?;
                // The claim and the usage commit together: a crash loses both or neither.
                let claimed = sqlx::query(
                    "INSERT INTO batches (node_id, batch_id, body_sha256, receipt, received_at) \
                     VALUES ($1, $2, $3, NULL, $4) ON CONFLICT DO NOTHING",
                )
                .bind(&b.node_id)
                .bind(&b.batch_id)
                .bind(&b.body_sha256)
                .bind(b.received_at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if claimed == 0 {
                    tx.rollback().await?;
                    // A racing first attempt has committed by now: the insert above waited for it.
                    let (hash, receipt): (String, Option<String>) =
                        sqlx::query_as("SELECT body_sha256, receipt FROM batches WHERE node_id = $1 AND batch_id = $2")
                            .bind(&b.node_id)
                            .bind(&b.batch_id)
                            .fetch_one(&self.pool)
                            .await?;
                    if hash != b.body_sha256 {
                        return Err($crate::EngineError::BatchIdReused { batch_id: b.batch_id.clone() });
                    }
                    return receipt
                        .map($crate::store::IngestStored::Replayed)
                        .ok_or_else(|| $crate::EngineError::CorruptRow { reason: format!("batch {} has no stored receipt", b.batch_id) });
                }
                // A point or event another writer claimed first: the caller reads again and
                // counts what is left. Checked first, so that an attempt that lost does no more.
                if let Err(e) = insert_claims(&mut tx, b).await {
                    let contended = match &e {
                        $crate::EngineError::Contention => true,
                        $crate::EngineError::Database(d) => $crate::store::common::is_claim_conflict(d),
                        _ => false,
                    };
                    if contended {
                        tx.rollback().await?;
                        return Err($crate::EngineError::Contention);
                    }
                    return Err(e);
                }
                Self::insert_records(&mut tx, &b.node_id, &b.batch_id, b.received_at, &b.records).await?;
                // The hourly rollups are added by a roll-up after this commits (see `roll_up`):
                // the queue row commits with the claim, so it exists once per batch.
                sqlx::query("INSERT INTO rollup_queue (node_id, batch_id, hourly) VALUES ($1, $2, $3)")
                    .bind(&b.node_id)
                    .bind(&b.batch_id)
                    .bind(&b.hourly_queued)
                    .execute(&mut *tx)
                    .await?;
                // Accounts with a spend cap are held before their usage rows, in the order a
                // change of the controls takes them, so the two never wait on each other.
                let (caps, follow_ups) = hold_capped_accounts(&mut tx, &b.accounts, b.current_period_start).await?;
                Self::upsert_period(&mut tx, &b.period).await?;
                // The periods the batch adds to (the open one, and the one before it in its
                // grace hour): their totals with the batch are checked against the period
                // bounds, and the open period's totals go to the decision.
                let touched: std::collections::BTreeSet<(&str, i64)> =
                    b.period.keys().map(|(account, period_start, _)| (account.as_ref(), *period_start)).collect();
                let mut periods: Vec<i64> = touched.iter().map(|(_, p)| *p).collect();
                periods.push(b.current_period_start);
                periods.sort_unstable();
                periods.dedup();
                let mut totals: std::collections::BTreeMap<String, Vec<$crate::store::RegionCounters>> =
                    b.accounts.iter().map(|a| (a.clone(), Vec::new())).collect();
                let mut sums: std::collections::BTreeMap<(String, i64), $crate::store::Counters> = std::collections::BTreeMap::new();
                for chunk in b.accounts.chunks($crate::store::common::IN_LIST_MAX) {
                    let rows: Vec<(String, i64, String, i64, i64, i64)> =
                        <$store>::fetch_many(&mut *tx, "account_id, period_start, region, requests, compute_ms, egress_bytes", |q| {
                            q.push("FROM period_usage WHERE period_start IN (");
                            let mut list = q.separated(", ");
                            for p in &periods {
                                list.push_bind(*p);
                            }
                            q.push(") AND account_id IN (");
                            let mut list = q.separated(", ");
                            for id in chunk {
                                list.push_bind(id.as_str());
                            }
                            q.push(")");
                        })
                        .await?;
                    for (account, period_start, region, requests, compute_ms, egress_bytes) in rows {
                        let c = $crate::store::Counters { requests, compute_ms, egress_bytes };
                        if touched.contains(&(account.as_str(), period_start)) {
                            // Past i64 is past every bound.
                            let sum = sums.entry((account.clone(), period_start)).or_default();
                            if sum.checked_add(&c).is_err() {
                                *sum = $crate::store::Counters { requests: i64::MAX, compute_ms: i64::MAX, egress_bytes: i64::MAX };
                            }
                        }
                        if period_start == b.current_period_start {
                            totals.entry(account).or_default().push($crate::store::RegionCounters { region, counters: c });
                        }
                    }
                }
                for ((account, period_start), sum) in &sums {
                    if let Err(e) = $crate::validate::check_period_totals(account, *period_start, sum) {
                        // Nothing of the batch is kept: not its records, its claim nor its rollups.
                        tx.rollback().await?;
                        return Err(e);
                    }
                }
                let decision = decide(&totals, &caps)?;
                insert_notices(&mut tx, &decision.notices).await?;
                for (account_id, c) in &decision.spend_caps {
                    upsert_spend_cap(&mut tx, account_id, b.current_period_start, c).await?;
                }
                for a in &decision.alerts {
                    insert_alert(&mut tx, a).await?;
                }
                sqlx::query("UPDATE batches SET receipt = $3 WHERE node_id = $1 AND batch_id = $2")
                    .bind(&b.node_id)
                    .bind(&b.batch_id)
                    .bind(&decision.receipt_json)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok($crate::store::IngestStored::Fresh { receipt_json: decision.receipt_json, follow_ups })
            }

            #[cfg(feature = "testing")]
            async fn insert_records_only(
                &self,
                node_id: &str,
                batch_id: &str,
                received_at: i64,
                records: &[$crate::store::RecordRow],
            ) -> $crate::error::Result<()> {
                let mut tx = self.begin_write().await?;
                Self::insert_records(&mut tx, node_id, batch_id, received_at, records).await?;
                tx.commit().await?;
                Ok(())
            }
        }
    };
}

pub(crate) use impl_ingest_store;
