//! Errors of the pricing crate.

/// A price book that could not be read or that breaks a rule of the format.
///
/// Nothing of a book that fails is ever used: loading returns either a whole, valid book or
/// one of these.
#[derive(Debug, thiserror::Error)]
pub enum PriceBookError {
    /// The text does not parse, or a value breaks a rule; `line` and `column` are 1-based.
    #[error("{file}:{line}:{column}: {message}")]
    Malformed {
        /// The book's path, or a name for a book read from text.
        file: String,
        /// 1-based line of the offending value.
        line: usize,
        /// 1-based column of the offending value.
        column: usize,
        /// What is wrong, in a sentence.
        message: String,
    },
    /// A rule was broken somewhere the parser could not place.
    #[error("{file}: {message}")]
    Invalid {
        /// The book's path, or a name for a book read from text.
        file: String,
        /// Which rule was broken, in a sentence.
        message: String,
    },
    /// The file could not be read at all.
    #[error("cannot read {file}: {source}")]
    Read {
        /// The path that was tried.
        file: String,
        /// Why the file system refused it.
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
    /// The book has no tier of that name.
    #[error("no tier named '{tier}' in the price book (known tiers: {known})")]
    UnknownTier {
        /// The name asked for.
        tier: String,
        /// The book's tier names, comma-separated, for the message.
        known: String,
    },
    /// The tier is custom: its rates are in a contract, not in this book.
    #[error("tier '{tier}' has negotiated pricing; rate it with a price book that holds the contract's rates")]
    Negotiated {
        /// The custom tier.
        tier: String,
    },
    /// A meter's usage is below zero.
    #[error("{meter} usage is negative ({value}); usage must be zero or more")]
    NegativeUsage {
        /// The meter's id (`requests`).
        meter: &'static str,
        /// The usage as given.
        value: String,
    },
    /// The credit balance is below zero.
    #[error("credit balance is negative ({value})")]
    NegativeCredit {
        /// The balance as given.
        value: String,
    },
    /// The credit balance has a fraction of a cent; the ledger holds whole cents.
    #[error("credit balance {value} is not a whole number of cents")]
    CreditNotWholeCents {
        /// The balance as given.
        value: String,
    },
    /// The credit balance is above [`crate::bounds::MONEY_MAX`].
    #[error("credit balance {value} is above the bound of {max}")]
    CreditTooLarge {
        /// The balance as given.
        value: String,
        /// The bound it passed.
        max: String,
    },
    /// A meter's usage is above its bound in [`crate::bounds`].
    #[error("{meter} usage of {value} is above the bound of {max} a period")]
    UsageTooLarge {
        /// The meter's id (`requests`).
        meter: &'static str,
        /// The usage as given.
        value: String,
        /// The bound it passed.
        max: String,
    },
    /// A base fee share covers no period or more days than its period has.
    #[error("a base fee share of {days}/{period_days} days is not a fraction of a period")]
    BadProration {
        /// Days the share covers.
        days: u32,
        /// Days in its period.
        period_days: u32,
    },
    /// A sum or product left the range exact decimal arithmetic holds.
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
