//! `/v1/account/webhooks`: the account's webhook (registration, replacement, deletion) and its
//! delivery log. Events, payloads, headers and signatures: `docs/webhooks.md`.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use edgecost_api::{ErrorBody, Webhook, WebhookDeletion, WebhookRegistration, WebhookRequest};

use crate::auth::AccountAuth;
use crate::error::AppError;
use crate::handlers::{AccountTokenRefused, JsonBodyRefused};
use crate::idempotency::{IDEMPOTENCY_KEY_HEADER, IdempotentJson, idempotency_key};
use crate::json::Json;
use crate::state::AppState;

/// The `Idempotency-Key` header of a request without a body.
#[derive(Debug)]
pub struct IdempotencyKey(pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, AppError> {
        Ok(IdempotencyKey(idempotency_key(parts.headers.get(IDEMPOTENCY_KEY_HEADER))?.to_owned()))
    }
}

/// The account's webhook: its URL, the event types it receives, its latest 100 events (with
/// where each delivery stands) and its latest 100 delivery attempts, newest first. The secret
/// is shown only when registering.
#[utoipa::path(
    get, path = "/v1/account/webhooks", tag = "webhooks",
    security(("account_token" = [])),
    responses(
        (status = 200, description = "The webhook and its delivery log", body = Webhook),
        AccountTokenRefused,
        (status = 404, description = "No webhook is registered (`webhook_not_registered`)", body = ErrorBody),
    )
)]
pub async fn get_webhook(State(state): State<AppState>, auth: AccountAuth) -> Result<Json<Webhook>, AppError> {
    Ok(Json(state.engine.webhook(&auth.account).await?))
}

/// Registers the account's webhook or replaces its URL, and answers with the signing secret.
/// The URL is `https://`, or `http://` to a loopback host. A replaced URL keeps the secret
/// unless `rotate_secret` is true; events not delivered yet go to the new URL. The
/// `Idempotency-Key` header names the change: the same key returns the first answer, the same
/// key with a different body is refused with 409.
#[utoipa::path(
    put, path = "/v1/account/webhooks", tag = "webhooks",
    request_body = WebhookRequest,
    security(("account_token" = [])),
    params(("Idempotency-Key" = String, Header, description = "1 to 128 visible ASCII characters, one per change")),
    responses(
        (status = 200, description = "Registered (or the first answer for this key)", body = WebhookRegistration),
        (status = 400, description = "Malformed body, or a missing or invalid key", body = ErrorBody),
        AccountTokenRefused,
        JsonBodyRefused,
        (status = 409, description = "The key was used with a different request (`idempotency_key_reused`)", body = ErrorBody),
        (status = 422, description = "A body without the expected fields (`invalid_body`), a URL that is not one (`invalid_webhook_url`), or plain http:// to a host that is not loopback (`webhook_url_not_https`)", body = ErrorBody),
    )
)]
pub async fn put_webhook(
    State(state): State<AppState>,
    auth: AccountAuth,
    request: IdempotentJson<WebhookRequest>,
) -> Result<Json<WebhookRegistration>, AppError> {
    let now = state.clock.now();
    Ok(Json(state.engine.put_webhook(&auth.account, &request.key, &request.body, now).await?))
}

/// Deletes the account's webhook: nothing more is delivered, and events not delivered yet are
/// cancelled. Idempotent by its `Idempotency-Key` header, as registering is.
#[utoipa::path(
    delete, path = "/v1/account/webhooks", tag = "webhooks",
    security(("account_token" = [])),
    params(("Idempotency-Key" = String, Header, description = "1 to 128 visible ASCII characters, one per change")),
    responses(
        (status = 200, description = "Deleted (or the first answer for this key)", body = WebhookDeletion),
        (status = 400, description = "A missing or invalid key", body = ErrorBody),
        AccountTokenRefused,
        (status = 404, description = "No webhook is registered (`webhook_not_registered`)", body = ErrorBody),
        (status = 409, description = "The key was used with a different request (`idempotency_key_reused`)", body = ErrorBody),
    )
)]
pub async fn delete_webhook(
    State(state): State<AppState>,
    auth: AccountAuth,
    key: IdempotencyKey,
) -> Result<Json<WebhookDeletion>, AppError> {
    let now = state.clock.now();
    Ok(Json(state.engine.delete_webhook(&auth.account, &key.0, now).await?))
}
