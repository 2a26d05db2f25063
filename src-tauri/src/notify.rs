//! Desktop notifications, once each, for the quota thresholds a dashboard passes and its
//! spend alerts, and the announcement of a fresh dashboard after an action. The background
//! sync, the account actions and the spend controls all end here, so none of them needs
//! another.

use edgecost_desktop::{DashboardView, NotifiedThresholds, SyncEvent, ipc};
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_notification::NotificationExt;

/// Announces the dashboard synced after an action or a change of the spend controls, like a
/// background sync does.
pub fn announce(handle: &AppHandle, view: Option<DashboardView>) {
    if let Some(view) = view {
        notify_new_notices(handle, &view);
        let _ = ipc::SYNC.send(SyncEvent::Done { dashboard: Box::new(view) }, |name, payload| handle.emit(name, payload));
    }
}

/// A desktop notification for each threshold and each spend alert not announced yet this
/// period; the record of what was announced lives in the app data folder, so a restart does
/// not repeat one.
pub fn notify_new_notices(handle: &AppHandle, view: &DashboardView) {
    notify_thresholds(handle, view);
    notify_alerts(handle, view);
}

/// A desktop notification for each threshold not announced yet this period. The record is
/// kept in the app data folder, so neither a restart nor a background sync repeats one.
fn notify_thresholds(handle: &AppHandle, view: &DashboardView) {
    let Ok(dir) = handle.path().app_data_dir() else { return };
    let fresh = match NotifiedThresholds::in_dir(&dir).take_new(view) {
        Ok(fresh) => fresh,
        Err(e) => {
            eprintln!("cannot record announced notices: {e}");
            return;
        }
    };
    for notice in fresh {
        let _ = handle
            .notification()
            .builder()
            .title(format!("{} passed {}% of its quota", notice.meter_label, notice.threshold_percent))
            .body(format!("{} Projected bill {}.", notice.message, notice.projected_bill))
            .show();
    }
}

/// A desktop notification for each spend alert (budget, spend cap, automatic top-up) not
/// announced yet, by alert id, in the same record as the quota notices.
fn notify_alerts(handle: &AppHandle, view: &DashboardView) {
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
