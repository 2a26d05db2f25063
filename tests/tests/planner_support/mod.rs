//! What the route editor's end-to-end test and latency bench add to the shared harness: plan
//! files the app lists as recent, the CLI's own estimate, and waiting for a total to settle.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use edgecost_e2e::{WAIT, text_of, workspace_root};
use fantoccini::Client;

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

/// Waits until the value `input` shows is `want`, and answers the last value seen either way.
pub async fn value_becomes(input: &fantoccini::elements::Element, want: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let seen = input.prop("value").await.unwrap().unwrap_or_default();
        if seen == want || Instant::now() >= deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
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

/// What `edgecost estimate PLAN --json` prints as the bill's total, formatted as the app shows
/// money.
pub fn cli_total(plan: &Path) -> String {
    let out = Command::new(cli_binary()).arg("estimate").arg(plan).arg("--json").output().expect("the edgecost CLI runs");
    assert!(out.status.success(), "edgecost estimate failed: {}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("estimate --json prints JSON");
    let total: edgecost_pricing::Decimal = json["bill"]["total"].as_str().expect("bill.total is a decimal string").parse().unwrap();
    edgecost_pricing::format::money(total)
}
