//! Errors of the billing engine, each with a stable machine-readable code.

use edgecost_pricing::RateError;

/// Everything the engine can refuse or fail at.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[cfg_attr(feature = "postgres", error("database URL '{url}' is not supported: use sqlite://PATH or postgres://..."))]
    #[cfg_attr(not(feature = "postgres"), error("database URL '{url}' is not supported: this build opens sqlite://PATH only"))]
    UnsupportedDatabaseUrl { url: String },
    #[error("database URL '{url}' is not valid: {reason}")]
    InvalidDatabaseUrl { url: String, reason: String },
    #[error("no host of the database URL {wanted} ({failures})")]
    NoDatabaseHost { wanted: &'static str, failures: String },
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// The database could not be reached, lost the connection, or answered that it cannot
    /// write right now (a standby, a server shutting down): while PostgreSQL fails over, for
    /// instance. Nothing was changed that the caller was told of; retrying is safe.
    #[error("the database is unavailable for now (connection lost, or failing over); retry")]
    Unavailable(#[source] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("the token is missing, malformed or unknown")]
    Unauthenticated,
    #[error("not found")]
    NotFound,
    #[error("{field} must be 1 to {max} printable characters")]
    InvalidName { field: &'static str, max: usize },
    #[error("no tier named '{tier}' in the price book (known tiers: {known})")]
    UnknownTier { tier: String, known: String },
    #[error("tier '{tier}' has negotiated pricing; it is set up by contract, not here")]
    NegotiatedTier { tier: String },
    #[error("the account is already on tier '{tier}'")]
    TierUnchanged { tier: String },
    #[error("tier '{tier}' cannot hold burst credit; the account still holds {balance} of credit")]
    CreditsHeld { tier: String, balance: String },
    #[error("a batch holds at most {max} records; this one holds {records}")]
    BatchTooLarge { records: usize, max: usize },
    #[error("invalid batch: {reason}")]
    InvalidBatch { reason: String },
    #[error("the batch names node '{claimed}' but the token belongs to another node")]
    NodeMismatch { claimed: String },
    #[error("batch id '{batch_id}' was already used for a different body")]
    BatchIdReused { batch_id: String },
    #[error("idempotency key must be 1 to 128 printable ASCII characters")]
    InvalidIdempotencyKey,
    #[error("idempotency key '{key}' was already used for a different request")]
    IdempotencyKeyReused { key: String },
    #[error("tier '{tier}' cannot buy burst credit packs")]
    CreditPacksNotAllowed { tier: String },
    #[error("a downgrade to {scheduled} is scheduled, and {scheduled} takes no burst credit; cancel the downgrade to buy credit packs")]
    CreditPacksScheduledOut { scheduled: String },
    #[error("{reason}")]
    InvalidControls { reason: String },
    #[error("packs must be 1 to {max}; got {packs}")]
    InvalidPackCount { packs: u32, max: u32 },
    #[error("invalid usage query: {reason}")]
    InvalidUsageQuery { reason: String },
    #[error("invalid report range: {reason}")]
    InvalidReportRange { reason: String },
    #[error("the cursor is not one this API returned")]
    InvalidCursor,
    #[error("the credit ledger of account {account_id} does not add up: {reason}")]
    LedgerInconsistent { account_id: String, reason: String },
    #[error("stored data could not be read back: {reason}")]
    CorruptRow { reason: String },
    #[error("too many concurrent writers on the same account; retry")]
    Contention,
    #[error("the runtime shut down before the write finished")]
    Cancelled,
    #[error(transparent)]
    Rate(#[from] RateError),
    #[error("amount too large to compute exactly")]
    Overflow,
    #[error(
        "the batch would take the {meter} of account {account_id} for the period from {period_start} past {max}; \
         nothing was stored (drop or split the records)"
    )]
    PeriodTotalExceeded { account_id: String, period_start: chrono::DateTime<chrono::Utc>, meter: &'static str, max: i64 },
    #[error(transparent)]
    Webhook(#[from] WebhookError),
}

impl EngineError {
    /// A stable, machine-readable code; clients match on it, never on the message.
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::UnsupportedDatabaseUrl { .. } => "unsupported_database_url",
            EngineError::InvalidDatabaseUrl { .. } => "invalid_database_url",
            EngineError::NoDatabaseHost { .. } => "no_database_host",
            EngineError::Database(_) => "database",
            // Clients already retry `contention`; an unavailable database asks the same of them.
            EngineError::Unavailable(_) => "contention",
            EngineError::Migration(_) => "migration",
            EngineError::Unauthenticated => "unauthenticated",
            EngineError::NotFound => "not_found",
            EngineError::InvalidName { .. } => "invalid_name",
            EngineError::UnknownTier { .. } => "unknown_tier",
            EngineError::NegotiatedTier { .. } => "negotiated_tier",
            EngineError::TierUnchanged { .. } => "tier_unchanged",
            EngineError::CreditsHeld { .. } => "credits_held",
            EngineError::BatchTooLarge { .. } => "batch_too_large",
            EngineError::InvalidBatch { .. } => "invalid_batch",
            EngineError::NodeMismatch { .. } => "node_mismatch",
            EngineError::BatchIdReused { .. } => "batch_id_reused",
            EngineError::InvalidIdempotencyKey => "invalid_idempotency_key",
            EngineError::IdempotencyKeyReused { .. } => "idempotency_key_reused",
            EngineError::CreditPacksNotAllowed { .. } | EngineError::CreditPacksScheduledOut { .. } => "credit_packs_not_allowed",
            EngineError::InvalidPackCount { .. } => "invalid_pack_count",
            EngineError::InvalidControls { .. } => "invalid_controls",
            EngineError::InvalidUsageQuery { .. } => "invalid_usage_query",
            EngineError::InvalidReportRange { .. } => "invalid_report_range",
            EngineError::InvalidCursor => "invalid_cursor",
            EngineError::LedgerInconsistent { .. } => "ledger_inconsistent",
            EngineError::CorruptRow { .. } => "corrupt_row",
            EngineError::Contention => "contention",
            EngineError::Cancelled => "cancelled",
            EngineError::Rate(e) => e.code(),
            EngineError::Overflow => "overflow",
            EngineError::PeriodTotalExceeded { .. } => "period_total_exceeded",
            EngineError::Webhook(e) => e.code(),
        }
    }

    /// Whether the error is the caller's (a 4xx answer) rather than the server's.
    pub fn is_client_error(&self) -> bool {
        !matches!(
            self,
            EngineError::UnsupportedDatabaseUrl { .. }
                | EngineError::InvalidDatabaseUrl { .. }
                | EngineError::NoDatabaseHost { .. }
                | EngineError::Database(_)
                | EngineError::Unavailable(_)
                | EngineError::Migration(_)
                | EngineError::LedgerInconsistent { .. }
                | EngineError::CorruptRow { .. }
                | EngineError::Contention
                | EngineError::Cancelled
                | EngineError::Overflow
        )
    }
}

impl From<sqlx::Error> for EngineError {
    fn from(e: sqlx::Error) -> Self {
        if is_unavailable(&e) { EngineError::Unavailable(e) } else { EngineError::Database(e) }
    }
}

/// Whether a database error says the database cannot be used right now rather than that the
/// request or the data is wrong: no connection (refused, reset, timed out, no free connection in
/// the pool), or PostgreSQL's connection exceptions (SQLSTATE class 08), a server shutting down
/// or starting up (57P01, 57P02, 57P03), and a write sent to a read-only server (25006), as a
/// demoted primary or a standby answers.
pub(crate) fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(d) => d.code().is_some_and(|c| c.starts_with("08") || matches!(&*c, "57P01" | "57P02" | "57P03" | "25006")),
        _ => false,
    }
}

/// Results of the engine.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;

/// Why a webhook request is refused.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("the webhook URL is not valid: {reason}")]
    InvalidUrl { reason: String },
    #[error("the webhook URL must use https:// (plain http:// is accepted for loopback hosts only; got host '{host}')")]
    NotHttps { host: String },
    #[error("the account has no webhook registered")]
    NotRegistered,
}

impl WebhookError {
    /// A stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            WebhookError::InvalidUrl { .. } => "invalid_webhook_url",
            WebhookError::NotHttps { .. } => "webhook_url_not_https",
            WebhookError::NotRegistered => "webhook_not_registered",
        }
    }

    /// Whether it means "there is nothing there" (a 404) rather than a bad request.
    pub fn is_not_found(&self) -> bool {
        matches!(self, WebhookError::NotRegistered)
    }
}
