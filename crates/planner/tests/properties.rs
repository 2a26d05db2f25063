//! Properties of the contract and of the incremental estimator, over generated plans.

use std::collections::BTreeMap;

use edgecost_planner::{Estimator, Middleware, Plan, PlanError, Route, allocate_cents, attribute};
use edgecost_pricing::{Decimal, PriceBook};
use proptest::prelude::*;

fn dec(units: u64, scale: u32) -> Decimal {
    Decimal::new(units as i64, scale)
}

fn catalog(auth_ms: Decimal, compress_ratio: Decimal, hit: Decimal) -> BTreeMap<String, Middleware> {
    let mut m = BTreeMap::new();
    m.insert("auth".into(), Middleware { compute_ms: auth_ms, egress_ratio: None, hit_ratio: None });
    m.insert("compress".into(), Middleware { compute_ms: dec(1, 0), egress_ratio: Some(compress_ratio), hit_ratio: None });
    m.insert("cache".into(), Middleware { compute_ms: dec(2, 1), egress_ratio: None, hit_ratio: Some(hit) });
    m
}

fn route_strategy() -> impl Strategy<Value = Route> {
    (
        0u64..5_000_000,
        prop::option::of(0u64..20_000),
        0u64..100_000,
        0u64..2_000_000,
        prop::sample::subsequence(vec!["auth", "compress", "cache"], 0..=3),
        prop::option::of(0u64..=100),
    )
        .prop_map(|(rpm, rps_milli, compute_micro, bytes, mw, na_percent)| Route {
            path: String::new(),
            requests_per_month: rps_milli.is_none().then(|| dec(rpm, 0)),
            requests_per_second: rps_milli.map(|r| dec(r, 3)),
            compute_ms: dec(compute_micro, 3),
            response_bytes: dec(bytes, 0),
            middleware: mw.into_iter().map(String::from).collect(),
            regions: na_percent.map(|p| BTreeMap::from([("na".to_owned(), dec(p, 2)), ("apac".to_owned(), dec(100 - p, 2))])),
        })
}

fn plan_strategy() -> impl Strategy<Value = Plan> {
    (prop::collection::vec(route_strategy(), 0..40), 0u64..=1000, 0u64..=100, 0u64..=100).prop_map(
        |(mut routes, eu_permille, ratio_percent, hit_percent)| {
            for (i, r) in routes.iter_mut().enumerate() {
                r.path = format!("/r/{i}");
            }
            Plan {
                tier: "production".into(),
                regions: BTreeMap::from([("eu".to_owned(), dec(eu_permille, 3)), ("sa".to_owned(), dec(1000 - eu_permille, 3))]),
                routes,
                middleware: catalog(dec(5, 1), dec(ratio_percent, 2), dec(hit_percent, 2)),
                growth: None,
            }
        },
    )
}

fn book() -> &'static PriceBook {
    PriceBook::published()
}

#[derive(Clone, Debug)]
enum Edit {
    Traffic(usize, u64),
    Compute(usize, u64),
    Size(usize, u64),
    Chain(usize, Vec<&'static str>),
    Regions(usize, Option<u64>),
    Catalog(u64),
    PlanRegions(u64),
    Add(Route),
    Remove(usize),
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 0u64..10_000_000).prop_map(|(i, v)| Edit::Traffic(i, v)),
        (any::<usize>(), 0u64..50_000).prop_map(|(i, v)| Edit::Compute(i, v)),
        (any::<usize>(), 0u64..5_000_000).prop_map(|(i, v)| Edit::Size(i, v)),
        (any::<usize>(), prop::sample::subsequence(vec!["auth", "compress", "cache"], 0..=3)).prop_map(|(i, c)| Edit::Chain(i, c)),
        (any::<usize>(), prop::option::of(0u64..=100)).prop_map(|(i, p)| Edit::Regions(i, p)),
        (0u64..=100).prop_map(Edit::Catalog),
        (0u64..=1000).prop_map(Edit::PlanRegions),
        route_strategy().prop_map(Edit::Add),
        any::<usize>().prop_map(Edit::Remove),
    ]
}

fn apply(est: &mut Estimator, edit: Edit, counter: &mut usize) -> Result<(), PlanError> {
    let n = est.plan().routes.len();
    let pick = |i: usize| if n == 0 { None } else { Some(i % n) };
    let mut with_route = |i: usize, f: &dyn Fn(&mut Route)| -> Result<(), PlanError> {
        let Some(i) = pick(i) else { return Ok(()) };
        let mut r = est.plan().routes[i].clone();
        f(&mut r);
        est.set_route(i, r)
    };
    match edit {
        Edit::Traffic(i, v) => with_route(i, &|r| {
            r.requests_per_month = Some(dec(v, 0));
            r.requests_per_second = None;
        }),
        Edit::Compute(i, v) => with_route(i, &|r| r.compute_ms = dec(v, 2)),
        Edit::Size(i, v) => with_route(i, &|r| r.response_bytes = dec(v, 0)),
        Edit::Chain(i, c) => with_route(i, &|r| r.middleware = c.iter().map(|s| s.to_string()).collect()),
        Edit::Regions(i, p) => {
            with_route(i, &|r| r.regions = p.map(|p| BTreeMap::from([("me".to_owned(), dec(p, 2)), ("na".to_owned(), dec(100 - p, 2))])))
        }
        Edit::Catalog(h) => est
            .set_middleware("cache", Middleware { compute_ms: dec(h, 1), egress_ratio: Some(dec(h, 2)), hit_ratio: Some(dec(h, 2)) })
            .map(|_| ()),
        Edit::PlanRegions(p) => {
            est.set_regions(BTreeMap::from([("af".to_owned(), dec(p, 3)), ("eu".to_owned(), dec(1000 - p, 3))])).map(|_| ())
        }
        Edit::Add(mut r) => {
            *counter += 1;
            r.path = format!("/added/{counter}");
            est.add_route(r).map(|_| ())
        }
        Edit::Remove(i) => match pick(i) {
            Some(i) => est.remove_route(i).map(|_| ()),
            None => Ok(()),
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn incremental_edits_equal_a_full_recompute(plan in plan_strategy(), edits in prop::collection::vec(edit_strategy(), 1..30)) {
        let mut est = Estimator::new(plan, book()).unwrap();
        let mut counter = 0;
        for edit in edits {
            apply(&mut est, edit, &mut counter).unwrap();
            let fresh = Estimator::new(est.plan().clone(), book()).unwrap();
            prop_assert_eq!(est.totals(), fresh.totals());
            prop_assert_eq!(est.route_usages(), fresh.route_usages());
            prop_assert_eq!(est.region_totals().unwrap(), fresh.region_totals().unwrap());
            prop_assert_eq!(est.bill().unwrap(), fresh.bill().unwrap());
        }
    }

    #[test]
    fn doubling_traffic_doubles_usage(plan in plan_strategy()) {
        let once = Estimator::new(plan.clone(), book()).unwrap();
        let mut doubled = plan;
        for r in &mut doubled.routes {
            r.requests_per_month = r.requests_per_month.map(|v| v * Decimal::TWO);
            r.requests_per_second = r.requests_per_second.map(|v| v * Decimal::TWO);
        }
        let twice = Estimator::new(doubled, book()).unwrap();
        let (a, b) = (once.totals(), twice.totals());
        prop_assert_eq!(b.requests, a.requests * Decimal::TWO);
        prop_assert_eq!(b.egress_bytes, a.egress_bytes * Decimal::TWO);
        // Each route's parts are rounded once to 6 places, so doubling is exact up to one unit
        // in the sixth place per route and region: at most 40 routes x 2 regions here.
        let slack = Decimal::new(80, 6);
        prop_assert!((b.compute_seconds - a.compute_seconds * Decimal::TWO).abs() <= slack);
        prop_assert!((b.billable_egress_bytes - a.billable_egress_bytes * Decimal::TWO).abs() <= slack);
    }

    #[test]
    fn a_cache_never_raises_compute(plan in plan_strategy()) {
        let without = Estimator::new(plan.clone(), book()).unwrap();
        let mut cached = plan;
        // A cache with no compute of its own: only its hit ratio can change anything.
        cached.middleware.insert("edge_cache".into(), Middleware { compute_ms: Decimal::ZERO, egress_ratio: None, hit_ratio: Some(dec(5, 1)) });
        for r in &mut cached.routes {
            r.middleware.push("edge_cache".into());
        }
        let with = Estimator::new(cached, book()).unwrap();
        for (a, b) in without.route_usages().iter().zip(with.route_usages()) {
            prop_assert!(b.total.compute_seconds <= a.total.compute_seconds);
        }
    }

    #[test]
    fn compress_never_raises_egress(plan in plan_strategy()) {
        let without = Estimator::new(plan.clone(), book()).unwrap();
        let mut compressed = plan;
        for r in &mut compressed.routes {
            if !r.middleware.iter().any(|m| m == "compress") {
                r.middleware.push("compress".into());
            }
        }
        let with = Estimator::new(compressed, book()).unwrap();
        for (a, b) in without.route_usages().iter().zip(with.route_usages()) {
            prop_assert!(b.total.egress_bytes <= a.total.egress_bytes);
            prop_assert!(b.total.billable_egress_bytes <= a.total.billable_egress_bytes);
        }
    }

    #[test]
    fn region_shares_must_sum_to_one(na in 0u64..=1000, eu in 0u64..=1000) {
        let mut plan = Plan {
            tier: "production".into(),
            regions: BTreeMap::from([("na".to_owned(), dec(na, 3)), ("eu".to_owned(), dec(eu, 3))]),
            routes: vec![],
            middleware: BTreeMap::new(),
            growth: None,
        };
        let result = plan.check(book());
        if na + eu == 1000 {
            prop_assert!(result.is_ok());
        } else {
            prop_assert_eq!(result.unwrap_err().code(), "region_shares_not_one");
        }
        // The same rule holds for a route's own split and for edits.
        plan.regions = BTreeMap::from([("na".to_owned(), Decimal::ONE)]);
        let mut est = Estimator::new(plan, book()).unwrap();
        let route = Route {
            path: "/x".into(), requests_per_month: Some(dec(1, 0)), requests_per_second: None,
            compute_ms: Decimal::ZERO, response_bytes: Decimal::ZERO, middleware: vec![],
            regions: Some(BTreeMap::from([("na".to_owned(), dec(na, 3)), ("eu".to_owned(), dec(eu, 3))])),
        };
        let added = est.add_route(route);
        prop_assert_eq!(added.is_ok(), na + eu == 1000);
        let shares = BTreeMap::from([("na".to_owned(), dec(na, 3)), ("eu".to_owned(), dec(eu, 3))]);
        prop_assert_eq!(est.set_regions(shares).is_ok(), na + eu == 1000);
    }

    #[test]
    fn attribution_adds_up_to_every_line_to_the_cent(plan in plan_strategy()) {
        let est = Estimator::new(plan, book()).unwrap();
        let bill = est.bill().unwrap();
        let parts: Vec<_> = est.route_usages().iter().map(|r| &r.total).collect();
        let rows = attribute(&bill, &parts).unwrap();
        for (column, line) in bill.lines.iter().enumerate() {
            let sum: Decimal = rows.iter().map(|r| r[column]).sum();
            if parts.is_empty() {
                prop_assert!(sum.is_zero());
            } else {
                prop_assert_eq!(sum, line.amount);
            }
        }
    }

    #[test]
    fn allocation_is_exact_and_fair(cents in 0i64..10_000_000, weights in prop::collection::vec(0u64..1_000_000_000, 1..50)) {
        let amount = Decimal::new(cents, 2);
        let w: Vec<Decimal> = weights.iter().map(|w| dec(*w, 3)).collect();
        let shares = allocate_cents(amount, &w).unwrap();
        let total: Decimal = shares.iter().sum();
        if weights.iter().all(|w| *w == 0) {
            prop_assert!(total.is_zero());
        } else {
            prop_assert_eq!(total, amount);
            // No share is more than a cent off its exact proportion.
            let wsum: Decimal = w.iter().sum();
            for (s, w) in shares.iter().zip(&w) {
                let exact = amount * *w / wsum;
                prop_assert!((*s - exact).abs() < Decimal::new(1, 2));
            }
        }
    }
}

#[test]
fn editing_a_catalog_entry_reprices_only_its_users() {
    let text = "tier: production\nregions: {na: 1}\nroutes:\n  - {path: /a, requests_per_month: 1000, compute_ms: 10, response_bytes: 10, middleware: [cache]}\n  - {path: /b, requests_per_month: 1000, compute_ms: 10, response_bytes: 10}\n  - {path: /c, requests_per_month: 1000, compute_ms: 10, response_bytes: 10, middleware: [auth, cache]}\nmiddleware:\n  cache: {hit_ratio: 0.5}\n  auth: {compute_ms: 1}\n";
    let plan = Plan::parse(text, "p.yaml", book()).unwrap();
    let mut est = Estimator::new(plan, book()).unwrap();
    // /a: 1000 x 10 x 0.5 ms = 5 s; /b: 10 s; /c: 1000 x (5 + 1) ms = 6 s.
    assert_eq!(est.totals().compute_seconds, Decimal::from(21));
    let touched =
        est.set_middleware("cache", Middleware { compute_ms: Decimal::ZERO, egress_ratio: None, hit_ratio: Some(dec(9, 1)) }).unwrap();
    assert_eq!(touched, vec![0, 2]);
    // /a: 1 s, /b: 10 s, /c: 1 + 1 = 2 s.
    assert_eq!(est.totals().compute_seconds, Decimal::from(13));
    assert_eq!(est.remove_middleware("cache").unwrap_err().code(), "middleware_in_use");
    let bad = Middleware { compute_ms: Decimal::ZERO, egress_ratio: None, hit_ratio: Some(dec(15, 1)) };
    assert_eq!(est.set_middleware("cache", bad).unwrap_err().code(), "value_out_of_range");
    assert_eq!(est.totals().compute_seconds, Decimal::from(13), "a refused edit changes nothing");
}

#[test]
fn edits_that_break_a_rule_are_refused_and_change_nothing() {
    let plan = Plan::parse(
        "tier: production\nregions: {na: 1}\nroutes:\n  - {path: /a, requests_per_month: 1000}\n  - {path: /b, requests_per_month: 5}\n",
        "p.yaml",
        book(),
    )
    .unwrap();
    let mut est = Estimator::new(plan, book()).unwrap();
    let mut dup = est.plan().routes[1].clone();
    dup.path = "/a".into();
    assert_eq!(est.set_route(1, dup).unwrap_err().code(), "duplicate_route");
    let mut unknown = est.plan().routes[0].clone();
    unknown.middleware = vec!["waf".into()];
    assert_eq!(est.set_route(0, unknown).unwrap_err().code(), "unknown_middleware");
    let mut both = est.plan().routes[0].clone();
    both.requests_per_second = Some(Decimal::ONE);
    assert_eq!(est.set_route(0, both).unwrap_err().code(), "route_traffic_ambiguous");
    assert_eq!(est.set_tier("gold").unwrap_err().code(), "unknown_tier");
    assert_eq!(est.remove_route(9).unwrap_err().code(), "not_found");
    assert_eq!(est.totals().requests, Decimal::from(1005));
    est.move_route(1, 0).unwrap();
    assert_eq!(est.plan().routes[0].path, "/b");
    assert_eq!(est.totals().requests, Decimal::from(1005));
}
