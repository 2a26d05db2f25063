//! An HTTP client for the billing engine's account API (and, with an operator token, the
//! operator's report and what-if).
//!
//! [`Client`] speaks to `edgecost serve` (or the engine the desktop app runs in-process) with a
//! bearer token and returns the wire types of `edgecost_api`. Failures come back as
//! [`ClientError`], which keeps the server's stable `code` and tells a network failure from a
//! refused token and from a server error.
//!
//! Retries: reads, telemetry batches (deduplicated by their `batch_id`), credit purchases, tier
//! changes and changes to the spend controls and the webhook (deduplicated by their idempotency
//! key) are retried a bounded number of times
//! when no answer arrived or a gateway failed. Nothing that charges money or changes a tier is
//! retried without an idempotency key, so a retry never buys or upgrades twice.
//!
//! ```no_run
//! # async fn example() -> Result<(), edgecost_client::ClientError> {
//! use edgecost_client::Client;
//!
//! let client = Client::new("http://127.0.0.1:8080", "ect_...")?;
//! let bill = client.bill().await?;
//! println!("to date: {} {}", bill.bill.total, bill.bill.currency);
//! // A repeated click sends the same key, so only one purchase is made.
//! let purchase = client.buy_credits(2, "purchase-7f3c").await?;
//! println!("balance: {}", purchase.balance);
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod error;

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use edgecost_api::{
    AccountSummary, AutoTopUpSettings, AutoTopUpStatus, BillToDate, BudgetSettings, BudgetStatus, CreditLedger, CreditPurchase,
    CreditPurchaseRequest, CreditsQuote, CreditsQuoteQuery, ErrorBody, IngestReceipt, NodeLimits, NoticeList, OperatorReport,
    OperatorReportQuery, OutlookReport, RouteCostQuery, RouteCostReport, TelemetryBatch, TierChange, TierChangeRequest, UpgradeQuote,
    UsageLogEntry, UsageLogPage, UsageLogQuery, UsageQuery, UsageSeries, Webhook, WebhookDeletion, WebhookRegistration, WebhookRequest,
    WhatIfReport, WhatIfRequest,
};
use edgecost_pricing::PriceBook;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;

pub use error::ClientError;

/// The header that makes a purchase or a tier change safe to repeat.
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";

/// The largest page of the usage log the server returns.
pub const USAGE_LOG_PAGE_RECORDS_MAX: u32 = 500;

/// How often and how patiently a retryable call is repeated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, including the first; at least 1.
    pub attempts: u32,
    /// Wait before the second attempt; doubled before each later one.
    pub first_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { attempts: 3, first_backoff: Duration::from_millis(200) }
    }
}

/// Whether a call may be repeated when no answer arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Repeat {
    /// Reads, and writes the server deduplicates (batch id, idempotency key). Every call of
    /// the API is one of these today; a write that could act twice would need a variant that
    /// is never repeated.
    Safe,
}

/// A client for one server and one token (an account token, or a node token for
/// [`Client::send_telemetry`]). Its `Debug` never prints the token.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base_url: reqwest::Url,
    token: String,
    retry: RetryPolicy,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("base_url", &self.base_url.as_str()).field("retry", &self.retry).finish_non_exhaustive()
    }
}

/// A server's address as a person types it, as the server's base URL:
///
/// - spaces around it and trailing `/` are dropped;
/// - without a scheme, a loopback host (`127.0.0.1:18777`, `localhost:8080`, `[::1]:8080`)
///   gets `http://` (a server on this computer rarely has a certificate) and any other host
///   `https://`;
/// - a trailing `/v1` is dropped: the API's version is part of each route, not of the address.
///
/// Anything but an http(s) URL with a host (and no user, query or fragment) is refused.
pub fn base_url(typed: &str) -> Result<String, ClientError> {
    let typed = typed.trim();
    let invalid = |detail: &str| ClientError::InvalidUrl { url: typed.to_owned(), detail: detail.to_owned() };
    let has_scheme = typed.contains("://");
    let mut base = typed.trim_end_matches('/').to_owned();
    if base.is_empty() {
        return Err(invalid("the address is empty"));
    }
    if !has_scheme {
        let host = base.split(['/', '?', '#']).next().unwrap_or_default();
        let scheme = if is_loopback_authority(host) { "http" } else { "https" };
        base = format!("{scheme}://{base}");
    }
    if let Some(stripped) = base.strip_suffix("/v1") {
        base = stripped.trim_end_matches('/').to_owned();
    }
    let parsed = reqwest::Url::parse(&base).map_err(|e| ClientError::InvalidUrl { url: typed.to_owned(), detail: e.to_string() })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid("the address has no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() || parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid("a server address holds no user, password, query or fragment"));
    }
    Ok(base)
}

/// Whether `authority` (`host` or `host:port`) names this computer.
fn is_loopback_authority(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        // `[::1]:8080`
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(host, _port)| host),
    };
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl Client {
    /// A client for the server at `base_url` (such as `http://127.0.0.1:8080`), with a
    /// 30-second timeout per attempt and the default retry policy.
    pub fn new(base_url: &str, token: &str) -> Result<Client, ClientError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("edgecost-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::InvalidUrl { url: base_url.to_owned(), detail: e.to_string() })?;
        Client::with_http(http, base_url, token)
    }

    /// A client over a configured `reqwest::Client` (own timeouts, proxies, certificates).
    /// `base_url` is taken as a person types it (see [`base_url`]).
    pub fn with_http(http: reqwest::Client, base_url: &str, token: &str) -> Result<Client, ClientError> {
        let base = self::base_url(base_url)?;
        // A trailing slash makes `join` keep any path prefix the server is mounted under.
        let base_url = reqwest::Url::parse(&format!("{base}/"))
            .map_err(|e| ClientError::InvalidUrl { url: base_url.to_owned(), detail: e.to_string() })?;
        Ok(Client { http, base_url, token: token.to_owned(), retry: RetryPolicy::default() })
    }

    /// The same client with another retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Client {
        self.retry = RetryPolicy { attempts: retry.attempts.max(1), ..retry };
        self
    }

    /// The server's base URL.
    pub fn base_url(&self) -> &str {
        self.base_url.as_str()
    }

    /// `GET /v1/account`: tier, period, totals, credit balance and open notices.
    pub async fn account(&self) -> Result<AccountSummary, ClientError> {
        self.call(Method::GET, "v1/account", Repeat::Safe, |r| r).await
    }

    /// `GET /v1/account/bill`: the bill to date and the projected bill at period end.
    pub async fn bill(&self) -> Result<BillToDate, ClientError> {
        self.call(Method::GET, "v1/account/bill", Repeat::Safe, |r| r).await
    }

    /// `GET /v1/account/outlook`: the simulated P50/P90 of the period.
    pub async fn outlook(&self) -> Result<OutlookReport, ClientError> {
        self.call(Method::GET, "v1/account/outlook", Repeat::Safe, |r| r).await
    }

    /// `GET /v1/account/upgrade-quote`: every tier priced and the recommended upgrade.
    pub async fn upgrade_quote(&self) -> Result<UpgradeQuote, ClientError> {
        self.call(Method::GET, "v1/account/upgrade-quote", Repeat::Safe, |r| r).await
    }

    /// `GET /v1/account/credits/quote`: what `packs` burst packs pay for. Buys nothing.
    pub async fn credits_quote(&self, packs: u32) -> Result<CreditsQuote, ClientError> {
        let query = CreditsQuoteQuery { packs };
        self.call(Method::GET, "v1/account/credits/quote", Repeat::Safe, |r| r.query(&query)).await
    }

    /// `GET /v1/account/route-costs`: cost by route per billing period the span touches.
    pub async fn route_costs(&self, query: &RouteCostQuery) -> Result<RouteCostReport, ClientError> {
        self.call(Method::GET, "v1/account/route-costs", Repeat::Safe, |r| r.query(query)).await
    }

    /// `GET /v1/account/usage`: usage series for charts.
    pub async fn usage(&self, query: &UsageQuery) -> Result<UsageSeries, ClientError> {
        self.call(Method::GET, "v1/account/usage", Repeat::Safe, |r| r.query(query)).await
    }

    /// `GET /v1/account/usage/log`: one page of stored records, newest first.
    pub async fn usage_log(&self, query: &UsageLogQuery) -> Result<UsageLogPage, ClientError> {
        self.call(Method::GET, "v1/account/usage/log", Repeat::Safe, |r| r.query(query)).await
    }

    /// `GET /v1/account/invoices`: one page of invoices, newest period first.
    pub async fn invoices(&self, query: &edgecost_api::InvoiceQuery) -> Result<edgecost_api::InvoicePage, ClientError> {
        self.call(Method::GET, "v1/account/invoices", Repeat::Safe, |r| r.query(query)).await
    }

    /// `GET /v1/account/invoices/{id}`.
    pub async fn invoice(&self, id: &str) -> Result<edgecost_api::Invoice, ClientError> {
        let path = format!("v1/account/invoices/{}", urlencoding_path(id));
        self.call(Method::GET, &path, Repeat::Safe, |r| r).await
    }

    /// The newest `max_records` records of the usage log (all of them when there are fewer),
    /// read page by page, newest first. The bound keeps a very large account's log from
    /// taking unbounded memory and time.
    pub async fn usage_log_recent(&self, max_records: usize) -> Result<Vec<UsageLogEntry>, ClientError> {
        let mut records = Vec::new();
        let mut cursor = None;
        while records.len() < max_records {
            let query = UsageLogQuery { cursor, limit: Some(USAGE_LOG_PAGE_RECORDS_MAX) };
            let page = self.usage_log(&query).await?;
            records.extend(page.records);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        records.truncate(max_records);
        Ok(records)
    }

    /// `GET /v1/account/notices`: the open quota notices.
    pub async fn notices(&self) -> Result<NoticeList, ClientError> {
        self.call(Method::GET, "v1/account/notices", Repeat::Safe, |r| r).await
    }

    /// `GET /v1/account/credits`: balance and ledger.
    pub async fn credits(&self) -> Result<CreditLedger, ClientError> {
        self.call(Method::GET, "v1/account/credits", Repeat::Safe, |r| r).await
    }

    /// `POST /v1/account/credits`: buys `packs` burst credit packs.
    ///
    /// `idempotency_key` names this purchase: make one per intent (one per confirm dialog),
    /// and send the same key again on a repeat. The server answers a repeated key with the
    /// first purchase and refuses it with `idempotency_key_reused` if the packs differ.
    pub async fn buy_credits(&self, packs: u32, idempotency_key: &str) -> Result<CreditPurchase, ClientError> {
        let body = CreditPurchaseRequest { packs };
        self.call(Method::POST, "v1/account/credits", Repeat::Safe, |r| r.header(IDEMPOTENCY_KEY_HEADER, idempotency_key).json(&body)).await
    }

    /// `POST /v1/account/tier`: an upgrade applies at once, a downgrade next period.
    ///
    /// `idempotency_key` names this change: make one per intent (one per confirm dialog), and
    /// send the same key again on a repeat. The server answers a repeated key with the first
    /// change, never changing the tier twice, and refuses it with `idempotency_key_reused` if
    /// the tier differs; so the call is repeated on a network failure like a purchase.
    pub async fn change_tier(&self, tier: &str, idempotency_key: &str) -> Result<TierChange, ClientError> {
        let body = TierChangeRequest { tier: tier.to_owned() };
        self.call(Method::POST, "v1/account/tier", Repeat::Safe, |r| r.header(IDEMPOTENCY_KEY_HEADER, idempotency_key).json(&body)).await
    }

    /// `GET /v1/account/budget`: the budget, the spend against it, its forecasts and the open
    /// budget alerts.
    pub async fn budget(&self) -> Result<BudgetStatus, ClientError> {
        self.call(Method::GET, "v1/account/budget", Repeat::Safe, |r| r).await
    }

    /// `PUT /v1/account/budget`: sets the budget, its alerts and the spend cap.
    ///
    /// `idempotency_key` names this change (one per submitted form); a repeat with the same
    /// key answers the first change, so the call is repeated on a network failure.
    pub async fn set_budget(&self, settings: &BudgetSettings, idempotency_key: &str) -> Result<BudgetStatus, ClientError> {
        self.call(Method::PUT, "v1/account/budget", Repeat::Safe, |r| r.header(IDEMPOTENCY_KEY_HEADER, idempotency_key).json(settings))
            .await
    }

    /// `GET /v1/account/auto-top-up`: automatic top-up and what it bought this period.
    pub async fn auto_top_up(&self) -> Result<AutoTopUpStatus, ClientError> {
        self.call(Method::GET, "v1/account/auto-top-up", Repeat::Safe, |r| r).await
    }

    /// `PUT /v1/account/auto-top-up`: sets up, changes or switches off automatic top-up.
    /// Switching it on below the threshold may buy packs at once, so like a purchase it is
    /// keyed: a repeat of `idempotency_key` never buys twice.
    pub async fn set_auto_top_up(&self, settings: &AutoTopUpSettings, idempotency_key: &str) -> Result<AutoTopUpStatus, ClientError> {
        self.call(Method::PUT, "v1/account/auto-top-up", Repeat::Safe, |r| r.header(IDEMPOTENCY_KEY_HEADER, idempotency_key).json(settings))
            .await
    }

    /// `GET /v1/account/webhooks`: the webhook and its delivery log; `None` when no webhook
    /// is registered.
    pub async fn webhook(&self) -> Result<Option<Webhook>, ClientError> {
        match self.call(Method::GET, "v1/account/webhooks", Repeat::Safe, |r| r).await {
            Ok(webhook) => Ok(Some(webhook)),
            Err(ClientError::Rejected { code, .. }) if code == "webhook_not_registered" => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `PUT /v1/account/webhooks`: registers the webhook or replaces its URL, and answers with
    /// the signing secret. A repeat of `idempotency_key` answers the first registration.
    pub async fn put_webhook(&self, request: &WebhookRequest, idempotency_key: &str) -> Result<WebhookRegistration, ClientError> {
        self.call(Method::PUT, "v1/account/webhooks", Repeat::Safe, |r| r.header(IDEMPOTENCY_KEY_HEADER, idempotency_key).json(request))
            .await
    }

    /// `DELETE /v1/account/webhooks`: nothing more is delivered. A repeat of
    /// `idempotency_key` answers the first deletion.
    pub async fn delete_webhook(&self, idempotency_key: &str) -> Result<WebhookDeletion, ClientError> {
        self.call(Method::DELETE, "v1/account/webhooks", Repeat::Safe, |r| r.header(IDEMPOTENCY_KEY_HEADER, idempotency_key)).await
    }

    /// `GET /v1/admin/report` with an operator token: the service's figures month by month.
    pub async fn operator_report(&self, query: &OperatorReportQuery) -> Result<OperatorReport, ClientError> {
        self.call(Method::GET, "v1/admin/report", Repeat::Safe, |r| r.query(query)).await
    }

    /// `POST /v1/admin/what-if` with an operator token: past months re-rated under another
    /// price book. It only reads, so it is repeated like a read.
    pub async fn what_if(&self, request: &WhatIfRequest) -> Result<WhatIfReport, ClientError> {
        self.call(Method::POST, "v1/admin/what-if", Repeat::Safe, |r| r.json(request)).await
    }

    /// `POST /v1/admin/accounts/{account_id}/invoices/{invoice}/payments` with an operator token:
    /// records a payment received for the invoice (its id or number). Repeats are safe: the
    /// reference makes it idempotent, and a repeat is answered with the first payment.
    pub async fn record_payment(
        &self,
        account_id: &str,
        invoice: &str,
        request: &edgecost_api::PaymentRequest,
    ) -> Result<edgecost_api::RecordedPayment, ClientError> {
        let path = format!("v1/admin/accounts/{}/invoices/{}/payments", urlencoding_path(account_id), urlencoding_path(invoice));
        self.call(Method::POST, &path, Repeat::Safe, |r| r.json(request)).await
    }

    /// `GET /v1/price-book`: the price book the server rates with.
    pub async fn price_book(&self) -> Result<PriceBook, ClientError> {
        self.call(Method::GET, "v1/price-book", Repeat::Safe, |r| r).await
    }

    /// `POST /v1/telemetry` with a node token. Repeats are safe: the server counts a
    /// `batch_id` once and answers a replay with the first receipt.
    pub async fn send_telemetry(&self, batch: &TelemetryBatch) -> Result<IngestReceipt, ClientError> {
        self.call(Method::POST, "v1/telemetry", Repeat::Safe, |r| r.json(batch)).await
    }

    /// `GET /v1/nodes/limits` with a node token: the limits to enforce and their `ETag`. Given
    /// the `ETag` of the limits already held, answers `None` while they are unchanged. Not
    /// repeated on failure: a node polls again anyway.
    pub async fn node_limits(&self, etag: Option<&str>) -> Result<Option<(NodeLimits, String)>, ClientError> {
        let mut request = self.http.get(self.url("v1/nodes/limits")?).bearer_auth(&self.token);
        if let Some(tag) = etag {
            request = request.header(reqwest::header::IF_NONE_MATCH, tag);
        }
        let response = request.send().await.map_err(network)?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(None);
        }
        let tag = response.headers().get(reqwest::header::ETAG).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let body = response.bytes().await.map_err(network)?;
        if !status.is_success() {
            return Err(error_from(status, &body));
        }
        let limits =
            serde_json::from_slice(&body).map_err(|e| ClientError::UnexpectedBody { status: status.as_u16(), detail: e.to_string() })?;
        Ok(Some((limits, tag)))
    }

    /// `GET /healthz`: whether the server answers at all (no token needed).
    pub async fn health(&self) -> Result<(), ClientError> {
        let url = self.url("healthz")?;
        let response = self.http.get(url).send().await.map_err(network)?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(error_from(response.status(), &response.bytes().await.unwrap_or_default()))
        }
    }

    fn url(&self, path: &str) -> Result<reqwest::Url, ClientError> {
        self.base_url.join(path).map_err(|e| ClientError::InvalidUrl { url: format!("{}{path}", self.base_url), detail: e.to_string() })
    }

    /// Sends one request, repeating it per the retry policy when `repeat` allows, and decodes
    /// the JSON answer.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        repeat: Repeat,
        build: impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<T, ClientError> {
        let url = self.url(path)?;
        let attempts = match repeat {
            Repeat::Safe => self.retry.attempts.max(1),
        };
        // Whether an earlier attempt may have reached the server: then the last attempt's
        // failing to connect does not mean the call was never carried out.
        let mut maybe_sent = false;
        let mut attempt = 1_u32;
        // A failure is repeated only while it is transient and the schedule has a wait left;
        // `notify` runs before each wait, so it sees every failure that is repeated.
        let result = (|| send(build(self.http.request(method.clone(), url.clone()).bearer_auth(&self.token))))
            .retry(self.retry.backoff(attempts))
            .when(ClientError::is_transient)
            .notify(|e: &ClientError, wait: Duration| {
                tracing::debug!(%url, attempt, ?wait, error = %e, "retrying");
                maybe_sent |= !matches!(e, ClientError::Network { unsent: true, .. });
                attempt += 1;
            })
            .await;
        match result {
            Err(ClientError::Network { detail, unsent }) => Err(ClientError::Network { detail, unsent: unsent && !maybe_sent }),
            other => other,
        }
    }
}

impl RetryPolicy {
    /// The waits between `attempts` attempts: `first_backoff`, then doubled each time, with
    /// no jitter and no cap, so the policy reads the same as its fields say.
    fn backoff(&self, attempts: u32) -> ExponentialBuilder {
        let retries = usize::try_from(attempts.saturating_sub(1)).unwrap_or(usize::MAX);
        ExponentialBuilder::new().with_min_delay(self.first_backoff).with_factor(2.0).without_max_delay().with_max_times(retries)
    }
}

async fn send<T: DeserializeOwned>(request: RequestBuilder) -> Result<T, ClientError> {
    let response = request.send().await.map_err(network)?;
    let status = response.status();
    let body = response.bytes().await.map_err(network)?;
    if !status.is_success() {
        return Err(error_from(status, &body));
    }
    serde_json::from_slice(&body).map_err(|e| ClientError::UnexpectedBody { status: status.as_u16(), detail: e.to_string() })
}

fn network(e: reqwest::Error) -> ClientError {
    // Keep the whole chain: "error sending request" alone does not say what failed.
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    // A failed connect means the request never left this machine.
    ClientError::Network { detail, unsent: e.is_connect() }
}

fn error_from(status: StatusCode, body: &[u8]) -> ClientError {
    let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
    let Some(ErrorBody { code, message, .. }) = parsed else {
        let text = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
        return ClientError::UnexpectedBody { status: status.as_u16(), detail: text };
    };
    match status {
        StatusCode::UNAUTHORIZED => ClientError::Unauthorized { code, message },
        s if s.is_server_error() => ClientError::Server { status: s.as_u16(), code, message },
        s => ClientError::Rejected { status: s.as_u16(), code, message },
    }
}

/// `id` as one path segment: anything but unreserved characters percent-encoded.
fn urlencoding_path(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use backon::BackoffBuilder;

    use super::{ClientError, RetryPolicy, base_url};

    #[test]
    fn a_typed_address_becomes_the_servers_base_url() {
        for (typed, base) in [
            ("http://127.0.0.1:18777", "http://127.0.0.1:18777"),
            ("  https://billing.example.com/  ", "https://billing.example.com"),
            // No scheme: http on this computer, https anywhere else.
            ("127.0.0.1:18777", "http://127.0.0.1:18777"),
            ("localhost:8080/", "http://localhost:8080"),
            ("[::1]:8080", "http://[::1]:8080"),
            ("billing.example.com", "https://billing.example.com"),
            ("billing.example.com:8443", "https://billing.example.com:8443"),
            // The API's version is not part of the address.
            ("http://127.0.0.1:18777/v1", "http://127.0.0.1:18777"),
            ("http://127.0.0.1:18777/v1/", "http://127.0.0.1:18777"),
            ("billing.example.com/edge/v1", "https://billing.example.com/edge"),
            // A scheme typed by the person is kept, also for a loopback host.
            ("https://localhost:8443", "https://localhost:8443"),
        ] {
            assert_eq!(base_url(typed).unwrap(), base, "{typed}");
        }
    }

    #[test]
    fn what_is_not_an_http_address_is_refused() {
        for typed in
            ["", "   ", "/", "ftp://billing.example.com", "http://", "https://billing.example.com/?a=1", "mailto:a@b.c", "http://u:p@h"]
        {
            assert!(matches!(base_url(typed), Err(ClientError::InvalidUrl { .. })), "{typed}");
        }
    }

    /// The waits of a policy, rounded to whole milliseconds (the crate doubles in `f32`).
    fn waits_ms(policy: RetryPolicy) -> Vec<u64> {
        policy.backoff(policy.attempts).build().map(|wait| (wait.as_secs_f64() * 1000.0).round() as u64).collect()
    }

    #[test]
    fn the_first_backoff_doubles_between_the_attempts() {
        assert_eq!(waits_ms(RetryPolicy::default()), vec![200, 400], "three attempts: two waits");
        assert_eq!(waits_ms(RetryPolicy { attempts: 5, first_backoff: Duration::from_millis(150) }), vec![150, 300, 600, 1200]);
    }

    #[test]
    fn one_attempt_never_waits() {
        assert_eq!(waits_ms(RetryPolicy { attempts: 1, first_backoff: Duration::from_secs(1) }), Vec::<u64>::new());
        assert_eq!(waits_ms(RetryPolicy { attempts: 0, first_backoff: Duration::from_secs(1) }), Vec::<u64>::new());
    }
}
