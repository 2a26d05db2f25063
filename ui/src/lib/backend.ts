// The only module that talks to the Rust side. Every command goes through `call`, which turns
// a rejected invoke into a `CommandError` ({code, message}) so screens never parse messages.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { ChartId } from "../bindings/desktop/ChartId";
import type { ChartRange } from "../bindings/desktop/ChartRange";
import type { ExportFormat } from "../bindings/desktop/ExportFormat";
import type { CommandError } from "../bindings/desktop/CommandError";
import type { DashboardView } from "../bindings/desktop/DashboardView";
import type { Granularity } from "../bindings/desktop/Granularity";
import type { PlanInput } from "../bindings/desktop/PlanInput";
import type { PlanQuote } from "../bindings/desktop/PlanQuote";
import type { Startup } from "../bindings/desktop/Startup";
import type { SyncEvent } from "../bindings/desktop/SyncEvent";
import type { TierChoice } from "../bindings/desktop/TierChoice";
import type { NoticeBanner } from "../bindings/account/NoticeBanner";
import type { UpgradeSheet } from "../bindings/account/UpgradeSheet";
import type { CreditsSheet } from "../bindings/account/CreditsSheet";
import type { CreditsQuote } from "../bindings/account/CreditsQuote";
import type { LedgerView } from "../bindings/account/LedgerView";
import type { ActionFailure } from "../bindings/account/ActionFailure";
import type { TierChange } from "../bindings/TierChange";
import type { PurchaseView } from "../bindings/account/PurchaseView";
import type { PlanBillingView } from "../bindings/account/PlanBillingView";
import type { TierColumn } from "../bindings/account/TierColumn";
export type { NoticeBanner, UpgradeSheet, CreditsSheet, CreditsQuote, LedgerView, ActionFailure, TierChange, PurchaseView, PlanBillingView, TierColumn };
import type { EditAnswer } from "../bindings/desktop/EditAnswer";
import type { PlanDetails } from "../bindings/desktop/PlanDetails";
import type { PlanEdit } from "../bindings/desktop/PlanEdit";
import type { PlanRows } from "../bindings/desktop/PlanRows";
import type { PlanSummary } from "../bindings/desktop/PlanSummary";
import type { PlanView } from "../bindings/desktop/PlanView";
import type { RecentPlan } from "../bindings/desktop/RecentPlan";
import type { YamlCheck } from "../bindings/desktop/YamlCheck";
import type { RecoveryOffer } from "../bindings/desktop/RecoveryOffer";
import type { PlanVsMeasured } from "../bindings/desktop/PlanVsMeasured";
import type { InvoiceListView } from "../bindings/desktop/InvoiceListView";
import type { InvoiceDetailView } from "../bindings/desktop/InvoiceDetailView";
import type { InvoiceFormat } from "../bindings/desktop/InvoiceFormat";
export type { InvoiceListView, InvoiceDetailView, InvoiceFormat };

export type { ChartId, ExportFormat, ChartRange, CommandError, DashboardView, Granularity, PlanInput, PlanQuote, Startup, TierChoice };


/** What the background sync is doing, as announced by the `sync` event. */
export type SyncState = SyncEvent;

export function isCommandError(e: unknown): e is CommandError {
  return typeof e === "object" && e !== null && typeof (e as CommandError).code === "string" && typeof (e as CommandError).message === "string";
}

/** Any failure as a CommandError: invoke rejects with the command's error value, or a string. */
export function toCommandError(e: unknown): CommandError {
  if (isCommandError(e)) return e;
  return { code: "internal", message: e instanceof Error ? e.message : String(e) };
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toCommandError(e);
  }
}

export const backend = {
  startup: () => call<Startup>("startup"),
  connectAccount: (serverUrl: string, token: string) => call<DashboardView>("connect_account", { serverUrl, token }),
  startDemo: () => call<DashboardView>("start_demo"),
  resetDemo: () => call<DashboardView>("reset_demo"),
  lastServerUrl: () => call<string | null>("last_server_url"),
  signOut: () => call<void>("sign_out"),
  syncNow: () => call<DashboardView>("sync_now"),
  setRange: (range: ChartRange, granularity: Granularity) => call<DashboardView>("set_range", { range, granularity }),
  chart: (id: ChartId, dark: boolean) => call<string>("chart", { id, dark }),
  exportChart: (id: ChartId, format: ExportFormat, dark: boolean) => call<string | null>("export_chart", { id, format, dark }),
  // Invoices: the list as last fetched (offline too), one invoice, and its export through a save dialog.
  invoices: () => call<InvoiceListView>("invoices"),
  invoice: (id: string) => call<InvoiceDetailView>("invoice", { id }),
  exportInvoice: (id: string, number: string, format: InvoiceFormat) => call<string | null>("export_invoice", { id, number, format }),
  tierChoices: () => call<TierChoice[]>("tier_choices"),
  quotePlan: (input: PlanInput) => call<PlanQuote>("quote_plan", { input }),
  // The route editor: the open plan lives on the Rust side; `count` is how many rows to answer.
  planRecent: () => call<RecentPlan[]>("plan_recent"),
  planCurrent: (count: number) => call<PlanView | null>("plan_current", { count }),
  planNew: (count: number) => call<PlanView>("plan_new", { count }),
  planOpen: (count: number) => call<PlanView | null>("plan_open", { count }),
  planOpenPath: (path: string, count: number) => call<PlanView>("plan_open_path", { path, count }),
  planFromUsage: (count: number) => call<PlanView | null>("plan_from_usage", { count }),
  planFromAccount: (count: number) => call<PlanView>("plan_from_account", { count }),
  planEdit: (edit: PlanEdit, offset: number, count: number) => call<EditAnswer>("plan_edit", { edit, offset, count }),
  planRows: (offset: number, count: number) => call<PlanRows>("plan_rows", { offset, count }),
  planDetails: (dark: boolean) => call<PlanDetails>("plan_details", { dark }),
  planYaml: () => call<string>("plan_yaml"),
  planCheckYaml: (yaml: string) => call<YamlCheck>("plan_check_yaml", { yaml }),
  planSave: (choose: boolean) => call<PlanSummary | null>("plan_save", { choose }),
  // Unsaved edits: the recovery copy, what a previous run left, dropping edits, closing.
  planKeepRecovery: () => call<void>("plan_keep_recovery"),
  planRecoveryOffer: () => call<RecoveryOffer | null>("plan_recovery_offer"),
  planRecover: (count: number) => call<PlanView>("plan_recover", { count }),
  planDiscard: () => call<void>("plan_discard"),
  closeWindow: () => call<void>("close_window"),
  planVsAccount: () => call<PlanVsMeasured>("plan_vs_account"),
  onCloseRequested: (handler: () => void): Promise<UnlistenFn> => listen("plan-close-requested", () => handler()),
  // Acting on notices. A failed upgrade or purchase rejects with an ActionFailure
  // ({code, message, kind, charged}); retry with the same intentKey, never a new one.
  noticeBanner: () => call<NoticeBanner | null>("notice_banner"),
  openUpgrade: () => call<UpgradeSheet>("open_upgrade"),
  // Plan & billing: every tier side by side; a move to any of them (an upgrade now, a
  // downgrade from the next period) confirms through the same sheet as the banner's upgrade.
  planBilling: () => call<PlanBillingView>("plan_billing"),
  openTierChange: (tier: string) => call<UpgradeSheet>("open_tier_change", { tier }),
  cancelDowngrade: () => call<TierChange>("cancel_downgrade"),
  confirmUpgrade: (intentKey: string, tier: string) => call<TierChange>("confirm_upgrade", { intentKey, tier }),
  openCredits: () => call<CreditsSheet>("open_credits"),
  quoteCredits: (packs: number) => call<CreditsQuote>("quote_credits", { packs }),
  buyCredits: (intentKey: string, packs: number) => call<PurchaseView>("buy_credits", { intentKey, packs }),
  creditLedger: () => call<LedgerView>("credit_ledger"),
  onSync: (handler: (s: SyncState) => void): Promise<UnlistenFn> => listen<SyncState>("sync", (e) => handler(e.payload)),
};
