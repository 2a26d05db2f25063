//! The operator's report and what-if read the same figures from SQLite and from PostgreSQL,
//! and operator tokens are a kind of their own.

use chrono::{DateTime, Utc};
use edgecost_api::{OperatorReport, OperatorReportQuery, WhatIfReport};
use edgecost_engine::testing::{PgServer, seed_fleet};
use edgecost_engine::{AccountId, Engine};
use edgecost_pricing::{Decimal, PriceBook};

const ACCOUNTS: usize = 48;

fn now() -> DateTime<Utc> {
    "2026-12-06T12:00:00Z".parse().unwrap()
}

/// The published book with an infrastructure cost, so the margin is compared too.
fn book() -> PriceBook {
    let yaml = format!(
        "{}\ninfrastructure_cost:\n  compute_second: \"0.00002\"\n  requests_per_10k: \"0.02\"\n  egress_gb: {{ default: \"0.04\", apac: \"0.09\" }}\n",
        PriceBook::published_yaml()
    );
    PriceBook::from_yaml_str(&yaml, "costed.yaml").unwrap()
}

/// Production at $25, scale at $59.
fn proposed() -> PriceBook {
    let yaml = PriceBook::published_yaml()
        .replace("base_fee: \"19.00\"", "base_fee: \"25.00\"")
        .replace("base_fee: \"79.00\"", "base_fee: \"59.00\"");
    PriceBook::from_yaml_str(&yaml, "proposed.yaml").unwrap()
}

/// The report and the what-if as JSON, each account id replaced by its name: ids are random.
async fn figures(engine: &Engine, ids: &[AccountId]) -> (serde_json::Value, serde_json::Value) {
    let query = OperatorReportQuery { from: Some("2026-08".into()), to: Some("2026-12".into()), margin_below: Some(Decimal::from(70)) };
    let report: OperatorReport = engine.operator_report(&query, engine.book().infrastructure_cost.as_ref(), now()).await.unwrap();
    let what_if: WhatIfReport = engine.what_if(&proposed(), 3, now()).await.unwrap();
    let mut texts = [serde_json::to_string(&report).unwrap(), serde_json::to_string(&what_if).unwrap()];
    for (i, id) in ids.iter().enumerate() {
        for t in &mut texts {
            *t = t.replace(id.as_str(), &format!("fleet-{i:04}"));
        }
    }
    check_sums(&report);
    (serde_json::from_str(&texts[0]).unwrap(), serde_json::from_str(&texts[1]).unwrap())
}

/// The same property checked a second way: every month's MRR is the sum of its tiers'.
fn check_sums(report: &OperatorReport) {
    assert_eq!(report.months.len(), 5);
    for m in &report.months {
        let tiers: Decimal = m.revenue_by_tier.iter().map(|t| t.revenue).sum();
        assert_eq!(tiers, m.mrr, "{}", m.month);
        assert_eq!(m.revenue_by_tier.iter().map(|t| t.accounts).sum::<u32>(), m.accounts, "{}", m.month);
    }
}

async fn seeded(url: &str) -> (Engine, Vec<AccountId>) {
    let engine = Engine::open(url, book()).await.unwrap();
    let ids = seed_fleet(&engine, ACCOUNTS, 3, now()).await;
    (engine, ids)
}

#[tokio::test]
async fn the_report_and_the_what_if_are_the_same_on_sqlite_and_postgresql() {
    let dir = tempfile::tempdir().unwrap();
    let (sqlite, sqlite_ids) = seeded(&Engine::sqlite_url(&dir.path().join("fleet.db"))).await;
    let server = PgServer::shared();
    let (postgres, postgres_ids) = seeded(&server.create_database().await).await;
    let (report, what_if) = figures(&sqlite, &sqlite_ids).await;
    assert_eq!(figures(&postgres, &postgres_ids).await, (report.clone(), what_if.clone()));

    // The fleet moved as seeded: in the second month (October) the production accounts among
    // every tenth (1, 21, 41; 11 and 31 are on scale) went to scale and every eighth (0, 8, 16,
    // 24, 32, 40, all on sandbox) to production; every twelfth from 3 (3, 15, 27, 39, on scale)
    // moved down to production from November.
    let oct = &report["months"][2];
    assert_eq!(oct["month"], "2026-10");
    assert_eq!(oct["upgrades"], 3 + 6);
    assert_eq!(report["months"][3]["downgrades"], 4);
    // Every fifth production account (2, 17, 22, 37, 42: index % 5 == 2) bought a pack in
    // September, the first seeded month; in August the fleet did not exist yet.
    assert_eq!(report["months"][1]["credit_packs"]["packs_sold"], 5);
    assert_eq!(report["months"][0]["accounts"], 0);
    // The three seeded months are closed; December has no usage yet but its base fees.
    assert_eq!(report["months"][4]["closed"], false);
    assert_eq!(what_if["months"], serde_json::json!(["2026-09", "2026-10", "2026-11"]));
    assert!(what_if["unrated"].as_array().unwrap().is_empty());
    assert!(report["margin"]["by_account"].as_array().unwrap().len() == ACCOUNTS);
}

#[tokio::test]
async fn operator_tokens_open_only_the_operator_and_are_stored_hashed() {
    let dir = tempfile::tempdir().unwrap();
    let url = Engine::sqlite_url(&dir.path().join("tokens.db"));
    let engine = Engine::open(&url, PriceBook::published().clone()).await.unwrap();
    let account = engine.create_account("Acme", "production", now()).await.unwrap();
    let operator = engine.create_operator("Ops", now()).await.unwrap();
    assert_eq!(engine.authenticate_operator(&operator.token).await.unwrap().as_str(), operator.operator_id);
    assert_eq!(engine.authenticate_account(&operator.token).await.unwrap_err().code(), "unauthenticated");
    assert_eq!(engine.authenticate_node(&operator.token).await.unwrap_err().code(), "unauthenticated");
    assert_eq!(engine.authenticate_operator(&account.token).await.unwrap_err().code(), "unauthenticated");
    // An account token with the operator's prefix is still no operator token.
    let disguised = account.token.replacen("ec_acct_", "ec_oper_", 1);
    assert_eq!(engine.authenticate_operator(&disguised).await.unwrap_err().code(), "unauthenticated");
    assert_eq!(engine.create_operator(" ", now()).await.unwrap_err().code(), "invalid_name");
    engine.close().await;

    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let stored: String = sqlx::query_scalar("SELECT token_hash FROM operators").fetch_one(&pool).await.unwrap();
    assert_eq!(stored.len(), 64);
    assert!(!stored.contains(operator.token.trim_start_matches("ec_oper_")), "only the hash is stored");
}
