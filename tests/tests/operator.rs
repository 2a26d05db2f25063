//! End-to-end: the operator's dashboard of the demo in the real app, and a price-book what-if
//! from a file. Every expected figure is worked out here from the demo fleet's story
//! (`edgecost_engine::DEMO_FLEET`: who is on which tier, their traffic, their moves and packs)
//! and the published tiers' terms, by hand arithmetic, not read from the engine's report.
//!
//! `cargo build -p edgecost-app && xvfb-run -a dbus-run-session -- cargo test -p edgecost-e2e --test operator`.
//! Set `EDGECOST_SHOTS=DIR` to keep screenshots of the dashboard and the what-if.

use edgecost_e2e::*;
use edgecost_engine::{DEMO_FLEET, DEMO_FLEET_COMPUTE_MS_PER_REQUEST, DEMO_FLEET_MONTHS, FleetAction, FleetMember, demo_fleet_months};
use edgecost_pricing::Decimal;
use edgecost_pricing::format::money;
use fantoccini::Client;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// Rounded to the cent, half away from zero, as every bill line is.
fn cents(x: Decimal) -> Decimal {
    edgecost_pricing::format::round_to_cents(x)
}

/// Upgrades (`up`) or downgrades that take effect in `month`: an upgrade in the month it is
/// asked for, a downgrade from the next month.
fn moves(month: usize, up: bool) -> usize {
    let mut count = 0;
    for a in &DEMO_FLEET {
        let mut current = a.tier;
        for step in a.steps {
            let FleetAction::MoveTo { tier: to } = step.action else { continue };
            let is_up = rank(to) > rank(current);
            let effective = if is_up { step.month } else { step.month + 1 };
            if effective == month && is_up == up {
                count += 1;
            }
            current = to;
        }
    }
    count
}

/// The texts of the cells of the row at `css`, header cell first.
async fn row_cells(app: &Client, css: &str) -> Vec<String> {
    let row = wait_for(app, css).await;
    let mut texts = Vec::new();
    for cell in row.find_all(fantoccini::Locator::Css("th, td")).await.unwrap() {
        texts.push(cell.text().await.unwrap().trim().to_owned());
    }
    texts
}

/// The text of `cell` in the months table's row of `month` (`YYYY-MM`).
async fn cell(app: &Client, month: &str, cell: &str) -> String {
    text_of(app, &format!("#operator-months tr[data-month='{month}'] [data-testid={cell}]")).await
}

/// The published tiers' terms: base fee, included requests and GB, overage per 10k requests
/// and per GB. (README, "Pricing rules"; `crates/pricing/price-books/default.yaml`.)
fn terms(tier: &str) -> (Decimal, u64, u64, Decimal, Decimal) {
    match tier {
        "sandbox" => (Decimal::ZERO, 50_000, 10, Decimal::ZERO, Decimal::ZERO),
        "production" => (d("19.00"), 200_000, 50, d("0.40"), d("0.05")),
        "scale" => (d("79.00"), 2_000_000, 200, d("0.25"), d("0.03")),
        other => panic!("no terms for {other}"),
    }
}

fn rank(tier: &str) -> usize {
    ["sandbox", "production", "scale"].iter().position(|t| *t == tier).unwrap()
}

/// A region's egress weight in the published book.
fn weight(region: &str) -> Decimal {
    if region == "apac" { d("1.5") } else { Decimal::ONE }
}

/// The member's requests and raw GB in `month`.
fn traffic(member: &FleetMember, month: usize) -> (u64, u64) {
    member.steps.iter().filter(|s| s.month == month).fold((0, 0), |(r, g), s| match s.action {
        FleetAction::Traffic { requests, egress_gb } => (r + requests, g + egress_gb),
        _ => (r, g),
    })
}

/// The tier at the start of `month` and, when it changes within the month, the new tier and
/// the 0-based day it applies from. An upgrade applies on its day; a downgrade from the next
/// month's first day.
fn tiers_in(member: &FleetMember, month: usize) -> (&'static str, Option<(&'static str, u32)>) {
    let mut tier = member.tier;
    let mut change = None;
    for step in member.steps {
        let FleetAction::MoveTo { tier: to } = step.action else { continue };
        let upgrade = rank(to) > rank(tier);
        let effective_month = if upgrade { step.month } else { step.month + 1 };
        if effective_month < month || (effective_month == month && (!upgrade || step.day == 0)) {
            tier = to;
        } else if effective_month == month {
            change = Some((to, step.day));
        }
    }
    (tier, change)
}

fn tier_at_end(member: &FleetMember, month: usize) -> &'static str {
    let (start, change) = tiers_in(member, month);
    change.map_or(start, |(to, _)| to)
}

/// What `month` costs `member` (revenue, before credit), with `base` as the end tier's base fee
/// and `egress_rate` as its egress overage rate (to try another book); `days` in the month.
fn revenue_with(member: &FleetMember, month: usize, days: u32, base: Decimal, egress_rate: Decimal) -> Decimal {
    let (start, change) = tiers_in(member, month);
    let end = change.map_or(start, |(to, _)| to);
    let (_, included_requests, included_gb, per_10k, _) = terms(end);
    let fees = match change {
        // Each tier's share by day, each rounded; the start tier's fee is the published one.
        Some((_, day)) => {
            cents(terms(start).0 * Decimal::from(day) / Decimal::from(days)) + cents(base * Decimal::from(days - day) / Decimal::from(days))
        }
        None => base,
    };
    if end == "sandbox" {
        return fees;
    }
    let (requests, gb) = traffic(member, month);
    let billable_gb = Decimal::from(gb) * weight(member.region);
    let over_requests = Decimal::from(requests.saturating_sub(included_requests));
    let over_gb = (billable_gb - Decimal::from(included_gb)).max(Decimal::ZERO);
    fees + cents(over_requests / Decimal::from(10_000) * per_10k) + cents(over_gb * egress_rate)
}

fn revenue(member: &FleetMember, month: usize, days: u32) -> Decimal {
    let end = tier_at_end(member, month);
    revenue_with(member, month, days, terms(end).0, terms(end).4)
}

fn member(name: &str) -> &'static FleetMember {
    DEMO_FLEET.iter().find(|m| m.name == name).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_operator_sees_the_fleets_figures_and_tries_a_price_book() {
    // The price book tried: production at $24, scale's egress overage at $0.05.
    let books = tempfile::tempdir().unwrap();
    let book = books.path().join("next-year.yaml");
    let published = edgecost_pricing::PriceBook::published_yaml();
    let tried = published.replacen("base_fee: \"19.00\"", "base_fee: \"24.00\"", 1).replacen(
        "egress_gb: { price: \"0.03\", per: 1 }",
        "egress_gb: { price: \"0.05\", per: 1 }",
        1,
    );
    assert_ne!(tried, published);
    std::fs::write(&book, &tried).unwrap();

    let (_turn, home) = app_turn_with_keyring().await;
    let book_path = book.display().to_string();
    let driver = Driver::start_with_env(&home, &[("EDGECOST_OPEN_PRICE_BOOK", &book_path)]);
    let app = driver.launch().await;
    open_demo(&app).await;
    // The dashboard's first sync is over before a header button is pressed.
    wait_synced(&app).await;
    // The fleet's months as of the instant the app seeded its demo at: the app reads the
    // system clock, and a wall-clock time of the test's own could lie a month later.
    let months = demo_fleet_months(demo_seeded_at(&home));
    let days: Vec<u32> = months.iter().map(|p| (p.end - p.start).num_days() as u32).collect();
    let key = |m: usize| months[m].start.format("%Y-%m").to_string();
    let last = DEMO_FLEET_MONTHS - 1;
    wait_for(&app, "#open-operator").await.click().await.unwrap();
    let mrr = text_of(&app, "#operator-mrr").await;
    assert!(mrr.starts_with('$'), "{mrr}");

    // The headline is the last closed month.
    let month_name = months[last].start.format("%B %Y").to_string();
    // The label is set in capitals by the style sheet.
    let label = text_of(&app, "#operator-headline .label").await;
    assert!(label.to_lowercase().contains(&month_name.to_lowercase()), "{label}");

    // Revenue by tier of that month: the scale accounts' base fees and overage.
    let on_scale: Vec<&FleetMember> = DEMO_FLEET.iter().filter(|m| tier_at_end(m, last) == "scale").collect();
    let scale_revenue: Decimal = on_scale.iter().map(|m| revenue(m, last, days[last])).sum();
    let scale_row = text_of(&app, "#operator-tiers tr[data-tier=scale]").await;
    assert!(
        scale_row.contains(&format!("{}", on_scale.len())) && scale_row.ends_with(&money(scale_revenue)),
        "{scale_row} vs {}",
        money(scale_revenue)
    );
    // The production row counts the demo account too.
    let on_production = DEMO_FLEET.iter().filter(|m| tier_at_end(m, last) == "production").count() + 1;
    let production_row = row_cells(&app, "#operator-tiers tr[data-tier=production]").await;
    assert_eq!(production_row[..2], ["Production".to_owned(), on_production.to_string()], "{production_row:?}");

    // Logo churn of the last month: of last month's paying accounts (the demo account pays
    // every month), those paying nothing now.
    let paying = |m: usize| DEMO_FLEET.iter().filter(|a| revenue(a, m, days[m]) > Decimal::ZERO).collect::<Vec<_>>();
    let cohort = paying(last - 1);
    let churned = cohort.iter().filter(|a| revenue(a, last, days[last]).is_zero()).count();
    let churn = text_of(&app, &format!("#operator-months tr[data-month='{}'] [data-testid=logo-churn]", key(last))).await;
    assert!(churn.starts_with(&format!("{churned} of {}", cohort.len() + 1)), "{churn}");

    // Conversion, moves, packs and caps month by month.
    for (m, &month_days) in days.iter().enumerate() {
        let month = key(m);
        let free_at_start: Vec<&FleetMember> = DEMO_FLEET.iter().filter(|a| terms(tiers_in(a, m).0).0.is_zero()).collect();
        let converted = free_at_start.iter().filter(|a| !terms(tier_at_end(a, m)).0.is_zero()).count();
        let conversion = cell(&app, &month, "conversion").await;
        assert!(conversion.starts_with(&format!("{converted} of {}", free_at_start.len())), "month {m}: {conversion}");
        assert_eq!(cell(&app, &month, "upgrades").await, moves(m, true).to_string(), "month {m}");
        assert_eq!(cell(&app, &month, "downgrades").await, moves(m, false).to_string(), "month {m}");
        let capped = DEMO_FLEET
            .iter()
            .filter(|a| {
                tier_at_end(a, m) == "sandbox" && {
                    let (r, g) = traffic(a, m);
                    r > 50_000 || g > 10
                }
            })
            .count();
        assert_eq!(cell(&app, &month, "capped").await, capped.to_string(), "month {m}");
        // Packs: what they were bought for, and the overage they paid that month.
        let sold: u32 = DEMO_FLEET
            .iter()
            .flat_map(|a| a.steps)
            .filter(|s| s.month == m)
            .map(|s| match s.action {
                FleetAction::BuyPacks { packs } => packs,
                _ => 0,
            })
            .sum();
        let used: Decimal = DEMO_FLEET
            .iter()
            .filter(|a| a.steps.iter().any(|s| s.month <= m && matches!(s.action, FleetAction::BuyPacks { .. })))
            .map(|a| revenue(a, m, month_days) - terms(tier_at_end(a, m)).0)
            .sum();
        assert_eq!(cell(&app, &month, "packs").await, format!("{sold} sold, {} used", money(used)), "month {m}");
    }

    // Gross margin: Ironbark's APAC egress at $0.20 a GB, requests at $0.01 per 10k, compute at
    // $0.00001 a second, rounded per month; its revenue over the report's months is the closed
    // months' and this month's base fee to date.
    let ironbark = member("Ironbark Logistics");
    let monthly_cost: Decimal = (0..DEMO_FLEET_MONTHS)
        .map(|m| {
            let (r, g) = traffic(ironbark, m);
            cents(
                Decimal::from(g) * d("0.20")
                    + Decimal::from(r) / Decimal::from(10_000) * d("0.01")
                    + Decimal::from(r * DEMO_FLEET_COMPUTE_MS_PER_REQUEST) / Decimal::from(1_000) * d("0.00001"),
            )
        })
        .sum();
    let ironbark_revenue: Decimal = (0..DEMO_FLEET_MONTHS).map(|m| revenue(ironbark, m, days[m])).sum::<Decimal>() + terms("scale").0;
    let row = row_cells(&app, "#operator-margin-accounts tr[data-account='Ironbark Logistics']").await;
    assert!(row[0].to_lowercase().starts_with("below"), "flagged: {row:?}");
    assert_eq!(row[2..5], [money(ironbark_revenue), money(monthly_cost), money(ironbark_revenue - monthly_cost)], "{row:?}");
    screenshot("operator-1200x800.png", 1200, 800);

    // The what-if of the book file over the last three closed months.
    wait_for(&app, "#what-if-pick").await.click().await.unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    while app.find(fantoccini::Locator::Css("#what-if-total")).await.is_err() {
        if let Ok(error) = app.find(fantoccini::Locator::Css("#what-if .error-note")).await {
            panic!("the what-if failed: {}", error.text().await.unwrap_or_default());
        }
        assert!(std::time::Instant::now() < deadline, "no what-if after {WAIT:?}\n{}", driver.log_tail());
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let total = text_of(&app, "#what-if-total").await;
    assert!(total.starts_with("next-year.yaml"), "{total}");
    let mut scale_before = Decimal::ZERO;
    let mut scale_after = Decimal::ZERO;
    let mut change = Decimal::ZERO;
    for (m, &month_days) in days.iter().enumerate() {
        for a in &DEMO_FLEET {
            let end = tier_at_end(a, m);
            let before = revenue(a, m, month_days);
            let (base, egress) = match end {
                "production" => (d("24.00"), terms(end).4),
                "scale" => (terms(end).0, d("0.05")),
                _ => (terms(end).0, terms(end).4),
            };
            let after = revenue_with(a, m, month_days, base, egress);
            if end == "scale" {
                scale_before += before;
                scale_after += after;
            }
            change += after - before;
        }
        // The demo account: production every month, its overage unchanged, $5 more base fee.
        change += d("5.00");
    }
    let scale = row_cells(&app, "#what-if-tiers tr[data-tier=scale]").await;
    assert_eq!(scale[2..5], [money(scale_before), money(scale_after), format!("+{}", money(scale_after - scale_before))], "{scale:?}");
    assert!(total.contains(&format!("+{}", money(change))), "+{} in {total}", money(change));
    let rise = wait_for(&app, "#what-if-rises tbody tr").await.attr("data-account").await.unwrap();
    assert_eq!(rise.as_deref(), Some("Ironbark Logistics"), "the largest rise");
    assert!(text_of(&app, "#what-if-margin-before").await.contains("revenue"));
    app.execute("document.querySelector('#what-if').scrollIntoView()", vec![]).await.unwrap();
    screenshot("operator-what-if-1200x800.png", 1200, 800);

    // At the smallest window the page never runs wider than the window: the months table
    // scrolls inside its card, and every figure above stays in view.
    app.set_window_size(880, 600).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let wider = "return document.documentElement.scrollWidth > document.documentElement.clientWidth";
    assert_eq!(app.execute(wider, vec![]).await.unwrap(), serde_json::json!(false), "the page is wider than 880 px");
    // The chart is drawn at the width it is shown, so its text keeps the size it was drawn at,
    // and its alternative text says what it shows; the months table keeps a scrollbar in view
    // inside its card.
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    let layout = app
        .execute(
            "const img = document.querySelector('#operator-chart img'); \
             const region = document.querySelector('#operator-months').parentElement; \
             const card = region.closest('section').getBoundingClientRect(); \
             return { drawn: img.naturalWidth, shown: img.getBoundingClientRect().width, alt: img.alt, \
                      scrolls: region.scrollWidth > region.clientWidth, scrollbar: region.offsetHeight - region.clientHeight, \
                      inside: region.getBoundingClientRect().right <= card.right };",
            vec![],
        )
        .await
        .unwrap();
    let drawn = layout["drawn"].as_f64().unwrap();
    assert!((drawn - layout["shown"].as_f64().unwrap()).abs() < 1.0, "{layout}");
    assert!(layout["alt"].as_str().unwrap().contains(&months[last].start.format("%b %Y").to_string()), "{layout}");
    assert_eq!((&layout["scrolls"], &layout["inside"]), (&serde_json::json!(true), &serde_json::json!(true)), "{layout}");
    assert!(layout["scrollbar"].as_f64().unwrap() > 0.0, "a scrollbar in view: {layout}");
    // Refresh keeps the keyboard's focus while it reads and after.
    wait_for(&app, "#operator-refresh").await.send_keys("\u{E007}").await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    let focused = app.execute("return document.activeElement.id", vec![]).await.unwrap();
    assert_eq!(focused, serde_json::json!("operator-refresh"));
    app.execute("window.scrollTo(0, 0)", vec![]).await.unwrap();
    screenshot("operator-880x600.png", 880, 600);
    app.execute("document.querySelector('#operator-margin').scrollIntoView()", vec![]).await.unwrap();
    screenshot("operator-margin-880x600.png", 880, 600);
    app.execute("document.querySelector('#what-if').scrollIntoView()", vec![]).await.unwrap();
    screenshot("operator-what-if-880x600.png", 880, 600);
    app.set_window_size(1200, 800).await.unwrap();

    // Back to the demo account's own dashboard.
    wait_for(&app, "#operator-back").await.click().await.unwrap();
    wait_for(&app, "#bill-to-date").await;
    app.close().await.unwrap();
}
