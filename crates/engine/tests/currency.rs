//! The texts the engine writes for an account (budget and spend cap alerts, automatic top-up
//! alerts, ledger notes, refusals) write amounts in the price book's currency: each story runs
//! on the published book in US dollars and on the same book in euros, and reads the same but
//! for the sign (`$19.00`, `€19.00`).

use chrono::Duration;
use edgecost_api::{AccountAlert, AlertKind, AutoTopUpSettings, BudgetSettings, CreditPurchaseRequest, TelemetryRecord};
use edgecost_engine::{Engine, EngineError};
use edgecost_pricing::PriceBook;

mod common;
use common::*;

/// An account on `tier` created on Oct 1, with a node, on an engine whose book is the
/// published one in `currency`.
async fn fixture_in(db: &Db, currency: &str, tier: &str) -> Fixture {
    let book = PriceBook { currency: currency.to_owned(), ..PriceBook::published().clone() };
    let engine = Engine::open(&db.url, book).await.unwrap();
    let created = engine.create_account("Acme", tier, t("2026-10-01T00:00:00Z")).await.unwrap();
    let account = engine.authenticate_account(&created.token).await.unwrap();
    let node_created = engine.create_node("edge-fra-1", created.created_at).await.unwrap();
    let node = engine.authenticate_node(&node_created.token).await.unwrap();
    Fixture { engine, account, account_id: created.account_id, node, node_id: node_created.node_id }
}

fn messages(alerts: &[AccountAlert], kind: AlertKind) -> Vec<String> {
    alerts.iter().filter(|a| a.kind == kind).map(|a| a.message.clone()).collect()
}

fn refusal_reason(e: EngineError) -> String {
    match e {
        EngineError::InvalidControls { reason } => reason,
        other => panic!("{other:?}"),
    }
}

fn top_up(below: &str, packs: u32, max: u32) -> AutoTopUpSettings {
    AutoTopUpSettings { enabled: true, below: d(below), packs, max_packs_per_period: max }
}

/// The currencies each story runs in, with the sign their amounts are written after.
const CURRENCIES: [(&str, &str); 2] = [("USD", "$"), ("EUR", "€")];

/// Production: $19.00 a month, 200,000 requests included, then $0.40 per 10,000; packs of
/// $25.00 credit for $25.00.
async fn budget_alerts_and_refusals(currency: &str, s: &str) {
    let db = Db::sqlite().await;
    let f = fixture_in(&db, currency, "production").await;
    let budget = BudgetSettings { monthly_budget: Some(d("30.00")), ..Default::default() };
    let status = f.engine.set_budget(&f.account, "b-1", &budget, t("2026-11-02T00:00:00Z")).await.unwrap();
    assert_eq!(
        messages(&status.alerts, AlertKind::BudgetSpend),
        vec![format!("Spend reached 50% of the {s}30.00 budget: {s}19.00 so far this period, on Nov 2.")]
    );

    let too_large = BudgetSettings { spend_cap: Some(d("10000000.01")), ..Default::default() };
    let refused = f.engine.set_budget(&f.account, "b-2", &too_large, t("2026-11-02T00:00:00Z")).await.unwrap_err();
    assert_eq!(refusal_reason(refused), format!("spend_cap must be at most {s}10,000,000.00; got 10000000.01"));
    let refused = f.engine.set_auto_top_up(&f.account, "t-1", &top_up("20000000", 1, 2), t(NOW)).await.unwrap_err();
    assert_eq!(refusal_reason(refused), format!("below must be at most {s}10,000,000.00; got 20000000"));
}

/// 100,000 requests a day from Nov 1 to Nov 10, read on Nov 11: $51.00 so far, $131.00
/// projected, past a $100.00 budget on Nov 23.
async fn a_forecast_alert(currency: &str, s: &str) {
    let db = Db::sqlite().await;
    let f = fixture_in(&db, currency, "production").await;
    let now = t("2026-11-11T00:00:00Z");
    let records: Vec<TelemetryRecord> = (0..10)
        .map(|day| rec(&f.account_id, "/api", "na", &(t("2026-11-01T00:00:00Z") + Duration::days(day)).to_rfc3339(), 100_000, 0, 0))
        .collect();
    f.engine.ingest(&f.node, &batch(&f, "november", records), now).await.unwrap();
    let budget = BudgetSettings { monthly_budget: Some(d("100.00")), ..Default::default() };
    let status = f.engine.set_budget(&f.account, "b", &budget, now).await.unwrap();
    assert_eq!(
        messages(&status.alerts, AlertKind::BudgetForecast),
        vec![format!(
            "At the outlook's P50, the period is projected to cost {s}131.00, past the {s}100.00 budget, reaching it around Nov 23."
        )]
    );
    assert_eq!(
        messages(&status.alerts, AlertKind::BudgetSpend),
        vec![format!("Spend reached 50% of the {s}100.00 budget: {s}51.00 so far this period, on Nov 11.")]
    );
}

/// A purchase, the overage it pays, the credit an upgrade gives back, and a downgrade refused
/// while credit is held.
async fn ledger_notes_and_the_held_balance(currency: &str, s: &str) {
    let db = Db::sqlite().await;
    let f = fixture_in(&db, currency, "production").await;
    // 50,000 requests past the quota: $2.00 of overage.
    use_requests(&f, "c-1", 250_000, "2026-11-20T08:00:00Z").await;
    f.engine.purchase_credits(&f.account, "p-1", &CreditPurchaseRequest { packs: 1 }, t(NOW)).await.unwrap();
    let downgrade = f.engine.change_tier(&f.account, "down", &tier("sandbox"), t(NOW)).await.unwrap_err();
    assert!(matches!(&downgrade, EngineError::CreditsHeld { balance, .. } if *balance == format!("{s}23.00")), "{downgrade:?}");
    assert_eq!(downgrade.to_string(), format!("tier 'sandbox' cannot hold burst credit; the account still holds {s}23.00 of credit"));
    // Scale includes 2,000,000 requests: the overage falls to nothing and its credit comes back.
    f.engine.change_tier(&f.account, "up", &tier("scale"), t(NOW)).await.unwrap();
    let notes: Vec<String> = f.engine.credit_ledger(&f.account).await.unwrap().entries.into_iter().map(|e| e.note).collect();
    assert_eq!(
        notes,
        vec![
            format!("bought 1 pack for {s}25.00"),
            format!("paid overage {s}0.00 to {s}2.00 of this period"),
            format!("returned {s}2.00: the period's overage fell to {s}0.00"),
        ]
    );
}

/// A $30.00 cap reached by usage, then a $20.00 cap set below the spend, which caps at once.
async fn spend_cap_alerts(currency: &str, s: &str) {
    let db = Db::sqlite().await;
    let f = fixture_in(&db, currency, "production").await;
    let cap = |amount: &str| BudgetSettings { spend_cap: Some(d(amount)), ..Default::default() };
    f.engine.set_budget(&f.account, "cap-30", &cap("30.00"), t("2026-11-02T00:00:00Z")).await.unwrap();
    // $4.00, then $10.00 of overage: $29.00. 50,000 more would make $31.00.
    use_requests(&f, "c-1", 300_000, "2026-11-03T10:00:00Z").await;
    use_requests(&f, "c-2", 150_000, "2026-11-04T10:00:00Z").await;
    use_requests(&f, "c-3", 50_000, "2026-11-05T10:00:00Z").await;
    let status = f.engine.budget(&f.account, t("2026-11-06T10:00:00Z")).await.unwrap();
    let reached = |amount: &str, on: &str| {
        format!(
            "The {s}{amount} spend cap was reached on {on} with {s}29.00 spent: usage that would cost more is refused and not billed until the cap is raised or removed."
        )
    };
    assert_eq!(messages(&status.alerts, AlertKind::SpendCapReached), vec![reached("30.00", "Nov 5")]);
    let status = f.engine.set_budget(&f.account, "cap-20", &cap("20.00"), t("2026-11-09T00:00:00Z")).await.unwrap();
    assert!(status.capped);
    assert_eq!(messages(&status.alerts, AlertKind::SpendCapReached), vec![reached("20.00", "Nov 9")]);
}

/// Automatic top-up below $10.00, 2 packs at a time, at most 2 a period: $30.00 of overage
/// buys 2 packs; $30.00 more spends them and reaches the ceiling. On an account whose
/// downgrade to the sandbox is scheduled it buys nothing and says so.
async fn automatic_top_up_notes_and_alerts(currency: &str, s: &str) {
    let db = Db::sqlite().await;
    let f = fixture_in(&db, currency, "production").await;
    let now = t(NOW);
    f.engine.set_auto_top_up(&f.account, "auto", &top_up("10.00", 2, 2), now).await.unwrap();
    use_requests(&f, "quota", 200_000, "2026-11-20T08:00:00Z").await;
    use_requests(&f, "big-1", 750_000, "2026-11-23T10:00:00Z").await;
    let status = f.engine.auto_top_up(&f.account, now).await.unwrap();
    assert_eq!(
        messages(&status.alerts, AlertKind::TopUpBought),
        vec![format!(
            "Automatic top-up bought 2 packs for {s}50.00: the balance was {s}0.00, below {s}10.00. Bought 2 of 2 packs this period."
        )]
    );
    use_requests(&f, "big-2", 750_000, "2026-11-23T10:00:00Z").await;
    let notes: Vec<String> = f.engine.credit_ledger(&f.account).await.unwrap().entries.into_iter().map(|e| e.note).collect();
    assert_eq!(
        notes,
        vec![
            format!("automatic top-up: bought 2 packs for {s}50.00: the balance was {s}0.00, below {s}10.00"),
            format!("paid overage {s}0.00 to {s}30.00 of this period"),
            format!("paid overage {s}30.00 to {s}50.00 of this period"),
        ]
    );
    let status = f.engine.auto_top_up(&f.account, now).await.unwrap();
    assert_eq!(
        messages(&status.alerts, AlertKind::TopUpCeiling),
        vec![format!(
            "Automatic top-up has bought its 2 packs for this period and buys no more; the balance is {s}0.00, below {s}10.00. \
             Buy packs or raise the ceiling to keep overage paid by credit."
        )]
    );

    let g = fixture_in(&db, currency, "production").await;
    g.engine.set_auto_top_up(&g.account, "auto", &top_up("10.00", 1, 2), now).await.unwrap();
    g.engine.change_tier(&g.account, "down", &tier("sandbox"), now).await.unwrap();
    use_requests(&g, "over", 300_000, NOW).await;
    let failed = messages(&g.engine.auto_top_up(&g.account, now).await.unwrap().alerts, AlertKind::TopUpFailed);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(failed[0].ends_with(&format!("Nothing was charged; the balance is {s}0.00.")), "{}", failed[0]);
}

macro_rules! in_each_currency {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                for (currency, sign) in CURRENCIES {
                    super::$name(currency, sign).await;
                }
            }
        )*
    };
}

mod sqlite {
    use super::CURRENCIES;
    in_each_currency!(
        budget_alerts_and_refusals,
        a_forecast_alert,
        ledger_notes_and_the_held_balance,
        spend_cap_alerts,
        automatic_top_up_notes_and_alerts,
    );
}
