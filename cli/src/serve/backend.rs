//! A member's backend as etcd's own file: a bbolt database with etcd 3.4's buckets, so that what
//! `Maintenance.Snapshot` streams is a real etcd snapshot. `etcdctl snapshot status` reads it (revision,
//! total keys), `etcdctl snapshot restore` turns it into a data dir a real etcd starts from.
//!
//! The buckets, as etcd's backend keeps them:
//! ```text
//!   key      revision (8-byte main, '_', 8-byte sub, 't' for a tombstone) -> mvccpb.KeyValue
//!   lease    lease ID (8 bytes)                                            -> leasepb.Lease
//!   members  member ID in hex                                              -> {"peerURLs":[...]}
//!   meta     consistent_index, scheduledCompactRev, finishedCompactRev
//!   cluster  clusterVersion; auth: authRevision; alarm, authRoles, authUsers, members_removed: empty
//! ```
//! The bolt layout is the simplest a bbolt reader accepts: two meta pages, an empty freelist, then each
//! bucket's leaves (one branch page above them when there are several), then the root bucket's leaf.
//! Every integer in the pages is little-endian, as bbolt writes them on the machines etcd runs on.

use etcd_client::proto::PbKeyValue;
use etcdplay_core::snapshot::SnapshotData;
use prost::Message;

const PAGE_SIZE: usize = 4096;
const PAGE_HEADER: usize = 16;
/// A leaf element (flags, pos, key size, value size) and a branch element (pos, key size, page ID).
const ELEMENT: usize = 16;
/// Bytes of elements and data a leaf holds before the next one starts (a leaf may overflow a page).
const LEAF_FILL: usize = PAGE_SIZE - PAGE_HEADER;

const BRANCH_PAGE: u16 = 0x01;
const LEAF_PAGE: u16 = 0x02;
const META_PAGE: u16 = 0x04;
const FREELIST_PAGE: u16 = 0x10;
/// A leaf element that is a bucket (its value is the bucket's header: root page and sequence).
const BUCKET_ELEMENT: u32 = 0x01;

const MAGIC: u32 = 0xED0C_DAED;
const FORMAT_VERSION: u32 = 2;

/// leasepb.Lease, as etcd's lessor persists a lease.
#[derive(Clone, PartialEq, Message)]
struct LeaseRecord {
    #[prost(int64, tag = "1")]
    id: i64,
    #[prost(int64, tag = "2")]
    ttl: i64,
    #[prost(int64, tag = "3")]
    remaining_ttl: i64,
}

/// A bucket's entries, sorted by key.
type Bucket = (&'static [u8], Vec<(Vec<u8>, Vec<u8>)>);

/// The revision as etcd's `key` bucket spells it.
fn revision_key(main: i64, sub: i64, tombstone: bool) -> Vec<u8> {
    let mut k = Vec::with_capacity(18);
    k.extend_from_slice(&main.to_be_bytes());
    k.push(b'_');
    k.extend_from_slice(&sub.to_be_bytes());
    if tombstone {
        k.push(b't');
    }
    k
}

/// etcd's buckets for the member's backend in `snapshot`, each sorted as bolt keeps them.
fn buckets(snapshot: &SnapshotData) -> Vec<Bucket> {
    let keys = snapshot
        .versions
        .iter()
        .map(|v| {
            // A delete's record is the key alone, as etcd's tombstone.
            let kv = if v.is_tombstone() {
                PbKeyValue { key: v.key.to_vec(), ..PbKeyValue::default() }
            } else {
                super::convert::kv(v.to_kv())
            };
            (revision_key(v.rev.main, v.rev.sub, v.is_tombstone()), kv.encode_to_vec())
        })
        .collect();
    let leases = snapshot
        .leases
        .iter()
        .map(|&(id, ttl)| (id.to_be_bytes().to_vec(), LeaseRecord { id, ttl, remaining_ttl: 0 }.encode_to_vec()))
        .collect();
    let members = snapshot
        .members
        .iter()
        .map(|m| {
            let urls = serde_json::to_string(&m.peer_urls).unwrap_or_else(|_| "[]".into());
            let learner = if m.is_learner { ",\"isLearner\":true" } else { "" };
            (format!("{:x}", m.id).into_bytes(), format!("{{\"peerURLs\":{urls}{learner}}}").into_bytes())
        })
        .collect();
    let mut meta = vec![(b"consistent_index".to_vec(), 0u64.to_be_bytes().to_vec())];
    if snapshot.compact_rev > 0 {
        let rev = revision_key(snapshot.compact_rev, 0, false);
        meta.push((b"finishedCompactRev".to_vec(), rev.clone()));
        meta.push((b"scheduledCompactRev".to_vec(), rev));
    }
    let mut all: Vec<Bucket> = vec![
        (b"alarm", Vec::new()),
        (b"auth", vec![(b"authRevision".to_vec(), 1u64.to_be_bytes().to_vec())]),
        (b"authRoles", Vec::new()),
        (b"authUsers", Vec::new()),
        (b"cluster", vec![(b"clusterVersion".to_vec(), etcdplay_core::version::CLUSTER_VERSION.as_bytes().to_vec())]),
        (b"key", keys),
        (b"lease", leases),
        (b"members", members),
        (b"members_removed", Vec::new()),
        (b"meta", meta),
    ];
    for (_, entries) in &mut all {
        entries.sort();
    }
    all
}

/// The pages of a bolt file, as they are laid out one after another.
#[derive(Default)]
struct Pages {
    bytes: Vec<u8>,
}

impl Pages {
    fn next_id(&self) -> u64 {
        (self.bytes.len() / PAGE_SIZE) as u64
    }

    /// Appends a page (with as many overflow pages as its body needs); returns its ID.
    fn push(&mut self, flags: u16, count: usize, body: &[u8]) -> u64 {
        let id = self.next_id();
        let pages = (PAGE_HEADER + body.len()).div_ceil(PAGE_SIZE).max(1);
        self.bytes.extend_from_slice(&id.to_le_bytes());
        self.bytes.extend_from_slice(&flags.to_le_bytes());
        self.bytes.extend_from_slice(&(count as u16).to_le_bytes());
        self.bytes.extend_from_slice(&((pages - 1) as u32).to_le_bytes());
        self.bytes.extend_from_slice(body);
        self.bytes.resize((id as usize + pages) * PAGE_SIZE, 0);
        id
    }

    /// A leaf of `entries` (`flags` per element: bucket or plain).
    fn leaf(&mut self, entries: &[(&[u8], &[u8], u32)]) -> u64 {
        let mut body = Vec::new();
        let mut data = Vec::new();
        for (i, (k, v, flags)) in entries.iter().enumerate() {
            let pos = entries.len() * ELEMENT + data.len() - i * ELEMENT;
            for n in [*flags, pos as u32, k.len() as u32, v.len() as u32] {
                body.extend_from_slice(&n.to_le_bytes());
            }
            data.extend_from_slice(k);
            data.extend_from_slice(v);
        }
        body.extend_from_slice(&data);
        self.push(LEAF_PAGE, entries.len(), &body)
    }

    /// A branch over `children`: (first key, page ID).
    fn branch(&mut self, children: &[(&[u8], u64)]) -> u64 {
        let mut body = Vec::new();
        let mut data = Vec::new();
        for (i, (k, id)) in children.iter().enumerate() {
            let pos = children.len() * ELEMENT + data.len() - i * ELEMENT;
            body.extend_from_slice(&(pos as u32).to_le_bytes());
            body.extend_from_slice(&(k.len() as u32).to_le_bytes());
            body.extend_from_slice(&id.to_le_bytes());
            data.extend_from_slice(k);
        }
        body.extend_from_slice(&data);
        self.push(BRANCH_PAGE, children.len(), &body)
    }

    /// A bucket's tree: its leaves, and a branch above them when there is more than one; the root's ID.
    fn tree(&mut self, entries: &[(Vec<u8>, Vec<u8>)]) -> u64 {
        let mut leaves: Vec<(&[u8], u64)> = Vec::new();
        let mut rest = entries;
        loop {
            let mut size = 0;
            let take = rest
                .iter()
                .take_while(|(k, v)| {
                    size += ELEMENT + k.len() + v.len();
                    size <= LEAF_FILL
                })
                .count()
                .max(1)
                .min(rest.len());
            let (chunk, tail) = rest.split_at(take);
            let elements: Vec<(&[u8], &[u8], u32)> = chunk.iter().map(|(k, v)| (&k[..], &v[..], 0)).collect();
            let first: &[u8] = chunk.first().map_or(&[], |(k, _)| &k[..]);
            leaves.push((first, self.leaf(&elements)));
            rest = tail;
            if rest.is_empty() {
                break;
            }
        }
        match leaves.as_slice() {
            [(_, only)] => *only,
            many => self.branch(many),
        }
    }

    /// A meta page: the root bucket's page, the freelist's and the high-water mark.
    fn meta(&mut self, txid: u64, root: u64, freelist: u64, high_water: u64) {
        let mut m = Vec::with_capacity(64);
        for n in [MAGIC, FORMAT_VERSION, PAGE_SIZE as u32, 0] {
            m.extend_from_slice(&n.to_le_bytes());
        }
        for n in [root, 0, freelist, high_water, txid] {
            m.extend_from_slice(&n.to_le_bytes());
        }
        let checksum = fnv1a64(&m);
        m.extend_from_slice(&checksum.to_le_bytes());
        self.push(META_PAGE, 0, &m);
    }
}

/// FNV-1a, 64 bits: bbolt's meta page checksum.
fn fnv1a64(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// The backend of `snapshot` as a bbolt file, as etcd's `Snapshot` streams it (before the sha256).
pub fn bolt_file(snapshot: &SnapshotData) -> Vec<u8> {
    let mut body = Pages::default();
    // Pages 0 and 1 are the metas, 2 the (empty) freelist: written last, once the root's ID is known.
    body.bytes.resize(3 * PAGE_SIZE, 0);
    let buckets = buckets(snapshot);
    let roots: Vec<(&[u8], Vec<u8>)> = buckets
        .iter()
        .map(|(name, entries)| {
            let root = body.tree(entries);
            let mut header = root.to_le_bytes().to_vec();
            header.extend_from_slice(&0u64.to_le_bytes());
            (*name, header)
        })
        .collect();
    let elements: Vec<(&[u8], &[u8], u32)> = roots.iter().map(|(n, h)| (*n, &h[..], BUCKET_ELEMENT)).collect();
    let root = body.leaf(&elements);
    let high_water = body.next_id();
    let mut head = Pages::default();
    head.meta(0, root, 2, high_water);
    head.meta(1, root, 2, high_water);
    head.push(FREELIST_PAGE, 0, &[]);
    body.bytes[..3 * PAGE_SIZE].copy_from_slice(&head.bytes);
    body.bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_matches_the_reference_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn a_bucket_too_large_for_one_page_gets_leaves_under_a_branch() {
        let entries: Vec<(Vec<u8>, Vec<u8>)> =
            (0..500u32).map(|i| (i.to_be_bytes().to_vec(), vec![b'v'; 100])).collect();
        let mut pages = Pages::default();
        let root = pages.tree(&entries);
        let flags = u16::from_le_bytes([
            pages.bytes[root as usize * PAGE_SIZE + 8],
            pages.bytes[root as usize * PAGE_SIZE + 9],
        ]);
        assert_eq!(flags, BRANCH_PAGE);
        assert!(root >= 13, "500 entries of 120 bytes fill at least 13 leaves before the branch");
    }
}
