//! What the route editor's end-to-end test and latency bench add to the shared harness: plan
//! files the app lists as recent, the CLI's own estimate, and waiting for a total to settle.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use edgecost_e2e::{Home, WAIT, text_of, workspace_root};
use fantoccini::{Client, Locator};

/// The `edgecost` CLI, whose `estimate` the editor's numbers are checked against.
pub fn cli_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("EDGECOST_CLI") {
        return PathBuf::from(path);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"));
    let path = target.join("debug").join("edgecost");
    assert!(path.exists(), "{} is missing: run `cargo build -p edgecost` first (or set EDGECOST_CLI)", path.display());
    path
}

/// Lists `plans` as the app's recent plan files (most recent first) in its data folder.
pub fn recent_plans(home: &Home, plans: &[&Path]) {
    let data_dir = home.path().join(".local/share/dev.edgecost.desktop");
    std::fs::create_dir_all(&data_dir).unwrap();
    std::fs::write(data_dir.join("recent-plans.json"), serde_json::to_vec(&plans).unwrap()).unwrap();
}

/// Waits until the text at `css` is `want`, and answers the last text seen either way.
pub async fn text_becomes(client: &Client, css: &str, want: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let seen = text_of(client, css).await;
        if seen == want || Instant::now() >= deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Opens the planner from the first-run screen, and the first recent plan from there.
pub async fn open_first_recent_plan(app: &Client) {
    app.wait().at_most(WAIT).for_element(Locator::Css("#plan")).await.expect("the plan-offline door").click().await.unwrap();
    app.wait().at_most(WAIT).for_element(Locator::Css(".recent-plan")).await.expect("a recent plan").click().await.unwrap();
    app.wait().at_most(WAIT).for_element(Locator::Css("#plan-total")).await.expect("the estimate");
}

/// What `edgecost estimate PLAN --json` prints as the bill's total, formatted as the app shows
/// money.
pub fn cli_total(plan: &Path) -> String {
    let out = Command::new(cli_binary()).arg("estimate").arg(plan).arg("--json").output().expect("the edgecost CLI runs");
    assert!(out.status.success(), "edgecost estimate failed: {}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("estimate --json prints JSON");
    let total: edgecost_pricing::Decimal = json["bill"]["total"].as_str().expect("bill.total is a decimal string").parse().unwrap();
    edgecost_pricing::format::money(total)
}
