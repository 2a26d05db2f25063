-- The billing engine's schema. Timestamps are Unix seconds (UTC); money is integer cents;
-- counters are integers. Correctness rests on the keys and checks below, never on the caller.

CREATE TABLE accounts (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE nodes (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

-- The tier in effect at time t is the row with the latest effective_at <= t.
CREATE TABLE tier_changes (
    account_id    TEXT NOT NULL REFERENCES accounts(id),
    effective_at  BIGINT NOT NULL,
    tier          TEXT NOT NULL,
    requested_at  BIGINT NOT NULL,
    PRIMARY KEY (account_id, effective_at)
);

-- A batch id is claimed in the same transaction that writes its usage, with the answer.
CREATE TABLE batches (
    node_id      TEXT NOT NULL,
    batch_id     TEXT NOT NULL,
    body_sha256  TEXT NOT NULL,
    receipt      TEXT,
    received_at  BIGINT NOT NULL,
    PRIMARY KEY (node_id, batch_id)
);

CREATE TABLE usage_records (
    id              BIGSERIAL PRIMARY KEY,
    account_id      TEXT NOT NULL,
    node_id         TEXT NOT NULL,
    batch_id        TEXT NOT NULL,
    route           TEXT NOT NULL,
    region          TEXT NOT NULL,
    window_start    BIGINT NOT NULL,
    window_seconds  BIGINT NOT NULL,
    requests        BIGINT NOT NULL CHECK (requests >= 0),
    compute_ms      BIGINT NOT NULL CHECK (compute_ms >= 0),
    egress_bytes    BIGINT NOT NULL CHECK (egress_bytes >= 0),
    received_at     BIGINT NOT NULL
);
CREATE INDEX usage_records_by_account ON usage_records (account_id, id);

-- Hourly rollups; the primary key serves the per-account time-range queries.
CREATE TABLE usage_hourly (
    account_id    TEXT NOT NULL,
    hour          BIGINT NOT NULL,
    route         TEXT NOT NULL,
    region        TEXT NOT NULL,
    requests      BIGINT NOT NULL,
    compute_ms    BIGINT NOT NULL,
    egress_bytes  BIGINT NOT NULL,
    PRIMARY KEY (account_id, hour, route, region)
);

-- Period totals per region (egress is weighted by region when rated).
CREATE TABLE period_usage (
    account_id    TEXT NOT NULL,
    period_start  BIGINT NOT NULL,
    region        TEXT NOT NULL,
    requests      BIGINT NOT NULL,
    compute_ms    BIGINT NOT NULL,
    egress_bytes  BIGINT NOT NULL,
    PRIMARY KEY (account_id, period_start, region)
);

-- The credit ledger: a gapless chain per account. Two writers that read the same tail
-- collide on (account_id, sequence); the balance can never go below zero.
CREATE TABLE ledger_entries (
    id                   TEXT PRIMARY KEY,
    account_id           TEXT NOT NULL REFERENCES accounts(id),
    sequence             BIGINT NOT NULL CHECK (sequence >= 1),
    kind                 TEXT NOT NULL CHECK (kind IN ('purchase', 'consumption', 'adjustment')),
    amount_cents         BIGINT NOT NULL,
    balance_after_cents  BIGINT NOT NULL CHECK (balance_after_cents >= 0),
    pack_id              TEXT,
    period_start         BIGINT,
    overage_from_cents   BIGINT,
    overage_to_cents     BIGINT,
    usage_through        BIGINT,
    note                 TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    UNIQUE (account_id, sequence)
);

-- Idempotency keys of credit purchases, claimed with the purchase and holding its answer.
CREATE TABLE credit_purchases (
    account_id       TEXT NOT NULL REFERENCES accounts(id),
    idempotency_key  TEXT NOT NULL,
    request_sha256   TEXT NOT NULL,
    response         TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    PRIMARY KEY (account_id, idempotency_key)
);

-- One notice per account, period, tier, meter and threshold.
CREATE TABLE notices (
    id                 TEXT PRIMARY KEY,
    account_id         TEXT NOT NULL REFERENCES accounts(id),
    period_start       BIGINT NOT NULL,
    tier               TEXT NOT NULL,
    meter              TEXT NOT NULL,
    threshold_percent  BIGINT NOT NULL,
    reached_at         BIGINT NOT NULL,
    resolved_at        BIGINT,
    UNIQUE (account_id, period_start, tier, meter, threshold_percent)
);
