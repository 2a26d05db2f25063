//! The contract between the UI and the desktop shell: every command the shell registers, with
//! its arguments and its answer, and every event it sends. `ui/src/lib/commands.generated.ts`
//! is generated from these tables (a test fails when the committed file is stale), and a test
//! checks the tables against the shell's `#[tauri::command]` functions and its
//! `generate_handler!` list, so a command or an argument renamed on one side fails a test or
//! the UI's type check.

use std::any::TypeId;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::marker::PhantomData;

use ts_rs::{Config, Dependency, TS, TypeVisitor};

use crate::{
    ActionFailure, BudgetForm, ChartId, ChartRange, CommandError, ControlsFailure, CreditsQuote, CreditsSheet, DashboardView, EditAnswer,
    ExportFormat, InvoiceDetailView, InvoiceFormat, InvoiceListView, LedgerView, NoticeBanner, Opened, OperatorChartId, OperatorChartImage,
    OperatorView, PercentReading, PlanBillingView, PlanDetails, PlanEdit, PlanInput, PlanQuote, PlanRows, PlanSummary, PlanView,
    PlanVsMeasured, PurchaseView, RecentPlan, RecoveryOffer, SpendControlsView, Startup, SyncEvent, TierChoice, TopUpForm, UpgradeSheet,
    WebhookSaved, WhatIfView, YamlCheck,
};
use edgecost_api::{Granularity, TierChange};

/// An event the shell sends, with the type of its payload: the shell sends it through
/// [`Event::send`], so the payload cannot differ from what the UI's listener is typed with.
pub struct Event<P> {
    pub name: &'static str,
    payload: PhantomData<fn(P)>,
}

impl<P> Event<P> {
    const fn new(name: &'static str) -> Event<P> {
        Event { name, payload: PhantomData }
    }

    /// Sends `payload` with this event's name through `emit` (the shell's `Emitter::emit`).
    pub fn send<R>(&self, payload: P, emit: impl FnOnce(&'static str, P) -> R) -> R {
        emit(self.name, payload)
    }
}

/// The background sync's progress (and an account action's fresh dashboard).
pub const SYNC: Event<SyncEvent> = Event::new("sync");
/// Sent when the window is asked to close while the plan has unsaved edits.
pub const CLOSE_REQUESTED: Event<()> = Event::new("plan-close-requested");

/// A TypeScript type as the generated wrappers write it, with the Rust type it stands for.
#[derive(Clone, Debug)]
pub struct IpcType {
    /// The Rust type as written in the table, e.g. `Option<PlanView>`.
    pub rust: &'static str,
    /// The TypeScript type, e.g. `PlanView | null`.
    pub ts: String,
    /// The exported TypeScript types it names.
    pub names: Vec<String>,
}

impl IpcType {
    pub fn of<T: TS + 'static + ?Sized>(rust: &'static str, cfg: &Config) -> IpcType {
        struct Names<'a>(&'a Config, &'a mut Vec<String>);
        impl TypeVisitor for Names<'_> {
            fn visit<T: TS + 'static + ?Sized>(&mut self) {
                if let Some(dep) = Dependency::from_ty::<T>(self.0) {
                    self.1.push(dep.ts_name);
                }
            }
        }
        let mut names = Vec::new();
        Names(cfg, &mut names).visit::<T>();
        T::visit_generics(&mut Names(cfg, &mut names));
        // `()` answers nothing.
        let ts = if TypeId::of::<T>() == TypeId::of::<()>() { "void".to_owned() } else { T::name(cfg) };
        IpcType { rust, ts, names }
    }
}

/// One argument of a command, named as in Rust (`snake_case`); the UI passes it in camelCase.
#[derive(Clone, Debug)]
pub struct IpcArg {
    pub name: &'static str,
    pub ty: IpcType,
}

/// One command of the shell.
#[derive(Clone, Debug)]
pub struct IpcCommand {
    pub name: &'static str,
    pub doc: &'static str,
    pub args: Vec<IpcArg>,
    pub answer: IpcType,
    /// What the command rejects with; `None` when it always answers.
    pub error: Option<IpcType>,
}

/// One event the shell sends.
#[derive(Clone, Debug)]
pub struct IpcEvent {
    /// The handler's name in the UI, e.g. `onSync`.
    pub handler: &'static str,
    pub name: &'static str,
    pub payload: IpcType,
}

impl IpcEvent {
    fn of<P: TS + 'static>(handler: &'static str, event: &Event<P>, cfg: &Config) -> IpcEvent {
        IpcEvent { handler, name: event.name, payload: IpcType::of::<P>(std::any::type_name::<P>(), cfg) }
    }
}

macro_rules! commands {
    ($( $(#[doc = $doc:literal])* $name:ident ( $($arg:ident : $ty:ty),* ) -> $answer:ty $(, $error:ty)? ; )*) => {
        /// Every command the shell registers, in the order of its `generate_handler!` list.
        pub fn commands(cfg: &Config) -> Vec<IpcCommand> {
            vec![$(
                IpcCommand {
                    name: stringify!($name),
                    doc: concat!($($doc, "\n"),*),
                    args: vec![$(IpcArg { name: stringify!($arg), ty: IpcType::of::<$ty>(stringify!($ty), cfg) }),*],
                    answer: IpcType::of::<$answer>(stringify!($answer), cfg),
                    error: [$(IpcType::of::<$error>(stringify!($error), cfg))?].into_iter().next(),
                },
            )*]
        }
    };
}

commands! {
    startup() -> Startup, CommandError;
    connect_account(server_url: String, token: String) -> DashboardView, CommandError;
    /// The sign-in form: an operator token (`ec_oper_...`) opens the operator's dashboard, any other the account's.
    sign_in(server_url: String, token: String) -> Opened, CommandError;
    start_demo() -> DashboardView, CommandError;
    /// "Reset demo": the demo starts over on a fresh database.
    reset_demo() -> DashboardView, CommandError;
    /// The server URL an account was last connected to, for the sign-in form after sign-out.
    last_server_url() -> Option<String>;
    sign_out() -> (), CommandError;
    sync_now() -> DashboardView, CommandError;
    set_range(range: ChartRange, granularity: Granularity) -> DashboardView, CommandError;
    /// Chart `id` as SVG, drawn `width_px` wide, the width it is shown at.
    chart(id: ChartId, dark: bool, width_px: u32) -> String, CommandError;
    /// Asks where to save, then writes the chart; the saved path, or `null` when cancelled.
    export_chart(id: ChartId, format: ExportFormat, dark: bool) -> Option<String>, CommandError;
    /// The invoice list as last fetched (offline too).
    invoices() -> InvoiceListView, CommandError;
    invoice(id: String) -> InvoiceDetailView, CommandError;
    /// Asks where to save the invoice, then writes it; the saved path, or `null` when cancelled.
    export_invoice(id: String, number: String, format: InvoiceFormat) -> Option<String>, CommandError;
    /// The demo's operator: the operator's dashboard over the demo's fleet.
    open_demo_operator() -> OperatorView, CommandError;
    /// The operator's dashboard with the report read again.
    operator_view() -> OperatorView, CommandError;
    /// Chart `id` drawn `width_px` wide, the width it is shown at, with a summary for its alternative text.
    operator_chart(id: OperatorChartId, dark: bool, width_px: u32) -> OperatorChartImage, CommandError;
    /// Asks for a price book file and re-rates the last `months` closed months under it; `null` when cancelled.
    what_if(months: u32) -> Option<WhatIfView>, CommandError;
    tier_choices() -> Vec<TierChoice>;
    quote_plan(input: PlanInput) -> PlanQuote, CommandError;
    notice_banner() -> Option<NoticeBanner>, ActionFailure;
    open_upgrade() -> UpgradeSheet, ActionFailure;
    /// The confirmation of a move to `tier`: an upgrade now or a downgrade from the next period.
    open_tier_change(tier: String) -> UpgradeSheet, ActionFailure;
    cancel_downgrade() -> TierChange, ActionFailure;
    plan_billing() -> PlanBillingView, ActionFailure;
    /// Retry a failed confirmation with the same `intent_key`, never a new one.
    confirm_upgrade(intent_key: String, tier: String) -> TierChange, ActionFailure;
    open_credits() -> CreditsSheet, ActionFailure;
    quote_credits(packs: u32) -> CreditsQuote, ActionFailure;
    /// Retry a failed purchase with the same `intent_key`, never a new one.
    buy_credits(intent_key: String, packs: u32) -> PurchaseView, ActionFailure;
    credit_ledger() -> LedgerView, ActionFailure;
    /// The Spend controls of the Plan & billing page: budget, spend cap, automatic top-up, webhook.
    spend_controls() -> SpendControlsView, ControlsFailure;
    /// Retry a failed save with the same `intent_key`: the same form is then applied once.
    save_budget(intent_key: String, form: BudgetForm) -> SpendControlsView, ControlsFailure;
    /// Switching top-up on below its threshold may buy at once; a retry with the same `intent_key` never buys twice.
    save_auto_top_up(intent_key: String, form: TopUpForm) -> SpendControlsView, ControlsFailure;
    /// Registers the webhook or replaces its URL; the answer holds a new signing secret this once.
    save_webhook(intent_key: String, url: String, rotate_secret: bool) -> WebhookSaved, ControlsFailure;
    delete_webhook(intent_key: String) -> SpendControlsView, ControlsFailure;
    plan_recent() -> Vec<RecentPlan>, CommandError;
    /// The plan already open, when the planner screen comes back.
    plan_current(count: u32) -> Option<PlanView>, CommandError;
    plan_new(count: u32) -> PlanView, CommandError;
    /// Asks which plan file to open; `null` when cancelled.
    plan_open(count: u32) -> Option<PlanView>, CommandError;
    /// Opens the recent plan with this id (`RecentPlan::id`).
    plan_open_recent(id: String, count: u32) -> PlanView, CommandError;
    /// Asks for a usage export and builds the plan from it; `null` when cancelled.
    plan_from_usage(count: u32) -> Option<PlanView>, CommandError;
    plan_from_account(count: u32) -> PlanView, CommandError;
    plan_edit(edit: PlanEdit, offset: u32, count: u32) -> EditAnswer, CommandError;
    plan_rows(offset: u32, count: u32) -> PlanRows, CommandError;
    plan_details(dark: bool) -> PlanDetails, CommandError;
    plan_yaml() -> String, CommandError;
    plan_check_yaml(yaml: String) -> YamlCheck;
    /// A region share's input read as it is typed.
    plan_read_percent(text: String) -> PercentReading;
    /// Saves to the plan's own file, or asks where; `null` when cancelled.
    plan_save(choose: bool) -> Option<PlanSummary>, CommandError;
    plan_keep_recovery() -> (), CommandError;
    plan_recovery_offer() -> Option<RecoveryOffer>, CommandError;
    plan_recover(count: u32) -> PlanView, CommandError;
    plan_discard() -> (), CommandError;
    close_window() -> (), CommandError;
    plan_vs_account() -> PlanVsMeasured, CommandError;
}

/// Every event the shell sends.
pub fn events(cfg: &Config) -> Vec<IpcEvent> {
    vec![IpcEvent::of("onSync", &SYNC, cfg), IpcEvent::of("onPlanCloseRequested", &CLOSE_REQUESTED, cfg)]
}

/// `connect_account` → `connectAccount`.
pub fn camel_case(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `ui/src/lib/commands.generated.ts`: a typed wrapper per command and per event.
/// `locate` answers the module (relative to `ui/src/lib/`) a bindings type is imported from.
pub fn typescript(locate: impl Fn(&str) -> String) -> String {
    let cfg = Config::new().with_large_int("number");
    let commands = commands(&cfg);
    let events = events(&cfg);
    let mut imports = BTreeMap::new();
    for ty in commands
        .iter()
        .flat_map(|c| c.args.iter().map(|a| &a.ty).chain([&c.answer]).chain(&c.error))
        .chain(events.iter().map(|e| &e.payload))
    {
        for name in &ty.names {
            imports.entry(name.clone()).or_insert_with(|| locate(name));
        }
    }
    let mut out = String::new();
    out.push_str("// Generated from crates/desktop/src/ipc.rs by `cargo test -p edgecost-desktop --test bindings`; do not edit.\n");
    out.push_str("import { listen, type UnlistenFn } from \"@tauri-apps/api/event\";\n");
    for (name, module) in &imports {
        let _ = writeln!(out, "import type {{ {name} }} from \"{module}\";");
    }
    out.push_str(
        "\n/** Calls a command by name with its arguments (in camelCase); rejects with what the command rejects with. */\n\
         export type Invoke = <T>(command: string, args?: Record<string, unknown>) => Promise<T>;\n\n\
         /** The shell's commands, each a typed call through `invoke`. */\n\
         export function commands(invoke: Invoke) {\n  return {\n",
    );
    for c in &commands {
        let mut doc: Vec<String> = c.doc.lines().map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()).collect();
        if let Some(error) = &c.error {
            doc.push(format!("Rejects with {}.", error.ts));
        }
        if !doc.is_empty() {
            let _ = writeln!(out, "    /** {} */", doc.join(" "));
        }
        let params: Vec<String> = c.args.iter().map(|a| format!("{}: {}", camel_case(a.name), a.ty.ts)).collect();
        let args = if c.args.is_empty() {
            String::new()
        } else {
            format!(", {{ {} }}", c.args.iter().map(|a| camel_case(a.name)).collect::<Vec<_>>().join(", "))
        };
        let _ = writeln!(out, "    {}: ({}) => invoke<{}>(\"{}\"{args}),", camel_case(c.name), params.join(", "), c.answer.ts, c.name);
    }
    out.push_str("  };\n}\n\n/** The shell's events, each a typed listener. */\nexport const events = {\n");
    for e in &events {
        let payload = if e.payload.ts == "void" { "null" } else { &e.payload.ts };
        let _ = writeln!(
            out,
            "  {}: (handler: (payload: {payload}) => void): Promise<UnlistenFn> => listen<{payload}>(\"{}\", (e) => handler(e.payload)),",
            e.handler, e.name
        );
    }
    out.push_str("};\n");
    out
}
