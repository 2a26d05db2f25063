// The only module that talks to the Rust side. Every command goes through `call`, which turns
// a rejected invoke into a `CommandError` ({code, message}) so screens never parse messages.
import { invoke } from "@tauri-apps/api/core";
import type { UnlistenFn } from "@tauri-apps/api/event";
import { commands, events } from "./commands.generated";
import type { ChartId } from "../bindings/desktop/ChartId";
import type { ChartRange } from "../bindings/desktop/ChartRange";
import type { ExportFormat } from "../bindings/desktop/ExportFormat";
import type { CommandError } from "../bindings/desktop/CommandError";
import type { ErrorCode } from "../bindings/desktop/ErrorCode";
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
import type { SpendControlsView } from "../bindings/account/SpendControlsView";
import type { ControlsFailure } from "../bindings/account/ControlsFailure";
import type { ControlField } from "../bindings/account/ControlField";
import type { BudgetForm } from "../bindings/account/BudgetForm";
import type { TopUpForm } from "../bindings/account/TopUpForm";
import type { WebhookSecretView } from "../bindings/account/WebhookSecretView";
export type { SpendControlsView, ControlsFailure, ControlField, BudgetForm, TopUpForm, WebhookSecretView };
import type { InvoiceListView } from "../bindings/desktop/InvoiceListView";
import type { InvoiceDetailView } from "../bindings/desktop/InvoiceDetailView";
import type { InvoiceFormat } from "../bindings/desktop/InvoiceFormat";
export type { InvoiceListView, InvoiceDetailView, InvoiceFormat };
import type { Opened } from "../bindings/desktop/Opened";
import type { OperatorView } from "../bindings/desktop/OperatorView";
import type { OperatorChartId } from "../bindings/desktop/OperatorChartId";
import type { WhatIfView } from "../bindings/desktop/WhatIfView";
export type { Opened, OperatorView, OperatorChartId, WhatIfView };

export type { ChartId, ExportFormat, ChartRange, CommandError, ErrorCode, DashboardView, Granularity, PlanInput, PlanQuote, Startup, TierChoice };


/** What the background sync is doing, as announced by the `sync` event. */
export type SyncState = SyncEvent;

export function isCommandError(e: unknown): e is CommandError {
  return typeof e === "object" && e !== null && typeof (e as CommandError).code === "string" && typeof (e as CommandError).message === "string";
}

/** Any failure as a CommandError: invoke rejects with the command's error value, or a string. */
export function toCommandError(e: unknown): CommandError {
  if (isCommandError(e)) return e;
  return { code: "internal" satisfies ErrorCode, message: e instanceof Error ? e.message : String(e) };
}

// The commands themselves, with their arguments and answers, are generated from the Rust side
// (commands.generated.ts): a command or argument renamed there fails the type check here.
// A failed upgrade or purchase rejects with an ActionFailure ({code, message, kind, charged});
// retry it with the same intentKey, never a new one.
async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toCommandError(e);
  }
}

export const backend = {
  ...commands(call),
  onCloseRequested: (handler: () => void): Promise<UnlistenFn> => events.onPlanCloseRequested(() => handler()),
  onSync: (handler: (s: SyncState) => void): Promise<UnlistenFn> => events.onSync(handler),
};
