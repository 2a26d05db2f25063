//! The app as its .deb installs it. `scripts/package-test.sh` installs the package and runs this
//! test (ignored otherwise) against the installed binary:
//! `EDGECOST_APP=/usr/bin/edgecost-app xvfb-run -a dbus-run-session -- cargo test --workspace
//! --test installed_package -- --ignored` (the whole workspace, to reuse `make test`'s build).

use edgecost_e2e::*;
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the installed package: run by scripts/package-test.sh"]
async fn the_installed_app_opens_on_its_first_screen() {
    let installed = std::env::var_os("EDGECOST_APP").expect("EDGECOST_APP names the installed app (/usr/bin/edgecost-app)");
    assert!(std::path::Path::new(&installed).is_absolute(), "EDGECOST_APP is the installed binary's path");
    let (_turn, home) = app_turn_with_keyring().await;
    let driver = Driver::start(&home);
    let app = driver.launch().await;

    // The first-run screen: the app's name, its promise and its three doors.
    wait_for(&app, "main.welcome").await;
    assert_eq!(app.title().await.unwrap(), "edgecost");
    assert_eq!(text_of(&app, "main.welcome h1").await, "edgecost");
    assert!(text_of(&app, "main.welcome .lede").await.contains("edge traffic costs"));
    assert_eq!(text_of(&app, "#door-connect").await, "Connect an account");
    assert_eq!(text_of(&app, "#door-demo").await, "Try the demo");
    assert_eq!(text_of(&app, "#door-plan").await, "Plan offline");
    for door in ["#connect", "#demo", "#plan"] {
        assert!(app.find(Locator::Css(door)).await.unwrap().is_enabled().await.unwrap(), "{door} can be taken");
    }

    // The embedded engine answers through the installed binary: the demo bills its account.
    let total = open_demo(&app).await;
    assert!(total.starts_with('$'), "bill to date: {total}");
    app.close().await.unwrap();
    home.wait_for_app_exit().await;
}
