//! Loading, validating and round-tripping price books.

use edgecost_pricing::{Meter, PriceBook, PriceBookError};

#[test]
fn published_book_has_the_published_tiers() {
    let book = PriceBook::published();
    let names: Vec<_> = book.tiers.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["sandbox", "production", "scale", "enterprise"]);
    let production = book.tier("production").unwrap();
    assert_eq!(production.base_fee.unwrap().to_string(), "19.00");
    assert_eq!(production.included.get(Meter::Requests).unwrap().to_string(), "200000");
    let rate = production.overage.get(Meter::Requests).unwrap();
    assert_eq!((rate.price.to_string(), rate.per.to_string()), ("0.40".into(), "10000".into()));
    assert!(book.tier("sandbox").unwrap().hard_cap);
    assert!(!book.tier("enterprise").unwrap().is_rateable());
    assert_eq!(book.credit_pack.price.to_string(), "25.00");
    assert_eq!(book.region_weight("eu").unwrap(), edgecost_pricing::Decimal::ONE);
    assert_eq!(book.region_weight("apac").unwrap().to_string(), "1.5");
    assert_eq!(book.next_tier("production").unwrap().name, "scale");
    assert!(book.next_tier("scale").is_none(), "enterprise is negotiated, not a click away");
}

#[test]
fn yaml_and_json_round_trip_to_the_same_book() {
    let book = PriceBook::published();
    let again = PriceBook::from_yaml_str(&book.to_yaml(), "again.yaml").unwrap();
    assert_eq!(&again, book);
    let json = PriceBook::from_json_str(&book.to_json(), "again.json").unwrap();
    assert_eq!(&json, book);
}

fn malformed(text: &str) -> (usize, usize, String) {
    match PriceBook::from_yaml_str(text, "book.yaml") {
        Err(PriceBookError::Malformed { file, line, column, message }) => {
            assert_eq!(file, "book.yaml");
            (line, column, message)
        }
        other => panic!("expected a located error, got {other:?}"),
    }
}

#[test]
fn a_float_price_is_rejected_at_its_line_and_column() {
    let text = PriceBook::published_yaml().replace("base_fee: \"19.00\"", "base_fee: 19.5");
    let (line, column, message) = malformed(&text);
    let expected_line = text.lines().position(|l| l.contains("base_fee: 19.5")).unwrap() + 1;
    assert_eq!(line, expected_line, "{message}");
    assert!(column > 1, "{column}");
    assert!(message.contains("quoted string"), "{message}");
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn a_bad_value_is_reported_at_its_own_line() {
    let text = PriceBook::published_yaml().replace("requests: { price: \"0.40\", per: 10000 }", "requests: { price: \"0.40\", per: 0 }");
    let (line, _, message) = malformed(&text);
    assert!(message.contains("per 0 is out of bounds"), "{message}");
    assert_eq!(line, line_of(&text, "per: 0 }"));
}

#[test]
fn prices_a_ledger_stores_must_be_whole_cents() {
    // A pack priced 25.005 used to load, then panic the engine's ledger on purchase.
    for (from, to) in [
        ("price: \"25.00\"", "price: \"25.005\""),
        ("credit: \"25.00\"", "credit: \"24.999\""),
        ("base_fee: \"19.00\"", "base_fee: \"19.001\""),
    ] {
        let text = PriceBook::published_yaml().replace(from, to);
        let (line, _, message) = malformed(&text);
        assert!(message.contains("not a whole number of cents"), "{message}");
        assert_eq!(line, line_of(&text, to), "{message}");
    }
    // Trailing zeros are not fractions of a cent, and whole amounts read with two places.
    let text = PriceBook::published_yaml().replace("price: \"25.00\"", "price: \"25.0000\"").replace("base_fee: \"19.00\"", "base_fee: 19");
    let book = PriceBook::from_yaml_str(&text, "book.yaml").unwrap();
    assert_eq!(book.credit_pack.price.to_string(), "25.00");
    assert_eq!(book.tier("production").unwrap().base_fee.unwrap().to_string(), "19.00");
    // An overage rate may be a fraction of a cent per unit.
    let text = PriceBook::published_yaml().replace("{ price: \"0.05\", per: 1 }", "{ price: \"0.0004\", per: 1 }");
    assert!(PriceBook::from_yaml_str(&text, "book.yaml").is_ok());
}

#[test]
fn quantities_and_amounts_past_their_bounds_are_refused_at_their_line() {
    for (from, to, needle) in [
        ("requests: 200000", "requests: 2000000000000000000", "above the bound"),
        ("egress_gb: 200", "egress_gb: \"1e16\"", "above the bound"),
        ("base_fee: \"79.00\"", "base_fee: \"1000000000000.01\"", "above the bound"),
        ("{ price: \"0.25\", per: 10000 }", "{ price: \"1000000.01\", per: 10000 }", "above the bound"),
        ("{ price: \"0.03\", per: 1 }", "{ price: \"0.03\", per: 0.5 }", "out of bounds"),
        ("af: 2.0", "af: 101", "out of bounds"),
        ("price: \"25.00\"", "price: \"79228162514264337593543950335\"", "above the bound"),
    ] {
        let text = PriceBook::published_yaml().replace(from, to);
        assert_ne!(text, PriceBook::published_yaml(), "{from}");
        let (line, _, message) = malformed(&text);
        assert!(message.contains(needle), "{to}: {message}");
        assert_eq!(line, line_of(&text, to), "{message}");
    }
}

#[test]
fn a_rule_spanning_a_tier_is_reported_at_that_tier() {
    let text = PriceBook::published_yaml().replace("      egress_gb: { price: \"0.05\", per: 1 }\n", "");
    let (line, column, message) = malformed(&text);
    assert!(message.contains("egress_gb has an included quantity but no overage rate"), "{message}");
    assert_eq!((line, column), (line_of(&text, "name: production"), 5));
}

#[test]
fn unknown_fields_and_syntax_errors_say_what_was_expected() {
    let (line, _, message) = malformed("version: 1\ncurrency: USD\ntiers: []\ncredit_pak: {}\n");
    assert_eq!(line, 4);
    assert!(message.contains("unknown field `credit_pak`"), "{message}");
    let (line, _, _) = malformed("version: 1\ncurrency: [USD\n");
    assert!(line >= 2);
    match PriceBook::from_json_str("{\"version\": 1,\n \"currency\": 5}", "b.json") {
        Err(PriceBookError::Malformed { line: 2, message, .. }) => {
            assert!(message.contains("expected a string"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_missing_file_is_a_read_error() {
    let err = PriceBook::load(std::path::Path::new("/nonexistent/book.yaml")).unwrap_err();
    assert_eq!(err.code(), "price_book_unreadable");
}

mod extremes {
    use edgecost_pricing::{PriceBook, RateOptions, Usage};
    use proptest::prelude::*;

    fn literal() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("\"79228162514264337593543950335\"".to_owned()),
            Just("\"-79228162514264337593543950335\"".to_owned()),
            Just("\"0.0000000000000000000000000001\"".to_owned()),
            Just("\"7e28\"".to_owned()),
            Just("18446744073709551615".to_owned()),
            Just("1e23".to_owned()),
            Just("1.7976931348623157e308".to_owned()),
            Just("\"25.005\"".to_owned()),
            Just("0".to_owned()),
            (any::<i64>(), 0u32..=28).prop_map(|(m, s)| format!("\"{}\"", rust_decimal::Decimal::new(m, s))),
            (any::<u32>()).prop_map(|v| v.to_string()),
        ]
    }

    proptest! {
        /// Every numeric field of a book at extreme magnitudes: the book loads and rates, or
        /// it is refused with a located error; nothing panics.
        #[test]
        fn books_with_extreme_values_load_and_rate_or_refuse_cleanly(
            base in literal(), included in literal(), price in literal(), per in literal(),
            pack in literal(), weight in literal(), requests in any::<u64>(), bytes in any::<u64>(),
        ) {
            let text = format!(
                "version: 1\ncurrency: USD\ntiers:\n  - name: pro\n    base_fee: {base}\n    included: {{requests: {included}, egress_gb: {included}}}\n    overage:\n      requests: {{price: {price}, per: {per}}}\n      egress_gb: {{price: {price}, per: {per}}}\n    credit_packs: true\ncredit_pack: {{price: {pack}, credit: {pack}}}\nregions: {{na: {weight}}}\n"
            );
            match PriceBook::from_yaml_str(&text, "book.yaml") {
                Ok(book) => {
                    let usage = Usage::from_counters(requests, bytes, requests);
                    if let Ok(bill) = book.rate("pro", &usage, &RateOptions::default()) {
                        prop_assert!(bill.is_consistent());
                    }
                    let _ = book.compare(&usage, book.credit_pack.credit, Some("pro"));
                }
                Err(e) => prop_assert_eq!(e.code(), "price_book_invalid"),
            }
        }
    }
}

#[test]
fn infrastructure_cost_is_read_exactly_and_left_out_of_the_published_terms() {
    let yaml = format!(
        "{}\ninfrastructure_cost:\n  compute_second: \"0.00001\"\n  requests_per_10k: \"0.01\"\n  egress_gb: {{ default: \"0.05\", apac: \"0.10\" }}\n",
        PriceBook::published_yaml()
    );
    let book = PriceBook::from_yaml_str(&yaml, "costed.yaml").unwrap();
    let costs = book.infrastructure_cost.as_ref().unwrap();
    assert_eq!(costs.compute_second.unwrap().0.to_string(), "0.00001");
    assert_eq!(costs.egress_gb_in("apac").unwrap().to_string(), "0.10");
    assert_eq!(costs.egress_gb_in("sa").unwrap().to_string(), "0.05", "unlisted regions take default");
    assert_eq!(PriceBook::from_json_str(&book.to_json(), "costed.json").unwrap(), book, "round-trips");
    let terms = book.published_terms();
    assert!(terms.infrastructure_cost.is_none());
    assert!(!terms.to_json().contains("infrastructure_cost"));
    assert_eq!(terms.tiers, book.tiers);

    // Money stays exact: a bare float, a negative cost and an unknown meter are refused.
    for bad in ["compute_second: 0.00001", "compute_second: \"-0.01\"", "egress_bytes: \"0.01\""] {
        let yaml = format!("{}\ninfrastructure_cost:\n  {bad}\n", PriceBook::published_yaml());
        assert!(PriceBook::from_yaml_str(&yaml, "bad.yaml").is_err(), "{bad}");
    }
    assert!(PriceBook::published().infrastructure_cost.is_none());
}

#[test]
fn the_sandbox_carries_its_rate_limit_and_metric_retention() {
    let sandbox = PriceBook::published().tier("sandbox").unwrap();
    assert_eq!((sandbox.limits.requests_per_second, sandbox.limits.metric_retention_days), (Some(50), Some(30)));
    let production = PriceBook::published().tier("production").unwrap();
    assert_eq!(production.limits, Default::default(), "paid tiers keep the engine's default retention and have no rate limit");
}

#[test]
fn a_limit_out_of_bounds_is_refused_at_its_tier() {
    for (from, to, says) in [
        ("requests_per_second: 50", "requests_per_second: 0", "requests_per_second 0 is out of bounds"),
        ("metric_retention_days: 30", "metric_retention_days: 4000", "metric_retention_days 4000 is out of bounds"),
    ] {
        let text = PriceBook::published_yaml().replace(from, to);
        let (line, _, message) = malformed(&text);
        assert!(message.contains(says), "{message}");
        assert_eq!(line, line_of(&text, "name: sandbox"), "{message}");
    }
    // Production bills request overage: requests a node served past a limit would be billed.
    let text = PriceBook::published_yaml().replace(
        "    credit_packs: true\n\n  - name: scale",
        "    credit_packs: true\n    limits: { requests_per_second: 500 }\n\n  - name: scale",
    );
    let (line, _, message) = malformed(&text);
    assert!(message.contains("only for a tier that bills no request overage"), "{message}");
    assert_eq!(line, line_of(&text, "name: production"), "{message}");
    let text = PriceBook::published_yaml().replace("requests_per_second: 50", "requests_per_second: 50\n      burst: 10");
    let (line, _, message) = malformed(&text);
    assert_eq!(line, line_of(&text, "burst: 10"), "{message}");
}
