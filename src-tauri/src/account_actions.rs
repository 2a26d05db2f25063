//! Commands for acting on quota notices: the banner, the upgrade and credit sheets, the
//! ledger, and desktop notifications once per threshold per period. The bodies live in
//! `edgecost_desktop::actions`; these adapt them, pass the clock in, and announce the fresh
//! dashboard after an action so the dashboard and the banner update at once.

use std::sync::OnceLock;

use edgecost_api::TierChange;
use edgecost_desktop::{
    ActionFailure, CreditsQuote, CreditsSheet, Intents, LedgerView, NoticeBanner, PlanBillingView, PurchaseView, UpgradeSheet, actions,
    new_intent_key,
};
use tauri::{AppHandle, State};

use crate::notify::announce;
use crate::state::AppState;

type Answer<T> = Result<T, ActionFailure>;

/// The intents of this app run: one record per opened sheet, shared by every window.
fn intents() -> &'static Intents {
    static INTENTS: OnceLock<Intents> = OnceLock::new();
    INTENTS.get_or_init(Intents::new)
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

#[tauri::command]
pub async fn notice_banner(state: State<'_, AppState>) -> Answer<Option<NoticeBanner>> {
    actions::banner(&state.app).await
}

#[tauri::command]
pub async fn open_upgrade(state: State<'_, AppState>) -> Answer<UpgradeSheet> {
    actions::open_upgrade(&state.app).await
}

/// The confirmation of a move to `tier`: an upgrade now or a downgrade from the next period.
#[tauri::command]
pub async fn open_tier_change(state: State<'_, AppState>, tier: String) -> Answer<UpgradeSheet> {
    actions::open_tier_change(&state.app, Some(&tier)).await
}

#[tauri::command]
pub async fn cancel_downgrade(handle: AppHandle, state: State<'_, AppState>) -> Answer<TierChange> {
    // Cancelling twice is harmless: the second finds nothing scheduled and reads the tier.
    let (change, view) = actions::cancel_downgrade(&state.app, intents(), &new_intent_key("cancel"), now()).await?;
    announce(&handle, view);
    Ok(change)
}

#[tauri::command]
pub async fn plan_billing(state: State<'_, AppState>) -> Answer<PlanBillingView> {
    actions::plan_billing(&state.app).await
}

#[tauri::command]
pub async fn confirm_upgrade(handle: AppHandle, state: State<'_, AppState>, intent_key: String, tier: String) -> Answer<TierChange> {
    let (change, view) = actions::confirm_upgrade(&state.app, intents(), &intent_key, &tier, now()).await?;
    announce(&handle, view);
    Ok(change)
}

#[tauri::command]
pub async fn open_credits(state: State<'_, AppState>) -> Answer<CreditsSheet> {
    actions::open_credits(&state.app).await
}

#[tauri::command]
pub async fn quote_credits(state: State<'_, AppState>, packs: u32) -> Answer<CreditsQuote> {
    actions::quote_credits(&state.app, packs).await
}

#[tauri::command]
pub async fn buy_credits(handle: AppHandle, state: State<'_, AppState>, intent_key: String, packs: u32) -> Answer<PurchaseView> {
    let (purchase, view) = actions::buy_credits(&state.app, intents(), &intent_key, packs, now()).await?;
    announce(&handle, view);
    Ok(purchase)
}

#[tauri::command]
pub async fn credit_ledger(state: State<'_, AppState>) -> Answer<LedgerView> {
    actions::ledger(&state.app).await
}
