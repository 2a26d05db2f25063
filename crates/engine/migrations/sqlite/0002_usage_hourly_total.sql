-- Hourly totals per account over all routes and regions: the meter charts read one row an
-- hour instead of one per route and region.
CREATE TABLE usage_hourly_total (
    account_id    TEXT NOT NULL,
    hour          INTEGER NOT NULL,
    requests      INTEGER NOT NULL,
    compute_ms    INTEGER NOT NULL,
    egress_bytes  INTEGER NOT NULL,
    PRIMARY KEY (account_id, hour)
) WITHOUT ROWID;

INSERT INTO usage_hourly_total (account_id, hour, requests, compute_ms, egress_bytes)
SELECT account_id, hour, SUM(requests), SUM(compute_ms), SUM(egress_bytes)
FROM usage_hourly GROUP BY account_id, hour;
