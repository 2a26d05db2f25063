//! The accounts and nodes of tokens this engine has already looked up, kept in memory; the
//! engine holds one, below the authentication that uses it.
//!
//! A token opens the same account (or node) for as long as it exists: tokens are issued once,
//! with their account or node, and never reissued, moved or revoked, and neither accounts nor
//! nodes are deleted. So a token found once needs no second look, on this replica or any
//! other. A token not found is looked up every time (another replica may have just issued
//! it). Should tokens ever be revoked, the revocation must reach this cache.

use std::collections::HashMap;
use std::sync::Mutex;

/// Tokens kept at most: beyond it the cache starts again empty.
const KNOWN_TOKENS_MAX: usize = 100_000;

/// Which tokens a hash names: an account's or a node's (their hashes never meet, as the
/// tokens' prefixes differ, but the kinds stay apart anyway).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    Account,
    Node,
}

/// Token hashes and the id each opens, for each kind.
#[derive(Default)]
pub(crate) struct KnownTokens {
    accounts: Mutex<HashMap<String, String>>,
    nodes: Mutex<HashMap<String, String>>,
}

impl KnownTokens {
    fn ids(&self, kind: TokenKind) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        let ids = match kind {
            TokenKind::Account => &self.accounts,
            TokenKind::Node => &self.nodes,
        };
        ids.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The id a token hash was found to open, if it was looked up before.
    pub(crate) fn get(&self, kind: TokenKind, token_hash: &str) -> Option<String> {
        self.ids(kind).get(token_hash).cloned()
    }

    /// Remembers that `token_hash` opens `id`.
    pub(crate) fn put(&self, kind: TokenKind, token_hash: String, id: String) {
        let mut ids = self.ids(kind);
        if ids.len() >= KNOWN_TOKENS_MAX {
            ids.clear();
        }
        ids.insert(token_hash, id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_found_under_its_kind_and_hash_only() {
        let known = KnownTokens::default();
        known.put(TokenKind::Account, "h1".into(), "acct_1".into());
        assert_eq!(known.get(TokenKind::Account, "h1").as_deref(), Some("acct_1"));
        assert_eq!(known.get(TokenKind::Node, "h1"), None);
        assert_eq!(known.get(TokenKind::Account, "h2"), None);
    }

    #[test]
    fn a_full_cache_starts_again_and_keeps_the_newest() {
        let known = KnownTokens::default();
        for i in 0..KNOWN_TOKENS_MAX {
            known.put(TokenKind::Node, format!("h{i}"), format!("node_{i}"));
        }
        known.put(TokenKind::Node, "new".into(), "node_new".into());
        assert_eq!(known.get(TokenKind::Node, "new").as_deref(), Some("node_new"));
        assert_eq!(known.get(TokenKind::Node, "h0"), None);
    }
}
