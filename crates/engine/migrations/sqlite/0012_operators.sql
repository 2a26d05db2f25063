-- Operators: the service's own staff, who read the fleet-wide report (`/v1/admin/...`). A token
-- is stored only as its SHA-256, like an account's; the two kinds live in separate tables and
-- carry separate prefixes, so neither ever opens the other's routes.
CREATE TABLE operators (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);
