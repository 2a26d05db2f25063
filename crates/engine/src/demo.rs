//! A demo account with 100 days of realistic telemetry, for the app's first run and for
//! `edgecost serve --demo`: at least three closed months, so its first run already lists
//! invoices.
//!
//! Traffic follows a diurnal curve (quiet at night UTC, busiest mid-afternoon) and a weekly
//! one (weekends lighter), spread over three nodes, four routes and three regions with a
//! little deterministic noise. It is scaled so the current period's requests sit at about 83%
//! of the production tier's included quantity at `now`: one notice at 80%, none at 100%.

use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use edgecost_api::{TelemetryBatch, TelemetryRecord};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

use crate::engine::Engine;
use crate::error::Result;
use crate::period::{Period, from_unix};

/// The demo's seed: the same `now` always yields the same telemetry.
pub const DEMO_SEED: u64 = 0x0edc_05e7;
/// Days of history the demo holds.
pub const DEMO_HISTORY_DAYS: i64 = 100;
const DEMO_TIER: &str = "production";
/// Share of the included requests the current period reaches at `now`, in per mille.
const TARGET_PER_MILLE: u64 = 830;

/// The demo account as created: what is needed to open it again and keep its traffic going
/// (see [`top_up_demo`]). The app keeps it beside the demo database; it holds tokens, so it
/// never leaves the demo's own folder.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DemoAccount {
    /// The demo account's id.
    pub account_id: String,
    /// The demo account's API token (`ec_acct_` prefix).
    pub token: String,
    /// The tokens of the demo's edge nodes, in the order of their names.
    pub node_tokens: Vec<String>,
    /// Requests per unit of hour weight, in millionths: the traffic level set when the demo
    /// was seeded, which top-ups keep.
    pub requests_per_weight_micro: u64,
    /// The end of the telemetry sent so far.
    pub recorded_until: DateTime<Utc>,
    /// The token of the demo's operator, when the demo was seeded with its fleet
    /// ([`crate::seed_demo_fleet`]); a demo seeded before the fleet existed has none.
    #[serde(default)]
    pub operator_token: Option<String>,
}

/// (route, share of requests in per mille, bytes per request, compute ms per request)
const ROUTES: [(&str, u64, u64, u64); 4] =
    [("/api/orders", 350, 6_000, 12), ("/api/search", 300, 12_000, 25), ("/api/users", 200, 3_000, 6), ("/static/assets", 150, 60_000, 1)];
/// (region, share of requests in per mille)
const REGIONS: [(&str, u64); 3] = [("na", 450), ("eu", 400), ("apac", 150)];
const NODES: [&str; 3] = ["edge-iad-1", "edge-fra-1", "edge-sin-1"];

/// Relative traffic in one hour, in per mille of the peak: diurnal times weekly shape.
fn hour_weight(t: DateTime<Utc>) -> u64 {
    const DIURNAL: [u64; 24] =
        [220, 180, 150, 140, 150, 200, 300, 450, 600, 720, 800, 860, 900, 940, 1000, 980, 920, 850, 760, 650, 540, 430, 340, 270];
    let weekly = match t.weekday().num_days_from_monday() {
        5 => 550,
        6 => 500,
        _ => 1000,
    };
    DIURNAL[t.hour() as usize] * weekly / 1000
}

/// Creates the demo account and its history up to `now`; see the module notes.
pub async fn seed_demo(engine: &Engine, now: DateTime<Utc>) -> Result<DemoAccount> {
    let now = from_unix(now.timestamp());
    let first_hour = from_unix((now - Duration::days(DEMO_HISTORY_DAYS)).timestamp() / 3_600 * 3_600);
    let account = engine.create_account("Demo storefront", DEMO_TIER, first_hour - Duration::days(1)).await?;
    let mut node_tokens = Vec::new();
    for name in NODES {
        node_tokens.push(engine.create_node(name, first_hour - Duration::days(1)).await?.token);
    }

    let windows = windows(first_hour, now);
    let period = Period::containing(now);
    let included = engine
        .book()
        .tier(DEMO_TIER)
        .and_then(|t| t.included.requests)
        .and_then(|d| rust_decimal::prelude::ToPrimitive::to_u64(&d))
        .unwrap_or(200_000);
    // Weight x seconds over the period so far, divided by the hour's seconds once: a period
    // only minutes old still lands on the target (a window's share rounded down on its own
    // would leave almost nothing, and the level would overshoot).
    let period_weight_seconds: u64 = windows.iter().filter(|(h, _)| *h >= period.start).map(|(h, s)| hour_weight(*h) * s).sum();
    // Requests per unit of weight (an hour at weight 1), in millionths, so that the period
    // lands on the target.
    let target = included * TARGET_PER_MILLE / 1000;
    let per_weight_micro = target * 1_000_000 * 3_600 / period_weight_seconds.max(1);

    let demo = DemoAccount {
        account_id: account.account_id,
        token: account.token,
        node_tokens,
        requests_per_weight_micro: per_weight_micro,
        recorded_until: now,
        operator_token: None,
    };
    let mut rng = ChaCha8Rng::seed_from_u64(DEMO_SEED ^ now.timestamp() as u64);
    send_traffic(engine, &demo, &windows, "demo", &mut rng, now).await?;
    pay_closed_invoices(engine, &demo.account_id, first_hour, now).await?;
    Ok(demo)
}

/// Days after its period ends that the demo's customer pays an invoice.
const DEMO_PAID_AFTER_DAYS: i64 = 3;

/// Closes each period of the demo's history whose grace hour is over at that hour (as the
/// engine would have, had the invoices been read then) and records its payment a few days
/// later, as a paying customer's account shows: every invoice paid but the latest, still due.
pub(crate) async fn pay_closed_invoices(engine: &Engine, account_id: &str, first_hour: DateTime<Utc>, now: DateTime<Utc>) -> Result<()> {
    let account = crate::engine::AccountId(account_id.to_owned());
    let grace = Duration::seconds(crate::validate::LATE_RECORD_GRACE_SECONDS);
    let mut closed = Vec::new();
    let mut period = Period::containing(first_hour);
    while period.end + grace <= now {
        closed.push(period);
        period = period.next();
    }
    let Some((_, older)) = closed.split_last() else { return Ok(()) };
    for period in &closed {
        let at = (period.end + grace + Duration::minutes(5)).min(now);
        engine.invoices(&account, &edgecost_api::InvoiceQuery { cursor: None, limit: Some(1) }, at).await?;
    }
    let all = edgecost_api::InvoiceQuery { cursor: None, limit: Some(edgecost_api::MAX_INVOICE_PAGE) };
    let issued = engine.invoices(&account, &all, now).await?.invoices;
    for period in older {
        let received_at = period.end + Duration::days(DEMO_PAID_AFTER_DAYS) + Duration::hours(14);
        let Some(invoice) = issued.iter().find(|i| i.period_start == period.start) else { continue };
        if invoice.status != edgecost_api::InvoiceStatus::Due {
            continue;
        }
        let request = edgecost_api::PaymentRequest {
            amount: invoice.total,
            currency: None,
            reference: format!("demo-charge-{}", invoice.number.to_ascii_lowercase()),
            received_at: Some(received_at),
        };
        engine.record_payment(account_id, &invoice.id, &request, received_at.min(now)).await?;
    }
    Ok(())
}

/// Sends the demo's traffic from where it stopped to `now`, at the level it was seeded with,
/// so a demo opened again days later shows a live current period. Time the engine no longer
/// accepts (periods closed past their grace hour) is skipped: those periods stay as closed.
/// Answers the demo with its new `recorded_until`; a demo already up to `now` is unchanged.
pub async fn top_up_demo(engine: &Engine, demo: &DemoAccount, now: DateTime<Utc>) -> Result<DemoAccount> {
    let now = from_unix(now.timestamp());
    let from = demo.recorded_until.max(crate::validate::earliest_accepted(now));
    if from >= now {
        return Ok(demo.clone());
    }
    let windows = windows(from, now);
    let mut rng = ChaCha8Rng::seed_from_u64(DEMO_SEED ^ from.timestamp() as u64 ^ (now.timestamp() as u64).rotate_left(32));
    // Batch ids name the top-up's start, so they never collide with an earlier batch's.
    let prefix = format!("demo-{}", from.format("%Y%m%d%H%M%S"));
    send_traffic(engine, demo, &windows, &prefix, &mut rng, now).await?;
    Ok(DemoAccount { recorded_until: now, ..demo.clone() })
}

/// Telemetry windows from `from` to `to`, each within one clock hour: `(start, seconds)`.
/// The first and last may be part of an hour.
fn windows(from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(DateTime<Utc>, u64)> {
    let mut windows = Vec::new();
    let mut start = from;
    while start < to {
        let hour_end = from_unix(start.timestamp() / 3_600 * 3_600 + 3_600);
        let end = hour_end.min(to);
        windows.push((start, (end - start).num_seconds() as u64));
        start = end;
    }
    windows
}

/// Ingests the demo's traffic over `windows` (in order): one batch per node per day, sent a
/// minute after the day's last window (or at `now`).
async fn send_traffic(
    engine: &Engine,
    demo: &DemoAccount,
    windows: &[(DateTime<Utc>, u64)],
    batch_prefix: &str,
    rng: &mut ChaCha8Rng,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut nodes = Vec::with_capacity(demo.node_tokens.len());
    for token in &demo.node_tokens {
        let node = engine.authenticate_node(token).await?;
        let node_id = node.as_str().to_owned();
        nodes.push((node, node_id));
    }
    let per_weight_micro = demo.requests_per_weight_micro;
    let mut day_start = 0;
    while day_start < windows.len() {
        let day = windows[day_start].0.date_naive();
        let day_end = windows[day_start..].iter().position(|(h, _)| h.date_naive() != day).map_or(windows.len(), |n| day_start + n);
        let last = windows[day_end - 1];
        let sent_at = (last.0 + Duration::seconds(last.1 as i64 + 60)).min(now);
        for (node_index, (node, node_id)) in nodes.iter().enumerate() {
            let mut records = Vec::new();
            for (hour, seconds) in &windows[day_start..day_end] {
                // requests = hour weight x share of the hour x route share x region share x
                // noise / nodes, rounded at random (not down) so the sum keeps its target.
                let hour_scaled = u128::from(hour_weight(*hour)) * u128::from(*seconds) * u128::from(per_weight_micro);
                for (route, route_share, bytes_per_request, ms_per_request) in ROUTES {
                    for (region, region_share) in REGIONS {
                        // Noise of +-6% keeps the lines from looking drawn.
                        let noise = u128::from(940 + rng.next_u64() % 121);
                        let numerator = hour_scaled * u128::from(route_share) * u128::from(region_share) * noise;
                        let denominator = 3_600u128 * 1_000_000 * 1_000 * 1_000 * 1_000 * nodes.len() as u128;
                        let dither = (u128::from(rng.next_u64()) << 64 | u128::from(rng.next_u64())) % denominator;
                        let requests = ((numerator + dither) / denominator) as u64;
                        records.push(TelemetryRecord {
                            account_id: demo.account_id.clone(),
                            route: route.to_owned(),
                            region: region.to_owned(),
                            window_start: *hour,
                            window_seconds: *seconds as u32,
                            requests,
                            compute_ms: requests * ms_per_request,
                            egress_bytes: requests * bytes_per_request,
                        });
                    }
                }
            }
            let batch = TelemetryBatch {
                batch_id: format!("{batch_prefix}-{}-{}", day.format("%Y%m%d"), node_index),
                node_id: node_id.clone(),
                records,
            };
            engine.ingest(node, &batch, sent_at).await?;
        }
        day_start = day_end;
    }
    Ok(())
}
