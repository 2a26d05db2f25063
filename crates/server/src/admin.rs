//! The operator's routes (`/v1/admin/...`, operator token): the service's figures month by
//! month. Thin adapters over the engine, like [`crate::handlers`].

use axum::extract::State;
use edgecost_api::{ErrorBody, OperatorReport, OperatorReportQuery};

use crate::auth::OperatorAuth;
use crate::error::AppError;
use crate::json::{Json, Query};
use crate::state::AppState;

/// How the server refuses a token on an operator route, for the OpenAPI document.
#[derive(utoipa::IntoResponses)]
#[response(status = 401, description = "Missing or invalid operator token (an account or node token is refused)")]
pub(crate) struct OperatorTokenRefused(#[allow(dead_code, reason = "describes the body; never built")] ErrorBody);

/// MRR and revenue by tier, NRR and gross revenue retention, logo and revenue churn,
/// sandbox-to-paid conversion, upgrades and downgrades, burst packs, the 80%-to-upgrade funnel,
/// capped accounts and gross margin, for each month from `from` to `to`
/// (`docs/operator-metrics.md`). Margin is priced by the price book's infrastructure cost.
#[utoipa::path(
    get, path = "/v1/admin/report", tag = "operator",
    security(("operator_token" = [])),
    params(OperatorReportQuery),
    responses(
        (status = 200, description = "The report", body = OperatorReport),
        (status = 400, description = "Bad query string", body = ErrorBody),
        OperatorTokenRefused,
        (status = 422, description = "A month range the engine refuses (`invalid_report_range`)", body = ErrorBody),
    )
)]
pub async fn report(
    State(state): State<AppState>,
    _operator: OperatorAuth,
    Query(query): Query<OperatorReportQuery>,
) -> Result<Json<OperatorReport>, AppError> {
    let now = state.clock.now();
    let costs = state.engine.book().infrastructure_cost.clone();
    Ok(Json(state.engine.operator_report(&query, costs.as_ref(), now).await?))
}
