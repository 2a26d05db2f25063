use super::*;

#[test]
fn the_projection_grows_like_the_plan_and_the_sandbox_headline_names_the_cap() {
    let yaml = "tier: production\nregions: {na: 1}\ngrowth: {monthly_percent: 10}\nroutes:\n  - {path: /, requests_per_month: 80000, compute_ms: 1, response_bytes: 1000}\n";
    let mut s = PlanSession::untitled(yaml).unwrap();
    let details = s.details_work(false).unwrap().run().unwrap();
    assert_eq!(details.growth, "10% more traffic a month");
    assert_eq!(details.months.len(), PROJECTION_MONTHS as usize);
    assert_eq!(details.months[0].requests, "80,000");
    assert_eq!(details.months[1].requests, "88,000");
    assert_eq!(details.months.last().unwrap().bar_percent, 100);
    assert!(details.months.windows(2).all(|w| w[0].bar_percent <= w[1].bar_percent));

    assert_eq!(s.summary().unwrap().cap, None, "production has no cap");
    s.apply(PlanEdit::SetTier { tier: "sandbox".into() }).unwrap();
    let cap = s.summary().unwrap().cap.unwrap();
    // 50,000 of 80,000 requests: reached 62.5% into the month, on day 19; 37.5% refused.
    assert_eq!((cap.day, cap.meter_label.as_str(), cap.refused_percent.as_str()), (19, "Requests", "37.5%"));
    // The panel shows the core's sentence, the one `edgecost estimate` prints.
    assert_eq!(
        cap.headline,
        "Capped on day 19 of 30: 37.5% of the month's traffic is refused once the requests quota is reached. Sandbox bills nothing past it."
    );
}

#[test]
fn duplicate_paths_count_up() {
    let mut s = PlanSession::blank().unwrap();
    s.apply(PlanEdit::DuplicateRoute { index: 0 }).unwrap();
    s.apply(PlanEdit::DuplicateRoute { index: 0 }).unwrap();
    let paths: Vec<&str> = s.plan().routes.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/", "/ (copy 2)", "/ (copy)"]);
}
