//! The few account API calls the dashboard needs, over HTTP with the stored token.

use chrono::{DateTime, SecondsFormat, Utc};
use edgecost_api::{AccountSummary, BillToDate, ErrorBody, Granularity, UsageGrouping, UsageSeries};
use serde::de::DeserializeOwned;

use crate::error::DesktopError;

/// Requests give up after this long, so a dead server turns into "offline" quickly.
const TIMEOUT_SECONDS: u64 = 10;

/// A server URL and its account token. `Debug` never prints the token.
#[derive(Clone)]
pub struct AccountConnection {
    base_url: String,
    token: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for AccountConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountConnection").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

/// Checks and normalizes a server URL as typed by a person: trims it and drops a trailing `/`.
pub fn normalize_server_url(url: &str) -> Result<String, DesktopError> {
    let trimmed = url.trim().trim_end_matches('/');
    let parsed = reqwest::Url::parse(trimmed)
        .map_err(|_| DesktopError::BadServerUrl { url: trimmed.to_owned() })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(DesktopError::BadServerUrl { url: trimmed.to_owned() });
    }
    Ok(trimmed.to_owned())
}

impl AccountConnection {
    pub fn new(server_url: &str, token: &str) -> Result<AccountConnection, DesktopError> {
        let base_url = normalize_server_url(server_url)?;
        let token = token.trim();
        if token.is_empty() {
            return Err(DesktopError::EmptyToken);
        }
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(TIMEOUT_SECONDS))
            .build()
            .map_err(|e| DesktopError::Network { url: base_url.clone(), detail: e.to_string() })?;
        Ok(AccountConnection { base_url, token: token.to_owned(), http })
    }

    pub fn server_url(&self) -> &str {
        &self.base_url
    }

    /// `GET /v1/account`: also how a new token is checked before it is stored.
    pub async fn account(&self) -> Result<AccountSummary, DesktopError> {
        self.get("/v1/account", &[]).await
    }

    /// `GET /v1/account/bill`.
    pub async fn bill(&self) -> Result<BillToDate, DesktopError> {
        self.get("/v1/account/bill", &[]).await
    }

    /// `GET /v1/account/usage`.
    pub async fn usage(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        granularity: Granularity,
        group_by: UsageGrouping,
    ) -> Result<UsageSeries, DesktopError> {
        let granularity = match granularity {
            Granularity::Hour => "hour",
            Granularity::Day => "day",
        };
        let group_by = match group_by {
            UsageGrouping::Meter => "meter",
            UsageGrouping::Route => "route",
            UsageGrouping::Region => "region",
        };
        let from = from.to_rfc3339_opts(SecondsFormat::Secs, true);
        let to = to.to_rfc3339_opts(SecondsFormat::Secs, true);
        self.get(
            "/v1/account/usage",
            &[("from", from.as_str()), ("to", to.as_str()), ("granularity", granularity), ("group_by", group_by)],
        )
        .await
    }

    async fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, &str)]) -> Result<T, DesktopError> {
        let url = format!("{}{path}", self.base_url);
        let answer = self
            .http
            .get(&url)
            .query(query)
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| DesktopError::Network { url: self.base_url.clone(), detail: describe(&e) })?;
        let status = answer.status();
        let bytes = answer
            .bytes()
            .await
            .map_err(|e| DesktopError::Network { url: self.base_url.clone(), detail: describe(&e) })?;
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map_err(|e| DesktopError::BadAnswer { detail: format!("{path}: {e}") });
        }
        let body: ErrorBody = serde_json::from_slice(&bytes).unwrap_or_else(|_| ErrorBody {
            code: "http_status".to_owned(),
            message: String::from_utf8_lossy(&bytes).chars().take(200).collect(),
        });
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(DesktopError::Unauthorized { code: body.code });
        }
        Err(DesktopError::Server { status: status.as_u16(), code: body.code, message: body.message })
    }
}

/// reqwest's top-level message is vague ("error sending request"); the cause says why.
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
