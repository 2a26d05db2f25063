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
    /// The UI named a recent plan the list no longer holds.
    #[error("that plan is not in the recent plans list")]
    UnknownRecentPlan,
    /// A price book file the what-if cannot read as a price book; the detail names its line
    /// and column where the parser places them.
    #[error("{detail}")]
    PriceBook { detail: String },
    /// The demo was seeded before it had a fleet and an operator: "Reset demo" seeds both.
    #[error("this demo has no operator yet; reset the demo to add its fleet of accounts and the operator's view")]
    DemoWithoutOperator,
    /// A plan file or a plan edit the planner refused; the code is the planner's own.
    #[error(transparent)]
    Plan(#[from] edgecost_planner::PlanError),
}

/// Every error code the UI tells apart, as `snake_case` strings: the desktop logic's own,
/// the shell's, and the planner's codes the route editor explains. The UI's tables of
/// explanations are keyed by the generated `ErrorCode` union, so a code renamed here fails
/// the UI's type check. Codes outside it (a planner rule, a price book's refusal, a server's
/// code) still reach the UI as plain strings and read as "Something went wrong".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadServerUrl,
    NoServer,
    EmptyToken,
    KeyringUnavailable,
    KeyringError,
    NotSignedIn,
    Network,
    Unauthorized,
    ServerError,
    BadAnswer,
    DemoFailed,
    RateError,
    BadQuantity,
    NoSnapshot,
    ExportFailed,
    ChartError,
    UnknownChart,
    WriteFailed,
    ReadFailed,
    NoUpgrade,
    NoTierChange,
    TierChangeRefused,
    NoCreditPacks,
    BadPackCount,
    Overflow,
    /// A spend control (budget, alert percentages, spend cap, automatic top-up, webhook URL)
    /// the app or the engine refused; the engine's own code for it too.
    InvalidControls,
    /// No plan is open in the route editor.
    NoPlan,
    /// The recent-plan id names no plan of the list.
    UnknownRecentPlan,
    /// A failure inside the app itself (a task that stopped, a window that would not close).
    Internal,
    /// A price book file (for the operator's what-if) that does not parse or breaks a rule.
    PriceBookInvalid,
    /// The demo has no operator yet (seeded before it had a fleet).
    DemoWithoutOperator,
    // The planner's codes (`edgecost_planner::PlanError::code`).
    PlanInvalid,
    PlanUnreadable,
    UnknownMiddleware,
    UnknownRegion,
    RegionSharesNotOne,
    ValueOutOfRange,
    RouteTrafficAmbiguous,
    DuplicateRoute,
    MiddlewareInUse,
    NotFound,
    UsageRecordInvalid,
    UsageEmpty,
}

impl ErrorCode {
    /// Every code, in declaration order.
    pub const ALL: [ErrorCode; 43] = [
        ErrorCode::BadServerUrl,
        ErrorCode::NoServer,
        ErrorCode::EmptyToken,
        ErrorCode::KeyringUnavailable,
        ErrorCode::KeyringError,
        ErrorCode::NotSignedIn,
        ErrorCode::Network,
        ErrorCode::Unauthorized,
        ErrorCode::ServerError,
        ErrorCode::BadAnswer,
        ErrorCode::DemoFailed,
        ErrorCode::RateError,
        ErrorCode::BadQuantity,
        ErrorCode::NoSnapshot,
        ErrorCode::ExportFailed,
        ErrorCode::ChartError,
        ErrorCode::UnknownChart,
        ErrorCode::WriteFailed,
        ErrorCode::ReadFailed,
        ErrorCode::NoUpgrade,
        ErrorCode::NoTierChange,
        ErrorCode::TierChangeRefused,
        ErrorCode::NoCreditPacks,
        ErrorCode::BadPackCount,
        ErrorCode::Overflow,
        ErrorCode::InvalidControls,
        ErrorCode::NoPlan,
        ErrorCode::UnknownRecentPlan,
        ErrorCode::Internal,
        ErrorCode::PriceBookInvalid,
        ErrorCode::DemoWithoutOperator,
        ErrorCode::PlanInvalid,
        ErrorCode::PlanUnreadable,
        ErrorCode::UnknownMiddleware,
        ErrorCode::UnknownRegion,
        ErrorCode::RegionSharesNotOne,
        ErrorCode::ValueOutOfRange,
        ErrorCode::RouteTrafficAmbiguous,
        ErrorCode::DuplicateRoute,
        ErrorCode::MiddlewareInUse,
        ErrorCode::NotFound,
        ErrorCode::UsageRecordInvalid,
        ErrorCode::UsageEmpty,
    ];

    /// The code as the UI receives it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadServerUrl => "bad_server_url",
            ErrorCode::NoServer => "no_server",
            ErrorCode::EmptyToken => "empty_token",
            ErrorCode::KeyringUnavailable => "keyring_unavailable",
            ErrorCode::KeyringError => "keyring_error",
            ErrorCode::NotSignedIn => "not_signed_in",
            ErrorCode::Network => "network",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::ServerError => "server_error",
            ErrorCode::BadAnswer => "bad_answer",
            ErrorCode::DemoFailed => "demo_failed",
            ErrorCode::RateError => "rate_error",
            ErrorCode::BadQuantity => "bad_quantity",
            ErrorCode::NoSnapshot => "no_snapshot",
            ErrorCode::ExportFailed => "export_failed",
            ErrorCode::ChartError => "chart_error",
            ErrorCode::UnknownChart => "unknown_chart",
            ErrorCode::WriteFailed => "write_failed",
            ErrorCode::ReadFailed => "read_failed",
            ErrorCode::NoUpgrade => "no_upgrade",
            ErrorCode::NoTierChange => "no_tier_change",
            ErrorCode::TierChangeRefused => "tier_change_refused",
            ErrorCode::NoCreditPacks => "no_credit_packs",
            ErrorCode::BadPackCount => "bad_pack_count",
            ErrorCode::Overflow => "overflow",
            ErrorCode::InvalidControls => "invalid_controls",
            ErrorCode::NoPlan => "no_plan",
            ErrorCode::UnknownRecentPlan => "unknown_recent_plan",
            ErrorCode::Internal => "internal",
            ErrorCode::PriceBookInvalid => "price_book_invalid",
            ErrorCode::DemoWithoutOperator => "demo_without_operator",
            ErrorCode::PlanInvalid => "plan_invalid",
            ErrorCode::PlanUnreadable => "plan_unreadable",
            ErrorCode::UnknownMiddleware => "unknown_middleware",
            ErrorCode::UnknownRegion => "unknown_region",
            ErrorCode::RegionSharesNotOne => "region_shares_not_one",
            ErrorCode::ValueOutOfRange => "value_out_of_range",
            ErrorCode::RouteTrafficAmbiguous => "route_traffic_ambiguous",
            ErrorCode::DuplicateRoute => "duplicate_route",
            ErrorCode::MiddlewareInUse => "middleware_in_use",
            ErrorCode::NotFound => "not_found",
            ErrorCode::UsageRecordInvalid => "usage_record_invalid",
            ErrorCode::UsageEmpty => "usage_empty",
        }
    }
}

impl DesktopError {
    /// The stable machine-readable code of this error: an [`ErrorCode`], or for a plan error
    /// the planner's own code.
    pub fn code(&self) -> &'static str {
        let code = match self {
            DesktopError::BadServerUrl { .. } => ErrorCode::BadServerUrl,
            DesktopError::NoServer { .. } => ErrorCode::NoServer,
            DesktopError::EmptyToken => ErrorCode::EmptyToken,
            DesktopError::KeyringUnavailable { .. } => ErrorCode::KeyringUnavailable,
            DesktopError::Keyring { .. } => ErrorCode::KeyringError,
            DesktopError::NotSignedIn => ErrorCode::NotSignedIn,
            DesktopError::Network { .. } => ErrorCode::Network,
            DesktopError::Unauthorized { .. } => ErrorCode::Unauthorized,
            DesktopError::Server { .. } => ErrorCode::ServerError,
            DesktopError::BadAnswer { .. } => ErrorCode::BadAnswer,
            DesktopError::Demo { .. } => ErrorCode::DemoFailed,
            DesktopError::Rate(_) => ErrorCode::RateError,
            DesktopError::BadQuantity { .. } => ErrorCode::BadQuantity,
            DesktopError::NoSnapshot => ErrorCode::NoSnapshot,
            DesktopError::Export { .. } => ErrorCode::ExportFailed,
            DesktopError::Chart { .. } => ErrorCode::ChartError,
            DesktopError::UnknownChart { .. } => ErrorCode::UnknownChart,
            DesktopError::Write { .. } => ErrorCode::WriteFailed,
            DesktopError::Read { .. } => ErrorCode::ReadFailed,
            DesktopError::NoUpgrade { .. } => ErrorCode::NoUpgrade,
            DesktopError::NoTierChange { .. } => ErrorCode::NoTierChange,
            DesktopError::TierChangeRefused { .. } => ErrorCode::TierChangeRefused,
            DesktopError::NoCreditPacks { .. } => ErrorCode::NoCreditPacks,
            DesktopError::BadPackCount { .. } => ErrorCode::BadPackCount,
            DesktopError::Overflow => ErrorCode::Overflow,
            DesktopError::UnknownRecentPlan => ErrorCode::UnknownRecentPlan,
            DesktopError::PriceBook { .. } => ErrorCode::PriceBookInvalid,
            DesktopError::DemoWithoutOperator => ErrorCode::DemoWithoutOperator,
            DesktopError::Plan(e) => return e.code(),
        };
        code.as_str()
    }

    /// Whether the failure is the network's: the dashboard then shows the cached snapshot as
    /// offline instead of an error page.
    pub fn is_offline(&self) -> bool {
        matches!(self, DesktopError::Network { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_once_and_serializes_as_its_string() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "{code:?} listed twice");
            assert_eq!(serde_json::to_value(code).unwrap(), serde_json::Value::from(code.as_str()));
            assert_eq!(serde_json::from_value::<ErrorCode>(code.as_str().into()).unwrap(), code);
        }
    }

    /// The planner's codes are the planner's to name; those the UI explains must still exist.
    #[test]
    fn the_planner_codes_are_the_planners() {
        let planner = include_str!("../../planner/src/error.rs");
        let from = ErrorCode::ALL.iter().position(|c| *c == ErrorCode::PlanInvalid).unwrap();
        for code in &ErrorCode::ALL[from..] {
            assert!(planner.contains(&format!("=> \"{}\"", code.as_str())), "the planner has no code {}", code.as_str());
        }
    }
}
