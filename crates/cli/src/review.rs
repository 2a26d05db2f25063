//! The cost review of a plan change, as a pull-request comment (Markdown) and as GitHub
//! workflow annotations for CI logs. Pure: it takes the diff and the checks, returns text.

use edgecost_planner::{Change, PlanDiff, RouteDiff};
use edgecost_pricing::Recommendation;
use edgecost_pricing::format::{meter_quantity, money_in, signed_money_in, signed_percent};
use edgecost_pricing::{Decimal, Meter};

/// Everything a review says: the diff, what it compares, and the checks that tripped.
pub struct Review<'a> {
    /// How the old and new plans were named on the command line (`main:plans/api.yaml`).
    pub old_label: &'a str,
    pub new_label: &'a str,
    pub diff: &'a PlanDiff,
    /// The price book's currency, which every amount is written in.
    pub currency: &'a str,
    pub old_recommendation: Option<&'a Recommendation>,
    pub new_recommendation: Option<&'a Recommendation>,
    /// `--warn-*` limits passed: reported, exit code 0.
    pub warnings: &'a [String],
    /// `--fail-*` limits passed: reported, exit code 1.
    pub failures: &'a [String],
}

/// Decimal places of the percent change shown to people.
const PERCENT_PLACES: u32 = 1;

/// The monthly change as a signed percent of the old bill, rounded half away from zero by
/// `signed_percent`; `None` when the old bill is zero (no percent of nothing).
pub fn percent_change(d: &PlanDiff) -> Option<String> {
    if d.old_total.is_zero() {
        return None;
    }
    let hundred = Decimal::ONE_HUNDRED;
    // Exact up to Decimal's 28 digits; the one rounding is the display's.
    let ratio = d.total_change.checked_mul(hundred)?.checked_div(d.old_total)?;
    Some(signed_percent(ratio, PERCENT_PLACES))
}

/// `$22.04 -> $29.00 (+$6.96, +31.6%)`.
fn total_line(d: &PlanDiff, arrow: &str, currency: &str) -> String {
    let money = |amount: Decimal| money_in(amount, currency);
    let change = match percent_change(d) {
        Some(p) => format!("{}, {p}", signed_money_in(d.total_change, currency)),
        None => signed_money_in(d.total_change, currency),
    };
    format!("{} {arrow} {} ({change})", money(d.old_total), money(d.new_total))
}

/// The routes whose plan entry the change touched: added, removed and edited ones, biggest
/// absolute cost change first (ties keep the diff's order: new plan's order, then removed routes).
pub fn edited_routes(d: &PlanDiff) -> Vec<&RouteDiff> {
    routes_where(d, |c| matches!(c, Change::Added | Change::Removed | Change::Edited))
}

/// The routes nobody edited whose cost moved all the same (the overage split again, another
/// tier, a shared middleware entry or region split), biggest absolute cost change first.
pub fn moved_routes(d: &PlanDiff) -> Vec<&RouteDiff> {
    routes_where(d, |c| c == Change::CostMoved)
}

fn routes_where(d: &PlanDiff, keep: impl Fn(Change) -> bool) -> Vec<&RouteDiff> {
    let mut routes: Vec<&RouteDiff> = d.routes.iter().filter(|r| keep(r.change)).collect();
    routes.sort_by_key(|r| std::cmp::Reverse(r.cost_change.abs()));
    routes
}

/// Why a route that nobody edited shows a cost change, for every format that lists one.
pub const COST_MOVED_NOTE: &str = "\"cost moved\": the route's entry was not edited; its share of the overage moved with other \
     routes' edits, the tier, or a middleware entry or region split it uses.";

/// How a route changed, as every format of the diff words it (the planner's wording).
pub fn change_label(r: &RouteDiff) -> String {
    edgecost_planner::change_label(r.change, &r.edited)
}

/// The one-line verdict: failures first, then warnings, then the direction of the change.
pub fn verdict(r: &Review) -> String {
    if !r.failures.is_empty() {
        return format!("fails the cost check: {}.", r.failures.join("; "));
    }
    if !r.warnings.is_empty() {
        return format!("passes with a warning: {}.", r.warnings.join("; "));
    }
    let d = r.diff;
    let money = |amount: Decimal| money_in(amount, r.currency);
    if d.total_change > Decimal::ZERO {
        format!("this change costs {} more a month.", money(d.total_change))
    } else if d.total_change < Decimal::ZERO {
        format!("this change saves {} a month.", money(d.total_change.abs()))
    } else {
        "no change to the monthly bill.".to_owned()
    }
}

fn requests_cell(r: &RouteDiff) -> String {
    let count = |q: Decimal| meter_quantity(Meter::Requests, q);
    match r.change {
        Change::Added => count(r.new_requests),
        Change::Removed => count(r.old_requests),
        _ if r.old_requests == r.new_requests => count(r.new_requests),
        _ => format!("{} → {}", count(r.old_requests), count(r.new_requests)),
    }
}

/// Inline code for a Markdown table cell: a fence longer than any backtick run inside, and
/// pipes escaped so the cell does not split.
fn md_code(text: &str) -> String {
    let longest_run = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{}{pad}{fence}", text.replace('|', "\\|"))
}

fn recommendation_text(r: Option<&Recommendation>) -> String {
    r.map_or_else(|| "no tier carries this usage without capping it".to_owned(), |r| r.summary.clone())
}

/// A Markdown table of routes with their change and cost, ending with a blank line.
fn route_table(routes: &[&RouteDiff], currency: &str) -> String {
    let money = |amount: Decimal| money_in(amount, currency);
    let mut out = String::from("| Route | Change | Requests | Old cost | New cost | Cost change |\n");
    out.push_str("| --- | --- | ---: | ---: | ---: | ---: |\n");
    for route in routes {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            md_code(&route.path),
            change_label(route).replace('|', "\\|"),
            requests_cell(route),
            money(route.old_cost),
            money(route.new_cost),
            signed_money_in(route.cost_change, currency)
        ));
    }
    out.push('\n');
    out
}

/// The pull-request comment.
pub fn markdown(r: &Review) -> String {
    let d = r.diff;
    let money = |amount: Decimal| money_in(amount, r.currency);
    let mut out = format!("### Cost review: {} → {}\n\n", md_code(r.old_label), md_code(r.new_label));
    out.push_str(&format!("**Monthly bill:** {}\n\n", total_line(d, "→", r.currency)));

    let routes = edited_routes(d);
    if routes.is_empty() {
        out.push_str("No route edited.\n\n");
    } else {
        out.push_str(&route_table(&routes, r.currency));
    }
    let moved = moved_routes(d);
    if !moved.is_empty() {
        let s = if moved.len() == 1 { "" } else { "s" };
        out.push_str(&format!("**Not edited, cost moved** ({} route{s}):\n\n", moved.len()));
        out.push_str(&route_table(&moved, r.currency));
        out.push_str(&format!("{COST_MOVED_NOTE}\n\n"));
    }
    let unchanged: Vec<&RouteDiff> = d.routes.iter().filter(|r| r.change == Change::Unchanged).collect();
    if !unchanged.is_empty() {
        let cost = unchanged.iter().fold(Decimal::new(0, 2), |sum, r| sum + r.new_cost);
        let s = if unchanged.len() == 1 { "" } else { "s" };
        out.push_str(&format!("{} unchanged route{s} ({} a month) not shown.\n\n", unchanged.len(), money(cost)));
    }

    if d.old_tier == d.new_tier {
        out.push_str(&format!("**Tier:** {} (unchanged)\n\n", d.new_tier));
    } else {
        out.push_str(&format!("**Tier:** {} → {}\n\n", d.old_tier, d.new_tier));
    }
    // The recommended tier is what a reviewer weighs; the new summary carries the amounts.
    let tier_of = |rec: Option<&Recommendation>| rec.map_or_else(|| "none".to_owned(), |rec| rec.tier.clone());
    let (old_best, new_best) = (tier_of(r.old_recommendation), tier_of(r.new_recommendation));
    let new_rec = recommendation_text(r.new_recommendation);
    if old_best == new_best {
        out.push_str(&format!("**Recommendation:** {new_rec}\n\n"));
    } else {
        out.push_str(&format!("**Recommended tier:** {old_best} → {new_best}. {new_rec}\n\n"));
    }
    out.push_str(&format!("**Verdict:** {}\n\n", verdict(r)));
    out.push_str("<sub>Route costs are each route's share of the overage lines; the base fee is not split. ");
    out.push_str("Generated by `edgecost diff`.</sub>\n");
    out
}

/// Escapes an annotation's message as the GitHub Actions runner reads it.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes an annotation property (`title`, `file`).
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn annotation(level: &str, file: Option<&str>, title: &str, message: &str) -> String {
    let file = file.map_or_else(String::new, |f| format!("file={},", escape_property(f)));
    format!("::{level} {file}title={}::{}\n", escape_property(title), escape_data(message))
}

/// Workflow annotations (one notice with the change, a warning per `--warn-*` limit passed,
/// an error per `--fail-*` limit passed) followed by the plain-text summary for the log.
/// `file` is the new plan's path in the checkout, when it is one, so annotations point at it.
pub fn github(r: &Review, file: Option<&str>, summary: &str) -> String {
    let d = r.diff;
    let mut out = annotation(
        "notice",
        file,
        "edgecost cost diff",
        &format!("{}: monthly bill {} on {}", r.new_label, total_line(d, "->", r.currency), d.new_tier),
    );
    for w in r.warnings {
        out.push_str(&annotation("warning", file, "edgecost cost warning", w));
    }
    for f in r.failures {
        out.push_str(&annotation("error", file, "edgecost cost check failed", f));
    }
    out.push_str(summary);
    if !summary.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&format!("Verdict: {}\n", verdict(r)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn plan_diff(old: &str, new: &str) -> PlanDiff {
        PlanDiff {
            old_tier: "production".into(),
            new_tier: "production".into(),
            old_total: d(old),
            new_total: d(new),
            total_change: d(new) - d(old),
            routes: Vec::new(),
        }
    }

    #[test]
    fn percent_change_rounds_half_away_from_zero_and_skips_a_zero_base() {
        // 1.25 / 20 = 6.25% -> 6.3%; -1.25 / 20 = -6.25% -> -6.3%.
        assert_eq!(percent_change(&plan_diff("20.00", "21.25")).as_deref(), Some("+6.3%"));
        assert_eq!(percent_change(&plan_diff("20.00", "18.75")).as_deref(), Some("-6.3%"));
        assert_eq!(percent_change(&plan_diff("20.00", "20.00")).as_deref(), Some("0.0%"));
        assert_eq!(percent_change(&plan_diff("0.00", "5.00")), None);
    }

    #[test]
    fn annotations_escape_what_the_runner_would_read_as_syntax() {
        let line = annotation("warning", Some("plans/a,b.yaml"), "cost: up", "grew 50%\nby $5");
        assert_eq!(line, "::warning file=plans/a%2Cb.yaml,title=cost%3A up::grew 50%25%0Aby $5\n");
    }

    #[test]
    fn markdown_code_cells_survive_pipes_and_backticks() {
        assert_eq!(md_code("/a|b"), "`/a\\|b`");
        assert_eq!(md_code("/a`b"), "``/a`b``");
        assert_eq!(md_code("`x"), "`` `x ``");
    }
}
