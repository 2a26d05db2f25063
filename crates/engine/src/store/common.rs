//! The queries both backends share. The SQL is portable (`$n` placeholders, `ON CONFLICT`,
//! `CAST(SUM(..) AS BIGINT)`); each backend supplies its transaction start and its bulk
//! writes, and this macro supplies the rest of [`super::Store`]: accounts, nodes, tier
//! changes, the ledger and notices, with the row helpers and claims the other parts use.
//! Ingest, usage and invoices have their own traits and macros beside it
//! ([`super::ingest`], [`super::usage`], [`super::invoices`]).
//!
//! One file past 500 lines on purpose: `impl_store!` writes one `impl Store` block, and one
//! trait's impl cannot be split across macros or files.

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
                Ok(sqlx::query_as("SELECT name FROM accounts WHERE id = $1")
                    .bind(account_id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn account_count(&self) -> $crate::error::Result<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(&self.pool).await?)
            }

            async fn tier_changes(&self, account_id: &str) -> $crate::error::Result<Vec<$crate::store::TierChangeRow>> {
                read_tier_changes(&self.pool, account_id).await
            }

            async fn tiers_at(
                &self,
                account_ids: &[&str],
                at: i64,
            ) -> $crate::error::Result<std::collections::BTreeMap<String, $crate::store::TierChangeRow>> {
                let mut tiers = std::collections::BTreeMap::new();
                for chunk in account_ids.chunks($crate::store::common::IN_LIST_MAX) {
                    // The latest change at or before `at`, per account, in one round trip.
                    let rows: Vec<(String, i64, String, i64, i64, i64, Option<String>)> = <$store>::fetch_many(
                        &self.pool,
                        "account_id, effective_at, tier, refused_requests, refused_compute_ms, refused_egress_bytes, refused_by",
                        |q| {
                            q.push(
                                "FROM tier_changes c WHERE c.effective_at = \
                                 (SELECT MAX(l.effective_at) FROM tier_changes l WHERE l.account_id = c.account_id AND l.effective_at <= ",
                            );
                            q.push_bind(at).push(") AND c.account_id IN (");
                            let mut list = q.separated(", ");
                            for id in chunk {
                                list.push_bind(*id);
                            }
                            q.push(")");
                        },
                    )
                    .await?;
                    tiers.extend(rows.into_iter().map(|(account_id, effective_at, tier, requests, compute_ms, egress_bytes, refused_by)| {
                        let refused = $crate::store::Counters { requests, compute_ms, egress_bytes };
                        (account_id, $crate::store::TierChangeRow { effective_at, tier, refused, refused_by })
                    }));
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
                let changes = read_tier_changes(&mut *tx, account_id).await?;
                // The ledger is read under the account lock too: a downgrade that credit forbids
                // is refused on the balance as it stands at commit.
                let entries = read_ledger(&mut *tx, account_id).await?;
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

            async fn bill_reads(
                &self,
                account_id: &str,
                period_start: i64,
                before: i64,
            ) -> $crate::error::Result<Option<$crate::store::BillReads>> {
                // One statement: the figures of one bill come from one snapshot, and the
                // reads cost one round trip rather than one each plus a transaction's two.
                // The rows of each table come packed into one JSON array.
                static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
                    let pack = <$store>::packed_rows;
                    format!(
                        "SELECT (SELECT name FROM accounts WHERE id = $1), \
                         (SELECT MIN(hour) FROM usage_hourly_total WHERE account_id = $1 AND hour < $2), \
                         (SELECT spend_cap_cents FROM account_controls WHERE account_id = $1), {}, {}, {}, {}",
                        pack(TIER_CHANGE_COLUMNS, "FROM tier_changes WHERE account_id = $1", "effective_at"),
                        pack($crate::store::REGION_COUNTER_COLUMNS, "FROM period_usage WHERE account_id = $1 AND period_start = $3", "region"),
                        pack(
                            $crate::store::controls::SPEND_CAP_COLUMNS,
                            "FROM spend_cap_periods WHERE account_id = $1 AND period_start = $3",
                            "period_start"
                        ),
                        pack(LEDGER_COLUMNS, "FROM ledger_entries WHERE account_id = $1", "sequence"),
                    )
                });
                type Packed = (Option<String>, Option<i64>, Option<i64>, String, String, String, String);
                let (name, first_usage_hour, spend_cap_cents, changes, usage, spend_cap, ledger): Packed =
                    sqlx::query_as(&SQL).bind(account_id).bind(before).bind(period_start).fetch_one(&self.pool).await?;
                let Some(name) = name else { return Ok(None) };
                let changes: Vec<$crate::store::StoredTierChange> = $crate::store::unpack_rows(&changes, "tier changes")?;
                let usage: Vec<(String, i64, i64, i64)> = $crate::store::unpack_rows(&usage, "period usage")?;
                let spend_cap: Vec<$crate::store::controls::SpendCapRow> = $crate::store::unpack_rows(&spend_cap, "spend cap")?;
                Ok(Some($crate::store::BillReads {
                    account: $crate::store::AccountRow { name },
                    changes: changes.into_iter().map(Into::into).collect(),
                    usage: usage.into_iter().map($crate::store::RegionCounters::from).collect(),
                    spend_cap: spend_cap.into_iter().next(),
                    ledger: $crate::store::unpack_rows(&ledger, "ledger entries")?,
                    first_usage_hour,
                    spend_cap_cents,
                }))
            }

            async fn ledger(&self, account_id: &str) -> $crate::error::Result<Vec<$crate::store::LedgerRow>> {
                read_ledger(&self.pool, account_id).await
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
                    let changes = read_tier_changes(&mut *tx, account_id).await?;
                    let usage = period_usage_locked(&mut tx, account_id, period_start).await?;
                    let entries = read_ledger(&mut *tx, account_id).await?;
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
                Ok(sqlx::query_as(
                    "SELECT id, account_id, period_start, tier, meter, threshold_percent, reached_at FROM notices \
                     WHERE account_id = $1 AND period_start = $2 AND resolved_at IS NULL \
                     ORDER BY reached_at, meter, threshold_percent",
                )
                .bind(account_id)
                .bind(period_start)
                .fetch_all(&self.pool)
                .await?)
            }
        }

        /// The columns of a `LedgerRow`, in the order of its fields.
        const LEDGER_COLUMNS: &str = "id, sequence, kind, amount_cents, balance_after_cents, pack_id, period_start, \
             overage_from_cents, overage_to_cents, usage_through, note, created_at, auto_after_sequence";

        /// The columns of a `StoredTierChange`, in the order of its fields.
        const TIER_CHANGE_COLUMNS: &str = "effective_at, tier, refused_requests, refused_compute_ms, refused_egress_bytes, refused_by";

        /// The account's credit ledger, in sequence order.
        async fn read_ledger<'e, E>(executor: E, account_id: &str) -> $crate::error::Result<Vec<$crate::store::LedgerRow>>
        where
            E: sqlx::Executor<'e, Database = <$row as sqlx::Row>::Database>,
        {
            let sql = format!("SELECT {LEDGER_COLUMNS} FROM ledger_entries WHERE account_id = $1 ORDER BY sequence");
            Ok(sqlx::query_as(&sql).bind(account_id).fetch_all(executor).await?)
        }

        /// The usage of the account's period starting at `period_start`, per region.
        async fn read_period_usage<'e, E>(
            executor: E,
            account_id: &str,
            period_start: i64,
        ) -> $crate::error::Result<Vec<$crate::store::RegionCounters>>
        where
            E: sqlx::Executor<'e, Database = <$row as sqlx::Row>::Database>,
        {
            let sql = format!(
                "SELECT {} FROM period_usage WHERE account_id = $1 AND period_start = $2 ORDER BY region",
                $crate::store::REGION_COUNTER_COLUMNS
            );
            Ok(sqlx::query_as(&sql)
            .bind(account_id)
            .bind(period_start)
            .fetch_all(executor)
            .await?)
        }

        /// Every tier change of the account, oldest first.
        async fn read_tier_changes<'e, E>(executor: E, account_id: &str) -> $crate::error::Result<Vec<$crate::store::TierChangeRow>>
        where
            E: sqlx::Executor<'e, Database = <$row as sqlx::Row>::Database>,
        {
            let sql = format!("SELECT {TIER_CHANGE_COLUMNS} FROM tier_changes WHERE account_id = $1 ORDER BY effective_at");
            let rows: Vec<$crate::store::StoredTierChange> = sqlx::query_as(&sql).bind(account_id).fetch_all(executor).await?;
            Ok(rows.into_iter().map(Into::into).collect())
        }

        /// The usage of the account's period starting at `period_start`, read with the
        /// backend's lock for ledger and tier decisions (a share lock on PostgreSQL).
        async fn period_usage_locked(
            tx: &mut sqlx::Transaction<'static, <$row as sqlx::Row>::Database>,
            account_id: &str,
            period_start: i64,
        ) -> $crate::error::Result<Vec<$crate::store::RegionCounters>> {
            Ok(sqlx::query_as(<$store>::PERIOD_USAGE_FOR_SETTLEMENT)
                .bind(account_id)
                .bind(period_start)
                .fetch_all(&mut **tx)
                .await?)
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
            let (hash, response): (String, String) = sqlx::query_as(
                "SELECT request_sha256, response FROM idempotency_claims \
                 WHERE account_id = $1 AND scope = $2 AND idempotency_key = $3",
            )
            .bind(account_id)
            .bind(scope.as_str())
            .bind(&claim.key)
            .fetch_one(&mut **tx)
            .await?;
            if hash != claim.request_sha256 {
                return Err($crate::EngineError::IdempotencyKeyReused { key: claim.key.clone() });
            }
            Ok(Some(response))
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
    };
}

pub(crate) use impl_store;
