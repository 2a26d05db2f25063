//! `edgecost admin create-operator`, `admin report` and `admin what-if` as real processes, on a
//! fleet seeded into a SQLite file.

mod support;

use edgecost_engine::Engine;
use edgecost_pricing::PriceBook;
use support::command;

/// A SQLite file with 12 accounts over the last 3 closed months.
fn seeded(dir: &std::path::Path) -> String {
    let url = Engine::sqlite_url(&dir.join("fleet.db"));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let engine = Engine::open(&url, PriceBook::published().clone()).await.unwrap();
        edgecost_engine::testing::seed_fleet(&engine, 12, 3, chrono::Utc::now()).await;
        engine.close().await;
    });
    url
}

fn run(home: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = command(home).args(args).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn the_report_and_the_what_if_read_the_fleet_and_change_nothing() {
    let home = tempfile::tempdir().unwrap();
    let url = seeded(home.path());

    let (code, out, err) = run(home.path(), &["admin", "create-operator", "--name", "ops", "--json", "--database", &url]);
    assert_eq!(code, Some(0), "{err}");
    let created: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(created["token"].as_str().unwrap().starts_with("ec_oper_"));

    let (code, out, err) = run(home.path(), &["admin", "report", "--json", "--database", &url]);
    assert_eq!(code, Some(0), "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let months = report["months"].as_array().unwrap();
    assert_eq!(months.len(), 6);
    // The three seeded months have all twelve accounts; their MRR is the sum of the tiers'.
    for m in &months[2..5] {
        assert_eq!(m["accounts"], 12, "{m}");
        let tiers: f64 =
            m["revenue_by_tier"].as_array().unwrap().iter().map(|t| t["revenue"].as_str().unwrap().parse::<f64>().unwrap()).sum();
        assert!((tiers - m["mrr"].as_str().unwrap().parse::<f64>().unwrap()).abs() < 0.001, "{m}");
    }
    assert!(report["margin"].is_null(), "the published book carries no infrastructure cost");

    let costs = home.path().join("costs.yaml");
    std::fs::write(&costs, format!("{}\ninfrastructure_cost:\n  egress_gb: {{ default: \"0.05\" }}\n", PriceBook::published_yaml()))
        .unwrap();
    let costs = costs.display().to_string();
    let (code, out, err) = run(home.path(), &["admin", "report", "--costs", &costs, "--margin-below", "95", "--database", &url]);
    assert_eq!(code, Some(0), "{err}");
    for expected in [
        "Operator report as of",
        "MRR",
        "NRR",
        "80%->upgrade",
        "Revenue by tier",
        "Gross margin over the months",
        "Accounts below 95% margin",
    ] {
        assert!(out.contains(expected), "{expected} missing from:\n{out}");
    }
    // Every percentage reads as the engine worked it out, to two places, never rounded again.
    let mut percentages = 0;
    for m in months {
        for p in [&m["nrr_percent"], &m["grr_percent"], &m["logo_churn"]["percent"], &m["sandbox_conversion"]["percent"]] {
            if let Some(p) = p.as_str() {
                assert_eq!(p.split_once('.').map(|(_, places)| places.len()), Some(2), "{p}");
                assert!(out.contains(&format!("{p}%")), "{p}% missing from:\n{out}");
                percentages += 1;
            }
        }
    }
    assert!(percentages >= 6, "the seeded months have retention and churn figures: {percentages}");

    let proposed = home.path().join("proposed.yaml");
    std::fs::write(&proposed, PriceBook::published_yaml().replace("base_fee: \"19.00\"", "base_fee: \"25.00\"")).unwrap();
    let proposed = proposed.display().to_string();
    let (code, out, err) = run(home.path(), &["admin", "what-if", "--price-book", &proposed, "--json", "--database", &url]);
    assert_eq!(code, Some(0), "{err}");
    let what_if: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(what_if["months"].as_array().unwrap().len(), 3);
    // A higher production base fee only raises bills.
    assert!(what_if["falls"].as_array().unwrap().is_empty());
    assert!(!what_if["rises"].as_array().unwrap().is_empty());
    let (code, text, err) = run(home.path(), &["admin", "what-if", "--price-book", &proposed, "--months", "2", "--database", &url]);
    assert_eq!(code, Some(0), "{err}");
    assert!(text.contains("nothing was changed") && text.contains("Largest rises"), "{text}");
    // A book without the scale tier leaves its accounts out, each named with its id and tier.
    let renamed = home.path().join("renamed.yaml");
    std::fs::write(&renamed, PriceBook::published_yaml().replace("name: scale", "name: growth")).unwrap();
    let (code, text, err) = run(home.path(), &["admin", "what-if", "--price-book", &renamed.display().to_string(), "--database", &url]);
    assert_eq!(code, Some(0), "{err}");
    let left_out = text.lines().find(|l| l.starts_with("Left out")).unwrap_or_else(|| panic!("no account left out:\n{text}"));
    assert!(left_out.contains(", scale)") && left_out.contains("(acct_"), "{left_out}");

    // Read-only: the report after the what-if is the report before it.
    let (_, again, _) = run(home.path(), &["admin", "report", "--json", "--database", &url]);
    let again: serde_json::Value = serde_json::from_str(&again).unwrap();
    assert_eq!(again["months"], report["months"]);
}

#[test]
fn bad_months_and_price_books_are_the_users_mistake() {
    let home = tempfile::tempdir().unwrap();
    let url = Engine::sqlite_url(&home.path().join("empty.db"));
    // A database with no account: the months and books are what is wrong, not the database.
    let (code, _, err) = run(home.path(), &["admin", "create-node", "--name", "fra-1", "--database", &url]);
    assert_eq!(code, Some(0), "{err}");
    let (code, _, err) = run(home.path(), &["admin", "report", "--from", "2026-13", "--database", &url]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("YYYY-MM"), "{err}");
    let (code, _, err) = run(home.path(), &["admin", "what-if", "--price-book", "/nonexistent.yaml", "--database", &url]);
    assert_eq!(code, Some(2), "{err}");
    let (code, _, _) = run(home.path(), &["admin", "what-if", "--price-book", "x.yaml", "--months", "0", "--database", &url]);
    assert_eq!(code, Some(2), "--months 0 is refused by the argument parser");
}
