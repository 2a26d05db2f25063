//! What every handler shares: the engine, the clock and the metrics.

use std::sync::Arc;

use edgecost_engine::Engine;
use edgecost_engine::otlp::OtlpMapping;

use crate::clock::Clock;
use crate::metrics::Metrics;

/// The state behind the router. Cloning is cheap: everything is shared.
#[derive(Clone)]
pub struct AppState {
    pub(crate) engine: Engine,
    pub(crate) clock: Clock,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) otlp: Arc<OtlpMapping>,
}

impl AppState {
    /// State over `engine` with the system clock and fresh metrics.
    pub fn new(engine: Engine) -> AppState {
        AppState::with_clock(engine, Clock::system())
    }

    /// State over `engine` reading time from `clock` (tests pin it).
    pub fn with_clock(engine: Engine, clock: Clock) -> AppState {
        AppState { engine, clock, metrics: Arc::new(Metrics::new()), otlp: Arc::new(OtlpMapping::default()) }
    }

    /// The engine the handlers call.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The same state, reading accounts and regions of OpenTelemetry points from the
    /// attributes `mapping` names.
    pub fn with_otlp_mapping(mut self, mapping: OtlpMapping) -> AppState {
        self.otlp = Arc::new(mapping);
        self
    }

    /// Which attributes of OpenTelemetry points name the account and the region.
    pub fn otlp_mapping(&self) -> &OtlpMapping {
        &self.otlp
    }

    /// The clock the handlers read.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }
}
