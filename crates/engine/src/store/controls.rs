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
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AlertRow {
    pub id: String,
    pub account_id: String,
    pub period_start: i64,
    pub kind: String,
    pub key: String,
    pub message: String,
    pub raised_at: i64,
}

/// What a change of the controls writes: the new row, and which open alerts of the period it
/// resolves (kinds, with the key prefix they keep: alerts of those kinds whose key does not
/// start with it are resolved).
pub(crate) struct ControlsPlan {
    pub row: ControlsRow,
    pub resolve: Vec<(&'static str, String)>,
}

pub(crate) type ControlsDecide<'a> = &'a (dyn Fn(Option<ControlsRow>) -> Result<ControlsPlan> + Send + Sync);

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

        /// The `top_up_*` columns keep the figures also while top-up is switched off.
        fn controls_row(r: &$row) -> $crate::error::Result<$crate::store::controls::ControlsRow> {
            use sqlx::Row;
            use $crate::store::controls::TopUpRow;
            let percents: String = r.try_get("budget_alert_percents")?;
            let below: Option<i64> = r.try_get("top_up_below_cents")?;
            let packs: Option<i64> = r.try_get("top_up_packs")?;
            let max: Option<i64> = r.try_get("top_up_max_packs")?;
            let figures = match (below, packs, max) {
                (Some(below_cents), Some(packs), Some(max_packs)) => Some(TopUpRow { below_cents, packs, max_packs }),
                _ => None,
            };
            let enabled: bool = r.try_get("top_up_enabled")?;
            Ok($crate::store::controls::ControlsRow {
                budget_cents: r.try_get("budget_cents")?,
                budget_alert_percents: $crate::store::controls::decode_percents(&percents)?,
                budget_alert_p90: r.try_get("budget_alert_p90")?,
                spend_cap_cents: r.try_get("spend_cap_cents")?,
                top_up: figures.filter(|_| enabled),
                top_up_disabled: figures.filter(|_| !enabled),
            })
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
                let plan = decide(stored)?;
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
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT id, account_id, period_start, kind, key, message, raised_at FROM account_alerts \
                     WHERE account_id = $1 AND period_start = $2 AND resolved_at IS NULL ORDER BY raised_at, kind, key",
                )
                .bind(account_id)
                .bind(period_start)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok($crate::store::controls::AlertRow {
                            id: r.try_get("id")?,
                            account_id: r.try_get("account_id")?,
                            period_start: r.try_get("period_start")?,
                            kind: r.try_get("kind")?,
                            key: r.try_get("key")?,
                            message: r.try_get("message")?,
                            raised_at: r.try_get("raised_at")?,
                        })
                    })
                    .collect()
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
        }
    };
}

pub(crate) use impl_controls_store;
