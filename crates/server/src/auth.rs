//! Bearer-token extractors: one for account tokens, one for edge-node tokens, one for
//! operator tokens. Each kind opens its own routes only: the engine tells them apart by prefix
//! and keeps them in separate tables.
//!
//! A handler that takes [`AccountAuth`] runs only for a valid account token and then acts on
//! that account alone: no route takes an account id from the client, so another account's data
//! cannot be named, let alone reached.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use edgecost_engine::{AccountId, NodeId, OperatorId};

use crate::error::AppError;
use crate::state::AppState;

/// The longest token accepted before any lookup, so a huge header costs nothing.
const MAX_TOKEN_CHARS: usize = 256;

/// The account the request's token belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountAuth {
    /// The account the handler acts on, and on no other.
    pub account: AccountId,
}

/// The edge node the request's token belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeAuth {
    /// The node sending usage; a batch naming another `node_id` is refused.
    pub node: NodeId,
}

/// The operator the request's token belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperatorAuth {
    /// The operator reading the service-wide figures.
    pub operator: OperatorId,
}

/// The token of an `Authorization: Bearer <token>` header.
fn bearer_token(parts: &Parts) -> Result<&str, AppError> {
    let header = parts.headers.get(AUTHORIZATION).ok_or(AppError::MissingToken)?;
    let value = header.to_str().map_err(|_| AppError::InvalidToken)?;
    let (scheme, token) = value.split_once(' ').ok_or(AppError::InvalidToken)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AppError::MissingToken);
    }
    let token = token.trim();
    if token.is_empty() || token.len() > MAX_TOKEN_CHARS {
        return Err(AppError::InvalidToken);
    }
    Ok(token)
}

impl FromRequestParts<AppState> for AccountAuth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = bearer_token(parts)?;
        let account = state.engine.authenticate_account(token).await?;
        Ok(AccountAuth { account })
    }
}

impl FromRequestParts<AppState> for NodeAuth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = bearer_token(parts)?;
        let node = state.engine.authenticate_node(token).await?;
        Ok(NodeAuth { node })
    }
}

impl FromRequestParts<AppState> for OperatorAuth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = bearer_token(parts)?;
        let operator = state.engine.authenticate_operator(token).await?;
        Ok(OperatorAuth { operator })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(header: Option<&str>) -> Parts {
        let mut builder = Request::builder().uri("/v1/account");
        if let Some(h) = header {
            builder = builder.header(AUTHORIZATION, h);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn reads_the_token_of_a_bearer_header() {
        assert_eq!(bearer_token(&parts(Some("Bearer ect_abc"))).unwrap(), "ect_abc");
        assert_eq!(bearer_token(&parts(Some("bearer  ect_abc "))).unwrap(), "ect_abc");
    }

    #[test]
    fn refuses_missing_empty_and_foreign_credentials() {
        assert_eq!(bearer_token(&parts(None)).unwrap_err().code(), "missing_token");
        assert_eq!(bearer_token(&parts(Some("Basic dXNlcjpwdw=="))).unwrap_err().code(), "missing_token");
        assert_eq!(bearer_token(&parts(Some("Bearer "))).unwrap_err().code(), "invalid_token");
        assert_eq!(bearer_token(&parts(Some("Bearer"))).unwrap_err().code(), "invalid_token");
        let huge = format!("Bearer {}", "x".repeat(MAX_TOKEN_CHARS + 1));
        assert_eq!(bearer_token(&parts(Some(&huge))).unwrap_err().code(), "invalid_token");
    }
}
