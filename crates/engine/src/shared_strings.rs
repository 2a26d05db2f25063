//! The distinct strings of a batch, a request of points or a roll-up pass, each kept once.

use std::borrow::Cow;
use std::sync::Arc;

use rustc_hash::FxHashMap;

/// Distinct strings numbered in the order first seen, each with one shared copy. Accounts,
/// routes and regions repeat across records: each is allocated once, and sums keyed by the
/// numbers add up without comparing or hashing text again.
#[derive(Default)]
pub(crate) struct SharedStrings<'a> {
    ids: FxHashMap<Cow<'a, str>, u32>,
    shared: Vec<Arc<str>>,
}

impl<'a> SharedStrings<'a> {
    /// The number of `text`; far fewer than 2^32 distinct strings are ever kept.
    pub(crate) fn id(&mut self, text: impl Into<Cow<'a, str>>) -> u32 {
        let text = text.into();
        if let Some(id) = self.ids.get(&*text) {
            return *id;
        }
        let id = self.shared.len() as u32;
        self.shared.push(Arc::from(&*text));
        self.ids.insert(text, id);
        id
    }

    /// The shared copy of the string numbered `id`.
    pub(crate) fn shared(&self, id: u32) -> Arc<str> {
        self.shared[id as usize].clone()
    }

    /// The shared copy of `text`.
    pub(crate) fn get(&mut self, text: impl Into<Cow<'a, str>>) -> Arc<str> {
        let id = self.id(text);
        self.shared(id)
    }

    /// The strings in the order of their numbers.
    pub(crate) fn texts(&self) -> impl Iterator<Item = &str> {
        self.shared.iter().map(|s| &**s)
    }
}
