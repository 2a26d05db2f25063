//! Usage-log record ids and cursors as an account sees them.
//!
//! Records are numbered by one sequence shared by every account, so showing those numbers
//! would let an account count other accounts' records between two of its own. An account
//! sees each record's number encrypted instead: AES-128 over the block `number (8 bytes, big
//! endian) || the first 8 bytes of SHA-256(account id)`, under a key the database keeps
//! (created once, shared by every replica). The id reveals nothing about other accounts, is
//! stable across restarts and replicas, and a cursor decrypts back to a position in the log
//! only for the account it was given to: another account's cursor, a guessed one or a
//! tampered one is `invalid_cursor`.

use aes::Aes128;
use aes::cipher::generic_array::GenericArray;
use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use sha2::{Digest, Sha256};

/// The name of the key in the database's key table.
pub(crate) const KEY_NAME: &str = "usage_log_ids";

/// Key bytes (AES-128).
pub(crate) const KEY_BYTES: usize = 16;

#[derive(Clone)]
pub(crate) struct RecordIds {
    cipher: Aes128,
}

impl RecordIds {
    pub(crate) fn new(key: &[u8; KEY_BYTES]) -> RecordIds {
        RecordIds { cipher: Aes128::new(GenericArray::from_slice(key)) }
    }

    /// What `account_id` sees of its record numbered `number`: 32 lowercase hex digits
    /// ([`edgecost_api::USAGE_LOG_ID_HEX_DIGITS`]).
    pub(crate) fn public(&self, account_id: &str, number: i64) -> String {
        let mut block = [0u8; 16];
        block[..8].copy_from_slice(&number.to_be_bytes());
        block[8..].copy_from_slice(&account_tag(account_id));
        let mut block = GenericArray::from(block);
        self.cipher.encrypt_block(&mut block);
        hex::encode(block)
    }

    /// The record number behind `public` if `account_id` was given it; `None` for anything
    /// else (another account's id, a guess, a tampered id).
    pub(crate) fn number(&self, account_id: &str, public: &str) -> Option<i64> {
        if public.len() != edgecost_api::USAGE_LOG_ID_HEX_DIGITS || !public.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return None;
        }
        let bytes: [u8; 16] = hex::decode(public).ok()?.try_into().ok()?;
        let mut block = GenericArray::from(bytes);
        self.cipher.decrypt_block(&mut block);
        if block[8..] != account_tag(account_id) {
            return None;
        }
        let number = i64::from_be_bytes(block[..8].try_into().ok()?);
        (number > 0).then_some(number)
    }
}

fn account_tag(account_id: &str) -> [u8; 8] {
    let digest = Sha256::digest(account_id.as_bytes());
    digest[..8].try_into().expect("a SHA-256 digest has 32 bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> RecordIds {
        RecordIds::new(&[7u8; KEY_BYTES])
    }

    #[test]
    fn an_id_round_trips_for_its_account_only() {
        let ids = ids();
        let public = ids.public("acct_a", 41);
        assert_eq!(public.len(), 32);
        assert_eq!(ids.number("acct_a", &public), Some(41));
        assert_eq!(ids.number("acct_b", &public), None);
        assert_eq!(RecordIds::new(&[8u8; KEY_BYTES]).number("acct_a", &public), None);
    }

    #[test]
    fn neighbouring_numbers_share_nothing_visible() {
        let ids = ids();
        let (a, b) = (ids.public("acct_a", 1000), ids.public("acct_a", 1001));
        // Each hex digit differs with probability 15/16; a shared prefix or suffix of 8 would
        // mean the order leaks.
        assert_ne!(a[..8], b[..8]);
        assert_ne!(a[24..], b[24..]);
    }

    #[test]
    fn malformed_and_tampered_ids_are_no_position() {
        let ids = ids();
        let public = ids.public("acct_a", 5);
        let mut tampered = public.clone().into_bytes();
        tampered[0] = if tampered[0] == b'0' { b'1' } else { b'0' };
        for bad in ["", "5", "zz", &public.to_uppercase(), &public[..30], std::str::from_utf8(&tampered).unwrap()] {
            assert_eq!(ids.number("acct_a", bad), None, "{bad}");
        }
    }
}
