//! Commands of the Spend controls (budget, spend cap, automatic top-up, webhook) and the
//! desktop notification of each spend alert once. The bodies live in
//! `edgecost_desktop::actions`; these adapt them, pass the clock in, and announce the fresh
//! dashboard after a change so its budget line and alerts update at once.

use edgecost_desktop::{
    BudgetForm, ControlsFailure, DashboardView, NotifiedThresholds, SpendControlsView, SyncEvent, TopUpForm, WebhookSaved, actions, ipc,
};
use tauri::{AppHandle, Emitter, Manager, State};
use tauri_plugin_notification::NotificationExt;

use crate::state::AppState;

type Answer<T> = Result<T, ControlsFailure>;

/// Announces the dashboard synced after a change, like a background sync does.
fn announce(handle: &AppHandle, view: Option<DashboardView>) {
    if let Some(view) = view {
        crate::sync::notify_new_notices(handle, &view);
        let _ = ipc::SYNC.send(SyncEvent::Done { dashboard: Box::new(view) }, |name, payload| handle.emit(name, payload));
    }
}

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

/// A desktop notification for each spend alert (budget, spend cap, automatic top-up) not
/// announced yet, by alert id, in the same record as the quota notices.
pub fn notify_alerts(handle: &AppHandle, view: &DashboardView) {
    let Ok(dir) = handle.path().app_data_dir() else { return };
    let fresh = match NotifiedThresholds::in_dir(&dir).take_new_alerts(view) {
        Ok(fresh) => fresh,
        Err(e) => {
            eprintln!("cannot record announced alerts: {e}");
            return;
        }
    };
    for alert in fresh {
        let _ = handle.notification().builder().title(alert.title).body(alert.message).show();
    }
}
