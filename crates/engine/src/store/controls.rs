//! Storage of an account's spend controls (budget, spend cap, automatic top-up) and of the
//! alerts they raise. Shared by both backends like [`super::common`]'s queries.

use async_trait::async_trait;

use crate::error::Result;

/// An account's controls as stored; amounts in cents.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ControlsRow {
    pub budget_cents: Option<i64>,
    /// Ascending percentages of the budget.
    pub budget_alert_percents: Vec<u32>,
    pub budget_alert_p90: bool,
    pub spend_cap_cents: Option<i64>,
    pub top_up: Option<TopUpRow>,
    /// Automatic top-up is set up but switched off: its figures are kept for the form.
    pub top_up_disabled: Option<TopUpRow>,
}

/// Automatic top-up: buy `packs` when paying overage leaves the balance below `below_cents`,
/// at most `max_packs` per period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TopUpRow {
    pub below_cents: i64,
    pub packs: i64,
    pub max_packs: i64,
}

/// An alert as stored (see the `account_alerts` table).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct AlertRow {
    pub id: String,
    pub account_id: String,
    pub period_start: i64,
    pub kind: String,
    pub key: String,
    pub message: String,
    pub raised_at: i64,
}

/// What an account's spend cap did in one period, as stored (see the `spend_cap_periods`
/// table and [`crate::spend_cap`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow, serde::Deserialize)]
pub(crate) struct SpendCapRow {
    pub cap_cents: Option<i64>,
    pub capped_at: Option<i64>,
    pub limit_requests: Option<i64>,
    pub limit_compute_ms: Option<i64>,
    pub limit_egress: Option<String>,
    pub refused_requests: i64,
    pub refused_compute_ms: i64,
    pub refused_egress: String,
}

/// The columns of [`SpendCapRow`].
pub(crate) const SPEND_CAP_COLUMNS: &str = "cap_cents, capped_at, limit_requests, limit_compute_ms, limit_egress, \
     refused_requests, refused_compute_ms, refused_egress";

/// What a change of the controls reads in its transaction: the stored row and, for the spend
/// cap, the open period's usage, tier changes and cap state.
pub(crate) struct ControlsRead {
    pub stored: Option<ControlsRow>,
    pub usage: Vec<super::RegionCounters>,
    pub changes: Vec<super::TierChangeRow>,
    pub spend_cap: Option<SpendCapRow>,
}

/// What a change of the controls writes: the new row, which open alerts of the period it
/// resolves (kinds, with the key prefix they keep: alerts of those kinds whose key does not
/// start with it are resolved), the period's spend cap state when it changes, and alerts to
/// raise.
pub(crate) struct ControlsPlan {
    pub row: ControlsRow,
    pub resolve: Vec<(&'static str, String)>,
    pub spend_cap: Option<SpendCapRow>,
    pub alerts: Vec<AlertRow>,
}

pub(crate) type ControlsDecide<'a> = &'a (dyn Fn(ControlsRead) -> Result<ControlsPlan> + Send + Sync);

/// What an ingest reads about an account with a spend cap, holding the account until commit.
#[derive(Clone, Debug)]
pub(crate) struct CapContext {
    pub cap_cents: i64,
    pub row: Option<SpendCapRow>,
    pub changes: Vec<super::TierChangeRow>,
}

/// What happens after an ingest commits, for the accounts of the batch, read with the spend
/// caps in the ingest's transaction: one look at the controls per batch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct FollowUps {
    /// Accounts with a ledger or automatic top-up switched on, in id order: credit is settled
    /// for them.
    pub settle: Vec<String>,
    /// Accounts with a budget, in id order: their alerts are worked out again.
    pub budgeted: Vec<String>,
}

/// What an ingest looks up per account of its batch (see [`FollowUps`]): whether the account
/// has a spend cap, a budget, and credit to settle (a ledger entry or automatic top-up).
#[derive(sqlx::FromRow)]
pub(crate) struct FollowUpFlags {
    pub account_id: String,
    pub capped: bool,
    pub budgeted: bool,
    pub settles: bool,
}

#[async_trait]
pub(crate) trait ControlsStore: Send + Sync {
    /// The account's controls; `None` when it never set any.
    async fn controls(&self, account_id: &str) -> Result<Option<ControlsRow>>;
    /// Claims `claim` and writes what `decide` plans from the stored row, resolving the
    /// alerts it names in the period starting at `period_start`, in one transaction. A key
    /// already claimed with the same request changes nothing; with another it is refused.
    async fn write_controls(
        &self,
        account_id: &str,
        scope: super::ClaimScope,
        claim: &super::PurchaseClaim,
        period_start: i64,
        now: i64,
        decide: ControlsDecide<'_>,
    ) -> Result<()>;
    /// Stores those of `alerts` not raised before (same account, period, kind and key) and
    /// answers them.
    async fn raise_alerts(&self, alerts: &[AlertRow]) -> Result<Vec<AlertRow>>;
    /// Open alerts of the account for the period starting at `period_start`, oldest first.
    async fn open_alerts(&self, account_id: &str, period_start: i64) -> Result<Vec<AlertRow>>;
    /// The accounts among `account_ids` that have a budget.
    async fn accounts_with_budget(&self, account_ids: &[&str]) -> Result<Vec<String>>;
    /// What the account's spend cap did in the period starting at `period_start`.
    async fn spend_cap(&self, account_id: &str, period_start: i64) -> Result<Option<SpendCapRow>>;
}

pub(crate) fn encode_percents(percents: &[u32]) -> String {
    percents.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

pub(crate) fn decode_percents(text: &str) -> Result<Vec<u32>> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|p| p.parse().map_err(|_| crate::EngineError::CorruptRow { reason: format!("budget alert percents {text:?}") }))
        .collect()
}

/// The `account_controls` columns as stored. The `top_up_*` columns keep the figures also
/// while top-up is switched off.
#[derive(sqlx::FromRow)]
pub(crate) struct StoredControls {
    budget_cents: Option<i64>,
    budget_alert_percents: String,
    budget_alert_p90: bool,
    spend_cap_cents: Option<i64>,
    top_up_below_cents: Option<i64>,
    top_up_packs: Option<i64>,
    top_up_max_packs: Option<i64>,
    top_up_enabled: bool,
}

impl TryFrom<StoredControls> for ControlsRow {
    type Error = crate::EngineError;

    fn try_from(r: StoredControls) -> Result<ControlsRow> {
        let figures = match (r.top_up_below_cents, r.top_up_packs, r.top_up_max_packs) {
            (Some(below_cents), Some(packs), Some(max_packs)) => Some(TopUpRow { below_cents, packs, max_packs }),
            _ => None,
        };
        Ok(ControlsRow {
            budget_cents: r.budget_cents,
            budget_alert_percents: decode_percents(&r.budget_alert_percents)?,
            budget_alert_p90: r.budget_alert_p90,
            spend_cap_cents: r.spend_cap_cents,
            top_up: figures.filter(|_| r.top_up_enabled),
            top_up_disabled: figures.filter(|_| !r.top_up_enabled),
        })
    }
}

/// The SELECT of an account's controls row.
pub(crate) const CONTROLS_SELECT: &str = "SELECT budget_cents, budget_alert_percents, budget_alert_p90, spend_cap_cents, \
     top_up_below_cents, top_up_packs, top_up_max_packs, top_up_enabled FROM account_controls WHERE account_id = $1";

macro_rules! impl_controls_store {
    ($store:ty, $row:ty) => {
        /// Stores `a` unless it was raised before; answers whether it is new. A new alert is
        /// queued for the account's webhook in the same transaction.
        async fn insert_alert(
            tx: &mut sqlx::Transaction<'static, <$row as sqlx::Row>::Database>,
            a: &$crate::store::controls::AlertRow,
        ) -> $crate::error::Result<bool> {
            let inserted = sqlx::query(
                "INSERT INTO account_alerts (id, account_id, period_start, kind, key, message, raised_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            )
            .bind(&a.id)
            .bind(&a.account_id)
            .bind(a.period_start)
            .bind(&a.kind)
            .bind(&a.key)
            .bind(&a.message)
            .bind(a.raised_at)
            .execute(&mut **tx)
            .await?
            .rows_affected();
            if let Some(event) = $crate::webhooks::alert_raised(a).filter(|_| inserted > 0) {
                enqueue_webhook_event(tx, &event).await?;
            }
            Ok(inserted > 0)
        }

        /// Stores the spend cap state of the account's period starting at `period_start`.
        async fn upsert_spend_cap(
            tx: &mut sqlx::Transaction<'static, <$row as sqlx::Row>::Database>,
            account_id: &str,
            period_start: i64,
            c: &$crate::store::controls::SpendCapRow,
        ) -> $crate::error::Result<()> {
            sqlx::query(
                "INSERT INTO spend_cap_periods (account_id, period_start, cap_cents, capped_at, limit_requests, limit_compute_ms, \
                 limit_egress, refused_requests, refused_compute_ms, refused_egress) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (account_id, period_start) DO UPDATE SET cap_cents = excluded.cap_cents, capped_at = excluded.capped_at, \
                 limit_requests = excluded.limit_requests, limit_compute_ms = excluded.limit_compute_ms, \
                 limit_egress = excluded.limit_egress, refused_requests = excluded.refused_requests, \
                 refused_compute_ms = excluded.refused_compute_ms, refused_egress = excluded.refused_egress",
            )
            .bind(account_id)
            .bind(period_start)
            .bind(c.cap_cents)
            .bind(c.capped_at)
            .bind(c.limit_requests)
            .bind(c.limit_compute_ms)
            .bind(&c.limit_egress)
            .bind(c.refused_requests)
            .bind(c.refused_compute_ms)
            .bind(&c.refused_egress)
            .execute(&mut **tx)
            .await?;
            Ok(())
        }

        async fn spend_cap_row<'e, E>(
            executor: E,
            account_id: &str,
            period_start: i64,
        ) -> $crate::error::Result<Option<$crate::store::controls::SpendCapRow>>
        where
            E: sqlx::Executor<'e, Database = <$row as sqlx::Row>::Database>,
        {
            let sql = format!(
                "SELECT {} FROM spend_cap_periods WHERE account_id = $1 AND period_start = $2",
                $crate::store::controls::SPEND_CAP_COLUMNS
            );
            Ok(sqlx::query_as(&sql).bind(account_id).bind(period_start).fetch_optional(executor).await?)
        }

        /// The accounts among `account_ids` with a spend cap, each held until commit (in
        /// id order, as every writer that holds accounts takes them), with what deciding on
        /// the cap needs: read after the hold, so a concurrent change of the cap is seen
        /// whole or not at all. Also answers, from the same lookup of the controls, which of
        /// the accounts the ingest follows up after its commit.
        async fn hold_capped_accounts(
            tx: &mut sqlx::Transaction<'static, <$row as sqlx::Row>::Database>,
            account_ids: &[String],
            period_start: i64,
        ) -> $crate::error::Result<(
            std::collections::BTreeMap<String, $crate::store::controls::CapContext>,
            $crate::store::controls::FollowUps,
        )> {
            let mut capped: Vec<String> = Vec::new();
            let mut settle = std::collections::BTreeSet::new();
            let mut budgeted = std::collections::BTreeSet::new();
            for chunk in account_ids.chunks($crate::store::common::IN_LIST_MAX) {
                // One row per account with controls, and one per account with a ledger entry
                // (found by the ledger's (account_id, sequence) key, one seek each).
                let mut q = sqlx::QueryBuilder::<<$row as sqlx::Row>::Database>::new(
                    "SELECT account_id, spend_cap_cents IS NOT NULL AS capped, budget_cents IS NOT NULL AS budgeted, \
                     top_up_enabled AS settles FROM account_controls WHERE account_id IN (",
                );
                let mut list = q.separated(", ");
                for id in chunk {
                    list.push_bind(id.as_str());
                }
                q.push(") UNION ALL SELECT a.id, FALSE, FALSE, TRUE FROM accounts a WHERE a.id IN (");
                let mut list = q.separated(", ");
                for id in chunk {
                    list.push_bind(id.as_str());
                }
                q.push(") AND EXISTS (SELECT 1 FROM ledger_entries l WHERE l.account_id = a.id)");
                let rows: Vec<$crate::store::controls::FollowUpFlags> = q.build_query_as().fetch_all(&mut **tx).await?;
                for r in rows {
                    if r.capped {
                        capped.push(r.account_id.clone());
                    }
                    if r.budgeted {
                        budgeted.insert(r.account_id.clone());
                    }
                    if r.settles {
                        settle.insert(r.account_id);
                    }
                }
            }
            capped.sort_unstable();
            let mut found = std::collections::BTreeMap::new();
            for account_id in capped {
                sqlx::query("UPDATE accounts SET name = name WHERE id = $1").bind(&account_id).execute(&mut **tx).await?;
                let cap: Option<Option<i64>> = sqlx::query_scalar("SELECT spend_cap_cents FROM account_controls WHERE account_id = $1")
                    .bind(&account_id)
                    .fetch_optional(&mut **tx)
                    .await?;
                let Some(Some(cap_cents)) = cap else { continue };
                let row = spend_cap_row(&mut **tx, &account_id, period_start).await?;
                let changes = read_tier_changes(&mut **tx, &account_id).await?;
                found.insert(account_id, $crate::store::controls::CapContext { cap_cents, row, changes });
            }
            let follow_ups = $crate::store::controls::FollowUps {
                settle: settle.into_iter().collect(),
                budgeted: budgeted.into_iter().collect(),
            };
            Ok((found, follow_ups))
        }

        fn controls_row(r: &$row) -> $crate::error::Result<$crate::store::controls::ControlsRow> {
            <$crate::store::controls::StoredControls as sqlx::FromRow<$row>>::from_row(r)?.try_into()
        }

        #[async_trait::async_trait]
        impl $crate::store::controls::ControlsStore for $store {
            async fn controls(&self, account_id: &str) -> $crate::error::Result<Option<$crate::store::controls::ControlsRow>> {
                let row = sqlx::query($crate::store::controls::CONTROLS_SELECT).bind(account_id).fetch_optional(&self.pool).await?;
                row.as_ref().map(controls_row).transpose()
            }

            async fn write_controls(
                &self,
                account_id: &str,
                scope: $crate::store::ClaimScope,
                claim: &$crate::store::PurchaseClaim,
                period_start: i64,
                now: i64,
                decide: $crate::store::controls::ControlsDecide<'_>,
            ) -> $crate::error::Result<()> {
                let mut tx = self.begin_write().await?;
                if claim_key(&mut tx, scope, account_id, claim).await?.is_some() {
                    tx.rollback().await?;
                    return Ok(());
                }
                let stored = sqlx::query($crate::store::controls::CONTROLS_SELECT).bind(account_id).fetch_optional(&mut *tx).await?;
                let stored = stored.as_ref().map(controls_row).transpose()?;
                let changes = read_tier_changes(&mut *tx, account_id).await?;
                let usage = period_usage_locked(&mut tx, account_id, period_start).await?;
                let spend_cap = spend_cap_row(&mut *tx, account_id, period_start).await?;
                let plan = decide($crate::store::controls::ControlsRead { stored, usage, changes, spend_cap })?;
                if let Some(c) = &plan.spend_cap {
                    upsert_spend_cap(&mut tx, account_id, period_start, c).await?;
                }
                let row = &plan.row;
                let top_up = row.top_up.or(row.top_up_disabled);
                sqlx::query(
                    "INSERT INTO account_controls (account_id, budget_cents, budget_alert_percents, budget_alert_p90, \
                     spend_cap_cents, top_up_below_cents, top_up_packs, top_up_max_packs, top_up_enabled, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                     ON CONFLICT (account_id) DO UPDATE SET budget_cents = excluded.budget_cents, \
                     budget_alert_percents = excluded.budget_alert_percents, budget_alert_p90 = excluded.budget_alert_p90, \
                     spend_cap_cents = excluded.spend_cap_cents, top_up_below_cents = excluded.top_up_below_cents, \
                     top_up_packs = excluded.top_up_packs, top_up_max_packs = excluded.top_up_max_packs, \
                     top_up_enabled = excluded.top_up_enabled, updated_at = excluded.updated_at",
                )
                .bind(account_id)
                .bind(row.budget_cents)
                .bind($crate::store::controls::encode_percents(&row.budget_alert_percents))
                .bind(row.budget_alert_p90)
                .bind(row.spend_cap_cents)
                .bind(top_up.map(|t| t.below_cents))
                .bind(top_up.map(|t| t.packs))
                .bind(top_up.map(|t| t.max_packs))
                .bind(row.top_up.is_some())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                for (kind, keep_prefix) in &plan.resolve {
                    sqlx::query(
                        "UPDATE account_alerts SET resolved_at = $5 WHERE account_id = $1 AND period_start = $2 AND kind = $3 \
                         AND resolved_at IS NULL AND substr(key, 1, length($4)) <> $4",
                    )
                    .bind(account_id)
                    .bind(period_start)
                    .bind(*kind)
                    .bind(keep_prefix)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                for a in &plan.alerts {
                    insert_alert(&mut tx, a).await?;
                }
                answer_claim(&mut tx, scope, account_id, claim, "{}").await?;
                tx.commit().await?;
                Ok(())
            }

            async fn raise_alerts(
                &self,
                alerts: &[$crate::store::controls::AlertRow],
            ) -> $crate::error::Result<Vec<$crate::store::controls::AlertRow>> {
                if alerts.is_empty() {
                    return Ok(Vec::new());
                }
                let mut tx = self.begin_write().await?;
                let mut raised = Vec::new();
                for a in alerts {
                    if insert_alert(&mut tx, a).await? {
                        raised.push(a.clone());
                    }
                }
                tx.commit().await?;
                Ok(raised)
            }

            async fn open_alerts(
                &self,
                account_id: &str,
                period_start: i64,
            ) -> $crate::error::Result<Vec<$crate::store::controls::AlertRow>> {
                Ok(sqlx::query_as(
                    "SELECT id, account_id, period_start, kind, key, message, raised_at FROM account_alerts \
                     WHERE account_id = $1 AND period_start = $2 AND resolved_at IS NULL ORDER BY raised_at, kind, key",
                )
                .bind(account_id)
                .bind(period_start)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn accounts_with_budget(&self, account_ids: &[&str]) -> $crate::error::Result<Vec<String>> {
                let mut found = Vec::new();
                for chunk in account_ids.chunks($crate::store::common::IN_LIST_MAX) {
                    let mut q = sqlx::QueryBuilder::<<$row as sqlx::Row>::Database>::new(
                        "SELECT account_id FROM account_controls WHERE budget_cents IS NOT NULL AND account_id IN (",
                    );
                    let mut list = q.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    q.push(")");
                    found.extend(q.build_query_scalar::<String>().fetch_all(&self.pool).await?);
                }
                Ok(found)
            }

            async fn spend_cap(
                &self,
                account_id: &str,
                period_start: i64,
            ) -> $crate::error::Result<Option<$crate::store::controls::SpendCapRow>> {
                spend_cap_row(&self.pool, account_id, period_start).await
            }
        }
    };
}

pub(crate) use impl_controls_store;
