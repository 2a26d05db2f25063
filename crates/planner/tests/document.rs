//! Saving an edited plan patches its file: one edited value changes one line, and everything
//! else (comments, flow or block style, key order, blank lines, quoting) stays as written.

use std::path::PathBuf;

use edgecost_planner::{Plan, PlanDocument, Route};
use edgecost_pricing::{Decimal, PriceBook};

fn book() -> &'static PriceBook {
    PriceBook::published()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every example plan and every hand-written fixture, with its text.
fn plans() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for dir in [root().join("examples"), root().join("crates/planner/tests/fixtures")] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                out.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    out.sort();
    assert!(out.len() >= 6, "the examples and the fixtures: {}", out.len());
    out
}

fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// The lines that differ, for texts of the same number of lines.
fn changed_lines(old: &str, new: &str) -> Vec<(String, String)> {
    let (a, b) = (lines(old), lines(new));
    assert_eq!(a.len(), b.len(), "the line count changed:\n{old}\n---\n{new}");
    a.iter().zip(&b).filter(|(x, y)| x != y).map(|(x, y)| (x.to_string(), y.to_string())).collect()
}

/// Saves `edit` of the document's plan and checks that exactly one line changed.
fn one_line(file: &str, doc: &PlanDocument, what: &str, edit: impl FnOnce(&mut Plan)) {
    lines_changed(file, doc, what, 1, edit);
}

/// Saves `edit` of the document's plan and checks that exactly `count` lines changed.
fn lines_changed(file: &str, doc: &PlanDocument, what: &str, count: usize, edit: impl FnOnce(&mut Plan)) {
    let mut plan = doc.plan().clone();
    edit(&mut plan);
    assert_ne!(&plan, doc.plan(), "{file}: {what} must change the plan");
    plan.check(book()).unwrap_or_else(|e| panic!("{file}: {what}: {e}"));
    let rewrite = doc.rewrite(&plan, book());
    assert!(!rewrite.reformatted, "{file}: {what} reformatted the file:\n{}", rewrite.text);
    let changed = changed_lines(doc.text(), &rewrite.text);
    assert_eq!(changed.len(), count, "{file}: {what} changed {changed:?}");
    assert_eq!(Plan::parse(&rewrite.text, file, book()).unwrap(), plan, "{file}: {what}");
    if doc.text().contains("\r\n") {
        assert_eq!(rewrite.text.matches('\n').count(), rewrite.text.matches("\r\n").count(), "{file}: CRLF kept");
    }
}

fn bump(v: Decimal) -> Decimal {
    v + Decimal::ONE
}

#[test]
fn a_one_value_edit_changes_one_line_in_every_example_and_fixture() {
    for (file, text) in plans() {
        let doc = PlanDocument::parse(text, &file, book()).unwrap_or_else(|e| panic!("{e}"));
        for i in 0..doc.plan().routes.len() {
            one_line(&file, &doc, &format!("route {i} requests"), |p| {
                let r = &mut p.routes[i];
                match (r.requests_per_month, r.requests_per_second) {
                    (Some(m), _) => r.requests_per_month = Some(m * Decimal::TWO + Decimal::ONE),
                    (None, Some(s)) => r.requests_per_second = Some(s * Decimal::TWO + Decimal::ONE),
                    (None, None) => unreachable!(),
                }
            });
            one_line(&file, &doc, &format!("route {i} compute_ms"), |p| p.routes[i].compute_ms = bump(p.routes[i].compute_ms));
            one_line(&file, &doc, &format!("route {i} response_bytes"), |p| p.routes[i].response_bytes = bump(p.routes[i].response_bytes));
            one_line(&file, &doc, &format!("route {i} path"), |p| p.routes[i].path.push_str("-v2"));
        }
        // Moving a share from one region to another is two values: one line in a flow map.
        let shares_lines = if doc.text().contains("\nregions: {") { 1 } else { 2 };
        lines_changed(&file, &doc, "a region share", shares_lines, |p| {
            let keys: Vec<String> = p.regions.keys().cloned().collect();
            if keys.len() >= 2 {
                let step = Decimal::new(5, 2);
                let (from, to) = if p.regions[&keys[0]] >= step { (&keys[0], &keys[1]) } else { (&keys[1], &keys[0]) };
                *p.regions.get_mut(from).unwrap() -= step;
                *p.regions.get_mut(to).unwrap() += step;
            } else {
                // A single region: the split becomes two regions, still one line in flow style.
                let only = keys[0].clone();
                let other = if only == "na" { "eu" } else { "na" };
                p.regions.insert(only, Decimal::new(5, 1));
                p.regions.insert(other.into(), Decimal::new(5, 1));
            }
        });
        let first_mw = doc.plan().middleware.keys().next().cloned();
        if let Some(name) = first_mw {
            one_line(&file, &doc, "a middleware field", |p| {
                let m = p.middleware.get_mut(&name).unwrap();
                m.compute_ms = bump(m.compute_ms);
            });
        }
        let chained = doc.plan().routes.iter().position(|r| r.middleware.len() >= 2);
        if let Some(i) = chained {
            // Reordering a chain: one line as a flow list, the two swapped lines as a block list.
            let count = if doc.text().contains("middleware: [") { 1 } else { 2 };
            lines_changed(&file, &doc, "a middleware chain", count, |p| p.routes[i].middleware.swap(0, 1));
        }
        let ratios: Vec<String> =
            doc.plan().middleware.iter().filter(|(_, m)| m.egress_ratio.or(m.hit_ratio).is_some()).map(|(n, _)| n.clone()).collect();
        for name in ratios {
            one_line(&file, &doc, &format!("middleware {name}'s ratio"), |p| {
                let m = p.middleware.get_mut(&name).unwrap();
                if let Some(r) = m.egress_ratio.as_mut() {
                    *r = Decimal::new(25, 2);
                } else if let Some(r) = m.hit_ratio.as_mut() {
                    *r = Decimal::new(33, 2);
                }
            });
        }
        one_line(&file, &doc, "the tier", |p| p.tier = if p.tier == "scale" { "production".into() } else { "scale".into() });
    }
}

#[test]
fn block_region_shares_change_in_place() {
    let file = "block-style.yaml";
    let text = std::fs::read_to_string(root().join("crates/planner/tests/fixtures").join(file)).unwrap();
    let doc = PlanDocument::parse(text, file, book()).unwrap();
    let mut plan = doc.plan().clone();
    plan.regions.insert("na".into(), Decimal::new(6, 1));
    plan.regions.insert("eu".into(), Decimal::new(4, 1));
    let rewrite = doc.rewrite(&plan, book());
    assert!(!rewrite.reformatted);
    let changed = changed_lines(doc.text(), &rewrite.text);
    assert_eq!(
        changed,
        [
            ("  na: 0.7   # most users\n".to_owned(), "  na: 0.6   # most users\n".to_owned()),
            ("  eu: 0.3\n".to_owned(), "  eu: 0.4\n".to_owned()),
        ]
    );
}

/// Whether `small` is `big` with some lines taken out, in order; answers the lines taken out.
fn removed_lines<'a>(big: &'a str, small: &str) -> Option<Vec<&'a str>> {
    let mut rest = lines(small).into_iter().peekable();
    let mut removed = Vec::new();
    for line in lines(big) {
        if rest.peek() == Some(&line) {
            rest.next();
        } else {
            removed.push(line);
        }
    }
    rest.peek().is_none().then_some(removed)
}

#[test]
fn an_added_route_gains_lines_in_the_files_style_and_a_deleted_one_loses_only_its_lines() {
    for (file, text) in plans() {
        let doc = PlanDocument::parse(text, &file, book()).unwrap();
        let mut sibling = doc.plan().routes[0].clone();
        sibling.path = "/added".into();
        sibling.requests_per_month = Some(Decimal::from(1234));
        sibling.requests_per_second = None;
        sibling.regions = None;
        let mut plan = doc.plan().clone();
        plan.routes.push(sibling);
        let rewrite = doc.rewrite(&plan, book());
        assert!(!rewrite.reformatted, "{file}: adding a route reformatted it:\n{}", rewrite.text);
        assert_eq!(Plan::parse(&rewrite.text, &file, book()).unwrap(), plan);
        let added = removed_lines(&rewrite.text, doc.text()).unwrap_or_else(|| panic!("{file}: lines changed:\n{}", rewrite.text));
        assert!(added[0].contains("/added"), "{file}: {added:?}");
        // The new route is written as its sibling is: flow items as one line, block items key a line.
        let sibling_flow = doc.text().contains("- {path");
        assert_eq!(added.len() == 1, sibling_flow, "{file}: {added:?}");
        if doc.text().contains("middleware: [") && !sibling_flow {
            assert!(added.iter().any(|l| l.contains("middleware: [")), "{file}: the list in flow style: {added:?}");
        }

        for (i, route) in doc.plan().routes.iter().enumerate() {
            let mut plan = doc.plan().clone();
            plan.routes.remove(i);
            let rewrite = doc.rewrite(&plan, book());
            assert!(!rewrite.reformatted, "{file}: deleting {} reformatted it", route.path);
            assert_eq!(Plan::parse(&rewrite.text, &file, book()).unwrap(), plan);
            let removed = removed_lines(doc.text(), &rewrite.text).unwrap_or_else(|| panic!("{file}: lines changed:\n{}", rewrite.text));
            assert!(removed.iter().any(|l| l.contains(&route.path)), "{file}: {removed:?}");
            // Only the route's lines and the blank or comment lines just above it.
            let own = |l: &&str| l.starts_with("    ") || l.starts_with("  - ");
            let gap = |l: &&str| l.trim().is_empty() || l.trim_start().starts_with('#');
            assert!(removed.iter().all(|l| own(l) || gap(l)), "{file}: {removed:?}");
            let kept = doc.plan().routes.iter().filter(|r| r.path != route.path);
            assert!(kept.clone().all(|r| rewrite.text.contains(&r.path)), "{file}: another route went too");
        }
    }
}

#[test]
fn moves_keep_each_routes_lines_and_a_changed_unit_renames_the_key() {
    let file = "small-api.yaml";
    let text = std::fs::read_to_string(root().join("examples").join(file)).unwrap();
    let doc = PlanDocument::parse(text, file, book()).unwrap();
    let mut plan = doc.plan().clone();
    let moved = plan.routes.remove(0);
    plan.routes.push(moved);
    let rewrite = doc.rewrite(&plan, book());
    assert!(!rewrite.reformatted);
    let mut a = lines(doc.text());
    let mut b = lines(&rewrite.text);
    a.sort();
    b.sort();
    assert_eq!(a, b, "the same lines in another order");

    let mut plan = doc.plan().clone();
    let r: &mut Route = &mut plan.routes[0];
    r.requests_per_second = Some(Decimal::new(5, 2));
    r.requests_per_month = None;
    let rewrite = doc.rewrite(&plan, book());
    assert!(!rewrite.reformatted);
    let changed = changed_lines(doc.text(), &rewrite.text);
    assert_eq!(changed, [("    requests_per_month: 150000\n".to_owned(), "    requests_per_second: 0.05\n".to_owned())]);
}

#[test]
fn catalog_entries_and_middleware_chains_patch_in_place() {
    for (file, text) in plans() {
        let doc = PlanDocument::parse(text, &file, book()).unwrap();
        let mut plan = doc.plan().clone();
        plan.middleware
            .insert("waf".into(), edgecost_planner::Middleware { compute_ms: Decimal::ONE, egress_ratio: None, hit_ratio: None });
        let rewrite = doc.rewrite(&plan, book());
        assert!(!rewrite.reformatted, "{file}: adding a catalog entry:\n{}", rewrite.text);
        assert_eq!(Plan::parse(&rewrite.text, &file, book()).unwrap(), plan);

        let mut chained = plan.clone();
        chained.routes[0].middleware.push("waf".into());
        let doc2 = PlanDocument::parse(rewrite.text.clone(), &file, book()).unwrap();
        let again = doc2.rewrite(&chained, book());
        assert!(!again.reformatted, "{file}: adding to a chain:\n{}", again.text);
        assert_eq!(Plan::parse(&again.text, &file, book()).unwrap(), chained);
    }
}

#[test]
fn deleting_every_route_removes_the_routes_key_only() {
    for (file, text) in plans() {
        let doc = PlanDocument::parse(text, &file, book()).unwrap();
        let mut plan = doc.plan().clone();
        plan.routes.clear();
        let rewrite = doc.rewrite(&plan, book());
        assert!(!rewrite.reformatted, "{file}:\n{}", rewrite.text);
        assert_eq!(Plan::parse(&rewrite.text, &file, book()).unwrap(), plan);
        assert!(rewrite.text.contains("middleware"), "{file}: the catalog stays");
    }
}

#[test]
fn a_plan_the_patcher_cannot_place_is_written_whole_and_says_so() {
    // An anchor: the patcher does not follow aliases, so it writes the plan whole.
    let text = "tier: production\nregions: &split {na: 1}\nroutes:\n  - path: /a\n    requests_per_month: 1\n    compute_ms: 1\n    response_bytes: 1\n    regions: *split\n";
    let doc = PlanDocument::parse(text.into(), "anchored.yaml", book()).unwrap();
    let mut plan = doc.plan().clone();
    plan.routes[0].compute_ms = Decimal::TWO;
    let rewrite = doc.rewrite(&plan, book());
    assert!(rewrite.reformatted);
    assert_eq!(rewrite.text, plan.to_yaml());
    assert_eq!(doc.rewrite(doc.plan(), book()).text, text, "nothing changed: the text as it was");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]
    /// Any value of any route's numeric field, however many digits, is one changed line.
    #[test]
    fn any_numeric_value_is_one_changed_line(
        which in 0usize..6, route in 0usize..3, field in 0u8..3, mantissa in 0i64..100_000_000_000_000, scale in 0u32..8,
    ) {
        let all = plans();
        let (file, text) = &all[which % all.len()];
        let doc = PlanDocument::parse(text.clone(), file, book()).unwrap();
        let i = route % doc.plan().routes.len();
        let value = Decimal::new(mantissa, scale);
        let mut plan = doc.plan().clone();
        let r = &mut plan.routes[i];
        match field {
            0 if r.requests_per_month.is_some() => r.requests_per_month = Some(value),
            0 => r.requests_per_second = Some(value),
            1 => r.compute_ms = value,
            _ => r.response_bytes = value,
        }
        proptest::prop_assume!(plan.check(book()).is_ok() && plan != *doc.plan());
        let rewrite = doc.rewrite(&plan, book());
        proptest::prop_assert!(!rewrite.reformatted, "{file}: {value}");
        proptest::prop_assert_eq!(changed_lines(doc.text(), &rewrite.text).len(), 1);
        proptest::prop_assert_eq!(Plan::parse(&rewrite.text, file, book()).unwrap(), plan);
    }
}
