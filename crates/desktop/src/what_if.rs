//! The operator's what-if in the app: a price book file picked from disk (the shell shows the
//! dialog; the UI never names a path), sent to the engine (`POST /v1/admin/what-if`), and its
//! answer laid out. The engine re-rates; this only formats.

use std::path::Path;

use edgecost_api::{Margin, RevenueChange, WhatIfAccount, WhatIfReport};
use edgecost_pricing::format::{money_in, percent, signed_money_in, signed_percent};
use edgecost_pricing::{Decimal, PriceBook};
use serde::{Deserialize, Serialize};

use crate::error::DesktopError;

/// The largest price book file the app reads: the published book is about 2 kB.
pub const PRICE_BOOK_BYTES_MAX: u64 = 1024 * 1024;

/// A price book file as picked: its name for the page and its text for the engine, checked
/// here first so a mistake shows at its line and column without a round trip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PickedPriceBook {
    pub file_name: String,
    pub text: String,
}

impl PickedPriceBook {
    /// Reads and checks the price book at `path` (YAML, or JSON by its extension, as
    /// `edgecost admin what-if` reads it). The text sent is JSON for a JSON file, so the
    /// engine reads it the same way.
    pub fn read(path: &Path) -> Result<PickedPriceBook, DesktopError> {
        let read_error = |detail: String| DesktopError::Read { path: path.display().to_string(), detail };
        let size = std::fs::metadata(path).map_err(|e| read_error(e.to_string()))?.len();
        if size > PRICE_BOOK_BYTES_MAX {
            return Err(read_error(format!("{size} bytes; a price book is at most {PRICE_BOOK_BYTES_MAX}")));
        }
        let file_name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        let book = PriceBook::load(path)
            .map_err(|e| DesktopError::PriceBook { detail: e.to_string().replacen(&path.display().to_string(), &file_name, 1) })?;
        // Sent as the book's own JSON: what was checked here is what the engine reads.
        Ok(PickedPriceBook { file_name, text: book.to_json() })
    }
}

/// Before, after and the change of one line of the what-if.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ChangeRow {
    /// The tier's or account's id; `total` for the total.
    pub key: String,
    pub label: String,
    /// The tier an account is on; empty for tiers and the total.
    pub tier: String,
    /// Account-months a tier's sums cover; `None` for accounts and the total.
    pub account_months: Option<u32>,
    pub before: String,
    pub after: String,
    /// `+$12.00`, `-$3.50`, `$0.00`.
    pub change: String,
    /// `+4.2%`; `—` when before is zero.
    pub change_percent: String,
    /// `up`, `down` or `none`, for the colour.
    pub direction: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CheapestChangeRow {
    pub account_id: String,
    pub name: String,
    pub tier: String,
    pub before: String,
    pub after: String,
}

/// An account the what-if left out, with the tier (its label) the tried book cannot price.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct UnratedRow {
    pub account_id: String,
    pub name: String,
    pub tier: String,
}

/// The what-if as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct WhatIfView {
    /// The price book file tried.
    pub file_name: String,
    /// `Sep 2026 – Nov 2026`.
    pub months: String,
    pub total: ChangeRow,
    pub tiers: Vec<ChangeRow>,
    pub rises: Vec<ChangeRow>,
    pub falls: Vec<ChangeRow>,
    pub cheapest_tier_changes: Vec<CheapestChangeRow>,
    /// `$1,234.00 revenue − $456.00 cost = $778.00 (63.0%)`; `None` without infrastructure cost.
    pub margin_before: Option<String>,
    pub margin_after: Option<String>,
    /// Accounts left out: their tier is not priced in the tried book.
    pub unrated: Vec<UnratedRow>,
}

fn change_row(currency: &str, key: &str, label: String, tier: String, account_months: Option<u32>, c: &RevenueChange) -> ChangeRow {
    let direction = match c.change.cmp(&Decimal::ZERO) {
        std::cmp::Ordering::Greater => "up",
        std::cmp::Ordering::Less => "down",
        std::cmp::Ordering::Equal => "none",
    };
    ChangeRow {
        key: key.to_owned(),
        label,
        tier,
        account_months,
        before: money_in(c.before, currency),
        after: money_in(c.after, currency),
        change: signed_money_in(c.change, currency),
        change_percent: c.change_percent.map_or_else(|| "—".to_owned(), |p| signed_percent(p, 1)),
        direction: direction.to_owned(),
    }
}

fn margin_text(m: &Margin, currency: &str) -> String {
    let money = |amount: Decimal| money_in(amount, currency);
    let share = m.margin_percent.map_or_else(|| "—".to_owned(), |p| percent(p, 1));
    format!("{} revenue − {} cost = {} ({share})", money(m.revenue), money(m.cost), money(m.margin))
}

impl WhatIfView {
    /// The view of `report`, for the book in `file_name`; `book` names the tiers.
    pub fn of(report: &WhatIfReport, book: &PriceBook, file_name: &str) -> WhatIfView {
        let tier_label = |tier: &str| book.tier(tier).map_or_else(|| tier.to_owned(), |t| t.display_name().to_owned());
        let account =
            |a: &WhatIfAccount| change_row(&report.currency, &a.account_id, a.name.clone(), tier_label(&a.tier), None, &a.revenue);
        let months = match (report.months.first(), report.months.last()) {
            (Some(a), Some(b)) if a != b => format!("{} – {}", month_label(a), month_label(b)),
            (Some(a), _) => month_label(a),
            _ => "no closed month".to_owned(),
        };
        let none = || "—".to_owned();
        WhatIfView {
            file_name: file_name.to_owned(),
            months,
            total: change_row(&report.currency, "total", "Total".to_owned(), String::new(), None, &report.total),
            tiers: report
                .by_tier
                .iter()
                .map(|t| change_row(&report.currency, &t.tier, tier_label(&t.tier), t.tier.clone(), Some(t.account_months), &t.revenue))
                .collect(),
            rises: report.rises.iter().map(account).collect(),
            falls: report.falls.iter().map(account).collect(),
            cheapest_tier_changes: report
                .cheapest_tier_changes
                .iter()
                .map(|c| CheapestChangeRow {
                    account_id: c.account_id.clone(),
                    name: c.name.clone(),
                    tier: tier_label(&c.tier),
                    before: c.before.as_deref().map_or_else(none, tier_label),
                    after: c.after.as_deref().map_or_else(none, tier_label),
                })
                .collect(),
            margin_before: report.margin_before.as_ref().map(|m| margin_text(m, &report.currency)),
            margin_after: report.margin_after.as_ref().map(|m| margin_text(m, &report.currency)),
            unrated: report
                .unrated
                .iter()
                .map(|u| UnratedRow { account_id: u.account_id.clone(), name: u.name.clone(), tier: tier_label(&u.tier) })
                .collect(),
        }
    }
}

/// `2026-11` as `Nov 2026`.
fn month_label(month: &str) -> String {
    let parsed = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d");
    parsed.map_or_else(|_| month.to_owned(), |d| d.format("%b %Y").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn change(before: &str, after: &str) -> RevenueChange {
        let (b, a) = (d(before), d(after));
        RevenueChange {
            before: b,
            after: a,
            change: a - b,
            change_percent: (!b.is_zero()).then(|| ((a - b) * Decimal::ONE_HUNDRED / b).round_dp(2)),
        }
    }

    #[test]
    fn the_view_formats_the_engines_figures_with_their_direction() {
        let report = WhatIfReport {
            as_of: "2026-12-06T15:00:00Z".parse().unwrap(),
            months: vec!["2026-09".into(), "2026-11".into()],
            currency: "USD".into(),
            total: change("100.00", "112.50"),
            by_tier: vec![edgecost_api::WhatIfTier { tier: "production".into(), account_months: 3, revenue: change("57.00", "72.00") }],
            rises: vec![WhatIfAccount {
                account_id: "acct_1".into(),
                name: "Acme".into(),
                tier: "scale".into(),
                revenue: change("79.00", "87.00"),
            }],
            falls: vec![WhatIfAccount {
                account_id: "acct_2".into(),
                name: "Zed".into(),
                tier: "production".into(),
                revenue: change("19.00", "14.00"),
            }],
            cheapest_tier_changes: vec![edgecost_api::CheapestTierChange {
                account_id: "acct_2".into(),
                name: "Zed".into(),
                tier: "production".into(),
                before: Some("production".into()),
                after: None,
            }],
            margin_before: Some(Margin { revenue: d("100.00"), cost: d("40.00"), margin: d("60.00"), margin_percent: Some(d("60.00")) }),
            margin_after: None,
            unrated: vec![edgecost_api::UnratedAccount { account_id: "acct_3".into(), name: "Ada".into(), tier: "scale".into() }],
        };
        let view = WhatIfView::of(&report, PriceBook::published(), "next.yaml");
        assert_eq!(view.months, "Sep 2026 – Nov 2026");
        assert_eq!((view.total.before.as_str(), view.total.after.as_str(), view.total.change.as_str()), ("$100.00", "$112.50", "+$12.50"));
        assert_eq!((view.total.change_percent.as_str(), view.total.direction.as_str()), ("+12.5%", "up"));
        assert_eq!((view.tiers[0].label.as_str(), view.tiers[0].account_months), ("Production", Some(3)));
        assert_eq!((view.falls[0].change.as_str(), view.falls[0].direction.as_str()), ("-$5.00", "down"));
        assert_eq!((view.cheapest_tier_changes[0].before.as_str(), view.cheapest_tier_changes[0].after.as_str()), ("Production", "—"));
        assert_eq!(view.margin_before.as_deref(), Some("$100.00 revenue − $40.00 cost = $60.00 (60.0%)"));
        // A left-out account reads by its name and its tier's label.
        assert_eq!(view.unrated, [UnratedRow { account_id: "acct_3".into(), name: "Ada".into(), tier: "Scale".into() }]);
    }

    #[test]
    fn a_picked_book_is_checked_before_it_is_sent() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("next.yaml");
        std::fs::write(&good, PriceBook::published_yaml().replace("base_fee: \"19.00\"", "base_fee: \"24.00\"")).unwrap();
        let picked = PickedPriceBook::read(&good).unwrap();
        assert_eq!(picked.file_name, "next.yaml");
        assert_eq!(PriceBook::from_json_str(&picked.text, "sent").unwrap().tier("production").unwrap().base_fee, Some(d("24.00")));

        let bad = dir.path().join("bad.yaml");
        std::fs::write(&bad, "version: 1\ncurrency: USD\ntiers: [\n").unwrap();
        let err = PickedPriceBook::read(&bad).unwrap_err();
        assert_eq!(err.code(), "price_book_invalid");
        assert!(err.to_string().starts_with("bad.yaml:"), "{err}");
    }
}
