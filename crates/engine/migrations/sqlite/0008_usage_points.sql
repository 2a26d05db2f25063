-- Data points received through OpenTelemetry (OTLP), one row per point of a series: the
-- exporter's retries are recognised by (node, series, time), and a cumulative series is turned
-- into deltas against its latest stored point. `prev_ns` is the end of the window the point
-- was counted over (its series' previous point, or the series' start): unique per series, so
-- two concurrent requests cannot both count from the same previous point. The counters are
-- the point's own values (cumulative series: totals since `start_ns`).
CREATE TABLE usage_points (
    node_id       TEXT NOT NULL,
    series        TEXT NOT NULL,
    start_ns      INTEGER NOT NULL,
    time_ns       INTEGER NOT NULL,
    prev_ns       INTEGER NOT NULL,
    requests      INTEGER NOT NULL,
    compute_ms    INTEGER NOT NULL,
    egress_bytes  INTEGER NOT NULL,
    PRIMARY KEY (node_id, series, time_ns),
    UNIQUE (node_id, series, prev_ns)
) WITHOUT ROWID;

-- CloudEvents counted, by source and id: a resent event is counted once.
CREATE TABLE usage_events (
    source  TEXT NOT NULL,
    id      TEXT NOT NULL,
    PRIMARY KEY (source, id)
);
