//! The operator's routes (`/v1/admin/...`, operator token): the service's figures month by
//! month, a price book's effect on past bills, and the payments of accounts' invoices. Thin
//! adapters over the engine, like [`crate::handlers`].

use axum::extract::{Path, State};
use axum::http::StatusCode;
use edgecost_api::{
    DEFAULT_WHAT_IF_MONTHS, ErrorBody, OperatorReport, OperatorReportQuery, PaymentRequest, RecordedPayment, WhatIfReport, WhatIfRequest,
};
use edgecost_pricing::{PriceBook, PriceBookError};

use crate::auth::OperatorAuth;
use crate::error::AppError;
use crate::handlers::JsonBodyRefused;
use crate::json::{Json, Query};
use crate::state::AppState;

/// How the server refuses a token on an operator route, for the OpenAPI document.
#[derive(utoipa::IntoResponses)]
#[response(status = 401, description = "Missing or invalid operator token (an account or node token is refused)")]
#[allow(dead_code, reason = "describes the body; never built, and named only by the OpenAPI document")]
pub(crate) struct OperatorTokenRefused(ErrorBody);

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

/// The last `months` closed months of every account re-rated under the price book in the
/// body, beside what they were billed: revenue before and after per tier and in total, the
/// largest rises and falls, cheapest-tier changes and gross margin under each book
/// (`docs/operator-metrics.md`). Reads only: no bill changes.
#[utoipa::path(
    post, path = "/v1/admin/what-if", tag = "operator",
    security(("operator_token" = [])),
    request_body = WhatIfRequest,
    responses(
        (status = 200, description = "The what-if", body = WhatIfReport),
        (status = 400, description = "The body is not JSON (`malformed_json`)", body = ErrorBody),
        OperatorTokenRefused,
        JsonBodyRefused,
        (status = 422, description = "A price book that does not parse or breaks a rule (`price_book_invalid`, with `line` and `column` where the parser places it), a body without the expected fields (`invalid_body`), or months out of range (`invalid_report_range`)", body = ErrorBody),
    )
)]
pub async fn what_if(
    State(state): State<AppState>,
    _operator: OperatorAuth,
    Json(request): Json<WhatIfRequest>,
) -> Result<Json<WhatIfReport>, AppError> {
    let now = state.clock.now();
    let proposed = price_book(request.price_book)?;
    let months = request.months.unwrap_or(DEFAULT_WHAT_IF_MONTHS);
    Ok(Json(state.engine.what_if(&proposed, months, now).await?))
}

/// Records a payment the operator's payment processor received for an account's invoice
/// (`docs/billing-rules.md`, "Invoices"). The invoice is named by its id (`inv_...`) or its
/// number (`INV-00003`). The amount is in the invoice's currency, whole cents, above zero and
/// at most what is still due. The reference makes it idempotent per invoice: recording it
/// again changes nothing and answers the first payment (200).
#[utoipa::path(
    post, path = "/v1/admin/accounts/{account_id}/invoices/{invoice_id}/payments", tag = "operator",
    security(("operator_token" = [])),
    params(
        ("account_id" = String, Path, description = "The account's id (`acct_...`)"),
        ("invoice_id" = String, Path, description = "The invoice's id (`inv_...`) or number (`INV-00003`)"),
    ),
    request_body = PaymentRequest,
    responses(
        (status = 201, description = "The payment, recorded, and the invoice with it", body = RecordedPayment),
        (status = 200, description = "The reference was recorded before: the first payment, nothing changed", body = RecordedPayment),
        (status = 400, description = "The body is not JSON (`malformed_json`)", body = ErrorBody),
        OperatorTokenRefused,
        (status = 404, description = "The account has no such invoice (`invoice_not_found`)", body = ErrorBody),
        (status = 409, description = "Nothing is due on the invoice (`nothing_due`), the amount is more than is still due (`payment_exceeds_due`), or the reference was recorded with another amount (`payment_reference_reused`)", body = ErrorBody),
        JsonBodyRefused,
        (status = 422, description = "A body without the expected fields (`invalid_body`), or an amount, currency, reference or time out of bounds (`invalid_payment`)", body = ErrorBody),
    )
)]
pub async fn record_payment(
    State(state): State<AppState>,
    _operator: OperatorAuth,
    Path((account_id, invoice_id)): Path<(String, String)>,
    Json(request): Json<PaymentRequest>,
) -> Result<(StatusCode, Json<RecordedPayment>), AppError> {
    let now = state.clock.now();
    let outcome = state.engine.record_payment(&account_id, &invoice_id, &request, now).await?;
    let status = if outcome.replayed { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(outcome.recorded)))
}

/// The name a price book of a request goes by in errors.
const REQUEST_BOOK: &str = "price_book";

/// The book of a what-if request: text read as the CLI reads a file (JSON when it opens with
/// `{`, YAML otherwise, either with line and column in errors), or a JSON object.
fn price_book(source: serde_json::Value) -> Result<PriceBook, AppError> {
    match source {
        serde_json::Value::String(text) if text.trim_start().starts_with('{') => {
            PriceBook::from_json_str(&text, REQUEST_BOOK).map_err(AppError::PriceBook)
        }
        serde_json::Value::String(text) => PriceBook::from_yaml_str(&text, REQUEST_BOOK).map_err(AppError::PriceBook),
        object @ serde_json::Value::Object(_) => serde_json::from_value(object)
            .map_err(|e| AppError::PriceBook(PriceBookError::Invalid { file: REQUEST_BOOK.to_owned(), message: e.to_string() })),
        _ => Err(AppError::InvalidBody { detail: "price_book must be the book's text or a JSON object".to_owned() }),
    }
}
