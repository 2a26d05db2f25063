-- Hourly totals per account over all routes and regions: the meter charts read one row an
-- hour instead of one per route and region. The index covers the chart query, so it is
-- answered from the index alone.
CREATE TABLE usage_hourly_total (
    account_id    TEXT NOT NULL,
    hour          BIGINT NOT NULL,
    requests      BIGINT NOT NULL,
    compute_ms    BIGINT NOT NULL,
    egress_bytes  BIGINT NOT NULL,
    PRIMARY KEY (account_id, hour) INCLUDE (requests, compute_ms, egress_bytes)
);

INSERT INTO usage_hourly_total (account_id, hour, requests, compute_ms, egress_bytes)
SELECT account_id, hour, SUM(requests), SUM(compute_ms), SUM(egress_bytes)
FROM usage_hourly GROUP BY account_id, hour;
