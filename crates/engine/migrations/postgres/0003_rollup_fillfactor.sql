-- Rollup rows are updated in place by every batch. Free space on each page lets PostgreSQL
-- keep the new row version on the same page without touching the indexes (a HOT update).
ALTER TABLE usage_hourly SET (fillfactor = 70);
ALTER TABLE period_usage SET (fillfactor = 70);
