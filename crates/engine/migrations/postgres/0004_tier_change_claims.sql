-- A tier change is named by the caller's idempotency key, claimed in the same transaction
-- that changes the tier, with the answer. The primary key makes a repeat (a double click, a
-- retry after a lost answer, a racing replica) find the first claim instead of changing the
-- tier again. Keys are per account.
CREATE TABLE tier_change_claims (
    account_id       TEXT NOT NULL REFERENCES accounts(id),
    idempotency_key  TEXT NOT NULL,
    request_sha256   TEXT NOT NULL,
    response         TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    PRIMARY KEY (account_id, idempotency_key)
);
