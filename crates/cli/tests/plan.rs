//! `edgecost estimate`, `diff` and `plan from-usage` as a developer or CI job runs them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn edgecost(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_edgecost")).args(args).current_dir(root()).output().expect("edgecost runs")
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn stdout(out: &Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn json(args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&stdout(&edgecost(args))).expect("stdout is one JSON document")
}

/// A scratch copy of an example with `from` replaced by `to`.
fn edited(example: &str, from: &str, to: &str, name: &str) -> PathBuf {
    let text = std::fs::read_to_string(root().join("examples").join(example)).unwrap();
    assert!(text.contains(from), "{from} not in {example}");
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, text.replace(from, to)).unwrap();
    path
}

#[test]
fn estimate_json_has_usage_and_the_pricing_bill() {
    let e = json(&["estimate", "examples/small-api.yaml", "--json", "--period-start", "2026-11-01"]);
    // Worked out in the planner's golden tests: 275,920 requests, 1,097.592 s, 11.502592 GB.
    assert_eq!(e["usage"]["requests"], "275920");
    assert_eq!(e["usage"]["compute_seconds"], "1097.592");
    assert_eq!(e["usage"]["egress_bytes"], "11502592000");
    assert_eq!(e["usage"]["billable_egress_gb"], "11.502592");
    // The bill has the same shape `edgecost bill --json` prints.
    let bill = json(&[
        "bill",
        "--tier",
        "production",
        "--requests",
        "275920",
        "--egress-gb",
        "11.502592",
        "--compute-seconds",
        "1097.592",
        "--json",
    ]);
    assert_eq!(e["bill"], bill);
    assert_eq!(e["bill"]["total"], "22.04");
    assert_eq!(e["routes"][0]["name"], "/api/orders");
    assert_eq!(e["routes"][0]["cost"], "1.65");
    assert_eq!(e["recommendation"]["tier"], "production");
    let eighty = e["thresholds"].as_array().unwrap().iter().find(|t| t["meter"] == "requests" && t["percent"] == 80).unwrap();
    assert_eq!(eighty["day"], 18);
    assert!(e["range"]["p50"].is_string() && e["range"]["p90"].is_string());
    // Month 2 at +10%: 303,512 requests, 103,512 past the quota x $0.00004 = $4.14 -> $23.14.
    assert_eq!(e["months"].as_array().unwrap().len(), 12);
    assert_eq!(e["months"][1]["total"], "23.14");
}

#[test]
fn estimate_prints_tidy_tables_and_the_recommendation() {
    let text = stdout(&edgecost(&["estimate", "examples/busy-multi-region.yaml", "--period-start", "2026-11-01"]));
    let total = text.lines().find(|l| l.starts_with("Total")).unwrap();
    assert!(total.ends_with("$84.54"), "{text}");
    assert!(
        text.contains(
            "Recommendation: Move to Scale: $79.00 this month ($79.00 base fee, no overage), $5.54 less than staying on Production."
        ),
        "{text}"
    );
    assert!(text.contains("ties go to the lower tier"), "{text}");
    assert!(text.contains("day 3 (2026-11-03)"), "{text}");
    // The bill table's rows all end in the same column.
    let rows: Vec<&str> = text.lines().skip(2).take_while(|l| !l.is_empty()).collect();
    assert!(rows.len() >= 5 && rows.iter().all(|r| r.len() == rows[0].len()), "{rows:#?}");
    // --tier prices the same plan on another tier.
    let scale = json(&["estimate", "examples/busy-multi-region.yaml", "--tier", "scale", "--json", "--samples", "0"]);
    assert_eq!(scale["bill"]["total"], "79.00");
    assert!(scale["range"].is_null());
}

#[test]
fn the_simulated_range_is_reproducible_by_seed() {
    let run =
        |seed: &str| json(&["estimate", "examples/busy-multi-region.yaml", "--json", "--seed", seed, "--samples", "300"])["range"].clone();
    assert_eq!(run("42"), run("42"));
    assert_ne!(run("42"), run("43"));
}

#[test]
fn bad_plans_and_arguments_exit_2_with_a_located_message() {
    let broken = edited("small-api.yaml", "middleware: [auth, compress]", "middleware: [auth, gzip]", "broken.yaml");
    let out = edgecost(&["estimate", broken.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.yaml:9:") && err.contains("'gzip'"), "{err}");
    let out = edgecost(&["estimate", "examples/small-api.yaml", "--tier", "gold"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(edgecost(&["estimate", "no-such-plan.yaml"]).status.code(), Some(2));
    assert_eq!(edgecost(&["diff", "examples/small-api.yaml"]).status.code(), Some(2));
    assert_eq!(edgecost(&["estimate", "examples/small-api.yaml", "--samples", "20000"]).status.code(), Some(2));
}

#[test]
fn diff_shows_the_change_per_route_and_gates_ci() {
    // Double /api/orders and drop /healthz, add /api/search.
    let text = std::fs::read_to_string(root().join("examples/small-api.yaml")).unwrap();
    let new = text.replace("requests_per_month: 150000", "requests_per_month: 300000").replace(
        "  - path: /healthz\n    requests_per_second: 0.01\n    compute_ms: 0.1\n    response_bytes: 100\n",
        "  - path: /api/search\n    requests_per_month: 50000\n    compute_ms: 8\n    response_bytes: 5000\n",
    );
    let new_path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("small-api-new.yaml");
    std::fs::write(&new_path, new).unwrap();
    let new_arg = new_path.to_str().unwrap();

    // New plan: 300,000 + 100,000 + 50,000 = 450,000 requests; 250,000 past the quota x
    // $0.00004 = $10.00; egress 3 + 10 + 0.25 = 13.25 GB, under 50. Bill $29.00, was $22.04.
    let d = json(&["diff", "examples/small-api.yaml", new_arg, "--json"]);
    assert_eq!(d["old_total"], "22.04");
    assert_eq!(d["new_total"], "29.00");
    assert_eq!(d["total_change"], "6.96");
    let changes: Vec<(String, String)> = d["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["path"].as_str().unwrap().to_owned(), r["change"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        changes,
        [
            ("/api/orders".to_owned(), "edited".to_owned()),
            // Not edited: its share of the larger overage moved.
            ("/api/products".to_owned(), "cost_moved".to_owned()),
            ("/api/search".to_owned(), "added".to_owned()),
            ("/healthz".to_owned(), "removed".to_owned()),
        ]
    );
    // $10.00 over 300,000 : 100,000 : 50,000 requests = $6.67, $2.22, $1.11 (the odd cent to
    // the largest remainder, /api/orders at .67 of a cent).
    assert_eq!(d["routes"][0]["new_cost"], "6.67");
    assert_eq!(d["routes"][0]["cost_change"], "5.02");
    assert_eq!(d["routes"][3]["new_cost"], "0.00");

    let human = stdout(&edgecost(&["diff", "examples/small-api.yaml", new_arg]));
    assert!(human.starts_with("Monthly bill: $22.04 -> $29.00 (+$6.96) on production"), "{human}");
    assert!(human.lines().any(|l| l.starts_with("/healthz") && l.contains("removed") && l.ends_with("-$0.29")), "{human}");

    let ok = edgecost(&["diff", "examples/small-api.yaml", new_arg, "--fail-above", "30", "--fail-increase", "7"]);
    assert_eq!(ok.status.code(), Some(0));
    let above = edgecost(&["diff", "examples/small-api.yaml", new_arg, "--fail-above", "28.99"]);
    assert_eq!(above.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&above.stderr).contains("$29.00 is above $28.99"));
    let increase = edgecost(&["diff", "examples/small-api.yaml", new_arg, "--fail-increase", "5"]);
    assert_eq!(increase.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&increase.stderr).contains("grows by $6.96"));
}

#[test]
fn plan_from_usage_writes_a_plan_that_estimates() {
    let out_path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("calibrated.yaml");
    let _ = std::fs::remove_file(&out_path);
    let out = edgecost(&["plan", "from-usage", "examples/usage-sample.jsonl", "-o", out_path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // 7,200 s observed scale by 360 to a month: 252,000 requests, 9 GB raw egress; apac's
    // 1.8 GB weighs 1.5, so 9.9 GB billable. 52,000 requests past 200,000 x $0.00004 = $2.08:
    // production ($21.08) is the cheapest tier, so the plan is written on it.
    let e = json(&["estimate", out_path.to_str().unwrap(), "--json", "--samples", "0"]);
    assert_eq!(e["tier"], "production");
    assert_eq!(e["usage"]["requests"], "252000");
    assert_eq!(e["usage"]["billable_egress_gb"], "9.9");
    assert_eq!(e["bill"]["total"], "21.08");
    let bad = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bad-usage.jsonl");
    std::fs::write(&bad, "{\"route\": \"/a\"}\n").unwrap();
    let out = edgecost(&["plan", "from-usage", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad-usage.jsonl:1:"));
}

#[test]
fn plan_schema_is_the_published_one() {
    let printed = json(&["plan", "schema"]);
    let published: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("schemas/plan.schema.json")).unwrap()).unwrap();
    assert_eq!(printed, published);
}

#[test]
fn estimate_applies_held_credit_as_bill_does() {
    // `estimate --credits 10` used to print the month's cost as the total, ignoring the credit
    // that `bill` takes off for the same usage.
    let e = json(&["estimate", "examples/small-api.yaml", "--json", "--samples", "0", "--credits", "10"]);
    let bill = json(&[
        "bill",
        "--tier",
        "production",
        "--requests",
        "275920",
        "--egress-gb",
        "11.502592",
        "--compute-seconds",
        "1097.592",
        "--credits",
        "10",
        "--json",
    ]);
    assert_eq!(e["bill"], bill);
    assert_eq!((e["bill"]["credits_applied"].as_str(), e["bill"]["total"].as_str()), (Some("3.04"), Some("19.00")));
    assert_eq!(e["recommendation"]["credit_pays"], "3.04");
    let text = stdout(&edgecost(&["estimate", "examples/small-api.yaml", "--samples", "0", "--credits", "10"]));
    let row = |label: &str| text.lines().find(|l| l.starts_with(label)).unwrap_or_else(|| panic!("{label} in {text}")).to_owned();
    assert!(row("Cost of the month").ends_with("$22.04"), "{text}");
    assert!(row("Burst credit pays").ends_with("-$3.04"), "{text}");
    assert!(row("Total to invoice").ends_with("$19.00"), "{text}");
}

#[test]
fn estimate_shows_quantities_a_person_reads_and_shares_that_add_up() {
    let text = stdout(&edgecost(&["estimate", "examples/small-api.yaml", "--samples", "0", "--period-start", "2026-11-01"]));
    // 11.502592 GB served: shown to the hundredth; 1,097.592 s of compute to the hundredth.
    assert!(text.contains("Egress served 11.5 GB; billable after region weights 11.5 GB."), "{text}");
    assert!(!text.contains("11.502592"), "{text}");
    // Route shares of requests: 150,000 / 100,000 / 25,920 of 275,920 are 54.36%, 36.24%
    // and 9.39%; cut they read 54 + 36 + 9 = 99, allocated they read 54 + 36 + 10 = 100.
    let share = |route: &str| {
        let line = text.lines().find(|l| l.starts_with(route)).unwrap();
        line.split_whitespace().nth(2).unwrap().to_owned()
    };
    assert_eq!([share("/api/orders"), share("/api/products"), share("/healthz")], ["54%", "36%", "10%"]);
}

/// A scratch folder of its own for a test that writes files.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn plan_from_usage_never_overwrites_a_file_unless_forced_and_never_its_input() {
    let dir = scratch("from-usage-output");
    let usage = dir.join("u.jsonl");
    let usage_text = std::fs::read_to_string(root().join("examples/usage-sample.jsonl")).unwrap();
    std::fs::write(&usage, &usage_text).unwrap();
    let precious = dir.join("precious.yaml");
    let hand_written = "# Written by hand; keep these comments.\ntier: production\nregions: {na: 1}\n";
    std::fs::write(&precious, hand_written).unwrap();
    let (usage_arg, precious_arg) = (usage.to_str().unwrap(), precious.to_str().unwrap());

    // An existing file is refused as bad input (exit 2), named, and left as it was.
    let out = edgecost(&["plan", "from-usage", usage_arg, "-o", precious_arg]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{precious_arg} already exists; pass --force to replace it")), "{err}");
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), hand_written);

    // --force replaces it with the plan, whole.
    let out = edgecost(&["plan", "from-usage", usage_arg, "-o", precious_arg, "--force"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let plan = std::fs::read_to_string(&precious).unwrap();
    assert!(plan.starts_with("# Built by `edgecost plan from-usage`") && plan.contains("routes:"), "{plan}");
    assert_eq!(json(&["estimate", precious_arg, "--json", "--samples", "0"])["bill"]["total"], "21.08");

    // The input itself is refused, with or without --force, however the path is spelled.
    let spelled_otherwise = dir.join(".").join("u.jsonl");
    for output in [usage_arg, spelled_otherwise.to_str().unwrap()] {
        for force in [&[][..], &["--force"][..]] {
            let out = edgecost(&[&["plan", "from-usage", usage_arg, "-o", output][..], force].concat());
            assert_eq!(out.status.code(), Some(2), "{output} {force:?}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains("is the file being read"), "{err}");
            assert_eq!(std::fs::read_to_string(&usage).unwrap(), usage_text);
        }
    }

    // A new file is written; no temporary file is left beside it.
    let fresh = dir.join("fresh.yaml");
    let out = edgecost(&["plan", "from-usage", usage_arg, "-o", fresh.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut names: Vec<String> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["fresh.yaml", "precious.yaml", "u.jsonl"]);
    // --force without an output file is a usage error.
    assert_eq!(edgecost(&["plan", "from-usage", usage_arg, "--force"]).status.code(), Some(2));
}

#[test]
fn estimate_says_when_a_sandbox_plan_hits_its_cap() {
    // The billing rules' example: 80,000 requests a month on the sandbox, 50,000 included.
    // Steady traffic reaches the quota at 50,000 / 80,000 = 0.625 of the 30-day period, 18.75
    // days in, so during day ceil(18.75) = 19; every request after that is refused:
    // 1 - 0.625 = 37.5% of the month's traffic. Egress (80,000 x 1,000 B = 0.08 GB of 10 GB)
    // and compute (80 s) stay inside their quotas. The sandbox bills nothing: $0.00.
    let dir = scratch("sandbox-cap");
    let plan = dir.join("sandbox.yaml");
    std::fs::write(
        &plan,
        "tier: sandbox\nregions: {eu: 1}\nroutes:\n  - {path: /api/prototype, requests_per_month: 80000, compute_ms: 1, response_bytes: 1000}\n",
    )
    .unwrap();
    let plan_arg = plan.to_str().unwrap();
    let text = stdout(&edgecost(&["estimate", plan_arg, "--samples", "0"]));
    assert!(
        text.contains(
            "Capped on day 19 of 30: 37.5% of the month's traffic is refused once the requests quota is reached. Sandbox bills nothing past it."
        ),
        "{text}"
    );
    assert!(text.lines().find(|l| l.starts_with("Total")).is_some_and(|l| l.ends_with("$0.00")), "{text}");
    let e = json(&["estimate", plan_arg, "--json", "--samples", "0"]);
    assert_eq!(e["cap"], serde_json::json!({"meter": "requests", "day": 19, "refused_percent": "37.5"}));
    assert_eq!(e["bill"]["total"], "0.00");
    // Under the quota, or on a tier without a hard cap, there is no cap to tell of.
    let small = json(&["estimate", "examples/sandbox-prototype.yaml", "--json", "--samples", "0"]);
    assert!(small["cap"].is_null(), "{small}");
    let paid = json(&["estimate", plan_arg, "--tier", "production", "--json", "--samples", "0"]);
    assert!(paid["cap"].is_null());
    assert!(!stdout(&edgecost(&["estimate", "examples/small-api.yaml", "--samples", "0"])).contains("Capped"));
}

#[test]
fn diff_tells_edited_routes_from_routes_whose_cost_only_moved() {
    // Only /api/orders is edited (150,000 -> 300,000 requests). The overage grows from
    // 75,920 to 225,920 requests past the quota: $3.04 -> $9.04, split again over every
    // route by requests, so /api/products and /healthz pay more without being touched.
    let orders = edited("small-api.yaml", "requests_per_month: 150000", "requests_per_month: 300000", "diff-orders.yaml");
    let d = json(&["diff", "examples/small-api.yaml", orders.to_str().unwrap(), "--json"]);
    let route = |path: &str| d["routes"].as_array().unwrap().iter().find(|r| r["path"] == path).unwrap().clone();
    assert_eq!(
        (route("/api/orders")["change"].as_str(), route("/api/orders")["edited"].clone()),
        (Some("edited"), serde_json::json!(["requests_per_month"]))
    );
    for path in ["/api/products", "/healthz"] {
        assert_eq!(route(path)["change"], "cost_moved", "{path}");
        assert_eq!(route(path)["edited"], serde_json::json!([]), "{path}");
        assert!(route(path)["cost_change"].as_str().unwrap().parse::<f64>().unwrap() > 0.0, "{path}");
    }
    let text = stdout(&edgecost(&["diff", "examples/small-api.yaml", orders.to_str().unwrap()]));
    let row = |path: &str| text.lines().find(|l| l.starts_with(path)).unwrap().to_owned();
    assert!(row("/api/orders").contains("edited (requests_per_month)"), "{text}");
    assert!(row("/api/products").contains("cost moved") && !row("/api/products").contains("edited"), "{text}");
    assert!(text.contains("\"cost moved\": the route's entry was not edited"), "{text}");
    // The pull-request comment lists the edit in its table and the moved routes apart.
    let md = stdout(&edgecost(&["diff", "examples/small-api.yaml", orders.to_str().unwrap(), "--format", "markdown"]));
    let (edits, moved) = md.split_once("**Not edited, cost moved** (2 routes)").expect("a section of moved routes");
    assert!(edits.contains("| `/api/orders` | edited (requests_per_month) |") && !edits.contains("/healthz"), "{md}");
    assert!(moved.contains("| `/api/products` | cost moved |") && moved.contains("| `/healthz` | cost moved |"), "{md}");

    // Only the tier changes, production -> scale: the bill rises from $22.04 to $79.00 (scale's
    // base fee; its quotas hold this usage), and every route's share of the overage falls to
    // $0.00. No route was edited.
    let scale = edited("small-api.yaml", "tier: production", "tier: scale", "diff-scale.yaml");
    let d = json(&["diff", "examples/small-api.yaml", scale.to_str().unwrap(), "--json"]);
    assert_eq!(d["total_change"], "56.96");
    for r in d["routes"].as_array().unwrap() {
        assert_eq!(r["change"], "cost_moved", "{r}");
        assert_eq!(r["new_cost"], "0.00", "{r}");
    }
    let md = stdout(&edgecost(&["diff", "examples/small-api.yaml", scale.to_str().unwrap(), "--format", "markdown"]));
    assert!(md.contains("No route edited.") && md.contains("**Not edited, cost moved** (3 routes)"), "{md}");
    assert!(!md.contains("| edited"), "{md}");
    let log = stdout(&edgecost(&["diff", "examples/small-api.yaml", scale.to_str().unwrap(), "--format", "github"]));
    assert!(log.lines().filter(|l| l.starts_with('/')).all(|l| l.contains("cost moved")), "{log}");
}

#[test]
fn estimate_json_months_report_usage_in_the_shape_of_the_months_usage() {
    // 1,000,000 requests x 1,000 bytes, all served from apac (weight 1.5): 1 GB served, 1.5 GB
    // billable. Every `usage` object has both, under the same names; month 2 grows 10%.
    let dir = scratch("months-usage");
    let plan = dir.join("apac.yaml");
    std::fs::write(
        &plan,
        "tier: production\nregions: {apac: 1}\ngrowth: {monthly_percent: 10}\nroutes:\n  - {path: /a, requests_per_month: 1000000, response_bytes: 1000}\n",
    )
    .unwrap();
    let e = json(&["estimate", plan.to_str().unwrap(), "--json", "--samples", "0"]);
    let usage = &e["usage"];
    assert_eq!(
        (&usage["egress_bytes"], &usage["billable_egress_bytes"], &usage["billable_egress_gb"]),
        (&"1000000000".into(), &"1500000000".into(), &"1.5".into())
    );
    // Month 1 is the plan's month, field for field.
    assert_eq!(e["months"][0]["usage"], *usage);
    let grown = &e["months"][1]["usage"];
    assert_eq!(
        (&grown["requests"], &grown["egress_bytes"], &grown["billable_egress_bytes"], &grown["billable_egress_gb"]),
        (&"1100000".into(), &"1100000000".into(), &"1650000000".into(), &"1.65".into())
    );
}

#[test]
fn a_plan_whose_month_passes_a_bound_is_refused_at_the_route_that_passes_it() {
    let dir = scratch("plan-past-bound");
    // Each route is within its own bound (10^18 requests a month); together they are twice
    // the period's bound, and /b is the route that takes the total past it (line 7).
    let requests = dir.join("requests.yaml");
    std::fs::write(
        &requests,
        "tier: production\nregions: {na: 1}\nroutes:\n  - path: /a\n    requests_per_month: 1000000000000000000\n  - path: /b\n    requests_per_month: 1000000000000000000\n",
    )
    .unwrap();
    let file = requests.to_str().unwrap();
    for command in [&["estimate", file][..], &["estimate", file, "--json"], &["diff", "examples/small-api.yaml", file]] {
        let out = edgecost(command);
        assert_eq!(out.status.code(), Some(2), "{command:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!(
                "{file}:7:5: the plan's requests usage of 2000000000000000000 requests a month is above the bound of 1000000000000000000 requests; route '/b' takes the total past it"
            )),
            "{command:?}: {err}"
        );
    }
    // One route's 10^24 bytes served is within the route's bound, but af weighs 2: 2 x 10^15 GB
    // billable, past the 10^15 GB bound, pointed at its response_bytes (line 6, column 5).
    let egress = dir.join("egress.yaml");
    std::fs::write(
        &egress,
        "tier: production\nregions: {af: 1}\nroutes:\n  - path: /big\n    requests_per_month: 1000000000000\n    response_bytes: 1000000000000\n",
    )
    .unwrap();
    let out = edgecost(&["estimate", egress.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{}:6:5: the plan's egress usage of 2000000000000000 GB a month", egress.display())), "{err}");
}

#[test]
fn plan_from_usage_names_the_line_and_column_of_an_unknown_region() {
    let dir = scratch("from-usage-region");
    let usage = dir.join("u.jsonl");
    // Line 3 is served from 'mars', one byte of a gigabyte: too little to hold a share of the
    // split, but still a region no price book weighs, so the file is refused, not trimmed.
    std::fs::write(
        &usage,
        concat!(
            "{\"route\": \"/a\", \"region\": \"na\", \"window_start\": \"h1\", \"requests\": 1000, \"compute_ms\": 1, \"egress_bytes\": 999999999}\n",
            "\n",
            "{\"route\": \"/a\", \"region\": \"mars\", \"window_start\": \"h1\", \"requests\": 1, \"compute_ms\": 1, \"egress_bytes\": 1}\n",
        ),
    )
    .unwrap();
    let file = usage.to_str().unwrap();
    let out = edgecost(&["plan", "from-usage", file]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    // `{"route": "/a", "region": ` is 26 characters: the value starts in column 27.
    assert!(
        err.contains(&format!("{file}:3:27: region 'mars' is not in the price book (known regions: af, apac, eu, me, na, sa)")),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "no plan is written");
}
