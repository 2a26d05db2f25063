//! Rates one million usage snapshots and prints the rate per second, beside a baseline that
//! only sums the same snapshots' counters, measured in the same run: once into itemized bills
//! (a bill read), once into the bills' money figures alone (projection samples, a what-if).

use std::hint::black_box;
use std::time::{Duration, Instant};

use edgecost_pricing::{Decimal, PriceBook, RateOptions, Usage};

const SNAPSHOTS: usize = 1_000_000;
const RUNS: usize = 3;

/// Deterministic, varied usage: a simple LCG so the run is the same every time.
fn snapshots() -> Vec<Usage> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        state >> 33
    };
    (0..SNAPSHOTS).map(|_| Usage::from_counters(next() % 5_000_000, next() % 400_000_000_000, next() % 5_000_000)).collect()
}

fn best_of(mut f: impl FnMut() -> Decimal) -> (Duration, Decimal) {
    let mut best = Duration::MAX;
    let mut out = Decimal::ZERO;
    for _ in 0..RUNS {
        let start = Instant::now();
        out = black_box(f());
        best = best.min(start.elapsed());
    }
    (best, out)
}

fn main() {
    let book = PriceBook::published();
    let usage = snapshots();
    let tiers = ["sandbox", "production", "scale"];
    let options = RateOptions { credit_balance: Decimal::new(2500, 2), ..RateOptions::default() };

    let (baseline, _) = best_of(|| usage.iter().fold(Decimal::ZERO, |acc, u| acc + u.requests + u.egress_bytes + u.compute_seconds));
    let (rating, total) =
        best_of(|| usage.iter().enumerate().map(|(i, u)| book.rate(tiers[i % tiers.len()], black_box(u), &options).unwrap().total).sum());
    let (totals, totals_sum) = best_of(|| {
        usage.iter().enumerate().map(|(i, u)| book.rate_totals(tiers[i % tiers.len()], black_box(u), &options).unwrap().total).sum()
    });
    assert_eq!(total, totals_sum, "the money figures alone add up to the itemized bills' total");
    let per_second = |d: Duration| SNAPSHOTS as f64 / d.as_secs_f64();
    println!("rating: {SNAPSHOTS} usage snapshots, best of {RUNS} runs");
    println!(
        "  rate into itemized bills  {:>10.0} snapshots/s  ({:.1} ms, total billed {total})",
        per_second(rating),
        rating.as_secs_f64() * 1e3
    );
    println!("  rate into money figures   {:>10.0} snapshots/s  ({:.1} ms)", per_second(totals), totals.as_secs_f64() * 1e3);
    println!("  baseline: sum counters    {:>10.0} snapshots/s  ({:.1} ms)", per_second(baseline), baseline.as_secs_f64() * 1e3);
    println!(
        "  itemized bills cost {:.1}x the bare summation, money figures alone {:.1}x (goal <= 20x)",
        rating.as_secs_f64() / baseline.as_secs_f64(),
        totals.as_secs_f64() / baseline.as_secs_f64()
    );
}
