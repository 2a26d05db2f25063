//! What the edge enforces for each account (`GET /v1/nodes/limits`): the tier's request-rate
//! limit, the meters a hard cap or the spend cap has closed this period, and the spend cap.
//! The capped meters are worked out by the same rules as the ingest receipt's.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use edgecost_api::{AccountLimits, NodeLimits};
use edgecost_pricing::{Meter, Tier, Usage};
use rust_decimal::Decimal;

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::period::Period;
use crate::store::{Counters, RegionCounters, TierChangeRow};
use crate::{ledger, rating, spend_cap};

/// The meters a hard-capped tier refuses from now on: those whose included quantity `usage`
/// has used up.
pub(crate) fn hard_capped_meters(tier: &Tier, usage: &Usage) -> Vec<Meter> {
    if !tier.hard_cap {
        return Vec::new();
    }
    Meter::ALL
        .into_iter()
        .filter(|m| tier.included.get(*m).is_some_and(|included| included > Decimal::ZERO && usage.quantity(*m) >= included))
        .collect()
}

impl Engine {
    /// Every account with something for the edge to enforce at `now`, by account id.
    pub async fn node_limits(&self, now: DateTime<Utc>) -> Result<NodeLimits> {
        let period = Period::containing(now);
        let rows = self.store.limits_rows(period.start_unix()).await?;
        let mut changes: BTreeMap<String, Vec<TierChangeRow>> = BTreeMap::new();
        for c in rows.changes {
            changes.entry(c.account_id.clone()).or_default().push(c.into());
        }
        let mut usage: BTreeMap<String, Vec<RegionCounters>> = BTreeMap::new();
        for u in rows.usage {
            usage.entry(u.account_id).or_default().push(RegionCounters {
                region: u.region,
                counters: Counters { requests: u.requests, compute_ms: u.compute_ms, egress_bytes: u.egress_bytes },
            });
        }
        let caps: BTreeMap<String, _> = rows.caps.into_iter().map(|c| (c.account_id.clone(), c)).collect();
        let mut accounts = Vec::new();
        for (account_id, changes) in &changes {
            // An account created for later has no tier yet.
            let Some(tier_name) = rating::tier_at(changes, now) else { continue };
            let tier = self
                .book
                .tier(tier_name)
                .ok_or_else(|| EngineError::UnknownTier { tier: tier_name.to_owned(), known: self.book.tier_names() })?;
            let mut totals = rating::totals(&self.book, usage.get(account_id).map_or(&[][..], |u| u))?;
            totals.refused_by_cap = rating::refused_in(changes, &period, now);
            let cap = caps.get(account_id);
            let state = match cap {
                Some(c) if c.in_period => Some(spend_cap::from_row(&c.period)?),
                _ => None,
            };
            let mut capped_meters = hard_capped_meters(tier, &totals.usage());
            let spend_capped = state.as_ref().is_some_and(|s| s.holds());
            if let Some(state) = &state {
                capped_meters.extend(spend_cap::capped_meters(state, &totals));
            }
            capped_meters.sort();
            capped_meters.dedup();
            let spend_cap = cap.and_then(|c| c.spend_cap_cents).map(ledger::from_cents);
            let requests_per_second = tier.limits.requests_per_second;
            if requests_per_second.is_none() && capped_meters.is_empty() && spend_cap.is_none() && !spend_capped {
                continue;
            }
            accounts.push(AccountLimits {
                account_id: account_id.clone(),
                tier: tier_name.to_owned(),
                requests_per_second,
                capped_meters: capped_meters.into_iter().map(Into::into).collect(),
                spend_cap,
                spend_capped,
            });
        }
        Ok(NodeLimits { period_start: period.start, accounts })
    }
}
