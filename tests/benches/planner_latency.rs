//! Keystroke to updated total in the route editor, measured in the real app through WebDriver.
//!
//! A real keystroke is sent to a traffic cell; a listener added to the page notes the time of
//! the key and a mutation observer the time the total's text changes, both on the page's own
//! clock, so WebDriver's round trips are not counted. The same run measures a 10-route plan as
//! the baseline, so the figure for 10,000 routes reads against it (goal: p95 <= 50 ms).
//!
//! `cargo build -p edgecost-app && xvfb-run -a dbus-run-session -- cargo bench -p edgecost-e2e --bench planner_latency`

#[path = "../tests/planner_support/mod.rs"]
mod planner_support;

use std::path::Path;
use std::time::{Duration, Instant};

use edgecost_e2e::{Driver, Home, WAIT, open_first_recent_plan, recent_plans, require_session};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};

/// Keystrokes measured per plan.
const KEYSTROKES: usize = 120;
/// Keystrokes sent first and not counted, while the webview warms up.
const WARMUP: usize = 10;

/// A plan of `routes` routes, each over the included quotas together, so each keystroke in a
/// traffic cell moves the total.
fn plan_yaml(routes: usize) -> String {
    let mut yaml = String::from("tier: production\nregions: {na: 0.6, eu: 0.4}\nroutes:\n");
    for i in 0..routes {
        yaml.push_str(&format!(
            "  - {{path: /api/r{i}, requests_per_month: {}, compute_ms: {}, response_bytes: {}, middleware: [auth]}}\n",
            100_000 + i * 7,
            1 + i % 9,
            1000 + (i % 50) * 100
        ));
    }
    yaml.push_str("middleware:\n  auth: {compute_ms: 0.5}\n");
    yaml
}

const OBSERVE: &str = r#"
const total = document.querySelector('#plan-total');
window.__latency = { samples: [], keyAt: null };
document.addEventListener('keydown', () => { window.__latency.keyAt = performance.now(); }, true);
new MutationObserver(() => {
  const l = window.__latency;
  if (l.keyAt !== null) { l.samples.push(performance.now() - l.keyAt); l.keyAt = null; }
}).observe(total, { childList: true, characterData: true, subtree: true });
return true;
"#;

async fn samples_seen(app: &Client) -> usize {
    let v = app.execute("return window.__latency.samples.length;", vec![]).await.unwrap();
    v.as_u64().unwrap() as usize
}

/// Sends keystrokes to the first route's traffic cell, each after the last one's update, and
/// answers the latencies in milliseconds.
async fn measure(app: &Client) -> Vec<f64> {
    app.execute(OBSERVE, vec![]).await.unwrap();
    let cell = app.find(Locator::Css(r#".route-row[data-index="0"] input[data-field="traffic"]"#)).await.unwrap();
    cell.click().await.unwrap();
    for i in 0..WARMUP + KEYSTROKES {
        let before = samples_seen(app).await;
        // Append a digit, then take it away: the traffic moves by a factor of ten and back.
        let key = if i % 2 == 0 { "7".to_owned() } else { Key::Backspace.to_string() };
        cell.send_keys(&key).await.unwrap();
        let deadline = Instant::now() + WAIT;
        while samples_seen(app).await == before {
            assert!(Instant::now() < deadline, "the total did not change after keystroke {i}");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    let v = app.execute("return window.__latency.samples;", vec![]).await.unwrap();
    let all: Vec<f64> = v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    all[WARMUP..].to_vec()
}

fn percentile(sorted: &[f64], percent: usize) -> f64 {
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

async fn run(driver: &Driver, home: &Home, plan: &Path) -> Vec<f64> {
    recent_plans(home, &[plan]);
    let app = driver.launch().await;
    open_first_recent_plan(&app).await;
    let mut samples = measure(&app).await;
    app.close().await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    samples.sort_by(|a, b| a.total_cmp(b));
    samples
}

fn main() {
    require_session();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let plans = tempfile::tempdir().unwrap();
        let small = plans.path().join("ten-routes.yaml");
        let big = plans.path().join("ten-thousand-routes.yaml");
        std::fs::write(&small, plan_yaml(10)).unwrap();
        std::fs::write(&big, plan_yaml(10_000)).unwrap();
        let home = Home::new();
        let driver = Driver::start(&home);
        let baseline = run(&driver, &home, &small).await;
        let large = run(&driver, &home, &big).await;
        println!("route editor: keystroke to updated total, {KEYSTROKES} keystrokes each, measured in the webview");
        for (name, s) in [("10 routes (baseline)", &baseline), ("10,000 routes", &large)] {
            println!("  {name:<22} p50 {:>6.1} ms   p95 {:>6.1} ms   max {:>6.1} ms", percentile(s, 50), percentile(s, 95), s[s.len() - 1]);
        }
        let p95 = percentile(&large, 95);
        println!(
            "  10,000 routes p95 / baseline p95 = {:.2}x; goal p95 <= 50 ms: {}",
            p95 / percentile(&baseline, 95),
            if p95 <= 50.0 { "met" } else { "NOT met" }
        );
    });
}
