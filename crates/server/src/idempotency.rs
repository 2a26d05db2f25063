//! Bodies that must come with an `Idempotency-Key` header (tier changes, credit purchases).

use axum::extract::{FromRequest, Request};
use axum::http::HeaderValue;
use edgecost_engine::EngineError;
use serde::de::DeserializeOwned;

use crate::error::AppError;
use crate::json::Json;

pub use edgecost_api::MAX_IDEMPOTENCY_KEY_CHARS;

/// The header that makes a purchase safe to repeat.
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";

/// A JSON body and the `Idempotency-Key` header that names it. The body is checked first, so
/// a malformed body answers as such even without a key.
#[derive(Debug)]
pub struct IdempotentJson<T> {
    pub key: String,
    pub body: T,
}

impl<T, S> FromRequest<S> for IdempotentJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let header = req.headers().get(IDEMPOTENCY_KEY_HEADER).cloned();
        let Json(body) = Json::<T>::from_request(req, state).await?;
        let key = idempotency_key(header.as_ref())?.to_owned();
        Ok(IdempotentJson { key, body })
    }
}

/// The `Idempotency-Key` header. Its length is checked here against the bound the OpenAPI
/// document declares; the engine checks its form (visible ASCII) too, so a bad key answers
/// `invalid_idempotency_key` wherever it is used.
pub(crate) fn idempotency_key(header: Option<&HeaderValue>) -> Result<&str, AppError> {
    let value = header.ok_or(AppError::MissingIdempotencyKey { max_len: MAX_IDEMPOTENCY_KEY_CHARS })?;
    let key = value.to_str().map_err(|_| AppError::Engine(EngineError::InvalidIdempotencyKey))?;
    if key.is_empty() || key.chars().count() > MAX_IDEMPOTENCY_KEY_CHARS {
        return Err(AppError::Engine(EngineError::InvalidIdempotencyKey));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    async fn extract(key: Option<&[u8]>, body: &str) -> Result<IdempotentJson<serde_json::Value>, AppError> {
        let mut builder = Request::builder().method("POST").header("content-type", "application/json");
        if let Some(k) = key {
            builder = builder.header(IDEMPOTENCY_KEY_HEADER, HeaderValue::from_bytes(k).unwrap());
        }
        IdempotentJson::from_request(builder.body(Body::from(body.to_owned())).unwrap(), &()).await
    }

    #[tokio::test]
    async fn the_body_is_checked_before_the_key() {
        assert_eq!(extract(None, "{").await.unwrap_err().code(), "malformed_json");
        assert_eq!(extract(None, "{}").await.unwrap_err().code(), "missing_idempotency_key");
        assert_eq!(extract(Some(b"k\xff"), "{}").await.unwrap_err().code(), "invalid_idempotency_key");
        let longest = "k".repeat(MAX_IDEMPOTENCY_KEY_CHARS);
        assert!(extract(Some(longest.as_bytes()), "{}").await.is_ok());
        let too_long = "k".repeat(MAX_IDEMPOTENCY_KEY_CHARS + 1);
        assert_eq!(extract(Some(too_long.as_bytes()), "{}").await.unwrap_err().code(), "invalid_idempotency_key");
        assert_eq!(extract(Some(b""), "{}").await.unwrap_err().code(), "invalid_idempotency_key");
        let ok = extract(Some(b"k-1"), r#"{"a":1}"#).await.unwrap();
        assert_eq!((ok.key.as_str(), ok.body["a"].as_i64()), ("k-1", Some(1)));
    }
}
