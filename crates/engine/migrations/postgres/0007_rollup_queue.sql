-- Hourly rollups are written after the ingest transaction, not inside it. The transaction
-- that claims a batch queues the batch's hourly sums here (JSON: the batch's distinct
-- strings, then seven numbers per rollup key; see `store::encode_hourly`); a roll-up
-- transaction deletes queued rows (`FOR UPDATE SKIP LOCKED`, so replicas share the work)
-- and adds their sums to usage_hourly and usage_hourly_total, so each batch is rolled up
-- exactly once. Ids order the queue; a row is committed only with its batch's claim.
CREATE TABLE rollup_queue (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    node_id   TEXT NOT NULL,
    batch_id  TEXT NOT NULL,
    hourly    TEXT NOT NULL
);
