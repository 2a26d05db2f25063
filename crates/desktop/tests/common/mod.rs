//! The instant the desktop tests run at.
//!
//! Every time-dependent test reads [`now`] once and passes it to every call; the app it drives
//! is [`pinned_app`], whose demo engine answers at that same instant. The default is a fixed
//! mid-month, mid-hour time, so no test lands on a period's edge by chance. To run the whole
//! suite at another instant (a month's first minute, say), set `EDGECOST_TEST_NOW` to an
//! RFC 3339 time:
//! `EDGECOST_TEST_NOW=2026-12-01T00:01:00Z dbus-run-session -- cargo test -p edgecost-desktop`.
//! The variable is read here, by the tests, and nowhere in the app. Many tests describe the
//! demo in the middle of its period (past 80% of its requests with no overage yet, a prorated
//! upgrade, a projection over days of history), which a period's first day does not show;
//! what must hold on a period's edge is checked at [`MONTH_FIRST_MINUTE`] and
//! [`HOUR_FIRST_MINUTE`] by `tests/demo.rs` whatever the variable says.

// Each test file uses the part of this module it needs.
#![allow(dead_code)]

use std::path::Path;

use chrono::{DateTime, Utc};
use edgecost_desktop::{App, TokenVault};
use edgecost_server::Clock;

/// The default instant: mid-month, mid-hour, on a weekday.
pub const PINNED: &str = "2026-06-17T14:25:00Z";
/// A month's first minute: the previous period closed a minute ago.
pub const MONTH_FIRST_MINUTE: &str = "2026-12-01T00:01:00Z";
/// An hour's first minute, mid-month.
pub const HOUR_FIRST_MINUTE: &str = "2026-06-17T15:00:30Z";

pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap_or_else(|e| panic!("`{rfc3339}` is not an RFC 3339 time: {e}")).to_utc()
}

/// The test's instant: `EDGECOST_TEST_NOW` when set, else [`PINNED`].
pub fn now() -> DateTime<Utc> {
    match std::env::var("EDGECOST_TEST_NOW") {
        Ok(text) => at(&text),
        Err(_) => at(PINNED),
    }
}

/// The app over `data_dir` whose demo engine reads a clock pinned at `now`.
pub fn pinned_app(data_dir: &Path, vault: TokenVault, now: DateTime<Utc>) -> App {
    App::with_clock(data_dir, vault, Clock::manual(now))
}

/// Serves `engine` on `addr` (port 0 picks one) with its API's clock pinned at `now`.
pub async fn serve_at(engine: edgecost_engine::Engine, addr: std::net::SocketAddr, now: DateTime<Utc>) -> edgecost_server::RunningServer {
    edgecost_server::spawn_with_clock(engine, addr, Clock::manual(now)).await.expect("a server on loopback")
}
