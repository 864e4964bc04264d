//! Snapshot files: what `etcdctl snapshot save` writes and `snapshot status|restore` read. A file is a
//! magic line, a format version, the length of the payload, the payload (the member's MVCC versions and
//! leases, postcard-encoded), and a SHA-1 of everything before it, so a truncated, corrupted or foreign
//! file is refused with a clear message before anything is restored.

use crate::lease::Lessor;
use crate::mvcc::versions::Versions;
use crate::mvcc::Store;
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

const MAGIC: &[u8] = b"ETCDPLAY SNAPSHOT\n";
const FORMAT_VERSION: u32 = 1;
const HASH_LEN: usize = 20;
/// A snapshot larger than this is refused rather than decoded (a guard against absurd lengths).
const MAX_PAYLOAD_BYTES: u64 = 1 << 30;

/// What a snapshot holds of a member's backend.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotData {
    pub current_rev: i64,
    pub compact_rev: i64,
    /// Every kept version in revision order, sharing keys and values with the store it was taken from;
    /// encoded as `(Revision, KeyValue, tombstone)` triples.
    pub versions: Versions,
    /// Leases (ID, TTL in seconds); attached keys follow from the key-values' lease field.
    pub leases: Vec<(i64, i64)>,
    /// The backend size the member reported when the snapshot was taken.
    pub db_size: u64,
    /// The cluster's members as the saving member knew them (etcd's `members` bucket).
    pub members: Vec<crate::cluster::Member>,
}

/// Keys etcd's backend holds besides key-values, leases and members: the consistent index, the
/// scheduled and finished compaction revisions, the cluster version and the auth revision.
const OTHER_BACKEND_KEYS: usize = 5;

/// Why a file is not a usable snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SnapshotError {
    NotASnapshot,
    UnsupportedVersion(u32),
    Truncated,
    HashMismatch,
    Corrupt(String),
}

impl std::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SnapshotError::NotASnapshot => f.write_str("not an etcdplay snapshot file (bad magic)"),
            SnapshotError::UnsupportedVersion(v) => write!(f, "unsupported snapshot format version {v}"),
            SnapshotError::Truncated => f.write_str("snapshot file is truncated"),
            SnapshotError::HashMismatch => f.write_str("snapshot file is corrupted: integrity hash mismatch"),
            SnapshotError::Corrupt(why) => write!(f, "snapshot file is corrupted: {why}"),
        }
    }
}

impl SnapshotData {
    /// Captures a member's store and leases.
    pub fn capture(store: &Store, lessor: &Lessor, members: Vec<crate::cluster::Member>, db_size: u64) -> SnapshotData {
        SnapshotData {
            members,
            current_rev: store.current_rev(),
            compact_rev: store.compact_rev(),
            versions: store.versions(),
            leases: lessor.leases().map(|l| (l.id, l.ttl_s)).collect(),
            db_size,
        }
    }

    /// Keys in the backend, as `snapshot status` counts them: every key revision, lease and member, and
    /// etcd's bookkeeping keys.
    pub fn total_keys(&self) -> usize {
        self.versions.len() + self.leases.len() + self.members.len() + OTHER_BACKEND_KEYS
    }

    /// The hash `snapshot status` reports: a CRC-32C of the store's history.
    pub fn hash(&self) -> Result<u32, SnapshotError> {
        Ok(self.store()?.hash_kv(self.current_rev))
    }

    /// Rebuilds the store.
    pub fn store(&self) -> Result<Store, SnapshotError> {
        Store::from_versions(self.versions.clone(), self.current_rev, self.compact_rev).map_err(SnapshotError::Corrupt)
    }

    /// Rebuilds the lessor, with each lease's keys attached.
    pub fn lessor(&self, now_ms: u64) -> Lessor {
        let mut lessor = Lessor::default();
        for &(id, ttl) in &self.leases {
            lessor.grant(id, ttl, now_ms);
        }
        if let Ok(store) = self.store() {
            let all = crate::mvcc::KeyRange::From(vec![0]);
            for kv in store.range(&all, 0, 0).map(|r| r.kvs).unwrap_or_default() {
                if kv.lease != 0 {
                    lessor.attach(kv.lease, &kv.key);
                }
            }
        }
        lessor
    }

    /// The file bytes.
    pub fn encode(&self) -> Vec<u8> {
        let payload = postcard::to_allocvec(self).expect("snapshots serialize");
        let mut out = Vec::with_capacity(MAGIC.len() + 12 + payload.len() + HASH_LEN);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_be_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_be_bytes());
        out.extend_from_slice(&payload);
        let hash = Sha1::digest(&out);
        out.extend_from_slice(&hash);
        out
    }

    /// Parses and verifies file bytes.
    pub fn decode(bytes: &[u8]) -> Result<SnapshotData, SnapshotError> {
        let rest = bytes.strip_prefix(MAGIC).ok_or(SnapshotError::NotASnapshot)?;
        let (version, rest) = take::<4>(rest)?;
        let version = u32::from_be_bytes(version);
        if version != FORMAT_VERSION {
            return Err(SnapshotError::UnsupportedVersion(version));
        }
        let (len, rest) = take::<8>(rest)?;
        let len = u64::from_be_bytes(len);
        if len > MAX_PAYLOAD_BYTES {
            return Err(SnapshotError::Corrupt(format!("payload length {len} is implausible")));
        }
        let len = len as usize;
        if rest.len() < len + HASH_LEN {
            return Err(SnapshotError::Truncated);
        }
        if rest.len() > len + HASH_LEN {
            return Err(SnapshotError::Corrupt("trailing bytes after the integrity hash".into()));
        }
        let body_end = bytes.len() - HASH_LEN;
        if Sha1::digest(&bytes[..body_end]).as_slice() != &bytes[body_end..] {
            return Err(SnapshotError::HashMismatch);
        }
        let data: SnapshotData =
            postcard::from_bytes(&rest[..len]).map_err(|e| SnapshotError::Corrupt(e.to_string()))?;
        data.store()?;
        Ok(data)
    }
}

fn take<const N: usize>(b: &[u8]) -> Result<([u8; N], &[u8]), SnapshotError> {
    if b.len() < N {
        return Err(SnapshotError::Truncated);
    }
    let (head, rest) = b.split_at(N);
    Ok((head.try_into().expect("split at N"), rest))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample() -> SnapshotData {
        let mut store = Store::new();
        let mut lessor = Lessor::default();
        lessor.grant(7, 60, 0);
        let mut tx = store.write();
        tx.put(b"a", b"1", 0);
        tx.put(b"leased", b"x", 7);
        tx.end();
        let mut tx = store.write();
        tx.delete_range(&crate::mvcc::KeyRange::Single(b"a".to_vec()));
        tx.end();
        SnapshotData::capture(&store, &lessor, vec![], 20_480)
    }

    #[test]
    fn round_trips() {
        let s = sample();
        let back = SnapshotData::decode(&s.encode()).unwrap();
        assert_eq!(back, s);
        assert_eq!(back.store().unwrap().current_rev(), 3);
        assert_eq!(back.total_keys(), 3 + 1 + OTHER_BACKEND_KEYS);
        assert_eq!(back.lessor(0).get(7).map(|l| l.keys.len()), Some(1));
    }

    #[test]
    fn refuses_damaged_files() {
        let bytes = sample().encode();
        assert_eq!(SnapshotData::decode(b"hello"), Err(SnapshotError::NotASnapshot));
        assert_eq!(SnapshotData::decode(&bytes[..bytes.len() - 5]), Err(SnapshotError::Truncated));
        let mut flipped = bytes.clone();
        let mid = flipped.len() / 2;
        flipped[mid] ^= 0xff;
        assert_eq!(SnapshotData::decode(&flipped), Err(SnapshotError::HashMismatch));
        for cut in 0..bytes.len() {
            assert!(SnapshotData::decode(&bytes[..cut]).is_err(), "a file cut at {cut} bytes must be refused");
        }
    }
}
