//! Account alerts: the kinds they are stored with, their API form, and the controls an
//! account starts with. Below the budget, spend cap and top-up rules that raise alerts.

use edgecost_api::{AccountAlert, AlertKind};

use crate::error::{EngineError, Result};
use crate::period::from_unix;
use crate::store::controls::{AlertRow, ControlsRow};

pub(crate) const ALERT_BUDGET_SPEND: &str = "budget_spend";
pub(crate) const ALERT_BUDGET_FORECAST: &str = "budget_forecast";
pub(crate) const ALERT_TOP_UP_BOUGHT: &str = "top_up_bought";
pub(crate) const ALERT_TOP_UP_FAILED: &str = "top_up_failed";
pub(crate) const ALERT_TOP_UP_CEILING: &str = "top_up_ceiling";
pub(crate) const ALERT_SPEND_CAP: &str = "spend_cap_reached";

/// The kinds of alert automatic top-up raises.
pub(crate) const TOP_UP_KINDS: [&str; 3] = [ALERT_TOP_UP_BOUGHT, ALERT_TOP_UP_FAILED, ALERT_TOP_UP_CEILING];

/// The controls of an account that never set any.
pub(crate) fn default_controls() -> ControlsRow {
    ControlsRow { budget_alert_percents: edgecost_api::DEFAULT_BUDGET_ALERT_PERCENTS.to_vec(), ..Default::default() }
}

/// An alert as the API shows it.
pub(crate) fn to_api_alert(a: &AlertRow) -> Result<AccountAlert> {
    let kind = match a.kind.as_str() {
        ALERT_BUDGET_SPEND => AlertKind::BudgetSpend,
        ALERT_BUDGET_FORECAST => AlertKind::BudgetForecast,
        ALERT_TOP_UP_BOUGHT => AlertKind::TopUpBought,
        ALERT_TOP_UP_FAILED => AlertKind::TopUpFailed,
        ALERT_TOP_UP_CEILING => AlertKind::TopUpCeiling,
        ALERT_SPEND_CAP => AlertKind::SpendCapReached,
        other => return Err(EngineError::CorruptRow { reason: format!("alert kind {other}") }),
    };
    Ok(AccountAlert {
        id: a.id.clone(),
        kind,
        message: a.message.clone(),
        raised_at: from_unix(a.raised_at),
        period_start: from_unix(a.period_start),
    })
}
