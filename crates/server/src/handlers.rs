//! The endpoint handlers: thin adapters that read the clock, call the engine, and answer.
//!
//! Each account handler acts on the account of its token only (see [`AccountAuth`]).

use axum::extract::State;
use axum::response::IntoResponse;
use edgecost_api::{
    AccountSummary, BillToDate, CreditLedger, CreditPurchase, CreditPurchaseRequest, CreditsQuote, CreditsQuoteQuery, ErrorBody,
    Granularity, IngestReceipt, Invoice, InvoicePage, InvoiceQuery, MAX_INVOICE_PAGE, MAX_USAGE_LOG_PAGE, NoticeList, OutlookReport,
    RouteCostQuery, RouteCostReport, TelemetryBatch, TierChange, TierChangeRequest, UpgradeQuote, UsageGrouping, UsageLogPage,
    UsageLogQuery, UsageQuery, UsageSeries,
};

use crate::auth::{AccountAuth, NodeAuth};
use crate::error::AppError;
use crate::idempotency::IdempotentJson;
use crate::json::{Json, Query};
use crate::metrics::IngestOutcome;
use crate::state::AppState;

/// The content type of `/metrics`, as sent and as documented.
pub const METRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The answer of every account endpoint to a request without a valid account token (as
/// [`AccountAuth`] refuses it), for the OpenAPI document.
#[derive(utoipa::IntoResponses)]
#[response(status = 401, description = "Missing or invalid account token")]
#[allow(dead_code, reason = "describes the body; never built, and named only by the OpenAPI document")]
pub(crate) struct AccountTokenRefused(ErrorBody);

/// How the server refuses a JSON body before any handler reads it, for the OpenAPI document of
/// every route that takes one.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code, reason = "describes the bodies; never built")]
pub(crate) enum JsonBodyRefused {
    #[response(status = 408, description = "The body did not arrive in time (`body_read_timeout`)")]
    Timeout(ErrorBody),
    #[response(status = 413, description = "The body is larger than the limit (`body_too_large`)")]
    TooLarge(ErrorBody),
    #[response(status = 415, description = "The body is not `Content-Type: application/json` (`not_json`)")]
    NotJson(ErrorBody),
}

/// Telemetry from an edge node. Answers only after the batch is durably stored; a replayed
/// `batch_id` gets the first answer again and is counted once.
#[utoipa::path(
    post, path = "/v1/telemetry", tag = "telemetry",
    request_body = TelemetryBatch,
    security(("node_token" = [])),
    responses(
        (status = 200, description = "Stored (or a replay of a stored batch)", body = IngestReceipt),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Missing or invalid node token", body = ErrorBody),
        (status = 408, description = "The body did not arrive in time (`body_read_timeout`)", body = ErrorBody),
        (status = 409, description = "The batch id was used with a different body", body = ErrorBody),
        (status = 413, description = "The body is larger than the limit (`body_too_large`) or holds too many records (`batch_too_large`)", body = ErrorBody),
        (status = 415, description = "The body is not `Content-Type: application/json` (`not_json`)", body = ErrorBody),
        (status = 422, description = "The batch breaks a bound (`invalid_batch`), or would take an account's period total past its bound (`period_total_exceeded`: nothing of the batch is stored; split it or drop records)", body = ErrorBody),
    )
)]
pub async fn ingest(
    State(state): State<AppState>,
    node: NodeAuth,
    Json(batch): Json<TelemetryBatch>,
) -> Result<Json<IngestReceipt>, AppError> {
    let now = state.clock.now();
    match state.engine.ingest(&node.node, &batch, now).await {
        Ok(ingested) => {
            let outcome = if ingested.replayed {
                IngestOutcome::Replayed
            } else {
                IngestOutcome::Stored { records: u64::from(ingested.receipt.accepted) }
            };
            state.metrics.record_ingest(outcome);
            Ok(Json(ingested.receipt))
        }
        Err(e) => {
            state.metrics.record_ingest(IngestOutcome::Rejected);
            Err(e.into())
        }
    }
}

/// Tier, period, totals, credit balance and open notices.
#[utoipa::path(
    get, path = "/v1/account", tag = "account",
    security(("account_token" = [])),
    responses(
        (status = 200, description = "The account's overview", body = AccountSummary),
        AccountTokenRefused,
    )
)]
pub async fn account(State(state): State<AppState>, auth: AccountAuth) -> Result<Json<AccountSummary>, AppError> {
    let now = state.clock.now();
    Ok(Json(state.engine.account_summary(&auth.account, now).await?))
}

/// The bill to date (what is left to invoice) and the projected bill at period end.
#[utoipa::path(
    get, path = "/v1/account/bill", tag = "account",
    security(("account_token" = [])),
    responses(
        (status = 200, description = "The bill to date and the projected bill", body = BillToDate),
        AccountTokenRefused,
    )
)]
pub async fn bill(State(state): State<AppState>, auth: AccountAuth) -> Result<Json<BillToDate>, AppError> {
    let now = state.clock.now();
    Ok(Json(state.engine.bill_to_date(&auth.account, now).await?))
}

/// The simulated outlook of the period: P50 and P90 of 1,000 simulated periods drawn from
/// the account's last 28 complete days, each rated exactly; or why there is none yet.
#[utoipa::path(
    get, path = "/v1/account/outlook", tag = "account",
    security(("account_token" = [])),
    responses(
        (status = 200, description = "The outlook, or why there is none", body = OutlookReport),
        AccountTokenRefused,
    )
)]
pub async fn outlook(State(state): State<AppState>, auth: AccountAuth) -> Result<Json<OutlookReport>, AppError> {
    let now = state.clock.now();
    Ok(Json(state.engine.outlook(&auth.account, now).await?))
}

/// Every tier priced for this period's projected usage as if changed today, and the
/// recommended upgrade: the cheapest higher tier that does not cap the usage.
#[utoipa::path(
    get, path = "/v1/account/upgrade-quote", tag = "account",
    security(("account_token" = [])),
    responses(
        (status = 200, description = "Every tier priced, the recommended upgrade", body = UpgradeQuote),
        AccountTokenRefused,
        (status = 422, description = "The account is on a negotiated tier", body = ErrorBody),
    )
)]
pub async fn upgrade_quote(State(state): State<AppState>, auth: AccountAuth) -> Result<Json<UpgradeQuote>, AppError> {
    let now = state.clock.now();
    Ok(Json(state.engine.upgrade_quote(&auth.account, now).await?))
}

/// What buying `packs` burst credit packs pays for at this period's run rate. Nothing is
/// bought.
#[utoipa::path(
    get, path = "/v1/account/credits/quote", tag = "account",
    security(("account_token" = [])),
    params(CreditsQuoteQuery),
    responses(
        (status = 200, description = "The quote", body = CreditsQuote),
        (status = 400, description = "Bad query string", body = ErrorBody),
        AccountTokenRefused,
        (status = 422, description = "A pack count out of range, or a tier without packs", body = ErrorBody),
    )
)]
pub async fn credits_quote(
    State(state): State<AppState>,
    auth: AccountAuth,
    Query(query): Query<CreditsQuoteQuery>,
) -> Result<Json<CreditsQuote>, AppError> {
    let now = state.clock.now();
    Ok(Json(state.engine.credits_quote(&auth.account, query.packs, now).await?))
}

/// The overage of every billing period the span touches, attributed to routes to the cent.
#[utoipa::path(
    get, path = "/v1/account/route-costs", tag = "account",
    security(("account_token" = [])),
    params(RouteCostQuery),
    responses(
        (status = 200, description = "Cost by route per billing period", body = RouteCostReport),
        (status = 400, description = "Bad query string", body = ErrorBody),
        AccountTokenRefused,
        (status = 422, description = "A span the engine refuses", body = ErrorBody),
    )
)]
pub async fn route_costs(
    State(state): State<AppState>,
    auth: AccountAuth,
    Query(query): Query<RouteCostQuery>,
) -> Result<Json<RouteCostReport>, AppError> {
    let now = state.clock.now();
    Ok(Json(state.engine.route_costs(&auth.account, query.from, query.to, now).await?))
}

/// Usage series by hour or day, grouped by meter, route or region.
#[utoipa::path(
    get, path = "/v1/account/usage", tag = "account",
    security(("account_token" = [])),
    params(
        ("from" = String, Query, format = DateTime, description = "Start, RFC 3339 UTC, inclusive"),
        ("to" = String, Query, format = DateTime, description = "End, RFC 3339 UTC, exclusive"),
        ("granularity" = Granularity, Query, description = "`hour` or `day`"),
        ("group_by" = UsageGrouping, Query, description = "`meter`, `route` or `region`"),
    ),
    responses(
        (status = 200, description = "Usage series", body = UsageSeries),
        (status = 400, description = "Bad query string", body = ErrorBody),
        AccountTokenRefused,
        (status = 422, description = "A range the engine refuses", body = ErrorBody),
    )
)]
pub async fn usage(
    State(state): State<AppState>,
    auth: AccountAuth,
    Query(query): Query<UsageQuery>,
) -> Result<Json<UsageSeries>, AppError> {
    Ok(Json(state.engine.usage(&auth.account, &query).await?))
}

/// Stored telemetry records of the account, newest first, one page at a time.
#[utoipa::path(
    get, path = "/v1/account/usage/log", tag = "account",
    security(("account_token" = [])),
    params(
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page (32 hex digits, valid for this account only)"),
        ("limit" = Option<u32>, Query, description = "Records per page, 1 to 500 (100); outside that range answers 400 `query_out_of_range`"),
    ),
    responses(
        (status = 200, description = "One page of the usage log", body = UsageLogPage),
        (status = 400, description = "Bad query string or cursor", body = ErrorBody),
        AccountTokenRefused,
    )
)]
pub async fn usage_log(
    State(state): State<AppState>,
    auth: AccountAuth,
    Query(query): Query<UsageLogQuery>,
) -> Result<Json<UsageLogPage>, AppError> {
    page_limit(query.limit, MAX_USAGE_LOG_PAGE)?;
    Ok(Json(state.engine.usage_log(&auth.account, &query).await?))
}

/// The account's invoices, newest period first: every period whose grace hour has passed is
/// closed into an immutable invoice.
#[utoipa::path(
    get, path = "/v1/account/invoices", tag = "account",
    security(("account_token" = [])),
    params(
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("limit" = Option<u32>, Query, description = "Invoices per page, 1 to 100 (24); outside that range answers 400 `query_out_of_range`"),
    ),
    responses(
        (status = 200, description = "One page of invoices", body = InvoicePage),
        (status = 400, description = "Bad query string or cursor", body = ErrorBody),
        AccountTokenRefused,
    )
)]
pub async fn invoices(
    State(state): State<AppState>,
    auth: AccountAuth,
    Query(query): Query<InvoiceQuery>,
) -> Result<Json<InvoicePage>, AppError> {
    page_limit(query.limit, MAX_INVOICE_PAGE)?;
    let now = state.clock.now();
    Ok(Json(state.engine.invoices(&auth.account, &query, now).await?))
}

/// One invoice of the account. An id of another account's invoice answers 404 like an id
/// that does not exist.
#[utoipa::path(
    get, path = "/v1/account/invoices/{id}", tag = "account",
    security(("account_token" = [])),
    params(("id" = String, Path, description = "The invoice's id")),
    responses(
        (status = 200, description = "The invoice", body = Invoice),
        (status = 404, description = "No such invoice on this account (`not_found`)", body = ErrorBody),
        AccountTokenRefused,
    )
)]
pub async fn invoice(
    State(state): State<AppState>,
    auth: AccountAuth,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<Invoice>, AppError> {
    let now = state.clock.now();
    Ok(Json(state.engine.invoice(&auth.account, &id, now).await?))
}

/// Changes the tier: an upgrade applies at once to the whole period, a downgrade next period.
/// The `Idempotency-Key` header is required and names the change (one per confirmation): the
/// same key with the same body returns the first answer without changing anything again, the
/// same key with a different body is refused with 409. Keys are per account.
#[utoipa::path(
    post, path = "/v1/account/tier", tag = "account",
    request_body = TierChangeRequest,
    security(("account_token" = [])),
    params(("Idempotency-Key" = String, Header, description = "1 to 128 visible ASCII characters, one per tier-change intent")),
    responses(
        (status = 200, description = "The change and when it takes effect (or the first answer for this key)", body = TierChange),
        (status = 400, description = "Malformed body or missing key", body = ErrorBody),
        AccountTokenRefused,
        (status = 409, description = "The tier is already in effect, or the key was used with a different body", body = ErrorBody),
        JsonBodyRefused,
        (status = 422, description = "Unknown or unavailable tier", body = ErrorBody),
    )
)]
pub async fn change_tier(
    State(state): State<AppState>,
    auth: AccountAuth,
    request: IdempotentJson<TierChangeRequest>,
) -> Result<Json<TierChange>, AppError> {
    let now = state.clock.now();
    Ok(Json(state.engine.change_tier(&auth.account, &request.key, &request.body, now).await?))
}

/// Buys burst credit packs. The `Idempotency-Key` header names the purchase: the same key
/// returns the first answer, the same key with a different body is refused with 409.
#[utoipa::path(
    post, path = "/v1/account/credits", tag = "account",
    request_body = CreditPurchaseRequest,
    security(("account_token" = [])),
    params(("Idempotency-Key" = String, Header, description = "1 to 128 visible ASCII characters, one per purchase intent")),
    responses(
        (status = 200, description = "Bought (or the first answer for this key)", body = CreditPurchase),
        (status = 400, description = "Malformed body or missing key", body = ErrorBody),
        AccountTokenRefused,
        (status = 409, description = "The key was used with a different body", body = ErrorBody),
        JsonBodyRefused,
        (status = 422, description = "The tier cannot hold credits", body = ErrorBody),
    )
)]
pub async fn buy_credits(
    State(state): State<AppState>,
    auth: AccountAuth,
    request: IdempotentJson<CreditPurchaseRequest>,
) -> Result<Json<CreditPurchase>, AppError> {
    let now = state.clock.now();
    Ok(Json(state.engine.purchase_credits(&auth.account, &request.key, &request.body, now).await?))
}

/// Credit balance and every ledger entry.
#[utoipa::path(
    get, path = "/v1/account/credits", tag = "account",
    security(("account_token" = [])),
    responses(
        (status = 200, description = "Balance and ledger", body = CreditLedger),
        AccountTokenRefused,
    )
)]
pub async fn credits(State(state): State<AppState>, auth: AccountAuth) -> Result<Json<CreditLedger>, AppError> {
    Ok(Json(state.engine.credit_ledger(&auth.account).await?))
}

/// Open quota notices (80% and 100% of an included quantity) with their offers.
#[utoipa::path(
    get, path = "/v1/account/notices", tag = "account",
    security(("account_token" = [])),
    responses(
        (status = 200, description = "Open notices", body = NoticeList),
        AccountTokenRefused,
    )
)]
pub async fn notices(State(state): State<AppState>, auth: AccountAuth) -> Result<Json<NoticeList>, AppError> {
    let now = state.clock.now();
    Ok(Json(state.engine.notices(&auth.account, now).await?))
}

/// The price book the engine rates with (no token needed: prices are public), without the
/// operator's infrastructure cost.
#[utoipa::path(
    get, path = "/v1/price-book", tag = "pricing",
    responses((status = 200, description = "The price book in its JSON form", body = Object))
)]
pub async fn price_book(State(state): State<AppState>) -> impl IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], state.engine.book().published_terms().to_json())
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "The process answers", body = String)))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Prometheus metrics in the OpenMetrics text format. Served only on the metrics address
/// (`edgecost serve --metrics-listen`), never on the API's: the counters are platform-wide.
#[utoipa::path(
    get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "OpenMetrics text", body = String, content_type = METRICS_CONTENT_TYPE))
)]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    // The queue lives in the database, shared by every replica: read it for each scrape. A
    // failed read keeps the last value; the roll-up task logs its own failures.
    match state.engine.rollups_pending().await {
        Ok(batches) => state.metrics.set_rollup_queue(batches),
        Err(e) => tracing::warn!(error = %e, "reading the rollup queue for /metrics failed"),
    }
    ([(axum::http::header::CONTENT_TYPE, METRICS_CONTENT_TYPE)], state.metrics.render())
}

/// Refuses a page `limit` outside 1 to `max`: the engine would clamp it, the document promises
/// a refusal instead.
fn page_limit(limit: Option<u32>, max: u32) -> Result<(), AppError> {
    match limit {
        Some(limit) if !(1..=max).contains(&limit) => Err(AppError::QueryOutOfRange { name: "limit", min: 1, max: u64::from(max) }),
        _ => Ok(()),
    }
}
