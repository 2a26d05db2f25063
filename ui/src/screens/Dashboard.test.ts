// The dashboard's header rendered to HTML with Svelte's server renderer: the sync status has
// a place of its own beside the account's name, apart from the buttons, and "Operator view"
// stays focusable while it opens. Figures are the strings Rust sends.
import { describe, expect, it } from "vitest";
import { render } from "svelte/server";
import type { DashboardView } from "../bindings/desktop/DashboardView";
import type { SyncView } from "../bindings/desktop/SyncView";
import Dashboard from "./Dashboard.svelte";
import { dashboardView } from "../testing/dashboard";

const noop = () => {};

function view(sync: Partial<SyncView> = {}): DashboardView {
  const base = dashboardView();
  return { ...base, sync: { ...base.sync, ...sync } };
}

function html(v: DashboardView | null): string {
  const props = { initial: v, onsignout: noop, onplan: noop, oninvoices: noop, onbilling: noop, onnewtoken: noop, onoperator: async () => {} };
  return render(Dashboard, { props }).body;
}

/** The markup of the element that opens with `<tag ... class="name"`, up to its closing tag. */
function block(body: string, tag: string, name: string): string {
  const start = body.search(new RegExp(`<${tag}[^>]*class="${name}[" ]`));
  expect(start).toBeGreaterThanOrEqual(0);
  return body.slice(start, body.indexOf(`</${tag}>`, start));
}

describe("Dashboard header", () => {
  it("keeps the sync status beside the account's name, apart from the row of buttons", () => {
    for (const sync of [{}, { offline: true, error_code: "network", error_message: "x" }]) {
      const body = html(view(sync));
      expect(block(body, "div", "who")).toMatch(/id="sync-status"[^>]*class="[^"]*sync-slot/);
      const actions = block(body, "div", "actions");
      expect(actions).not.toContain("sync-status");
      expect(actions).toContain('id="sync-now"');
      expect(actions).toContain('id="open-operator"');
    }
  });

  it("holds the status's place before the first sync has answered", () => {
    const body = html(null);
    expect(block(body, "div", "who")).toContain('id="sync-status"');
  });

  it("keeps Operator view focusable while it opens", () => {
    const button = html(view()).match(/<button[^>]*id="open-operator"[^>]*>/)?.[0] ?? "";
    expect(button).toContain('aria-disabled="false"');
    expect(button).not.toMatch(/\sdisabled/);
  });
});
