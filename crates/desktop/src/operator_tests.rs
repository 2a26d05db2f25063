//! The operator's dashboard on a hand-made report: the headline is the last closed month, the
//! open month shows to date beside it, margin rows keep the engine's flags, and the charts
//! carry one value per month.

use chrono::{DateTime, Utc};
use edgecost_api::{
    AccountMargin, CreditPackActivity, Margin, MarginReport, MonthMetrics, OperatorReport, RETENTION_BASE_MIN, Ratio, TierMargin,
    TierRevenue,
};
use edgecost_charts::MonthlyUnit;
use edgecost_pricing::{Decimal, PriceBook};

use super::*;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn ratio(count: u32, of: u32, percent: Option<&str>) -> Ratio {
    Ratio { count, of, percent: percent.map(d) }
}

fn month(m: &str, start: &str, end: &str, closed: bool, mrr: &str, nrr: Option<&str>) -> MonthMetrics {
    MonthMetrics {
        month: m.into(),
        start: at(start),
        end: at(end),
        closed,
        accounts: 4,
        paying_accounts: 3,
        mrr: d(mrr),
        revenue_by_tier: vec![
            TierRevenue { tier: "production".into(), accounts: 2, base_fees: d("38.00"), overage: d("4.00"), revenue: d("42.00") },
            TierRevenue { tier: "scale".into(), accounts: 1, base_fees: d("79.00"), overage: d("0.00"), revenue: d("79.00") },
        ],
        nrr_percent: nrr.map(d),
        grr_percent: nrr.map(|_| d("95.5")),
        logo_churn: ratio(1, 4, Some("25.00")),
        churned_revenue: d("19.00"),
        revenue_churn_percent: Some(d("12.34")),
        sandbox_conversion: ratio(1, 2, Some("50.00")),
        upgrades: 1,
        downgrades: 0,
        credit_packs: CreditPackActivity { packs_sold: 2, credit_sold: d("50.00"), credit_consumed: d("13.50") },
        quota_funnel: ratio(1, 4, Some("25.00")),
        quota_funnel_open: 0,
        capped_accounts: 1,
        infrastructure_cost: Some(d("40.00")),
        gross_margin: Some(d("81.00")),
        gross_margin_percent: Some(d("66.94")),
    }
}

fn margin(revenue: &str, cost: &str, percent: Option<&str>) -> Margin {
    let (r, c) = (d(revenue), d(cost));
    Margin { revenue: r, cost: c, margin: r - c, margin_percent: percent.map(d) }
}

fn report() -> OperatorReport {
    OperatorReport {
        as_of: at("2026-12-06T15:04:00Z"),
        currency: "USD".into(),
        months: vec![
            month("2026-10", "2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z", true, "100.00", None),
            month("2026-11", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", true, "121.00", Some("104.25")),
            month("2026-12", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z", false, "98.00", Some("80")),
        ],
        margin: Some(MarginReport {
            threshold_percent: d("50"),
            total: margin("319.00", "120.00", Some("62.38")),
            by_tier: vec![TierMargin { tier: "scale".into(), margin: margin("237.00", "110.00", Some("53.59")) }],
            by_account: vec![
                AccountMargin {
                    account_id: "acct_s".into(),
                    name: "Sandy".into(),
                    tier: "sandbox".into(),
                    margin: margin("0.00", "0.40", None),
                    below_threshold: true,
                },
                AccountMargin {
                    account_id: "acct_i".into(),
                    name: "Ironbark".into(),
                    tier: "scale".into(),
                    margin: margin("352.00", "243.66", Some("30.78")),
                    below_threshold: true,
                },
            ],
        }),
    }
}

#[test]
fn the_headline_is_the_last_closed_month_with_the_open_one_to_date() {
    let view = OperatorView::of(&report(), PriceBook::published(), Door::Demo, "http://127.0.0.1:1");
    assert_eq!(view.headline.month_label, "November 2026");
    assert_eq!(view.headline.mrr, "$121.00");
    assert_eq!(view.headline.mrr_change.as_deref(), Some("+$21.00 (+21.00%) on October"));
    // The engine's percentages are shown as they come, to two places: never rounded twice.
    assert_eq!(view.headline.nrr, "104.25%");
    assert_eq!(view.headline.logo_churn, "1 of 4 (25.00%)");
    assert_eq!(view.headline.gross_margin.as_deref(), Some("$81.00 (66.94%)"));
    assert_eq!((view.month_to_date.as_deref(), view.month_to_date_label.as_deref()), (Some("$98.00"), Some("December to date")));
    assert_eq!(view.span, "Oct 2026 – Dec 2026");
    assert_eq!(view.as_of, "Dec 6, 2026 15:04 UTC");
    // October has no month before it in the report: no retention, shown as a dash.
    assert_eq!((view.months[0].nrr.as_str(), view.months[2].label.as_str()), ("—", "Dec 2026 (to date)"));
    assert_eq!(view.months[1].packs, "2 sold, $13.50 used");
    let tiers: Vec<(&str, &str)> = view.tiers.iter().map(|t| (t.label.as_str(), t.revenue.as_str())).collect();
    assert_eq!(tiers, [("Production", "$42.00"), ("Scale", "$79.00")]);
    assert_eq!((view.funnel[1].reached, view.funnel[1].upgraded, view.funnel[1].percent.as_str()), (4, 1, "25.00%"));
    assert_eq!(view.funnel[1].open_note, "", "November's 14 days are over for every account");
    // Accounts that reached 80% days ago may still upgrade: said beside the share, which can
    // still rise, in the table and the headline.
    let mut r = report();
    r.months[1].quota_funnel_open = 2;
    let view = OperatorView::of(&r, PriceBook::published(), Door::Demo, "http://127.0.0.1:1");
    assert_eq!(view.funnel[1].open_note, "2 still within their 14 days");
    assert_eq!(view.headline.funnel, "1 of 4 (25.00%), 2 still within their 14 days");

    let margin = view.margin.unwrap();
    assert_eq!((margin.threshold.as_str(), margin.flagged), ("50%", 2));
    let ironbark = &margin.accounts[1];
    assert_eq!((ironbark.revenue.as_str(), ironbark.cost.as_str(), ironbark.margin.as_str()), ("$352.00", "$243.66", "$108.34"));
    assert_eq!((ironbark.margin_percent.as_str(), ironbark.tier.as_str(), ironbark.flagged), ("30.78%", "Scale", true));
    assert_eq!(margin.accounts[0].margin_percent, "—");
    assert_eq!(view.charts.len(), 4);
}

#[test]
fn a_report_with_only_the_open_month_heads_with_it_and_an_empty_one_says_so() {
    let mut r = report();
    r.months.drain(..2);
    let view = OperatorView::of(&r, PriceBook::published(), Door::Operator, "https://billing.example.com");
    assert_eq!(view.headline.month_label, "December 2026 (to date)");
    assert_eq!(view.month_to_date, None);
    r.months.clear();
    r.margin = None;
    let view = OperatorView::of(&r, PriceBook::published(), Door::Operator, "https://billing.example.com");
    assert_eq!((view.headline.month_label.as_str(), view.headline.mrr.as_str()), ("No months", "$0.00"));
    assert!(view.months.is_empty() && view.tiers.is_empty() && view.margin.is_none());
}

#[test]
fn the_charts_carry_a_value_per_month_in_the_books_tier_order() {
    let r = report();
    let revenue = operator_chart(&r, PriceBook::published(), OperatorChartId::Revenue);
    assert_eq!(revenue.unit, MonthlyUnit::Money);
    let labels: Vec<&str> = revenue.series.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["Production", "Scale"]);
    assert_eq!(revenue.series[1].values, vec![Some(d("79.00")); 3]);
    let retention = operator_chart(&r, PriceBook::published(), OperatorChartId::Retention);
    assert_eq!(retention.series[0].values, vec![None, Some(d("104.25")), Some(d("80"))]);
    assert_eq!(retention.reference, Some(("100%".to_owned(), Decimal::ONE_HUNDRED)));
    for id in OperatorChartId::ALL {
        let svg = crate::chart::monthly_svg(&operator_chart(&r, PriceBook::published(), id), false, 960).unwrap();
        assert!(svg.contains("Nov 2026"), "{id:?}");
    }
    // December is open: every chart draws it as figures to date, the revenue bars saying so.
    assert!(OperatorChartId::ALL.iter().all(|&id| operator_chart(&r, PriceBook::published(), id).open_last));
    let svg = crate::chart::monthly_svg(&revenue, false, 960).unwrap();
    assert!(svg.contains("to date"), "{svg}");
    let mut closed = r.clone();
    closed.months.last_mut().unwrap().closed = true;
    assert!(!operator_chart(&closed, PriceBook::published(), OperatorChartId::Revenue).open_last);
}

#[test]
fn months_before_the_first_account_are_left_out() {
    let mut r = report();
    let mut empty = month("2026-09", "2026-09-01T00:00:00Z", "2026-10-01T00:00:00Z", true, "0.00", None);
    empty.accounts = 0;
    empty.revenue_by_tier.clear();
    r.months.insert(0, empty);
    let view = OperatorView::of(&r, PriceBook::published(), Door::Demo, "http://127.0.0.1:1");
    assert_eq!(view.months.first().map(|m| m.month.as_str()), Some("2026-10"));
    assert_eq!(view.span, "Oct 2026 – Dec 2026");
    assert_eq!(operator_chart(&r, PriceBook::published(), OperatorChartId::Churn).months.len(), 3);
}

#[test]
fn charts_are_drawn_at_the_width_they_are_shown_so_their_text_keeps_its_size() {
    let r = report();
    // The chart column of an 880 x 600 window is about 780 px wide: the image is drawn at that
    // width and shown unscaled, so each text is as many pixels tall as the SVG says.
    for (shown_px, drawn_px) in [(780, 780.0), (1100, 1100.0), (200, 480.0), (5_000, 1_600.0)] {
        for id in OperatorChartId::ALL {
            let image = operator_chart_image(&r, PriceBook::published(), id, true, shown_px).unwrap();
            let edgecost_charts::SvgSize { width_px: width, font_sizes_px: sizes } = edgecost_charts::svg_size(&image.svg).unwrap();
            assert_eq!(width, drawn_px, "{id:?}");
            let shown_scale = (f64::from(shown_px) / width).min(1.0);
            if shown_px >= crate::chart::CHART_WIDTH_MIN_PX {
                assert!(!sizes.is_empty() && sizes.iter().all(|px| px * shown_scale >= 11.0), "{id:?} at {shown_px}: {sizes:?}");
            }
        }
    }
}

#[test]
fn a_rate_chart_says_where_its_rates_start_and_its_summary_reads_the_latest_months() {
    let r = report();
    // October is the report's first month: no month before it, so no retention.
    let retention = operator_chart(&r, PriceBook::published(), OperatorChartId::Retention);
    let note = retention.note.clone().expect("a note on the empty first month");
    assert!(note.starts_with("Rates start in Nov 2026: each needs the month before"), "{note}");
    let image = operator_chart_image(&r, PriceBook::published(), OperatorChartId::Retention, false, 800).unwrap();
    assert!(image.svg.contains(&note));
    // The summary: the last closed month and the open one to date, from the report's figures.
    assert!(image.summary.starts_with("Net and gross revenue retention, Oct 2026 to Dec 2026."), "{}", image.summary);
    assert!(image.summary.contains("Nov 2026: NRR 104.3%, GRR 95.5%."), "{}", image.summary);
    assert!(image.summary.contains("Dec 2026 to date: NRR 80%, GRR 95.5%."), "{}", image.summary);
    assert!(image.summary.ends_with(&note), "{}", image.summary);
    // Every month has a conversion rate: nothing to explain. Revenue has no rates at all.
    assert_eq!(operator_chart(&r, PriceBook::published(), OperatorChartId::Conversion).note, None);
    assert_eq!(operator_chart(&r, PriceBook::published(), OperatorChartId::Revenue).note, None);
    let revenue = operator_chart_image(&r, PriceBook::published(), OperatorChartId::Revenue, false, 800).unwrap();
    assert!(revenue.summary.contains("Nov 2026: $121.00 (Production $42.00, Scale $79.00)."), "{}", revenue.summary);
}

#[test]
fn retention_of_a_small_base_carries_a_caveat() {
    let mut r = report();
    // November's base: the four accounts of the fixture's logo churn ("1 of 4").
    let view = OperatorView::of(&r, PriceBook::published(), Door::Demo, "http://127.0.0.1:1");
    let caveat = "Based on 4 accounts paying the month before: too few to read as a trend.";
    assert_eq!(view.headline.retention_note.as_deref(), Some(caveat));
    assert_eq!(view.months[1].retention_note.as_deref(), Some(caveat));
    // October has no retention at all: nothing to qualify.
    assert_eq!(view.months[0].retention_note, None);

    r.months[1].logo_churn = ratio(0, 1, Some("0.00"));
    let view = OperatorView::of(&r, PriceBook::published(), Door::Demo, "http://127.0.0.1:1");
    assert_eq!(view.headline.retention_note.as_deref(), Some("Based on 1 account paying the month before: too few to read as a trend."));
    r.months[1].logo_churn = ratio(1, RETENTION_BASE_MIN, Some("20.00"));
    let view = OperatorView::of(&r, PriceBook::published(), Door::Demo, "http://127.0.0.1:1");
    assert_eq!(view.headline.retention_note, None, "a base of {RETENTION_BASE_MIN} is read as it is");
}
