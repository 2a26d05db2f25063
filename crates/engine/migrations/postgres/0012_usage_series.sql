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
--
-- Rows are rewritten far more often than added: pages are left half empty, so that a row's
-- new version fits beside the old one and the key index is left alone (a HOT update). A row
-- stays in the table up to a whole page (`toast_tuple_target`) rather than being moved out in
-- pieces past 2 kB, which costs a write per piece. The series are stored uncompressed: they
-- hardly compress, and every write would try.
CREATE TABLE usage_series (
    node_id  TEXT NOT NULL,
    shard    BIGINT NOT NULL,
    version  BIGINT NOT NULL,
    series   BYTEA NOT NULL,
    PRIMARY KEY (node_id, shard)
) WITH (fillfactor = 50, toast_tuple_target = 8160);
ALTER TABLE usage_series ALTER COLUMN series SET STORAGE EXTERNAL;

-- Each series of the points stored so far (their series ids are the hex of the identity).
INSERT INTO usage_series (node_id, shard, version, series)
SELECT node_id, get_byte(key, 0), 1, string_agg(entry, ''::bytea ORDER BY key)
FROM (
    SELECT node_id,
           decode(series, 'hex') AS key,
           decode(series, 'hex')
           || int8send(MAX(points))
           || int8send(MAX(start_ns) FILTER (WHERE n = 1))
           || int8send(MAX(time_ns) FILTER (WHERE n = 1))
           || int8send(MAX(requests) FILTER (WHERE n = 1))
           || int8send(MAX(compute_ms) FILTER (WHERE n = 1))
           || int8send(MAX(egress_bytes) FILTER (WHERE n = 1))
           || int8send(COALESCE(MAX(time_ns) FILTER (WHERE n > 64), 0))
           || decode(lpad(to_hex(COUNT(*) FILTER (WHERE n <= 64)), 2, '0'), 'hex')
           || string_agg(int8send(time_ns), ''::bytea ORDER BY time_ns) FILTER (WHERE n <= 64) AS entry
    FROM (
        SELECT node_id, series, start_ns, time_ns, requests, compute_ms, egress_bytes,
               ROW_NUMBER() OVER (PARTITION BY node_id, series ORDER BY time_ns DESC) AS n,
               COUNT(*) OVER (PARTITION BY node_id, series) AS points
        FROM usage_points
    ) ranked
    GROUP BY node_id, series
) entries
GROUP BY node_id, get_byte(key, 0);

DROP TABLE usage_points;
