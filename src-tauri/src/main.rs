//! The edgecost desktop app: a thin Tauri shell. Every command body lives in
//! `edgecost-desktop`; this file adapts them to Tauri and wires the plugins.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod account_actions;
mod commands;
mod controls;
mod notify;
mod operator;
mod planner;
mod state;
mod sync;

use edgecost_desktop::ipc;
use tauri::{Emitter, Manager};

/// Counts the starts of this launch across [`start_again`].
const START_ATTEMPT: &str = "EDGECOST_START_ATTEMPT";
const MAX_STARTS: u32 = 5;

fn main() {
    render_without_gpu_compositing();
    let started = tauri::Builder::default()
        // A second launch focuses the running window instead of opening another app.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.set_focus();
            }
        }))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        .manage(planner::PlannerState::default())
        // Closing the window with unsaved plan edits asks first: the UI answers the event with
        // save, discard or cancel, and closes the window itself (`close_window`).
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::CloseRequested { api, .. } = event
                && window.state::<planner::PlannerState>().has_unsaved_edits()
            {
                api.prevent_close();
                let _ = ipc::CLOSE_REQUESTED.send((), |name, payload| window.emit(name, payload));
            }
        })
        .setup(|app| {
            let data_dir = app.path().app_data_dir()?;
            std::fs::create_dir_all(&data_dir)?;
            let state = state::AppState::new(&data_dir);
            app.manage(state);
            sync::start(app.handle().clone());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::startup,
            commands::connect_account,
            operator::sign_in,
            commands::start_demo,
            commands::reset_demo,
            commands::last_server_url,
            commands::sign_out,
            commands::sync_now,
            commands::set_range,
            commands::chart,
            commands::export_chart,
            commands::invoices,
            commands::invoice,
            commands::export_invoice,
            operator::open_demo_operator,
            operator::operator_view,
            operator::operator_chart,
            operator::what_if,
            commands::tier_choices,
            commands::quote_plan,
            account_actions::notice_banner,
            account_actions::open_upgrade,
            account_actions::open_tier_change,
            account_actions::cancel_downgrade,
            account_actions::plan_billing,
            account_actions::confirm_upgrade,
            account_actions::open_credits,
            account_actions::quote_credits,
            account_actions::buy_credits,
            account_actions::credit_ledger,
            controls::spend_controls,
            controls::save_budget,
            controls::save_auto_top_up,
            controls::save_webhook,
            controls::delete_webhook,
            planner::plan_recent,
            planner::plan_current,
            planner::plan_new,
            planner::plan_open,
            planner::plan_open_recent,
            planner::plan_from_usage,
            planner::plan_from_account,
            planner::plan_edit,
            planner::plan_rows,
            planner::plan_details,
            planner::plan_yaml,
            planner::plan_check_yaml,
            planner::plan_read_percent,
            planner::plan_save,
            planner::plan_keep_recovery,
            planner::plan_recovery_offer,
            planner::plan_recover,
            planner::plan_discard,
            planner::close_window,
            planner::plan_vs_account,
        ])
        .build(tauri::generate_context!("../tauri.conf.json"))
        .map(|app| {
            app.run(|handle, event| {
                // Quitting closes the demo's database cleanly; its state stays for next time.
                if let tauri::RunEvent::Exit = event {
                    let app = handle.state::<state::AppState>().app.clone();
                    if let Err(e) = tauri::async_runtime::block_on(async move { app.shut_down().await }) {
                        eprintln!("edgecost: closing the demo failed: {e}");
                    }
                }
            })
        });
    match started {
        Ok(()) => {}
        // The single-instance name is taken but its owner did not answer: the previous
        // window is still closing. Once it is gone this launch can be the app.
        Err(tauri::Error::PluginInitialization(plugin, why)) if plugin == "single-instance" => {
            start_again(&why);
        }
        Err(e) => fail(&e.to_string()),
    }
}

/// The dashboard and the planner are static pages of text, tables and images: WebKit draws
/// them well without GPU compositing, which would cost a GL context (and, without a GPU, a
/// software rasterizer) in both the app and its web process: about 100 MiB. WebKitGTK reads
/// this before it starts; a value the person set (`=0` to composite) is kept.
fn render_without_gpu_compositing() {
    const VAR: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
    if cfg!(target_os = "linux") && std::env::var_os(VAR).is_none() {
        // SAFETY: called first thing in `main`, before any other thread exists.
        unsafe { std::env::set_var(VAR, "1") };
    }
}

/// Runs this same launch again (same process, arguments and environment) after a pause,
/// a few times at most.
fn start_again(why: &str) -> ! {
    let attempt: u32 = std::env::var(START_ATTEMPT).ok().and_then(|n| n.parse().ok()).unwrap_or(1);
    if attempt >= MAX_STARTS {
        fail(&format!("another edgecost window is running but does not answer ({why}); close it and try again"));
    }
    eprintln!("edgecost: the previous window is still closing ({why}); starting again");
    std::thread::sleep(std::time::Duration::from_millis(200 * u64::from(attempt)));
    let Ok(exe) = std::env::current_exe() else { fail(why) };
    let mut again = std::process::Command::new(exe);
    again.args(std::env::args_os().skip(1)).env(START_ATTEMPT, (attempt + 1).to_string());
    #[cfg(unix)]
    let err = std::os::unix::process::CommandExt::exec(&mut again);
    #[cfg(not(unix))]
    let err = match again.status() {
        Ok(status) => std::process::exit(status.code().unwrap_or(1)),
        Err(e) => e,
    };
    fail(&format!("could not start again: {err}"))
}

fn fail(why: &str) -> ! {
    eprintln!("edgecost could not start: {why}");
    std::process::exit(1)
}
