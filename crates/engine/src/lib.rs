//! The billing engine: telemetry ingest, rating, the credit ledger and notices over SQLite or PostgreSQL.
