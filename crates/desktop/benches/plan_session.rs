//! The route editor's work per keystroke on a 10,000-route plan, on the Rust side: one route
//! edited, the live summary and a screenful of rows answered, measured beside the planner's
//! bare incremental edit of the same route in the same run.
//!
//! `cargo bench -p edgecost-desktop --bench plan_session`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use edgecost_desktop::{PlanEdit, PlanSession, RouteFields};
use edgecost_planner::{Estimator, Plan};
use edgecost_pricing::PriceBook;

const ROUTES: usize = 10_000;
/// Rows a screen shows, plus the table's margin.
const ROWS_ON_SCREEN: u32 = 40;

fn big_plan() -> Plan {
    let mut yaml = String::from("tier: production\nregions: {na: 0.5, eu: 0.35, sa: 0.15}\nroutes:\n");
    for i in 0..ROUTES {
        let chain = ["[]", "[auth]", "[auth, compress]", "[auth, cache, compress]"][i % 4];
        let regions = if i % 10 == 0 { ", regions: {apac: 0.3, na: 0.7}" } else { "" };
        yaml.push_str(&format!(
            "  - {{path: /api/v1/resource/{i}, requests_per_month: {}, compute_ms: {}, response_bytes: {}, middleware: {chain}{regions}}}\n",
            1_000 + (i * 7_919) % 900_000,
            0.5 + (i % 200) as f64 / 10.0,
            200 + (i * 104_729) % 400_000,
        ));
    }
    yaml.push_str("middleware:\n  auth: {compute_ms: 0.5}\n  compress: {compute_ms: 1, egress_ratio: 0.5}\n  cache: {compute_ms: 0.2, hit_ratio: 0.8}\n");
    Plan::parse(&yaml, "bench", PriceBook::published()).unwrap()
}

/// Mean time of `f` over `iterations`, in microseconds.
fn mean_us(iterations: u32, mut f: impl FnMut(u32)) -> f64 {
    let start = Instant::now();
    for i in 0..iterations {
        f(i);
    }
    start.elapsed().as_secs_f64() * 1e6 / f64::from(iterations)
}

fn main() {
    let plan = big_plan();
    let index = ROUTES / 2;
    let mut session = PlanSession::new(plan.clone(), None).unwrap();
    let fields = session.rows(index as u32, 1).unwrap().rows[0].fields.clone();
    let with_traffic = |i: u32| RouteFields { requests_per_month: Some((100_000 + i % 2 * 900_000).to_string()), ..fields.clone() };
    let mut estimator = Estimator::new(plan.clone(), PriceBook::published()).unwrap();
    let route_at = |i: u32| {
        let mut r = plan.routes[index].clone();
        r.requests_per_month = Some((100_000 + i % 2 * 900_000).into());
        r
    };

    let mut c =
        Criterion::default().configure_from_args().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_millis(500));
    c.bench_function("editor keystroke: edit + summary + 40 rows (10,000 routes)", |b| {
        let mut i = 0u32;
        b.iter(|| {
            i = i.wrapping_add(1);
            black_box(session.edit(PlanEdit::SetRoute { index: index as u32, route: with_traffic(i) }, 0, ROWS_ON_SCREEN).unwrap())
        })
    });
    c.bench_function("planner: set_route + bill (10,000 routes)", |b| {
        let mut i = 0u32;
        b.iter(|| {
            i = i.wrapping_add(1);
            estimator.set_route(index, route_at(i)).unwrap();
            black_box(estimator.bill().unwrap())
        })
    });
    c.final_summary();

    // The same two side by side, measured back to back in this run.
    let keystroke = mean_us(300, |i| {
        black_box(session.edit(PlanEdit::SetRoute { index: index as u32, route: with_traffic(i) }, 0, ROWS_ON_SCREEN).unwrap());
    });
    let bare = mean_us(300, |i| {
        estimator.set_route(index, route_at(i)).unwrap();
        black_box(estimator.bill().unwrap());
    });
    let details = mean_us(5, |_| {
        black_box(session.details_work(false).unwrap().run().unwrap());
    });
    println!("\nroute editor, Rust side, {ROUTES} routes:");
    println!("  keystroke (edit + summary + {ROWS_ON_SCREEN} rows): {keystroke:>9.1} us");
    println!("  planner set_route + bill (baseline):   {bare:>9.1} us  ({:.1}x)", keystroke / bare);
    println!("  details after a pause (P50/P90, diff, chart): {:>6.1} ms", details / 1000.0);
}
