-- What a hard cap refused in a period is recorded on the tier change that leaves the capped
-- tier (and carried by later changes of the same period), so that usage refused while capped
-- is never billed, also after an upgrade re-rates the period on the new tier. Billable egress
-- in weighted bytes, rounded up.
ALTER TABLE tier_changes ADD COLUMN refused_requests BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tier_changes ADD COLUMN refused_compute_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tier_changes ADD COLUMN refused_egress_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tier_changes ADD COLUMN refused_by TEXT;
