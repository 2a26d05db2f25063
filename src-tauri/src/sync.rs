//! Background sync: every minute while connected, with `sync` events the UI shows as the
//! progress and last-synced indicator, and a desktop notification for each new notice and
//! spend alert.

use std::time::Duration;

use edgecost_desktop::{SyncEvent, ipc};
use tauri::{AppHandle, Emitter, Manager};

use crate::notify::notify_new_notices;
use crate::state::AppState;

const SYNC_EVERY: Duration = Duration::from_secs(60);

pub fn start(handle: AppHandle) {
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::time::sleep(SYNC_EVERY).await;
            let app = handle.state::<AppState>().app.clone();
            if !app.is_connected().await {
                continue;
            }
            let _ = ipc::SYNC.send(SyncEvent::Running, |name, payload| handle.emit(name, payload));
            let event = match app.sync(chrono::Utc::now()).await {
                Ok(dashboard) => {
                    notify_new_notices(&handle, &dashboard);
                    SyncEvent::Done { dashboard: Box::new(dashboard) }
                }
                Err(e) => SyncEvent::Failed { error: e.into() },
            };
            let _ = ipc::SYNC.send(event, |name, payload| handle.emit(name, payload));
        }
    });
}
