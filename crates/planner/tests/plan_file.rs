//! Reading plan files: exact values, located errors, the published schema, round trips.

use std::path::PathBuf;

use edgecost_planner::{Estimator, Plan, PlanError, plan_from_usage, read_usage, read_usage_for};
use edgecost_pricing::{Decimal, PriceBook};

fn book() -> &'static PriceBook {
    PriceBook::published()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const PLAN: &str = "\
tier: production
regions: {na: 0.6, eu: 0.4}
routes:
  - path: /api/orders
    requests_per_month: 1000000
    compute_ms: 4
    response_bytes: 20000
    middleware: [auth, compress]
  - path: /api/users
    requests_per_second: 0.1
    compute_ms: 2.5
    response_bytes: 800
middleware:
  auth: {compute_ms: 0.5}
  compress: {compute_ms: 1, egress_ratio: 0.5}
  cache: {compute_ms: 0.2, hit_ratio: 0.8}
growth: {monthly_percent: 10}
";

/// The located error of a broken plan: (line, column, code, message).
fn located(text: &str) -> (usize, usize, &'static str, String) {
    match Plan::parse(text, "plan.yaml", book()) {
        Err(e @ PlanError::At { .. }) | Err(e @ PlanError::Malformed { .. }) => {
            let code = e.code();
            match e {
                PlanError::At { file, line, column, message, .. } | PlanError::Malformed { file, line, column, message } => {
                    assert_eq!(file, "plan.yaml");
                    (line, column, code, message)
                }
                _ => unreachable!(),
            }
        }
        other => panic!("expected a located error, got {other:?}"),
    }
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn the_issue_plan_reads_exactly() {
    let plan = Plan::parse(PLAN, "plan.yaml", book()).unwrap();
    assert_eq!(plan.regions["na"], "0.6".parse::<Decimal>().unwrap(), "0.6 is exactly six tenths");
    assert_eq!(plan.routes[1].compute_ms.to_string(), "2.5");
    // 0.1 rps x 2,592,000 s.
    assert_eq!(plan.routes[1].monthly_requests(), Decimal::from(259_200));
    assert_eq!(plan.growth.as_ref().unwrap().monthly_percent, Decimal::from(10));
}

#[test]
fn a_written_plan_reads_back_unchanged_as_yaml_and_json() {
    let plan = Plan::parse(PLAN, "plan.yaml", book()).unwrap();
    let again = Plan::parse(&plan.to_yaml(), "again.yaml", book()).unwrap();
    assert_eq!(again, plan);
    let json = serde_json::to_string_pretty(&plan).unwrap();
    assert_eq!(Plan::parse(&json, "plan.json", book()).unwrap(), plan);
}

#[test]
fn a_wrong_type_is_reported_at_its_line_and_column() {
    let text = PLAN.replace("compute_ms: 2.5", "compute_ms: fast");
    let (line, column, code, message) = located(&text);
    assert_eq!(line, line_of(&text, "compute_ms: fast"));
    assert_eq!(column, 17, "{message}");
    assert_eq!(code, "plan_invalid");
    assert!(message.contains("'fast' is not a quantity"), "{message}");
}

#[test]
fn a_negative_value_is_rejected_where_it_is() {
    let text = PLAN.replace("response_bytes: 800", "response_bytes: -800");
    let (line, _, _, message) = located(&text);
    assert_eq!(line, line_of(&text, "response_bytes: -800"));
    assert!(message.contains("negative"), "{message}");
}

#[test]
fn an_unknown_field_names_what_was_expected() {
    let text = PLAN.replace("    compute_ms: 2.5", "    compute: 2.5");
    let (line, _, _, message) = located(&text);
    assert_eq!(line, line_of(&text, "compute: 2.5"));
    assert!(message.contains("unknown field `compute`") && message.contains("compute_ms"), "{message}");
}

#[test]
fn unknown_middleware_points_at_the_route_that_uses_it() {
    let text = PLAN.replace("middleware: [auth, compress]", "middleware: [auth, gzip]");
    let (line, column, code, message) = located(&text);
    assert_eq!(code, "unknown_middleware");
    assert_eq!(line, line_of(&text, "[auth, gzip]"));
    assert_eq!(column, text.lines().nth(line - 1).unwrap().find("gzip").unwrap() + 1);
    assert!(message.contains("'gzip'") && message.contains("auth, cache, compress"), "{message}");
}

#[test]
fn a_json_plan_gets_located_errors_too() {
    let plan = Plan::parse(PLAN, "plan.yaml", book()).unwrap();
    let json = serde_json::to_string_pretty(&plan).unwrap().replace("\"auth\",\n        \"compress\"", "\"auth\",\n        \"gzip\"");
    assert!(json.contains("gzip"));
    match Plan::parse(&json, "plan.json", book()) {
        Err(PlanError::At { line, rule, .. }) => {
            assert_eq!(rule, "unknown_middleware");
            assert_eq!(line, line_of(&json, "\"gzip\""));
        }
        other => panic!("expected a located error, got {other:?}"),
    }
}

#[test]
fn shares_that_do_not_add_up_are_refused() {
    let text = PLAN.replace("{na: 0.6, eu: 0.4}", "{na: 0.6, eu: 0.3}");
    let (line, _, code, message) = located(&text);
    assert_eq!(code, "region_shares_not_one");
    assert_eq!(line, 2);
    assert!(message.contains("0.9"), "{message}");
}

#[test]
fn a_region_the_book_does_not_price_is_refused() {
    let text = PLAN.replace("    response_bytes: 800", "    response_bytes: 800\n    regions: {na: 0.5, mars: 0.5}");
    let (line, _, code, message) = located(&text);
    assert_eq!(code, "unknown_region");
    assert_eq!(line, line_of(&text, "mars"));
    assert!(message.contains("'mars'") && message.contains("apac"), "{message}");
}

#[test]
fn the_plan_split_is_found_even_after_a_route_split() {
    // Routes first, then the plan's regions: the error points at the plan's own line.
    let text = "tier: production\nroutes:\n  - path: /a\n    requests_per_month: 5\n    regions: {na: 1}\nregions: {na: 0.5, eu: 0.4}\n";
    let (line, _, code, _) = located(text);
    assert_eq!((line, code), (6, "region_shares_not_one"));
}

#[test]
fn a_route_needs_exactly_one_traffic_figure() {
    let text = PLAN.replace("    requests_per_second: 0.1\n", "");
    let (line, _, code, _) = located(&text);
    assert_eq!(code, "route_traffic_ambiguous");
    assert_eq!(line, line_of(&text, "path: /api/users"));
}

#[test]
fn an_unknown_tier_and_a_duplicate_route_are_refused() {
    let (line, _, code, message) = located(&PLAN.replace("tier: production", "tier: gold"));
    assert_eq!((line, code), (1, "unknown_tier"));
    assert!(message.contains("sandbox, production"), "{message}");
    let text = PLAN.replace("path: /api/users", "path: /api/orders");
    let (_, _, code, _) = located(&text);
    assert_eq!(code, "duplicate_route");
}

#[test]
fn a_hit_ratio_above_one_is_refused() {
    let text = PLAN.replace("hit_ratio: 0.8", "hit_ratio: 1.2");
    let (line, _, _, message) = located(&text);
    assert_eq!(line, line_of(&text, "hit_ratio: 1.2"));
    assert!(message.contains("from 0 to 1"), "{message}");
}

/// Checks a published schema against the code, rewriting it when asked to.
fn assert_fresh(file: &str, schema: serde_json::Value) {
    let path = root().join("schemas").join(file);
    let fresh = serde_json::to_string_pretty(&schema).unwrap() + "\n";
    if std::env::var_os("EDGECOST_CODEGEN").is_some() {
        std::fs::write(&path, &fresh).unwrap();
    }
    let published = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(published == fresh, "schemas/{file} is stale; run `make codegen` and commit");
}

#[test]
fn the_published_schemas_are_fresh() {
    assert_fresh("plan.schema.json", Plan::json_schema());
    assert_fresh("usage-export.schema.json", edgecost_planner::UsageRecord::json_schema());
    let schema = Plan::json_schema();
    assert_eq!(schema["required"], serde_json::json!(["tier", "regions"]));
}

#[test]
fn every_example_plan_is_valid() {
    for entry in std::fs::read_dir(root().join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let plan = Plan::load(&path, book()).unwrap_or_else(|e| panic!("{e}"));
            Estimator::new(plan, book()).unwrap();
        }
    }
}

#[test]
fn a_plan_from_measured_usage() {
    let path = root().join("examples/usage-sample.jsonl");
    let records = read_usage(&std::fs::read_to_string(&path).unwrap(), "usage-sample.jsonl").unwrap();
    let plan = plan_from_usage(&records, "production", book()).unwrap();
    // Two distinct hourly windows = 7,200 s observed; a 30-day month is 360 times that.
    // /api/orders: 500 requests -> 180,000 a month; 2,750 ms / 500 = 5.5 ms; 5 MB / 500 = 10 kB;
    //   bytes went 3 MB to na and 2 MB to eu.
    let d = |s: &str| s.parse::<Decimal>().unwrap();
    let orders = plan.route("/api/orders").unwrap();
    assert_eq!(orders.requests_per_month, Some(d("180000")));
    assert_eq!(orders.compute_ms, d("5.5"));
    assert_eq!(orders.response_bytes, d("10000"));
    assert_eq!(orders.regions.as_ref().unwrap(), &[("eu".to_owned(), d("0.4")), ("na".to_owned(), d("0.6"))].into());
    // /api/products: 200 requests -> 72,000; 540 / 200 = 2.7 ms; 100 kB; 15 MB na, 5 MB apac.
    let products = plan.route("/api/products").unwrap();
    assert_eq!(products.requests_per_month, Some(d("72000")));
    assert_eq!(products.compute_ms, d("2.7"));
    assert_eq!(products.regions.as_ref().unwrap()["apac"], d("0.25"));
    // The plan split follows all 25 MB: na 18, eu 2, apac 5.
    assert_eq!(plan.regions, [("apac".to_owned(), d("0.2")), ("eu".to_owned(), d("0.08")), ("na".to_owned(), d("0.72"))].into());
    // The calibrated plan reproduces the measured usage scaled to the month.
    let est = Estimator::new(plan, book()).unwrap();
    assert_eq!(est.totals().requests, d("252000"));
    assert_eq!(est.totals().egress_bytes, d("9000000000"), "25 MB x 360");
}

#[test]
fn a_bad_usage_line_is_reported_with_its_number() {
    let err = read_usage("{\"route\": \"/a\", \"region\": \"na\", \"window_start\": \"h1\", \"requests\": 1, \"compute_ms\": 1, \"egress_bytes\": 1}\n{\"route\": \"/a\"}\n", "u.jsonl")
        .unwrap_err();
    assert_eq!(err.code(), "usage_record_invalid");
    assert!(err.to_string().starts_with("u.jsonl:2:"), "{err}");
    assert_eq!(read_usage("\n\n", "u.jsonl").unwrap_err().code(), "usage_empty");
}

#[test]
fn an_unknown_region_in_usage_is_refused_at_its_value() {
    let text = "{\"route\":\"/a\",\"region\":\"na\",\"window_start\":\"h1\",\"requests\":1,\"compute_ms\":1,\"egress_bytes\":1}\n{\"route\":\"/a\",\"region\" : \"mars\",\"window_start\":\"h1\",\"requests\":1,\"compute_ms\":1,\"egress_bytes\":1}\n";
    // Without a book only the records' shape is read.
    assert_eq!(read_usage(text, "u.jsonl").unwrap().len(), 2);
    let err = read_usage_for(text, "u.jsonl", book()).unwrap_err();
    assert_eq!(err.code(), "unknown_region");
    // `{"route":"/a","region" : ` is 25 characters: the value starts in column 26.
    assert_eq!(err.to_string(), "u.jsonl:2:26: region 'mars' is not in the price book (known regions: af, apac, eu, me, na, sa)");
    // A key written with an escape is not found by name: the line is still named.
    let escaped =
        "{\"route\":\"/a\",\"regio\\u006e\":\"mars\",\"window_start\":\"h1\",\"requests\":1,\"compute_ms\":1,\"egress_bytes\":1}\n";
    assert!(read_usage_for(escaped, "u.jsonl", book()).unwrap_err().to_string().starts_with("u.jsonl:1:1: region 'mars'"));
    assert_eq!(read_usage_for(&text.replace("mars", "eu"), "u.jsonl", book()).unwrap().len(), 2);
}

#[test]
fn a_month_past_a_bound_is_refused_at_the_route_that_takes_the_total_past_it() {
    let refused = |text: &str| match Estimator::parse(text, "plan.yaml", book()) {
        Err(e @ PlanError::At { .. }) => (e.code(), e.to_string()),
        other => panic!("not located: {other:?}"),
    };
    // 9 x 10^17 + 10^11 rps x 2,592,000 s = 1.1592 x 10^18 requests: /b passes the bound, at
    // its requests_per_second (line 7).
    let requests = "tier: production\nregions: {na: 1}\nroutes:\n  - path: /a\n    requests_per_month: 900000000000000000\n  - path: /b\n    requests_per_second: 100000000000\n";
    let (code, message) = refused(requests);
    assert_eq!(code, "usage_too_large");
    assert_eq!(
        message,
        "plan.yaml:7:5: the plan's requests usage of 1159200000000000000 requests a month is above the bound of 1000000000000000000 requests; route '/b' takes the total past it"
    );
    // The same plan built in memory is refused by name, without a place.
    let est = Estimator::new(Plan::parse(requests, "plan.yaml", book()).unwrap(), book()).unwrap();
    assert_eq!(est.check_bounds().unwrap_err().code(), "usage_too_large");
    // Compute from a middleware entry: 10^12 requests x 10^7 ms = 10^16 s (and /a's 1 s), past
    // 10^15 s. The route writes no compute_ms, so its path line is named, not the catalog's.
    let compute = "tier: production\nregions: {na: 1}\nroutes:\n  - {path: /a, requests_per_month: 1000, compute_ms: 1}\n  - path: /heavy\n    requests_per_month: 1000000000000\n    middleware: [slow]\nmiddleware:\n  slow: {compute_ms: 10000000}\n";
    let (_, message) = refused(compute);
    assert!(
        message.starts_with(
            "plan.yaml:5:5: the plan's compute usage of 10000000000000001 seconds a month is above the bound of 1000000000000000 seconds"
        ),
        "{message}"
    );
    assert!(message.ends_with("route '/heavy' takes the total past it"), "{message}");
    // Exactly at the bound is a month rating takes.
    let at_bound = "tier: production\nregions: {na: 1}\nroutes:\n  - {path: /a, requests_per_month: 400000000000000000}\n  - {path: /b, requests_per_month: 600000000000000000}\n";
    let est = Estimator::parse(at_bound, "plan.yaml", book()).unwrap();
    assert!(est.check_bounds().is_ok() && est.bill().is_ok());
}

#[test]
fn quantities_past_their_bounds_are_refused_at_their_line() {
    // `requests_per_second: 1e23` used to panic multiplying by the seconds of a month.
    for (from, to) in [
        ("requests_per_second: 0.1", "requests_per_second: 1e23"),
        ("requests_per_month: 1000000", "requests_per_month: \"79228162514264337593543950335\""),
        ("response_bytes: 800", "response_bytes: 1000000000001"),
        ("compute_ms: 2.5", "compute_ms: 10000001"),
        ("egress_ratio: 0.5", "egress_ratio: 101"),
    ] {
        let text = PLAN.replace(from, to);
        assert_ne!(text, PLAN);
        let (line, column, code, message) = located(&text);
        assert_eq!(line, line_of(&text, to), "{to}: {message}");
        assert!(column > 1, "{column}");
        assert!(message.contains("above the bound"), "{to}: {message} ({code})");
    }
    let text = PLAN.replace("monthly_percent: 10", "monthly_percent: 1001");
    let (line, _, code, message) = located(&text);
    assert_eq!((line, code), (line_of(&text, "monthly_percent: 1001"), "value_out_of_range"), "{message}");
}

#[test]
fn a_route_whose_month_is_past_the_egress_bound_is_refused_at_the_route() {
    // 10^15 requests x 10^12-byte responses used to panic in attribution.
    let text = PLAN
        .replace("requests_per_month: 1000000", "requests_per_month: 1000000000000000")
        .replace("response_bytes: 20000", "response_bytes: 1000000000000");
    let (line, _, code, message) = located(&text);
    assert_eq!(code, "value_out_of_range", "{message}");
    assert_eq!(line, line_of(&text, "response_bytes: 1000000000000"), "{message}");
    assert!(message.contains("10^24 bytes"), "{message}");
}

#[test]
fn plans_at_the_bounds_are_refused_with_the_bound_they_pass() {
    // Every field at its bound: the plan is accepted, and the estimate refuses its month of
    // usage by name, never with a panic or an inexact total.
    for (requests, bytes, ms) in [
        ("requests_per_second: 100000000000", "response_bytes: 1000000", "compute_ms: 10000000"),
        ("requests_per_month: 1000000000000000000", "response_bytes: 1000000", "compute_ms: 10000000"),
        ("requests_per_month: 1000000000000", "response_bytes: 1000000000000", "compute_ms: 10000000"),
    ] {
        let text = PLAN
            .replace("requests_per_second: 0.1", requests)
            .replace("response_bytes: 800", bytes)
            .replace("compute_ms: 2.5", ms)
            .replace("egress_ratio: 0.5", "egress_ratio: 100");
        // Each plan is valid, and its month of usage passes the bound pricing rates exactly.
        let plan = Plan::parse(&text, "plan.yaml", book()).unwrap_or_else(|e| panic!("{requests}: {e}"));
        let est = Estimator::new(plan, book()).unwrap_or_else(|e| panic!("{requests}: {e}"));
        let options = edgecost_planner::EstimateOptions {
            uncertainty: Some(edgecost_planner::Uncertainty { samples: 20, ..Default::default() }),
            ..edgecost_planner::EstimateOptions::starting(chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap())
        };
        let refused = est.estimate(&options).expect_err(requests);
        assert_eq!(refused.code(), "usage_too_large", "{requests}: {refused}");
        assert!(refused.to_string().contains("above the bound"), "{requests}: {refused}");
    }
}

#[test]
fn quoted_quantities_read_as_the_cli_reads_them() {
    let plan = |requests: &str| {
        format!(
            "tier: production\nregions: {{na: 1}}\nroutes:\n  - path: /a\n    requests_per_month: {requests}\n    compute_ms: 1\n    response_bytes: 1\n"
        )
    };
    for (text, want) in [("\"350k\"", 350_000), ("'1.2M'", 1_200_000), ("350,000", 350_000), ("\"1e6\"", 1_000_000), ("350000", 350_000)] {
        let parsed = Plan::parse(&plan(text), "plan.yaml", book()).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(parsed.routes[0].requests_per_month, Some(Decimal::from(want)), "{text}");
    }
    // A separator only groups thousands: `51,5`, `12,34` and `1,2,3` are refused, never read as
    // 515, 1,234 or 123, with the CLI's message.
    for bad in ["abc", "-5", "k", "51,5", "12,34", "1,2,3", "1_0", "0.5_0"] {
        let err = Plan::parse(&plan(&format!("\"{bad}\"")), "plan.yaml", book()).unwrap_err().to_string();
        let want = edgecost_pricing::parse_quantity(bad).unwrap_err().to_string();
        assert!(err.contains(&want), "{bad}: {err}");
        assert!(err.starts_with("plan.yaml:5:"), "{bad}: {err}");
    }
}
