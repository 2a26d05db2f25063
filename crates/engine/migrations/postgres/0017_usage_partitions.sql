-- The usage log and the hourly rollups are partitioned by month (declarative partitioning,
-- ranges of Unix seconds: a record by the start of its window, a rollup by its hour), so the
-- retention job drops a month's partition instead of deleting its rows one by one. Each month
-- gets its partition ahead of its data (`store::partitions`); rows of a month without one
-- (everything stored before this migration, or history loaded by hand) live in the DEFAULT
-- partition, from which expiry deletes rows as it does on SQLite.
--
-- The partition key is part of every unique key: the log's key becomes (account_id, id,
-- window_start), still read as (account_id, id); ids still come from the same sequence.

ALTER TABLE usage_records RENAME TO usage_records_unpartitioned;
ALTER TABLE usage_records_unpartitioned RENAME CONSTRAINT usage_records_pkey TO usage_records_unpartitioned_pkey;
ALTER SEQUENCE usage_records_id_seq OWNED BY NONE;
CREATE TABLE usage_records (
    id              BIGINT NOT NULL DEFAULT nextval('usage_records_id_seq'),
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
    received_at     BIGINT NOT NULL,
    PRIMARY KEY (account_id, id, window_start)
) PARTITION BY RANGE (window_start);
ALTER SEQUENCE usage_records_id_seq OWNED BY usage_records.id;
CREATE TABLE usage_records_default PARTITION OF usage_records DEFAULT;
INSERT INTO usage_records (id, account_id, node_id, batch_id, route, region, window_start, window_seconds,
                           requests, compute_ms, egress_bytes, received_at)
SELECT id, account_id, node_id, batch_id, route, region, window_start, window_seconds,
       requests, compute_ms, egress_bytes, received_at
FROM usage_records_unpartitioned;
DROP TABLE usage_records_unpartitioned;

-- Rollup rows are updated in place by every batch: each partition leaves free space on its
-- pages for heap-only updates (as the unpartitioned tables did).
ALTER TABLE usage_hourly RENAME TO usage_hourly_unpartitioned;
ALTER TABLE usage_hourly_unpartitioned RENAME CONSTRAINT usage_hourly_pkey TO usage_hourly_unpartitioned_pkey;
CREATE TABLE usage_hourly (
    account_id    TEXT NOT NULL,
    hour          BIGINT NOT NULL,
    route         TEXT NOT NULL,
    region        TEXT NOT NULL,
    requests      BIGINT NOT NULL,
    compute_ms    BIGINT NOT NULL,
    egress_bytes  BIGINT NOT NULL,
    PRIMARY KEY (account_id, hour, route, region) INCLUDE (requests, compute_ms, egress_bytes)
) PARTITION BY RANGE (hour);
CREATE TABLE usage_hourly_default PARTITION OF usage_hourly DEFAULT WITH (fillfactor = 70);
INSERT INTO usage_hourly (account_id, hour, route, region, requests, compute_ms, egress_bytes)
SELECT account_id, hour, route, region, requests, compute_ms, egress_bytes FROM usage_hourly_unpartitioned;
DROP TABLE usage_hourly_unpartitioned;

ALTER TABLE usage_hourly_total RENAME TO usage_hourly_total_unpartitioned;
ALTER TABLE usage_hourly_total_unpartitioned RENAME CONSTRAINT usage_hourly_total_pkey TO usage_hourly_total_unpartitioned_pkey;
CREATE TABLE usage_hourly_total (
    account_id    TEXT NOT NULL,
    hour          BIGINT NOT NULL,
    requests      BIGINT NOT NULL,
    compute_ms    BIGINT NOT NULL,
    egress_bytes  BIGINT NOT NULL,
    PRIMARY KEY (account_id, hour) INCLUDE (requests, compute_ms, egress_bytes)
) PARTITION BY RANGE (hour);
CREATE TABLE usage_hourly_total_default PARTITION OF usage_hourly_total DEFAULT WITH (fillfactor = 70);
INSERT INTO usage_hourly_total (account_id, hour, requests, compute_ms, egress_bytes)
SELECT account_id, hour, requests, compute_ms, egress_bytes FROM usage_hourly_total_unpartitioned;
DROP TABLE usage_hourly_total_unpartitioned;
