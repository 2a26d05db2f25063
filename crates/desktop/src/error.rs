//! Errors of the desktop logic. Each has a stable `code()` the UI matches on to say what
//! happened and what to do; the message never contains a token.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum DesktopError {
    #[error("the server URL `{url}` is not an http(s) URL")]
    BadServerUrl { url: String },
    /// The address answers, but not as an edgecost server (the account route is not there).
    #[error("no edgecost server at {url}")]
    NoServer { url: String },
    #[error("the API token is empty")]
    EmptyToken,
    #[error("no OS keyring is available ({detail}); the token is only ever kept in the keyring")]
    KeyringUnavailable { detail: String },
    #[error("the OS keyring refused the operation: {detail}")]
    Keyring { detail: String },
    #[error("not signed in")]
    NotSignedIn,
    #[error("cannot reach {url}: {detail}")]
    Network { url: String, detail: String },
    #[error("the server rejected the token ({code})")]
    Unauthorized { code: String },
    #[error("the server answered {status}: {code}: {message}")]
    Server { status: u16, code: String, message: String },
    #[error("the server's answer could not be read: {detail}")]
    BadAnswer { detail: String },
    #[error("the demo engine failed: {detail}")]
    Demo { detail: String },
    #[error("the price book cannot rate this: {0}")]
    Rate(#[from] edgecost_pricing::RateError),
    /// A cell the UI sent that cannot be read; `reason` is the shared quantity reader's message.
    #[error("{field}: {reason}")]
    BadQuantity { field: &'static str, value: String, reason: String },
    #[error("no synced data yet")]
    NoSnapshot,
    #[error("cannot export the invoice: {detail}")]
    Export { detail: String },
    #[error("cannot draw the chart: {detail}")]
    Chart { detail: String },
    #[error("unknown chart `{id}`")]
    UnknownChart { id: String },
    #[error("cannot write {path}: {detail}")]
    Write { path: String, detail: String },
    #[error("cannot read {path}: {detail}")]
    Read { path: String, detail: String },
    /// The tier is the last one that can be priced: there is nothing to upgrade to.
    #[error("the {tier} tier has no higher tier to upgrade to")]
    NoUpgrade { tier: String },
    /// The tier is the account's own, or one the engine does not price (negotiated).
    #[error("there is no move to {tier} to confirm")]
    NoTierChange { tier: String },
    /// The engine would refuse the move now.
    #[error("{reason}")]
    TierChangeRefused { reason: String },
    /// The tier cannot hold burst credit (the sandbox).
    #[error("the {tier} tier cannot hold burst credit; upgrade to buy credit packs")]
    NoCreditPacks { tier: String },
    #[error("{packs} packs: buy 1 to {max} packs at a time")]
    BadPackCount { packs: u32, max: u32 },
    #[error("an amount is too large to compute exactly")]
    Overflow,
    /// A plan file or a plan edit the planner refused; the code is the planner's own.
    #[error(transparent)]
    Plan(#[from] edgecost_planner::PlanError),
}

impl DesktopError {
    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            DesktopError::BadServerUrl { .. } => "bad_server_url",
            DesktopError::NoServer { .. } => "no_server",
            DesktopError::EmptyToken => "empty_token",
            DesktopError::KeyringUnavailable { .. } => "keyring_unavailable",
            DesktopError::Keyring { .. } => "keyring_error",
            DesktopError::NotSignedIn => "not_signed_in",
            DesktopError::Network { .. } => "network",
            DesktopError::Unauthorized { .. } => "unauthorized",
            DesktopError::Server { .. } => "server_error",
            DesktopError::BadAnswer { .. } => "bad_answer",
            DesktopError::Demo { .. } => "demo_failed",
            DesktopError::Rate(_) => "rate_error",
            DesktopError::BadQuantity { .. } => "bad_quantity",
            DesktopError::NoSnapshot => "no_snapshot",
            DesktopError::Export { .. } => "export_failed",
            DesktopError::Chart { .. } => "chart_error",
            DesktopError::UnknownChart { .. } => "unknown_chart",
            DesktopError::Write { .. } => "write_failed",
            DesktopError::Read { .. } => "read_failed",
            DesktopError::NoUpgrade { .. } => "no_upgrade",
            DesktopError::NoTierChange { .. } => "no_tier_change",
            DesktopError::TierChangeRefused { .. } => "tier_change_refused",
            DesktopError::NoCreditPacks { .. } => "no_credit_packs",
            DesktopError::BadPackCount { .. } => "bad_pack_count",
            DesktopError::Overflow => "overflow",
            DesktopError::Plan(e) => e.code(),
        }
    }

    /// Whether the failure is the network's: the dashboard then shows the cached snapshot as
    /// offline instead of an error page.
    pub fn is_offline(&self) -> bool {
        matches!(self, DesktopError::Network { .. })
    }
}
