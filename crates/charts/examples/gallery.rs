//! Draws every chart in both themes, as SVG and PNG, into a folder:
//! `cargo run -p edgecost-charts --example gallery -- /tmp/charts`.

use std::path::PathBuf;

use anyhow::Context;
use edgecost_charts::{Bucket, Size, Theme, TimeRange, UsageChart, UsagePoint, UsageView, to_png};
use edgecost_pricing::{Decimal, Meter};

/// 2026-11-01T00:00:00Z, the start of the sample billing period.
const PERIOD_START_UNIX_S: i64 = 1_793_491_200;
const DAY_S: i64 = 86_400;

/// Hourly requests with a daily rhythm, from a fixed seed so every run draws the same chart.
fn hourly_requests(hours: usize) -> Vec<UsagePoint> {
    let mut seed: u64 = 0x5eed;
    (0..hours)
        .map(|h| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let noise = (seed >> 33) % 400;
            let hour_of_day = (h % 24) as f64;
            let daily = 1.0 + 0.6 * ((hour_of_day - 15.0) / 24.0 * std::f64::consts::TAU).cos();
            let amount = (1_800.0 * daily) as u64 + noise + (h as u64 / 24) * 12;
            UsagePoint { start_unix_s: PERIOD_START_UNIX_S + h as i64 * 3_600, amount: Decimal::from(amount) }
        })
        .collect()
}

fn main() -> anyhow::Result<()> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| String::from("/tmp/edgecost-charts")));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let now = PERIOD_START_UNIX_S + 23 * DAY_S + 6 * 3_600;
    let period = TimeRange::new(PERIOD_START_UNIX_S, PERIOD_START_UNIX_S + 30 * DAY_S);

    let mut usage = UsageChart {
        meter: Meter::Requests,
        range: period,
        bucket: Bucket::Hour,
        view: UsageView::Cumulative,
        now_unix_s: now,
        points: hourly_requests(23 * 24 + 6),
        included: Some(Decimal::from(2_000_000)),
        projection: Vec::new(),
    };
    usage.projection = usage.linear_projection(period.end_unix_s)?;
    let mut per_bucket = usage.clone();
    per_bucket.view = UsageView::PerBucket;
    let empty = UsageChart { points: Vec::new(), ..usage.clone() };

    let charts: Vec<(&str, Box<dyn Fn(&Theme) -> Result<String, edgecost_charts::ChartError>>)> = vec![
        ("usage-cumulative", Box::new(|t| usage.to_svg(t, Size::DASHBOARD))),
        ("usage-per-hour", Box::new(|t| per_bucket.to_svg(t, Size::DASHBOARD))),
        ("usage-empty", Box::new(|t| empty.to_svg(t, Size::DASHBOARD))),
    ];
    for (name, draw) in &charts {
        for theme in [Theme::light(), Theme::dark()] {
            let mode = format!("{:?}", theme.mode).to_lowercase();
            let svg = draw(&theme)?;
            let png = to_png(&svg, 1.5)?;
            std::fs::write(dir.join(format!("{name}-{mode}.svg")), &svg)?;
            std::fs::write(dir.join(format!("{name}-{mode}.png")), &png)?;
        }
    }
    println!("wrote {} charts to {}", charts.len() * 2, dir.display());
    Ok(())
}
