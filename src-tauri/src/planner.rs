//! The route editor's commands: thin adapters over `edgecost_desktop::PlanSession`, which holds
//! the open plan and its incremental estimator in the app's state. The UI never names a path:
//! a plan or usage file is chosen in a dialog shown from Rust, or a recent plan by its id, and
//! the recent list and the copy of unsaved edits live in the app's data folder. The window has
//! no file-system permission of its own (`capabilities/main.json`).

use std::path::PathBuf;
use std::sync::Mutex;

use edgecost_desktop::{
    CommandError, DesktopError, EditAnswer, ErrorCode, PercentReading, PlanDetails, PlanEdit, PlanRecovery, PlanRows, PlanSession,
    PlanSummary, PlanView, PlanVsMeasured, RecentPlan, RecentPlans, RecoveryOffer, YamlCheck,
};
use tauri::{AppHandle, Manager, State};
use tauri_plugin_dialog::DialogExt;

/// The open plan, if any.
#[derive(Default)]
pub struct PlannerState {
    session: Mutex<Option<PlanSession>>,
}

type Answer<T> = Result<T, CommandError>;

fn no_plan() -> CommandError {
    CommandError::new(ErrorCode::NoPlan, "no plan is open")
}

fn recent(handle: &AppHandle) -> Answer<RecentPlans> {
    let dir = handle.path().app_data_dir().map_err(|e| CommandError::new(ErrorCode::ReadFailed, e.to_string()))?;
    Ok(RecentPlans::in_dir(&dir))
}

fn recovery(handle: &AppHandle) -> Answer<PlanRecovery> {
    let dir = handle.path().app_data_dir().map_err(|e| CommandError::new(ErrorCode::ReadFailed, e.to_string()))?;
    Ok(PlanRecovery::in_dir(&dir))
}

impl PlannerState {
    /// Whether closing the window now would lose edits to the open plan.
    pub fn has_unsaved_edits(&self) -> bool {
        self.session.lock().unwrap_or_else(|p| p.into_inner()).as_ref().is_some_and(PlanSession::has_unsaved_edits)
    }
}

fn with_session<T>(state: &PlannerState, f: impl FnOnce(&mut PlanSession) -> Result<T, DesktopError>) -> Answer<T> {
    let mut guard = state.session.lock().unwrap_or_else(|p| p.into_inner());
    let session = guard.as_mut().ok_or_else(no_plan)?;
    Ok(f(session)?)
}

/// Makes `session` the open plan and answers its first rows.
fn install(state: &PlannerState, mut session: PlanSession, count: u32) -> Answer<PlanView> {
    let view = session.view(0, count)?;
    *state.session.lock().unwrap_or_else(|p| p.into_inner()) = Some(session);
    Ok(view)
}

fn picked_path(picked: Option<tauri_plugin_dialog::FilePath>) -> Answer<Option<PathBuf>> {
    picked.map(|p| p.into_path().map_err(|e| CommandError::new(ErrorCode::ReadFailed, e.to_string()))).transpose()
}

#[tauri::command]
pub async fn plan_recent(handle: AppHandle) -> Answer<Vec<RecentPlan>> {
    Ok(recent(&handle)?.list())
}

/// The plan already open, when the planner screen comes back.
#[tauri::command]
pub async fn plan_current(state: State<'_, PlannerState>, count: u32) -> Answer<Option<PlanView>> {
    let mut guard = state.session.lock().unwrap_or_else(|p| p.into_inner());
    Ok(guard.as_mut().map(|s| s.view(0, count)).transpose()?)
}

#[tauri::command]
pub async fn plan_new(state: State<'_, PlannerState>, count: u32) -> Answer<PlanView> {
    install(&state, PlanSession::blank()?, count)
}

/// Opens a plan of the recent list. The UI names it by id: it never hands the app a path.
#[tauri::command]
pub async fn plan_open_recent(handle: AppHandle, state: State<'_, PlannerState>, id: String, count: u32) -> Answer<PlanView> {
    let recent = recent(&handle)?;
    let path = recent.path_of(&id)?;
    let view = install(&state, PlanSession::open(&path)?, count)?;
    recent.remember(&path)?;
    Ok(view)
}

/// Asks which plan file to open; `None` when the person cancelled.
#[tauri::command]
pub async fn plan_open(handle: AppHandle, state: State<'_, PlannerState>, count: u32) -> Answer<Option<PlanView>> {
    let picked = handle.dialog().file().add_filter("Plan", &["yaml", "yml", "json"]).blocking_pick_file();
    let Some(path) = picked_path(picked)? else { return Ok(None) };
    let view = install(&state, PlanSession::open(&path)?, count)?;
    recent(&handle)?.remember(&path)?;
    Ok(Some(view))
}

/// Asks for an exported usage file and builds the plan from its measured per-route telemetry.
#[tauri::command]
pub async fn plan_from_usage(
    handle: AppHandle,
    app_state: State<'_, crate::state::AppState>,
    state: State<'_, PlannerState>,
    count: u32,
) -> Answer<Option<PlanView>> {
    let tier = app_state.app.planning_tier().await;
    let picked = handle.dialog().file().add_filter("Usage export", &["jsonl", "json", "ndjson"]).blocking_pick_file();
    let Some(path) = picked_path(picked)? else { return Ok(None) };
    Ok(Some(install(&state, PlanSession::from_usage_file(&path, &tier)?, count)?))
}

#[tauri::command]
pub async fn plan_edit(state: State<'_, PlannerState>, edit: PlanEdit, offset: u32, count: u32) -> Answer<EditAnswer> {
    with_session(&state, |s| s.edit(edit, offset, count))
}

#[tauri::command]
pub async fn plan_rows(state: State<'_, PlannerState>, offset: u32, count: u32) -> Answer<PlanRows> {
    with_session(&state, |s| s.rows(offset, count))
}

/// The simulation and the chart run outside the lock, so edits are never held up by them.
#[tauri::command]
pub async fn plan_details(state: State<'_, PlannerState>, dark: bool) -> Answer<PlanDetails> {
    let work = with_session(&state, |s| s.details_work(dark))?;
    let details = tauri::async_runtime::spawn_blocking(move || work.run())
        .await
        .map_err(|e| CommandError::new(ErrorCode::Internal, e.to_string()))?;
    Ok(details?)
}

#[tauri::command]
pub async fn plan_yaml(state: State<'_, PlannerState>) -> Answer<String> {
    with_session(&state, |s| Ok(s.yaml()))
}

#[tauri::command]
pub fn plan_check_yaml(yaml: String) -> YamlCheck {
    edgecost_desktop::check_yaml(&yaml)
}

#[tauri::command]
pub fn plan_read_percent(text: String) -> PercentReading {
    edgecost_desktop::read_percent(&text)
}

/// Saves to the plan's own file, or asks where when it has none (or `choose` is set).
/// Answers the new summary, or `None` when the person cancelled.
#[tauri::command]
pub async fn plan_save(handle: AppHandle, state: State<'_, PlannerState>, choose: bool) -> Answer<Option<PlanSummary>> {
    let current = with_session(&state, |s| Ok(s.file().map(|p| p.to_owned())))?;
    let target = match current {
        Some(path) if !choose => path,
        current => {
            let name = current
                .as_ref()
                .and_then(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "plan.yaml".into());
            let picked = handle.dialog().file().set_file_name(name).add_filter("Plan", &["yaml", "yml"]).blocking_save_file();
            let Some(path) = picked_path(picked)? else { return Ok(None) };
            path
        }
    };
    let summary = with_session(&state, |s| {
        s.save(Some(&target))?;
        s.summary()
    })?;
    recent(&handle)?.remember(&target)?;
    recovery(&handle)?.remove()?;
    Ok(Some(summary))
}

/// "Start from my account": a plan calibrated from the signed-in (or demo) account's measured
/// per-route usage.
#[tauri::command]
pub async fn plan_from_account(
    app_state: State<'_, crate::state::AppState>,
    state: State<'_, PlannerState>,
    count: u32,
) -> Answer<PlanView> {
    let connection = app_state.app.connection().await?;
    install(&state, PlanSession::from_account(&connection).await?, count)
}

/// Brings the recovery copy in step with the open plan: written while it has unsaved edits,
/// removed once it has none. The UI calls it a while after the last edit, never per keystroke.
#[tauri::command]
pub async fn plan_keep_recovery(handle: AppHandle, state: State<'_, PlannerState>) -> Answer<()> {
    let recovery = recovery(&handle)?;
    let guard = state.session.lock().unwrap_or_else(|p| p.into_inner());
    match guard.as_ref() {
        Some(session) => Ok(recovery.keep(session, chrono::Utc::now())?),
        None => Ok(()),
    }
}

/// Unsaved edits left by a run that ended without saving them, offered back while no plan is
/// open in this run.
#[tauri::command]
pub async fn plan_recovery_offer(handle: AppHandle, state: State<'_, PlannerState>) -> Answer<Option<RecoveryOffer>> {
    if state.session.lock().unwrap_or_else(|p| p.into_inner()).is_some() {
        return Ok(None);
    }
    Ok(recovery(&handle)?.offer())
}

/// Opens the recovered plan, its edits still unsaved.
#[tauri::command]
pub async fn plan_recover(handle: AppHandle, state: State<'_, PlannerState>, count: u32) -> Answer<PlanView> {
    install(&state, recovery(&handle)?.recover()?, count)
}

/// Drops the open plan's unsaved edits (and the plan with them) and the recovery copy.
#[tauri::command]
pub async fn plan_discard(handle: AppHandle, state: State<'_, PlannerState>) -> Answer<()> {
    *state.session.lock().unwrap_or_else(|p| p.into_inner()) = None;
    Ok(recovery(&handle)?.remove()?)
}

/// Closes the window once the person has answered about unsaved edits (see `main.rs`).
#[tauri::command]
pub fn close_window(window: tauri::WebviewWindow) -> Answer<()> {
    window.destroy().map_err(|e| CommandError::new(ErrorCode::Internal, e.to_string()))
}

/// The open plan beside the signed-in (or demo) account's measured usage, route by route.
#[tauri::command]
pub async fn plan_vs_account(app_state: State<'_, crate::state::AppState>, state: State<'_, PlannerState>) -> Answer<PlanVsMeasured> {
    let connection = app_state.app.connection().await?;
    let records = edgecost_desktop::usage_records(&connection).await?;
    with_session(&state, |s| edgecost_desktop::plan_vs_measured(s, &records))
}
