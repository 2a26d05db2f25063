-- Keys the engine keeps, created once by the first engine that opens the database and shared
-- by every replica: `usage_log_ids` encrypts the usage-log record ids and cursors an account
-- sees, so they reveal nothing about other accounts' records.
CREATE TABLE engine_keys (
    name    TEXT PRIMARY KEY,
    secret  TEXT NOT NULL
);
