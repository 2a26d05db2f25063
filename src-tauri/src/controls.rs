//! Commands of the Spend controls (budget, spend cap, automatic top-up, webhook) and the
//! desktop notification of each spend alert once. The bodies live in
//! `edgecost_desktop::actions`; these adapt them, pass the clock in, and announce the fresh
//! dashboard after a change so its budget line and alerts update at once.

use edgecost_desktop::{BudgetForm, ControlsFailure, SpendControlsView, TopUpForm, WebhookSaved, actions};
use tauri::{AppHandle, State};

use crate::notify::announce;
use crate::state::AppState;

type Answer<T> = Result<T, ControlsFailure>;

#[tauri::command]
pub async fn spend_controls(state: State<'_, AppState>) -> Answer<SpendControlsView> {
    actions::spend_controls(&state.app).await
}

#[tauri::command]
pub async fn save_budget(handle: AppHandle, state: State<'_, AppState>, intent_key: String, form: BudgetForm) -> Answer<SpendControlsView> {
    let (controls, view) = actions::save_budget(&state.app, &intent_key, &form, chrono::Utc::now()).await?;
    announce(&handle, view);
    Ok(controls)
}

#[tauri::command]
pub async fn save_auto_top_up(
    handle: AppHandle,
    state: State<'_, AppState>,
    intent_key: String,
    form: TopUpForm,
) -> Answer<SpendControlsView> {
    let (controls, view) = actions::save_top_up(&state.app, &intent_key, &form, chrono::Utc::now()).await?;
    announce(&handle, view);
    Ok(controls)
}

#[tauri::command]
pub async fn save_webhook(state: State<'_, AppState>, intent_key: String, url: String, rotate_secret: bool) -> Answer<WebhookSaved> {
    actions::save_webhook(&state.app, &intent_key, &url, rotate_secret).await
}

#[tauri::command]
pub async fn delete_webhook(state: State<'_, AppState>, intent_key: String) -> Answer<SpendControlsView> {
    actions::delete_webhook(&state.app, &intent_key).await
}
