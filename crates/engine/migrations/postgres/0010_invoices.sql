-- A closed billing period, frozen into an invoice once its grace hour has passed. Numbers run
-- 1, 2, 3, ... per account in period order; the unique keys make concurrent closers (several
-- replicas, a retry after a crash) issue each period exactly once. `body` is the invoice as
-- served, without its number.
CREATE TABLE invoices (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts(id),
    number        BIGINT NOT NULL,
    period_start  BIGINT NOT NULL,
    body          TEXT NOT NULL,
    issued_at     BIGINT NOT NULL,
    UNIQUE (account_id, period_start),
    UNIQUE (account_id, number)
);
