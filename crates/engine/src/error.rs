//! Errors of the billing engine, each with a stable machine-readable code.

use edgecost_pricing::RateError;

/// Everything the engine can refuse or fail at.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[cfg_attr(feature = "postgres", error("database URL '{url}' is not supported: use sqlite://PATH or postgres://..."))]
    #[cfg_attr(not(feature = "postgres"), error("database URL '{url}' is not supported: this build opens sqlite://PATH only"))]
    /// The database URL names a scheme this build cannot open.
    UnsupportedDatabaseUrl {
        /// The URL as given.
        url: String,
    },
    #[error("database URL '{url}' is not valid: {reason}")]
    /// The database URL has a supported scheme but cannot be parsed or used.
    InvalidDatabaseUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    #[error("no host of the database URL {wanted} ({failures})")]
    /// No host of a PostgreSQL URL fit its `target_session_attrs` within the minute opening
    /// waits.
    NoDatabaseHost {
        /// What a host had to do: `"accepts writes"` or `"answers"`.
        wanted: &'static str,
        /// Why each host failed, separated by `; `.
        failures: String,
    },
    /// Any other database error: a query or a constraint failed.
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// The database could not be reached, lost the connection, or answered that it cannot
    /// write right now (a standby, a server shutting down): while PostgreSQL fails over, for
    /// instance. Nothing was changed that the caller was told of; retrying is safe.
    #[error("the database is unavailable for now (connection lost, or failing over); retry")]
    Unavailable(#[source] sqlx::Error),
    /// The schema could not be brought up to date when the engine opened the database.
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// The token is missing, malformed or names no account (or node).
    #[error("the token is missing, malformed or unknown")]
    Unauthenticated,
    /// The account (or the record asked for) does not exist.
    #[error("not found")]
    NotFound,
    #[error("{field} must be 1 to {max} printable characters")]
    /// A name is empty, all whitespace, too long or holds control characters.
    InvalidName {
        /// Which name: `"name"`, say.
        field: &'static str,
        /// The most characters it may hold.
        max: usize,
    },
    #[error("no tier named '{tier}' in the price book (known tiers: {known})")]
    /// The price book has no tier of that name.
    UnknownTier {
        /// The name asked for.
        tier: String,
        /// The price book's tier names, comma separated.
        known: String,
    },
    #[error("tier '{tier}' has negotiated pricing; it is set up by contract, not here")]
    /// The tier is priced by contract: an account cannot move to it (or be quoted on it) here.
    NegotiatedTier {
        /// The tier's name.
        tier: String,
    },
    #[error("the account is already on tier '{tier}'")]
    /// A tier change asks for the tier the account is already on.
    TierUnchanged {
        /// The account's tier.
        tier: String,
    },
    #[error("tier '{tier}' cannot hold burst credit; the account still holds {balance} of credit")]
    /// A downgrade to a tier that takes no burst credit, refused while the account holds
    /// credit (it could never be spent there).
    CreditsHeld {
        /// The tier asked for.
        tier: String,
        /// The credit balance as people read it, in the book's currency (`"$12.50"`, `"€12.50"`).
        balance: String,
    },
    #[error("a batch holds at most {max} records; this one holds {records}")]
    /// A telemetry batch holds more records than one batch may.
    BatchTooLarge {
        /// The records in the batch.
        records: usize,
        /// The most a batch may hold ([`edgecost_api::MAX_BATCH_RECORDS`]).
        max: usize,
    },
    #[error("invalid batch: {reason}")]
    /// A telemetry batch is malformed as a whole (its batch id, say); nothing of it was stored.
    InvalidBatch {
        /// What is wrong with it.
        reason: String,
    },
    #[error("the batch names node '{claimed}' but the token belongs to another node")]
    /// The batch's `node_id` is not the node whose token sent it.
    NodeMismatch {
        /// The node id the batch names.
        claimed: String,
    },
    #[error("batch id '{batch_id}' was already used for a different body")]
    /// The node sent this batch id before with another body; the first body stands.
    BatchIdReused {
        /// The batch id.
        batch_id: String,
    },
    /// The idempotency key is empty, longer than 128 characters or not printable ASCII.
    #[error("idempotency key must be 1 to 128 printable ASCII characters")]
    InvalidIdempotencyKey,
    #[error("idempotency key '{key}' was already used for a different request")]
    /// The idempotency key was used before for a request with another body; the first
    /// answer stands.
    IdempotencyKeyReused {
        /// The key.
        key: String,
    },
    #[error("tier '{tier}' cannot buy burst credit packs")]
    /// The account's tier takes no burst credit packs.
    CreditPacksNotAllowed {
        /// The account's tier.
        tier: String,
    },
    #[error("a downgrade to {scheduled} is scheduled, and {scheduled} takes no burst credit; cancel the downgrade to buy credit packs")]
    /// Packs are refused because a downgrade to a tier that takes none is scheduled: the
    /// credit could never be spent there. Its code is `credit_packs_not_allowed` too.
    CreditPacksScheduledOut {
        /// The scheduled tier's display name.
        scheduled: String,
    },
    #[error("{reason}")]
    /// Spend controls (budget, alert percentages, spend cap, automatic top-up) out of bounds.
    InvalidControls {
        /// Which setting and why, for a person.
        reason: String,
    },
    #[error("packs must be 1 to {max}; got {packs}")]
    /// A purchase of no packs, or of more than one purchase may buy.
    InvalidPackCount {
        /// The packs asked for.
        packs: u32,
        /// The most one purchase may buy ([`crate::PACKS_PER_PURCHASE_MAX`]).
        max: u32,
    },
    #[error("invalid usage query: {reason}")]
    /// A usage or cost query's range or grouping is not valid (`from` not before `to`, a span
    /// past its bound...).
    InvalidUsageQuery {
        /// What is wrong with it.
        reason: String,
    },
    #[error("invalid report range: {reason}")]
    /// An operator report's months or margin threshold are out of bounds.
    InvalidReportRange {
        /// What is wrong with it.
        reason: String,
    },
    /// A page cursor that this engine did not hand out for this account.
    #[error("the cursor is not one this API returned")]
    InvalidCursor,
    #[error("the credit ledger of account {account_id} does not add up: {reason}")]
    /// The stored credit ledger breaks its own rules (a gap in the sequence, a balance that
    /// does not follow from the entries, a negative balance): a server fault, never retried.
    LedgerInconsistent {
        /// The account whose ledger it is.
        account_id: String,
        /// Which rule it breaks.
        reason: String,
    },
    #[error("stored data could not be read back: {reason}")]
    /// A stored value cannot be read back as what it must be (a receipt missing, an encoded
    /// field that does not decode): a server fault.
    CorruptRow {
        /// Which value and how it is wrong.
        reason: String,
    },
    /// Concurrent writers on the same account kept taking what this write needed first; the
    /// write was given up with nothing changed and may be retried.
    #[error("too many concurrent writers on the same account; retry")]
    Contention,
    /// The async runtime shut down while a write's task ran; the transaction did not commit.
    #[error("the runtime shut down before the write finished")]
    Cancelled,
    /// Rating refused the usage or the price book (see [`RateError`]); its code is the rate
    /// error's.
    #[error(transparent)]
    Rate(#[from] RateError),
    /// An amount of money or usage past what 64-bit (or decimal) arithmetic holds exactly.
    #[error("amount too large to compute exactly")]
    Overflow,
    #[error(
        "the batch would take the {meter} of account {account_id} for the period from {period_start} past {max}; \
         nothing was stored (drop or split the records)"
    )]
    /// A batch would take an account's period total past its bound
    /// ([`crate::PERIOD_REQUESTS_MAX`] and the others); nothing of the batch was stored.
    PeriodTotalExceeded {
        /// The account.
        account_id: String,
        /// The start of the period.
        period_start: chrono::DateTime<chrono::Utc>,
        /// The meter past its bound: `"requests"`, `"compute_ms"` or `"egress_bytes"`.
        meter: &'static str,
        /// The bound.
        max: i64,
    },
    /// A webhook request refused (see [`WebhookError`]); its code is the webhook error's.
    #[error(transparent)]
    Webhook(#[from] WebhookError),
    #[error("account {account_id} has no invoice {invoice}")]
    /// The account does not exist, or has no invoice of that id or number.
    InvoiceNotFound {
        /// The account named.
        account_id: String,
        /// The invoice named: its id or its number.
        invoice: String,
    },
    #[error("invalid payment: {reason}")]
    /// A payment whose amount, currency, reference or time is out of bounds.
    InvalidPayment {
        /// Which field and why, for a person.
        reason: String,
    },
    #[error("invoice {invoice} has nothing due ({status})")]
    /// A payment for an invoice that is paid in full or had nothing due after credit.
    NothingDue {
        /// The invoice's number.
        invoice: String,
        /// Why: `"paid"` or `"paid by credit"`.
        status: &'static str,
    },
    #[error("the payment of {amount} is more than the {due} still due on invoice {invoice}")]
    /// A payment larger than what is still due on the invoice.
    PaymentExceedsDue {
        /// The invoice's number.
        invoice: String,
        /// The payment's amount, as people read it (`"$50.00"`).
        amount: String,
        /// What is still due, as people read it.
        due: String,
    },
    #[error("payment reference '{reference}' was already recorded on invoice {invoice} for {recorded}, not {amount}")]
    /// The reference was recorded on the invoice before with another amount; the first
    /// payment stands.
    PaymentReferenceReused {
        /// The reference.
        reference: String,
        /// The invoice's number.
        invoice: String,
        /// The amount first recorded, as people read it.
        recorded: String,
        /// The amount asked now, as people read it.
        amount: String,
    },
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
            EngineError::InvoiceNotFound { .. } => "invoice_not_found",
            EngineError::InvalidPayment { .. } => "invalid_payment",
            EngineError::NothingDue { .. } => "nothing_due",
            EngineError::PaymentExceedsDue { .. } => "payment_exceeds_due",
            EngineError::PaymentReferenceReused { .. } => "payment_reference_reused",
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
    /// The URL cannot be parsed, is too long, holds whitespace, a user name, a password or
    /// a fragment, uses a scheme other than http(s), or names no host.
    InvalidUrl {
        /// What is wrong with it.
        reason: String,
    },
    #[error("the webhook URL must use https:// (plain http:// is accepted for loopback hosts only; got host '{host}')")]
    /// The URL is not `https://`, and not `http://` to a loopback host.
    NotHttps {
        /// The URL's host.
        host: String,
    },
    /// The account has no webhook to delete or show.
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
