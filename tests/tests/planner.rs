//! The route editor end to end: the real app in a real webview opens a plan file, a person
//! changes one route's traffic, and the live total equals what `edgecost estimate` prints for
//! the same edited plan; the saved file reopens with the same numbers.
//!
//! `cargo build -p edgecost-app -p edgecost && xvfb-run -a dbus-run-session -- cargo test -p edgecost-e2e --test planner`

mod planner_support;

use edgecost_e2e::{Driver, Home, ONE_APP_AT_A_TIME, WAIT, require_session, text_of, workspace_root};
use fantoccini::Locator;
use fantoccini::key::Key;
use planner_support::{cli_total, open_first_recent_plan, recent_plans, text_becomes};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_a_routes_traffic_see_the_clis_total_save_and_reopen() {
    require_session();
    let _turn = ONE_APP_AT_A_TIME.lock().await;
    let home = Home::new();
    let plans = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(workspace_root().join("examples/small-api.yaml")).unwrap();
    let plan_path = plans.path().join("small-api.yaml");
    std::fs::write(&plan_path, &original).unwrap();
    // The same edit made by hand to a copy, for the CLI to price.
    assert!(original.contains("requests_per_month: 150000"));
    let edited_path = plans.path().join("edited-by-hand.yaml");
    std::fs::write(&edited_path, original.replacen("requests_per_month: 150000", "requests_per_month: 900000", 1)).unwrap();
    let cli_before = cli_total(&plan_path);
    let cli_after = cli_total(&edited_path);
    assert_ne!(cli_before, cli_after, "the edit must move the bill for this test to mean anything");

    recent_plans(&home, &[&plan_path]);
    let driver = Driver::start(&home);
    let app = driver.launch().await;
    open_first_recent_plan(&app).await;
    assert_eq!(text_becomes(&app, "#plan-total", &cli_before).await, cli_before, "the opened plan's total");
    assert_eq!(text_of(&app, "#plan-file-name").await, "small-api.yaml");
    assert!(app.find(Locator::Css("#plan-dirty")).await.is_err(), "a freshly opened plan has no unsaved changes");

    // Type the new traffic into the first route's cell and commit with Enter.
    let cell = app.find(Locator::Css(r#".route-row[data-index="0"] input[data-field="traffic"]"#)).await.unwrap();
    assert_eq!(cell.prop("value").await.unwrap().as_deref(), Some("150000"));
    cell.click().await.unwrap();
    cell.clear().await.unwrap();
    cell.send_keys("900000").await.unwrap();
    cell.send_keys(&Key::Enter.to_string()).await.unwrap();
    assert_eq!(text_becomes(&app, "#plan-total", &cli_after).await, cli_after, "the live total equals `edgecost estimate` of the edited plan");
    text_of(&app, "#plan-dirty").await;
    let change = text_of(&app, "#plan-change").await;
    assert!(change.starts_with('+'), "the change against the saved version: {change}");
    let tiers = text_of(&app, "#plan-tiers").await;
    let regions = text_of(&app, "#plan-regions").await;

    // Undo goes back to the saved numbers, redo forward again.
    app.find(Locator::Css("#plan-undo")).await.unwrap().click().await.unwrap();
    assert_eq!(text_becomes(&app, "#plan-total", &cli_before).await, cli_before, "undo");
    app.find(Locator::Css("#plan-redo")).await.unwrap().click().await.unwrap();
    assert_eq!(text_becomes(&app, "#plan-total", &cli_after).await, cli_after, "redo");

    // Save to the same file: the marker goes, and the file is the plan the CLI prices the same.
    app.find(Locator::Css("#plan-save")).await.unwrap().click().await.unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    while app.find(Locator::Css("#plan-dirty")).await.is_ok() {
        assert!(std::time::Instant::now() < deadline, "the unsaved marker stays after saving");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(cli_total(&plan_path), cli_after, "the saved file prices as the edited plan");
    // Saving patched the file: the one edited line changed, its comment and layout stayed.
    assert_eq!(
        std::fs::read_to_string(&plan_path).unwrap(),
        std::fs::read_to_string(&edited_path).unwrap(),
        "the saved file is the original with the one edited line"
    );
    app.close().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    // Reopen in a new app session: the same numbers.
    let app = driver.launch().await;
    open_first_recent_plan(&app).await;
    assert_eq!(text_becomes(&app, "#plan-total", &cli_after).await, cli_after, "the reopened plan's total");
    assert_eq!(text_of(&app, "#plan-tiers").await, tiers, "every tier side by side, as before saving");
    assert_eq!(text_of(&app, "#plan-regions").await, regions, "per-region costs, as before saving");
    let cell = app.find(Locator::Css(r#".route-row[data-index="0"] input[data-field="traffic"]"#)).await.unwrap();
    assert_eq!(cell.prop("value").await.unwrap().as_deref(), Some("900000"));
    assert!(app.find(Locator::Css("#plan-dirty")).await.is_err());
    app.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyboard_undo_and_a_yaml_error_pointed_at_its_line_and_column() {
    require_session();
    let _turn = ONE_APP_AT_A_TIME.lock().await;
    let home = Home::new();
    let plans = tempfile::tempdir().unwrap();
    let plan_path = plans.path().join("busy.yaml");
    std::fs::copy(workspace_root().join("examples/busy-multi-region.yaml"), &plan_path).unwrap();
    let saved_total = cli_total(&plan_path);
    recent_plans(&home, &[&plan_path]);
    let driver = Driver::start(&home);
    let app = driver.launch().await;
    open_first_recent_plan(&app).await;
    assert_eq!(text_becomes(&app, "#plan-total", &saved_total).await, saved_total);

    // Keyboard only: type into a cell, Enter commits, Ctrl+Z undoes, Ctrl+Shift+Z redoes.
    let cell = app.find(Locator::Css(r#".route-row[data-index="1"] input[data-field="traffic"]"#)).await.unwrap();
    cell.click().await.unwrap();
    cell.send_keys(&format!("0{}", Key::Enter)).await.unwrap();
    let edited = text_of(&app, "#plan-total").await;
    let deadline = std::time::Instant::now() + WAIT;
    let mut edited = edited;
    while edited == saved_total {
        assert!(std::time::Instant::now() < deadline, "the edit did not move the total");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        edited = text_of(&app, "#plan-total").await;
    }
    let focused = app.active_element().await.unwrap();
    focused.send_keys(&format!("{}z", Key::Control)).await.unwrap();
    assert_eq!(text_becomes(&app, "#plan-total", &saved_total).await, saved_total, "Ctrl+Z");
    assert!(app.find(Locator::Css("#plan-dirty")).await.is_err(), "undone back to the saved plan");
    let focused = app.active_element().await.unwrap();
    focused.send_keys(&format!("{}{}z", Key::Control, Key::Shift)).await.unwrap();
    assert_eq!(text_becomes(&app, "#plan-total", &edited).await, edited, "Ctrl+Shift+Z");

    // The raw view: a wrong value is pointed at by line and column, and nothing is applied.
    app.find(Locator::Css("#tab-yaml")).await.unwrap().click().await.unwrap();
    let area = app.wait().at_most(WAIT).for_element(Locator::Css("#plan-yaml")).await.unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    while area.prop("value").await.unwrap().unwrap_or_default().is_empty() {
        assert!(std::time::Instant::now() < deadline, "the YAML view stays empty");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let yaml = area.prop("value").await.unwrap().unwrap();
    let broken = yaml.replacen("compute_ms: 12", "compute_ms: twelve", 1);
    assert_ne!(broken, yaml);
    let line = broken.lines().position(|l| l.contains("twelve")).unwrap() + 1;
    let column = broken.lines().nth(line - 1).unwrap().find("twelve").unwrap() + 1;
    // Pasted, as a person would bring in a whole file (WebDriver typing drops line breaks).
    let paste = "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', { bubbles: true }));";
    app.execute(paste, vec![serde_json::to_value(&area).unwrap(), serde_json::json!(broken)]).await.unwrap();
    // The check runs as the text is typed; wait for the one of the whole text.
    let want = format!("Line {line}, column {column}");
    assert_eq!(text_becomes(&app, "#yaml-error .where", &want).await, want);
    assert!(text_of(&app, "#yaml-error .message").await.contains("twelve"));
    assert!(!app.find(Locator::Css("#yaml-apply")).await.unwrap().is_enabled().await.unwrap(), "a broken plan cannot be applied");
    assert_eq!(text_of(&app, "#plan-total").await, edited, "the estimate keeps the last valid plan");
    app.close().await.unwrap();
}
