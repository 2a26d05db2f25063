//! Random ids and secret tokens. A token is shown once and stored only as its SHA-256.

use rand_core::{OsRng, TryRngCore};
use sha2::{Digest, Sha256};

/// `prefix` followed by `bytes` random bytes in hex.
pub(crate) fn random_id(prefix: &str, bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.try_fill_bytes(&mut buf).expect("the operating system's random source works");
    format!("{prefix}{}", hex::encode(buf))
}

/// A random number from the operating system.
pub(crate) fn random_u32() -> u32 {
    OsRng.try_next_u32().expect("the operating system's random source works")
}

/// A new secret token: 256 random bits behind a prefix that says what it opens.
pub(crate) fn new_token(prefix: &str) -> String {
    random_id(prefix, 32)
}

/// The stored form of a token or a request body.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// `sha256_hex` of `value`'s JSON (the bytes `serde_json::to_vec` gives), hashed as it is
/// written rather than held whole.
pub(crate) fn sha256_hex_of_json(value: &impl serde::Serialize) -> String {
    struct HashWriter(Sha256);
    impl std::io::Write for HashWriter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.update(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    // The buffer turns serde_json's many small writes into few large updates.
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, HashWriter(Sha256::new()));
    serde_json::to_writer(&mut out, value).expect("a value serializes");
    std::io::Write::flush(&mut out).expect("hashing never fails");
    let (hasher, _) = out.into_parts();
    hex::encode(hasher.0.finalize())
}

pub(crate) const ACCOUNT_TOKEN_PREFIX: &str = "ec_acct_";
pub(crate) const NODE_TOKEN_PREFIX: &str = "ec_node_";
pub(crate) const OPERATOR_TOKEN_PREFIX: &str = edgecost_api::OPERATOR_TOKEN_PREFIX;

/// Whether text has the shape of a token with `prefix`, checked before any lookup.
pub(crate) fn looks_like_token(token: &str, prefix: &str) -> bool {
    token.strip_prefix(prefix).is_some_and(|rest| rest.len() == 64 && rest.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_hash_is_the_hash_of_the_json_bytes() {
        // Stored batch fingerprints were taken over `serde_json::to_vec`: replays must match.
        let value = serde_json::json!({ "batch_id": "b-1", "records": vec![serde_json::json!({ "route": "/a\"b", "n": 1 }); 5_000] });
        assert_eq!(sha256_hex_of_json(&value), sha256_hex(&serde_json::to_vec(&value).unwrap()));
    }
}
