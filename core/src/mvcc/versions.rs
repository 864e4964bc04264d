//! The revision-ordered history: one [`Version`] per key revision, what etcd keeps in its backend's `key`
//! bucket (revision -> KeyValue).
//!
//! Writes only ever append (every write transaction takes the next main revision), so the history is a
//! sorted log rather than a tree: fixed-size chunks of records, filled densely, found by binary search.
//! A `BTreeMap` filled in ascending order leaves its nodes about half full; chunks stay full, except
//! where compaction packed survivors before a chunk it left untouched.
//!
//! ```text
//! chunks: [ 2.0 3.0 3.1 4.0 ... (CHUNK) ] [ ... ] [ 900.0 901.0 <- appends ]
//! ```
//!
//! A record shares its key with the key index (one allocation per key, not per revision) and its value
//! with whatever it came from: the Raft entry that carried the put (see [`super::Store::offer_values`]),
//! so every member's store, its snapshot state and the Raft log hold one buffer. Chunks are shared too: a
//! snapshot of the store clones the chunk list, not the records, and the store copies a chunk only when it
//! appends to one a snapshot still holds (the last) or compaction drops records from it.

use super::kv::KeyValue;
use super::revision::Revision;
use bytes::Bytes;
use serde::de::{self, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, SerializeTuple};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::sync::Arc;

/// Records per chunk: large enough that the chunk list stays short (1M revisions: 1,000 chunks), small
/// enough that the last, partly filled chunk wastes little.
const CHUNK: usize = 1024;

/// A version of a key as stored at one revision. Its mod revision is the revision's main part; a
/// tombstone (a delete) has version 0, as etcd's tombstone KeyValue does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    pub rev: Revision,
    pub key: Arc<[u8]>,
    pub value: Bytes,
    pub create_revision: i64,
    pub version: i64,
    pub lease: i64,
}

impl Version {
    /// A put of `value` at `rev`.
    pub fn put(rev: Revision, key: Arc<[u8]>, value: Bytes, create_revision: i64, version: i64, lease: i64) -> Version {
        assert!(version > 0, "a put's version starts at 1");
        Version { rev, key, value, create_revision, version, lease }
    }

    /// A delete of `key` at `rev`.
    pub fn tombstone(rev: Revision, key: Arc<[u8]>) -> Version {
        Version { rev, key, value: Bytes::new(), create_revision: 0, version: 0, lease: 0 }
    }

    pub fn is_tombstone(&self) -> bool {
        self.version == 0
    }

    /// The key-value as etcd serves it (copied out: reads materialise, as etcd marshals on read).
    pub fn to_kv(&self) -> KeyValue {
        KeyValue {
            key: self.key.to_vec(),
            create_revision: self.create_revision,
            mod_revision: self.rev.main,
            version: self.version,
            value: self.value.to_vec(),
            lease: self.lease,
        }
    }

    /// Bytes a version takes, roughly as bbolt lays it out: key, value and a fixed overhead.
    pub fn bytes(&self) -> u64 {
        (self.key.len() + self.value.len() + 64) as u64
    }

    /// From a snapshot's (revision, key-value, tombstone) triple; refuses one that cannot have been
    /// stored (a tombstone with a version, a put without one, a mod revision not its own).
    fn from_stored(rev: Revision, kv: KeyValue, tombstone: bool) -> Result<Version, String> {
        let at = format!("{}.{}", rev.main, rev.sub);
        if kv.mod_revision != rev.main {
            return Err(format!("version at {at} has mod revision {}", kv.mod_revision));
        }
        match (tombstone, kv.version) {
            (true, 0) => Ok(Version::tombstone(rev, kv.key.into())),
            (false, v) if v > 0 => {
                Ok(Version::put(rev, kv.key.into(), Bytes::from(kv.value), kv.create_revision, v, kv.lease))
            }
            (true, v) | (false, v) => Err(format!("version at {at} has version {v} (tombstone {tombstone})")),
        }
    }
}

/// A byte string serialized as bytes: in postcard the same encoding as a `Vec<u8>` (a length, then the
/// bytes), written in one piece instead of byte by byte.
struct AsBytes<'a>(&'a [u8]);

impl Serialize for AsBytes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

/// A snapshot carries a version as `(Revision, KeyValue, bool)`, the format it always had.
impl Serialize for Version {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Kv<'a> {
            key: AsBytes<'a>,
            create_revision: i64,
            mod_revision: i64,
            version: i64,
            value: AsBytes<'a>,
            lease: i64,
        }
        let kv = Kv {
            key: AsBytes(&self.key),
            create_revision: self.create_revision,
            mod_revision: self.rev.main,
            version: self.version,
            value: AsBytes(&self.value),
            lease: self.lease,
        };
        let mut t = s.serialize_tuple(3)?;
        t.serialize_element(&self.rev)?;
        t.serialize_element(&kv)?;
        t.serialize_element(&self.is_tombstone())?;
        t.end()
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Version, D::Error> {
        let (rev, kv, tombstone) = <(Revision, KeyValue, bool)>::deserialize(d)?;
        Version::from_stored(rev, kv, tombstone).map_err(de::Error::custom)
    }
}

/// Deserializes a byte string from either encoding of it (bytes, or a sequence of numbers), so that a
/// field written as bytes reads back in any serde format.
pub(crate) struct ByteVecVisitor;

impl<'de> Visitor<'de> for ByteVecVisitor {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a byte string")
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
        Ok(v.to_vec())
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
        Ok(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
        Ok(v.as_bytes().to_vec())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
        while let Some(b) = seq.next_element::<u8>()? {
            out.push(b);
        }
        Ok(out)
    }
}

/// `#[serde(with = "byte_string")]` for `Vec<u8>` fields: written as bytes (one copy, not a loop over
/// elements; postcard's format does not change), read from bytes or a sequence.
pub mod byte_string {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        d.deserialize_bytes(super::ByteVecVisitor)
    }
}

/// Every stored version in revision order, in chunks of [`CHUNK`] records shared with snapshots.
#[derive(Clone, Debug, Default)]
pub struct Versions {
    chunks: Vec<Arc<Vec<Version>>>,
    len: usize,
}

impl PartialEq for Versions {
    fn eq(&self, other: &Versions) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl Eq for Versions {}

/// Encoded as a sequence of versions (what `Vec<Version>` was).
impl Serialize for Versions {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.len))?;
        for v in self.iter() {
            seq.serialize_element(v)?;
        }
        seq.end()
    }
}

/// Decoded in the order given; [`super::Store::from_versions`] refuses versions out of order.
impl<'de> Deserialize<'de> for Versions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Versions, D::Error> {
        let all = Vec::<Version>::deserialize(d)?;
        let len = all.len();
        let mut chunks = Vec::with_capacity(len.div_ceil(CHUNK));
        let mut rest = all.into_iter();
        while rest.len() > 0 {
            let mut chunk = Vec::with_capacity(CHUNK.min(rest.len()));
            chunk.extend(rest.by_ref().take(CHUNK));
            chunks.push(Arc::new(chunk));
        }
        Ok(Versions { chunks, len })
    }
}

impl Versions {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The newest version's revision, if any.
    pub fn last_rev(&self) -> Option<Revision> {
        self.chunks.last().and_then(|c| c.last()).map(|v| v.rev)
    }

    /// Appends a version newer than every stored one.
    pub fn push(&mut self, v: Version) {
        if let Some(last) = self.last_rev() {
            assert!(v.rev > last, "version {:?} appended after {last:?}", v.rev);
        }
        match self.chunks.last_mut() {
            Some(c) if c.len() < CHUNK => {
                if Arc::get_mut(c).is_none() {
                    // A snapshot holds this chunk: append to a copy (with room for a whole chunk).
                    let mut copy = Vec::with_capacity(CHUNK);
                    copy.extend(c.iter().cloned());
                    *c = Arc::new(copy);
                }
                Arc::get_mut(c).expect("the chunk is not shared").push(v);
            }
            _ => {
                let mut c = Vec::with_capacity(CHUNK);
                c.push(v);
                self.chunks.push(Arc::new(c));
            }
        }
        self.len += 1;
    }

    /// Where the first version at or after `rev` is: (chunk, offset), or past the end.
    fn seek(&self, rev: Revision) -> (usize, usize) {
        let chunk = self.chunks.partition_point(|c| c.last().is_some_and(|v| v.rev < rev));
        let offset = self.chunks.get(chunk).map_or(0, |c| c.partition_point(|v| v.rev < rev));
        (chunk, offset)
    }

    /// The version stored at exactly `rev`.
    pub fn get(&self, rev: Revision) -> Option<&Version> {
        let (chunk, offset) = self.seek(rev);
        self.chunks.get(chunk)?.get(offset).filter(|v| v.rev == rev)
    }

    /// The newest revision in the `n` chunks starting with the one that holds `rev`: how far a batch of
    /// deletions that rewrites at most `n` chunks may reach.
    pub fn chunk_bound(&self, rev: Revision, n: usize) -> Revision {
        let (first, _) = self.seek(rev);
        let last = (first + n.max(1) - 1).min(self.chunks.len().saturating_sub(1));
        self.chunks.get(last).and_then(|c| c.last()).map_or(rev, |v| v.rev)
    }

    /// Drops the newest `n` chunks, freeing what no snapshot or store still shares, so that a large history
    /// can be freed a piece at a time. Returns whether nothing is left.
    pub fn drop_chunks(&mut self, n: usize) -> bool {
        for _ in 0..n {
            let Some(chunk) = self.chunks.pop() else { break };
            self.len -= chunk.len();
        }
        self.chunks.is_empty()
    }

    /// Versions from `from` (inclusive) on, in revision order.
    pub fn from(&self, from: Revision) -> impl Iterator<Item = &Version> + '_ {
        let (chunk, offset) = self.seek(from);
        let first = self.chunks.get(chunk).map_or(&[][..], |c| &c[offset..]);
        first.iter().chain(self.chunks.iter().skip(chunk + 1).flat_map(|c| c.iter()))
    }

    /// Versions in `[lo, hi)`, in revision order.
    pub fn range(&self, lo: Revision, hi: Revision) -> impl Iterator<Item = &Version> + '_ {
        self.from(lo).take_while(move |v| v.rev < hi)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Version> + '_ {
        self.chunks.iter().flat_map(|c| c.iter())
    }

    /// Removes the versions at `revs` (sorted and stored), showing each to `gone` first. A chunk that
    /// loses nothing is kept as it is (still shared with a snapshot that holds it), without reading its
    /// records; the survivors of the others are packed into full chunks again (copied out of a chunk a
    /// snapshot holds). Compaction so touches only the records it drops and their neighbours; where a
    /// kept chunk follows packed survivors, the chunk before it stays part full, trimmed to its length.
    pub fn remove(&mut self, mut revs: &[Revision], mut gone: impl FnMut(&Version)) {
        if revs.is_empty() {
            return;
        }
        let old = std::mem::take(&mut self.chunks);
        self.len = 0;
        for chunk in old {
            let last = chunk.last().map_or(Revision::default(), |v| v.rev);
            let (mine, rest) = revs.split_at(revs.partition_point(|r| *r <= last));
            revs = rest;
            if mine.is_empty() {
                if let Some(prev) = self.chunks.last_mut().and_then(Arc::get_mut) {
                    prev.shrink_to_fit();
                }
                self.len += chunk.len();
                self.chunks.push(chunk);
                continue;
            }
            let mut mine = mine.iter().peekable();
            let mut kept = |v: &Version| {
                if mine.next_if_eq(&&v.rev).is_some() {
                    gone(v);
                    return false;
                }
                true
            };
            match Arc::try_unwrap(chunk) {
                Ok(records) => records.into_iter().filter(|v| kept(v)).for_each(|v| self.push(v)),
                Err(shared) => shared.iter().filter(|v| kept(v)).for_each(|v| self.push(v.clone())),
            }
        }
        debug_assert!(revs.is_empty(), "every revision removed was stored");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(main: i64, sub: i64) -> Version {
        Version::put(Revision::new(main, sub), Arc::from(&b"k"[..]), Bytes::from_static(b"v"), main, 1, 0)
    }

    #[test]
    fn finds_versions_across_chunks() {
        let mut vs = Versions::default();
        for main in 2..(2 + 3 * CHUNK as i64) {
            vs.push(v(main, 0));
            vs.push(v(main, 1));
        }
        assert_eq!(vs.len(), 6 * CHUNK);
        assert_eq!(vs.chunks.len(), 6, "chunks are filled before a new one starts");
        for main in [2, 500, 1024, 1025, 3000, 1 + 3 * CHUNK as i64] {
            assert_eq!(vs.get(Revision::new(main, 1)).map(|x| x.rev), Some(Revision::new(main, 1)));
        }
        assert!(vs.get(Revision::new(1, 0)).is_none());
        assert!(vs.get(Revision::new(5, 2)).is_none());
        assert!(vs.get(Revision::new(2 + 3 * CHUNK as i64, 0)).is_none());
        let span: Vec<Revision> = vs.range(Revision::new(1025, 1), Revision::new(1027, 0)).map(|x| x.rev).collect();
        assert_eq!(span, [Revision::new(1025, 1), Revision::new(1026, 0), Revision::new(1026, 1)]);
        assert_eq!(vs.from(Revision::new(0, 0)).count(), vs.len());
        assert_eq!(vs.from(Revision::new(1 << 40, 0)).count(), 0);
    }

    #[test]
    fn retain_packs_the_survivors() {
        let mut vs = Versions::default();
        for main in 2..(2 + 4 * CHUNK as i64) {
            vs.push(v(main, 0));
        }
        let mut dropped = 0;
        vs.remove(&revs_where(&vs, |main| main % 4 != 0), |_| dropped += 1);
        assert_eq!((vs.len(), dropped), (CHUNK, 3 * CHUNK));
        assert_eq!(vs.chunks.len(), 1);
        assert!(vs.iter().all(|x| x.rev.main % 4 == 0));
        assert_eq!(vs.last_rev(), Some(Revision::new(4 * CHUNK as i64, 0)));
    }

    /// The revisions in `vs` whose main revision `pick` chooses, in order: what a compaction drops.
    fn revs_where(vs: &Versions, pick: impl Fn(i64) -> bool) -> Vec<Revision> {
        vs.iter().map(|x| x.rev).filter(|r| pick(r.main)).collect()
    }

    /// Three full chunks of versions at revisions 2.., and a snapshot that shares them.
    fn three_chunks_and_a_snapshot() -> (Versions, Versions) {
        let mut vs = Versions::default();
        for main in 2..(2 + 3 * CHUNK as i64) {
            vs.push(v(main, 0));
        }
        let snap = vs.clone();
        (vs, snap)
    }

    #[test]
    fn history_after_the_drops_is_kept_as_it_is() {
        let (mut vs, snap) = three_chunks_and_a_snapshot();
        let end = Revision::new(2 + CHUNK as i64 + 10, 0);
        let mut gone = 0;
        vs.remove(&revs_where(&vs, |main| main < end.main && main % 2 == 1), |x| {
            assert!(x.rev < end && x.rev.main % 2 == 1, "{:?} was not asked for", x.rev);
            gone += 1;
        });
        assert_eq!(gone, CHUNK / 2 + 5);
        assert_eq!(vs.len(), CHUNK / 2 + 5 + 2 * CHUNK - 10);
        assert!(Arc::ptr_eq(vs.chunks.last().unwrap(), snap.chunks.last().unwrap()), "the last chunk moved");
        assert_eq!(vs.iter().count(), vs.len());
        for main in [2, 3, CHUNK as i64 + 11, CHUNK as i64 + 12, CHUNK as i64 + 13, 3 * CHUNK as i64 + 1] {
            let kept = main >= end.main || main % 2 == 0;
            assert_eq!(vs.get(Revision::new(main, 0)).is_some(), kept, "revision {main}");
        }
        vs.push(v(5 * CHUNK as i64, 0));
        assert_eq!(vs.last_rev(), Some(Revision::new(5 * CHUNK as i64, 0)));
        assert_eq!(snap.len(), 3 * CHUNK, "the snapshot is whole");
    }

    #[test]
    fn a_chunk_that_loses_nothing_stays_shared() {
        let (mut vs, snap) = three_chunks_and_a_snapshot();
        // Drop every other version of the first chunk only.
        let second = Revision::new(2 + CHUNK as i64, 0);
        vs.remove(&revs_where(&vs, |main| main < second.main && main % 2 == 1), |_| {});
        assert_eq!(vs.len(), CHUNK / 2 + 2 * CHUNK);
        assert_eq!(vs.chunks.len(), 3);
        assert_eq!((vs.chunks[0].len(), vs.chunks[0].capacity()), (CHUNK / 2, CHUNK / 2), "packed and trimmed");
        assert!(Arc::ptr_eq(&vs.chunks[1], &snap.chunks[1]) && Arc::ptr_eq(&vs.chunks[2], &snap.chunks[2]));
        assert_eq!(vs.get(Revision::new(3, 0)), None);
        assert_eq!(vs.get(Revision::new(4, 0)).map(|x| x.rev.main), Some(4));
        assert_eq!(vs.get(second).map(|x| x.rev), Some(second));
        vs.push(v(10 * CHUNK as i64, 0));
        assert_eq!((vs.len(), vs.iter().count()), (CHUNK / 2 + 2 * CHUNK + 1, CHUNK / 2 + 2 * CHUNK + 1));
        assert!(vs.iter().zip(vs.iter().skip(1)).all(|(a, b)| a.rev < b.rev), "still in revision order");
    }

    #[test]
    fn a_snapshot_shares_chunks_and_keeps_its_view() {
        let mut vs = Versions::default();
        for main in 2..(2 + CHUNK as i64 + 10) {
            vs.push(v(main, 0));
        }
        let snap = vs.clone();
        vs.push(v(5_000, 0));
        assert!(Arc::ptr_eq(&vs.chunks[0], &snap.chunks[0]), "a full chunk stays shared");
        assert!(!Arc::ptr_eq(&vs.chunks[1], &snap.chunks[1]), "the chunk appended to was copied");
        assert_eq!((snap.len(), snap.iter().count()), (CHUNK + 10, CHUNK + 10));
        vs.remove(&revs_where(&vs, |main| main % 2 == 1), |_| {});
        assert_eq!(snap.iter().count(), CHUNK + 10, "compaction leaves the snapshot whole");
        assert!(snap.iter().zip(2..).all(|(x, main)| x.rev.main == main));
        let bytes = postcard::to_allocvec(&snap).unwrap();
        assert_eq!(bytes, postcard::to_allocvec(&snap.iter().cloned().collect::<Vec<_>>()).unwrap());
        let back: Versions = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, snap);
        assert_eq!(back.get(Revision::new(CHUNK as i64 + 5, 0)).map(|x| x.rev.main), Some(CHUNK as i64 + 5));
    }

    #[test]
    #[should_panic(expected = "appended after")]
    fn appends_must_be_newer() {
        let mut vs = Versions::default();
        vs.push(v(3, 0));
        vs.push(v(3, 0));
    }

    #[test]
    fn a_snapshot_triple_round_trips_and_nonsense_is_refused() {
        let put = v(7, 2);
        let bytes = postcard::to_allocvec(&put).unwrap();
        let as_tuple = postcard::to_allocvec(&(put.rev, put.to_kv(), false)).unwrap();
        assert_eq!(bytes, as_tuple, "the encoding a snapshot always had");
        assert_eq!(postcard::from_bytes::<Version>(&bytes).unwrap(), put);
        let tomb = Version::tombstone(Revision::new(8, 0), Arc::from(&b"k"[..]));
        let bytes = postcard::to_allocvec(&tomb).unwrap();
        assert_eq!(bytes, postcard::to_allocvec(&(tomb.rev, tomb.to_kv(), true)).unwrap());
        assert_eq!(postcard::from_bytes::<Version>(&bytes).unwrap(), tomb);
        let lying = postcard::to_allocvec(&(put.rev, put.to_kv(), true)).unwrap();
        assert!(postcard::from_bytes::<Version>(&lying).is_err(), "a tombstone with a version");
        let moved = KeyValue { mod_revision: 9, ..put.to_kv() };
        assert!(postcard::from_bytes::<Version>(&postcard::to_allocvec(&(put.rev, moved, false)).unwrap()).is_err());
    }

    #[test]
    fn byte_strings_keep_postcards_format_and_read_json_arrays() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Fast {
            #[serde(with = "byte_string")]
            b: Vec<u8>,
        }
        #[derive(Serialize)]
        struct Plain {
            b: Vec<u8>,
        }
        let b = b"any \x00\xff bytes".to_vec();
        let fast = postcard::to_allocvec(&Fast { b: b.clone() }).unwrap();
        assert_eq!(fast, postcard::to_allocvec(&Plain { b: b.clone() }).unwrap());
        assert_eq!(postcard::from_bytes::<Fast>(&fast).unwrap(), Fast { b: b.clone() });
        let json = serde_json::to_string(&Plain { b: b.clone() }).unwrap();
        assert_eq!(serde_json::from_str::<Fast>(&json).unwrap(), Fast { b });
    }
}
