//! `edgecost serve` and `edgecost admin` as real processes.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use support::{Served, command, get, serve};

#[test]
fn serve_answers_healthz_on_the_default_database() {
    let home = tempfile::tempdir().unwrap();
    let served = serve(home.path(), &[]);
    let (status, body) = get(&served.addr, "/healthz", None);
    assert_eq!((status, body.as_str()), (200, "ok"));
    // With no --database, the SQLite file lives in the user's data folder.
    assert!(home.path().join("data/edgecost/edgecost.db").exists());

    // SIGTERM stops it gracefully, with a zero exit status.
    let mut served = served;
    let pid = served.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = served.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}

#[test]
fn an_account_created_by_admin_signs_in_to_serve() {
    let home = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", home.path().join("admin.db").display());
    let output = command(home.path())
        .args(["admin", "create-account", "--name", "Acme", "--tier", "production", "--json", "--database", &url])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let created: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let token = created["token"].as_str().unwrap();
    assert_eq!(created["tier"], "production");

    let output = command(home.path()).args(["admin", "create-node", "--name", "fra-1", "--json", "--database", &url]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let node: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(node["token"].as_str().unwrap() != token);

    let output =
        command(home.path()).args(["admin", "create-account", "--name", "Acme", "--tier", "gold", "--database", &url]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "an unknown tier is the user's mistake");
    assert!(String::from_utf8_lossy(&output.stderr).contains("gold"));

    let served = serve(home.path(), &["--database", &url]);
    let (status, body) = get(&served.addr, "/v1/account", Some(token));
    assert_eq!(status, 200, "{body}");
    let account: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(account["name"], "Acme");
    assert_eq!(account["account_id"], created["account_id"]);
}

/// `serve --price-book` rates with a book that carries infrastructure cost: the operator's
/// report has its margin, and accounts read the book without the cost.
#[test]
fn serve_rates_with_a_price_book_that_carries_infrastructure_cost() {
    let home = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", home.path().join("costed.db").display());
    let book = home.path().join("costed.yaml");
    let costs = "infrastructure_cost:\n  requests_per_10k: \"0.01\"\n  egress_gb: { default: \"0.02\", apac: \"0.20\" }\n";
    // Production at $24.00 instead of the published $19.00.
    let terms = edgecost_pricing::PriceBook::published_yaml().replace("base_fee: \"19.00\"", "base_fee: \"24.00\"");
    std::fs::write(&book, format!("{terms}\n{costs}")).unwrap();
    let book = book.display().to_string();
    let served = serve(home.path(), &["--database", &url, "--price-book", &book, "--demo"]);
    let operator = served
        .banner
        .iter()
        .find_map(|l| l.strip_prefix("demo operator token: "))
        .unwrap_or_else(|| panic!("no operator token in {:?}", served.banner))
        .trim()
        .to_owned();
    let (status, body) = get(&served.addr, "/v1/admin/report", Some(&operator));
    assert_eq!(status, 200, "{body}");
    let report: serde_json::Value = serde_json::from_str(&body).unwrap();
    let margin = &report["margin"];
    assert!(margin["total"]["cost"].as_str().is_some_and(|c| c != "0.00"), "margin is priced: {margin}");
    // The demo account and the fleet's eight.
    assert_eq!(report["months"].as_array().unwrap().last().unwrap()["accounts"], 9, "{body}");
    let (status, body) = get(&served.addr, "/v1/price-book", None);
    assert_eq!(status, 200);
    assert!(!body.contains("infrastructure_cost"), "{body}");

    // The command line's report of the same database is the served one when it is given the
    // same book, and prices production at $19.00 without it.
    let cli_report = |extra: &[&str]| -> serde_json::Value {
        let out = command(home.path()).args(["admin", "report", "--json", "--database", &url]).args(extra).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let mut report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        report.as_object_mut().unwrap().remove("as_of");
        report
    };
    let mut served_report = report.clone();
    served_report.as_object_mut().unwrap().remove("as_of");
    assert_eq!(cli_report(&["--price-book", &book]), served_report);
    assert_ne!(cli_report(&[])["months"], served_report["months"], "the published book bills production at $19.00");

    // A book that does not parse is the user's mistake, with its line.
    let bad = home.path().join("bad.yaml");
    std::fs::write(&bad, "version: 1\ncurrency: [\n").unwrap();
    let out = command(home.path()).args(["serve", "--database", &url, "--price-book"]).arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.yaml:"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn serve_demo_prints_a_working_token() {
    let home = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", home.path().join("demo.db").display());
    let served = serve(home.path(), &["--database", &url, "--demo"]);
    let token = served.demo_token();
    let (status, body) = get(&served.addr, "/v1/account/notices", Some(&token));
    assert_eq!(status, 200, "{body}");
    let notices: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(!notices["notices"].as_array().unwrap().is_empty(), "the demo sits past 80% of a quota");
}

/// The demo's accounts never mix with real ones: `--demo` refuses a database that holds
/// accounts, and without `--database` seeds a database of its own, started over each time.
#[test]
fn serve_demo_keeps_to_a_database_of_its_own() {
    let home = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", home.path().join("real.db").display());
    let out = command(home.path())
        .args(["admin", "create-account", "--name", "Acme", "--tier", "production", "--database", &url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let accounts_in = |url: &str| -> u64 {
        let out = command(home.path()).args(["admin", "report", "--json", "--database", url]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        report["months"].as_array().unwrap().last().unwrap()["accounts"].as_u64().unwrap()
    };
    assert_eq!(accounts_in(&url), 1);
    let out = command(home.path()).args(["serve", "--listen", "127.0.0.1:0", "--demo", "--database", &url]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("holds 1 already"), "{said}");
    assert_eq!(accounts_in(&url), 1, "the real database gained no demo account");

    // Without --database: the demo's own file, beside (not in) the default database, and a
    // second start begins again rather than adding a second fleet.
    let demo_url = format!("sqlite://{}", home.path().join("data/edgecost/demo.db").display());
    for _ in 0..2 {
        let served = serve(home.path(), &["--demo"]);
        assert!(served.banner.iter().any(|l| l.starts_with("demo database: ") && l.contains("demo.db")), "{:?}", served.banner);
        drop(served);
        // The demo account and the fleet's eight.
        assert_eq!(accounts_in(&demo_url), 9);
    }
    assert!(!home.path().join("data/edgecost/edgecost.db").exists(), "the default database was left alone");
}

/// A command that only reads refuses a database that is not there (a mistyped path) instead of
/// creating an empty one and reporting on it; one that writes says it creates one.
#[test]
fn admin_reads_only_an_existing_database_and_says_when_it_creates_one() {
    let home = tempfile::tempdir().unwrap();
    let typo = home.path().join("typo.db");
    let book = home.path().join("book.yaml");
    std::fs::write(&book, edgecost_pricing::PriceBook::published_yaml()).unwrap();
    let book = book.display().to_string();
    for args in [&["admin", "report"][..], &["admin", "what-if", "--price-book", &book][..]] {
        let out = command(home.path()).args(args).args(["--database", &format!("sqlite://{}", typo.display())]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains(&format!("there is no database at {}", typo.display())), "{args:?}: {said}");
        assert!(!typo.exists(), "{args:?} created nothing");
    }

    let fresh = home.path().join("fresh.db");
    let out = command(home.path())
        .args(["admin", "create-node", "--name", "fra-1", "--database", &format!("sqlite://{}", fresh.display())])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("creating a new database at {}", fresh.display())));
    assert!(fresh.exists());
}

/// A PostgreSQL server that refuses the connection is named at once, not after the pool's
/// wait, and not as a connection lost.
#[test]
fn a_postgresql_server_that_refuses_is_named_at_once() {
    let home = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = command(home.path()).args(["admin", "report", "--database", "postgres://nobody@127.0.0.1:1/db"]).output().unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("127.0.0.1:1") && said.contains("refused"), "{said}");
    assert!(!said.contains("failing over"), "{said}");
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
}

#[test]
fn plan_from_usage_calibrates_from_an_accounts_usage_log() {
    let home = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", home.path().join("demo.db").display());
    let served = serve(home.path(), &["--database", &url, "--demo"]);
    let token = served.demo_token();
    let plan_path = home.path().join("measured.yaml");
    let out = command(home.path())
        .args(["plan", "from-usage", "--server", &format!("http://{}", served.addr), "--tier", "production", "-o"])
        .arg(&plan_path)
        .env("EDGECOST_TOKEN", &token)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let plan = std::fs::read_to_string(&plan_path).unwrap();
    assert!(plan.contains("(account usage log)"), "{plan}");
    assert!(plan.contains("tier: production"), "{plan}");
    // The calibrated plan is a valid plan the estimator prices.
    let out = command(home.path()).args(["estimate", "--json"]).arg(&plan_path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let estimate: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let requests: edgecost_pricing::Decimal = estimate["usage"]["requests"].as_str().unwrap().parse().unwrap();
    assert!(requests > edgecost_pricing::Decimal::ZERO, "the measured routes carry traffic: {estimate}");

    // The address as a person types it, as the app's sign-in takes it: no scheme, and with
    // the API's version on the end.
    for (n, typed) in [served.addr.clone(), format!("http://{}/v1/", served.addr)].iter().enumerate() {
        let again = home.path().join(format!("typed-{n}.yaml"));
        let out = command(home.path())
            .args(["plan", "from-usage", "--server", typed, "--tier", "production", "-o"])
            .arg(&again)
            .env("EDGECOST_TOKEN", &token)
            .output()
            .unwrap();
        assert!(out.status.success(), "{typed}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(std::fs::read_to_string(&again).unwrap().contains("(account usage log)"), "{typed}");
    }

    // A wrong token is refused with a clear message and exit code 2.
    let out = command(home.path())
        .args(["plan", "from-usage", "--server", &format!("http://{}", served.addr), "--token", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("refused the token"));
}

#[test]
fn metrics_are_served_only_on_the_metrics_address() {
    let home = tempfile::tempdir().unwrap();
    // Without the flag, no address serves metrics.
    let plain = serve(home.path(), &[]);
    let (status, body) = get(&plain.addr, "/metrics", None);
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("\"code\":\"unknown_route\""), "{body}");
    drop(plain);

    let served = serve(home.path(), &["--metrics-listen", "127.0.0.1:0"]);
    let metrics_addr = served
        .banner
        .iter()
        .find_map(|l| l.strip_prefix("metrics on http://"))
        .unwrap_or_else(|| panic!("no `metrics on` line in {:?}", served.banner))
        .trim()
        .trim_end_matches("/metrics")
        .to_owned();
    assert_eq!(get(&served.addr, "/healthz", None).0, 200);
    let (status, _) = get(&served.addr, "/metrics", None);
    assert_eq!(status, 404, "the API's address serves no metrics");
    let (status, text) = get(&metrics_addr, "/metrics", None);
    assert_eq!(status, 200);
    // The metrics address counts what the API's address answered.
    assert!(text.contains("edgecost_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"), "{text}");
    let (status, _) = get(&metrics_addr, "/healthz", None);
    assert_eq!(status, 404, "the metrics address serves nothing else");
}

/// Schemathesis, installed by `scripts/setup-debian.sh` (`make setup`).
fn schemathesis() -> std::path::PathBuf {
    let path = std::env::var_os("EDGECOST_SCHEMATHESIS").map(std::path::PathBuf::from).unwrap_or_else(|| {
        let data = std::env::var_os("XDG_DATA_HOME")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(".local/share"));
        data.join("edgecost-dev/venv/bin/schemathesis")
    });
    assert!(path.exists(), "schemathesis is not installed at {}; run `make setup`", path.display());
    path
}

/// Runs schemathesis against the OpenAPI document `serve` publishes, with `token`, over
/// `filters`; answers its exit status and output.
fn run_schemathesis(home: &std::path::Path, served: &Served, token: &str, filters: &[&str]) -> (bool, String) {
    let out = Command::new(schemathesis())
        // It keeps its state in `.schemathesis` of the working folder.
        .current_dir(home)
        .arg("run")
        .arg(format!("http://{}/openapi.json", served.addr))
        .args(["--header", &format!("Authorization: Bearer {token}")])
        // Bounded and repeatable: the same cases on every run.
        .args(["--max-examples", "25", "--seed", "20261205"])
        // Every check but `positive_data_acceptance`, which wants every schema-valid request
        // accepted: the API also refuses what no schema states (`from` after `to`, a tier the
        // price book lacks, a second purchase with a key already used for another body).
        .args(["--checks", "all", "--exclude-checks", "positive_data_acceptance"])
        .args(filters)
        .env("NO_COLOR", "1")
        .output()
        .expect("schemathesis runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[test]
fn schemathesis_finds_nothing_the_openapi_document_does_not_say() {
    let home = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", home.path().join("st.db").display());
    let create = |what: &[&str]| -> String {
        let out = command(home.path()).arg("admin").args(what).args(["--json", "--database", &url]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        created["token"].as_str().unwrap().to_owned()
    };
    let account = create(&["create-account", "--name", "Acme", "--tier", "production"]);
    let node = create(&["create-node", "--name", "fra-1"]);
    let operator = create(&["create-operator", "--name", "ops"]);
    let served = serve(home.path(), &["--database", &url]);

    // Account routes with an account token; the node routes with a node token. `/metrics`
    // answers on the metrics address only (its own test above).
    let (ok, text) = run_schemathesis(
        home.path(),
        &served,
        &account,
        &[
            "--exclude-path",
            "/v1/telemetry",
            "--exclude-path",
            "/v1/metrics",
            "--exclude-path",
            "/v1/events",
            "--exclude-path",
            "/v1/nodes/limits",
            "--exclude-path",
            "/metrics",
        ],
    );
    assert!(ok, "schemathesis found failures on the account routes:\n{text}");
    assert!(text.contains("passed"), "{text}");
    let (ok, text) = run_schemathesis(
        home.path(),
        &served,
        &node,
        &["--include-path", "/v1/telemetry", "--include-path", "/v1/events", "--include-path", "/v1/nodes/limits"],
    );
    assert!(ok, "schemathesis found failures on the telemetry route:\n{text}");
    assert!(text.contains("passed"), "{text}");
    // The operator's routes (the report and the what-if) with an operator token.
    let (ok, text) = run_schemathesis(home.path(), &served, &operator, &["--include-path-regex", "^/v1/admin/"]);
    assert!(ok, "schemathesis found failures on the operator's routes:\n{text}");
    assert!(text.contains("passed"), "{text}");
    // The server is still healthy after both runs.
    assert_eq!(get(&served.addr, "/healthz", None), (200, "ok".to_owned()));
}
