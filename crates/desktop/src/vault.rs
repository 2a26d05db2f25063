//! The API token lives in the OS keyring (Secret Service on Linux) and nowhere else.
//!
//! There is deliberately no fallback store: when the keyring is missing or locked the caller
//! gets [`DesktopError::KeyringUnavailable`] and the app asks the person to unlock or install
//! one, rather than writing the token to a file.

use crate::error::DesktopError;

/// The keyring service name every token of this app is filed under.
pub const KEYRING_SERVICE: &str = "dev.edgecost.desktop";

/// Tokens filed per server URL in the OS keyring.
#[derive(Clone, Debug)]
pub struct TokenVault {
    service: String,
}

impl Default for TokenVault {
    fn default() -> Self {
        TokenVault { service: KEYRING_SERVICE.to_owned() }
    }
}

impl TokenVault {
    /// A vault under another service name (tests use their own so they never touch the app's).
    pub fn with_service(service: &str) -> TokenVault {
        TokenVault { service: service.to_owned() }
    }

    fn entry(&self, server_url: &str) -> Result<keyring::Entry, DesktopError> {
        keyring::Entry::new(&self.service, server_url).map_err(keyring_error)
    }

    /// Stores `token` for `server_url`, replacing any earlier one.
    pub fn store(&self, server_url: &str, token: &str) -> Result<(), DesktopError> {
        self.entry(server_url)?.set_password(token).map_err(keyring_error)
    }

    /// The token for `server_url`, `None` when none is stored.
    pub fn load(&self, server_url: &str) -> Result<Option<String>, DesktopError> {
        match self.entry(server_url)?.get_password() {
            Ok(token) => Ok(Some(token)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error(e)),
        }
    }

    /// Removes the token for `server_url`; removing a missing token is not an error.
    pub fn delete(&self, server_url: &str) -> Result<(), DesktopError> {
        match self.entry(server_url)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keyring_error(e)),
        }
    }
}

fn keyring_error(e: keyring::Error) -> DesktopError {
    match e {
        keyring::Error::PlatformFailure(inner) => DesktopError::KeyringUnavailable { detail: inner.to_string() },
        keyring::Error::NoStorageAccess(inner) => DesktopError::KeyringUnavailable { detail: inner.to_string() },
        other => DesktopError::Keyring { detail: other.to_string() },
    }
}
