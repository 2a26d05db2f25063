//! Draws every chart in both themes, as SVG and PNG, into a folder:
//! `cargo run -p edgecost-charts --example gallery -- /tmp/charts`.

use std::path::PathBuf;

use anyhow::Context;
use edgecost_charts::{
    Bucket, MeterProjection, PeriodCost, ProjectedTotal, QuotaProjectionChart, RegionEgressChart, RegionSeries, RouteCost, RouteCostChart,
    Size, Theme, TimeRange, UsageChart, UsagePoint, UsageView, to_png,
};
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

/// Draws one chart in a theme.
type Draw<'a> = Box<dyn Fn(&Theme) -> Result<String, edgecost_charts::ChartError> + 'a>;

/// Daily egress of one region in GB: a base level, a weekly rhythm and slow growth.
fn daily_egress(base_gb: u64, days: usize) -> Vec<UsagePoint> {
    (0..days)
        .map(|d| {
            let weekend = if d % 7 >= 5 { 0.6 } else { 1.0 };
            let gb = (base_gb as f64 * weekend * (1.0 + d as f64 / 60.0) * 10.0).round() / 10.0;
            UsagePoint { start_unix_s: PERIOD_START_UNIX_S + d as i64 * DAY_S, amount: Decimal::try_from(gb).unwrap_or_default() }
        })
        .collect()
}

fn cents(text: &str) -> Decimal {
    text.parse().expect("a decimal amount")
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
        projection_p90: Vec::new(),
    };
    // A projection to period end as the billing engine sends it.
    usage.projection = vec![ProjectedTotal { at_unix_s: period.end_unix_s, total: Decimal::from(2_580_000) }];
    let mut per_bucket = usage.clone();
    per_bucket.view = UsageView::PerBucket;
    let ninety_days = TimeRange::last_days(now, 90);
    let long_range = UsageChart {
        meter: Meter::Compute,
        range: ninety_days,
        view: UsageView::PerBucket,
        points: hourly_requests(90 * 24)
            .into_iter()
            .map(|p| UsagePoint { start_unix_s: p.start_unix_s - PERIOD_START_UNIX_S + ninety_days.start_unix_s, ..p })
            .collect(),
        included: None,
        projection: Vec::new(),
        projection_p90: Vec::new(),
        ..usage.clone()
    };
    let empty = UsageChart { points: Vec::new(), ..usage.clone() };

    let egress = RegionEgressChart {
        range: period,
        bucket: Bucket::Day,
        now_unix_s: now,
        regions: vec![
            RegionSeries { region: String::from("us-east"), points: daily_egress(9, 24) },
            RegionSeries { region: String::from("eu-west"), points: daily_egress(6, 24) },
            RegionSeries { region: String::from("ap-southeast"), points: daily_egress(3, 24) },
            RegionSeries { region: String::from("sa-east"), points: daily_egress(1, 24) },
        ],
    };
    let routes = RouteCostChart {
        period_label: String::from("November 2026"),
        currency: String::from("USD"),
        routes: vec![
            RouteCost { route: String::from("/v1/search"), cost: cents("12.40"), previous_cost: Some(cents("9.20")) },
            RouteCost { route: String::from("/v1/images/resize"), cost: cents("8.75"), previous_cost: Some(cents("10.10")) },
            RouteCost { route: String::from("/v1/checkout"), cost: cents("4.05"), previous_cost: Some(cents("4.05")) },
            RouteCost { route: String::from("/v2/recommendations/personalized"), cost: cents("2.30"), previous_cost: None },
            RouteCost { route: String::from("/health"), cost: cents("0.15"), previous_cost: Some(cents("0.12")) },
        ],
        period_cost: Some(PeriodCost {
            label: String::from("November 2026"),
            base_fee: cents("19.00"),
            overage: cents("27.65"),
            cost: cents("46.65"),
        }),
        previous_period_cost: Some(PeriodCost {
            label: String::from("October 2026"),
            base_fee: cents("19.00"),
            overage: cents("23.47"),
            cost: cents("42.47"),
        }),
    };
    let quotas = QuotaProjectionChart {
        tier_label: String::from("Production"),
        period_days: 30,
        meters: vec![
            MeterProjection::linear(Meter::Requests, Decimal::from(260_000), Some(Decimal::from(200_000)), 30)?,
            MeterProjection::linear(Meter::Egress, Decimal::from(42), Some(Decimal::from(50)), 30)?,
            MeterProjection::linear(Meter::Compute, Decimal::from(5_000), None, 30)?,
        ],
    };

    let charts: Vec<(&str, Draw<'_>)> = vec![
        ("usage-cumulative", Box::new(|t| usage.to_svg(t, Size::DASHBOARD))),
        ("usage-per-hour", Box::new(|t| per_bucket.to_svg(t, Size::DASHBOARD))),
        ("usage-90-days-small", Box::new(|t| long_range.to_svg(t, Size::SMALL))),
        ("usage-empty", Box::new(|t| empty.to_svg(t, Size::DASHBOARD))),
        ("egress-by-region", Box::new(|t| egress.to_svg(t, Size::DASHBOARD))),
        ("cost-by-route", Box::new(|t| routes.to_svg(t, Size::DASHBOARD))),
        ("quota-projection", Box::new(|t| quotas.to_svg(t, Size::SMALL))),
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
