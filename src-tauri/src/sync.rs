//! Background sync: every minute while connected, with `sync` events the UI shows as the
//! progress and last-synced indicator, and a desktop notification for each new notice.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use edgecost_desktop::{CommandError, DashboardView};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_notification::NotificationExt;

use crate::commands::AppState;

const SYNC_EVERY: Duration = Duration::from_secs(60);

#[derive(Clone, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum SyncEvent {
    Running,
    Done { dashboard: DashboardView },
    Failed { error: CommandError },
}

/// Notice ids already announced by this process, so each fires once.
static ANNOUNCED: Mutex<Option<HashSet<String>>> = Mutex::new(None);

pub fn start(handle: AppHandle) {
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::time::sleep(SYNC_EVERY).await;
            let app = handle.state::<AppState>().app.clone();
            if !app.is_connected().await {
                continue;
            }
            let _ = handle.emit("sync", SyncEvent::Running);
            let event = match app.sync(chrono::Utc::now()).await {
                Ok(dashboard) => {
                    notify_new_notices(&handle, &dashboard);
                    SyncEvent::Done { dashboard }
                }
                Err(e) => SyncEvent::Failed { error: e.into() },
            };
            let _ = handle.emit("sync", event);
        }
    });
}

/// A desktop notification for each notice this process has not announced yet. The first
/// sync after launch only records what is open, so restarting the app does not repeat them.
pub fn notify_new_notices(handle: &AppHandle, view: &DashboardView) {
    let mut guard = ANNOUNCED.lock().unwrap_or_else(|p| p.into_inner());
    let first = guard.is_none();
    let announced = guard.get_or_insert_with(HashSet::new);
    for notice in &view.notices {
        if announced.insert(notice.id.clone()) && !first {
            let _ = handle
                .notification()
                .builder()
                .title(format!("{} passed {}% of its quota", notice.meter_label, notice.threshold_percent))
                .body(notice.message.clone())
                .show();
        }
    }
}
