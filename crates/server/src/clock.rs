//! The one place the server reads the time.
//!
//! The engine takes `now` as an argument and never reads a clock; handlers ask the state's
//! [`Clock`] and pass the answer in. Production uses the system clock; tests may pin it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

/// Where handlers get `now`.
#[derive(Clone, Debug)]
pub struct Clock(ClockSource);

#[derive(Clone, Debug)]
enum ClockSource {
    System,
    /// Milliseconds since the epoch, shared so a test can move time for a running server.
    Manual(Arc<AtomicI64>),
}

impl Clock {
    /// The system clock, in UTC.
    pub fn system() -> Clock {
        Clock(ClockSource::System)
    }

    /// A clock that stays at `at` until [`Clock::set`] moves it.
    pub fn manual(at: DateTime<Utc>) -> Clock {
        Clock(ClockSource::Manual(Arc::new(AtomicI64::new(at.timestamp_millis()))))
    }

    /// Moves a manual clock (every clone sees the move). A system clock ignores it.
    pub fn set(&self, at: DateTime<Utc>) {
        if let ClockSource::Manual(ms) = &self.0 {
            ms.store(at.timestamp_millis(), Ordering::SeqCst);
        }
    }

    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        match &self.0 {
            ClockSource::System => Utc::now(),
            ClockSource::Manual(ms) => DateTime::from_timestamp_millis(ms.load(Ordering::SeqCst))
                .expect("a manual clock holds a time that was once a valid DateTime"),
        }
    }
}
