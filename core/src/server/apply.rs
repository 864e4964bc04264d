//! Applying requests to the MVCC store: what every member does, in log order, for each committed entry,
//! and how reads are answered. Mirrors etcd's `applierV3`.

use super::api::*;
use crate::lease::Lessor;
use crate::mvcc::{KeyRange, KeyValue, MvccError, RangeResult, Store, WriteTxn};

/// etcd's default `--max-request-bytes`: a larger proposal fails with "request is too large".
pub const MAX_REQUEST_BYTES: usize = 1536 * 1024;

/// Validates a request before it is proposed, as etcd's gRPC layer does (so bad input never enters the log).
pub fn check(req: &Request) -> Result<(), ServerError> {
    if matches!(req, Request::Put(_) | Request::Txn(_) | Request::DeleteRange(_))
        && request_bytes(req) > MAX_REQUEST_BYTES
    {
        return Err(ServerError::RequestTooLarge);
    }
    let key = match req {
        Request::Range(r) => &r.key,
        Request::Put(p) => &p.key,
        Request::DeleteRange(d) => &d.key,
        Request::LeaseGrant { ttl_s, .. } if *ttl_s > crate::lease::MAX_LEASE_TTL_S => {
            return Err(ServerError::LeaseTtlTooLarge)
        }
        Request::Txn(t) => return super::txn::check(t),
        _ => return Ok(()),
    };
    if key.is_empty() {
        return Err(ServerError::KeyNotProvided);
    }
    Ok(())
}

/// The size of a write as proposed: the bytes of its keys and values (what dominates etcd's marshalled
/// InternalRaftRequest, which etcd compares with `--max-request-bytes`).
fn request_bytes(req: &Request) -> usize {
    let op = |o: &RequestOp| match o {
        RequestOp::Put(p) => p.key.len() + p.value.len(),
        RequestOp::Range(r) => r.key.len() + r.range_end.len(),
        RequestOp::DeleteRange(d) => d.key.len() + d.range_end.len(),
    };
    match req {
        Request::Put(p) => p.key.len() + p.value.len(),
        Request::DeleteRange(d) => d.key.len() + d.range_end.len(),
        Request::Txn(t) => {
            let compares: usize = t.compare.iter().map(|c| c.key.len() + c.range_end.len()).sum();
            compares + t.success.iter().chain(&t.failure).map(op).sum::<usize>()
        }
        _ => 0,
    }
}

/// Applies a write to `store` and `lessor`; the header's member and term are filled in by the caller.
pub fn apply_write(store: &mut Store, lessor: &mut Lessor, req: &Request, now_ms: u64) -> ServerResult {
    match req {
        Request::Put(p) => apply_put(store, lessor, p),
        Request::DeleteRange(d) => Ok(apply_delete(store, lessor, d)),
        Request::LeaseGrant { id, ttl_s } => {
            if *ttl_s > crate::lease::MAX_LEASE_TTL_S {
                return Err(ServerError::LeaseTtlTooLarge);
            }
            if lessor.get(*id).is_some() {
                return Err(ServerError::LeaseExist);
            }
            let lease = lessor.grant(*id, *ttl_s, now_ms);
            let header = ResponseHeader { revision: store.current_rev(), ..Default::default() };
            Ok(Response::LeaseGrant { header, id: lease.id, ttl_s: lease.ttl_s })
        }
        Request::LeaseRevoke { id } => {
            let keys = lessor.revoke(*id).ok_or(ServerError::LeaseNotFound)?;
            let mut tx = store.write();
            for key in &keys {
                tx.delete_range(&KeyRange::Single(key.clone()));
            }
            let revision = tx.end();
            Ok(Response::LeaseRevoke { header: ResponseHeader { revision, ..Default::default() } })
        }
        Request::Txn(t) => super::txn::apply(store, lessor, t),
        Request::Compaction { revision, physical } => {
            store.compact(*revision)?;
            // `--physical` answers once the compacted revisions are gone from the backend: the rest of a
            // large compaction's steps run now rather than a tick at a time.
            if *physical {
                store.finish_compaction();
            }
            Ok(Response::Compaction { header: ResponseHeader { revision: store.current_rev(), ..Default::default() } })
        }
        other => serve_local(store, lessor, other, now_ms),
    }
}

/// Answers requests that read a member's own state (reads, lease queries).
pub fn serve_local(store: &Store, lessor: &Lessor, req: &Request, now_ms: u64) -> ServerResult {
    let header = ResponseHeader { revision: store.current_rev(), ..Default::default() };
    match req {
        Request::Range(r) => range(store, r),
        Request::LeaseLeases => Ok(Response::LeaseLeases { header, leases: lessor.leases().map(|l| l.id).collect() }),
        Request::LeaseTimeToLive { id, keys } => Ok(match lessor.get(*id) {
            Some(l) => Response::LeaseTimeToLive {
                header,
                id: *id,
                ttl_s: l.time_to_live_s(now_ms),
                granted_ttl_s: l.ttl_s,
                keys: if *keys { l.keys.iter().cloned().collect() } else { Vec::new() },
            },
            None => Response::LeaseTimeToLive { header, id: *id, ttl_s: -1, granted_ttl_s: 0, keys: Vec::new() },
        }),
        _ => Err(ServerError::Unavailable),
    }
}

/// Keeps a lease alive on the leader.
pub fn keep_alive(store: &Store, lessor: &mut Lessor, id: i64, now_ms: u64) -> ServerResult {
    let ttl_s = lessor.renew(id, now_ms).ok_or(ServerError::LeaseNotFound)?;
    let header = ResponseHeader { revision: store.current_rev(), ..Default::default() };
    Ok(Response::LeaseKeepAlive { header, id, ttl_s })
}

/// Moves `key` from the lease it had (`old`, 0 for none) to `lease`.
fn reattach(lessor: &mut Lessor, key: &[u8], old: i64, lease: i64) {
    if old != 0 && old != lease {
        lessor.detach(old, key);
    }
    if lease != 0 {
        lessor.attach(lease, key);
    }
}

fn apply_put(store: &mut Store, lessor: &mut Lessor, p: &PutRequest) -> ServerResult {
    if p.lease != 0 && !p.ignore_lease && lessor.get(p.lease).is_none() {
        return Err(ServerError::LeaseNotFound);
    }
    let mut tx = store.write();
    let prev = put_in(&mut tx, lessor, p)?;
    let revision = tx.end();
    let header = ResponseHeader { revision, ..Default::default() };
    Ok(Response::Put(PutResponse { header, prev_kv: if p.prev_kv { prev } else { None } }))
}

/// A put inside the write transaction `tx` (etcd's `applierV3backend.Put` with a txn): honours
/// `ignore_value`/`ignore_lease`, moves the key between leases, returns the previous key-value when the
/// put asks for it (`prev_kv`; only then is it copied out). Nothing is written when it fails.
pub(super) fn put_in(
    tx: &mut WriteTxn<'_>,
    lessor: &mut Lessor,
    p: &PutRequest,
) -> Result<Option<KeyValue>, ServerError> {
    if !p.ignore_value && !p.ignore_lease {
        // The common case needs nothing of the live version until after the put, which finds it anyway.
        let prev = tx.put(&p.key, &p.value, p.lease).map(|v| (v.lease, p.prev_kv.then(|| v.to_kv())));
        let (old_lease, prev_kv) = prev.unwrap_or((0, None));
        reattach(lessor, &p.key, old_lease, p.lease);
        return Ok(prev_kv);
    }
    // What the put needs of the live version: its lease, its value if kept, and the prev_kv answer.
    let prev =
        tx.get(&p.key).map(|v| (v.lease, p.ignore_value.then(|| v.value.to_vec()), p.prev_kv.then(|| v.to_kv())));
    let (old_lease, kept_value, prev_kv) = match prev {
        None if p.ignore_value || p.ignore_lease => return Err(ServerError::KeyNotFound),
        None => (0, None, None),
        Some(prev) => prev,
    };
    let lease = if p.ignore_lease { old_lease } else { p.lease };
    tx.put(&p.key, kept_value.as_deref().unwrap_or(&p.value), lease);
    reattach(lessor, &p.key, old_lease, lease);
    Ok(prev_kv)
}

/// A delete inside the write transaction `tx`: detaches the deleted keys from their leases and returns
/// them as they were.
pub(super) fn delete_in(tx: &mut WriteTxn<'_>, lessor: &mut Lessor, d: &DeleteRangeRequest) -> Vec<KeyValue> {
    let deleted = tx.delete_range(&KeyRange::new(&d.key, &d.range_end));
    for kv in deleted.iter().filter(|kv| kv.lease != 0) {
        lessor.detach(kv.lease, &kv.key);
    }
    deleted
}

fn apply_delete(store: &mut Store, lessor: &mut Lessor, d: &DeleteRangeRequest) -> Response {
    let mut tx = store.write();
    let deleted = delete_in(&mut tx, lessor, d);
    let revision = tx.end();
    Response::DeleteRange(DeleteRangeResponse {
        header: ResponseHeader { revision, ..Default::default() },
        deleted: deleted.len() as i64,
        prev_kvs: if d.prev_kv { deleted } else { Vec::new() },
    })
}

/// Serves a read from the local store, as etcd's `applierV3backend.Range`.
pub fn range(store: &Store, r: &RangeRequest) -> ServerResult {
    range_with(r, |keys, rev, limit| store.range(keys, rev, limit)).map(Response::Range)
}

/// [`range`] over any reader of the store (`read(keys, revision, limit)`), such as a write transaction
/// that must see its own earlier writes.
///
/// What is fetched depends on the sort order the client *sent*: with an order, every key in range is
/// read, sorted, then cut to the limit; without one, only the first limit + 1 keys in key order are
/// read (the extra one tells `more`), and a target other than the key still sorts those ascending. So
/// `--sort-by=MODIFY --limit=5` sorts the first six keys, not the whole range, as etcd does.
pub(super) fn range_with(
    r: &RangeRequest,
    read: impl FnOnce(&KeyRange, i64, usize) -> Result<RangeResult, MvccError>,
) -> Result<RangeResponse, ServerError> {
    let limit = usize::try_from(r.limit).unwrap_or(0);
    let filtered =
        r.min_mod_revision != 0 || r.max_mod_revision != 0 || r.min_create_revision != 0 || r.max_create_revision != 0;
    let fetch = match (r.sort_order, limit) {
        (SortOrder::None, l) if l > 0 && !filtered => l.saturating_add(1),
        _ => 0,
    };
    let res = read(&KeyRange::new(&r.key, &r.range_end), r.revision, fetch)?;
    let mut kvs = if r.count_only { Vec::new() } else { res.kvs };
    if filtered {
        let beyond = |v: i64, min: i64, max: i64| (max != 0 && v > max) || (min != 0 && v < min);
        kvs.retain(|kv| {
            !beyond(kv.mod_revision, r.min_mod_revision, r.max_mod_revision)
                && !beyond(kv.create_revision, r.min_create_revision, r.max_create_revision)
        });
    }
    let order = match (r.sort_order, r.sort_target) {
        // Already in key order.
        (SortOrder::None, SortTarget::Key) => SortOrder::None,
        (SortOrder::None, _) => SortOrder::Ascend,
        (o, _) => o,
    };
    if order != SortOrder::None {
        sort_kvs(&mut kvs, r.sort_target, order);
    }
    let more = limit > 0 && kvs.len() > limit;
    kvs.truncate(if limit > 0 { limit } else { kvs.len() });
    if r.keys_only {
        kvs.iter_mut().for_each(|kv| kv.value.clear());
    }
    Ok(RangeResponse {
        header: ResponseHeader { revision: res.rev, ..Default::default() },
        kvs,
        more,
        count: res.count,
    })
}

/// Sorts with Go's `sort.Sort` (descending: `sort.Reverse`), so keys that tie on the target end in
/// etcd's order, which is not key order above 12 keys.
fn sort_kvs(kvs: &mut [crate::mvcc::KeyValue], target: SortTarget, order: SortOrder) {
    let less = |a: &crate::mvcc::KeyValue, b: &crate::mvcc::KeyValue| match target {
        SortTarget::Key => a.key < b.key,
        SortTarget::Version => a.version < b.version,
        SortTarget::Create => a.create_revision < b.create_revision,
        SortTarget::Mod => a.mod_revision < b.mod_revision,
        SortTarget::Value => a.value < b.value,
    };
    if order == SortOrder::Descend {
        super::gosort::sort_by(kvs, |a, b| less(b, a));
    } else {
        super::gosort::sort_by(kvs, less);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(key: &str, value: &str) -> Request {
        Request::Put(PutRequest { key: key.into(), value: value.into(), prev_kv: true, ..Default::default() })
    }

    #[test]
    fn put_returns_prev_kv_and_revision() {
        let (mut s, mut l) = (Store::new(), Lessor::default());
        let Ok(Response::Put(r)) = apply_write(&mut s, &mut l, &put("foo", "bar"), 0) else { panic!() };
        assert_eq!((r.header.revision, r.prev_kv), (2, None));
        let Ok(Response::Put(r)) = apply_write(&mut s, &mut l, &put("foo", "baz"), 0) else { panic!() };
        assert_eq!(r.prev_kv.map(|kv| kv.value), Some(b"bar".to_vec()));
    }

    #[test]
    fn a_physical_compaction_is_done_when_it_answers() {
        let (mut s, mut l) = (Store::new(), Lessor::default());
        for round in 0..2 {
            for k in 0..5_000 {
                apply_write(&mut s, &mut l, &put(&format!("k{k:04}"), &format!("v{round}")), 0).unwrap();
            }
        }
        let mut other = s.clone();
        let revision = s.current_rev();
        let compact = |physical| Request::Compaction { revision, physical };
        apply_write(&mut other, &mut l, &compact(false), 0).unwrap();
        assert!(other.compaction_under_way(), "5,000 keys with history take more than one step");
        apply_write(&mut s, &mut l, &compact(true), 0).unwrap();
        assert!(!s.compaction_under_way());
        assert_eq!(s.version_count(), 5_000);
    }

    #[test]
    fn ignore_value_needs_a_live_key() {
        let (mut s, mut l) = (Store::new(), Lessor::default());
        let req = Request::Put(PutRequest { key: b"k".to_vec(), ignore_value: true, ..Default::default() });
        assert_eq!(apply_write(&mut s, &mut l, &req, 0), Err(ServerError::KeyNotFound));
        assert_eq!(s.current_rev(), 1);
    }

    #[test]
    fn revoking_a_lease_deletes_its_keys_in_one_revision() {
        let (mut s, mut l) = (Store::new(), Lessor::default());
        apply_write(&mut s, &mut l, &Request::LeaseGrant { id: 5, ttl_s: 60 }, 0).unwrap();
        let leased =
            |k: &str| Request::Put(PutRequest { key: k.into(), value: b"v".to_vec(), lease: 5, ..Default::default() });
        apply_write(&mut s, &mut l, &leased("a"), 0).unwrap();
        apply_write(&mut s, &mut l, &leased("b"), 0).unwrap();
        apply_write(&mut s, &mut l, &put("c", "plain"), 0).unwrap();
        let missing = Request::Put(PutRequest { key: b"d".to_vec(), lease: 6, ..Default::default() });
        assert_eq!(apply_write(&mut s, &mut l, &missing, 0), Err(ServerError::LeaseNotFound));
        let before = s.current_rev();
        apply_write(&mut s, &mut l, &Request::LeaseRevoke { id: 5 }, 0).unwrap();
        assert_eq!(s.current_rev(), before + 1, "all attached keys go in one revision");
        assert_eq!(s.key_count(), 1);
        assert_eq!(apply_write(&mut s, &mut l, &Request::LeaseRevoke { id: 5 }, 0), Err(ServerError::LeaseNotFound));
    }

    #[test]
    fn empty_key_is_refused() {
        assert_eq!(check(&put("", "v")), Err(ServerError::KeyNotProvided));
    }
}
