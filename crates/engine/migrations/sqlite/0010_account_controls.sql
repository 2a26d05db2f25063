-- What an account owner set to control spend: a monthly budget and its alerts, a spend cap,
-- and automatic top-up of burst credit. One row per account that set any; amounts are cents.
CREATE TABLE account_controls (
    account_id             TEXT PRIMARY KEY REFERENCES accounts(id),
    budget_cents           INTEGER CHECK (budget_cents > 0),
    -- Percentages of the budget that raise an alert on spend to date, ascending, comma-separated.
    budget_alert_percents  TEXT NOT NULL,
    -- Also alert when the P90 outlook passes the budget (the run rate and the P50 always do).
    budget_alert_p90       INTEGER NOT NULL CHECK (budget_alert_p90 IN (0, 1)),
    spend_cap_cents        INTEGER CHECK (spend_cap_cents > 0),
    top_up_below_cents     INTEGER CHECK (top_up_below_cents >= 0),
    top_up_packs           INTEGER CHECK (top_up_packs >= 1),
    top_up_max_packs       INTEGER CHECK (top_up_max_packs >= 1),
    -- Switched off: the figures are kept for when it is switched on again.
    top_up_enabled         INTEGER NOT NULL CHECK (top_up_enabled IN (0, 1)),
    updated_at             INTEGER NOT NULL
);

-- Every idempotency key an account's changes claim, in one table: tier changes, credit
-- purchases, and changes to the controls. A key is claimed in the transaction of the change it
-- names, with the answer; `scope` keeps each call's keys apart.
CREATE TABLE idempotency_claims (
    account_id       TEXT NOT NULL REFERENCES accounts(id),
    scope            TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    request_sha256   TEXT NOT NULL,
    response         TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    PRIMARY KEY (account_id, scope, idempotency_key)
);
INSERT INTO idempotency_claims (account_id, scope, idempotency_key, request_sha256, response, created_at)
    SELECT account_id, 'credit_purchase', idempotency_key, request_sha256, response, created_at FROM credit_purchases;
INSERT INTO idempotency_claims (account_id, scope, idempotency_key, request_sha256, response, created_at)
    SELECT account_id, 'tier_change', idempotency_key, request_sha256, response, created_at FROM tier_change_claims;
DROP TABLE credit_purchases;
DROP TABLE tier_change_claims;

-- Alerts about spend and credit (budget thresholds, projections past the budget, automatic
-- top-up that failed or reached its ceiling), raised once per account, period, kind and key.
-- `key` names what was crossed (the threshold and the budget it is of, the ledger crossing).
CREATE TABLE account_alerts (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts(id),
    period_start  INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    key           TEXT NOT NULL,
    message       TEXT NOT NULL,
    raised_at     INTEGER NOT NULL,
    resolved_at   INTEGER,
    UNIQUE (account_id, period_start, kind, key)
);

-- An automatic purchase names the crossing that caused it: the ledger sequence after which
-- the balance was below the top-up threshold. NULL for a purchase the owner made.
ALTER TABLE ledger_entries ADD COLUMN auto_after_sequence INTEGER;
