//! The account API calls the dashboard needs, through `edgecost-client`, with the failures
//! sorted into what the app tells people: offline, token refused, server trouble.

use std::time::Duration;

use chrono::{DateTime, Utc};
use edgecost_api::{
    AccountSummary, BillToDate, Granularity, OutlookReport, RouteCostQuery, RouteCostReport, UsageGrouping, UsageQuery, UsageSeries,
};
use edgecost_client::{Client, ClientError, RetryPolicy};
use edgecost_pricing::PriceBook;

use crate::error::DesktopError;

/// A request gives up after this long, so a dead server turns into "offline" quickly.
const TIMEOUT: Duration = Duration::from_secs(8);

/// A server URL and its account token. `Debug` never prints the token.
#[derive(Clone, Debug)]
pub struct AccountConnection {
    base_url: String,
    client: Client,
}

/// A server URL as typed by a person, as the server's base address (see
/// [`edgecost_client::base_url`]); anything but an http(s) URL with a host is refused with
/// `bad_server_url`.
pub fn normalize_server_url(url: &str) -> Result<String, DesktopError> {
    edgecost_client::base_url(url).map_err(|_| DesktopError::BadServerUrl { url: url.trim().to_owned() })
}

impl AccountConnection {
    pub fn new(server_url: &str, token: &str) -> Result<AccountConnection, DesktopError> {
        let base_url = normalize_server_url(server_url)?;
        let token = token.trim();
        if token.is_empty() {
            return Err(DesktopError::EmptyToken);
        }
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .build()
            .map_err(|e| DesktopError::Network { url: base_url.clone(), detail: e.to_string() })?;
        // One quick retry: the background sync tries again soon anyway.
        let client = Client::with_http(http, &base_url, token)
            .map_err(|_| DesktopError::BadServerUrl { url: base_url.clone() })?
            .with_retry(RetryPolicy { attempts: 2, first_backoff: Duration::from_millis(150) });
        Ok(AccountConnection { base_url, client })
    }

    pub fn server_url(&self) -> &str {
        &self.base_url
    }

    /// The API client, for calls beyond the dashboard's reads.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// `GET /v1/account`.
    pub async fn account(&self) -> Result<AccountSummary, DesktopError> {
        self.client.account().await.map_err(|e| self.error(e))
    }

    /// `GET /v1/account` for a server URL and token a person just typed, before the token is
    /// stored. Every edgecost server answers this route, so a 404 means the address is not
    /// one (a web site, another service, a wrong path), not that the server failed.
    pub async fn check(&self) -> Result<AccountSummary, DesktopError> {
        self.client.account().await.map_err(|e| match e.status() {
            Some(404) => DesktopError::NoServer { url: self.base_url.clone() },
            _ => self.error(e),
        })
    }

    /// `GET /v1/account/bill`.
    pub async fn bill(&self) -> Result<BillToDate, DesktopError> {
        self.client.bill().await.map_err(|e| self.error(e))
    }

    /// `GET /v1/account/outlook`: the simulated P50/P90 of the period.
    pub async fn outlook(&self) -> Result<OutlookReport, DesktopError> {
        self.client.outlook().await.map_err(|e| self.error(e))
    }

    /// `GET /v1/account/route-costs`: cost by route per billing period of the span.
    pub async fn route_costs(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<RouteCostReport, DesktopError> {
        self.client.route_costs(&RouteCostQuery { from, to }).await.map_err(|e| self.error(e))
    }

    /// `GET /v1/price-book`: the price book the account is billed with.
    pub async fn price_book(&self) -> Result<PriceBook, DesktopError> {
        self.client.price_book().await.map_err(|e| self.error(e))
    }

    /// `GET /v1/account/usage`.
    pub async fn usage(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        granularity: Granularity,
        group_by: UsageGrouping,
    ) -> Result<UsageSeries, DesktopError> {
        let query = UsageQuery { from, to, granularity, group_by };
        self.client.usage(&query).await.map_err(|e| self.error(e))
    }

    /// `GET /v1/account/invoices`: one page, newest first.
    pub async fn invoices(&self, query: &edgecost_api::InvoiceQuery) -> Result<edgecost_api::InvoicePage, DesktopError> {
        self.client.invoices(query).await.map_err(|e| self.error(e))
    }

    /// `GET /v1/account/invoices/{id}`.
    pub async fn invoice(&self, id: &str) -> Result<edgecost_api::Invoice, DesktopError> {
        self.client.invoice(id).await.map_err(|e| self.error(e))
    }

    /// `GET /v1/account/budget`: the budget, its forecasts and the open budget alerts.
    pub async fn budget(&self) -> Result<edgecost_api::BudgetStatus, DesktopError> {
        self.client.budget().await.map_err(|e| self.error(e))
    }

    /// `GET /v1/account/auto-top-up`: automatic top-up and its open alerts.
    pub async fn auto_top_up(&self) -> Result<edgecost_api::AutoTopUpStatus, DesktopError> {
        self.client.auto_top_up().await.map_err(|e| self.error(e))
    }

    /// `GET /v1/account/credits`: the credit ledger.
    pub async fn credits(&self) -> Result<edgecost_api::CreditLedger, DesktopError> {
        self.client.credits().await.map_err(|e| self.error(e))
    }

    /// `GET /v1/admin/report` with an operator token: the default months (the current one
    /// and the five before). A 404 means the address is not an edgecost server.
    pub async fn operator_report(&self) -> Result<edgecost_api::OperatorReport, DesktopError> {
        self.client.operator_report(&edgecost_api::OperatorReportQuery::default()).await.map_err(|e| match e.status() {
            Some(404) => DesktopError::NoServer { url: self.base_url.clone() },
            _ => self.error(e),
        })
    }

    /// `POST /v1/admin/what-if` with an operator token.
    pub async fn what_if(&self, request: &edgecost_api::WhatIfRequest) -> Result<edgecost_api::WhatIfReport, DesktopError> {
        self.client.what_if(request).await.map_err(|e| self.error(e))
    }

    fn error(&self, e: ClientError) -> DesktopError {
        match e {
            ClientError::Network { detail, .. } => DesktopError::Network { url: self.base_url.clone(), detail },
            ClientError::Unauthorized { code, .. } => DesktopError::Unauthorized { code },
            ClientError::InvalidUrl { .. } => DesktopError::BadServerUrl { url: self.base_url.clone() },
            ClientError::Rejected { status, code, message } | ClientError::Server { status, code, message } => {
                DesktopError::Server { status, code, message }
            }
            ClientError::UnexpectedBody { status, detail } => DesktopError::BadAnswer { detail: format!("HTTP {status}: {detail}") },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_server_url;

    #[test]
    fn a_typed_address_is_normalized_by_the_clients_rule() {
        assert_eq!(normalize_server_url(" 127.0.0.1:18777/v1/ ").unwrap(), "http://127.0.0.1:18777");
    }

    #[test]
    fn what_is_not_an_http_address_is_refused() {
        for typed in ["", "   ", "/", "ftp://billing.example.com", "http://", "https://billing.example.com/?a=1", "mailto:a@b.c"] {
            let err = normalize_server_url(typed).unwrap_err();
            assert_eq!(err.code(), "bad_server_url", "{typed}");
        }
    }
}
