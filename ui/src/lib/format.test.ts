import { describe, expect, it } from "vitest";
import { barWidth, billLines, clockTime, dateTime, daysLeft, fetchedLabel, shortDate, spanLabel, syncLabel } from "./format";

const sync = { synced_at: "2026-11-24T10:42:09Z", offline: false, error_code: null, error_message: null, token_rejected: false };

describe("sync indicator", () => {
  it("shows the time of the last sync in the person's clock", () => {
    expect(clockTime(sync.synced_at, "UTC")).toBe("10:42");
    expect(clockTime(sync.synced_at, "Europe/Berlin")).toBe("11:42");
    expect(syncLabel(sync, false, "UTC")).toBe("Synced 10:42");
  });
  it("says offline with the last sync time when the network is gone", () => {
    expect(syncLabel({ ...sync, offline: true, error_code: "network", error_message: "x" }, false, "UTC")).toBe("Offline, last synced 10:42");
  });
  it("says a sync failed for other errors, and shows progress while syncing", () => {
    expect(syncLabel({ ...sync, error_code: "server_error", error_message: "x" }, false, "UTC")).toBe("Sync failed, last synced 10:42");
    expect(syncLabel(sync, true, "UTC")).toBe("Syncing… (last synced 10:42)");
  });
  it("never says synced once the server rejected the token", () => {
    const rejected = { ...sync, error_code: "unauthorized", error_message: "x", token_rejected: true };
    expect(syncLabel(rejected, false, "UTC")).toBe("Token rejected, last synced 10:42");
  });
});

describe("dashboard figures", () => {
  it("fills a usage bar to its quota and no further", () => {
    expect(barWidth(42)).toBe(42);
    expect(barWidth(135)).toBe(100);
    expect(barWidth(null)).toBe(0);
  });
  it("counts days left in words", () => {
    expect(daysLeft(0)).toBe("last day");
    expect(daysLeft(1)).toBe("1 day left");
    expect(daysLeft(6)).toBe("6 days left");
  });
  it("shows period days in UTC", () => {
    expect(shortDate("2026-11-01")).toBe("Nov 1");
    expect(shortDate("2026-11-30")).toBe("Nov 30");
  });
  it("shows a ledger time with its date in the person's zone", () => {
    expect(dateTime("2026-12-06T13:03:09Z", "UTC")).toBe("Dec 6, 2026, 13:03");
    expect(dateTime("2026-12-31T23:30:00Z", "Asia/Tokyo")).toBe("Jan 1, 2027, 08:30");
    expect(dateTime("not a time")).toBe("not a time");
  });
});

describe("bill lines", () => {
  it("lists every line with its amount, in order", () => {
    const line = (label: string, amount: string) => ({ label, amount, explanation: "" });
    const bill = { cost: "$20.73", credit_pays: "$0.00", total: "$20.73", base_fee: "$19.00", overage_total: "$1.73", credits_applied: "$0.00", lines: [line("Base fee", "$19.00"), line("Requests", "$1.73")] };
    expect(billLines(bill)).toBe("Base fee $19.00 · Requests $1.73");
  });
});

describe("fetchedLabel", () => {
  it("says when the invoice list was fetched, and that it is offline", () => {
    expect(fetchedLabel({ fetched_at: "2026-11-23T10:42:00Z", offline: false }, "UTC")).toBe("Fetched 10:42");
    expect(fetchedLabel({ fetched_at: "2026-11-23T10:42:00Z", offline: true }, "UTC")).toBe("Offline, last fetched 10:42");
  });
});

describe("spanLabel", () => {
  it("names an invoice's period by its first and last day", () => {
    expect(spanLabel("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")).toBe("Nov 1 – Nov 30");
    expect(spanLabel("2026-08-14T10:00:00Z", "2026-09-01T00:00:00Z")).toBe("Aug 14 – Aug 31");
  });
});
