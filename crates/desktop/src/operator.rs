//! The operator's dashboard: the engine's report (`GET /v1/admin/report`) laid out for the
//! app, and its charts. Every figure is the engine's (`docs/operator-metrics.md`); this only
//! formats them and picks the month the headline shows.

use edgecost_api::{Margin, MonthMetrics, OperatorReport, Ratio};
use edgecost_charts::{MonthSeries, MonthlyChart, MonthlyUnit};
use edgecost_pricing::format::{money_in, percent, signed_money_in, signed_percent};
use edgecost_pricing::{Decimal, PriceBook};
use serde::{Deserialize, Serialize};

use crate::snapshot::Door;

/// A chart of the operator's dashboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum OperatorChartId {
    /// MRR month by month, stacked by tier.
    Revenue,
    /// Net and gross revenue retention.
    Retention,
    /// Logo churn and revenue churn.
    Churn,
    /// Sandbox-to-paid conversion and the 80%-to-upgrade funnel.
    Conversion,
}

impl OperatorChartId {
    pub const ALL: [OperatorChartId; 4] =
        [OperatorChartId::Revenue, OperatorChartId::Retention, OperatorChartId::Churn, OperatorChartId::Conversion];

    /// The tab title.
    pub fn title(self) -> &'static str {
        match self {
            OperatorChartId::Revenue => "MRR by tier",
            OperatorChartId::Retention => "NRR and GRR",
            OperatorChartId::Churn => "Churn",
            OperatorChartId::Conversion => "Conversion",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct OperatorChartTab {
    pub id: OperatorChartId,
    pub title: String,
}

/// The headline figures of one month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct OperatorHeadline {
    /// `November 2026`, or `December 2026 (to date)` when no month has closed yet.
    pub month_label: String,
    pub mrr: String,
    /// `+$12.00 (+1.2%) on October`; `None` without a month before.
    pub mrr_change: Option<String>,
    pub accounts: u32,
    pub paying_accounts: u32,
    pub nrr: String,
    pub grr: String,
    /// Why NRR and GRR say little this month (a base of too few accounts), shown beside them.
    pub retention_note: Option<String>,
    pub logo_churn: String,
    pub revenue_churn: String,
    pub conversion: String,
    pub funnel: String,
    pub capped_accounts: u32,
    /// The month's gross margin, `$1,234.56 (62.5%)`; `None` without infrastructure cost.
    pub gross_margin: Option<String>,
}

/// A month's row of the figures table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct OperatorMonthRow {
    /// `2026-11`, the row's key.
    pub month: String,
    /// `Nov 2026`, or `Dec 2026 (to date)`.
    pub label: String,
    pub closed: bool,
    pub accounts: u32,
    pub paying_accounts: u32,
    pub mrr: String,
    pub nrr: String,
    pub grr: String,
    /// As [`OperatorHeadline::retention_note`], for this month.
    pub retention_note: Option<String>,
    pub logo_churn: String,
    pub revenue_churn: String,
    pub conversion: String,
    pub upgrades: u32,
    pub downgrades: u32,
    /// `2 sold, $13.50 used`.
    pub packs: String,
    pub funnel: String,
    pub capped_accounts: u32,
    pub gross_margin: String,
}

/// One tier's revenue in the headline month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct TierRevenueRow {
    pub tier: String,
    pub label: String,
    pub accounts: u32,
    pub base_fees: String,
    pub overage: String,
    pub revenue: String,
}

/// One 80%-to-upgrade funnel row: the accounts that reached 80% of a quota in the month and
/// how many of them upgraded within 14 days.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct FunnelRow {
    pub label: String,
    pub reached: u32,
    pub upgraded: u32,
    pub percent: String,
    /// "1 still within its 14 days" while some of those not upgraded yet still may; empty
    /// once every one's days are over.
    pub open_note: String,
}

/// A margin row: a tier or an account over the report's months.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct MarginRow {
    /// The account id, or the tier's name.
    pub key: String,
    pub name: String,
    pub tier: String,
    pub revenue: String,
    pub cost: String,
    pub margin: String,
    pub margin_percent: String,
    /// Below the threshold (or cost without revenue): flagged.
    pub flagged: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct MarginView {
    /// `50%`.
    pub threshold: String,
    pub total: MarginRow,
    pub by_tier: Vec<MarginRow>,
    /// Lowest margin first.
    pub accounts: Vec<MarginRow>,
    pub flagged: u32,
}

/// Everything the operator's dashboard shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct OperatorView {
    /// The operator signed in on a server, or the demo's operator.
    pub door: Door,
    pub server_url: String,
    /// `Dec 6, 2026 15:04 UTC`.
    pub as_of: String,
    /// `Sep 2026 – Dec 2026`.
    pub span: String,
    pub headline: OperatorHeadline,
    /// The open month to date, `$123.00`, when the headline is a closed month.
    pub month_to_date: Option<String>,
    pub month_to_date_label: Option<String>,
    pub months: Vec<OperatorMonthRow>,
    pub tiers: Vec<TierRevenueRow>,
    pub funnel: Vec<FunnelRow>,
    /// `None` when the server's price book carries no infrastructure cost.
    pub margin: Option<MarginView>,
    pub charts: Vec<OperatorChartTab>,
}

/// A chart of the operator's dashboard drawn for the UI, with a short text of what it shows
/// for screen readers (the image's alternative text).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct OperatorChartImage {
    pub svg: String,
    /// The title, the months, and the latest figures: `Net and gross revenue retention, Sep
    /// 2026 to Dec 2026. Nov 2026: NRR 109.4%, GRR 90.8%. ...`
    pub summary: String,
}

fn pct(p: Option<Decimal>) -> String {
    p.map_or_else(|| "—".to_owned(), |p| percent(p, 2))
}

fn ratio(r: &Ratio) -> String {
    match r.percent {
        Some(p) => format!("{} of {} ({})", r.count, r.of, percent(p, 2)),
        None => "—".to_owned(),
    }
}

/// The funnel's accounts that may still upgrade within their 14 days, as said beside it.
fn funnel_open_note(open: u32) -> String {
    match open {
        0 => String::new(),
        1 => "1 still within its 14 days".to_owned(),
        n => format!("{n} still within their 14 days"),
    }
}

/// The funnel as a headline reads it: "0 of 1 (0.00%), 1 still within its 14 days".
fn funnel_text(m: &MonthMetrics) -> String {
    match funnel_open_note(m.quota_funnel_open) {
        note if note.is_empty() || m.quota_funnel.percent.is_none() => ratio(&m.quota_funnel),
        note => format!("{}, {note}", ratio(&m.quota_funnel)),
    }
}

fn short_label(m: &MonthMetrics) -> String {
    let label = m.start.format("%b %Y").to_string();
    if m.closed { label } else { format!("{label} (to date)") }
}

fn margin_cells(m: &Margin, currency: &str) -> (String, String, String, String) {
    let money = |amount: Decimal| money_in(amount, currency);
    (money(m.revenue), money(m.cost), money(m.margin), pct(m.margin_percent))
}

/// The months shown: the report's, from the first in which any account existed (the months
/// before the service had accounts would only draw empty bars and dashes).
fn shown_months(report: &OperatorReport) -> &[MonthMetrics] {
    let first = report.months.iter().position(|m| m.accounts > 0).unwrap_or(report.months.len());
    &report.months[first..]
}

/// The month the headline shows: the last closed month, or the open one when none closed.
fn headline_index(months: &[MonthMetrics]) -> Option<usize> {
    months.iter().rposition(|m| m.closed).or_else(|| months.len().checked_sub(1))
}

impl OperatorView {
    /// The dashboard of `report`, as read from `server_url` through `door`; `book` names the
    /// tiers.
    pub fn of(report: &OperatorReport, book: &PriceBook, door: Door, server_url: &str) -> OperatorView {
        let tier_label = |tier: &str| book.tier(tier).map_or_else(|| tier.to_owned(), |t| t.display_name().to_owned());
        // Amounts are in the report's currency, the price book's.
        let money = |amount: Decimal| money_in(amount, &report.currency);
        let shown = shown_months(report);
        let index = headline_index(shown);
        let month = index.map(|i| &shown[i]);
        let before = index.and_then(|i| i.checked_sub(1)).map(|i| &shown[i]);
        let headline = match month {
            Some(m) => OperatorHeadline {
                month_label: if m.closed { m.start.format("%B %Y").to_string() } else { format!("{} (to date)", m.start.format("%B %Y")) },
                mrr: money(m.mrr),
                mrr_change: before.map(|b| {
                    let change = m.mrr - b.mrr;
                    let signed = signed_money_in(change, &report.currency);
                    // The percentage rule of docs/operator-metrics.md: 100 x part / whole, two places.
                    let share = edgecost_pricing::shares::percent(change, b.mrr, 2)
                        .map_or_else(String::new, |p| format!(" ({})", signed_percent(p, 2)));
                    format!("{signed}{share} on {}", b.start.format("%B"))
                }),
                accounts: m.accounts,
                paying_accounts: m.paying_accounts,
                nrr: pct(m.nrr_percent),
                grr: pct(m.grr_percent),
                retention_note: m.retention_caveat(),
                logo_churn: ratio(&m.logo_churn),
                revenue_churn: pct(m.revenue_churn_percent),
                conversion: ratio(&m.sandbox_conversion),
                funnel: funnel_text(m),
                capped_accounts: m.capped_accounts,
                gross_margin: m.gross_margin.map(|g| format!("{} ({})", money(g), pct(m.gross_margin_percent))),
            },
            None => OperatorHeadline {
                month_label: "No months".to_owned(),
                mrr: money(Decimal::ZERO),
                mrr_change: None,
                accounts: 0,
                paying_accounts: 0,
                nrr: pct(None),
                grr: pct(None),
                retention_note: None,
                logo_churn: pct(None),
                revenue_churn: pct(None),
                conversion: pct(None),
                funnel: pct(None),
                capped_accounts: 0,
                gross_margin: None,
            },
        };
        let open = shown.last().filter(|m| !m.closed && month.is_some_and(|h| h.closed));
        let months = shown
            .iter()
            .map(|m| OperatorMonthRow {
                month: m.month.clone(),
                label: short_label(m),
                closed: m.closed,
                accounts: m.accounts,
                paying_accounts: m.paying_accounts,
                mrr: money(m.mrr),
                nrr: pct(m.nrr_percent),
                grr: pct(m.grr_percent),
                retention_note: m.retention_caveat(),
                logo_churn: ratio(&m.logo_churn),
                revenue_churn: pct(m.revenue_churn_percent),
                conversion: ratio(&m.sandbox_conversion),
                upgrades: m.upgrades,
                downgrades: m.downgrades,
                packs: format!("{} sold, {} used", m.credit_packs.packs_sold, money(m.credit_packs.credit_consumed)),
                funnel: funnel_text(m),
                capped_accounts: m.capped_accounts,
                gross_margin: pct(m.gross_margin_percent),
            })
            .collect();
        let tiers = month
            .map(|m| {
                m.revenue_by_tier
                    .iter()
                    .map(|t| TierRevenueRow {
                        tier: t.tier.clone(),
                        label: tier_label(&t.tier),
                        accounts: t.accounts,
                        base_fees: money(t.base_fees),
                        overage: money(t.overage),
                        revenue: money(t.revenue),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let funnel = shown
            .iter()
            .map(|m| FunnelRow {
                label: short_label(m),
                reached: m.quota_funnel.of,
                upgraded: m.quota_funnel.count,
                percent: pct(m.quota_funnel.percent),
                open_note: funnel_open_note(m.quota_funnel_open),
            })
            .collect();
        let margin = report.margin.as_ref().map(|r| {
            let row = |key: &str, name: String, tier: String, m: &Margin, flagged: bool| {
                let (revenue, cost, margin, margin_percent) = margin_cells(m, &report.currency);
                MarginRow { key: key.to_owned(), name, tier, revenue, cost, margin, margin_percent, flagged }
            };
            let below = |m: &Margin| m.margin_percent.is_some_and(|p| p < r.threshold_percent);
            MarginView {
                threshold: percent(r.threshold_percent, 0).replace(".0%", "%"),
                total: row("total", "All accounts".to_owned(), String::new(), &r.total, below(&r.total)),
                by_tier: r.by_tier.iter().map(|t| row(&t.tier, tier_label(&t.tier), t.tier.clone(), &t.margin, below(&t.margin))).collect(),
                accounts: r
                    .by_account
                    .iter()
                    .map(|a| row(&a.account_id, a.name.clone(), tier_label(&a.tier), &a.margin, a.below_threshold))
                    .collect(),
                flagged: r.by_account.iter().filter(|a| a.below_threshold).count() as u32,
            }
        });
        let span = match (shown.first(), shown.last()) {
            (Some(a), Some(b)) if a.month != b.month => format!("{} – {}", a.start.format("%b %Y"), b.start.format("%b %Y")),
            (Some(a), _) => a.start.format("%b %Y").to_string(),
            _ => String::new(),
        };
        OperatorView {
            door,
            server_url: server_url.to_owned(),
            as_of: report.as_of.format("%b %-d, %Y %H:%M UTC").to_string(),
            span,
            headline,
            month_to_date: open.map(|m| money(m.mrr)),
            month_to_date_label: open.map(|m| format!("{} to date", m.start.format("%B"))),
            months,
            tiers,
            funnel,
            margin,
            charts: OperatorChartId::ALL.iter().map(|id| OperatorChartTab { id: *id, title: id.title().to_owned() }).collect(),
        }
    }
}

/// Chart `id` of `report`, one point per month.
pub fn operator_chart(report: &OperatorReport, book: &PriceBook, id: OperatorChartId) -> MonthlyChart {
    let shown = shown_months(report);
    let months: Vec<String> = shown.iter().map(|m| m.start.format("%b %Y").to_string()).collect();
    // The current month is drawn as figures to date.
    let open_last = shown.last().is_some_and(|m| !m.closed);
    let series = |label: &str, value: &dyn Fn(&MonthMetrics) -> Option<Decimal>| MonthSeries {
        label: label.to_owned(),
        values: shown.iter().map(value).collect(),
    };
    // A rate is absent while its base is empty: say where the rates start and why, rather
    // than leave the first months blank.
    let percent_chart = |title: &str, series: Vec<MonthSeries>, reference: Option<(String, Decimal)>, why: &str| {
        let mut chart = MonthlyChart {
            title: title.to_owned(),
            months: months.clone(),
            unit: MonthlyUnit::Percent,
            series,
            reference,
            open_last,
            note: None,
            currency: report.currency.clone(),
        };
        let first = (0..months.len()).find(|m| chart.has_values(*m));
        chart.note = first.filter(|m| *m > 0).map(|m| format!("Rates start in {}: {why}.", months[m]));
        chart
    };
    const NEEDS_MONTH_BEFORE: &str = "each needs the month before, with paying accounts, as its base";
    match id {
        OperatorChartId::Revenue => {
            // Every tier of any month, in the price book's order.
            let mut tiers: Vec<&str> = shown.iter().flat_map(|m| m.revenue_by_tier.iter().map(|t| t.tier.as_str())).collect();
            tiers.sort_by_key(|t| (book.tiers.iter().position(|b| b.name == *t).unwrap_or(usize::MAX), *t));
            tiers.dedup();
            // A tier that earned nothing in any month (the free sandbox) would be a legend
            // entry without a bar.
            let earned = |tier: &str| shown.iter().flat_map(|m| &m.revenue_by_tier).any(|t| t.tier == tier && !t.revenue.is_zero());
            tiers.retain(|t| earned(t));
            let series = tiers
                .iter()
                .map(|tier| MonthSeries {
                    label: book.tier(tier).map_or_else(|| (*tier).to_owned(), |t| t.display_name().to_owned()),
                    values: shown.iter().map(|m| m.revenue_by_tier.iter().find(|t| t.tier == *tier).map(|t| t.revenue)).collect(),
                })
                .collect();
            MonthlyChart {
                title: "MRR by tier".to_owned(),
                months: months.clone(),
                unit: MonthlyUnit::Money,
                series,
                reference: None,
                open_last,
                note: None,
                currency: report.currency.clone(),
            }
        }
        OperatorChartId::Retention => percent_chart(
            "Net and gross revenue retention",
            vec![series("NRR", &|m| m.nrr_percent), series("GRR", &|m| m.grr_percent)],
            Some(("100%".to_owned(), Decimal::ONE_HUNDRED)),
            NEEDS_MONTH_BEFORE,
        ),
        OperatorChartId::Churn => percent_chart(
            "Logo and revenue churn",
            vec![series("Logo churn", &|m| m.logo_churn.percent), series("Revenue churn", &|m| m.revenue_churn_percent)],
            None,
            NEEDS_MONTH_BEFORE,
        ),
        OperatorChartId::Conversion => percent_chart(
            "Sandbox-to-paid conversion and the 80%-to-upgrade funnel",
            vec![
                series("Sandbox to paid", &|m| m.sandbox_conversion.percent),
                series("80% to upgrade in 14 days", &|m| m.quota_funnel.percent),
            ],
            None,
            "before it, no account started a month on a free tier or reached 80% of a quota",
        ),
    }
}

/// Chart `id` of `report` drawn `width_px` wide (the width the UI shows it at, so that its
/// text is drawn at its real size), with its summary.
pub fn operator_chart_image(
    report: &OperatorReport,
    book: &PriceBook,
    id: OperatorChartId,
    dark: bool,
    width_px: u32,
) -> Result<OperatorChartImage, crate::DesktopError> {
    let chart = operator_chart(report, book, id);
    Ok(OperatorChartImage { svg: crate::chart::monthly_svg(&chart, dark, width_px)?, summary: chart.summary() })
}

#[cfg(test)]
#[path = "operator_tests.rs"]
mod tests;
