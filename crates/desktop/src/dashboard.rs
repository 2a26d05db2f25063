//! The dashboard as the UI shows it: every amount already formatted by the pricing core, so
//! the UI never does money arithmetic.

use chrono::{DateTime, Utc};
use edgecost_api::{Bill, Granularity, Meter};
use edgecost_pricing::Decimal;
use edgecost_pricing::format::{money_in, quantity};
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use crate::account_status::{AlertView, DashboardBudgetView, ScheduledView, alert_views, dashboard_budget_with, scheduled_view};
use crate::chart::{ChartId, totals_by_key};
use crate::snapshot::{ChartRange, Door, Snapshot};

/// The share of a quota at which the dashboard marks a meter and the engine raises a notice.
pub const WARNING_PERCENT: u32 = edgecost_pricing::THRESHOLDS_PERCENT[0];

/// How full one meter's quota is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum MeterLevel {
    /// Below 80% (or no quota).
    Ok,
    /// At or past 80%.
    Warning,
    /// At or past 100%.
    Over,
}

/// One meter's usage against its quota.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct MeterView {
    pub meter: String,
    pub label: String,
    pub unit: String,
    /// Usage this period, e.g. `1,612,345`.
    pub used: String,
    /// The included quantity, `None` when the tier sets no quota.
    pub included: Option<String>,
    /// Whole percent of the quota used, rounded down; `None` without a quota.
    pub percent: Option<u32>,
    pub level: MeterLevel,
    /// This meter's overage charge so far, e.g. `$6.00`.
    pub overage_amount: String,
    pub explanation: String,
}

/// One line of the bill.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct BillLineView {
    pub label: String,
    pub amount: String,
    pub explanation: String,
}

/// A bill with its amounts formatted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct BillView {
    /// What the period costs before credit: base fee + overage.
    pub cost: String,
    /// How much of that prepaid burst credit pays (`$0.00` when none).
    pub credit_pays: String,
    /// What is left to invoice: cost minus what credit pays.
    pub total: String,
    pub base_fee: String,
    pub overage_total: String,
    pub credits_applied: String,
    pub lines: Vec<BillLineView>,
}

/// The end-of-period projection at this period's run rate, and what it rests on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ProjectionView {
    pub bill: BillView,
    /// "At the run rate of the 4 days 6 h since the period start."
    pub basis: String,
    /// Under a day of usage: a rough guess, shown with that caveat.
    pub short_history: bool,
}

/// The simulated outlook (the median and 90th percentile of simulated periods), or why
/// there is none yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct OutlookView {
    pub p50: Option<BillView>,
    pub p90: Option<BillView>,
    /// What the figures rest on, or why they are missing.
    pub basis: String,
}

impl OutlookView {
    fn of(snapshot: &Snapshot) -> OutlookView {
        let Some(report) = &snapshot.outlook else {
            return OutlookView { p50: None, p90: None, basis: "Shows after the next sync".to_owned() };
        };
        match &report.outlook {
            Some(o) => {
                // The engine stops each simulated period at the spend cap: say so, with the
                // day each figure reaches it, so a P50 at the cap does not read as a forecast of
                // usage that would be served.
                let capped = |at: Option<chrono::DateTime<chrono::Utc>>| at.map(|t| t.format("%b %-d").to_string());
                let cap = match (capped(o.p50.spend_capped_at), capped(o.p90.spend_capped_at)) {
                    (Some(p50), Some(p90)) => format!(
                        "; each stops at the spend cap, which the P50 reaches on {p50} and the P90 on {p90}, and usage that would cost more is refused"
                    ),
                    (None, Some(p90)) => {
                        format!("; the P90 reaches the spend cap on {p90} and stops there: usage that would cost more is refused")
                    }
                    // The P90 costs at least the P50: it is capped whenever the P50 is.
                    _ => String::new(),
                };
                OutlookView {
                    p50: Some(BillView::of(&o.p50.bill)),
                    p90: Some(BillView::of(&o.p90.bill)),
                    basis: format!(
                        "Of {} simulated periods drawing days from the last {} days of usage, half cost the P50 or less and 9 in 10 the P90 or less{cap}",
                        quantity(Decimal::from(o.simulations)),
                        o.history_days
                    ),
                }
            }
            None => OutlookView { p50: None, p90: None, basis: report.unavailable.clone().unwrap_or_default() },
        }
    }
}

impl BillView {
    pub(crate) fn of(bill: &Bill) -> BillView {
        let money = |amount: Decimal| money_in(amount, &bill.currency);
        let mut lines: Vec<BillLineView> = bill
            .base_fee_lines
            .iter()
            .map(|l| BillLineView { label: l.label.to_string(), amount: money(l.amount), explanation: l.explanation.clone() })
            .collect();
        if lines.is_empty() {
            lines.push(BillLineView {
                label: "Base fee".to_owned(),
                amount: money(bill.base_fee),
                explanation: "The tier's base fee for the whole period".to_owned(),
            });
        }
        lines.extend(bill.lines.iter().map(|l| BillLineView {
            label: l.meter.label().to_owned(),
            amount: money(l.amount),
            explanation: l.explanation.clone(),
        }));
        BillView {
            cost: money(bill.cost()),
            credit_pays: money(bill.credits_applied),
            total: money(bill.total),
            base_fee: money(bill.base_fee),
            overage_total: money(bill.overage_total),
            credits_applied: money(bill.credits_applied),
            lines,
        }
    }
}

/// An open quota notice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct NoticeView {
    pub id: String,
    pub meter: String,
    pub meter_label: String,
    pub threshold_percent: u32,
    /// `YYYY-MM-DD`, UTC.
    pub reached_on: String,
    pub days_left: u32,
    pub projected_bill: String,
    pub message: String,
    /// The upgrade the engine offers with this notice (the cheapest higher tier that does
    /// not cap the usage); `None` when no higher tier would leave the usage uncapped.
    pub upgrade: Option<UpgradeHint>,
}

/// The engine's upgrade offer as the banner shows it beside its button.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct UpgradeHint {
    /// The tier offered, e.g. `scale`.
    pub tier: String,
    /// "Scale: projected $98.00 this period, $12.40 more than staying".
    pub text: String,
    /// The engine recommends it (it costs no more than staying, or the current tier caps).
    pub recommended: bool,
}

/// Freshness of the data on screen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SyncView {
    /// RFC 3339, UTC; the UI shows it in local time.
    pub synced_at: String,
    /// The last sync attempt failed for lack of network; the data is the cached snapshot.
    pub offline: bool,
    /// The last sync attempt's error code, when it failed.
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// The server rejected the token at the last sync (revoked, or the account is gone): the
    /// figures are as last synced, and money actions wait for a new token.
    pub token_rejected: bool,
}

/// A chart the dashboard can draw.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ChartTab {
    pub id: ChartId,
    pub title: String,
}

/// Egress from one region over the chart range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct RegionRow {
    pub region: String,
    /// Raw egress in GB, before region weights.
    pub egress_gb: String,
    /// The region's weight in the price book: billable GB = GB sent x weight.
    pub weight: String,
    /// Egress as billed (region-weighted), in GB: what the egress meter and chart count.
    pub billable_gb: String,
    /// Whole percent of all egress sent in the range.
    pub share_percent: u32,
}

/// One route's requests over the chart range against the span just before it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct RouteRow {
    pub route: String,
    pub requests: String,
    pub previous_requests: String,
    /// `+12%`, `-3%`, `+0.4%` under one percent (never `0%` for a change), or `new` when the
    /// route had no traffic before.
    pub change: String,
}

/// The whole dashboard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct DashboardView {
    pub door: Door,
    pub server_url: String,
    pub account_name: String,
    pub tier: String,
    pub tier_label: String,
    /// A downgrade waiting for the next period.
    pub scheduled: Option<ScheduledView>,
    /// `YYYY-MM-DD` of the first and last day of the period (UTC).
    pub period_first_day: String,
    pub period_last_day: String,
    pub period_day: u32,
    pub period_days: u32,
    pub days_left: u32,
    pub meters: Vec<MeterView>,
    pub bill_to_date: BillView,
    /// The projected end-of-period bill at this period's run rate, with its basis.
    pub projected: ProjectionView,
    /// The simulated P50 and P90 of the period.
    pub outlook: OutlookView,
    pub credit_balance: String,
    pub notices: Vec<NoticeView>,
    /// The budget and spend cap; `None` when neither is set.
    pub budget: Option<DashboardBudgetView>,
    /// Open spend alerts (budget, spend cap, automatic top-up), oldest first.
    pub alerts: Vec<AlertView>,
    pub range: ChartRange,
    pub granularity: Granularity,
    pub charts: Vec<ChartTab>,
    pub regions: Vec<RegionRow>,
    pub routes: Vec<RouteRow>,
    /// Why the routes' span before cannot stand for a whole span (it has usage from part of
    /// it only); `None` when it can.
    pub routes_note: Option<String>,
    pub sync: SyncView,
}

impl DashboardView {
    /// Builds the view of `snapshot`; `failure` is the error of the last sync attempt, if it failed.
    pub fn of(snapshot: &Snapshot, failure: Option<&crate::DesktopError>) -> DashboardView {
        let book = snapshot.book();
        let account = &snapshot.account;
        let bill = &snapshot.bill.bill;
        let tier_label = book.tier(&account.tier).map(|t| t.display_name().to_owned()).unwrap_or_else(|| account.tier.clone());
        let last_day = account.period.end - chrono::Duration::days(1);
        DashboardView {
            door: snapshot.door,
            server_url: snapshot.server_url.clone(),
            account_name: account.name.clone(),
            tier: account.tier.clone(),
            tier_label,
            scheduled: account.scheduled_tier.as_ref().map(|c| scheduled_view(book, c)),
            period_first_day: account.period.start.format("%Y-%m-%d").to_string(),
            period_last_day: last_day.format("%Y-%m-%d").to_string(),
            period_day: account.period.day,
            period_days: account.period.days,
            days_left: account.period.days_left,
            meters: meters(bill),
            bill_to_date: BillView::of(bill),
            projected: ProjectionView {
                bill: BillView::of(&snapshot.bill.projected),
                basis: snapshot.bill.basis.explanation.clone(),
                short_history: snapshot.bill.basis.short_history,
            },
            outlook: OutlookView::of(snapshot),
            credit_balance: money_in(account.credit_balance, &bill.currency),
            notices: account.notices.iter().map(|n| notice_view(book, n, &bill.currency)).collect(),
            budget: snapshot
                .budget
                .as_ref()
                .and_then(|b| dashboard_budget_with(b, Some(&snapshot.bill), snapshot.bill.basis.short_history, &bill.currency)),
            alerts: alert_views(snapshot.budget.as_ref(), snapshot.auto_top_up.as_ref()),
            range: snapshot.range,
            granularity: snapshot.granularity,
            charts: ChartId::ALL.iter().map(|id| ChartTab { id: *id, title: id.title().to_owned() }).collect(),
            regions: regions(snapshot),
            routes: routes(snapshot),
            routes_note: crate::chart::earlier_span_note(snapshot),
            sync: SyncView {
                synced_at: rfc3339(snapshot.synced_at),
                offline: failure.is_some_and(|e| e.is_offline()),
                error_code: failure.map(|e| e.code().to_owned()),
                error_message: failure.map(|e| e.to_string()),
                token_rejected: failure.is_some_and(|e| matches!(e, crate::DesktopError::Unauthorized { .. })),
            },
        }
    }
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn meters(bill: &Bill) -> Vec<MeterView> {
    bill.lines
        .iter()
        .map(|line| {
            let utilization = bill.utilization.get(&line.meter);
            // ratio is rounded toward zero by the pricing core; the floor keeps "80%" honest.
            let percent = utilization.map(|u| (u.ratio * Decimal::ONE_HUNDRED).floor().to_u32().unwrap_or(u32::MAX));
            let level = match utilization.and_then(|u| u.thresholds_crossed.last().copied()) {
                Some(t) if t >= 100 => MeterLevel::Over,
                Some(t) if t >= WARNING_PERCENT => MeterLevel::Warning,
                _ => MeterLevel::Ok,
            };
            MeterView {
                meter: line.meter.id().to_owned(),
                label: line.meter.label().to_owned(),
                unit: line.unit.to_string(),
                used: edgecost_pricing::format::meter_quantity(line.meter.into(), line.quantity),
                included: line.included.map(quantity),
                percent,
                level,
                overage_amount: money_in(line.amount, &bill.currency),
                explanation: line.explanation.clone(),
            }
        })
        .collect()
}

fn notice_view(book: &edgecost_pricing::PriceBook, notice: &edgecost_api::Notice, currency: &str) -> NoticeView {
    let meter: Meter = notice.meter;
    let money = |amount: Decimal| money_in(amount, currency);
    let upgrade = notice.offer.upgrade.as_ref().map(|offer| {
        let label = book.tier(&offer.tier).map_or(offer.tier.as_str(), |t| t.display_name());
        // The engine's saving is the current projected cost minus the upgrade's, before credit.
        let against = match offer.saving.cmp(&Decimal::ZERO) {
            std::cmp::Ordering::Greater => format!("{} less than staying", money(offer.saving)),
            std::cmp::Ordering::Equal => "the same as staying".to_owned(),
            std::cmp::Ordering::Less => format!("{} more than staying", money(-offer.saving)),
        };
        UpgradeHint {
            tier: offer.tier.clone(),
            text: format!("{label}: projected {} this period, {against}", money(offer.projected_bill)),
            recommended: offer.recommended,
        }
    });
    NoticeView {
        upgrade,
        id: notice.id.clone(),
        meter: meter.id().to_owned(),
        meter_label: meter.label().to_owned(),
        threshold_percent: notice.threshold_percent,
        reached_on: notice.reached_on.format("%Y-%m-%d").to_string(),
        days_left: notice.days_left,
        projected_bill: money_in(notice.projected_bill, currency),
        message: notice.message.clone(),
    }
}

fn regions(snapshot: &Snapshot) -> Vec<RegionRow> {
    let totals = totals_by_key(&snapshot.usage_by_region, Meter::Egress);
    // Whole percentages that add up to 100 (largest remainder).
    let weights: Vec<Decimal> = totals.iter().map(|(_, bytes)| Decimal::from(*bytes)).collect();
    let shares = edgecost_pricing::shares::percentages(&weights).unwrap_or_else(|_| vec![0; totals.len()]);
    totals
        .into_iter()
        .zip(shares)
        .map(|((region, bytes), share_percent)| {
            let gb = Decimal::from(bytes) / Decimal::from(edgecost_pricing::BYTES_PER_GB);
            let weight = snapshot.book().region_weight(&region).unwrap_or(Decimal::ONE);
            RegionRow {
                egress_gb: edgecost_pricing::format::meter_quantity(edgecost_pricing::Meter::Egress, gb),
                weight: format!("×{}", weight.normalize()),
                billable_gb: edgecost_pricing::format::meter_quantity(edgecost_pricing::Meter::Egress, gb.saturating_mul(weight)),
                region,
                share_percent,
            }
        })
        .collect()
}

fn routes(snapshot: &Snapshot) -> Vec<RouteRow> {
    let previous = totals_by_key(&snapshot.previous_by_route, Meter::Requests);
    totals_by_key(&snapshot.usage_by_route, Meter::Requests)
        .into_iter()
        .map(|(route, requests)| {
            let before = previous.iter().find(|(r, _)| *r == route).map_or(0, |(_, n)| *n);
            let change = change_text(before, requests);
            RouteRow { route, requests: quantity(Decimal::from(requests)), previous_requests: quantity(Decimal::from(before)), change }
        })
        .collect()
}

/// A count's change against the span before, as a route row shows it: `new` when there was
/// nothing before, else a signed whole percent rounded half away from zero (`+12%`, `-3%`).
/// A change that is not zero never reads as `0%`: it gets one decimal when the whole percent
/// rounds to zero (`+0.4%`), and `+<0.1%` / `-<0.1%` when even that would.
fn change_text(before: u64, now: u64) -> String {
    use edgecost_pricing::{format::signed_percent, shares::percent};
    if before == 0 {
        return "new".to_owned();
    }
    let delta = Decimal::from(now) - Decimal::from(before);
    if delta.is_zero() {
        return signed_percent(Decimal::ZERO, 0);
    }
    let whole = Decimal::from(before);
    let Some(p) = percent(delta, whole, 0) else { return "—".to_owned() };
    if !p.is_zero() {
        return signed_percent(p, 0);
    }
    match percent(delta, whole, 1) {
        Some(p) if !p.is_zero() => signed_percent(p, 1),
        Some(_) if delta.is_sign_negative() => "-<0.1%".to_owned(),
        Some(_) => "+<0.1%".to_owned(),
        None => "—".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::change_text;

    #[test]
    fn a_change_that_is_not_zero_never_reads_as_zero() {
        assert_eq!(change_text(58_001, 58_221), "+0.4%");
        assert_eq!(change_text(58_221, 58_001), "-0.4%");
        assert_eq!(change_text(1_000_000, 1_000_100), "+<0.1%");
        assert_eq!(change_text(1_000_000, 999_900), "-<0.1%");
        // Half a percent rounds away from zero to a whole percent, as before.
        assert_eq!(change_text(1_000, 1_005), "+1%");
        assert_eq!(change_text(1_000, 995), "-1%");
        assert_eq!(change_text(1_000, 1_004), "+0.4%");
        assert_eq!(change_text(100, 112), "+12%");
        assert_eq!(change_text(100, 97), "-3%");
        assert_eq!(change_text(58_001, 58_001), "0%");
        assert_eq!(change_text(0, 10), "new");
    }
}
