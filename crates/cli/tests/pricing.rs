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
        "bill",
        "--tier",
        "production",
        "--requests",
        "350000",
        "--egress-gb",
        "60.5",
        "--compute-seconds",
        "1200",
        "--credits",
        "2.00",
        "--json",
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
    assert_eq!(c["recommendation"]["prepay"]["packs"], 1);
}

#[test]
fn compare_never_sells_a_burst_pack_as_a_saving() {
    // It used to say "Stay on Production and buy 1 burst pack ($25.00) ... saves" as if the
    // pack were part of the cheapest option.
    let out = edgecost(&["compare", "--requests", "600k", "--egress-gb", "120", "--tier", "production"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let advice = text.lines().find(|l| l.starts_with("Recommendation:")).unwrap();
    assert!(
        advice.starts_with(
            "Recommendation: Stay on Production: $38.50 this month ($19.00 base fee + $19.50 overage), $40.50 less than Scale."
        ),
        "{advice}"
    );
    assert!(!advice.contains(" and buy "), "{advice}");
    assert!(
        advice
            .contains("would prepay the $19.50 of overage so it never reaches the invoice; the $5.50 left carries over to the next period"),
        "{advice}"
    );
    assert!(text.contains("ties go to the lower tier"), "{text}");
    // Held credit shows what it pays on each tier without changing the cheapest tier.
    let c = json(&["compare", "--requests", "1.725M", "--egress-gb", "0", "--tier", "production", "--credits", "100", "--json"]);
    assert_eq!(c["recommendation"]["tier"], "scale");
    assert_eq!(c["options"][1]["credit_pays"], "61.00");
    assert_eq!(c["options"][1]["bill"]["total"], "19.00");
}

/// Every money field in a JSON document is a string with exactly two decimal places.
fn assert_money_has_cents(value: &serde_json::Value, path: &str) {
    const MONEY: [&str; 26] = [
        "amount",
        "base_fee",
        "overage_total",
        "credits_applied",
        "total",
        "monthly_cost",
        "credit_pays",
        "saving",
        "invoice",
        "credit_carries_over",
        "overage_paid",
        "carries_over",
        "cost",
        "requests_cost",
        "egress_cost",
        "compute_cost",
        "credit_balance",
        "packs_cost",
        "credit_left",
        "p50",
        "p90",
        "min",
        "max",
        "old_total",
        "new_total",
        "total_change",
    ];
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let here = format!("{path}.{k}");
                // An overage rate's price may be a fraction of a cent; it is a rate, not an amount.
                if k == "rate" {
                    continue;
                }
                if MONEY.contains(&k.as_str()) || (path.ends_with("prepay") && (k == "price" || k == "credit")) {
                    let text = v.as_str().unwrap_or_else(|| panic!("{here} = {v} is not a string"));
                    let digits = text.strip_prefix('-').unwrap_or(text);
                    let ok = digits.split_once('.').is_some_and(|(i, f)| {
                        !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()) && f.len() == 2 && f.bytes().all(|b| b.is_ascii_digit())
                    });
                    assert!(ok, "{here} = {text:?} does not match ^-?\\d+\\.\\d{{2}}$");
                } else {
                    assert_money_has_cents(v, &here);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                assert_money_has_cents(v, &format!("{path}[{i}]"));
            }
        }
        _ => {}
    }
}

#[test]
fn zero_amounts_in_json_are_decimal_strings_with_two_places() {
    // credits_applied, packs_cost, the sandbox total and estimate's credit balance used to
    // print as "0".
    let sandbox = json(&["bill", "--tier", "sandbox", "--requests", "0", "--egress-gb", "0", "--json"]);
    assert_eq!((sandbox["total"].as_str(), sandbox["credits_applied"].as_str()), (Some("0.00"), Some("0.00")));
    assert_money_has_cents(&sandbox, "bill");
    for args in [
        vec!["bill", "--tier", "production", "--requests", "350k", "--egress-gb", "60", "--credits", "10", "--json"],
        vec!["compare", "--requests", "0", "--egress-gb", "0", "--json"],
        vec!["compare", "--requests", "600k", "--egress-gb", "120", "--credits", "5", "--tier", "sandbox", "--json"],
        vec!["estimate", "examples/small-api.yaml", "--json", "--samples", "50"],
        vec!["estimate", "examples/sandbox-prototype.yaml", "--json", "--samples", "50", "--credits", "0"],
        vec!["diff", "examples/small-api.yaml", "examples/busy-multi-region.yaml", "--json"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_edgecost"))
            .args(&args)
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_money_has_cents(&value, &args.join(" "));
    }
    let e = json(&["estimate", concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/small-api.yaml"), "--json", "--samples", "0"]);
    assert_eq!(e["credits"]["credit_balance"], "0.00");
}

#[test]
fn extreme_and_fractional_usage_exits_2_with_a_message_not_a_panic() {
    for (args, needle) in [
        (vec!["bill", "--tier", "production", "--requests", "7e28", "--egress-gb", "1"], "above the bound"),
        (vec!["bill", "--tier", "production", "--requests", "1.5", "--egress-gb", "1"], "requests are counted whole"),
        (vec!["bill", "--tier", "production", "--requests", "1", "--egress-gb", "79228162514264337593543950335"], "above the bound"),
        (vec!["compare", "--requests", "18446744073709551615000", "--egress-gb", "1"], "above the bound"),
        (vec!["bill", "--tier", "production", "--requests", "1", "--egress-gb", "1", "--credits", "25.005"], "fractions of a cent"),
    ] {
        let out = edgecost(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // At the bounds the bill is worked out.
    let bill = json(&["bill", "--tier", "production", "--requests", "1e18", "--egress-gb", "1e15", "--compute-seconds", "1e15", "--json"]);
    assert_eq!(bill["lines"][0]["amount"], "39999999999992.00");
}

#[test]
fn a_book_with_a_pack_price_in_fractions_of_a_cent_is_refused() {
    let dir = std::env::temp_dir().join(format!("edgecost-cli-cents-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("book.yaml");
    let published = String::from_utf8(edgecost(&["tiers", "--json"]).stdout).unwrap();
    let mut book: serde_json::Value = serde_json::from_str(&published).unwrap();
    book["credit_pack"]["price"] = "25.005".into();
    std::fs::write(&path, serde_yaml_text(&book)).unwrap();
    let out = edgecost(&["tiers", "--price-book", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a whole number of cents"));
    std::fs::remove_dir_all(&dir).ok();
}

/// JSON is YAML too.
fn serde_yaml_text(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap()
}

#[test]
fn human_bills_show_quantities_a_person_reads() {
    let out = edgecost(&["bill", "--tier", "production", "--requests", "175341", "--egress-gb", "66.3368240864"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let egress = text.lines().find(|l| l.starts_with("Egress")).unwrap();
    assert!(egress.contains("66.34 GB") && egress.contains("16.34 GB"), "{egress}");
    // The worked-out line keeps the exact quantity so the amount can be recomputed.
    assert!(text.contains("16.3368240864 GB past the 50 GB included x $0.05 per GB = $0.82"), "{text}");
    // 87.67% of the requests quota reads 88%, not a truncated 87%.
    assert!(text.contains("Requests at 88% of its quota"), "{text}");
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
    assert!(String::from_utf8_lossy(&out.stderr).contains("'lots' is not a quantity"));

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
        "bill",
        "--tier",
        "production",
        "--requests",
        "0",
        "--egress-gb",
        "0",
        "--compute-seconds",
        "12345",
        "--price-book",
        path.to_str().unwrap(),
        "--json",
    ]);
    // No quota: every second is charged, 12,345 x $0.01 / 100 = $1.2345 -> $1.23.
    assert_eq!(bill["lines"][2]["amount"], "1.23");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_comma_only_groups_thousands_so_a_decimal_comma_is_refused_not_misread() {
    // `51,5` is a European 51.5 GB: it must never be billed as 515 GB.
    let out = edgecost(&["bill", "--tier", "production", "--requests", "5", "--egress-gb", "51,5"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(err.contains("'51,5': a comma only groups thousands (350,000); write decimals with a point: 51.5"), "{err}");
    for (flag, value, needle) in [
        ("--requests", "12,34", "write decimals with a point: 12.34"),
        ("--requests", "1,2,3", "groups of exactly 3"),
        ("--credits", "1,2,5", "groups of exactly 3"),
        ("--egress-gb", "1,000_000", "one kind of separator"),
        ("--egress-gb", "0.5,0", "before the decimal point"),
    ] {
        let mut args = vec!["bill", "--tier", "production", "--requests", "5", "--egress-gb", "1"];
        match flag {
            "--credits" => args.extend(["--credits", value]),
            _ => {
                let at = args.iter().position(|a| *a == flag).unwrap();
                args[at + 1] = value;
            }
        }
        let out = edgecost(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}: {err}");
        assert!(err.contains(value) && err.contains(needle), "{flag} {value}: {err}");
    }
    // Well-grouped thousands and a decimal point read as written.
    let bill = json(&["bill", "--tier", "production", "--requests", "350,000", "--egress-gb", "51.5", "--credits", "1,000.00", "--json"]);
    assert_eq!(bill["lines"][0]["quantity"], "350000");
    assert_eq!(bill["lines"][1]["overage"], "1.5");
}

/// A price book file: the published one with `currency` for its currency.
fn book_in(currency: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("edgecost-cli-{currency}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("book.json");
    let mut book = json(&["tiers", "--json"]);
    book["currency"] = currency.into();
    std::fs::write(&path, book.to_string()).unwrap();
    (dir, path)
}

fn text(args: &[&str]) -> String {
    let out = edgecost(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn amounts_are_written_in_the_price_books_currency() {
    let usage = ["--requests", "350k", "--egress-gb", "60", "--credits", "5"];
    for (currency, symbol) in [("EUR", "€"), ("GBP", "£"), ("CHF", "CHF ")] {
        let (dir, path) = book_in(currency);
        let book = path.to_str().unwrap();
        let bill = text(&[&["bill", "--tier", "production", "--price-book", book][..], &usage[..]].concat());
        assert!(bill.starts_with(&format!("Production tier, {currency} a month")), "{bill}");
        for needle in [
            format!("{symbol}19.00"),
            format!("Production base fee {symbol}19.00"),
            format!("150,000 requests past the 200,000 requests included x {symbol}0.40 per 10,000 requests = {symbol}6.00"),
            format!("Burst credit pays {symbol}5.00 of the overage"),
            format!("-{symbol}5.00"),
            format!("{symbol}20.50"),
        ] {
            assert!(bill.contains(&needle), "{needle} missing from\n{bill}");
        }
        let tiers = text(&["tiers", "--price-book", book]);
        for needle in [format!("{symbol}79.00"), format!("{symbol}0.40 / 10,000"), format!("{symbol}25.00 buys {symbol}25.00")] {
            assert!(tiers.contains(&needle), "{needle} missing from\n{tiers}");
        }
        let compare = text(&[&["compare", "--tier", "production", "--price-book", book][..], &usage[..]].concat());
        assert!(compare.contains(&format!("{symbol}25.50 this month")), "{compare}");
        assert!(compare.contains(&format!("{symbol}79.00")), "{compare}");
        for output in [&bill, &tiers, &compare] {
            assert!(!output.contains('$'), "a dollar sign in a {currency} book's output:\n{output}");
        }
        std::fs::remove_dir_all(&dir).ok();
    }
    // The published book is in US dollars and reads as it always has.
    let bill = text(&[&["bill", "--tier", "production"][..], &usage[..]].concat());
    assert!(bill.contains("Production base fee $19.00") && bill.contains("-$5.00") && !bill.contains('€'), "{bill}");
}

/// A sandbox bill past its quotas names every meter the cap refuses, egress as well as requests.
#[test]
fn a_capped_sandbox_bill_names_each_meter_it_caps() {
    let text = |args: &[&str]| {
        let out = edgecost(args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let both = text(&["bill", "--tier", "sandbox", "--requests", "60000", "--egress-gb", "12"]);
    assert!(both.contains("Capped: requests and egress."), "{both}");
    let requests = text(&["bill", "--tier", "sandbox", "--requests", "60000", "--egress-gb", "2"]);
    assert!(requests.contains("Capped: requests.") && !requests.contains("egress."), "{requests}");
    let within = text(&["bill", "--tier", "sandbox", "--requests", "50000", "--egress-gb", "10"]);
    assert!(!within.contains("Capped"), "at exactly a quota nothing is capped: {within}");
}
