-- The usage queries grouped by route or region read one account's hourly rollups over up to
-- 90 days. Those rows are written hour after hour among every other account's, so a plain
-- key lookup visits one heap page per hour (about 2,000 pages for 90 days). Carrying the
-- counters in the primary key lets PostgreSQL answer from the index alone: one account's
-- range is a few adjacent leaf pages. The cost is that a rollup update now writes a new
-- index entry too (it can no longer be a heap-only update); the ingest benchmark measures it.
ALTER TABLE usage_hourly DROP CONSTRAINT usage_hourly_pkey;
ALTER TABLE usage_hourly ADD CONSTRAINT usage_hourly_pkey
    PRIMARY KEY (account_id, hour, route, region) INCLUDE (requests, compute_ms, egress_bytes);
