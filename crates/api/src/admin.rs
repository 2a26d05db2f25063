//! Creating accounts and edge nodes (`edgecost admin ...`). Tokens appear here once only.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An account to create on a tier of the price book (`edgecost admin create-account`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccountRequest {
    /// A display name: 1 to 100 characters, not only spaces, no control characters
    /// (`invalid_name` otherwise).
    pub name: String,
    /// The tier the account starts on, as the price book names it (`unknown_tier` otherwise).
    pub tier: String,
}

/// A new account and its token, as `edgecost admin create-account --json` prints it. The
/// token is not stored anywhere in clear: keep it now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct CreatedAccount {
    /// The new account's id (`acct_` and 20 random hex digits).
    pub account_id: String,
    /// The display name given.
    pub name: String,
    /// The tier the account starts on; its base fee is owed for the whole period it is
    /// created in.
    pub tier: String,
    /// The bearer token for `/v1/account/*` (`ec_acct_...`). Only its hash is stored.
    pub token: String,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
}

/// An edge node to create, which may then send telemetry (`edgecost admin create-node`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateNodeRequest {
    /// A display name: 1 to 100 characters, not only spaces, no control characters
    /// (`invalid_name` otherwise).
    pub name: String,
}

/// A new edge node and its token, shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct CreatedNode {
    /// The new node's id (`node_` and 20 random hex digits), which its telemetry batches
    /// must name.
    pub node_id: String,
    /// The display name given.
    pub name: String,
    /// The bearer token for `/v1/telemetry` and `/v1/metrics` (`ec_node_...`). Only its hash
    /// is stored.
    pub token: String,
    /// When the node was created.
    pub created_at: DateTime<Utc>,
}
