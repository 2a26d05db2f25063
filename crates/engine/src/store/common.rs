//! The queries both backends share. The SQL is portable (`$n` placeholders, `ON CONFLICT`,
//! `CAST(SUM(..) AS BIGINT)`); each backend supplies its transaction start and its bulk
//! writes, and this macro supplies the rest of [`super::Store`].

/// Attempts of a ledger transaction before giving up with [`crate::EngineError::Contention`].
pub(crate) const LEDGER_ATTEMPTS_MAX: u32 = 64;
/// Ids bound in one `IN (...)` list; far below both backends' bound-value limits.
pub(crate) const IN_LIST_MAX: usize = 1_000;

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// A claim another writer holds: its key taken first (a unique violation), or its rows
/// locked in the other order by a concurrent writer (a PostgreSQL deadlock, which fails one
/// of the two).
pub(crate) fn is_claim_conflict(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation() || d.code().as_deref() == Some("40P01"))
}

macro_rules! impl_store {
    ($store:ty, $row:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            async fn close(&self) {
                self.close_pools().await;
            }

            async fn insert_account(&self, a: &$crate::store::NewAccount) -> $crate::error::Result<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query("INSERT INTO accounts (id, name, token_hash, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(&a.id)
                    .bind(&a.name)
                    .bind(&a.token_hash)
                    .bind(a.created_at)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO tier_changes (account_id, effective_at, tier, requested_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(&a.id)
                .bind(a.created_at)
                .bind(&a.tier)
                .bind(a.created_at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn insert_node(&self, n: &$crate::store::NewNode) -> $crate::error::Result<()> {
                sqlx::query("INSERT INTO nodes (id, name, token_hash, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(&n.id)
                    .bind(&n.name)
                    .bind(&n.token_hash)
                    .bind(n.created_at)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn account_id_by_token(&self, token_hash: &str) -> $crate::error::Result<Option<String>> {
                Ok(sqlx::query_scalar("SELECT id FROM accounts WHERE token_hash = $1")
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn node_id_by_token(&self, token_hash: &str) -> $crate::error::Result<Option<String>> {
                Ok(sqlx::query_scalar("SELECT id FROM nodes WHERE token_hash = $1")
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn account(&self, account_id: &str) -> $crate::error::Result<Option<$crate::store::AccountRow>> {
                use sqlx::Row;
                let row = sqlx::query("SELECT name FROM accounts WHERE id = $1")
                    .bind(account_id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| {
                    Ok($crate::store::AccountRow {
                        name: r.try_get("name")?,
                    })
                })
                .transpose()
            }

            async fn tier_changes(&self, account_id: &str) -> $crate::error::Result<Vec<$crate::store::TierChangeRow>> {
                let rows = sqlx::query(TIER_CHANGES_SELECT).bind(account_id).fetch_all(&self.pool).await?;
                rows.iter().map(tier_change_row).collect()
            }

            async fn tiers_at(
                &self,
                account_ids: &[&str],
                at: i64,
            ) -> $crate::error::Result<std::collections::BTreeMap<String, $crate::store::TierChangeRow>> {
                use sqlx::Row;
                let mut tiers = std::collections::BTreeMap::new();
                for chunk in account_ids.chunks($crate::store::common::IN_LIST_MAX) {
                    // The latest change at or before `at`, per account, in one round trip.
                    let mut q = sqlx::QueryBuilder::<<$row as sqlx::Row>::Database>::new(
                        "SELECT c.account_id, c.effective_at, c.tier, c.refused_requests, c.refused_compute_ms, \
                         c.refused_egress_bytes, c.refused_by FROM tier_changes c WHERE c.effective_at = \
                         (SELECT MAX(l.effective_at) FROM tier_changes l WHERE l.account_id = c.account_id AND l.effective_at <= ",
                    );
                    q.push_bind(at).push(") AND c.account_id IN (");
                    let mut list = q.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    q.push(")");
                    for r in q.build().fetch_all(&self.pool).await? {
                        tiers.insert(r.try_get("account_id")?, tier_change_row(&r)?);
                    }
                }
                Ok(tiers)
            }

            async fn accounts_with_ledger(&self, account_ids: &[&str]) -> $crate::error::Result<Vec<String>> {
                let mut found = Vec::new();
                for chunk in account_ids.chunks($crate::store::common::IN_LIST_MAX) {
                    // Accounts with automatic top-up settle too: they may have no credit yet.
                    let mut q = sqlx::QueryBuilder::<<$row as sqlx::Row>::Database>::new(
                        "SELECT account_id FROM ledger_entries WHERE account_id IN (",
                    );
                    let mut list = q.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    q.push(") UNION SELECT account_id FROM account_controls WHERE top_up_enabled AND account_id IN (");
                    let mut list = q.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    q.push(")");
                    let ids: Vec<String> = q.build_query_scalar().fetch_all(&self.pool).await?;
                    found.extend(ids);
                }
                Ok(found)
            }

            async fn change_tier(
                &self,
                account_id: &str,
                claim: &$crate::store::PurchaseClaim,
                now: i64,
                period_start: i64,
                decide: $crate::store::TierDecide<'_>,
            ) -> $crate::error::Result<$crate::store::TierWrite> {
                let mut tx = self.begin_write().await?;
                // Tier changes of one account run one at a time (see `claim_key`). The claim and
                // the change commit together: a crash loses both or neither, and a racing repeat
                // waits on the key, then finds the first answer.
                if let Some(response) = claim_key(&mut tx, $crate::store::ClaimScope::TierChange, account_id, claim).await? {
                    tx.rollback().await?;
                    return Ok($crate::store::TierWrite::Replayed(response));
                }
                let rows = sqlx::query(TIER_CHANGES_SELECT).bind(account_id).fetch_all(&mut *tx).await?;
                let changes = rows.iter().map(tier_change_row).collect::<$crate::error::Result<Vec<_>>>()?;
                // The ledger is read under the account lock too: a downgrade that credit forbids
                // is refused on the balance as it stands at commit.
                let rows = sqlx::query(LEDGER_SELECT).bind(account_id).fetch_all(&mut *tx).await?;
                let entries = rows.iter().map(ledger_row).collect::<$crate::error::Result<Vec<_>>>()?;
                // The period's usage, under the same lock as a settlement's: what the capped tier
                // refused and the new tier's notices are decided on the usage as it commits.
                let usage = period_usage_locked(&mut tx, account_id, period_start).await?;
                // A refusal rolls the claim back with everything else: only changes are remembered.
                let plan = decide(&changes, &entries, &usage)?;
                sqlx::query("DELETE FROM tier_changes WHERE account_id = $1 AND effective_at > $2")
                    .bind(account_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO tier_changes (account_id, effective_at, tier, requested_at, refused_requests, \
                     refused_compute_ms, refused_egress_bytes, refused_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (account_id, effective_at) DO UPDATE SET tier = excluded.tier, requested_at = excluded.requested_at, \
                     refused_requests = excluded.refused_requests, refused_compute_ms = excluded.refused_compute_ms, \
                     refused_egress_bytes = excluded.refused_egress_bytes, refused_by = excluded.refused_by",
                )
                .bind(account_id)
                .bind(plan.change.effective_at)
                .bind(&plan.change.tier)
                .bind(now)
                .bind(plan.change.refused.requests)
                .bind(plan.change.refused.compute_ms)
                .bind(plan.change.refused.egress_bytes)
                .bind(&plan.change.refused_by)
                .execute(&mut *tx)
                .await?;
                if plan.resolve_notices {
                    sqlx::query("UPDATE notices SET resolved_at = $2 WHERE account_id = $1 AND resolved_at IS NULL")
                        .bind(account_id)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                }
                insert_notices(&mut tx, &plan.notices).await?;
                answer_claim(&mut tx, $crate::store::ClaimScope::TierChange, account_id, claim, &plan.response_json).await?;
                tx.commit().await?;
                Ok($crate::store::TierWrite::Written(plan.response_json))
            }

            async fn ingest(
                &self,
                b: &$crate::store::PreparedBatch,
                decide: $crate::store::IngestDecide<'_>,
            ) -> $crate::error::Result<$crate::store::IngestStored> {
                use sqlx::Row;
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
                    let row = sqlx::query("SELECT body_sha256, receipt FROM batches WHERE node_id = $1 AND batch_id = $2")
                        .bind(&b.node_id)
                        .bind(&b.batch_id)
                        .fetch_one(&self.pool)
                        .await?;
                    let hash: String = row.try_get("body_sha256")?;
                    if hash != b.body_sha256 {
                        return Err($crate::EngineError::BatchIdReused { batch_id: b.batch_id.clone() });
                    }
                    let receipt: Option<String> = row.try_get("receipt")?;
                    return receipt.map($crate::store::IngestStored::Replayed).ok_or_else(|| {
                        $crate::EngineError::CorruptRow { reason: format!("batch {} has no stored receipt", b.batch_id) }
                    });
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
                let mut sums: std::collections::BTreeMap<(String, i64), $crate::store::Counters> =
                    std::collections::BTreeMap::new();
                for chunk in b.accounts.chunks($crate::store::common::IN_LIST_MAX) {
                    let mut q = sqlx::QueryBuilder::<<$row as sqlx::Row>::Database>::new(
                        "SELECT account_id, period_start, region, requests, compute_ms, egress_bytes FROM period_usage \
                         WHERE period_start IN (",
                    );
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
                    for r in q.build().fetch_all(&mut *tx).await? {
                        let account: String = r.try_get("account_id")?;
                        let period_start: i64 = r.try_get("period_start")?;
                        let c = counters(&r)?;
                        if touched.contains(&(account.as_str(), period_start)) {
                            // Past i64 is past every bound.
                            let sum = sums.entry((account.clone(), period_start)).or_default();
                            if sum.checked_add(&c).is_err() {
                                *sum = $crate::store::Counters { requests: i64::MAX, compute_ms: i64::MAX, egress_bytes: i64::MAX };
                            }
                        }
                        if period_start == b.current_period_start {
                            totals.entry(account).or_default().push($crate::store::RegionCounters {
                                region: r.try_get("region")?,
                                counters: c,
                            });
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

            async fn roll_up(&self, max_batches: i64, through: Option<i64>, wait: bool) -> $crate::error::Result<u64> {
                let mut tx = self.begin_write().await?;
                // Deleting the queue rows and adding their sums commit together: a batch is
                // rolled up once, and a crash in between leaves it queued.
                let queued = Self::take_queued(&mut tx, max_batches, through.unwrap_or(i64::MAX), wait).await?;
                if queued.is_empty() {
                    tx.rollback().await?;
                    return Ok(0);
                }
                let mut hourly = std::collections::BTreeMap::new();
                let mut totals = std::collections::BTreeMap::new();
                let mut strings = std::collections::HashSet::new();
                for q in &queued {
                    $crate::store::add_queued_hourly(q, &mut hourly, &mut totals, &mut strings)?;
                }
                // Sorted keys: concurrent roll-ups lock rollup rows in one order.
                Self::upsert_hourly(&mut tx, &hourly).await?;
                Self::upsert_hourly_totals(&mut tx, &totals).await?;
                tx.commit().await?;
                Ok(queued.len() as u64)
            }

            async fn series_shards(&self, node_id: &str, shards: &[i64]) -> $crate::error::Result<Vec<$crate::store::ShardRow>> {
                use sqlx::Row;
                let rows = sqlx::query(<$store>::SHARDS_SELECT).bind(node_id).bind(<$store>::shard_list(shards)).fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|r| {
                        Ok($crate::store::ShardRow { shard: r.try_get("shard")?, version: r.try_get("version")?, series: r.try_get("series")? })
                    })
                    .collect()
            }

            async fn stored_events(&self, events: &[(&str, &str)]) -> $crate::error::Result<Vec<(String, String)>> {
                use sqlx::Row;
                let mut out = Vec::new();
                for chunk in events.chunks($crate::store::common::IN_LIST_MAX / 2) {
                    let mut q = sqlx::QueryBuilder::<<$row as sqlx::Row>::Database>::new(
                        "SELECT source, id FROM usage_events WHERE source IN (",
                    );
                    let mut list = q.separated(", ");
                    for (source, _) in chunk {
                        list.push_bind(*source);
                    }
                    q.push(") AND id IN (");
                    let mut list = q.separated(", ");
                    for (_, id) in chunk {
                        list.push_bind(*id);
                    }
                    q.push(")");
                    let wanted: std::collections::HashSet<(&str, &str)> = chunk.iter().copied().collect();
                    for r in q.build().fetch_all(&self.pool).await? {
                        let (source, id): (String, String) = (r.try_get("source")?, r.try_get("id")?);
                        if wanted.contains(&(source.as_str(), id.as_str())) {
                            out.push((source, id));
                        }
                    }
                }
                Ok(out)
            }

            async fn rollup_queue_last(&self) -> $crate::error::Result<Option<i64>> {
                Ok(sqlx::query_scalar("SELECT MAX(id) FROM rollup_queue").fetch_one(&self.pool).await?)
            }

            async fn rollups_pending(&self) -> $crate::error::Result<u64> {
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM rollup_queue").fetch_one(&self.pool).await?;
                Ok(n as u64)
            }

            async fn route_region_usage(
                &self,
                account_id: &str,
                from: i64,
                to: i64,
            ) -> $crate::error::Result<Vec<$crate::store::RouteRegionCounters>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT route, region, CAST(SUM(requests) AS BIGINT) AS requests, \
                     CAST(SUM(compute_ms) AS BIGINT) AS compute_ms, CAST(SUM(egress_bytes) AS BIGINT) AS egress_bytes \
                     FROM usage_hourly WHERE account_id = $1 AND hour >= $2 AND hour < $3 GROUP BY route, region ORDER BY route, region",
                )
                .bind(account_id)
                .bind(from)
                .bind(to)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok($crate::store::RouteRegionCounters {
                            route: r.try_get("route")?,
                            region: r.try_get("region")?,
                            counters: counters(r)?,
                        })
                    })
                    .collect()
            }

            async fn first_usage_hour(&self, account_id: &str, before: i64) -> $crate::error::Result<Option<i64>> {
                // The rollup total's key (account_id, hour) answers this with one index seek.
                Ok(sqlx::query_scalar("SELECT MIN(hour) FROM usage_hourly_total WHERE account_id = $1 AND hour < $2")
                    .bind(account_id)
                    .bind(before)
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn period_usage(
                &self,
                account_id: &str,
                period_start: i64,
            ) -> $crate::error::Result<Vec<$crate::store::RegionCounters>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT region, requests, compute_ms, egress_bytes FROM period_usage \
                     WHERE account_id = $1 AND period_start = $2 ORDER BY region",
                )
                .bind(account_id)
                .bind(period_start)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok($crate::store::RegionCounters {
                            region: r.try_get("region")?,
                            counters: counters(r)?,
                        })
                    })
                    .collect()
            }

            async fn bill_reads(
                &self,
                account_id: &str,
                period_start: i64,
                before: i64,
            ) -> $crate::error::Result<Option<$crate::store::BillReads>> {
                use sqlx::Row;
                // One connection and one snapshot: the figures of one bill never mix two
                // moments, and a busy pool is waited for once rather than seven times.
                let mut tx = self.begin_read().await?;
                let Some(name) = sqlx::query_scalar::<_, String>("SELECT name FROM accounts WHERE id = $1")
                    .bind(account_id)
                    .fetch_optional(&mut *tx)
                    .await?
                else {
                    tx.commit().await?;
                    return Ok(None);
                };
                let rows = sqlx::query(TIER_CHANGES_SELECT).bind(account_id).fetch_all(&mut *tx).await?;
                let changes = rows.iter().map(tier_change_row).collect::<$crate::error::Result<Vec<_>>>()?;
                let rows = sqlx::query(
                    "SELECT region, requests, compute_ms, egress_bytes FROM period_usage \
                     WHERE account_id = $1 AND period_start = $2 ORDER BY region",
                )
                .bind(account_id)
                .bind(period_start)
                .fetch_all(&mut *tx)
                .await?;
                let usage = rows
                    .iter()
                    .map(|r| Ok($crate::store::RegionCounters { region: r.try_get("region")?, counters: counters(r)? }))
                    .collect::<$crate::error::Result<Vec<_>>>()?;
                let spend_cap = spend_cap_row(&mut *tx, account_id, period_start).await?;
                let rows = sqlx::query(LEDGER_SELECT).bind(account_id).fetch_all(&mut *tx).await?;
                let ledger = rows.iter().map(ledger_row).collect::<$crate::error::Result<Vec<_>>>()?;
                let first_usage_hour: Option<i64> =
                    sqlx::query_scalar("SELECT MIN(hour) FROM usage_hourly_total WHERE account_id = $1 AND hour < $2")
                        .bind(account_id)
                        .bind(before)
                        .fetch_one(&mut *tx)
                        .await?;
                let spend_cap_cents: Option<Option<i64>> =
                    sqlx::query_scalar("SELECT spend_cap_cents FROM account_controls WHERE account_id = $1")
                        .bind(account_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                tx.commit().await?;
                Ok(Some($crate::store::BillReads {
                    account: $crate::store::AccountRow { name },
                    changes,
                    usage,
                    spend_cap,
                    ledger,
                    first_usage_hour,
                    spend_cap_cents: spend_cap_cents.flatten(),
                }))
            }

            async fn ledger(&self, account_id: &str) -> $crate::error::Result<Vec<$crate::store::LedgerRow>> {
                let rows = sqlx::query(LEDGER_SELECT).bind(account_id).fetch_all(&self.pool).await?;
                rows.iter().map(ledger_row).collect()
            }

            async fn write_ledger(
                &self,
                account_id: &str,
                period_start: i64,
                claim: Option<&$crate::store::PurchaseClaim>,
                decide: $crate::store::LedgerDecide<'_>,
            ) -> $crate::error::Result<$crate::store::LedgerWrite> {
                'attempt: for _ in 0..$crate::store::common::LEDGER_ATTEMPTS_MAX {
                    let mut tx = self.begin_write().await?;
                    if let Some(c) = claim {
                        // The account is held until commit, as a tier change holds it: the tier
                        // rules a purchase checks cannot change under it.
                        if let Some(response) = claim_key(&mut tx, $crate::store::ClaimScope::CreditPurchase, account_id, c).await? {
                            tx.rollback().await?;
                            return Ok($crate::store::LedgerWrite::Replayed(response));
                        }
                    }
                    let rows = sqlx::query(TIER_CHANGES_SELECT).bind(account_id).fetch_all(&mut *tx).await?;
                    let changes = rows.iter().map(tier_change_row).collect::<$crate::error::Result<Vec<_>>>()?;
                    let usage = period_usage_locked(&mut tx, account_id, period_start).await?;
                    let rows = sqlx::query(LEDGER_SELECT).bind(account_id).fetch_all(&mut *tx).await?;
                    let entries = rows.iter().map(ledger_row).collect::<$crate::error::Result<Vec<_>>>()?;
                    let controls = sqlx::query($crate::store::controls::CONTROLS_SELECT).bind(account_id).fetch_optional(&mut *tx).await?;
                    let top_up = controls.as_ref().map(controls_row).transpose()?.and_then(|c| c.top_up);
                    let spend_cap = spend_cap_row(&mut *tx, account_id, period_start).await?;
                    let plan = decide(&$crate::store::LedgerState { entries, changes, usage, top_up, spend_cap })?;
                    for e in &plan.entries {
                        let inserted = sqlx::query(
                            "INSERT INTO ledger_entries (id, account_id, sequence, kind, amount_cents, balance_after_cents, \
                             pack_id, period_start, overage_from_cents, overage_to_cents, usage_through, note, created_at, auto_after_sequence) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                        )
                        .bind(&e.id)
                        .bind(account_id)
                        .bind(e.sequence)
                        .bind(&e.kind)
                        .bind(e.amount_cents)
                        .bind(e.balance_after_cents)
                        .bind(&e.pack_id)
                        .bind(e.period_start)
                        .bind(e.overage_from_cents)
                        .bind(e.overage_to_cents)
                        .bind(e.usage_through)
                        .bind(&e.note)
                        .bind(e.created_at)
                        .bind(e.auto_after_sequence)
                        .execute(&mut *tx)
                        .await;
                        match inserted {
                            Ok(_) => {}
                            // Another writer appended after the tail we read: start over.
                            Err(e) if $crate::store::common::is_unique_violation(&e) => {
                                drop(tx);
                                continue 'attempt;
                            }
                            Err(e) => return Err(e.into()),
                        }
                    }
                    for alert in &plan.alerts {
                        insert_alert(&mut tx, alert).await?;
                    }
                    if let (Some(c), Some(response)) = (claim, &plan.response_json) {
                        answer_claim(&mut tx, $crate::store::ClaimScope::CreditPurchase, account_id, c, response).await?;
                    }
                    tx.commit().await?;
                    return Ok($crate::store::LedgerWrite::Written(plan.response_json));
                }
                Err($crate::EngineError::Contention)
            }

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
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT number, body FROM invoices WHERE account_id = $1 AND number < $2 ORDER BY number DESC LIMIT $3",
                )
                .bind(account_id)
                .bind(before.unwrap_or(i64::MAX))
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| Ok($crate::store::InvoiceRow { number: r.try_get("number")?, body: r.try_get("body")? }))
                    .collect()
            }

            async fn invoice(&self, account_id: &str, id: &str) -> $crate::error::Result<Option<$crate::store::InvoiceRow>> {
                use sqlx::Row;
                let row = sqlx::query("SELECT number, body FROM invoices WHERE account_id = $1 AND id = $2")
                    .bind(account_id)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| Ok($crate::store::InvoiceRow { number: r.try_get("number")?, body: r.try_get("body")? })).transpose()
            }

            async fn engine_key(&self, name: &str, candidate: &str) -> $crate::error::Result<String> {
                let mut tx = self.begin_write().await?;
                sqlx::query("INSERT INTO engine_keys (name, secret) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(name)
                    .bind(candidate)
                    .execute(&mut *tx)
                    .await?;
                let secret: String = sqlx::query_scalar("SELECT secret FROM engine_keys WHERE name = $1")
                    .bind(name)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(secret)
            }

            async fn open_notices(
                &self,
                account_id: &str,
                period_start: i64,
            ) -> $crate::error::Result<Vec<$crate::store::NoticeRow>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT id, account_id, period_start, tier, meter, threshold_percent, reached_at FROM notices \
                     WHERE account_id = $1 AND period_start = $2 AND resolved_at IS NULL \
                     ORDER BY reached_at, meter, threshold_percent",
                )
                .bind(account_id)
                .bind(period_start)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok($crate::store::NoticeRow {
                            id: r.try_get("id")?,
                            account_id: r.try_get("account_id")?,
                            period_start: r.try_get("period_start")?,
                            tier: r.try_get("tier")?,
                            meter: r.try_get("meter")?,
                            threshold_percent: r.try_get("threshold_percent")?,
                            reached_at: r.try_get("reached_at")?,
                        })
                    })
                    .collect()
            }

            async fn usage_hours(
                &self,
                account_id: &str,
                from: i64,
                to: i64,
                group: $crate::store::GroupColumn,
            ) -> $crate::error::Result<Vec<$crate::store::BucketRow>> {
                use sqlx::Row;
                let sql = match group {
                    $crate::store::GroupColumn::None => USAGE_BY_HOUR,
                    $crate::store::GroupColumn::Route => USAGE_BY_ROUTE,
                    $crate::store::GroupColumn::Region => USAGE_BY_REGION,
                };
                // The rollups and the batches queued for them, in one snapshot: a roll-up moves
                // a batch from the queue to the rollups in one transaction, so each batch is
                // read once, from one or the other, without waiting for (or doing) a roll-up.
                let mut tx = self.begin_read().await?;
                let rows = sqlx::query(sql).bind(account_id).bind(from).bind(to).fetch_all(&mut *tx).await?;
                let queued: Vec<String> = sqlx::query_scalar("SELECT hourly FROM rollup_queue ORDER BY id").fetch_all(&mut *tx).await?;
                tx.commit().await?;
                let mut hours = rows
                    .iter()
                    .map(|r| {
                        Ok($crate::store::BucketRow {
                            hour: r.try_get(0)?,
                            key: r.try_get(1)?,
                            counters: $crate::store::Counters {
                                requests: r.try_get(2)?,
                                compute_ms: r.try_get(3)?,
                                egress_bytes: r.try_get(4)?,
                            },
                        })
                    })
                    .collect::<$crate::error::Result<Vec<_>>>()?;
                if !queued.is_empty() {
                    for q in &queued {
                        $crate::store::queued_hours_of(q, account_id, from, to, group, &mut hours)?;
                    }
                    hours.sort_by(|a, b| (a.hour, &a.key).cmp(&(b.hour, &b.key)));
                }
                Ok(hours)
            }

            async fn usage_log(
                &self,
                account_id: &str,
                before_id: Option<i64>,
                limit: i64,
            ) -> $crate::error::Result<Vec<$crate::store::UsageLogRow>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT id, batch_id, node_id, route, region, window_start, window_seconds, requests, compute_ms, \
                     egress_bytes, received_at FROM usage_records WHERE account_id = $1 AND id < $2 \
                     ORDER BY id DESC LIMIT $3",
                )
                .bind(account_id)
                .bind(before_id.unwrap_or(i64::MAX))
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok($crate::store::UsageLogRow {
                            id: r.try_get("id")?,
                            batch_id: r.try_get("batch_id")?,
                            node_id: r.try_get("node_id")?,
                            route: r.try_get("route")?,
                            region: r.try_get("region")?,
                            window_start: r.try_get("window_start")?,
                            window_seconds: r.try_get("window_seconds")?,
                            counters: counters(r)?,
                            received_at: r.try_get("received_at")?,
                        })
                    })
                    .collect()
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

        const LEDGER_SELECT: &str = "SELECT id, sequence, kind, amount_cents, balance_after_cents, pack_id, period_start, \
             overage_from_cents, overage_to_cents, usage_through, note, created_at, auto_after_sequence FROM ledger_entries \
             WHERE account_id = $1 ORDER BY sequence";

        fn ledger_row(r: &$row) -> $crate::error::Result<$crate::store::LedgerRow> {
            use sqlx::Row;
            Ok($crate::store::LedgerRow {
                id: r.try_get("id")?,
                sequence: r.try_get("sequence")?,
                kind: r.try_get("kind")?,
                amount_cents: r.try_get("amount_cents")?,
                balance_after_cents: r.try_get("balance_after_cents")?,
                pack_id: r.try_get("pack_id")?,
                period_start: r.try_get("period_start")?,
                overage_from_cents: r.try_get("overage_from_cents")?,
                overage_to_cents: r.try_get("overage_to_cents")?,
                usage_through: r.try_get("usage_through")?,
                note: r.try_get("note")?,
                created_at: r.try_get("created_at")?,
                auto_after_sequence: r.try_get("auto_after_sequence")?,
            })
        }

        const TIER_CHANGES_SELECT: &str = "SELECT effective_at, tier, refused_requests, refused_compute_ms, refused_egress_bytes, \
             refused_by FROM tier_changes WHERE account_id = $1 ORDER BY effective_at";

        fn tier_change_row(r: &$row) -> $crate::error::Result<$crate::store::TierChangeRow> {
            use sqlx::Row;
            Ok($crate::store::TierChangeRow {
                effective_at: r.try_get("effective_at")?,
                tier: r.try_get("tier")?,
                refused: $crate::store::Counters {
                    requests: r.try_get("refused_requests")?,
                    compute_ms: r.try_get("refused_compute_ms")?,
                    egress_bytes: r.try_get("refused_egress_bytes")?,
                },
                refused_by: r.try_get("refused_by")?,
            })
        }

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

        /// The usage of the account's period starting at `period_start`, read with the
        /// backend's lock for ledger and tier decisions (a share lock on PostgreSQL).
        async fn period_usage_locked(
            tx: &mut sqlx::Transaction<'static, <$row as sqlx::Row>::Database>,
            account_id: &str,
            period_start: i64,
        ) -> $crate::error::Result<Vec<$crate::store::RegionCounters>> {
            use sqlx::Row;
            let rows = sqlx::query(<$store>::PERIOD_USAGE_FOR_SETTLEMENT)
                .bind(account_id)
                .bind(period_start)
                .fetch_all(&mut **tx)
                .await?;
            rows.iter()
                .map(|r| Ok($crate::store::RegionCounters { region: r.try_get("region")?, counters: counters(r)? }))
                .collect()
        }

        /// Raises `notices`; one already raised (same account, period, tier, meter and
        /// threshold) stays as it was. Each notice raised here is queued for the account's
        /// webhook in the same transaction.
        async fn insert_notices(
            tx: &mut sqlx::Transaction<'static, <$row as sqlx::Row>::Database>,
            notices: &[$crate::store::NoticeRow],
        ) -> $crate::error::Result<()> {
            for n in notices {
                let raised = sqlx::query(
                    "INSERT INTO notices (id, account_id, period_start, tier, meter, threshold_percent, reached_at, resolved_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, NULL) ON CONFLICT DO NOTHING",
                )
                .bind(&n.id)
                .bind(&n.account_id)
                .bind(n.period_start)
                .bind(&n.tier)
                .bind(&n.meter)
                .bind(n.threshold_percent)
                .bind(n.reached_at)
                .execute(&mut **tx)
                .await?
                .rows_affected();
                if raised == 1 {
                    enqueue_webhook_event(tx, &$crate::webhooks::notice_raised(n)?).await?;
                }
            }
            Ok(())
        }

        fn counters(r: &$row) -> $crate::error::Result<$crate::store::Counters> {
            use sqlx::Row;
            Ok($crate::store::Counters {
                requests: r.try_get("requests")?,
                compute_ms: r.try_get("compute_ms")?,
                egress_bytes: r.try_get("egress_bytes")?,
            })
        }

        /// Holds the account row until commit, then claims `claim.key` in `table`
        /// (in `scope`). Answers `None` for a fresh claim and
        /// the stored response for a repeat of the same request; the key with another
        /// request is refused.
        ///
        /// Holding the account makes tier changes and purchases of one account run one at a
        /// time: a no-op update of a non-key column holds the row until commit (PostgreSQL),
        /// and SQLite's write lock already serializes every writer. Ingest's foreign-key
        /// checks take a weaker lock that this one does not block.
        async fn claim_key(
            tx: &mut sqlx::Transaction<'static, <$row as sqlx::Row>::Database>,
            scope: $crate::store::ClaimScope,
            account_id: &str,
            claim: &$crate::store::PurchaseClaim,
        ) -> $crate::error::Result<Option<String>> {
            use sqlx::Row;
            sqlx::query("UPDATE accounts SET name = name WHERE id = $1").bind(account_id).execute(&mut **tx).await?;
            let claimed = sqlx::query(
                "INSERT INTO idempotency_claims (account_id, scope, idempotency_key, request_sha256, response, created_at) \
                 VALUES ($1, $2, $3, $4, '', $5) ON CONFLICT DO NOTHING",
            )
            .bind(account_id)
            .bind(scope.as_str())
            .bind(&claim.key)
            .bind(&claim.request_sha256)
            .bind(claim.created_at)
            .execute(&mut **tx)
            .await?
            .rows_affected();
            if claimed != 0 {
                return Ok(None);
            }
            // The insert waited for a racing first claim to commit: its row is there to read.
            let row = sqlx::query(
                "SELECT request_sha256, response FROM idempotency_claims \
                 WHERE account_id = $1 AND scope = $2 AND idempotency_key = $3",
            )
            .bind(account_id)
            .bind(scope.as_str())
            .bind(&claim.key)
            .fetch_one(&mut **tx)
            .await?;
            let hash: String = row.try_get("request_sha256")?;
            if hash != claim.request_sha256 {
                return Err($crate::EngineError::IdempotencyKeyReused { key: claim.key.clone() });
            }
            Ok(Some(row.try_get("response")?))
        }

        /// Stores the answer to a claim [`claim_key`] took, in the same transaction.
        async fn answer_claim(
            tx: &mut sqlx::Transaction<'static, <$row as sqlx::Row>::Database>,
            scope: $crate::store::ClaimScope,
            account_id: &str,
            claim: &$crate::store::PurchaseClaim,
            response: &str,
        ) -> $crate::error::Result<()> {
            sqlx::query("UPDATE idempotency_claims SET response = $4 WHERE account_id = $1 AND scope = $2 AND idempotency_key = $3")
                .bind(account_id)
                .bind(scope.as_str())
                .bind(&claim.key)
                .bind(response)
                .execute(&mut **tx)
                .await?;
            Ok(())
        }

        // Hourly rows in primary-key order: the totals need no grouping, routes group on
        // (hour, route) as the key runs (account, hour, route, region), so neither sorts.
        const USAGE_BY_HOUR: &str = "SELECT hour, CAST('' AS TEXT) AS grp, requests, compute_ms, egress_bytes \
             FROM usage_hourly_total WHERE account_id = $1 AND hour >= $2 AND hour < $3 ORDER BY hour";
        const USAGE_BY_ROUTE: &str = "SELECT hour, route AS grp, \
             CAST(SUM(requests) AS BIGINT) AS requests, CAST(SUM(compute_ms) AS BIGINT) AS compute_ms, \
             CAST(SUM(egress_bytes) AS BIGINT) AS egress_bytes FROM usage_hourly \
             WHERE account_id = $1 AND hour >= $2 AND hour < $3 GROUP BY hour, route ORDER BY hour, route";
        const USAGE_BY_REGION: &str = "SELECT hour, region AS grp, \
             CAST(SUM(requests) AS BIGINT) AS requests, CAST(SUM(compute_ms) AS BIGINT) AS compute_ms, \
             CAST(SUM(egress_bytes) AS BIGINT) AS egress_bytes FROM usage_hourly \
             WHERE account_id = $1 AND hour >= $2 AND hour < $3 GROUP BY hour, region ORDER BY hour, region";
    };
}

pub(crate) use impl_store;
