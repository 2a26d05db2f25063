//! `edgecost tiers`, `bill` and `compare` as a script or CI job runs them: the real binary.

use std::process::{Command, Output};

fn edgecost(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_edgecost")).args(args).output().expect("edgecost runs")
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = edgecost(args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON document")
}

#[test]
fn bill_json_has_the_documented_shape_and_exact_amounts() {
    let bill = json(&[
        "bill", "--tier", "production", "--requests", "350000", "--egress-gb", "60.5",
        "--compute-seconds", "1200", "--credits", "2.00", "--json",
    ]);
    assert_eq!(bill["tier"], "production");
    assert_eq!(bill["currency"], "USD");
    let lines = bill["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 3);
    let requests = &lines[0];
    assert_eq!(requests["meter"], "requests");
    assert_eq!(requests["quantity"], "350000");
    assert_eq!(requests["included"], "200000");
    assert_eq!(requests["overage"], "150000");
    assert_eq!(requests["amount"], "6.00");
    // 10.5 GB x $0.05 = $0.525 -> $0.53 (half away from zero).
    assert_eq!(lines[1]["amount"], "0.53");
    assert_eq!(bill["credits_applied"], "2.00");
    assert_eq!(bill["total"], "23.53");
    assert_eq!(bill["capped"], false);
    assert_eq!(bill["utilization"]["requests"]["thresholds_crossed"], serde_json::json!([80, 100]));
}

#[test]
fn human_bill_is_an_aligned_table_that_explains_each_line() {
    let out = edgecost(&["bill", "--tier", "scale", "--requests", "2.5M", "--egress-gb", "250"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("500,000 requests past the 2,000,000 requests included x $0.25 per 10,000 requests = $12.50"), "{text}");
    let total = text.lines().find(|l| l.starts_with("Total")).unwrap();
    assert!(total.ends_with("$93.00"), "{total}");
    // Every table row ends its amount in the same column.
    let rows: Vec<&str> = text.lines().skip(2).take_while(|l| !l.is_empty()).collect();
    let width = rows[0].len();
    assert!(rows.iter().all(|r| r.len() == width), "{rows:#?}");
}

#[test]
fn compare_recommends_the_cheapest_tier_that_does_not_cap() {
    let c = json(&["compare", "--requests", "2M", "--egress-gb", "50", "--tier", "production", "--json"]);
    let options = c["options"].as_array().unwrap();
    let tiers: Vec<&str> = options.iter().map(|o| o["tier"].as_str().unwrap()).collect();
    assert_eq!(tiers, ["sandbox", "production", "scale"]);
    assert_eq!(options[0]["caps_usage"], true);
    assert_eq!(options[1]["bill"]["total"], "91.00");
    assert_eq!(c["recommendation"]["tier"], "scale");
    assert_eq!(c["recommendation"]["saving"], "12.00");
    let c = json(&["compare", "--requests", "600k", "--egress-gb", "120", "--json"]);
    assert_eq!(c["recommendation"]["tier"], "production");
    assert_eq!(c["recommendation"]["packs"], 1);
}

#[test]
fn tiers_lists_the_published_book() {
    let out = edgecost(&["tiers"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("production") && text.contains("$79.00") && text.contains("enterprise: negotiated"));
    let book = json(&["tiers", "--json"]);
    assert_eq!(book["tiers"][1]["base_fee"], "19.00");
}

#[test]
fn bad_arguments_and_bad_books_exit_with_code_2_and_say_why() {
    let out = edgecost(&["bill", "--tier", "gold", "--requests", "1", "--egress-gb", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no tier named 'gold'"));

    let out = edgecost(&["bill", "--tier", "production", "--requests", "lots", "--egress-gb", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("'lots' is not a number"));

    let dir = std::env::temp_dir().join(format!("edgecost-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let book = dir.join("book.yaml");
    std::fs::write(&book, "version: 1\ncurrency: USD\ntiers:\n  - name: pro\n    base_fee: 19.5\n").unwrap();
    let out = edgecost(&["tiers", "--price-book", book.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{}:5:15:", book.display())), "{err}");
    assert!(err.contains("quoted string"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_custom_book_prices_compute_seconds() {
    let dir = std::env::temp_dir().join(format!("edgecost-cli-book-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("book.json");
    let mut book = json(&["tiers", "--json"]);
    book["tiers"][1]["overage"]["compute_seconds"] = serde_json::json!({"price": "0.01", "per": 100});
    std::fs::write(&path, book.to_string()).unwrap();
    let bill = json(&[
        "bill", "--tier", "production", "--requests", "0", "--egress-gb", "0",
        "--compute-seconds", "12345", "--price-book", path.to_str().unwrap(), "--json",
    ]);
    // No quota: every second is charged, 12,345 x $0.01 / 100 = $1.2345 -> $1.23.
    assert_eq!(bill["lines"][2]["amount"], "1.23");
    std::fs::remove_dir_all(&dir).ok();
}
