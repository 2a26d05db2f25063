//! The operator's side of the app: the connection an operator token opened (on a server, or
//! the demo's own operator), the report as last fetched, and the calls the operator's
//! dashboard makes. The app holds one [`OperatorLive`]; its commands are in `app.rs`.

use std::path::Path;

use edgecost_api::{OperatorReport, WhatIfRequest};
use edgecost_pricing::PriceBook;
use serde::{Deserialize, Serialize};

use crate::error::DesktopError;
use crate::operator::{OperatorChartId, OperatorChartImage, OperatorView, operator_chart_image};
use crate::remote::AccountConnection;
use crate::snapshot::Door;
use crate::what_if::{PickedPriceBook, WhatIfView};

/// What signing in opened: an account's dashboard or the operator's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Opened {
    Account { dashboard: Box<crate::DashboardView> },
    Operator { operator: Box<OperatorView> },
}

/// Whether `token` is an operator's (`ec_oper_...`): the sign-in form takes either kind.
pub fn is_operator_token(token: &str) -> bool {
    token.trim().starts_with(edgecost_api::OPERATOR_TOKEN_PREFIX)
}

/// The operator's connection and the last report read through it.
#[derive(Default)]
pub(crate) struct OperatorLive {
    connection: Option<(Door, AccountConnection)>,
    report: Option<OperatorReport>,
    book: Option<PriceBook>,
}

impl OperatorLive {
    /// Opens `connection` through `door` and reads the report: the dashboard, or why not.
    /// Nothing is kept when the report cannot be read.
    pub(crate) async fn open(&mut self, door: Door, connection: AccountConnection) -> Result<OperatorView, DesktopError> {
        let (report, book) = fetch(&connection).await?;
        let view = OperatorView::of(&report, &book, door, connection.server_url());
        *self = OperatorLive { connection: Some((door, connection)), report: Some(report), book: Some(book) };
        Ok(view)
    }

    /// Keeps `connection` without reading anything yet (a restored sign-in at startup).
    pub(crate) fn restore(&mut self, door: Door, connection: AccountConnection) {
        *self = OperatorLive { connection: Some((door, connection)), report: None, book: None };
    }

    /// Reads the report again.
    pub(crate) async fn refresh(&mut self) -> Result<OperatorView, DesktopError> {
        let (door, connection) = self.connection.clone().ok_or(DesktopError::NotSignedIn)?;
        self.open(door, connection).await
    }

    pub(crate) fn clear(&mut self) {
        *self = OperatorLive::default();
    }

    /// Chart `id` of the last report, drawn `width_px` wide, with its summary.
    pub(crate) fn chart_image(&self, id: OperatorChartId, dark: bool, width_px: u32) -> Result<OperatorChartImage, DesktopError> {
        let (report, book) = self.report.as_ref().zip(self.book.as_ref()).ok_or(DesktopError::NoSnapshot)?;
        operator_chart_image(report, book, id, dark, width_px)
    }

    /// The what-if of the price book at `path` over the last `months` closed months.
    pub(crate) async fn what_if(&self, path: &Path, months: u32) -> Result<WhatIfView, DesktopError> {
        let (_, connection) = self.connection.as_ref().ok_or(DesktopError::NotSignedIn)?;
        let picked = PickedPriceBook::read(path)?;
        let request = WhatIfRequest { price_book: serde_json::Value::String(picked.text), months: Some(months) };
        let report = connection.what_if(&request).await?;
        let book = match &self.book {
            Some(book) => book.clone(),
            None => connection.price_book().await?,
        };
        Ok(WhatIfView::of(&report, &book, &picked.file_name))
    }
}

async fn fetch(connection: &AccountConnection) -> Result<(OperatorReport, PriceBook), DesktopError> {
    let report = connection.operator_report().await?;
    // Names the tiers; the book served to anyone, without the operator's costs.
    let book = connection.price_book().await?;
    Ok((report, book))
}
