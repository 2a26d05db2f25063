// Generated from crates/desktop/src/ipc.rs by `cargo test -p edgecost-desktop --test bindings`; do not edit.
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { ActionFailure } from "../bindings/account/ActionFailure";
import type { BudgetForm } from "../bindings/account/BudgetForm";
import type { ChartId } from "../bindings/desktop/ChartId";
import type { ChartRange } from "../bindings/desktop/ChartRange";
import type { CommandError } from "../bindings/desktop/CommandError";
import type { ControlsFailure } from "../bindings/account/ControlsFailure";
import type { CreditsQuote } from "../bindings/account/CreditsQuote";
import type { CreditsSheet } from "../bindings/account/CreditsSheet";
import type { DashboardView } from "../bindings/desktop/DashboardView";
import type { EditAnswer } from "../bindings/desktop/EditAnswer";
import type { ExportFormat } from "../bindings/desktop/ExportFormat";
import type { Granularity } from "../bindings/desktop/Granularity";
import type { InvoiceDetailView } from "../bindings/desktop/InvoiceDetailView";
import type { InvoiceFormat } from "../bindings/desktop/InvoiceFormat";
import type { InvoiceListView } from "../bindings/desktop/InvoiceListView";
import type { LedgerView } from "../bindings/account/LedgerView";
import type { NoticeBanner } from "../bindings/account/NoticeBanner";
import type { Opened } from "../bindings/desktop/Opened";
import type { OperatorChartId } from "../bindings/desktop/OperatorChartId";
import type { OperatorChartImage } from "../bindings/desktop/OperatorChartImage";
import type { OperatorView } from "../bindings/desktop/OperatorView";
import type { PercentReading } from "../bindings/desktop/PercentReading";
import type { PlanBillingView } from "../bindings/account/PlanBillingView";
import type { PlanDetails } from "../bindings/desktop/PlanDetails";
import type { PlanEdit } from "../bindings/desktop/PlanEdit";
import type { PlanInput } from "../bindings/desktop/PlanInput";
import type { PlanQuote } from "../bindings/desktop/PlanQuote";
import type { PlanRows } from "../bindings/desktop/PlanRows";
import type { PlanSummary } from "../bindings/desktop/PlanSummary";
import type { PlanView } from "../bindings/desktop/PlanView";
import type { PlanVsMeasured } from "../bindings/desktop/PlanVsMeasured";
import type { PurchaseView } from "../bindings/account/PurchaseView";
import type { RecentPlan } from "../bindings/desktop/RecentPlan";
import type { RecoveryOffer } from "../bindings/desktop/RecoveryOffer";
import type { SpendControlsView } from "../bindings/account/SpendControlsView";
import type { Startup } from "../bindings/desktop/Startup";
import type { SyncEvent } from "../bindings/desktop/SyncEvent";
import type { TierChange } from "../bindings/TierChange";
import type { TierChoice } from "../bindings/desktop/TierChoice";
import type { TopUpForm } from "../bindings/account/TopUpForm";
import type { UpgradeSheet } from "../bindings/account/UpgradeSheet";
import type { WebhookSaved } from "../bindings/account/WebhookSaved";
import type { WhatIfView } from "../bindings/desktop/WhatIfView";
import type { YamlCheck } from "../bindings/desktop/YamlCheck";

/** Calls a command by name with its arguments (in camelCase); rejects with what the command rejects with. */
export type Invoke = <T>(command: string, args?: Record<string, unknown>) => Promise<T>;

/** The shell's commands, each a typed call through `invoke`. */
export function commands(invoke: Invoke) {
  return {
    /** Rejects with CommandError. */
    startup: () => invoke<Startup>("startup"),
    /** Rejects with CommandError. */
    connectAccount: (serverUrl: string, token: string) => invoke<DashboardView>("connect_account", { serverUrl, token }),
    /** The sign-in form: an operator token (`ec_oper_...`) opens the operator's dashboard, any other the account's. Rejects with CommandError. */
    signIn: (serverUrl: string, token: string) => invoke<Opened>("sign_in", { serverUrl, token }),
    /** Rejects with CommandError. */
    startDemo: () => invoke<DashboardView>("start_demo"),
    /** "Reset demo": the demo starts over on a fresh database. Rejects with CommandError. */
    resetDemo: () => invoke<DashboardView>("reset_demo"),
    /** The server URL an account was last connected to, for the sign-in form after sign-out. */
    lastServerUrl: () => invoke<string | null>("last_server_url"),
    /** Rejects with CommandError. */
    signOut: () => invoke<void>("sign_out"),
    /** Rejects with CommandError. */
    syncNow: () => invoke<DashboardView>("sync_now"),
    /** Rejects with CommandError. */
    setRange: (range: ChartRange, granularity: Granularity) => invoke<DashboardView>("set_range", { range, granularity }),
    /** Chart `id` as SVG, drawn `width_px` wide, the width it is shown at. Rejects with CommandError. */
    chart: (id: ChartId, dark: boolean, widthPx: number) => invoke<string>("chart", { id, dark, widthPx }),
    /** Asks where to save, then writes the chart; the saved path, or `null` when cancelled. Rejects with CommandError. */
    exportChart: (id: ChartId, format: ExportFormat, dark: boolean) => invoke<string | null>("export_chart", { id, format, dark }),
    /** The invoice list as last fetched (offline too). Rejects with CommandError. */
    invoices: () => invoke<InvoiceListView>("invoices"),
    /** Rejects with CommandError. */
    invoice: (id: string) => invoke<InvoiceDetailView>("invoice", { id }),
    /** Asks where to save the invoice, then writes it; the saved path, or `null` when cancelled. Rejects with CommandError. */
    exportInvoice: (id: string, number: string, format: InvoiceFormat) => invoke<string | null>("export_invoice", { id, number, format }),
    /** The demo's operator: the operator's dashboard over the demo's fleet. Rejects with CommandError. */
    openDemoOperator: () => invoke<OperatorView>("open_demo_operator"),
    /** The operator's dashboard with the report read again. Rejects with CommandError. */
    operatorView: () => invoke<OperatorView>("operator_view"),
    /** Chart `id` drawn `width_px` wide, the width it is shown at, with a summary for its alternative text. Rejects with CommandError. */
    operatorChart: (id: OperatorChartId, dark: boolean, widthPx: number) => invoke<OperatorChartImage>("operator_chart", { id, dark, widthPx }),
    /** Asks for a price book file and re-rates the last `months` closed months under it; `null` when cancelled. Rejects with CommandError. */
    whatIf: (months: number) => invoke<WhatIfView | null>("what_if", { months }),
    tierChoices: () => invoke<Array<TierChoice>>("tier_choices"),
    /** Rejects with CommandError. */
    quotePlan: (input: PlanInput) => invoke<PlanQuote>("quote_plan", { input }),
    /** Rejects with ActionFailure. */
    noticeBanner: () => invoke<NoticeBanner | null>("notice_banner"),
    /** Rejects with ActionFailure. */
    openUpgrade: () => invoke<UpgradeSheet>("open_upgrade"),
    /** The confirmation of a move to `tier`: an upgrade now or a downgrade from the next period. Rejects with ActionFailure. */
    openTierChange: (tier: string) => invoke<UpgradeSheet>("open_tier_change", { tier }),
    /** Rejects with ActionFailure. */
    cancelDowngrade: () => invoke<TierChange>("cancel_downgrade"),
    /** Rejects with ActionFailure. */
    planBilling: () => invoke<PlanBillingView>("plan_billing"),
    /** Retry a failed confirmation with the same `intent_key`, never a new one. Rejects with ActionFailure. */
    confirmUpgrade: (intentKey: string, tier: string) => invoke<TierChange>("confirm_upgrade", { intentKey, tier }),
    /** Rejects with ActionFailure. */
    openCredits: () => invoke<CreditsSheet>("open_credits"),
    /** Rejects with ActionFailure. */
    quoteCredits: (packs: number) => invoke<CreditsQuote>("quote_credits", { packs }),
    /** Retry a failed purchase with the same `intent_key`, never a new one. Rejects with ActionFailure. */
    buyCredits: (intentKey: string, packs: number) => invoke<PurchaseView>("buy_credits", { intentKey, packs }),
    /** Rejects with ActionFailure. */
    creditLedger: () => invoke<LedgerView>("credit_ledger"),
    /** The Spend controls of the Plan & billing page: budget, spend cap, automatic top-up, webhook. Rejects with ControlsFailure. */
    spendControls: () => invoke<SpendControlsView>("spend_controls"),
    /** Retry a failed save with the same `intent_key`: the same form is then applied once. Rejects with ControlsFailure. */
    saveBudget: (intentKey: string, form: BudgetForm) => invoke<SpendControlsView>("save_budget", { intentKey, form }),
    /** Switching top-up on below its threshold may buy at once; a retry with the same `intent_key` never buys twice. Rejects with ControlsFailure. */
    saveAutoTopUp: (intentKey: string, form: TopUpForm) => invoke<SpendControlsView>("save_auto_top_up", { intentKey, form }),
    /** Registers the webhook or replaces its URL; the answer holds a new signing secret this once. Rejects with ControlsFailure. */
    saveWebhook: (intentKey: string, url: string, rotateSecret: boolean) => invoke<WebhookSaved>("save_webhook", { intentKey, url, rotateSecret }),
    /** Rejects with ControlsFailure. */
    deleteWebhook: (intentKey: string) => invoke<SpendControlsView>("delete_webhook", { intentKey }),
    /** Rejects with CommandError. */
    planRecent: () => invoke<Array<RecentPlan>>("plan_recent"),
    /** The plan already open, when the planner screen comes back. Rejects with CommandError. */
    planCurrent: (count: number) => invoke<PlanView | null>("plan_current", { count }),
    /** Rejects with CommandError. */
    planNew: (count: number) => invoke<PlanView>("plan_new", { count }),
    /** Asks which plan file to open; `null` when cancelled. Rejects with CommandError. */
    planOpen: (count: number) => invoke<PlanView | null>("plan_open", { count }),
    /** Opens the recent plan with this id (`RecentPlan::id`). Rejects with CommandError. */
    planOpenRecent: (id: string, count: number) => invoke<PlanView>("plan_open_recent", { id, count }),
    /** Asks for a usage export and builds the plan from it; `null` when cancelled. Rejects with CommandError. */
    planFromUsage: (count: number) => invoke<PlanView | null>("plan_from_usage", { count }),
    /** Rejects with CommandError. */
    planFromAccount: (count: number) => invoke<PlanView>("plan_from_account", { count }),
    /** Rejects with CommandError. */
    planEdit: (edit: PlanEdit, offset: number, count: number) => invoke<EditAnswer>("plan_edit", { edit, offset, count }),
    /** Rejects with CommandError. */
    planRows: (offset: number, count: number) => invoke<PlanRows>("plan_rows", { offset, count }),
    /** Rejects with CommandError. */
    planDetails: (dark: boolean) => invoke<PlanDetails>("plan_details", { dark }),
    /** Rejects with CommandError. */
    planYaml: () => invoke<string>("plan_yaml"),
    planCheckYaml: (yaml: string) => invoke<YamlCheck>("plan_check_yaml", { yaml }),
    /** A region share's input read as it is typed. */
    planReadPercent: (text: string) => invoke<PercentReading>("plan_read_percent", { text }),
    /** Saves to the plan's own file, or asks where; `null` when cancelled. Rejects with CommandError. */
    planSave: (choose: boolean) => invoke<PlanSummary | null>("plan_save", { choose }),
    /** Rejects with CommandError. */
    planKeepRecovery: () => invoke<void>("plan_keep_recovery"),
    /** Rejects with CommandError. */
    planRecoveryOffer: () => invoke<RecoveryOffer | null>("plan_recovery_offer"),
    /** Rejects with CommandError. */
    planRecover: (count: number) => invoke<PlanView>("plan_recover", { count }),
    /** Rejects with CommandError. */
    planDiscard: () => invoke<void>("plan_discard"),
    /** Rejects with CommandError. */
    closeWindow: () => invoke<void>("close_window"),
    /** Rejects with CommandError. */
    planVsAccount: () => invoke<PlanVsMeasured>("plan_vs_account"),
  };
}

/** The shell's events, each a typed listener. */
export const events = {
  onSync: (handler: (payload: SyncEvent) => void): Promise<UnlistenFn> => listen<SyncEvent>("sync", (e) => handler(e.payload)),
  onPlanCloseRequested: (handler: (payload: null) => void): Promise<UnlistenFn> => listen<null>("plan-close-requested", (e) => handler(e.payload)),
};
