-- Webhooks: one registered URL per account, the events queued for it (an outbox written in
-- the transaction that raises each event) and the log of every delivery attempt.
--
-- `secret` signs every delivery (HMAC-SHA256); it is shown to the account on registration.
-- Registrations and deletions claim their idempotency keys in `idempotency_claims` (scope
-- `webhook`).
CREATE TABLE webhooks (
    account_id   TEXT PRIMARY KEY REFERENCES accounts(id),
    url          TEXT NOT NULL,
    secret       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

-- One event for one account. `body` is the exact JSON POSTed (what the signature covers).
-- `dedup_key` makes raising the same event twice (a retried operation) a no-op. An event is
-- due once `next_attempt_ms` (unix milliseconds) has passed; none when it is NULL. A delivery
-- task claims a due event by moving `next_attempt_ms` to the end of its lease and writing its
-- own `lease`: no other task takes it meanwhile, and a task that dies mid-delivery leaves it
-- due again when the lease ends. The outcome is written only under the same `lease`, so a
-- task whose lease ran out cannot overwrite the outcome of the task that took it over.
-- `state` is `pending`, `delivered`, `failed` (every attempt failed) or `cancelled` (the
-- webhook was deleted).
CREATE TABLE webhook_events (
    id               TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL REFERENCES accounts(id),
    dedup_key        TEXT NOT NULL,
    type             TEXT NOT NULL,
    body             TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    state            TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms  INTEGER,
    lease            TEXT,
    UNIQUE (account_id, dedup_key)
);
CREATE INDEX webhook_events_due ON webhook_events (next_attempt_ms) WHERE next_attempt_ms IS NOT NULL;
CREATE INDEX webhook_events_account ON webhook_events (account_id, created_at);

-- Every delivery attempt: when, where, how it ended (an HTTP status, or an error such as a
-- timeout or a refused connection) and how long it took.
CREATE TABLE webhook_deliveries (
    id            TEXT PRIMARY KEY,
    event_id      TEXT NOT NULL REFERENCES webhook_events(id),
    account_id    TEXT NOT NULL REFERENCES accounts(id),
    attempt       INTEGER NOT NULL,
    url           TEXT NOT NULL,
    attempted_ms  INTEGER NOT NULL,
    status_code   INTEGER,
    error         TEXT,
    duration_ms   INTEGER NOT NULL,
    succeeded     INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_account ON webhook_deliveries (account_id, attempted_ms);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
