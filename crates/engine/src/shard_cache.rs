//! The shards of OpenTelemetry series (see `points`) this engine last read or wrote, kept in
//! memory; the engine holds one, below the operations that use it.

use std::collections::HashMap;
use std::sync::Arc;

use crate::store::SeriesRow;

/// A shard's version and its series, sorted.
type CachedShard = (i64, Arc<Vec<SeriesRow>>);

/// Series kept in memory at most: beyond it the cache starts again empty.
const CACHED_SERIES_MAX: usize = 100_000;

/// The shards of series (see the `points` module documentation) this engine last read or wrote, by
/// node and shard, with their versions: a request reads from the database only the shards it
/// has no copy of. A copy another replica has since changed is found out when the request
/// writes the shard (its version no longer matches): the attempt fails, the copy is dropped,
/// and the next attempt reads the shard again.
#[derive(Default)]
pub(crate) struct ShardCache {
    shards: HashMap<(String, i64), CachedShard>,
    series: usize,
}

impl ShardCache {
    /// Takes the copy of a shard out: the request that took it puts it back as it stored it
    /// (a concurrent request of the node reads the shard meanwhile).
    pub(crate) fn take(&mut self, node: &str, shard: i64) -> Option<CachedShard> {
        let taken = self.shards.remove(&(node.to_owned(), shard));
        if let Some((_, series)) = &taken {
            self.series -= series.len();
        }
        taken
    }

    /// Keeps `series` as the shard at `version`, unless a later version is kept already (a
    /// concurrent request wrote it after this one read).
    pub(crate) fn put(&mut self, node: &str, shard: i64, version: i64, series: Arc<Vec<SeriesRow>>) {
        if self.shards.get(&(node.to_owned(), shard)).is_some_and(|(kept, _)| *kept > version) {
            return;
        }
        if self.series + series.len() > CACHED_SERIES_MAX {
            self.shards.clear();
            self.series = 0;
        }
        self.series += series.len();
        if let Some((_, old)) = self.shards.insert((node.to_owned(), shard), (version, series)) {
            self.series -= old.len();
        }
    }

    pub(crate) fn forget(&mut self, node: &str, shard: i64) {
        if let Some((_, old)) = self.shards.remove(&(node.to_owned(), shard)) {
            self.series -= old.len();
        }
    }
}
