//! Tauri commands: each one calls into `edgecost-desktop` and passes the clock in. Errors
//! cross to the UI as `{code, message}`.

use edgecost_desktop::{
    ChartId, ChartRange, CommandError, DashboardView, ErrorCode, ExportFormat, InvoiceDetailView, InvoiceFormat, InvoiceListView,
    PlanInput, PlanQuote, Startup, TierChoice,
};
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;

use crate::notify;

pub use crate::state::AppState;

type Answer<T> = Result<T, CommandError>;

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

#[tauri::command]
pub async fn startup(state: State<'_, AppState>) -> Answer<Startup> {
    Ok(state.app.startup().await)
}

#[tauri::command]
pub async fn connect_account(state: State<'_, AppState>, server_url: String, token: String) -> Answer<DashboardView> {
    Ok(state.app.connect(&server_url, &token, now()).await?)
}

#[tauri::command]
pub async fn start_demo(state: State<'_, AppState>) -> Answer<DashboardView> {
    Ok(state.app.start_demo(now()).await?)
}

/// "Reset demo": the demo starts over on a fresh database.
#[tauri::command]
pub async fn reset_demo(state: State<'_, AppState>) -> Answer<DashboardView> {
    Ok(state.app.reset_demo(now()).await?)
}

/// The server URL an account was last connected to, for the sign-in form after sign-out.
#[tauri::command]
pub fn last_server_url(state: State<'_, AppState>) -> Option<String> {
    state.app.last_server_url()
}

#[tauri::command]
pub async fn sign_out(state: State<'_, AppState>) -> Answer<()> {
    Ok(state.app.sign_out().await?)
}

#[tauri::command]
pub async fn sync_now(handle: AppHandle, state: State<'_, AppState>) -> Answer<DashboardView> {
    let view = state.app.sync(now()).await?;
    notify::notify_new_notices(&handle, &view);
    Ok(view)
}

#[tauri::command]
pub async fn set_range(state: State<'_, AppState>, range: ChartRange, granularity: edgecost_api::Granularity) -> Answer<DashboardView> {
    Ok(state.app.set_range(range, granularity, now()).await?)
}

#[tauri::command]
pub async fn chart(state: State<'_, AppState>, id: ChartId, dark: bool, width_px: u32) -> Answer<String> {
    Ok(state.app.chart_svg(id, dark, width_px).await?)
}

/// Asks where to save, then writes the file from Rust: the UI gets no file-system access.
/// Answers the saved path, or `None` when the person cancelled.
#[tauri::command]
pub async fn export_chart(
    handle: AppHandle,
    state: State<'_, AppState>,
    id: ChartId,
    format: ExportFormat,
    dark: bool,
) -> Answer<Option<String>> {
    let extension = format.extension();
    let picked = handle
        .dialog()
        .file()
        .set_file_name(format!("{}.{extension}", id.file_stem()))
        .add_filter(extension.to_uppercase(), &[extension])
        .blocking_save_file();
    let Some(picked) = picked else { return Ok(None) };
    let path = picked.into_path().map_err(|e| CommandError::new(ErrorCode::WriteFailed, e.to_string()))?;
    state.app.export_chart(id, format, dark, &path).await?;
    Ok(Some(path.display().to_string()))
}

#[tauri::command]
pub async fn invoices(state: State<'_, AppState>) -> Answer<InvoiceListView> {
    Ok(state.app.invoices(now()).await?)
}

#[tauri::command]
pub async fn invoice(state: State<'_, AppState>, id: String) -> Answer<InvoiceDetailView> {
    Ok(state.app.invoice(&id).await?)
}

/// When set, exports are saved into this folder under their suggested name without a save
/// dialog: for unattended runs (the end-to-end tests read the files there).
const EXPORT_DIR: &str = "EDGECOST_EXPORT_DIR";

/// Asks where to save invoice `id` as CSV or PDF, then writes it from Rust. Answers the saved
/// path, or `None` when the person cancelled.
#[tauri::command]
pub async fn export_invoice(
    handle: AppHandle,
    state: State<'_, AppState>,
    id: String,
    number: String,
    format: InvoiceFormat,
) -> Answer<Option<String>> {
    let extension = format.extension();
    // The invoice number names the file; anything but letters, digits and `-` is dropped.
    let stem: String = number.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    let file_name = format!("{}.{extension}", if stem.is_empty() { "invoice" } else { &stem });
    let path = match std::env::var_os(EXPORT_DIR) {
        Some(dir) => std::path::PathBuf::from(dir).join(&file_name),
        None => {
            let picked =
                handle.dialog().file().set_file_name(&file_name).add_filter(extension.to_uppercase(), &[extension]).blocking_save_file();
            let Some(picked) = picked else { return Ok(None) };
            picked.into_path().map_err(|e| CommandError::new(ErrorCode::WriteFailed, e.to_string()))?
        }
    };
    state.app.export_invoice(&id, format, &path).await?;
    Ok(Some(path.display().to_string()))
}

#[tauri::command]
pub fn tier_choices() -> Vec<TierChoice> {
    edgecost_desktop::tier_choices()
}

#[tauri::command]
pub fn quote_plan(input: PlanInput) -> Answer<PlanQuote> {
    Ok(edgecost_desktop::quote(&input)?)
}
