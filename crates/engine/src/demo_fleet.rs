//! A small fleet of accounts over the last three closed months, beside the demo account, so
//! the operator's view of the demo has figures on its first run: steady accounts on each paid
//! tier, an account that reaches 80% of its request quota and upgrades within days, a
//! sandbox that converts, a churn, burst packs, a capped sandbox, and an account whose APAC
//! egress costs more than its tier charges for it. An operator token opens the view.
//!
//! The story is [`DEMO_FLEET`], plain data, so a test can work out every figure from it by
//! hand; [`seed_demo_fleet`] only replays it into the engine, each step at its own time.

use chrono::{DateTime, Duration, Utc};
use edgecost_api::{CreditPurchaseRequest, TelemetryBatch, TelemetryRecord, TierChangeRequest};
use edgecost_pricing::{PriceBook, PriceBookError};

use crate::engine::Engine;
use crate::error::Result;
use crate::period::{Period, from_unix};

/// The closed months the fleet's story covers, before the current one.
pub const DEMO_FLEET_MONTHS: usize = 3;
/// Compute per request in every fleet record, in milliseconds.
pub const DEMO_FLEET_COMPUTE_MS_PER_REQUEST: u64 = 2;

/// What serving each meter costs the demo's operator: the demo engine's price book is the
/// published one with these costs, so the operator's view of the demo shows gross margin.
pub const DEMO_INFRASTRUCTURE_COST_YAML: &str = "infrastructure_cost:
  compute_second: \"0.00001\"
  requests_per_10k: \"0.01\"
  egress_gb:
    default: \"0.01\"
    apac: \"0.20\"
";

/// The published price book with [`DEMO_INFRASTRUCTURE_COST_YAML`].
pub fn demo_price_book() -> std::result::Result<PriceBook, PriceBookError> {
    let yaml = format!("{}\n{DEMO_INFRASTRUCTURE_COST_YAML}", PriceBook::published_yaml());
    PriceBook::from_yaml_str(&yaml, "<demo price book>")
}

/// One step of an account's story, in month `month` (0 is the oldest of the
/// [`DEMO_FLEET_MONTHS`] closed months) on day `day` (0 is the month's first day) at 00:00
/// UTC plus `hour` hours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FleetStep {
    /// The closed month, 0 the oldest.
    pub month: usize,
    /// The day of the month, 0 the first.
    pub day: u32,
    /// Hours after 00:00 UTC of that day.
    pub hour: u32,
    /// What the account does at that time.
    pub action: FleetAction,
}

/// What a fleet account does at one [`FleetStep`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FleetAction {
    /// One hour of traffic from the account's region, starting at the step's time, sent an
    /// hour after it starts: requests and raw egress in GB (10^9 bytes), with
    /// [`DEMO_FLEET_COMPUTE_MS_PER_REQUEST`] of compute per request.
    Traffic {
        /// Requests in the hour.
        requests: u64,
        /// Raw egress in the hour, in GB (10^9 bytes).
        egress_gb: u64,
    },
    /// A tier change asked for at the step's time: an upgrade applies at once, a downgrade
    /// from the next month.
    MoveTo {
        /// The tier's name in the price book.
        tier: &'static str,
    },
    /// Burst credit packs bought at the step's time.
    BuyPacks {
        /// The number of packs bought.
        packs: u32,
    },
}

/// An account of the fleet, created at the first second of the oldest month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FleetMember {
    /// The account's name.
    pub name: &'static str,
    /// The tier it is created on.
    pub tier: &'static str,
    /// The region all its traffic is served from.
    pub region: &'static str,
    /// Its story, in time order.
    pub steps: &'static [FleetStep],
}

const fn traffic(month: usize, day: u32, requests: u64, egress_gb: u64) -> FleetStep {
    FleetStep { month, day, hour: 0, action: FleetAction::Traffic { requests, egress_gb } }
}

const fn steady(requests: u64, egress_gb: u64) -> [FleetStep; 3] {
    [traffic(0, 9, requests, egress_gb), traffic(1, 9, requests, egress_gb), traffic(2, 9, requests, egress_gb)]
}

/// The fleet's story (see the module notes). Months 0, 1 and 2 are the three closed months,
/// oldest first; nothing happens in the current month.
pub const DEMO_FLEET: [FleetMember; 8] = [
    FleetMember { name: "Northwind Traders", tier: "production", region: "na", steps: &steady(150_000, 30) },
    FleetMember { name: "Blue Harbor Labs", tier: "scale", region: "eu", steps: &steady(1_500_000, 150) },
    // Reaches 80% of its requests on day 20 of month 1 and moves to scale as month 2 starts.
    FleetMember {
        name: "Acme Analytics",
        tier: "production",
        region: "na",
        steps: &[
            traffic(0, 9, 150_000, 30),
            traffic(1, 9, 100_000, 20),
            traffic(1, 19, 70_000, 15),
            traffic(1, 24, 90_000, 10),
            FleetStep { month: 2, day: 0, hour: 0, action: FleetAction::MoveTo { tier: "scale" } },
            traffic(2, 9, 600_000, 80),
        ],
    },
    // A sandbox that moves to production on day 5 of month 1.
    FleetMember {
        name: "Copperleaf Studio",
        tier: "sandbox",
        region: "na",
        steps: &[
            traffic(0, 9, 30_000, 5),
            FleetStep { month: 1, day: 4, hour: 0, action: FleetAction::MoveTo { tier: "production" } },
            traffic(1, 9, 120_000, 20),
            traffic(2, 9, 120_000, 20),
        ],
    },
    // Asks for the sandbox in month 1: from month 2 it pays nothing (a churn).
    FleetMember {
        name: "Fernhill Apps",
        tier: "production",
        region: "na",
        steps: &[
            traffic(0, 9, 100_000, 10),
            traffic(1, 9, 100_000, 10),
            FleetStep { month: 1, day: 14, hour: 0, action: FleetAction::MoveTo { tier: "sandbox" } },
            traffic(2, 9, 20_000, 2),
        ],
    },
    // Buys two packs early in month 1; they pay that month's overage and the next one's.
    FleetMember {
        name: "Gullwing Media",
        tier: "production",
        region: "na",
        steps: &[
            traffic(0, 9, 200_000, 50),
            FleetStep { month: 1, day: 2, hour: 0, action: FleetAction::BuyPacks { packs: 2 } },
            traffic(1, 9, 500_000, 80),
            traffic(2, 9, 300_000, 50),
        ],
    },
    // A sandbox capped in month 2.
    FleetMember {
        name: "Harborview Health",
        tier: "sandbox",
        region: "na",
        steps: &[traffic(0, 9, 20_000, 2), traffic(1, 9, 20_000, 2), traffic(2, 9, 70_000, 5)],
    },
    // 400 GB a month from APAC: billed as 600 GB by the region's weight, but it costs more to serve.
    FleetMember { name: "Ironbark Logistics", tier: "scale", region: "apac", steps: &steady(1_200_000, 400) },
];

/// The three closed months before `now`'s, oldest first.
pub fn demo_fleet_months(now: DateTime<Utc>) -> [Period; DEMO_FLEET_MONTHS] {
    let mut months = [Period::containing(now); DEMO_FLEET_MONTHS];
    let mut p = Period::containing(now);
    for slot in months.iter_mut().rev() {
        p = Period::containing(p.start - Duration::seconds(1));
        *slot = p;
    }
    months
}

/// When `step` happens, in the months of [`demo_fleet_months`].
pub fn step_time(months: &[Period; DEMO_FLEET_MONTHS], step: &FleetStep) -> DateTime<Utc> {
    months[step.month].start + Duration::days(i64::from(step.day)) + Duration::hours(i64::from(step.hour))
}

/// Replays [`DEMO_FLEET`] into `engine` over the three closed months before `now`, records
/// the payment of every closed invoice but each account's latest (a few days after its month),
/// and creates the demo's operator. Answers the operator token.
pub async fn seed_demo_fleet(engine: &Engine, now: DateTime<Utc>) -> Result<String> {
    let now = from_unix(now.timestamp());
    let months = demo_fleet_months(now);
    let created = months[0].start;
    let node = engine.create_node("edge-ord-1", created).await?;
    let node = engine.authenticate_node(&node.token).await?;
    let mut accounts = Vec::with_capacity(DEMO_FLEET.len());
    for member in &DEMO_FLEET {
        let account = engine.create_account(member.name, member.tier, created).await?;
        accounts.push(engine.authenticate_account(&account.token).await?);
    }
    // Every step in time order, so the engine sees the fleet's history as it happened.
    let mut steps: Vec<(DateTime<Utc>, usize, usize)> = Vec::new();
    for (a, member) in DEMO_FLEET.iter().enumerate() {
        for (s, step) in member.steps.iter().enumerate() {
            steps.push((step_time(&months, step), a, s));
        }
    }
    steps.sort();
    for (at, a, s) in steps {
        let member = &DEMO_FLEET[a];
        let key = format!("demo-fleet-{a}-{s}");
        match member.steps[s].action {
            FleetAction::Traffic { requests, egress_gb } => {
                let record = TelemetryRecord {
                    account_id: accounts[a].as_str().to_owned(),
                    route: "/api".to_owned(),
                    region: member.region.to_owned(),
                    window_start: at,
                    window_seconds: 3_600,
                    requests,
                    compute_ms: requests * DEMO_FLEET_COMPUTE_MS_PER_REQUEST,
                    egress_bytes: egress_gb * edgecost_pricing::BYTES_PER_GB,
                };
                let batch = TelemetryBatch { batch_id: key, node_id: node.as_str().to_owned(), records: vec![record] };
                engine.ingest(&node, &batch, at + Duration::hours(1)).await?;
            }
            FleetAction::MoveTo { tier } => {
                engine.change_tier(&accounts[a], &key, &TierChangeRequest { tier: tier.to_owned() }, at).await?;
            }
            FleetAction::BuyPacks { packs } => {
                engine.purchase_credits(&accounts[a], &key, &CreditPurchaseRequest { packs }, at).await?;
            }
        }
    }
    // A paying fleet: each account's invoices are paid but its latest.
    for account in &accounts {
        crate::demo::pay_closed_invoices(engine, account.as_str(), created, now).await?;
    }
    Ok(engine.create_operator("Demo operator", now).await?.token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_book_prices_infrastructure_and_the_story_stays_in_its_months() {
        let book = demo_price_book().unwrap();
        let costs = book.infrastructure_cost.as_ref().unwrap();
        assert_eq!(costs.egress_gb_in("apac"), Some("0.20".parse().unwrap()));
        assert_eq!(costs.egress_gb_in("eu"), Some("0.01".parse().unwrap()));
        let now: DateTime<Utc> = "2026-12-06T15:00:00Z".parse().unwrap();
        let months = demo_fleet_months(now);
        assert_eq!(months[0].start, "2026-09-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap());
        assert_eq!(months[2].end, "2026-12-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap());
        for member in &DEMO_FLEET {
            assert!(book.tier(member.tier).is_some(), "{}", member.name);
            for step in member.steps {
                let at = step_time(&months, step);
                // Traffic ends within its month, and is sent before the month's grace hour ends.
                assert!(at >= months[step.month].start && at + Duration::hours(1) <= months[step.month].end, "{}", member.name);
            }
        }
    }
}
