-- What an account's spend cap did in one billing period: while it holds (`capped_at` set), the
-- measured usage of each meter past which usage is refused (NULL for a meter that bills
-- nothing); and the usage refused by caps since raised or removed. Egress is billable
-- (region-weighted) bytes as an exact decimal.
CREATE TABLE spend_cap_periods (
    account_id          TEXT NOT NULL REFERENCES accounts(id),
    period_start        BIGINT NOT NULL,
    cap_cents           BIGINT,
    capped_at           BIGINT,
    limit_requests      BIGINT,
    limit_compute_ms    BIGINT,
    limit_egress        TEXT,
    refused_requests    BIGINT NOT NULL CHECK (refused_requests >= 0),
    refused_compute_ms  BIGINT NOT NULL CHECK (refused_compute_ms >= 0),
    refused_egress      TEXT NOT NULL,
    PRIMARY KEY (account_id, period_start)
);
