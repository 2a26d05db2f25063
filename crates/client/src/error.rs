//! What can go wrong talking to the account API.

use reqwest::StatusCode;

/// A failed call. Keeps the server's `code` when there was an answer, and says which side
/// failed: the network, the credentials, the request, or the server.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The base URL cannot be used.
    #[error("bad server URL `{url}`: {detail}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// Why it cannot be used.
        detail: String,
    },
    /// No answer arrived: the server is unreachable, the connection broke, or it timed out.
    /// Unless `unsent`, a call that charges money may or may not have been carried out;
    /// repeat it with the same idempotency key to find out without paying twice.
    #[error("could not reach the server: {detail}")]
    Network {
        /// What the HTTP stack reported.
        detail: String,
        /// No attempt of the call got as far as a connection, so the server never saw it:
        /// nothing was carried out.
        unsent: bool,
    },
    /// The token is missing, wrong or revoked (HTTP 401).
    #[error("the server refused the token ({code}): {message}")]
    Unauthorized {
        /// The server's error code (`invalid_token`).
        code: String,
        /// The server's sentence.
        message: String,
    },
    /// The server refused the request (another 4xx) and did nothing.
    #[error("the server refused the request ({status}, {code}): {message}")]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The server's error code.
        code: String,
        /// The server's sentence.
        message: String,
    },
    /// The server failed (5xx).
    #[error("the server failed ({status}, {code}): {message}")]
    Server {
        /// The HTTP status.
        status: u16,
        /// The server's error code.
        code: String,
        /// The server's sentence.
        message: String,
    },
    /// An answer arrived but is not what this client understands (a different server version,
    /// or a proxy's page).
    #[error("unexpected answer ({status}): {detail}")]
    UnexpectedBody {
        /// The HTTP status.
        status: u16,
        /// Why the body could not be read, or its first 200 bytes.
        detail: String,
    },
}

impl ClientError {
    /// A stable machine-readable code for this failure: the server's own code when it
    /// answered with one, otherwise `network`, `invalid_url` or `unexpected_body`.
    pub fn code(&self) -> &str {
        match self {
            ClientError::InvalidUrl { .. } => "invalid_url",
            ClientError::Network { .. } => "network",
            ClientError::Unauthorized { code, .. } | ClientError::Rejected { code, .. } | ClientError::Server { code, .. } => code,
            ClientError::UnexpectedBody { .. } => "unexpected_body",
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Unauthorized { .. } => Some(StatusCode::UNAUTHORIZED.as_u16()),
            ClientError::Rejected { status, .. } | ClientError::Server { status, .. } | ClientError::UnexpectedBody { status, .. } => {
                Some(*status)
            }
            ClientError::InvalidUrl { .. } | ClientError::Network { .. } => None,
        }
    }

    /// No answer arrived, so the call may be repeated (with the same idempotency key).
    pub fn is_network(&self) -> bool {
        matches!(self, ClientError::Network { .. })
    }

    /// The credentials were refused: sign in again.
    pub fn is_auth(&self) -> bool {
        matches!(self, ClientError::Unauthorized { .. })
    }

    /// Worth trying again later: no answer, or a server-side failure that did not commit.
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            ClientError::Network { .. } => true,
            ClientError::Server { status, .. } => matches!(*status, 502..=504),
            _ => false,
        }
    }
}
