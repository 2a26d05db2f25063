//! An HTTP client for the account API.
