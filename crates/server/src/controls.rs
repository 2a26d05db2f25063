//! The account's spend controls: the budget (with its alerts and the spend cap) and automatic
//! top-up. Thin adapters over the engine, like [`crate::handlers`].

use axum::extract::State;
use edgecost_api::{AutoTopUpSettings, AutoTopUpStatus, BudgetSettings, BudgetStatus, ErrorBody};

use crate::auth::AccountAuth;
use crate::error::AppError;
use crate::handlers::{AccountTokenRefused, JsonBodyRefused};
use crate::idempotency::IdempotentJson;
use crate::json::Json;
use crate::state::AppState;

/// The monthly budget, the spend against it, its forecasts (run rate, P50, P90) with the day
/// each expects the budget to be reached, and the open budget alerts.
#[utoipa::path(
    get, path = "/v1/account/budget", tag = "account",
    security(("account_token" = [])),
    responses(
        (status = 200, description = "The budget and where the period stands against it", body = BudgetStatus),
        AccountTokenRefused,
    )
)]
pub async fn budget(State(state): State<AppState>, auth: AccountAuth) -> Result<Json<BudgetStatus>, AppError> {
    Ok(Json(state.engine.budget(&auth.account, state.clock.now()).await?))
}

/// Sets the monthly budget, its alert percentages and the spend cap (`null` removes one).
#[utoipa::path(
    put, path = "/v1/account/budget", tag = "account",
    request_body = BudgetSettings,
    security(("account_token" = [])),
    params(("Idempotency-Key" = String, Header, description = "1 to 128 visible ASCII characters, one per change")),
    responses(
        (status = 200, description = "Set (or already set with this key); the budget as it now stands", body = BudgetStatus),
        (status = 400, description = "Malformed body or missing key", body = ErrorBody),
        AccountTokenRefused,
        (status = 409, description = "The key was used with a different body", body = ErrorBody),
        JsonBodyRefused,
        (status = 422, description = "An amount or percentage out of range (`invalid_controls`)", body = ErrorBody),
    )
)]
pub async fn set_budget(
    State(state): State<AppState>,
    auth: AccountAuth,
    request: IdempotentJson<BudgetSettings>,
) -> Result<Json<BudgetStatus>, AppError> {
    Ok(Json(state.engine.set_budget(&auth.account, &request.key, &request.body, state.clock.now()).await?))
}

/// Automatic top-up of burst credit: its settings, the packs it bought this period and its
/// open alerts (bought, failed, ceiling reached).
#[utoipa::path(
    get, path = "/v1/account/auto-top-up", tag = "account",
    security(("account_token" = [])),
    responses(
        (status = 200, description = "Automatic top-up and what it did this period", body = AutoTopUpStatus),
        AccountTokenRefused,
    )
)]
pub async fn auto_top_up(State(state): State<AppState>, auth: AccountAuth) -> Result<Json<AutoTopUpStatus>, AppError> {
    Ok(Json(state.engine.auto_top_up(&auth.account, state.clock.now()).await?))
}

/// Sets up, changes or switches off automatic top-up. Switching it on with the balance
/// already below the threshold while the period has overage buys at once.
#[utoipa::path(
    put, path = "/v1/account/auto-top-up", tag = "account",
    request_body = AutoTopUpSettings,
    security(("account_token" = [])),
    params(("Idempotency-Key" = String, Header, description = "1 to 128 visible ASCII characters, one per change")),
    responses(
        (status = 200, description = "Set (or already set with this key); automatic top-up as it now stands", body = AutoTopUpStatus),
        (status = 400, description = "Malformed body or missing key", body = ErrorBody),
        AccountTokenRefused,
        (status = 409, description = "The key was used with a different body", body = ErrorBody),
        JsonBodyRefused,
        (status = 422, description = "Figures out of range (`invalid_controls`, `invalid_pack_count`), or the tier takes no packs (`credit_packs_not_allowed`)", body = ErrorBody),
    )
)]
pub async fn set_auto_top_up(
    State(state): State<AppState>,
    auth: AccountAuth,
    request: IdempotentJson<AutoTopUpSettings>,
) -> Result<Json<AutoTopUpStatus>, AppError> {
    Ok(Json(state.engine.set_auto_top_up(&auth.account, &request.key, &request.body, state.clock.now()).await?))
}
