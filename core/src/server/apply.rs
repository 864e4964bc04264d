//! Applying requests to the MVCC store: what every member does, in log order, for each committed entry,
//! and how reads are answered. Mirrors etcd's `applierV3`.

use super::api::*;
use crate::mvcc::{KeyRange, Store};

/// Validates a request before it is proposed, as etcd's gRPC layer does (so bad input never enters the log).
pub fn check(req: &Request) -> Result<(), ServerError> {
    let key = match req {
        Request::Range(r) => &r.key,
        Request::Put(p) => &p.key,
        Request::DeleteRange(d) => &d.key,
    };
    if key.is_empty() {
        return Err(ServerError::KeyNotProvided);
    }
    Ok(())
}

/// Applies a write to `store`; the header's member and term are filled in by the caller.
pub fn apply_write(store: &mut Store, req: &Request) -> ServerResult {
    match req {
        Request::Put(p) => apply_put(store, p),
        Request::DeleteRange(d) => Ok(apply_delete(store, d)),
        Request::Range(r) => range(store, r),
    }
}

fn apply_put(store: &mut Store, p: &PutRequest) -> ServerResult {
    let mut tx = store.write();
    let prev = tx.range(&KeyRange::Single(p.key.clone()), 0).kvs.pop();
    let (value, lease) = match (&prev, p.ignore_value, p.ignore_lease) {
        (None, true, _) | (None, _, true) => return Err(ServerError::KeyNotFound),
        (Some(kv), iv, il) => {
            (if iv { kv.value.clone() } else { p.value.clone() }, if il { kv.lease } else { p.lease })
        }
        (None, false, false) => (p.value.clone(), p.lease),
    };
    tx.put(&p.key, &value, lease);
    let revision = tx.end();
    let header = ResponseHeader { revision, ..Default::default() };
    Ok(Response::Put(PutResponse { header, prev_kv: if p.prev_kv { prev } else { None } }))
}

fn apply_delete(store: &mut Store, d: &DeleteRangeRequest) -> Response {
    let mut tx = store.write();
    let deleted = tx.delete_range(&KeyRange::new(&d.key, &d.range_end));
    let revision = tx.end();
    Response::DeleteRange(DeleteRangeResponse {
        header: ResponseHeader { revision, ..Default::default() },
        deleted: deleted.len() as i64,
        prev_kvs: if d.prev_kv { deleted } else { Vec::new() },
    })
}

/// Serves a read from the local store. Sorting needs every key in range, so a sorted read fetches all,
/// sorts, then applies the limit, as etcd does.
pub fn range(store: &Store, r: &RangeRequest) -> ServerResult {
    let limit = usize::try_from(r.limit).unwrap_or(0);
    let order = match (r.sort_order, r.sort_target) {
        (SortOrder::None, SortTarget::Key) => SortOrder::None,
        // etcd sorts ascending by default for any target but the key (already in key order).
        (SortOrder::None, _) => SortOrder::Ascend,
        (o, _) => o,
    };
    let fetch = if order == SortOrder::None { limit } else { 0 };
    let res = store.range(&KeyRange::new(&r.key, &r.range_end), r.revision, fetch)?;
    let mut kvs = res.kvs;
    if order != SortOrder::None {
        sort_kvs(&mut kvs, r.sort_target, order);
        if limit > 0 {
            kvs.truncate(limit);
        }
    }
    let more = (kvs.len() as i64) < res.count;
    if r.count_only {
        kvs.clear();
    }
    if r.keys_only {
        kvs.iter_mut().for_each(|kv| kv.value.clear());
    }
    Ok(Response::Range(RangeResponse {
        header: ResponseHeader { revision: res.rev, ..Default::default() },
        kvs,
        more,
        count: res.count,
    }))
}

fn sort_kvs(kvs: &mut [crate::mvcc::KeyValue], target: SortTarget, order: SortOrder) {
    kvs.sort_by(|a, b| {
        let ord = match target {
            SortTarget::Key => a.key.cmp(&b.key),
            SortTarget::Version => a.version.cmp(&b.version),
            SortTarget::Create => a.create_revision.cmp(&b.create_revision),
            SortTarget::Mod => a.mod_revision.cmp(&b.mod_revision),
            SortTarget::Value => a.value.cmp(&b.value),
        };
        if order == SortOrder::Descend {
            ord.reverse()
        } else {
            ord
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(key: &str, value: &str) -> Request {
        Request::Put(PutRequest { key: key.into(), value: value.into(), prev_kv: true, ..Default::default() })
    }

    #[test]
    fn put_returns_prev_kv_and_revision() {
        let mut s = Store::new();
        let Ok(Response::Put(r)) = apply_write(&mut s, &put("foo", "bar")) else { panic!() };
        assert_eq!((r.header.revision, r.prev_kv), (2, None));
        let Ok(Response::Put(r)) = apply_write(&mut s, &put("foo", "baz")) else { panic!() };
        assert_eq!(r.prev_kv.map(|kv| kv.value), Some(b"bar".to_vec()));
    }

    #[test]
    fn ignore_value_needs_a_live_key() {
        let mut s = Store::new();
        let req = Request::Put(PutRequest { key: b"k".to_vec(), ignore_value: true, ..Default::default() });
        assert_eq!(apply_write(&mut s, &req), Err(ServerError::KeyNotFound));
        assert_eq!(s.current_rev(), 1);
    }

    #[test]
    fn empty_key_is_refused() {
        assert_eq!(check(&put("", "v")), Err(ServerError::KeyNotProvided));
    }
}
