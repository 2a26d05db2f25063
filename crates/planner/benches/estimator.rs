//! The live estimator on a 10,000-route plan: one edit, a full re-price, and a bare summation
//! loop over the same routes computing the same monthly totals, measured in the same run.
//!
//! Goals: one edit <= 0.2 ms, full re-price <= 5 ms, full re-price <= 3x the bare loop.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use edgecost_planner::{Estimator, Middleware, Plan, Route};
use edgecost_pricing::{Decimal, PriceBook};

const ROUTES: usize = 10_000;

fn d(units: i64, scale: u32) -> Decimal {
    Decimal::new(units, scale)
}

/// A plan shaped like a large real one: varied traffic, chains of zero to three middleware,
/// one route in ten with its own region split.
fn big_plan() -> Plan {
    let middleware = BTreeMap::from([
        ("auth".to_owned(), Middleware { compute_ms: d(5, 1), egress_ratio: None, hit_ratio: None }),
        ("compress".to_owned(), Middleware { compute_ms: d(1, 0), egress_ratio: Some(d(5, 1)), hit_ratio: None }),
        ("cache".to_owned(), Middleware { compute_ms: d(2, 1), egress_ratio: None, hit_ratio: Some(d(8, 1)) }),
    ]);
    let chains: [&[&str]; 4] = [&[], &["auth"], &["auth", "compress"], &["auth", "cache", "compress"]];
    let routes = (0..ROUTES)
        .map(|i| Route {
            path: format!("/api/v1/resource/{i}"),
            requests_per_month: (i % 3 != 0).then(|| Decimal::from(1_000 + (i as i64 * 7_919) % 900_000)),
            requests_per_second: (i % 3 == 0).then(|| d(1 + (i as i64 % 500), 2)),
            compute_ms: d(5 + (i as i64 % 200), 1),
            response_bytes: Decimal::from(200 + (i as i64 * 104_729) % 400_000),
            middleware: chains[i % 4].iter().map(|s| s.to_string()).collect(),
            regions: (i % 10 == 0).then(|| BTreeMap::from([("apac".to_owned(), d(3, 1)), ("na".to_owned(), d(7, 1))])),
        })
        .collect();
    Plan {
        tier: "scale".into(),
        regions: BTreeMap::from([("eu".to_owned(), d(35, 2)), ("na".to_owned(), d(5, 1)), ("sa".to_owned(), d(15, 2))]),
        routes,
        middleware,
        growth: None,
    }
}

/// The same monthly totals with nothing else: no per-route records, no region totals, no
/// rounding to fixed point, no checks. The floor a full re-price is compared against.
fn bare_totals(plan: &Plan, book: &PriceBook) -> [Decimal; 4] {
    let seconds = Decimal::from(edgecost_planner::SECONDS_PER_MONTH);
    let weight = |shares: &BTreeMap<String, Decimal>| -> Decimal { shares.iter().map(|(r, s)| *s * book.region_weight(r).unwrap()).sum() };
    let plan_weight = weight(&plan.regions);
    let (mut requests, mut compute, mut egress, mut billable) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for r in &plan.routes {
        let req = r.requests_per_month.unwrap_or_else(|| r.requests_per_second.unwrap() * seconds);
        let (mut miss, mut ms, mut ratio) = (Decimal::ONE, Decimal::ZERO, Decimal::ONE);
        for name in &r.middleware {
            let m = &plan.middleware[name];
            if let Some(h) = m.hit_ratio {
                miss *= Decimal::ONE - h;
            }
            ms += m.compute_ms;
            ratio *= m.egress_ratio();
        }
        let bytes = req * r.response_bytes * ratio;
        requests += req;
        compute += (r.compute_ms * miss + ms) * req * Decimal::new(1, 3);
        egress += bytes;
        billable += bytes * r.regions.as_ref().map_or(plan_weight, weight);
    }
    [requests, compute, egress, billable]
}

/// The median of `runs` timings of `f`, each the mean over `inner` calls.
fn median(runs: usize, inner: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..inner {
                f();
            }
            start.elapsed() / inner as u32
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn edited(plan: &Plan, i: usize, step: u64) -> Route {
    let mut r = plan.routes[i].clone();
    r.requests_per_month = Some(Decimal::from(10_000 + step % 1_000));
    r.requests_per_second = None;
    r
}

fn benches(c: &mut Criterion, plan: &Plan, book: &PriceBook) {
    let mut group = c.benchmark_group("estimator_10k_routes");
    let mut est = Estimator::new(plan.clone(), book).unwrap();
    let mut step = 0u64;
    group.bench_function("one_edit_and_bill", |b| {
        b.iter(|| {
            step += 1;
            let i = (step as usize * 37) % ROUTES;
            est.set_route(i, edited(plan, i, step)).unwrap();
            black_box(est.bill().unwrap());
        })
    });
    let mut full = Estimator::new(plan.clone(), book).unwrap();
    group.bench_function("full_reprice_and_bill", |b| {
        b.iter(|| {
            full.reprice_all().unwrap();
            black_box(full.bill().unwrap());
        })
    });
    group.bench_function("bare_summation_loop", |b| b.iter(|| black_box(bare_totals(black_box(plan), book))));
    group.finish();
}

fn main() {
    let book = PriceBook::published();
    let plan = big_plan();
    let mut criterion = Criterion::default().configure_from_args();
    benches(&mut criterion, &plan, book);
    criterion.final_summary();

    // The figures the goals are stated in, measured again here so the ratio compares runs
    // taken moments apart on the same machine.
    let mut est = Estimator::new(plan.clone(), book).unwrap();
    let mut step = 0u64;
    let one_edit = median(31, 200, || {
        step += 1;
        let i = (step as usize * 37) % ROUTES;
        est.set_route(i, edited(&plan, i, step)).unwrap();
        black_box(est.bill().unwrap());
    });
    // Full re-price and the bare loop alternate within each run, so both see the same load
    // on a shared machine; the ratio is the median of the per-run ratios.
    let mut full = Estimator::new(plan.clone(), book).unwrap();
    let mut pairs: Vec<(Duration, Duration)> = (0..31)
        .map(|_| {
            let f = median(1, 3, || {
                full.reprice_all().unwrap();
                black_box(full.bill().unwrap());
            });
            let b = median(1, 3, || {
                black_box(bare_totals(black_box(&plan), book));
            });
            (f, b)
        })
        .collect();
    let mut ratios: Vec<f64> = pairs.iter().map(|(f, b)| f.as_secs_f64() / b.as_secs_f64()).collect();
    ratios.sort_by(f64::total_cmp);
    let ratio = ratios[ratios.len() / 2];
    pairs.sort_by_key(|(f, _)| *f);
    let full_reprice = pairs[pairs.len() / 2].0;
    pairs.sort_by_key(|(_, b)| *b);
    let bare = pairs[pairs.len() / 2].1;
    // The whole report the editor's estimate panel shows (attribution, every tier, quota days,
    // credits) and the P50/P90 simulation, which the panel can refresh less often.
    let period = edgecost_planner::EstimateOptions {
        uncertainty: None,
        ..edgecost_planner::EstimateOptions::starting(chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap())
    };
    let report = median(11, 3, || {
        black_box(full.estimate(&period).unwrap());
    });
    let simulated = edgecost_planner::EstimateOptions { uncertainty: Some(edgecost_planner::Uncertainty::default()), ..period.clone() };
    let simulation = median(3, 1, || {
        black_box(full.estimate(&simulated).unwrap());
    });
    // The estimator and the bare loop agree on the totals they share.
    let totals = bare_totals(&plan, book);
    assert_eq!(full.totals().requests, totals[0]);
    assert_eq!(full.totals().egress_bytes, totals[2]);

    let ms = |t: Duration| t.as_secs_f64() * 1e3;
    let verdict = |ok: bool| if ok { "ok" } else { "MISSED" };
    println!("\nestimator, {ROUTES} routes (median of 31 runs)");
    println!("  one edit + bill       {:>9.4} ms   goal <= 0.2 ms  {}", ms(one_edit), verdict(ms(one_edit) <= 0.2));
    println!("  full re-price + bill  {:>9.4} ms   goal <= 5 ms    {}", ms(full_reprice), verdict(ms(full_reprice) <= 5.0));
    println!("  bare summation loop   {:>9.4} ms   (baseline, same routes, same totals)", ms(bare));
    println!("  full / bare           {:>9.2} x    goal <= 3x      {}  (median of per-run ratios)", ratio, verdict(ratio <= 3.0));
    println!("  whole estimate report {:>9.4} ms   (attribution, every tier, quota days, credits)", ms(report));
    println!("  report + P50/P90      {:>9.4} ms   (200 samples)", ms(simulation));
}
