-- A payment received for an issued invoice, as the operator's payment processor reported it.
-- Invoices never change: payments are rows of their own, and an invoice's paid amount and
-- status are worked out from them when it is read. The unique key makes a reference count
-- once per invoice, however often it is recorded.
CREATE TABLE invoice_payments (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts(id),
    invoice_id    TEXT NOT NULL REFERENCES invoices(id),
    reference     TEXT NOT NULL,
    amount_cents  BIGINT NOT NULL CHECK (amount_cents > 0),
    received_at   BIGINT NOT NULL,
    recorded_at   BIGINT NOT NULL,
    UNIQUE (invoice_id, reference)
);

CREATE INDEX invoice_payments_by_account ON invoice_payments (account_id, invoice_id);
