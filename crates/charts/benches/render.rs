//! Render time of the dashboard's usage charts: 90 days of hourly points (2,160 per meter)
//! for the three meters, against a baseline that only formats the same points into a bare
//! SVG polyline. Goal: a usage chart in 5 ms or less.

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use edgecost_charts::{Bucket, Size, Theme, TimeRange, UsageChart, UsagePoint, UsageView};
use edgecost_pricing::{Decimal, Meter};
use rust_decimal::prelude::ToPrimitive;

const END_UNIX_S: i64 = 1_793_491_200 + 90 * 86_400;
const HOURS: usize = 90 * 24;

fn chart(meter: Meter, scale: u64) -> UsageChart {
    let range = TimeRange::last_days(END_UNIX_S, 90);
    let points = (0..HOURS)
        .map(|h| UsagePoint {
            start_unix_s: range.start_unix_s + h as i64 * 3_600,
            amount: Decimal::from((h as u64 % 24 + 5) * scale + (h as u64 * 7919) % 97),
        })
        .collect();
    UsageChart {
        meter,
        range,
        bucket: Bucket::Hour,
        view: UsageView::Cumulative,
        now_unix_s: END_UNIX_S,
        points,
        included: Some(Decimal::from(2_000_000)),
        projection: Vec::new(),
        projection_p90: Vec::new(),
    }
}

/// The floor any SVG line chart pays: map each point to pixels and format it.
fn bare_polyline(chart: &UsageChart, size: Size) -> String {
    let mut total = 0f64;
    let max = chart.points.iter().map(|p| p.amount).sum::<Decimal>().to_f64().unwrap_or(1.0);
    let mut svg = String::with_capacity(64 * 1024);
    svg.push_str("<svg xmlns=\"http://www.w3.org/2000/svg\"><polyline fill=\"none\" points=\"");
    let span = (chart.range.end_unix_s - chart.range.start_unix_s) as f64;
    for p in &chart.points {
        total += p.amount.to_f64().unwrap_or(0.0);
        let x = (p.start_unix_s - chart.range.start_unix_s) as f64 / span * f64::from(size.width_px);
        let y = f64::from(size.height_px) * (1.0 - total / max);
        let _ = write!(svg, "{},{} ", x.round() as i32, y.round() as i32);
    }
    svg.push_str("\"/></svg>");
    svg
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

/// Prints the figures the project tracks, whatever criterion's own report says.
fn summary(charts: &[UsageChart], theme: &Theme) {
    let size = Size::DASHBOARD;
    let runs = 50;
    let time = |f: &dyn Fn()| {
        median(
            (0..runs)
                .map(|_| {
                    let started = Instant::now();
                    f();
                    started.elapsed()
                })
                .collect(),
        )
    };
    let baseline = time(&|| {
        for c in charts {
            black_box(bare_polyline(c, size));
        }
    });
    let full = time(&|| {
        for c in charts {
            black_box(c.to_svg(theme, size).expect("chart renders"));
        }
    });
    let per_chart = full / charts.len() as u32;
    let svg = charts[0].to_svg(theme, size).expect("chart renders");
    let png = time(&|| {
        black_box(edgecost_charts::to_png(&svg, 2.0).expect("PNG renders"));
    });
    println!(
        "usage charts, {} points x {} series: {:.2} ms for all, {:.2} ms per chart (goal <= 5 ms per chart); \
         baseline bare polyline: {:.2} ms for all ({:.1}x)",
        HOURS,
        charts.len(),
        full.as_secs_f64() * 1e3,
        per_chart.as_secs_f64() * 1e3,
        baseline.as_secs_f64() * 1e3,
        full.as_secs_f64() / baseline.as_secs_f64().max(1e-9),
    );
    println!("PNG export of one usage chart at 2x ({} x {} px): {:.1} ms", size.width_px * 2, size.height_px * 2, png.as_secs_f64() * 1e3);
}

fn render(c: &mut Criterion) {
    let charts = [chart(Meter::Requests, 900), chart(Meter::Egress, 1), chart(Meter::Compute, 40)];
    let theme = Theme::dark();
    summary(&charts, &theme);
    let mut group = c.benchmark_group("usage_chart_90_days_hourly_3_series");
    group.bench_function("bare_polyline_baseline", |b| {
        b.iter(|| {
            for chart in &charts {
                black_box(bare_polyline(chart, Size::DASHBOARD));
            }
        })
    });
    group.bench_function("to_svg", |b| {
        b.iter(|| {
            for chart in &charts {
                black_box(chart.to_svg(&theme, Size::DASHBOARD).expect("chart renders"));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
