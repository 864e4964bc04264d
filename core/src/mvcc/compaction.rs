//! A compaction under way. etcd compacts its in-memory index when it applies the request, then deletes the
//! dropped revisions from its backend in batches of 1,000, pausing between batches, so that compacting a
//! large history never holds up the member's apply loop (`kvstore_compaction.go`). We go one step further
//! for the page's sake: the index is walked a batch of keys at a time too, because with 100,000 objects
//! even that walk is a long task in the browser.
//!
//! Nothing a client sees depends on how far a compaction has come. The compacted revision is set when the
//! request is applied, so reads and watches below it fail at once; above it, a key's index answers the same
//! before and after its compaction. What lags is the bookkeeping: the stored version count and the bytes
//! in use shrink batch by batch, as the backend's in-use size does in etcd. [`Store::hash_kv`] hashes as if
//! the compaction were done (etcd's `HashByRev` skips revisions scheduled for deletion the same way).
//!
//! [`Store::hash_kv`]: super::Store::hash_kv

use super::index::Index;
use super::key_index::KeyIndex;
use super::revision::Revision;
use super::versions::Versions;
use std::ops::Bound;
use std::sync::Arc;

/// Keys of the index compacted per step.
const KEYS_PER_STEP: usize = 2_000;
/// Chunks of the history a step rewrites at most (each holds up to 1,024 versions).
const CHUNKS_PER_STEP: usize = 16;

/// Where the index walk is.
#[derive(Clone, Debug)]
enum Walk {
    /// The next key to compact is the first at or after this one (None: the first key).
    From(Option<Arc<[u8]>>),
    /// Every key is compacted; what is left is deleting `dropped` from the history.
    Done,
}

/// A compaction at `rev` partly done.
#[derive(Clone, Debug)]
pub(super) struct Compaction {
    rev: i64,
    walk: Walk,
    /// Revisions the compacted keys no longer hold, still in the history (sorted once the walk is done).
    dropped: Vec<Revision>,
    /// How many of `dropped` are deleted.
    deleted: usize,
}

impl Compaction {
    /// Starts a compaction at `rev` that also deletes `dropped` (versions a restore found no key for).
    pub fn new(rev: i64, dropped: Vec<Revision>) -> Compaction {
        Compaction { rev, walk: Walk::From(None), dropped, deleted: 0 }
    }

    /// Compacts the next batch of keys. Keys written after the compaction have nothing at or below
    /// `rev` to drop (every write after it is newer), so a walk over a changing index misses nothing.
    pub fn walk_index(&mut self, index: &mut Index) {
        let Walk::From(from) = &self.walk else { return };
        let start = from.as_ref().map_or(Bound::Unbounded, |k| Bound::Included(&k[..]));
        let mut next = None;
        // Read first, then change only the keys with history: a change copies the key's leaf while a
        // checkpoint shares it, and most keys (written once) have nothing to drop.
        let mut historied = Vec::new();
        for (n, (key, ki)) in index.range((start, Bound::Unbounded)).enumerate() {
            if n == KEYS_PER_STEP {
                next = Some(key.clone());
                break;
            }
            if ki.has_history() {
                historied.push(key.clone());
            }
        }
        for key in historied {
            let ki = index.get_mut(&key).expect("a key just walked is indexed");
            ki.compact(self.rev, &mut self.dropped);
            if ki.is_empty() {
                index.remove(&key);
            }
        }
        self.walk = match next {
            Some(key) => Walk::From(Some(key)),
            None => {
                // The history is in revision order, so deleting in that order walks it once.
                self.dropped.sort_unstable();
                Walk::Done
            }
        };
    }

    /// Whether every dropped revision is deleted (and the walk is over).
    pub fn finished(&self) -> bool {
        self.index_done() && self.deleted == self.dropped.len()
    }

    /// Whether the index walk is over.
    pub fn index_done(&self) -> bool {
        matches!(self.walk, Walk::Done)
    }

    /// The next batch of revisions to delete from `versions` (those in at most [`CHUNKS_PER_STEP`]
    /// chunks), marked deleted; empty when the compaction is done.
    pub fn next_batch(&mut self, versions: &Versions) -> &[Revision] {
        let rest = &self.dropped[self.deleted..];
        let Some(first) = rest.first() else { return &[] };
        let bound = versions.chunk_bound(*first, CHUNKS_PER_STEP);
        let n = rest.partition_point(|r| *r <= bound);
        self.deleted += n;
        &self.dropped[self.deleted - n..self.deleted]
    }

    /// Whether `rev`, at or below the compaction, is still in the history but on its way out: the
    /// compaction keeps, of each key, only its newest revision at `self.rev` if that is not a tombstone,
    /// which is where the key's index says the key stood then.
    pub fn drops(&self, rev: Revision, key: Option<&KeyIndex>) -> bool {
        rev.main <= self.rev && key.and_then(|ki| ki.get(self.rev)).is_none_or(|at| at.modified != rev)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{KeyRange, Store};
    use crate::rng::SimRng;

    /// A store too large to compact in one step: 12,000 keys written one to four times, a third of them
    /// deleted (some put again), in random order. Prints its seed.
    fn busy_store(seed: u64) -> Store {
        println!("busy store seed {seed}");
        let mut rng = SimRng::new(seed);
        let mut s = Store::new();
        for round in 0..4 {
            for k in 0..12_000u64 {
                if round > 0 && rng.chance(0.5) {
                    continue;
                }
                let key = format!("/registry/pods/{k:05}");
                let mut tx = s.write();
                if rng.chance(0.1) {
                    tx.delete_range(&KeyRange::Single(key.into_bytes()));
                } else {
                    tx.put(key.as_bytes(), format!("v{round}").as_bytes(), 0);
                }
                tx.end();
            }
        }
        s
    }

    /// What a client can see of a store: every key at the compacted and the current revision, and the hash.
    fn seen(s: &Store, at: i64) -> (Vec<Vec<u8>>, Vec<Vec<u8>>, u32) {
        let all = KeyRange::From(Vec::new());
        let values =
            |rev| s.range(&all, rev, 0).unwrap().kvs.into_iter().map(|kv| [kv.key, kv.value].concat()).collect();
        (values(at), values(0), s.hash_kv(s.current_rev()))
    }

    #[test]
    fn a_compaction_in_steps_looks_done_from_its_first_step() {
        let mut s = busy_store(7);
        let at = s.current_rev() - 6_000;
        let mut done = s.clone();
        done.compact(at).unwrap();
        done.finish_compaction();
        let expected = seen(&done, at);

        s.compact(at).unwrap();
        let mut steps = 1;
        let mut restored_mid_way = 0;
        loop {
            assert_eq!(seen(&s, at), expected, "after step {steps}");
            assert_eq!(
                s.range(&KeyRange::From(Vec::new()), at - 1, 0).unwrap_err(),
                super::super::MvccError::Compacted
            );
            for k in [0, 17, 2_500, 11_999] {
                let key = format!("/registry/pods/{k:05}");
                assert_eq!(s.kept_revisions(key.as_bytes()), done.kept_revisions(key.as_bytes()), "{key}");
            }
            // A snapshot taken now holds part of what the compaction drops; the restored store finishes.
            let mut restored = Store::from_versions(s.versions(), s.current_rev(), s.compact_rev()).unwrap();
            assert_eq!(seen(&restored, at), expected, "restored after step {steps}");
            if restored.compaction_under_way() {
                restored_mid_way += 1;
            }
            restored.finish_compaction();
            assert!(restored.versions() == done.versions(), "restored after step {steps}, then compacted");
            if !s.compact_step() {
                break;
            }
            steps += 1;
        }
        assert!(steps > 4, "the index walk and the deletes take several steps ({steps})");
        assert!(restored_mid_way > 0);
        assert!(s.versions() == done.versions());
        assert_eq!((s.version_count(), s.bytes_in_use()), (done.version_count(), done.bytes_in_use()));
    }

    #[test]
    fn a_second_compaction_finishes_the_first() {
        let mut s = busy_store(8);
        let (first, second) = (s.current_rev() - 9_000, s.current_rev() - 2_000);
        let mut direct = s.clone();
        direct.compact(second).unwrap();
        direct.finish_compaction();
        s.compact(first).unwrap();
        assert!(s.compaction_under_way(), "the first is still under way");
        s.compact(second).unwrap();
        s.finish_compaction();
        assert!(s.versions() == direct.versions());
        assert_eq!(seen(&s, second), seen(&direct, second));
    }
}
