mod planner_support;
use edgecost_e2e::{Driver, Home, require_session, workspace_root};
use fantoccini::Locator;
use planner_support::{open_first_recent_plan, recent_plans};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn view() {
    require_session();
    let home = Home::new();
    let plan = workspace_root().join("examples/busy-multi-region.yaml");
    let copy = home.path().join("busy.yaml");
    std::fs::copy(&plan, &copy).unwrap();
    recent_plans(&home, &[&copy]);
    let driver = Driver::start(&home);
    let app = driver.launch().await;
    app.set_window_size(1400, 900).await.ok();
    open_first_recent_plan(&app).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    std::fs::write("/tmp/editor-shot-1.png", app.screenshot().await.unwrap()).unwrap();
    let cell = app.find(Locator::Css(r#".route-row[data-index="1"] input[data-field="traffic"]"#)).await.unwrap();
    cell.click().await.unwrap();
    cell.send_keys("0").await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    std::fs::write("/tmp/editor-shot-2.png", app.screenshot().await.unwrap()).unwrap();
    app.find(Locator::Css("#tab-yaml")).await.unwrap().click().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let area = app.find(Locator::Css("#plan-yaml")).await.unwrap();
    area.send_keys("\n  bogus: 1").await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    std::fs::write("/tmp/editor-shot-3.png", app.screenshot().await.unwrap()).unwrap();
    app.find(Locator::Css("#tab-catalog")).await.unwrap().click().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    std::fs::write("/tmp/editor-shot-4.png", app.screenshot().await.unwrap()).unwrap();
    app.close().await.unwrap();
}
