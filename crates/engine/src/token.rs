//! Random ids and secret tokens. A token is shown once and stored only as its SHA-256.

use rand_core::{OsRng, TryRngCore};
use sha2::{Digest, Sha256};

/// `prefix` followed by `bytes` random bytes in hex.
pub(crate) fn random_id(prefix: &str, bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.try_fill_bytes(&mut buf).expect("the operating system's random source works");
    format!("{prefix}{}", hex::encode(buf))
}

/// A new secret token: 256 random bits behind a prefix that says what it opens.
pub(crate) fn new_token(prefix: &str) -> String {
    random_id(prefix, 32)
}

/// The stored form of a token or a request body.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

pub(crate) const ACCOUNT_TOKEN_PREFIX: &str = "ec_acct_";
pub(crate) const NODE_TOKEN_PREFIX: &str = "ec_node_";

/// Whether text has the shape of a token with `prefix`, checked before any lookup.
pub(crate) fn looks_like_token(token: &str, prefix: &str) -> bool {
    token.strip_prefix(prefix).is_some_and(|rest| {
        rest.len() == 64 && rest.bytes().all(|b| b.is_ascii_hexdigit())
    })
}
