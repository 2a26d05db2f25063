//! The operator's commands: thin adapters over `edgecost_desktop::App`. The price book of a
//! what-if is picked in a file dialog shown from Rust, so the UI never names a path.

use edgecost_desktop::{CommandError, ErrorCode, Opened, OperatorChartId, OperatorChartImage, OperatorView, WhatIfView};
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;

use crate::state::AppState;

type Answer<T> = Result<T, CommandError>;

/// When set, the what-if opens this price book file instead of asking: for unattended runs
/// (the end-to-end tests), like `EDGECOST_EXPORT_DIR` for exports.
const OPEN_PRICE_BOOK: &str = "EDGECOST_OPEN_PRICE_BOOK";

#[tauri::command]
pub async fn sign_in(state: State<'_, AppState>, server_url: String, token: String) -> Answer<Opened> {
    Ok(state.app.sign_in(&server_url, &token, chrono::Utc::now()).await?)
}

#[tauri::command]
pub async fn open_demo_operator(state: State<'_, AppState>) -> Answer<OperatorView> {
    Ok(state.app.open_demo_operator(chrono::Utc::now()).await?)
}

#[tauri::command]
pub async fn operator_view(state: State<'_, AppState>) -> Answer<OperatorView> {
    Ok(state.app.operator_view().await?)
}

#[tauri::command]
pub async fn operator_chart(state: State<'_, AppState>, id: OperatorChartId, dark: bool, width_px: u32) -> Answer<OperatorChartImage> {
    Ok(state.app.operator_chart(id, dark, width_px).await?)
}

/// Asks for a price book file, then re-rates the last `months` closed months under it.
/// Answers `None` when the person cancelled.
#[tauri::command]
pub async fn what_if(handle: AppHandle, state: State<'_, AppState>, months: u32) -> Answer<Option<WhatIfView>> {
    let path = match std::env::var_os(OPEN_PRICE_BOOK) {
        Some(path) => std::path::PathBuf::from(path),
        None => {
            let picked = handle.dialog().file().add_filter("Price book", &["yaml", "yml", "json"]).blocking_pick_file();
            let Some(picked) = picked else { return Ok(None) };
            picked.into_path().map_err(|e| CommandError::new(ErrorCode::ReadFailed, e.to_string()))?
        }
    };
    Ok(Some(state.app.what_if(&path, months).await?))
}
