-- Data points received through OpenTelemetry (OTLP) are claimed per series rather than per
-- point, and a node's series are kept in 256 shards (by the first byte of the series'
-- 128-bit identity), one row each: a request reads and rewrites the rows of the shards it has
-- points in, a few hundred at most, however many series and points it carries.
--
-- `series` holds the shard's series, sorted by identity; per series: its identity (16
-- bytes); the number of points it has counted, its latest point's start, time, requests,
-- compute ms and egress bytes (a cumulative series is turned into deltas against them), and
-- the latest time no longer remembered (0 when none), 8 bytes each, big-endian; then the
-- number of times remembered (1 byte) and those times, the series' 64 latest at most (8
-- bytes each, ascending). A remembered time tells an exporter's retry from a new point; a
-- point at or before the forgotten time cannot be told from a retry, and is refused.
--
-- `version` goes up by one with every write: a request writes a shard only if it still has
-- the version the request read, so two requests racing with points of one series can neither
-- both count the same point nor both count from the same previous point.
CREATE TABLE usage_series (
    node_id  TEXT NOT NULL,
    shard    INTEGER NOT NULL,
    version  INTEGER NOT NULL,
    series   BLOB NOT NULL,
    PRIMARY KEY (node_id, shard)
);

-- Each series of the points stored so far (their series ids are the hex of the identity).
WITH ranked AS (
    SELECT node_id, series, start_ns, time_ns, requests, compute_ms, egress_bytes,
           ROW_NUMBER() OVER (PARTITION BY node_id, series ORDER BY time_ns DESC) AS n,
           COUNT(*) OVER (PARTITION BY node_id, series) AS points
    FROM usage_points
),
entries AS (
    SELECT node_id,
           lower(series) AS series,
           lower(series)
           || printf('%016X', MAX(points))
           || printf('%016X', MAX(CASE WHEN n = 1 THEN start_ns END))
           || printf('%016X', MAX(CASE WHEN n = 1 THEN time_ns END))
           || printf('%016X', MAX(CASE WHEN n = 1 THEN requests END))
           || printf('%016X', MAX(CASE WHEN n = 1 THEN compute_ms END))
           || printf('%016X', MAX(CASE WHEN n = 1 THEN egress_bytes END))
           || printf('%016X', COALESCE(MAX(CASE WHEN n > 64 THEN time_ns END), 0))
           || printf('%02X', SUM(n <= 64))
           || group_concat(CASE WHEN n <= 64 THEN printf('%016X', time_ns) END, '' ORDER BY time_ns) AS entry
    FROM ranked
    GROUP BY node_id, series
)
INSERT INTO usage_series (node_id, shard, version, series)
SELECT node_id,
       (instr('0123456789abcdef', substr(series, 1, 1)) - 1) * 16 + instr('0123456789abcdef', substr(series, 2, 1)) - 1,
       1,
       unhex(group_concat(entry, '' ORDER BY series))
FROM entries
GROUP BY node_id, substr(series, 1, 2);

DROP TABLE usage_points;
