//! Properties of what the engine serves, over random usage on a SQLite file: every
//! granularity of one range adds up to the same usage, and cost by route adds up to the bills'
//! overage lines to the cent.

use chrono::{DateTime, Duration, Utc};
use edgecost_api::{Granularity, Meter, TelemetryBatch, TelemetryRecord, UsageGrouping, UsageQuery};
use edgecost_engine::Engine;
use edgecost_pricing::{Decimal, PriceBook};
use proptest::prelude::*;

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// One record: hours after Oct 20 00:00 (so usage spans the October/November boundary),
/// route and region indexes, requests and egress bytes.
fn records() -> impl Strategy<Value = Vec<(i64, usize, usize, u64, u64)>> {
    prop::collection::vec((0i64..24 * 20, 0usize..3, 0usize..3, 0u64..400_000, 0u64..30_000_000_000), 1..40)
}

const ROUTES: [&str; 3] = ["/a", "/b", "/c"];
const REGIONS: [&str; 3] = ["na", "apac", "af"];

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn day_and_hour_series_add_up_alike_and_route_costs_add_up_to_the_bills(
        usage in records(),
        from_minutes in 0i64..24 * 60 * 18,
        span_minutes in 60i64..24 * 60 * 10,
    ) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let engine = Engine::open(&Engine::sqlite_url(&dir.path().join("b.db")), PriceBook::published().clone()).await.unwrap();
            let created = engine.create_account("Acme", "production", t("2026-10-01T00:00:00Z")).await.unwrap();
            let account = engine.authenticate_account(&created.token).await.unwrap();
            let node = engine.create_node("edge-1", t("2026-10-01T00:00:00Z")).await.unwrap();
            let node_id = engine.authenticate_node(&node.token).await.unwrap();
            let start = t("2026-10-20T00:00:00Z");
            // Records are ingested in time order, each while its period is open.
            let mut sorted = usage.clone();
            sorted.sort_by_key(|r| r.0);
            for (i, (hour, route, region, requests, egress)) in sorted.iter().enumerate() {
                let window_start = start + Duration::hours(*hour);
                let record = TelemetryRecord {
                    account_id: created.account_id.clone(),
                    route: ROUTES[*route].into(),
                    region: REGIONS[*region].into(),
                    window_start,
                    window_seconds: 60,
                    requests: *requests,
                    compute_ms: 0,
                    egress_bytes: *egress,
                };
                let batch = TelemetryBatch { batch_id: format!("b-{i}"), node_id: node.node_id.clone(), records: vec![record] };
                let r = engine.ingest(&node_id, &batch, window_start + Duration::minutes(2)).await.unwrap();
                assert_eq!(r.receipt.accepted, 1, "{:?}", r.receipt.rejected);
            }
            let now = t("2026-11-09T00:00:00Z");

            // A range starting mid-hour: by day and by hour, the same usage.
            let from = start + Duration::minutes(from_minutes);
            let to = from + Duration::minutes(span_minutes);
            let mut totals = Vec::new();
            for granularity in [Granularity::Day, Granularity::Hour] {
                let q = UsageQuery { from, to, granularity, group_by: UsageGrouping::Meter };
                let series = engine.usage(&account, &q).await.unwrap();
                let sum = |meter: Meter| -> u64 {
                    series.lines.iter().filter(|l| l.meter == meter).flat_map(|l| l.points.iter()).map(|p| p.quantity).sum()
                };
                totals.push((sum(Meter::Requests), sum(Meter::Egress)));
            }
            assert_eq!(totals[0], totals[1], "day vs hour over {from}..{to}");

            // Cost by route: each period's routes add up to its overage to the cent.
            let report = engine.route_costs(&account, t("2026-10-01T00:00:00Z"), now, now).await.unwrap();
            for period in &report.periods {
                let routes: Decimal = period.routes.iter().map(|r| r.cost).sum();
                assert_eq!(routes, period.overage, "period {}", period.start);
                if let Some(projected) = period.projected_overage {
                    let routes: Decimal = period.routes.iter().filter_map(|r| r.projected_cost).sum();
                    assert_eq!(routes, projected, "projected, period {}", period.start);
                }
            }
            // The open period's overage is the bill's.
            let bill = engine.bill_to_date(&account, now).await.unwrap();
            let open = report.periods.iter().find(|p| !p.closed).unwrap();
            assert_eq!(open.overage, bill.bill.overage_total);
        });
    }
}
