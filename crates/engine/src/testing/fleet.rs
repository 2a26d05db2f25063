//! Data for tests and benchmarks that ingest cannot make quickly: long usage histories and a
//! seeded fleet of accounts.

/// Fills the hourly rollups of every account with `hours` hours of usage from `first_hour`
/// (unix seconds, on the hour): two routes in `eu`, 100 to 330 requests an hour following the
/// time of day. For benchmarks of usage queries over long spans, which ingest cannot backfill
/// (a period closes one hour after it ends).
pub async fn fill_hourly_history(url: &str, first_hour: i64, hours: i64) {
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        sqlx::query(
            "WITH RECURSIVE h(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM h WHERE j < $2 - 1) \
             INSERT INTO usage_hourly (account_id, hour, route, region, requests, compute_ms, egress_bytes) \
             SELECT a.id, $1 + h.j * 3600, r.route, 'eu', 100 + (h.j % 24) * 10, 500, 200000 \
             FROM accounts a, h, (SELECT '/api/orders' AS route UNION ALL SELECT '/api/search') r",
        )
        .bind(first_hour)
        .bind(hours)
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO usage_hourly_total (account_id, hour, requests, compute_ms, egress_bytes) \
             SELECT account_id, hour, SUM(requests), SUM(compute_ms), SUM(egress_bytes) FROM usage_hourly GROUP BY account_id, hour",
        )
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query(
            "INSERT INTO usage_hourly (account_id, hour, route, region, requests, compute_ms, egress_bytes) \
             SELECT a.id, $1 + j * 3600, r.route, 'eu', 100 + (j % 24) * 10, 500, 200000 \
             FROM accounts a, generate_series(0::bigint, $2 - 1) j, (VALUES ('/api/orders'), ('/api/search')) r(route)",
        )
        .bind(first_hour)
        .bind(hours)
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO usage_hourly_total (account_id, hour, requests, compute_ms, egress_bytes) \
             SELECT account_id, hour, SUM(requests), SUM(compute_ms), SUM(egress_bytes) FROM usage_hourly GROUP BY account_id, hour",
        )
        .execute(&pool)
        .await
        .unwrap();
        // As autovacuum would: the visibility map lets the chart query read the index alone.
        sqlx::query("VACUUM ANALYZE").execute(&pool).await.unwrap();
    }
}

/// The monthly partitions of the usage tables on a PostgreSQL database, by name (none on
/// SQLite, which has none).
pub async fn usage_partitions(url: &str) -> Vec<String> {
    if url.starts_with("sqlite:") {
        return Vec::new();
    }
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let names = sqlx::query_scalar(
        "SELECT c.relname::TEXT FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         JOIN pg_class p ON p.oid = i.inhparent \
         WHERE p.relname IN ('usage_records', 'usage_hourly', 'usage_hourly_total') AND c.relname NOT LIKE '%_default' \
         ORDER BY c.relname",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    names
}

/// Accounts a fleet seeded by [`seed_fleet`] is named after: `fleet-0000`, `fleet-0001`, ...
pub const FLEET_NAME_PREFIX: &str = "fleet-";

/// Seeds a deterministic fleet for the operator's report, its tests and its benchmark:
/// `accounts` accounts created at the start of the month `months` months before `now`'s
/// (sandbox, production, production, scale in turn), with one hour of usage in each of those
/// months (an account's region, requests, egress and compute follow from its index, and grow
/// month by month), a burst pack bought in the first month by every fifth production account,
/// and tier moves in the second month: every tenth account from production to scale, every
/// eighth from sandbox to production, and every twelfth from scale down to production from the
/// next month. Every call on the engine takes its `now` inside the month it acts on, so the
/// fleet is the same on every backend. Answers the accounts in index order.
pub async fn seed_fleet(engine: &crate::Engine, accounts: usize, months: u32, now: chrono::DateTime<chrono::Utc>) -> Vec<crate::AccountId> {
    use chrono::Duration;
    use edgecost_api::{CreditPurchaseRequest, MAX_BATCH_RECORDS, TelemetryBatch, TelemetryRecord, TierChangeRequest};

    use crate::Period;
    let mut periods = Vec::new();
    let mut p = Period::containing(now);
    for _ in 0..months {
        p = Period::containing(p.start - Duration::seconds(1));
        periods.push(p);
    }
    periods.reverse();
    let Some(first) = periods.first() else { return Vec::new() };
    let created = first.start;
    let node = engine.create_node("fleet-node", created).await.unwrap();
    let node_id = engine.authenticate_node(&node.token).await.unwrap();
    let tier_of = |i: usize| match i % 4 {
        0 => "sandbox",
        3 => "scale",
        _ => "production",
    };
    let mut ids = Vec::with_capacity(accounts);
    for i in 0..accounts {
        let a = engine.create_account(&format!("{FLEET_NAME_PREFIX}{i:04}"), tier_of(i), created).await.unwrap();
        ids.push(engine.authenticate_account(&a.token).await.unwrap());
    }
    for (m, period) in periods.iter().enumerate() {
        let window_start = period.start + Duration::days(9);
        let at = period.start + Duration::days(19);
        let records: Vec<TelemetryRecord> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let requests = ((i as u64 * 7_919) % 300_000 + 10_000) * (m as u64 + 2) / 2;
                TelemetryRecord {
                    account_id: id.as_str().to_owned(),
                    route: "/api".to_owned(),
                    region: ["na", "eu", "apac", "sa"][i % 4].to_owned(),
                    window_start,
                    window_seconds: 3_600,
                    requests,
                    compute_ms: requests * 3,
                    egress_bytes: requests * 150_000,
                }
            })
            .collect();
        for (c, chunk) in records.chunks(MAX_BATCH_RECORDS).enumerate() {
            let batch =
                TelemetryBatch { batch_id: format!("fleet-{m}-{c}"), node_id: node_id.as_str().to_owned(), records: chunk.to_vec() };
            engine.ingest(&node_id, &batch, at).await.unwrap();
        }
        let later = at + Duration::hours(1);
        for (i, id) in ids.iter().enumerate() {
            if m == 0 && i % 5 == 2 && tier_of(i) == "production" {
                engine.purchase_credits(id, "fleet-pack", &CreditPurchaseRequest { packs: 1 }, later).await.unwrap();
            }
            let to = match (m, tier_of(i)) {
                (1, "production") if i % 10 == 1 => Some("scale"),
                (1, "sandbox") if i % 8 == 0 => Some("production"),
                (1, "scale") if i % 12 == 3 => Some("production"),
                _ => None,
            };
            if let Some(tier) = to {
                engine.change_tier(id, "fleet-move", &TierChangeRequest { tier: tier.to_owned() }, later).await.unwrap();
            }
        }
    }
    ids
}
