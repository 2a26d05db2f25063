//! The route editor end to end: the real app in a real webview opens a plan file, a person
//! changes one route's traffic, and the live total equals what `edgecost estimate` prints for
//! the same edited plan; the saved file reopens with the same numbers.
//!
//! `cargo build -p edgecost-app -p edgecost && xvfb-run -a dbus-run-session -- cargo test -p edgecost-e2e --test planner`

mod planner_support;

use edgecost_e2e::{
    Driver, Home, WAIT, app_turn, app_turn_with_keyring, launch_on_recent_plan, open_first_recent_plan, recent_example_plan, recent_plans,
    screenshot, text_of, text_until, workspace_root,
};
use fantoccini::Locator;
use fantoccini::key::Key;
use planner_support::{cli_total, text_becomes, value_becomes};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_a_routes_traffic_see_the_clis_total_save_and_reopen() {
    let (_turn, home) = app_turn().await;
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
    let app = launch_on_recent_plan(&driver).await;
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
    assert_eq!(
        text_becomes(&app, "#plan-total", &cli_after).await,
        cli_after,
        "the live total equals `edgecost estimate` of the edited plan"
    );
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
    // "Saved to …" shows over the window's corner: the table does not move for it.
    let top = first_row_top(&app).await;
    app.find(Locator::Css("#plan-save")).await.unwrap().click().await.unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    while app.find(Locator::Css("#plan-dirty")).await.is_ok() {
        assert!(std::time::Instant::now() < deadline, "the unsaved marker stays after saving");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let saved = text_of(&app, "#plan-saved").await;
    assert!(saved.starts_with("Saved to "), "{saved}");
    assert_eq!(first_row_top(&app).await, top, "the table moved for the saved note");
    screenshot("planner-saved-1200x800.png", 1200, 800);
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
    let app = launch_on_recent_plan(&driver).await;
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
    let (_turn, home) = app_turn().await;
    let (_plans, plan_path) = recent_example_plan(&home, "busy-multi-region.yaml", "busy.yaml");
    let saved_total = cli_total(&plan_path);
    let driver = Driver::start(&home);
    let app = launch_on_recent_plan(&driver).await;
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

    // Ctrl+Z while a cell holds text not yet committed undoes that text first, as Esc would:
    // the cell shows its value again, and the step before it is still there to undo.
    let cell = app.find(Locator::Css(r#".route-row[data-index="2"] input[data-field="traffic"]"#)).await.unwrap();
    let value = cell.prop("value").await.unwrap().unwrap_or_default();
    cell.click().await.unwrap();
    cell.clear().await.unwrap();
    cell.send_keys("7").await.unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    while text_of(&app, "#plan-total").await == edited {
        assert!(std::time::Instant::now() < deadline, "the typed text did not preview");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    cell.send_keys(&format!("{}z", Key::Control)).await.unwrap();
    assert_eq!(text_becomes(&app, "#plan-total", &edited).await, edited, "Ctrl+Z in a cell being typed in");
    assert_eq!(value_becomes(&cell, &value).await, value, "the cell kept its typed text after Ctrl+Z");
    cell.send_keys(&format!("{}z", Key::Control)).await.unwrap();
    assert_eq!(text_becomes(&app, "#plan-total", &saved_total).await, saved_total, "the redone step is undone next");
    // Back to the edited plan for what follows.
    let focused = app.active_element().await.unwrap();
    focused.send_keys(&format!("{}{}z", Key::Control, Key::Shift)).await.unwrap();
    assert_eq!(text_becomes(&app, "#plan-total", &edited).await, edited, "Ctrl+Shift+Z again");

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

/// The app's data folder in `home`, where the recovery copy of unsaved edits is kept.
fn data_dir(home: &Home) -> std::path::PathBuf {
    home.path().join(".local/share/dev.edgecost.desktop")
}

/// Types `value` into the first route's traffic cell and commits it with Enter.
async fn set_first_traffic(app: &fantoccini::Client, value: &str) {
    let cell = app.find(Locator::Css(r#".route-row[data-index="0"] input[data-field="traffic"]"#)).await.unwrap();
    cell.click().await.unwrap();
    cell.clear().await.unwrap();
    cell.send_keys(value).await.unwrap();
    cell.send_keys(&Key::Enter.to_string()).await.unwrap();
}

async fn first_traffic(app: &fantoccini::Client) -> String {
    let cell = app.find(Locator::Css(r#".route-row[data-index="0"] input[data-field="traffic"]"#)).await.unwrap();
    cell.prop("value").await.unwrap().unwrap_or_default()
}

async fn gone(app: &fantoccini::Client, css: &str) {
    let deadline = std::time::Instant::now() + WAIT;
    while app.find(Locator::Css(css)).await.is_ok() {
        assert!(std::time::Instant::now() < deadline, "`{css}` is still there");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_with_unsaved_edits_asks_first_and_cancel_keeps_them() {
    let (_turn, home) = app_turn().await;
    let (_plans, plan_path) = recent_example_plan(&home, "small-api.yaml", "small-api.yaml");
    let on_disk = std::fs::read_to_string(&plan_path).unwrap();
    let driver = Driver::start(&home);
    let app = launch_on_recent_plan(&driver).await;
    let saved_total = text_of(&app, "#plan-total").await;
    set_first_traffic(&app, "900000").await;
    text_of(&app, "#plan-dirty").await;
    let edited_total = text_of(&app, "#plan-total").await;
    assert_ne!(edited_total, saved_total);

    // New asks; focus starts on Save, never on Discard; Cancel keeps everything.
    app.find(Locator::Css("#planner-new")).await.unwrap().click().await.unwrap();
    app.wait().at_most(WAIT).for_element(Locator::Css("#unsaved-dialog")).await.expect("the save / discard / cancel question");
    let focused = app.active_element().await.unwrap();
    assert_eq!(focused.attr("id").await.unwrap().as_deref(), Some("unsaved-save"), "focus starts on Save");
    screenshot("unsaved-dialog-1200x800.png", 1200, 800);
    assert!(text_of(&app, "#unsaved-dialog").await.contains("small-api.yaml"));
    app.find(Locator::Css("#unsaved-cancel")).await.unwrap().click().await.unwrap();
    gone(&app, "#unsaved-dialog").await;
    assert_eq!(first_traffic(&app).await, "900000", "the edit is still there after Cancel");
    assert_eq!(text_of(&app, "#plan-total").await, edited_total);
    text_of(&app, "#plan-dirty").await;
    // Undo history survives too.
    assert!(app.find(Locator::Css("#plan-undo")).await.unwrap().is_enabled().await.unwrap());

    // Esc is Cancel as well.
    app.find(Locator::Css("#planner-new")).await.unwrap().click().await.unwrap();
    app.wait().at_most(WAIT).for_element(Locator::Css("#unsaved-dialog")).await.unwrap();
    app.active_element().await.unwrap().send_keys(&Key::Escape.to_string()).await.unwrap();
    gone(&app, "#unsaved-dialog").await;
    assert_eq!(first_traffic(&app).await, "900000", "the edit is still there after Esc");

    // Leaving the planner asks too; Don't save drops the edits, never the file.
    app.find(Locator::Css("#planner-back")).await.unwrap().click().await.unwrap();
    app.wait().at_most(WAIT).for_element(Locator::Css("#unsaved-discard")).await.unwrap().click().await.unwrap();
    gone(&app, "#unsaved-dialog").await;
    app.wait().at_most(WAIT).for_element(Locator::Css("#plan")).await.expect("back on the first-run screen");
    assert_eq!(std::fs::read_to_string(&plan_path).unwrap(), on_disk, "discarding does not touch the file");
    assert!(!data_dir(&home).join("unsaved-plan.json").exists(), "no recovery copy after discarding");

    // The start screen is reachable from an open plan: New… with nothing unsaved asks nothing.
    open_first_recent_plan(&app).await;
    assert_eq!(text_becomes(&app, "#plan-total", &saved_total).await, saved_total, "the file as saved");
    app.find(Locator::Css("#planner-new")).await.unwrap().click().await.unwrap();
    app.wait().at_most(WAIT).for_element(Locator::Css("#planner-from-account")).await.expect("the start screen's doors");
    assert!(app.find(Locator::Css("#unsaved-dialog")).await.is_err());
    app.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsaved_edits_survive_a_killed_app() {
    let (_turn, home) = app_turn().await;
    let (_plans, plan_path) = recent_example_plan(&home, "small-api.yaml", "small-api.yaml");
    let copy = data_dir(&home).join("unsaved-plan.json");
    {
        let driver = Driver::start(&home);
        let app = launch_on_recent_plan(&driver).await;
        set_first_traffic(&app, "900000").await;
        text_of(&app, "#plan-dirty").await;
        let deadline = std::time::Instant::now() + WAIT;
        while !std::fs::read_to_string(&copy).is_ok_and(|c| c.contains("900000")) {
            assert!(std::time::Instant::now() < deadline, "no recovery copy of the edit at {}", copy.display());
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let pids = home.app_processes();
        assert!(!pids.is_empty());
        for pid in pids {
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        drop(app);
    }
    home.wait_for_app_exit().await;

    let driver = Driver::start(&home);
    let app = driver.launch().await;
    app.wait().at_most(WAIT).for_element(Locator::Css("#plan")).await.expect("the plan-offline door").click().await.unwrap();
    let offer = app.wait().at_most(WAIT).for_element(Locator::Css("#plan-recover")).await.expect("the recovery offer");
    screenshot("recovery-offer-1200x800.png", 1200, 800);
    let label = offer.text().await.unwrap();
    assert!(label.starts_with("Recover unsaved plan (edited ") && label.ends_with(", from small-api.yaml)"), "{label}");

    // Another door (here the recent plan) asks first, with Cancel focused; Esc keeps the offer.
    app.find(Locator::Css(".recent-plan")).await.unwrap().click().await.unwrap();
    app.wait().at_most(WAIT).for_element(Locator::Css("#recovery-dialog")).await.expect("the recover / discard / cancel question");
    let focused = app.active_element().await.unwrap();
    assert_eq!(focused.attr("id").await.unwrap().as_deref(), Some("recovery-cancel"), "focus starts on Cancel");
    screenshot("recovery-question-1200x800.png", 1200, 800);
    focused.send_keys(&Key::Escape.to_string()).await.unwrap();
    gone(&app, "#recovery-dialog").await;
    assert!(copy.exists(), "Esc keeps the recovery copy");
    // Recover from the question opens the recovered plan, not the door that was taken.
    app.find(Locator::Css(".recent-plan")).await.unwrap().click().await.unwrap();
    app.wait().at_most(WAIT).for_element(Locator::Css("#recovery-recover")).await.unwrap().click().await.unwrap();
    app.wait().at_most(WAIT).for_element(Locator::Css("#plan-total")).await.unwrap();
    assert_eq!(first_traffic(&app).await, "900000", "the edit is back");
    text_of(&app, "#plan-dirty").await;
    assert_eq!(text_of(&app, "#plan-file-name").await, "small-api.yaml");
    assert!(std::fs::read_to_string(&plan_path).unwrap().contains("requests_per_month: 150000"), "the file was not written");

    // Saving writes it and removes the copy.
    app.find(Locator::Css("#plan-save")).await.unwrap().click().await.unwrap();
    gone(&app, "#plan-dirty").await;
    assert!(std::fs::read_to_string(&plan_path).unwrap().contains("900000"));
    let deadline = std::time::Instant::now() + WAIT;
    while copy.exists() {
        assert!(std::time::Instant::now() < deadline, "the recovery copy outlives the save");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    app.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_column_is_visible_and_clickable_from_the_default_window_to_the_smallest() {
    let (_turn, home) = app_turn().await;
    let (_plans, _) = recent_example_plan(&home, "busy-multi-region.yaml", "busy.yaml");
    let driver = Driver::start(&home);
    let app = launch_on_recent_plan(&driver).await;
    // Where the last row's controls are and whether they are the top element at their centre.
    let probe = r#"
        const row = document.querySelector('.route-row[data-index="0"]');
        const hit = (el) => {
            const r = el.getBoundingClientRect();
            const x = r.left + r.width / 2, y = r.top + r.height / 2;
            const top = document.elementFromPoint(x, y);
            return r.width > 0 && r.left >= 0 && r.right <= window.innerWidth && r.bottom <= window.innerHeight && (top === el || el.contains(top));
        };
        const clipped = (el) => el.scrollWidth > el.clientWidth + 1;
        return {
            width: window.innerWidth,
            deleteHit: hit(row.querySelector('.delete')),
            duplicateHit: hit(row.querySelector('.row-actions button')),
            duplicate: (() => { const b = row.querySelector('.row-actions button'); return { text: b.textContent.trim(), title: b.title, label: b.getAttribute('aria-label') }; })(),
            pathHit: hit(row.querySelector('input[data-field="path"]')),
            costClipped: clipped(row.querySelector('.money')),
            // Every chip shown whole and inside its cell (a chip past the first line is out of
            // view, whole, and counted by the cell's "+N").
            chipsCut: [...document.querySelectorAll('.route-row .chip:not(.over)')].filter(c => {
                const r = c.getBoundingClientRect(), cell = c.closest('.chain').getBoundingClientRect();
                return clipped(c) || r.top < cell.top - 1 || r.bottom > cell.bottom + 1 || r.right > cell.right + 1;
            }).length,
            // Every cell's number shown whole ("400000", not "40000").
            inputsCut: [...document.querySelectorAll('.route-row input')].filter(clipped).map(i => i.value),
            // Every row's chain cell on one line: its chips and its add control inside the row,
            // clear of its bottom edge, and every row as tall as the others.
            chains: [...document.querySelectorAll('.route-row')].map(r => {
                const row = r.getBoundingClientRect(), cell = r.querySelector('.chain');
                const add = cell.querySelector('.add').getBoundingClientRect();
                const shown = [...cell.querySelectorAll('.chip:not(.over)')].map(c => c.getBoundingClientRect());
                const over = cell.querySelectorAll('.chip.over').length;
                const more = cell.querySelector('.more');
                return {
                    path: r.querySelector('input[data-field="path"]').value,
                    height: row.height,
                    addInside: add.top >= row.top + 2 && add.bottom <= row.bottom - 2,
                    chipsInside: shown.every(c => c.top >= row.top + 2 && c.bottom <= row.bottom - 2),
                    oneLine: shown.every(c => Math.abs(c.top - add.top) < add.height),
                    chips: cell.querySelectorAll('.chip').length,
                    over,
                    more: more ? more.textContent.trim() : '',
                    title: cell.title,
                };
            }),
            fits: (() => { const v = document.querySelector('.route-table .viewport'); return v.scrollWidth <= v.clientWidth; })(),
        };
    "#;
    for (width, height) in [(1200u32, 800u32), (880, 600)] {
        let seen = probe_at_size(&app, probe, width, height).await;
        screenshot(&format!("planner-{width}x{height}.png"), width, height);
        assert_eq!(seen["deleteHit"], true, "delete button visible and on top at {width}x{height}: {seen}");
        assert_eq!(seen["duplicateHit"], true, "duplicate button at {width}x{height}: {seen}");
        assert_eq!(seen["pathHit"], true, "path cell at {width}x{height}: {seen}");
        assert_eq!(seen["costClipped"], false, "cost cut at {width}x{height}: {seen}");
        assert_eq!(seen["chipsCut"], 0, "middleware chips cut at {width}x{height}: {seen}");
        assert_eq!(seen["inputsCut"], serde_json::json!([]), "numbers cut at {width}x{height}: {seen}");
        // The duplicate button reads as a copy, not as a "+1" under the cost's change.
        assert_eq!(seen["duplicate"]["text"], "", "the duplicate button shows an icon: {seen}");
        assert_eq!(seen["duplicate"]["title"], "Duplicate route (Ctrl+D)", "{seen}");
        assert_eq!(seen["duplicate"]["label"], "Duplicate route /v1/search", "{seen}");
        let chains = seen["chains"].as_array().unwrap();
        assert!(!chains.is_empty(), "no rows at {width}x{height}: {seen}");
        let first_height = chains[0]["height"].as_f64().unwrap();
        for chain in chains {
            assert_eq!(chain["addInside"], true, "the add control leaves its row at {width}x{height}: {chain}");
            assert_eq!(chain["chipsInside"], true, "a chip leaves its row at {width}x{height}: {chain}");
            assert_eq!(chain["oneLine"], true, "the chain cell takes two lines at {width}x{height}: {chain}");
            assert!(
                (chain["height"].as_f64().unwrap() - first_height).abs() < 0.5,
                "rows of different heights at {width}x{height}: {seen}"
            );
            let over = chain["over"].as_u64().unwrap();
            let want = if over > 0 { format!("…+{over}") } else { String::new() };
            assert_eq!(chain["more"], want.as_str(), "the chips out of view are counted at {width}x{height}: {chain}");
            assert!(
                chain["chips"].as_u64().unwrap() == 0 || chain["title"].as_str().unwrap().contains('→') || chain["chips"] == 1,
                "{chain}"
            );
        }
        let search = chains.iter().find(|c| c["path"] == "/v1/search").expect("the /v1/search row");
        assert_eq!(
            search["title"].as_str().unwrap().split(" (").next().unwrap(),
            "auth → cache → compress",
            "the whole chain in the tooltip: {search}"
        );
        if width == 1200 {
            assert_eq!(seen["fits"], true, "the whole table fits the default window: {seen}");
        }
    }
    // The 12-month projection with the plan's growth starts from this month's bill.
    let total = text_of(&app, "#plan-total").await;
    let first_month = text_of(&app, r#"#plan-projection tr[data-month="1"] td:last-child"#).await;
    assert_eq!(first_month, total, "month 1 of the projection is this month's bill");
    assert!(text_of(&app, "#plan-projection").await.contains("5% more traffic a month"));
    assert!(app.find(Locator::Css(r#"#plan-projection tr[data-month="12"]"#)).await.is_ok());

    // A longer chain stays on one line too: its row keeps its height and counts what it hides.
    // Three middleware picked at once, each before the answer to the one before: all count.
    let add = r#"const s = document.querySelector('.route-row[data-index="0"] .chain .add');
        for (const pick of ['auth', 'cache', 'compress']) { s.value = pick; s.dispatchEvent(new Event('change', { bubbles: true })); }"#;
    app.execute(add, vec![]).await.unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    let chain = r#"return [...document.querySelectorAll('.route-row[data-index="0"] .chip')].map((c) => c.textContent.trim())"#;
    let six = serde_json::json!(["auth", "cache", "compress", "auth", "cache", "compress"]);
    loop {
        let seen = app.execute(chain, vec![]).await.unwrap();
        if seen == six {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the three quick picks did not all count: {seen}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let seen = probe_at_size(&app, probe, 880, 600).await;
        let chains = seen["chains"].as_array().unwrap().clone();
        let search = chains.iter().find(|c| c["path"] == "/v1/search").unwrap().clone();
        if search["chips"] == 6 {
            screenshot("planner-long-chain-880x600.png", 880, 600);
            assert_eq!(search["addInside"], true, "{search}");
            assert_eq!(search["oneLine"], true, "{search}");
            assert!(search["over"].as_u64().unwrap() >= 3, "{search}");
            assert_eq!(search["more"], format!("…+{}", search["over"]).as_str(), "{search}");
            assert_eq!(seen["chipsCut"], 0, "{seen}");
            let heights: Vec<f64> = chains.iter().map(|c| c["height"].as_f64().unwrap()).collect();
            assert!(heights.iter().all(|h| (h - heights[0]).abs() < 0.5), "rows of different heights: {seen}");
            // The chips out of view are still reached by Tab: the box shows the focused one.
            app.execute(r#"document.querySelector('.route-row[data-index="0"] .chip').focus()"#, vec![]).await.unwrap();
            for _ in 0..5 {
                app.active_element().await.unwrap().send_keys(&Key::Tab.to_string()).await.unwrap();
            }
            let focused = r#"const c = document.activeElement; const chips = c.closest('.chips');
                if (!chips) return [c.tagName + ' ' + (c.getAttribute('aria-label') ?? ''), false];
                const box = chips.getBoundingClientRect(); const r = c.getBoundingClientRect();
                return [c.textContent.trim(), r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5 && r.right <= box.right + 0.5]"#;
            let seen_focus = app.execute(focused, vec![]).await.unwrap();
            assert_eq!(seen_focus, serde_json::json!(["compress", true]), "the sixth chip, in view");
            // Leaving the chips shows their first line again.
            app.find(Locator::Css(r#".route-row[data-index="0"] input[data-field="path"]"#)).await.unwrap().click().await.unwrap();
            let first = r#"return document.querySelector('.route-row[data-index="0"] .chips').scrollTop"#;
            assert_eq!(app.execute(first, vec![]).await.unwrap().as_f64(), Some(0.0));
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the chain did not grow: {search}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // The delete button of the first row works at the smallest window.
    let before = text_of(&app, ".tier-badge").await;
    app.find(Locator::Css(r#".route-row[data-index="0"] .delete"#)).await.unwrap().click().await.unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    while text_of(&app, ".tier-badge").await == before {
        assert!(std::time::Instant::now() < deadline, "the delete button did nothing");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // On the sandbox, the headline says when the cap stops the traffic and how much it refuses.
    app.find(Locator::Css("#plan-tier")).await.unwrap().select_by_value("sandbox").await.unwrap();
    let cap = text_of(&app, "#plan-cap").await;
    assert!(cap.starts_with("Capped on day ") && cap.contains("% of the month's traffic is refused"), "{cap}");
    screenshot("planner-sandbox-880x600.png", 880, 600);
    app.execute("document.querySelector('#plan-projection').scrollIntoView()", vec![]).await.unwrap();
    screenshot("planner-projection-880x600.png", 880, 600);
    app.close().await.unwrap();
}

/// Waits until the status line at `css` is in the page and says nothing.
async fn progress_clears(app: &fantoccini::Client, css: &str) {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let text = app.find(Locator::Css(css)).await.unwrap().text().await.unwrap();
        if text.trim().is_empty() {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "`{css}` still reads `{text}`");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plan_beside_the_demo_accounts_measured_usage_biggest_difference_first() {
    let (_turn, home) = app_turn_with_keyring().await;
    let driver = Driver::start(&home);
    let app = driver.launch().await;
    app.wait().at_most(WAIT).for_element(Locator::Css("#demo")).await.unwrap().click().await.unwrap();
    app.wait().at_most(edgecost_e2e::LAUNCH_WAIT).for_element(Locator::Css("#open-planner")).await.unwrap().click().await.unwrap();
    app.wait().at_most(WAIT).for_element(Locator::Css("#planner-from-account")).await.unwrap().click().await.unwrap();
    // Reading the account takes seconds: a status line beside the toolbar says so, then clears.
    let progress = "#planner-progress[role=status]";
    text_until(&app, progress, |t| t.starts_with("Reading your account's usage")).await;
    let total = text_of(&app, "#plan-total").await;
    progress_clears(&app, progress).await;

    // Calibrated from the same measured usage: every route's cost matches.
    app.find(Locator::Css("#plan-vs-account")).await.unwrap().click().await.unwrap();
    text_until(&app, progress, |t| t.starts_with("Reading your account's usage")).await;
    let report = text_of(&app, "#plan-vs-account-report").await;
    progress_clears(&app, progress).await;
    assert!(report.contains(&format!("Plan {total}, measured {total}")), "{report}");
    let diffs = app.find_all(Locator::Css("#plan-vs-account-report td.diff")).await.unwrap();
    assert!(!diffs.is_empty());
    for d in &diffs {
        assert_eq!(d.text().await.unwrap(), "$0.00");
    }

    // Plan far less traffic on the first route: it becomes the biggest difference, plan below measured.
    let path = app
        .find(Locator::Css(r#".route-row[data-index="0"] input[data-field="path"]"#))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    set_first_traffic(&app, "0").await;
    let deadline = std::time::Instant::now() + WAIT;
    while text_of(&app, "#plan-total").await == total {
        assert!(std::time::Instant::now() < deadline, "the edit did not move the total");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    app.find(Locator::Css("#plan-vs-account")).await.unwrap().click().await.unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        // The refreshed report replaces the one on screen, where every difference was $0.00.
        let first = text_of(&app, "#plan-vs-account-report tbody tr:first-child").await;
        let diff = text_of(&app, "#plan-vs-account-report tbody tr:first-child td.diff").await;
        if diff != "$0.00" {
            assert!(first.starts_with(&path), "{path} is not first: {first}");
            assert!(diff.starts_with('-'), "{first}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the report did not change: {first}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    screenshot("plan-vs-account-1200x800.png", 1200, 800);
    app.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_window_with_unsaved_edits_asks_first() {
    let (_turn, home) = app_turn().await;
    let (_plans, plan_path) = recent_example_plan(&home, "small-api.yaml", "small-api.yaml");
    let driver = Driver::start(&home);
    let app = launch_on_recent_plan(&driver).await;
    set_first_traffic(&app, "900000").await;
    text_of(&app, "#plan-dirty").await;

    // The window's close button: the app stays, asks, and Cancel keeps the edit.
    assert_eq!(edgecost_e2e::ask_window_to_close("edgecost"), 1, "one edgecost window");
    app.wait().at_most(WAIT).for_element(Locator::Css("#unsaved-dialog")).await.expect("closing asks first");
    app.find(Locator::Css("#unsaved-cancel")).await.unwrap().click().await.unwrap();
    gone(&app, "#unsaved-dialog").await;
    assert_eq!(first_traffic(&app).await, "900000");
    assert!(!home.app_processes().is_empty(), "the app is still running after Cancel");

    // Again, and Don't save: the window closes and leaves no recovery copy.
    assert_eq!(edgecost_e2e::ask_window_to_close("edgecost"), 1);
    app.wait().at_most(WAIT).for_element(Locator::Css("#unsaved-discard")).await.unwrap().click().await.unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    while !home.app_processes().is_empty() {
        assert!(std::time::Instant::now() < deadline, "the app did not close after Don't save");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!data_dir(&home).join("unsaved-plan.json").exists(), "no recovery copy after discarding");
    assert!(std::fs::read_to_string(&plan_path).unwrap().contains("requests_per_month: 150000"), "the file is untouched");
    drop(app);
}

/// The first route's traffic cell.
const FIRST_TRAFFIC: &str = r#".route-row[data-index="0"] input[data-field="traffic"]"#;

/// Waits until `css` says `want`, or fails saying what it says.
/// Sizes the window to `width` x `height` and runs `probe` (a script answering an object with
/// the page's `width`) until the page has taken the new width, then answers what it saw.
async fn probe_at_size(app: &fantoccini::Client, probe: &str, width: u32, height: u32) -> serde_json::Value {
    app.set_window_size(width, height).await.unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let seen = app.execute(probe, vec![]).await.unwrap();
        let inner = seen["width"].as_u64().unwrap_or(0) as u32;
        if inner.abs_diff(width) <= 16 || std::time::Instant::now() >= deadline {
            return seen;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Why a cell's text was refused: said once, under the route table, never above it.
async fn status_says(app: &fantoccini::Client, want: &str) -> String {
    let said = text_until(app, "#plan-cell-status", |text| text.contains(want)).await;
    assert!(app.find(Locator::Css("#plan-status")).await.is_err(), "a refusal shows under the table only: {said}");
    said
}

/// The top of the first route's row in the window, in CSS pixels.
async fn first_row_top(app: &fantoccini::Client) -> f64 {
    let script = r#"return document.querySelector('.route-row[data-index="0"]').getBoundingClientRect().top"#;
    app.execute(script, vec![]).await.unwrap().as_f64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn region_shares_read_as_typed_by_the_one_number_rule() {
    let (_turn, home) = app_turn().await;
    let (plans, plan_path) = recent_example_plan(&home, "busy-multi-region.yaml", "busy.yaml");
    let saved_total = cli_total(&plan_path);
    let driver = Driver::start(&home);
    let app = launch_on_recent_plan(&driver).await;
    assert_eq!(text_becomes(&app, "#plan-total", &saved_total).await, saved_total);
    app.find(Locator::Css("#tab-catalog")).await.unwrap().click().await.unwrap();
    let share = |region: &str| {
        Locator::Css(match region {
            "na" => r#"#plan-region-shares input[data-region="na"]"#,
            "eu" => r#"#plan-region-shares input[data-region="eu"]"#,
            _ => r#"#plan-region-shares input[data-region="apac"]"#,
        })
    };
    let na = app.wait().at_most(WAIT).for_element(share("na")).await.unwrap();
    assert_eq!(value_becomes(&na, "50").await, "50");

    // Typed key by key: "5" and "51" read and move the others; "51,5" is refused in the
    // pricing core's words, and Enter sends nothing, neither the text nor its prefix "51".
    na.click().await.unwrap();
    na.clear().await.unwrap();
    na.send_keys("51,5").await.unwrap();
    let refusal = "'51,5': a comma only groups thousands (350,000); write decimals with a point: 51.5";
    assert_eq!(text_becomes(&app, "#plan-region-shares-na-error", refusal).await, refusal);
    na.send_keys(&Key::Enter.to_string()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(na.prop("value").await.unwrap().as_deref(), Some("51,5"), "Enter keeps the text with its reason");
    assert_eq!(text_of(&app, "#plan-total").await, saved_total, "nothing was sent");
    assert!(app.find(Locator::Css("#plan-dirty")).await.is_err(), "the plan is unchanged");

    // Leaving the input puts the plan's split back and says why.
    let eu = app.find(share("eu")).await.unwrap();
    eu.click().await.unwrap();
    let kept = format!("Not changed: {refusal}");
    assert_eq!(text_becomes(&app, "#plan-region-shares-na-kept", &kept).await, kept);
    assert_eq!(value_becomes(&na, "50").await, "50");
    assert_eq!(value_becomes(&eu, "30").await, "30");
    let apac = app.find(share("apac")).await.unwrap();
    assert_eq!(value_becomes(&apac, "20").await, "20");

    // A share that reads moves the others in proportion (50:20 of the 37.5% left, the spare
    // basis point to the larger remainder), and Enter sends the split: the estimate is what
    // the command line prints for the plan with that split.
    eu.clear().await.unwrap();
    eu.send_keys("62.5 %").await.unwrap();
    assert_eq!(value_becomes(&na, "26.79").await, "26.79");
    assert_eq!(value_becomes(&apac, "10.71").await, "10.71");
    eu.send_keys(&Key::Enter.to_string()).await.unwrap();
    let edited = plans.path().join("edited.yaml");
    let yaml = std::fs::read_to_string(&plan_path).unwrap();
    let split = yaml.replacen("regions: {na: 0.5, eu: 0.3, apac: 0.2}", "regions: {na: 0.2679, eu: 0.625, apac: 0.1071}", 1);
    assert_ne!(split, yaml, "the example plan's split is where the test expects it");
    std::fs::write(&edited, split).unwrap();
    let want = cli_total(&edited);
    assert_ne!(want, saved_total);
    assert_eq!(text_becomes(&app, "#plan-total", &want).await, want);

    // The others move from the split as it was when typing began, not from each keystroke's:
    // "100" leaves them nothing, and back to "10" they share the rest as they did (62.5:10.71).
    na.click().await.unwrap();
    na.clear().await.unwrap();
    na.send_keys("100").await.unwrap();
    assert_eq!(value_becomes(&eu, "0").await, "0");
    na.send_keys(&Key::Backspace.to_string()).await.unwrap();
    assert_eq!(value_becomes(&eu, "76.83").await, "76.83");
    assert_eq!(value_becomes(&apac, "13.17").await, "13.17");
    // Esc drops what was typed: the plan's split shows again, and nothing was sent.
    na.send_keys(&Key::Escape.to_string()).await.unwrap();
    assert_eq!(value_becomes(&na, "26.79").await, "26.79");
    assert_eq!(value_becomes(&eu, "62.5").await, "62.5");
    assert_eq!(value_becomes(&apac, "10.71").await, "10.71");
    assert_eq!(text_of(&app, "#plan-total").await, want);

    // A region added from the list joins at 0%, and the list offers what is left.
    let pick = app.find(Locator::Css("#plan-region-shares select")).await.unwrap();
    pick.select_by_value("sa").await.unwrap();
    let sa = app.wait().at_most(WAIT).for_element(Locator::Css(r#"#plan-region-shares input[data-region="sa"]"#)).await.unwrap();
    assert_eq!(value_becomes(&sa, "0").await, "0");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(app.find(Locator::Css(r#"#plan-region-shares input[data-region="sa"]"#)).await.is_ok(), "the added region stays");
    let pick = app.find(Locator::Css("#plan-region-shares select")).await.unwrap();
    assert_eq!(pick.prop("value").await.unwrap().as_deref(), Some(""), "the list is back on its prompt");
    screenshot("planner-region-shares-1200x800.png", 1200, 800);
    app.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cell_keeps_no_prefix_of_text_that_does_not_read() {
    let (_turn, home) = app_turn().await;
    let (_plans, plan_path) = recent_example_plan(&home, "small-api.yaml", "small-api.yaml");
    let saved_total = cli_total(&plan_path);
    let driver = Driver::start(&home);
    let app = launch_on_recent_plan(&driver).await;
    assert_eq!(text_becomes(&app, "#plan-total", &saved_total).await, saved_total);
    let before = first_traffic(&app).await;

    // Typed key by key: "5" and "51" read, "51,5" does not. The plan goes back to the value
    // before editing, never to the prefix "51".
    let cell = app.find(Locator::Css(FIRST_TRAFFIC)).await.unwrap();
    cell.click().await.unwrap();
    cell.clear().await.unwrap();
    cell.send_keys("51,5").await.unwrap();
    let said = status_says(&app, "51,5").await;
    // One sentence for people: the field as the table names it, the reader's reason, no
    // field name of the code and no second list of examples.
    assert!(said.starts_with("Requests a month: '51,5'"), "{said}");
    assert!(!said.contains("requests_per_month") && !said.contains("CLI"), "{said}");
    assert!(!text_of(&app, "#plan-stale").await.contains("51,5"), "the estimate does not repeat the reason");
    assert_eq!(text_becomes(&app, "#plan-total", &saved_total).await, saved_total, "the estimate is the plan before editing");

    // Enter refuses it: the text stays, with the reason, in the focused cell.
    cell.send_keys(&Key::Enter.to_string()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(first_traffic(&app).await, "51,5");
    let focused = app.active_element().await.unwrap();
    assert_eq!(focused.attr("data-field").await.unwrap().as_deref(), Some("traffic"), "focus stays in the cell");
    status_says(&app, "a comma only groups thousands").await;
    screenshot("planner-refused-cell-1200x800.png", 1200, 800);

    // Esc reverts the cell and clears the error; every door is usable again.
    focused.send_keys(&Key::Escape.to_string()).await.unwrap();
    gone(&app, "#plan-cell-status").await;
    gone(&app, "#plan-status").await;
    assert_eq!(first_traffic(&app).await, before);
    assert_eq!(text_becomes(&app, "#plan-total", &saved_total).await, saved_total);
    for door in ["#planner-new", "#planner-open", "#plan-vs-account"] {
        assert!(app.find(Locator::Css(door)).await.unwrap().is_enabled().await.unwrap(), "{door} enabled");
    }

    // Leaving a cell on text that does not read puts the value before editing back and says why.
    for refused in ["1e30", "999999999999999999999", "12,34"] {
        cell.click().await.unwrap();
        cell.clear().await.unwrap();
        cell.send_keys(refused).await.unwrap();
        status_says(&app, refused).await;
        cell.send_keys(&Key::Tab.to_string()).await.unwrap();
        status_says(&app, "back to its value before editing").await;
        assert_eq!(first_traffic(&app).await, before, "{refused}");
        assert_eq!(text_becomes(&app, "#plan-total", &saved_total).await, saved_total, "{refused}");
    }

    // Typed key by key, "150,000" and "1e6" pass through text that does not read ("150,",
    // "1e"): the row being typed in never moves, and nothing flags the text while it is typed.
    // Esc in the cell clears what the last cell left said.
    app.find(Locator::Css(FIRST_TRAFFIC)).await.unwrap().send_keys(&Key::Escape.to_string()).await.unwrap();
    gone(&app, "#plan-cell-status").await;
    for (at, wide) in [(1200, 800), (880, 600)] {
        app.set_window_size(at, wide).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(800)).await;
        for typed in ["150,000", "1e6"] {
            let cell = app.find(Locator::Css(FIRST_TRAFFIC)).await.unwrap();
            cell.click().await.unwrap();
            cell.clear().await.unwrap();
            let top = first_row_top(&app).await;
            for key in typed.chars() {
                cell.send_keys(&key.to_string()).await.unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(120)).await;
                assert_eq!(first_row_top(&app).await, top, "{typed} at {at}x{wide}: the row moved at '{key}'");
                assert!(
                    app.find(Locator::Css("#plan-status")).await.is_err(),
                    "{typed} at {at}x{wide}: a banner above the table at '{key}'"
                );
                assert!(app.find(Locator::Css("#plan-cell-status")).await.is_err(), "{typed}: flagged while typing, at '{key}'");
            }
            cell.send_keys(&Key::Escape.to_string()).await.unwrap();
            assert_eq!(text_becomes(&app, "#plan-total", &saved_total).await, saved_total, "{typed}");
        }
        // Text that still does not read once typing pauses is flagged under the table, and
        // the row stays where it was.
        let cell = app.find(Locator::Css(FIRST_TRAFFIC)).await.unwrap();
        cell.click().await.unwrap();
        cell.clear().await.unwrap();
        let top = first_row_top(&app).await;
        cell.send_keys("12x").await.unwrap();
        let said = status_says(&app, "'12x'").await;
        assert!(said.starts_with("Requests a month: '12x' is not a quantity"), "{said}");
        assert_eq!(first_row_top(&app).await, top, "at {at}x{wide}: the refusal moved the row");
        screenshot(&format!("planner-refusal-{at}x{wide}.png"), at, wide);
        cell.send_keys(&Key::Escape.to_string()).await.unwrap();
        gone(&app, "#plan-cell-status").await;
    }
    app.set_window_size(1200, 800).await.unwrap();

    // A value that reads is taken whole, and saved as typed.
    set_first_traffic(&app, "51.5k").await;
    text_of(&app, "#plan-dirty").await;
    assert_eq!(first_traffic(&app).await, "51500");
    app.find(Locator::Css("#plan-save")).await.unwrap().click().await.unwrap();
    gone(&app, "#plan-dirty").await;
    let saved = std::fs::read_to_string(&plan_path).unwrap();
    assert!(saved.contains("requests_per_month: 51500"), "{saved}");
    assert_eq!(text_of(&app, "#plan-total").await, cli_total(&plan_path), "the estimate is what the CLI reads");

    // "+ Route" puts focus on the new row's path, selected, so typing names the route.
    let routes = text_of(&app, ".tier-badge").await;
    app.find(Locator::Css("#route-add")).await.unwrap().click().await.unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    let focused = loop {
        let focused = app.active_element().await.unwrap();
        if focused.attr("data-field").await.unwrap().as_deref() == Some("path") {
            break focused;
        }
        assert!(std::time::Instant::now() < deadline, "focus stayed on + Route");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_ne!(text_of(&app, ".tier-badge").await, routes);
    let selected = app
        .execute("const a = document.activeElement; return [a.closest('.route-row').dataset.index, a.selectionStart, a.selectionEnd, a.value.length]", vec![])
        .await
        .unwrap();
    assert_eq!(selected[1], 0, "the whole path is selected: {selected}");
    assert_eq!(selected[2], selected[3], "the whole path is selected: {selected}");
    focused.send_keys(&format!("/typed{}", Key::Enter)).await.unwrap();
    let index = selected[0].as_str().unwrap().to_owned();
    let path = format!(r#".route-row[data-index="{index}"] input[data-field="path"]"#);
    let deadline = std::time::Instant::now() + WAIT;
    while app.find(Locator::Css(&path)).await.unwrap().prop("value").await.unwrap().as_deref() != Some("/typed") {
        assert!(std::time::Instant::now() < deadline, "the typed path did not land in the new row");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    app.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_amounts_are_never_clipped() {
    let (_turn, home) = app_turn().await;
    let (_plans, _) = recent_example_plan(&home, "busy-multi-region.yaml", "busy.yaml");
    let driver = Driver::start(&home);
    let app = launch_on_recent_plan(&driver).await;
    let saved_total = text_of(&app, "#plan-total").await;
    // The second route counts its traffic per month.
    let cell = app.find(Locator::Css(r#".route-row[data-index="1"] input[data-field="traffic"]"#)).await.unwrap();
    cell.click().await.unwrap();
    cell.clear().await.unwrap();
    cell.send_keys(&format!("123456789012{}", Key::Enter)).await.unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    while text_of(&app, "#plan-total").await == saved_total {
        assert!(std::time::Instant::now() < deadline, "the edit did not move the total");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // P50/P90 arrive after a pause.
    app.wait().at_most(WAIT).for_element(Locator::Css("#plan-range strong")).await.unwrap();
    // Every figure whole: nothing wider than its box, nothing past the panel's edge.
    let probe = r#"
        const clipped = (el) => el.scrollWidth > el.clientWidth + 1;
        const panel = document.querySelector('aside.estimate');
        const edge = panel.getBoundingClientRect().right;
        const figures = [...panel.querySelectorAll('td, strong, .total')];
        return {
            width: window.innerWidth,
            money: [...document.querySelectorAll('.route-row .money, .route-row .money > span')].filter(clipped).map(e => e.innerText),
            inputs: [...document.querySelectorAll('.route-row input')].filter(clipped).map(i => i.value),
            panel: clipped(panel),
            pastEdge: figures.filter(e => clipped(e) || e.getBoundingClientRect().right > edge + 1).map(e => e.innerText),
        };
    "#;
    for (width, height) in [(1200u32, 800u32), (880, 600)] {
        let seen = probe_at_size(&app, probe, width, height).await;
        screenshot(&format!("planner-large-amounts-{width}x{height}.png"), width, height);
        assert_eq!(seen["money"], serde_json::json!([]), "money cut in the table at {width}x{height}: {seen}");
        assert_eq!(seen["inputs"], serde_json::json!([]), "numbers cut at {width}x{height}: {seen}");
        assert_eq!(seen["panel"], false, "the estimate panel scrolls sideways at {width}x{height}: {seen}");
        assert_eq!(seen["pastEdge"], serde_json::json!([]), "figures cut in the panel at {width}x{height}: {seen}");
    }
    app.set_window_size(1200, 800).await.unwrap();
    app.execute("document.querySelector('aside.estimate').scrollTop = 700", vec![]).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    screenshot("planner-large-amounts-panel-1200x800.png", 1200, 800);
    app.close().await.unwrap();
}
