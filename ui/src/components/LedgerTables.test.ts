// The ledger's tables rendered to HTML with Svelte's server renderer: with nothing bought yet,
// the empty state says what packs are for and offers buying them where the caller can.
import { describe, expect, it } from "vitest";
import { render } from "svelte/server";
import type { LedgerView } from "../lib/backend";
import LedgerTables from "./LedgerTables.svelte";

const empty: LedgerView = { balance: "$0.00", rows: [], packs: [] };

describe("LedgerTables", () => {
  it("explains packs and offers Buy burst credits when nothing was bought", () => {
    const { body } = render(LedgerTables, { props: { ledger: empty, onbuy: () => {} } });
    expect(body).toContain('id="ledger-empty"');
    expect(body).toMatch(/No credit bought yet\. Burst credit packs prepay overage/);
    expect(body).toMatch(/<button[^>]*id="ledger-buy-credits"[^>]*>Buy burst credits<\/button>/);
  });

  it("offers no button of its own without an action, or while buying is locked it is disabled", () => {
    expect(render(LedgerTables, { props: { ledger: empty } }).body).not.toContain("ledger-buy-credits");
    const locked = render(LedgerTables, { props: { ledger: empty, onbuy: () => {}, buyDisabled: true } }).body;
    expect(locked).toMatch(/<button[^>]*id="ledger-buy-credits"[^>]*disabled/);
  });
});
