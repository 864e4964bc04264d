//! The revision-ordered store: every version of every key, keyed by revision, plus the key index that
//! maps a key to its revisions. Reads pick a revision; writes happen in a [`WriteTxn`] that takes one
//! main revision for all its changes, as etcd's `storeTxnWrite` does.

use super::compaction::Compaction;
use super::index::Index;
use super::key_index::KeyIndex;
use super::kv::KeyValue;
use super::revision::Revision;
use super::versions::{Version, Versions};
use bytes::Bytes;
use std::fmt;
use std::ops::Bound;
use std::sync::Arc;

/// Errors with etcd's mvcc messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MvccError {
    Compacted,
    FutureRev,
}

impl fmt::Display for MvccError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MvccError::Compacted => "mvcc: required revision has been compacted",
            MvccError::FutureRev => "mvcc: required revision is a future revision",
        })
    }
}

/// Which keys a range covers, decoded from etcd's (key, range_end) convention.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyRange {
    /// Exactly one key (`range_end` empty).
    Single(Vec<u8>),
    /// `[start, end)`.
    Span(Vec<u8>, Vec<u8>),
    /// Every key `>= start` (`range_end` is `"\0"`).
    From(Vec<u8>),
}

/// The range end that makes `key` a prefix (clientv3's `GetPrefixRangeEnd`); the empty prefix means all keys.
pub fn prefix_end(key: &[u8]) -> Vec<u8> {
    let mut end = key.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0]
}

impl KeyRange {
    /// Decodes etcd's wire convention.
    pub fn new(key: &[u8], range_end: &[u8]) -> KeyRange {
        match range_end {
            [] => KeyRange::Single(key.to_vec()),
            [0] => KeyRange::From(key.to_vec()),
            end => KeyRange::Span(key.to_vec(), end.to_vec()),
        }
    }

    pub fn contains(&self, k: &[u8]) -> bool {
        match self {
            KeyRange::Single(key) => k == key.as_slice(),
            KeyRange::Span(s, e) => k >= s.as_slice() && k < e.as_slice(),
            KeyRange::From(s) => k >= s.as_slice(),
        }
    }

    fn bounds(&self) -> (Bound<&[u8]>, Bound<&[u8]>) {
        match self {
            KeyRange::Single(k) => (Bound::Included(k.as_slice()), Bound::Included(k.as_slice())),
            KeyRange::Span(s, e) if s < e => (Bound::Included(s.as_slice()), Bound::Excluded(e.as_slice())),
            // An empty or inverted span selects nothing; BTreeMap::range would panic on it.
            KeyRange::Span(s, _) => (Bound::Included(s.as_slice()), Bound::Excluded(s.as_slice())),
            KeyRange::From(s) => (Bound::Included(s.as_slice()), Bound::Unbounded),
        }
    }
}

/// The result of a range read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeResult {
    pub kvs: Vec<KeyValue>,
    /// Keys in range at the revision (before `limit`).
    pub count: i64,
    /// The store revision the read was served at.
    pub rev: i64,
}

/// The multi-version key-value store of one member.
#[derive(Clone, Debug)]
pub struct Store {
    /// Each key once; the versions share these keys.
    index: Index,
    versions: Versions,
    /// The compaction under way, if its history is too large to compact in one go.
    compacting: Option<Compaction>,
    current_rev: i64,
    compact_rev: i64,
    /// Sum of [`Version::bytes`] over `versions`, kept as versions come and go (read on every apply).
    bytes: u64,
    /// The revision every synced watcher had been shown when the world last let them all look (0: never).
    watched_rev: i64,
    /// Versions past `watched_rev` that a compaction removed before the watchers looked: etcd notifies a
    /// synced watcher when the write commits, so a compaction in the same batch must not hide it.
    unseen_compacted: Vec<Version>,
    /// Slices of the Raft entry being applied (see [`Store::offer_values`]).
    offered: Vec<Bytes>,
    /// Keys live at the current revision, kept by puts and deletes: every `/metrics` scrape reads it, and
    /// counting would walk the whole index (compaction never changes it).
    live_keys: usize,
}

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}

impl Store {
    /// A fresh store is at revision 1, like a new etcd cluster.
    pub fn new() -> Store {
        Store {
            index: Index::default(),
            versions: Versions::default(),
            compacting: None,
            current_rev: 1,
            compact_rev: -1,
            bytes: 0,
            watched_rev: 0,
            unseen_compacted: Vec::new(),
            offered: Vec::new(),
            live_keys: 0,
        }
    }

    /// Offers the byte strings a put may store instead of a copy of its value: slices of the Raft entry
    /// being applied, which the Raft log, the network's messages and every member already share. A put
    /// whose value equals one of them keeps that slice; an empty list ends the offer.
    pub fn offer_values(&mut self, values: Vec<Bytes>) {
        self.offered = values;
    }

    /// `value` as stored: an offered slice with the same bytes, or a copy.
    fn value_of(&self, value: &[u8]) -> Bytes {
        match self.offered.iter().find(|o| o.as_ref() == value) {
            Some(shared) => shared.clone(),
            None => Bytes::copy_from_slice(value),
        }
    }

    pub fn current_rev(&self) -> i64 {
        self.current_rev
    }

    /// The newest compacted revision, or -1 if never compacted.
    pub fn compact_rev(&self) -> i64 {
        self.compact_rev
    }

    /// Reads keys in `range` as of `rev` (0 = current). `limit` 0 means no limit.
    pub fn range(&self, range: &KeyRange, rev: i64, limit: usize) -> Result<RangeResult, MvccError> {
        self.range_at(range, self.current_rev, rev, limit)
    }

    fn range_at(&self, range: &KeyRange, cur: i64, rev: i64, limit: usize) -> Result<RangeResult, MvccError> {
        if rev > cur {
            return Err(MvccError::FutureRev);
        }
        let rev = if rev <= 0 { cur } else { rev };
        if rev < self.compact_rev {
            return Err(MvccError::Compacted);
        }
        if let KeyRange::Single(key) = range {
            // A point read is a map lookup, not a range walk (most reads and every put's are); a limit
            // cannot cut a single key.
            let kvs: Vec<KeyValue> = self.get_at(key, rev).map(Version::to_kv).into_iter().collect();
            return Ok(RangeResult { count: kvs.len() as i64, kvs, rev: cur });
        }
        let mut kvs = Vec::new();
        let mut count = 0;
        for (_, ki) in self.index.range(range.bounds()) {
            let Some(at) = ki.get(rev) else { continue };
            count += 1;
            if limit == 0 || kvs.len() < limit {
                kvs.push(self.versions.get(at.modified).expect("an indexed revision is stored").to_kv());
            }
        }
        Ok(RangeResult { kvs, count, rev: cur })
    }

    /// The version of `key` live at `rev`, if any.
    fn get_at(&self, key: &[u8], rev: i64) -> Option<&Version> {
        let at = self.index.get(key)?.get(rev)?;
        self.versions.get(at.modified)
    }

    /// The key index entries from `from` (inclusive) in key order, dead keys included: what the Keyspace
    /// view walks to list one folder a page at a time instead of reading the whole store.
    pub(super) fn index_from<'a>(&'a self, from: &'a [u8]) -> impl Iterator<Item = (&'a [u8], &'a KeyIndex)> + 'a {
        self.index.range((Bound::Included(from), Bound::Unbounded)).map(|(k, ki)| (&k[..], ki))
    }

    /// The revisions the store keeps of `key`, newest first: those a compaction under way is about to
    /// drop are left out.
    pub(super) fn kept_revisions(&self, key: &[u8]) -> Vec<Revision> {
        let Some(ki) = self.index.get(key) else { return Vec::new() };
        let revs = ki.generations.iter().rev().flat_map(|g| g.revs.iter().rev().copied());
        revs.filter(|r| !self.compacting.as_ref().is_some_and(|c| c.drops(*r, Some(ki)))).collect()
    }

    /// The version stored at exactly `rev` (a tombstone has version 0).
    pub(super) fn version_at(&self, rev: Revision) -> Option<&Version> {
        self.versions.get(rev)
    }

    /// Starts a write transaction; its changes share revision `current_rev + 1`.
    pub fn write(&mut self) -> WriteTxn<'_> {
        let begin_rev = self.current_rev;
        WriteTxn { store: self, begin_rev, changes: 0 }
    }

    /// Compacts history up to `rev`: older versions are dropped except the newest version of each key
    /// alive at `rev`. etcd refuses a revision already compacted or not yet written. Reads below `rev`
    /// fail from now on; a large history is compacted a step at a time (see [`Store::compact_step`]).
    pub fn compact(&mut self, rev: i64) -> Result<(), MvccError> {
        if rev <= self.compact_rev {
            return Err(MvccError::Compacted);
        }
        if rev > self.current_rev {
            return Err(MvccError::FutureRev);
        }
        self.finish_compaction();
        self.compact_rev = rev;
        self.compacting = Some(Compaction::new(rev, Vec::new()));
        self.compact_step();
        Ok(())
    }

    /// Whether a compaction is still deleting what it drops (see [`Store::compact_step`]).
    pub fn compaction_under_way(&self) -> bool {
        self.compacting.is_some()
    }

    /// Runs the rest of a compaction under way at once: before the next one starts, or for `--physical`.
    pub fn finish_compaction(&mut self) {
        while self.compact_step() {}
    }

    /// Does the next step of a compaction under way: compacts a batch of keys, or deletes a batch of
    /// dropped versions. A small history is compacted in its first step, within the request's apply.
    /// Returns whether there was anything to do.
    pub fn compact_step(&mut self) -> bool {
        let Some(c) = self.compacting.as_mut() else { return false };
        if !c.index_done() {
            c.walk_index(&mut self.index);
        }
        let (watched, unseen, bytes) = (self.watched_rev, &mut self.unseen_compacted, &mut self.bytes);
        if c.index_done() {
            self.versions.remove(c.next_batch(&self.versions), |v| {
                *bytes -= v.bytes();
                if watched > 0 && v.rev.main > watched {
                    unseen.push(v.clone());
                }
            });
        }
        if c.finished() {
            self.compacting = None;
        }
        true
    }

    /// Number of live keys at the current revision.
    pub fn key_count(&self) -> usize {
        debug_assert_eq!(
            self.live_keys,
            self.index.values().filter(|ki| ki.get(self.current_rev).is_some()).count(),
            "the live-key count follows puts and deletes"
        );
        self.live_keys
    }

    /// Number of stored key versions (including tombstones): what compaction shrinks.
    pub fn version_count(&self) -> usize {
        self.versions.len()
    }

    /// Every stored version in revision order: what a snapshot carries. The records are shared, not
    /// copied (a snapshot costs a list of chunks).
    pub fn versions(&self) -> Versions {
        self.versions.clone()
    }

    /// Rebuilds a store from a snapshot's versions, rebuilding the key index by replaying them in order.
    /// Refuses versions out of order or a tombstone for a key that is not live (a corrupt snapshot).
    /// The store shares the versions' chunks (with the snapshot state it was restored from).
    pub fn from_versions(versions: Versions, current_rev: i64, compact_rev: i64) -> Result<Store, String> {
        let mut store = Store { current_rev, compact_rev, ..Store::new() };
        let mut last = Revision::default();
        let mut orphans = Vec::new();
        for v in versions.iter() {
            let rev = v.rev;
            if rev <= last || rev.main > current_rev {
                return Err(format!("revision {}.{} out of order", rev.main, rev.sub));
            }
            last = rev;
            store.bytes += v.bytes();
            let live = |store: &Store| store.index.get(&v.key).is_some_and(|ki| ki.get(rev.main).is_some());
            if v.is_tombstone() && rev.main <= compact_rev && !live(&store) {
                // What a compaction under way when the snapshot was taken had not deleted yet: the key's
                // older revisions are gone, its tombstone not. The restored store finishes the job.
                orphans.push(rev);
                continue;
            }
            if !store.index.contains_key(&v.key) {
                store.index.insert(v.key.clone(), KeyIndex::default());
            }
            let ki = store.index.get_mut(&v.key).expect("indexed above");
            if v.is_tombstone() {
                if !ki.tombstone(rev) {
                    return Err(format!("tombstone at {}.{} for a key that is not live", rev.main, rev.sub));
                }
            } else {
                ki.put(rev);
                // The first version of a life that compaction cut short: its creation revision and version
                // come from the stored key-value, as etcd's restore does (`keyIndex.restore`).
                let g = ki.generations.last_mut().expect("a generation exists");
                if g.revs.len() == 1 && v.create_revision != rev.main {
                    g.created = Revision::new(v.create_revision, 0);
                    g.ver = v.version;
                }
            }
        }
        store.live_keys = store.index.values().filter(|ki| ki.get(current_rev).is_some()).count();
        // A snapshot taken while a compaction was under way still holds some of what it drops.
        if compact_rev > 0 {
            store.compacting = Some(Compaction::new(compact_rev, orphans));
            store.compact_step();
        }
        store.versions = versions;
        Ok(store)
    }

    /// Frees up to `leaves` leaves of the key index; true once it is empty. Only for a store nobody reads
    /// again (see [`Index::shed`]).
    pub fn shed(&mut self, leaves: usize) -> bool {
        self.index.shed(leaves)
    }

    /// The index's copy of `key`, indexing it first if it is new: every version of a key shares it.
    fn shared_key(&mut self, key: &[u8]) -> Arc<[u8]> {
        if let Some((k, _)) = self.index.get_key_value(key) {
            return k.clone();
        }
        let k: Arc<[u8]> = Arc::from(key);
        self.index.insert(k.clone(), KeyIndex::default());
        k
    }

    /// A CRC-32C over every stored version up to revision `rev` (etcd's `HashKV`): equal on every member
    /// that applied the same history, whatever order it arrived in, and however far its compaction got.
    pub fn hash_kv(&self, rev: i64) -> u32 {
        let mut crc = Crc32c::default();
        crc.update(b"key");
        let on_the_way_out =
            |v: &Version| self.compacting.as_ref().is_some_and(|c| c.drops(v.rev, self.index.get(&v.key)));
        for v in self.versions.range(Revision::default(), Revision::new(rev + 1, 0)) {
            if on_the_way_out(v) {
                continue;
            }
            crc.update(&v.rev.main.to_be_bytes());
            crc.update(&v.rev.sub.to_be_bytes());
            crc.update(&v.key);
            crc.update(&v.value);
            for n in [v.create_revision, v.rev.main, v.version, v.lease] {
                crc.update(&n.to_be_bytes());
            }
            crc.update(&[u8::from(v.is_tombstone())]);
        }
        crc.finish()
    }

    /// Bytes the stored versions take, roughly as bbolt lays them out (key, value and a fixed overhead
    /// per version): the basis of the db size a member reports.
    pub fn bytes_in_use(&self) -> u64 {
        self.bytes
    }

    fn insert(&mut self, v: Version) {
        self.bytes += v.bytes();
        self.versions.push(v);
    }

    /// Every change with main revision in `[from, to]` to a key in `range`, in revision order: what a
    /// watcher replays. A change is the key-value written, or a tombstone (`true`) for a delete.
    pub fn changes(&self, range: &KeyRange, from: i64, to: i64) -> Vec<(KeyValue, bool)> {
        if from > to {
            return Vec::new();
        }
        let (lo, hi) = (Revision::new(from, 0), Revision::new(to + 1, 0));
        let mut found: Vec<&Version> = self.versions.range(lo, hi).filter(|v| range.contains(&v.key)).collect();
        if from > self.watched_rev && !self.unseen_compacted.is_empty() {
            let unseen = self.unseen_compacted.iter().filter(|v| lo <= v.rev && v.rev < hi && range.contains(&v.key));
            found.extend(unseen);
            found.sort_by_key(|v| v.rev);
        }
        found.into_iter().map(|v| (v.to_kv(), v.is_tombstone())).collect()
    }

    /// Every watcher has now looked at this store: what they saw is the new baseline, and versions a
    /// compaction removed before then need not be kept for them.
    pub fn mark_watched(&mut self) {
        self.watched_rev = self.current_rev;
        self.unseen_compacted.clear();
    }

    /// Whether a watcher that next wants `next_rev` was synced when watchers last looked, so it is owed
    /// every change since, compacted or not (etcd sends them to synced watchers as they commit).
    pub fn watcher_was_synced(&self, next_rev: i64) -> bool {
        self.watched_rev > 0 && next_rev > self.watched_rev
    }
}

/// The CRC-32 (Castagnoli) of `data`, as etcd's `Hash` takes of its whole backend file.
pub fn crc32c(data: &[u8]) -> u32 {
    let mut c = Crc32c::default();
    c.update(data);
    c.finish()
}

/// CRC-32 with the Castagnoli polynomial, bit by bit (hashing is rare; no table needed).
#[derive(Default)]
struct Crc32c {
    state: u32,
}

impl Crc32c {
    fn update(&mut self, bytes: &[u8]) {
        let mut crc = !self.state;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0x82f6_3b78 } else { crc >> 1 };
            }
        }
        self.state = !crc;
    }

    fn finish(&self) -> u32 {
        self.state
    }
}

/// A write transaction: every change gets main revision `begin_rev + 1` and an increasing sub revision.
/// The store revision advances at [`WriteTxn::end`] only if something changed.
pub struct WriteTxn<'a> {
    store: &'a mut Store,
    begin_rev: i64,
    changes: i64,
}

impl WriteTxn<'_> {
    fn rev(&self) -> i64 {
        self.begin_rev + 1
    }

    /// Reads inside the transaction see its own earlier writes.
    pub fn range(&self, range: &KeyRange, limit: usize) -> RangeResult {
        let cur = if self.changes > 0 { self.rev() } else { self.begin_rev };
        let mut r = self.store.range_at(range, cur, 0, limit).expect("reading the current revision cannot fail");
        r.rev = self.begin_rev;
        r
    }

    /// The live version of `key` as this transaction sees it (its own earlier writes included).
    pub fn get(&self, key: &[u8]) -> Option<&Version> {
        let cur = if self.changes > 0 { self.rev() } else { self.begin_rev };
        self.store.get_at(key, cur)
    }

    /// Puts `key`; keeps the key's create revision and bumps its version if it is live. Returns the
    /// version it replaced, if the key was live (as this transaction saw it).
    pub fn put(&mut self, key: &[u8], value: &[u8], lease: i64) -> Option<&Version> {
        let rev = Revision::new(self.rev(), self.changes);
        // Records the put in a key's index; returns the live revision before it, and the new version's
        // create revision and version.
        let record = |ki: &mut KeyIndex| {
            let live = ki.get(rev.main);
            ki.put(rev);
            (live.map(|at| at.modified), live.map_or((rev.main, 1), |at| (at.created.main, at.version + 1)))
        };
        // One walk down the index for a known key; its shared key comes from its newest version, which
        // compaction always keeps while the key is indexed.
        let (key, (replaced, (create_revision, version))) = match self.store.index.get_mut(key) {
            Some(ki) => {
                let newest = self.store.versions.get(ki.modified).expect("a key's newest version is stored");
                (newest.key.clone(), record(ki))
            }
            None => {
                let mut ki = KeyIndex::default();
                let at = record(&mut ki);
                let k: Arc<[u8]> = Arc::from(key);
                self.store.index.insert(k.clone(), ki);
                (k, at)
            }
        };
        if replaced.is_none() {
            self.store.live_keys += 1;
        }
        let value = self.store.value_of(value);
        self.store.insert(Version::put(rev, key, value, create_revision, version, lease));
        self.changes += 1;
        replaced.and_then(|r| self.store.versions.get(r))
    }

    /// Deletes every live key in `range`; returns the deleted key-values (as they were).
    pub fn delete_range(&mut self, range: &KeyRange) -> Vec<KeyValue> {
        let deleted = self.range(range, 0).kvs;
        for kv in &deleted {
            let rev = Revision::new(self.rev(), self.changes);
            let key = self.store.shared_key(&kv.key);
            let ki = self.store.index.get_mut(&key).expect("a ranged key is indexed");
            assert!(ki.tombstone(rev), "ranged key must be live");
            self.store.live_keys -= 1;
            self.store.insert(Version::tombstone(rev, key));
            self.changes += 1;
        }
        deleted
    }

    /// Ends the transaction; returns the store revision after it.
    pub fn end(self) -> i64 {
        if self.changes > 0 {
            self.store.current_rev = self.rev();
        }
        self.store.current_rev
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(s: &mut Store, k: &str, v: &str) -> i64 {
        let mut tx = s.write();
        tx.put(k.as_bytes(), v.as_bytes(), 0);
        tx.end()
    }

    fn get(s: &Store, k: &str, rev: i64) -> Option<KeyValue> {
        s.range(&KeyRange::Single(k.into()), rev, 0).unwrap().kvs.pop()
    }

    #[test]
    fn revisions_versions_as_etcd() {
        let mut s = Store::new();
        assert_eq!(s.current_rev(), 1, "fresh cluster at revision 1");
        assert_eq!(put(&mut s, "foo", "bar"), 2, "first put makes revision 2");
        assert_eq!(put(&mut s, "foo", "baz"), 3);
        let kv = get(&s, "foo", 0).unwrap();
        assert_eq!((kv.create_revision, kv.mod_revision, kv.version), (2, 3, 2));
        assert_eq!(get(&s, "foo", 2).unwrap().value, b"bar");
        let mut tx = s.write();
        assert_eq!(tx.delete_range(&KeyRange::Single(b"foo".to_vec())).len(), 1);
        assert_eq!(tx.end(), 4);
        assert!(get(&s, "foo", 0).is_none());
        put(&mut s, "foo", "again");
        let kv = get(&s, "foo", 0).unwrap();
        assert_eq!((kv.create_revision, kv.mod_revision, kv.version), (5, 5, 1));
    }

    #[test]
    fn versions_share_the_key_and_an_offered_value() {
        let entry = Bytes::from_static(b"<entry>hello</entry>");
        let mut s = Store::new();
        s.offer_values(vec![entry.slice(7..12)]);
        put(&mut s, "k", "hello");
        put(&mut s, "k", "other");
        s.offer_values(Vec::new());
        put(&mut s, "k", "hello");
        let at = |main| s.version_at(Revision::new(main, 0)).expect("stored");
        assert_eq!(at(2).value.as_ptr(), entry[7..].as_ptr(), "the offered slice, not a copy");
        assert_eq!(at(3).value, &b"other"[..], "a value nobody offered is copied");
        assert_ne!(at(4).value.as_ptr(), entry[7..].as_ptr(), "the offer ended");
        assert!(Arc::ptr_eq(&at(2).key, &at(4).key), "one key for every version");
        assert_eq!(get(&s, "k", 2).map(|kv| kv.value), Some(b"hello".to_vec()));
    }

    #[test]
    fn a_put_returns_the_version_it_replaced() {
        let mut s = Store::new();
        let mut tx = s.write();
        assert!(tx.put(b"k", b"1", 0).is_none(), "a new key");
        assert_eq!(
            tx.put(b"k", b"2", 5).map(|v| (v.rev, v.value.to_vec())),
            Some((Revision::new(2, 0), b"1".to_vec()))
        );
        tx.end();
        let mut tx = s.write();
        tx.delete_range(&KeyRange::Single(b"k".to_vec()));
        assert!(tx.put(b"k", b"3", 0).is_none(), "deleted earlier in the same transaction");
        tx.end();
        let mut tx = s.write();
        assert_eq!(tx.put(b"k", b"4", 0).map(|v| (v.version, v.create_revision)), Some((1, 3)));
    }

    #[test]
    fn crc32c_matches_the_standard_check_value() {
        let mut c = Crc32c::default();
        c.update(b"123456789");
        assert_eq!(c.finish(), 0xe306_9283);
    }

    #[test]
    fn hash_depends_on_history_up_to_the_revision() {
        let mut a = Store::new();
        let mut b = Store::new();
        put(&mut a, "k", "1");
        put(&mut b, "k", "1");
        assert_eq!(a.hash_kv(2), b.hash_kv(2));
        put(&mut b, "k", "2");
        assert_eq!(a.hash_kv(2), b.hash_kv(2), "later revisions do not count");
        assert_ne!(a.hash_kv(3), b.hash_kv(3));
    }

    #[test]
    fn empty_txn_keeps_revision() {
        let mut s = Store::new();
        let mut tx = s.write();
        assert!(tx.delete_range(&KeyRange::Single(b"nope".to_vec())).is_empty());
        assert_eq!(tx.end(), 1);
    }

    #[test]
    fn one_revision_per_txn() {
        let mut s = Store::new();
        let mut tx = s.write();
        tx.put(b"a", b"1", 0);
        tx.put(b"a", b"2", 0);
        tx.put(b"b", b"3", 0);
        assert_eq!(tx.range(&KeyRange::Single(b"a".to_vec()), 0).kvs[0].version, 2);
        assert_eq!(tx.end(), 2);
        let a = get(&s, "a", 0).unwrap();
        assert_eq!((a.value.as_slice(), a.mod_revision, a.version), (&b"2"[..], 2, 2));
    }

    #[test]
    fn ranges_limits_and_errors() {
        let mut s = Store::new();
        for k in ["a", "b", "c", "foo", "foo/bar", "zoo"] {
            put(&mut s, k, "v");
        }
        let all = s.range(&KeyRange::From(vec![0]), 0, 2).unwrap();
        assert_eq!((all.kvs.len(), all.count), (2, 6));
        let span = s.range(&KeyRange::Span(b"a".to_vec(), b"c".to_vec()), 0, 0).unwrap();
        assert_eq!(span.count, 2);
        let inverted = s.range(&KeyRange::Span(b"c".to_vec(), b"a".to_vec()), 0, 0).unwrap();
        assert_eq!(inverted.count, 0);
        assert_eq!(s.range(&KeyRange::From(vec![]), 100, 0), Err(MvccError::FutureRev));
        s.compact(4).unwrap();
        assert_eq!(s.range(&KeyRange::From(vec![]), 3, 0), Err(MvccError::Compacted));
        assert_eq!(s.compact(4), Err(MvccError::Compacted));
        assert_eq!(s.compact(100), Err(MvccError::FutureRev));
        assert_eq!(s.range(&KeyRange::From(vec![]), 4, 0).unwrap().count, 3);
    }

    #[test]
    fn compaction_drops_old_versions() {
        let mut s = Store::new();
        for v in ["1", "2", "3"] {
            put(&mut s, "k", v);
        }
        let mut tx = s.write();
        tx.delete_range(&KeyRange::Single(b"gone".to_vec()));
        tx.end();
        put(&mut s, "gone", "x");
        let mut tx = s.write();
        tx.delete_range(&KeyRange::Single(b"gone".to_vec()));
        tx.end();
        assert_eq!(s.version_count(), 5);
        s.compact(s.current_rev()).unwrap();
        assert_eq!(s.version_count(), 1, "only k's newest version survives");
        assert_eq!(get(&s, "k", 0).unwrap().version, 3);
    }
}
