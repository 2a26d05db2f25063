//! With no Secret Service reachable, signing in fails with a clear error and the token is
//! written nowhere: there is no plaintext fallback.

mod common;

use std::net::SocketAddr;

use edgecost_desktop::TokenVault;
use edgecost_engine::Engine;
use edgecost_pricing::PriceBook;

#[tokio::test]
async fn no_keyring_means_a_clear_error_and_no_token_on_disk() {
    // This test binary holds this one test, so changing the process environment is safe:
    // point the session bus at nothing.
    unsafe { std::env::set_var("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/edgecost-no-bus") };
    let now = common::now();
    let db = tempfile::tempdir().unwrap();
    let engine = Engine::open(&Engine::sqlite_url(&db.path().join("e.db")), PriceBook::published().clone()).await.unwrap();
    let demo = edgecost_engine::seed_demo(&engine, now).await.unwrap();
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let server = common::serve_at(engine, addr, now).await;

    let data = tempfile::tempdir().unwrap();
    let app = common::pinned_app(data.path(), TokenVault::with_service("edgecost-test-no-keyring"), now);
    let err = app.connect(&server.url(), &demo.token, now).await.unwrap_err();
    assert_eq!(err.code(), "keyring_unavailable", "{err}");
    assert!(err.to_string().contains("keyring"));
    assert!(!err.to_string().contains(&demo.token), "errors never carry the token");
    assert!(std::fs::read_dir(data.path()).unwrap().next().is_none(), "nothing was written");
    assert!(app.startup().await.door.is_none(), "not signed in");
    server.shutdown().await.unwrap();
}
