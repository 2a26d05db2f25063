//! Errors of the pricing crate.

/// A price book that could not be read or that breaks a rule of the format.
///
/// Nothing of a book that fails is ever used: loading returns either a whole, valid book or
/// one of these.
#[derive(Debug, thiserror::Error)]
pub enum PriceBookError {
    /// The text does not parse, or a value breaks a rule; `line` and `column` are 1-based.
    #[error("{file}:{line}:{column}: {message}")]
    Malformed { file: String, line: usize, column: usize, message: String },
    /// A rule was broken somewhere the parser could not place.
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
    /// The file could not be read at all.
    #[error("cannot read {file}: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
}

impl PriceBookError {
    /// A stable, machine-readable code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            PriceBookError::Malformed { .. } | PriceBookError::Invalid { .. } => "price_book_invalid",
            PriceBookError::Read { .. } => "price_book_unreadable",
        }
    }
}

/// Usage that cannot be rated against a book.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error("no tier named '{tier}' in the price book (known tiers: {known})")]
    UnknownTier { tier: String, known: String },
    #[error("tier '{tier}' has negotiated pricing; rate it with a price book that holds the contract's rates")]
    Negotiated { tier: String },
    #[error("{meter} usage is negative ({value}); usage must be zero or more")]
    NegativeUsage { meter: &'static str, value: String },
    #[error("credit balance is negative ({value})")]
    NegativeCredit { value: String },
    #[error("credit balance {value} is not a whole number of cents")]
    CreditNotWholeCents { value: String },
    #[error("credit balance {value} is above the bound of {max}")]
    CreditTooLarge { value: String, max: String },
    #[error("{meter} usage of {value} is above the bound of {max} a period")]
    UsageTooLarge { meter: &'static str, value: String, max: String },
    #[error("a base fee share of {days}/{period_days} days is not a fraction of a period")]
    BadProration { days: u32, period_days: u32 },
    #[error("amount too large to rate exactly")]
    Overflow,
}

impl RateError {
    /// A stable, machine-readable code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            RateError::UnknownTier { .. } => "unknown_tier",
            RateError::Negotiated { .. } => "negotiated_tier",
            RateError::NegativeUsage { .. } => "negative_usage",
            RateError::NegativeCredit { .. } => "negative_credit",
            RateError::CreditNotWholeCents { .. } => "credit_not_whole_cents",
            RateError::CreditTooLarge { .. } => "credit_too_large",
            RateError::UsageTooLarge { .. } => "usage_too_large",
            RateError::BadProration { .. } => "bad_proration",
            RateError::Overflow => "overflow",
        }
    }
}
