//! The route editor's session against real plan files: what a person sees after each edit
//! equals a fresh estimate of the edited plan, undo and redo walk back and forth exactly, and a
//! saved plan reopens with the same numbers.

use std::path::PathBuf;

use edgecost_desktop::{PlanEdit, PlanSession, RegionShare, RouteFields, RouteStatus, check_yaml};
use edgecost_planner::{Estimator, Plan};
use edgecost_pricing::PriceBook;
use edgecost_pricing::format::money;

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples").join(name)
}

/// A copy of an example plan in a scratch folder, so saving never touches the repository.
fn scratch_copy(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::copy(example(name), &path).unwrap();
    (dir, path)
}

fn fresh_total(plan: &Plan) -> String {
    money(Estimator::new(plan.clone(), PriceBook::published()).unwrap().bill().unwrap().total)
}

fn with_traffic(fields: &RouteFields, requests_per_month: &str) -> RouteFields {
    RouteFields { requests_per_month: Some(requests_per_month.into()), requests_per_second: None, ..fields.clone() }
}

#[test]
fn an_edited_route_re_prices_the_plan_like_a_fresh_estimate() {
    let (_dir, path) = scratch_copy("small-api.yaml");
    let mut s = PlanSession::open(&path).unwrap();
    let before = s.summary().unwrap();
    assert!(!before.dirty);
    assert_eq!(before.bill.total, fresh_total(s.plan()));
    assert_eq!(before.saved_total.as_deref(), Some(before.bill.total.as_str()));

    let row = s.rows(0, 10).unwrap().rows[0].clone();
    let answer = s.edit(PlanEdit::SetRoute { index: 0, route: with_traffic(&row.fields, "900000") }, 0, 10).unwrap();
    assert!(answer.summary.dirty);
    assert_eq!(answer.summary.bill.total, fresh_total(s.plan()));
    assert_ne!(answer.summary.bill.total, before.bill.total);
    assert_eq!(answer.summary.total_change.as_deref().unwrap().chars().next(), Some('+'));
    assert_eq!(answer.rows.rows[0].status, RouteStatus::Changed);
    assert!(answer.rows.rows[0].cost_change.is_some());
    assert_eq!(answer.rows.rows[2].status, RouteStatus::Unchanged);
    // Every tier side by side, one marked the cheapest.
    assert!(answer.summary.tiers.len() >= 3);
    assert_eq!(answer.summary.tiers.iter().filter(|t| t.recommended).count(), 1);
    // The per-route costs add up to the bill's overage.
    let overage: edgecost_pricing::Decimal = answer
        .rows
        .rows
        .iter()
        .map(|r| r.cost.trim_start_matches('$').replace(',', "").parse::<edgecost_pricing::Decimal>().unwrap())
        .sum();
    assert_eq!(money(overage), answer.summary.bill.overage_total);
}

#[test]
fn undo_and_redo_are_inverse_edits_back_to_the_saved_plan() {
    let (_dir, path) = scratch_copy("busy-multi-region.yaml");
    let mut s = PlanSession::open(&path).unwrap();
    let saved = s.plan().clone();
    let row = s.rows(0, 1).unwrap().rows[0].clone();
    let edits = vec![
        PlanEdit::SetRoute { index: 0, route: with_traffic(&row.fields, "5000000") },
        PlanEdit::DuplicateRoute { index: 1 },
        PlanEdit::RemoveRoute { index: 0 },
        PlanEdit::MoveRoute { from: 0, to: 2 },
        PlanEdit::SetRegions {
            shares: vec![
                RegionShare { region: "na".into(), share: "0.7".into() },
                RegionShare { region: "eu".into(), share: "0.3".into() },
            ],
        },
        PlanEdit::SetTier { tier: "scale".into() },
        PlanEdit::SetMiddleware {
            name: "compress".into(),
            middleware: edgecost_desktop::MiddlewareFields { compute_ms: "2".into(), egress_ratio: Some("0.3".into()), hit_ratio: None },
        },
        PlanEdit::SetMiddleware {
            name: "waf".into(),
            middleware: edgecost_desktop::MiddlewareFields { compute_ms: "0.3".into(), egress_ratio: None, hit_ratio: None },
        },
    ];
    let mut undo = Vec::new();
    let mut states = vec![s.plan().clone()];
    for e in edits {
        undo.push(s.apply(e).unwrap());
        states.push(s.plan().clone());
        assert_eq!(s.summary().unwrap().bill.total, fresh_total(s.plan()));
    }
    let edited = s.plan().clone();
    let mut redo = Vec::new();
    while let Some(inverse) = undo.pop() {
        redo.push(s.apply(inverse).unwrap());
        states.pop();
        assert_eq!(s.plan(), states.last().unwrap());
    }
    assert_eq!(*s.plan(), saved);
    assert!(!s.summary().unwrap().dirty, "undo back to the saved plan is not a change");
    while let Some(e) = redo.pop() {
        undo.push(s.apply(e).unwrap());
    }
    assert_eq!(*s.plan(), edited);
}

#[test]
fn a_refused_edit_changes_nothing_and_says_why() {
    let (_dir, path) = scratch_copy("small-api.yaml");
    let mut s = PlanSession::open(&path).unwrap();
    let before = s.plan().clone();
    let row = s.rows(0, 2).unwrap().rows[1].clone();
    let clash = RouteFields { path: "/api/orders".into(), ..row.fields.clone() };
    assert_eq!(s.apply(PlanEdit::SetRoute { index: 1, route: clash }).unwrap_err().code(), "duplicate_route");
    let unknown = RouteFields { middleware: vec!["nope".into()], ..row.fields.clone() };
    assert_eq!(s.apply(PlanEdit::SetRoute { index: 1, route: unknown }).unwrap_err().code(), "unknown_middleware");
    let garbled = RouteFields { compute_ms: "fast".into(), ..row.fields };
    assert_eq!(s.apply(PlanEdit::SetRoute { index: 1, route: garbled }).unwrap_err().code(), "bad_quantity");
    let shares = vec![RegionShare { region: "na".into(), share: "0.5".into() }];
    assert_eq!(s.apply(PlanEdit::SetRegions { shares }).unwrap_err().code(), "region_shares_not_one");
    assert_eq!(s.apply(PlanEdit::RemoveMiddleware { name: "auth".into() }).unwrap_err().code(), "middleware_in_use");
    assert_eq!(*s.plan(), before);
    assert!(!s.summary().unwrap().dirty);
}

#[test]
fn saved_plans_reopen_with_the_same_numbers_and_read_as_plan_files() {
    let (dir, path) = scratch_copy("small-api.yaml");
    let mut s = PlanSession::open(&path).unwrap();
    let row = s.rows(0, 1).unwrap().rows[0].clone();
    s.apply(PlanEdit::SetRoute { index: 0, route: with_traffic(&row.fields, "1234567") }).unwrap();
    let edited = s.summary().unwrap();
    let target = dir.path().join("edited.yaml");
    s.save(Some(&target)).unwrap();
    let after_save = s.summary().unwrap();
    assert!(!after_save.dirty);
    assert_eq!(after_save.file_name.as_deref(), Some("edited.yaml"));
    assert_eq!(after_save.saved_total.as_deref(), Some(edited.bill.total.as_str()));
    assert_eq!(after_save.total_change.as_deref(), Some("$0.00"));

    // The file is the CLI's plan format, and reopening it shows the same numbers.
    let plan = Plan::load(&target, PriceBook::published()).unwrap();
    assert_eq!(plan, *s.plan());
    let mut reopened = PlanSession::open(&target).unwrap();
    let summary = reopened.summary().unwrap();
    assert_eq!(summary.bill, edited.bill);
    assert_eq!(summary.tiers, edited.tiers);
    assert_eq!(summary.regions, edited.regions);
    assert_eq!(
        reopened.rows(0, 10).unwrap().rows.iter().map(|r| &r.cost).collect::<Vec<_>>(),
        s.rows(0, 10).unwrap().rows.iter().map(|r| &r.cost).collect::<Vec<_>>()
    );
}

#[test]
fn details_list_the_cost_diff_against_the_saved_version_and_the_bill_range() {
    let (_dir, path) = scratch_copy("small-api.yaml");
    let mut s = PlanSession::open(&path).unwrap();
    let unchanged = s.details_work(false).unwrap().run().unwrap();
    assert!(unchanged.changes.is_empty());
    let row = s.rows(0, 1).unwrap().rows[0].clone();
    s.apply(PlanEdit::SetRoute { index: 0, route: with_traffic(&row.fields, "900000") }).unwrap();
    s.apply(PlanEdit::RemoveRoute { index: 2 }).unwrap();
    let details = s.details_work(true).unwrap().run().unwrap();
    // /api/products is untouched but pays a different share of the larger overage, so its
    // cost moved too: three lines in the diff, and only /api/orders reads as an edit.
    assert_eq!(details.changed_count, 3);
    let orders = details.changes.iter().find(|c| c.path == "/api/orders").unwrap();
    assert_eq!(orders.change, "edited (requests_per_month)");
    assert!(orders.cost_change.starts_with('+'));
    let products = details.changes.iter().find(|c| c.path == "/api/products").unwrap();
    assert_eq!(products.change, "cost moved");
    assert!(products.cost_change.starts_with('+'));
    assert!(details.changes.iter().any(|c| c.path == "/healthz" && c.change == "removed"));
    // Seeded: the same plan gives the same range, P50 at most P90.
    let again = s.details_work(true).unwrap().run().unwrap();
    assert_eq!((&details.p50, &details.p90), (&again.p50, &again.p90));
    let amount = |m: &str| m.trim_start_matches('$').replace(',', "").parse::<f64>().unwrap();
    assert!(amount(&details.p50) <= amount(&details.p90));
    assert!(details.chart_svg.starts_with("<svg") || details.chart_svg.contains("<svg"));
}

#[test]
fn the_yaml_view_points_at_the_line_and_column_of_an_error() {
    let good = std::fs::read_to_string(example("small-api.yaml")).unwrap();
    assert!(check_yaml(&good).ok);
    let bad = good.replace("compute_ms: 4\n", "compute_ms: four\n");
    let check = check_yaml(&bad);
    assert!(!check.ok);
    let line = bad.lines().position(|l| l.contains("four")).unwrap() as u32 + 1;
    assert_eq!(check.line, Some(line));
    assert_eq!(check.column, Some(17));
    let unknown = good.replace("[auth, compress]", "[auth, zip]");
    let check = check_yaml(&unknown);
    assert_eq!(check.code.as_deref(), Some("unknown_middleware"));
    assert!(check.line.is_some());

    // Applying YAML replaces the plan; its inverse brings the old one back.
    let (_dir, path) = scratch_copy("small-api.yaml");
    let mut s = PlanSession::open(&path).unwrap();
    let before = s.plan().clone();
    let inverse = s.apply(PlanEdit::ReplaceYaml { yaml: good.replace("tier: production", "tier: scale") }).unwrap();
    assert_eq!(s.summary().unwrap().tier, "scale");
    s.apply(inverse).unwrap();
    assert_eq!(*s.plan(), before);
}

#[test]
fn a_plan_starts_from_measured_usage() {
    let mut s = PlanSession::from_usage_file(&example("usage-sample.jsonl"), "production").unwrap();
    let summary = s.summary().unwrap();
    assert!(summary.dirty, "a calibrated plan is not saved yet");
    assert!(summary.file.is_none());
    assert!(summary.route_count >= 2);
    let rows = s.rows(0, 50).unwrap();
    assert!(rows.rows.iter().any(|r| r.fields.path == "/api/orders"));
    assert_eq!(summary.bill.total, fresh_total(s.plan()));
}

#[test]
fn rows_come_a_window_at_a_time() {
    let mut yaml = String::from("tier: scale\nregions: {na: 1}\nroutes:\n");
    for i in 0..1000 {
        yaml.push_str(&format!("  - {{path: /r{i}, requests_per_month: {}, compute_ms: 3, response_bytes: 5000}}\n", 1000 + i));
    }
    let plan = Plan::parse(&yaml, "big", PriceBook::published()).unwrap();
    let mut s = PlanSession::new(plan, None).unwrap();
    let rows = s.rows(990, 500).unwrap();
    assert_eq!(rows.total, 1000);
    assert_eq!(rows.rows.len(), 10);
    assert_eq!(rows.rows[0].fields.path, "/r990");
    assert_eq!(s.rows(0, 10_000).unwrap().rows.len(), edgecost_desktop::ROWS_MAX as usize);
}

#[test]
fn saving_a_one_cell_edit_changes_one_line_of_the_file() {
    let (_dir, path) = scratch_copy("busy-multi-region.yaml");
    let original = std::fs::read_to_string(&path).unwrap();
    let mut s = PlanSession::open(&path).unwrap();
    let row = s.rows(0, 2).unwrap().rows[1].clone();
    // Typed as the CLI reads it; written as the number the file holds.
    s.apply(PlanEdit::SetRoute { index: 1, route: with_traffic(&row.fields, "1.2M") }).unwrap();
    assert_eq!(
        s.yaml(),
        original.replace("requests_per_month: 400000", "requests_per_month: 1200000"),
        "the YAML view shows the file as it will be saved"
    );
    s.save(None).unwrap();
    assert!(!s.summary().unwrap().reformatted);
    let saved = std::fs::read_to_string(&path).unwrap();
    let changed: Vec<(&str, &str)> = original.lines().zip(saved.lines()).filter(|(a, b)| a != b).collect();
    assert_eq!(changed, [("    requests_per_month: 400000", "    requests_per_month: 1200000")]);
    assert_eq!(original.lines().count(), saved.lines().count());

    // A second edit patches the saved text, comments and flow maps still as written.
    let shares = vec![
        RegionShare { region: "apac".into(), share: "0.1".into() },
        RegionShare { region: "eu".into(), share: "0.4".into() },
        RegionShare { region: "na".into(), share: "0.5".into() },
    ];
    s.apply(PlanEdit::SetRegions { shares }).unwrap();
    s.save(None).unwrap();
    let again = std::fs::read_to_string(&path).unwrap();
    assert_eq!(again, saved.replace("regions: {na: 0.5, eu: 0.3, apac: 0.2}", "regions: {na: 0.5, eu: 0.4, apac: 0.1}"));
}

#[test]
fn a_region_share_edit_is_one_undo_step() {
    let (_dir, path) = scratch_copy("small-api.yaml");
    let mut s = PlanSession::open(&path).unwrap();
    let saved = s.plan().clone();
    let shares = vec![RegionShare { region: "eu".into(), share: "0.3".into() }, RegionShare { region: "na".into(), share: "0.7".into() }];
    let first = s.edit(PlanEdit::SetRegions { shares: shares.clone() }, 0, 10).unwrap();
    assert!(first.changed);
    // The same split sent again (Enter, then the input's change event) changes nothing, and the
    // UI records no undo step for it.
    let repeat = s.edit(PlanEdit::SetRegions { shares }, 0, 10).unwrap();
    assert!(!repeat.changed);
    // One undo of the edit that changed something is back to the file's split.
    let undone = s.edit(first.inverse, 0, 10).unwrap();
    assert!(undone.changed);
    assert_eq!(*s.plan(), saved);
    assert!(!undone.summary.dirty);
    // And one redo forward again.
    let redone = s.edit(undone.inverse, 0, 10).unwrap();
    assert!(redone.changed);
    assert_eq!(s.plan().regions.get("na").unwrap().to_string(), "0.7");
}

#[test]
fn cells_read_quantities_as_the_cli_and_plan_files_do() {
    let (_dir, path) = scratch_copy("small-api.yaml");
    let mut s = PlanSession::open(&path).unwrap();
    let row = s.rows(0, 1).unwrap().rows[0].clone();
    for (typed, want) in [("1.2M", 1_200_000), ("350k", 350_000), ("350,000", 350_000), ("1e6", 1_000_000), ("42", 42)] {
        s.apply(PlanEdit::SetRoute { index: 0, route: with_traffic(&row.fields, typed) }).unwrap();
        assert_eq!(s.plan().routes[0].requests_per_month, Some(want.into()), "{typed}");
    }
    for bad in ["abc", "-5", "k"] {
        let err = s.apply(PlanEdit::SetRoute { index: 0, route: with_traffic(&row.fields, bad) }).unwrap_err();
        assert_eq!(err.code(), "bad_quantity");
        let want = edgecost_pricing::parse_quantity(bad).unwrap_err().to_string();
        assert_eq!(err.to_string(), format!("requests_per_month: {want}"));
    }
}

#[test]
fn a_plan_past_a_bound_and_a_usage_file_from_an_unknown_region_are_refused_where_they_go_wrong() {
    let dir = tempfile::tempdir().unwrap();
    // Each route is within its own bound; together they pass the month's, from /b on line 7.
    let plan = dir.path().join("big.yaml");
    std::fs::write(
        &plan,
        "tier: production\nregions: {na: 1}\nroutes:\n  - path: /a\n    requests_per_month: 1000000000000000000\n  - path: /b\n    requests_per_month: 1000000000000000000\n",
    )
    .unwrap();
    let err = PlanSession::open(&plan).err().expect("refused");
    assert!(err.to_string().contains(&format!("{}:7:5: the plan's requests usage", plan.display())), "{err}");
    // Pasted into the raw view, the same text is refused the same way and the plan is kept.
    let (_copy, path) = scratch_copy("small-api.yaml");
    let mut s = PlanSession::open(&path).unwrap();
    let before = s.plan().clone();
    let err = s.apply(PlanEdit::ReplaceYaml { yaml: std::fs::read_to_string(&plan).unwrap() }).expect_err("refused");
    assert!(err.to_string().contains("plan:7:5:"), "{err}");
    assert_eq!(s.plan(), &before);
    // The raw view's check says so before Apply, at the same place.
    let check = check_yaml(&std::fs::read_to_string(&plan).unwrap());
    assert_eq!((check.ok, check.line, check.column, check.code.as_deref()), (false, Some(7), Some(5), Some("usage_too_large")));

    let usage = dir.path().join("u.jsonl");
    std::fs::write(
        &usage,
        "{\"route\": \"/a\", \"region\": \"na\", \"window_start\": \"h1\", \"requests\": 1000, \"compute_ms\": 1, \"egress_bytes\": 999999999}\n\
         {\"route\": \"/a\", \"region\": \"mars\", \"window_start\": \"h1\", \"requests\": 1, \"compute_ms\": 1, \"egress_bytes\": 1}\n",
    )
    .unwrap();
    let err = PlanSession::from_usage_file(&usage, "production").err().expect("refused");
    assert!(err.to_string().contains(&format!("{}:2:27: region 'mars' is not in the price book", usage.display())), "{err}");
}
