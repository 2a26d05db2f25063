//! The operator's view of the whole service: operator tokens, the monthly report (revenue,
//! retention, churn, conversion, the 80% funnel, burst credit, gross margin) and the
//! price-book what-if. `docs/operator-metrics.md` defines every figure once.
//!
//! The queries are here; the figures are pure functions of the fleet's rows in the
//! submodules, tested on hand-computed fixtures. Nothing here writes a bill.

mod fleet;
mod margin;
mod metrics;
mod what_if;

use chrono::{DateTime, Duration, Utc};
use edgecost_api::{CreatedOperator, MAX_REPORT_MONTHS, OperatorReport, OperatorReportQuery, WhatIfReport};
use edgecost_pricing::{Decimal, InfrastructureCost, PriceBook};

use crate::engine::{Engine, detached};
use crate::error::{EngineError, Result};
use crate::period::{Period, from_unix};
use crate::store::operator::NewOperator;
use crate::token::{self, OPERATOR_TOKEN_PREFIX};

pub use metrics::FUNNEL_DAYS;

/// Accounts below this gross margin (percent) are flagged when the query names none.
pub const MARGIN_THRESHOLD_PERCENT_DEFAULT: Decimal = Decimal::from_parts(50, 0, 0, false, 0);
/// Months a report covers when the query names no `from`: the last month and the five before.
pub const REPORT_MONTHS_DEFAULT: u32 = 6;

/// An operator, as proven by an operator token. Only the HTTP adapter needs one: the command
/// line reaches the database directly.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OperatorId(String);

impl OperatorId {
    /// The operator's id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Engine {
    /// Creates an operator; the token in the answer is shown this once and opens only the
    /// operator's routes.
    pub async fn create_operator(&self, name: &str, now: DateTime<Utc>) -> Result<CreatedOperator> {
        crate::engine::check_name("name", name)?;
        let token = token::new_token(OPERATOR_TOKEN_PREFIX);
        let operator = NewOperator {
            id: token::random_id("op_", 10),
            name: name.to_owned(),
            token_hash: token::sha256_hex(token.as_bytes()),
            created_at: now.timestamp(),
        };
        let store = self.store.clone();
        let operator = detached(async move { store.insert_operator(&operator).await.map(|()| operator) }).await?;
        Ok(CreatedOperator { operator_id: operator.id, name: operator.name, token, created_at: from_unix(operator.created_at) })
    }

    /// The operator an operator token belongs to. An account or node token never is one.
    pub async fn authenticate_operator(&self, token: &str) -> Result<OperatorId> {
        if !token::looks_like_token(token, OPERATOR_TOKEN_PREFIX) {
            return Err(EngineError::Unauthenticated);
        }
        let id = self.store.operator_id_by_token(&token::sha256_hex(token.as_bytes())).await?;
        id.map(OperatorId).ok_or(EngineError::Unauthenticated)
    }

    /// The report over the query's months, with gross margin by `costs` (none without).
    pub async fn operator_report(
        &self,
        q: &OperatorReportQuery,
        costs: Option<&InfrastructureCost>,
        now: DateTime<Utc>,
    ) -> Result<OperatorReport> {
        let months = report_months(q.from.as_deref(), q.to.as_deref(), now)?;
        let threshold = q.margin_below.unwrap_or(MARGIN_THRESHOLD_PERCENT_DEFAULT);
        if threshold < Decimal::from(-1000) || threshold > Decimal::ONE_HUNDRED {
            return Err(EngineError::InvalidReportRange { reason: format!("margin_below {threshold} must be -1000 to 100") });
        }
        let fleet = self.fleet(&months).await?;
        metrics::report(&self.book, &fleet, &months, now, costs, threshold)
    }

    /// Re-rates the last `months` closed months of every account under `proposed`, beside
    /// what they were billed. Reads only.
    pub async fn what_if(&self, proposed: &PriceBook, months: u32, now: DateTime<Utc>) -> Result<WhatIfReport> {
        if months == 0 || months > MAX_REPORT_MONTHS {
            return Err(EngineError::InvalidReportRange { reason: format!("months must be 1 to {MAX_REPORT_MONTHS}; got {months}") });
        }
        let mut periods = Vec::with_capacity(months as usize);
        let mut p = Period::containing(now);
        for _ in 0..months {
            p = Period::containing(p.start - Duration::seconds(1));
            periods.push(p);
        }
        periods.reverse();
        let fleet = self.fleet(&periods).await?;
        what_if::what_if(&self.book, proposed, &fleet, &periods, now)
    }

    /// The fleet's rows for `months` and the month before them.
    async fn fleet(&self, months: &[Period]) -> Result<fleet::Fleet> {
        let (Some(first), Some(last)) = (months.first(), months.last()) else { return Ok(fleet::Fleet::default()) };
        let before = Period::containing(first.start - Duration::seconds(1));
        let rows = self.store.fleet(before.start_unix(), last.end.timestamp()).await?;
        fleet::Fleet::from_rows(rows)
    }
}

/// The months from `from` to `to` (`YYYY-MM`, both included): by default the current month
/// and the [`REPORT_MONTHS_DEFAULT`] - 1 before it. At most [`MAX_REPORT_MONTHS`], none
/// after the current month.
pub fn report_months(from: Option<&str>, to: Option<&str>, now: DateTime<Utc>) -> Result<Vec<Period>> {
    let refuse = |reason: String| EngineError::InvalidReportRange { reason };
    let month =
        |text: &str, name: &str| fleet::parse_month(text).ok_or_else(|| refuse(format!("{name} '{text}' is not a month (YYYY-MM)")));
    let current = Period::containing(now);
    let last = match to {
        Some(t) => month(t, "to")?,
        None => current,
    };
    if last > current {
        return Err(refuse(format!("to {} is after the current month", fleet::month_label(&last))));
    }
    let first = match from {
        Some(f) => month(f, "from")?,
        None => {
            let mut p = last;
            for _ in 1..REPORT_MONTHS_DEFAULT {
                p = Period::containing(p.start - Duration::seconds(1));
            }
            p
        }
    };
    if first > last {
        return Err(refuse(format!("from {} is after to {}", fleet::month_label(&first), fleet::month_label(&last))));
    }
    let mut months = vec![first];
    while months.last().is_some_and(|p| *p < last) {
        if months.len() >= MAX_REPORT_MONTHS as usize {
            return Err(refuse(format!("a report covers at most {MAX_REPORT_MONTHS} months")));
        }
        let next = months.last().expect("one month at least").next();
        months.push(next);
    }
    Ok(months)
}

#[cfg(test)]
mod tests;
