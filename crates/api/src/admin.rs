//! Creating accounts and edge nodes (`edgecost admin ...`). Tokens appear here once only.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccountRequest {
    pub name: String,
    pub tier: String,
}

/// A new account and its token. The token is not stored anywhere in clear: keep it now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct CreatedAccount {
    pub account_id: String,
    pub name: String,
    pub tier: String,
    pub token: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateNodeRequest {
    pub name: String,
}

/// A new edge node and its token, shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct CreatedNode {
    pub node_id: String,
    pub name: String,
    pub token: String,
    pub created_at: DateTime<Utc>,
}
