//! Transactions: compares evaluated against the store, then the success or the failure ops applied
//! atomically, all writes at one revision, as etcd's `applierV3backend.Txn`. [`check`] is what etcd's
//! gRPC layer refuses before a txn is proposed (too many ops, empty keys, a key written twice).
//!
//! Nested txns (`RequestOp_RequestTxn`) are not modelled: etcdctl cannot send them.

use super::api::*;
use super::apply;
use crate::lease::Lessor;
use crate::mvcc::versions::byte_string;
use crate::mvcc::{KeyRange, KeyValue, Store};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// etcd's default `--max-txn-ops`.
pub const MAX_TXN_OPS: usize = 128;

/// `etcdserverpb.TxnRequest`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxnRequest {
    pub compare: Vec<Compare>,
    pub success: Vec<RequestOp>,
    pub failure: Vec<RequestOp>,
}

/// `etcdserverpb.Compare`: `target(key..range_end) result value`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compare {
    pub result: CompareResult,
    pub target: CompareTarget,
    #[serde(with = "byte_string")]
    pub key: Vec<u8>,
    /// Empty: the key alone; `"\0"`: every key from `key` on; otherwise `[key, range_end)`.
    #[serde(with = "byte_string")]
    pub range_end: Vec<u8>,
}

/// `Compare.CompareResult`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CompareResult {
    Equal,
    Greater,
    Less,
    NotEqual,
}

/// `Compare.CompareTarget` with the value compared against.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CompareTarget {
    Version(i64),
    Create(i64),
    Mod(i64),
    Value(#[serde(with = "byte_string")] Vec<u8>),
    Lease(i64),
}

/// `etcdserverpb.RequestOp`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequestOp {
    Range(RangeRequest),
    Put(PutRequest),
    DeleteRange(DeleteRangeRequest),
}

/// `etcdserverpb.ResponseOp`: the response of each op, with a header that carries only the revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResponseOp {
    Range(RangeResponse),
    Put(PutResponse),
    DeleteRange(DeleteRangeResponse),
}

/// `etcdserverpb.TxnResponse`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TxnResponse {
    pub header: ResponseHeader,
    pub succeeded: bool,
    pub responses: Vec<ResponseOp>,
}

/// etcd's `checkTxnRequest` and `checkIntervals` (v3rpc): refused before the txn enters the log.
pub fn check(t: &TxnRequest) -> Result<(), ServerError> {
    if t.compare.len().max(t.success.len()).max(t.failure.len()) > MAX_TXN_OPS {
        return Err(ServerError::TooManyOps);
    }
    if t.compare.iter().any(|c| c.key.is_empty()) {
        return Err(ServerError::KeyNotProvided);
    }
    for op in t.success.iter().chain(&t.failure) {
        match op {
            RequestOp::Range(RangeRequest { key, .. }) | RequestOp::DeleteRange(DeleteRangeRequest { key, .. })
                if key.is_empty() =>
            {
                return Err(ServerError::KeyNotProvided)
            }
            RequestOp::Put(p) if p.key.is_empty() => return Err(ServerError::KeyNotProvided),
            RequestOp::Put(p) if p.ignore_value && !p.value.is_empty() => return Err(ServerError::ValueProvided),
            RequestOp::Put(p) if p.ignore_lease && p.lease != 0 => return Err(ServerError::LeaseProvided),
            _ => {}
        }
    }
    check_intervals(&t.success)?;
    check_intervals(&t.failure)
}

/// A branch may not put a key twice, nor put a key one of its deletes covers. As in etcd 3.4, a delete's
/// range is compared as a plain interval `[key, range_end)`, so a `"\0"` (from-key) end covers nothing.
fn check_intervals(ops: &[RequestOp]) -> Result<(), ServerError> {
    let dels: Vec<&DeleteRangeRequest> =
        ops.iter().filter_map(|op| if let RequestOp::DeleteRange(d) = op { Some(d) } else { None }).collect();
    let mut puts = BTreeSet::new();
    for op in ops {
        let RequestOp::Put(p) = op else { continue };
        let k = p.key.as_slice();
        let covered = dels.iter().any(|d| {
            if d.range_end.is_empty() {
                d.key == k
            } else {
                d.key.as_slice() <= k && k < d.range_end.as_slice()
            }
        });
        if !puts.insert(k) || covered {
            return Err(ServerError::DuplicateKey);
        }
    }
    Ok(())
}

/// Evaluates one compare against the store: every key in range must satisfy it. A missing key compares
/// as a zero key-value (version, revisions and lease 0), except that a value compare always fails on it.
pub fn compare_holds(store: &Store, c: &Compare) -> bool {
    let Ok(res) = store.range(&KeyRange::new(&c.key, &c.range_end), 0, 0) else { return false };
    if res.kvs.is_empty() {
        if matches!(c.target, CompareTarget::Value(_)) {
            return false;
        }
        return compare_kv(c, &KeyValue::default());
    }
    res.kvs.iter().all(|kv| compare_kv(c, kv))
}

fn compare_kv(c: &Compare, kv: &KeyValue) -> bool {
    use std::cmp::Ordering;
    let ord: Ordering = match &c.target {
        CompareTarget::Value(v) => kv.value.as_slice().cmp(v.as_slice()),
        CompareTarget::Create(r) => kv.create_revision.cmp(r),
        CompareTarget::Mod(r) => kv.mod_revision.cmp(r),
        CompareTarget::Version(v) => kv.version.cmp(v),
        CompareTarget::Lease(l) => kv.lease.cmp(l),
    };
    match c.result {
        CompareResult::Equal => ord == Ordering::Equal,
        CompareResult::NotEqual => ord != Ordering::Equal,
        CompareResult::Greater => ord == Ordering::Greater,
        CompareResult::Less => ord == Ordering::Less,
    }
}

/// Applies a txn: picks the branch by the compares, checks its ops against the store as it was (puts
/// that need a live key or a lease, reads at a revision), then runs them in one write transaction, so
/// every write gets the same revision and later ops see earlier ones. Nothing is written on an error.
pub fn apply(store: &mut Store, lessor: &mut Lessor, t: &TxnRequest) -> ServerResult {
    let succeeded = t.compare.iter().all(|c| compare_holds(store, c));
    let ops = if succeeded { &t.success } else { &t.failure };
    let is_write = ops.iter().any(|op| !matches!(op, RequestOp::Range(_)));
    if is_write {
        for op in ops {
            let RequestOp::Put(p) = op else { continue };
            if (p.ignore_value || p.ignore_lease) && store.range(&KeyRange::Single(p.key.clone()), 0, 0)?.count == 0 {
                return Err(ServerError::KeyNotFound);
            }
            if p.lease != 0 && lessor.get(p.lease).is_none() {
                return Err(ServerError::LeaseNotFound);
            }
        }
    }
    for op in ops {
        let RequestOp::Range(r) = op else { continue };
        if r.revision > store.current_rev() {
            return Err(ServerError::FutureRev);
        }
        if r.revision != 0 && r.revision < store.compact_rev() {
            return Err(ServerError::Compacted);
        }
    }
    // A put that needs a live key after a delete of the same txn removed it would fail half-way; etcd 3.4
    // lets it through (a from-key delete escapes the duplicate check) and then panics applying the entry.
    for (i, op) in ops.iter().enumerate() {
        let RequestOp::Put(p) = op else { continue };
        let removed = ops[..i]
            .iter()
            .any(|o| matches!(o, RequestOp::DeleteRange(d) if KeyRange::new(&d.key, &d.range_end).contains(&p.key)));
        if (p.ignore_value || p.ignore_lease) && removed {
            return Err(ServerError::KeyNotFound);
        }
    }
    // Reads at a past revision do not depend on this txn's writes: served before it starts.
    let mut past: Vec<Option<RangeResponse>> = Vec::with_capacity(ops.len());
    for op in ops {
        past.push(match op {
            RequestOp::Range(r) if r.revision > 0 => Some(apply::range_with(r, |k, rev, l| store.range(k, rev, l))?),
            _ => None,
        });
    }
    let begin_rev = store.current_rev();
    let mut changed = false;
    let mut tx = store.write();
    let mut responses = Vec::with_capacity(ops.len());
    for (op, past) in ops.iter().zip(past) {
        let response = match op {
            RequestOp::Range(r) => {
                let mut resp = match past {
                    Some(resp) => resp,
                    None => apply::range_with(r, |keys, _, limit| Ok(tx.range(keys, limit)))?,
                };
                resp.header.revision = begin_rev + i64::from(changed);
                ResponseOp::Range(resp)
            }
            RequestOp::Put(p) => {
                let prev = apply::put_in(&mut tx, lessor, p)?;
                changed = true;
                let header = ResponseHeader { revision: begin_rev + 1, ..Default::default() };
                ResponseOp::Put(PutResponse { header, prev_kv: if p.prev_kv { prev } else { None } })
            }
            RequestOp::DeleteRange(d) => {
                let deleted = apply::delete_in(&mut tx, lessor, d);
                changed |= !deleted.is_empty();
                let header = ResponseHeader { revision: begin_rev + i64::from(changed), ..Default::default() };
                ResponseOp::DeleteRange(DeleteRangeResponse {
                    header,
                    deleted: deleted.len() as i64,
                    prev_kvs: if d.prev_kv { deleted } else { Vec::new() },
                })
            }
        };
        responses.push(response);
    }
    let revision = tx.end();
    let header = ResponseHeader { revision, ..Default::default() };
    Ok(Response::Txn(TxnResponse { header, succeeded, responses }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(k: &str, v: &str) -> RequestOp {
        RequestOp::Put(PutRequest { key: k.into(), value: v.into(), ..Default::default() })
    }

    fn get(k: &str) -> RequestOp {
        RequestOp::Range(RangeRequest { key: k.into(), ..Default::default() })
    }

    fn del(k: &str, end: &str) -> RequestOp {
        RequestOp::DeleteRange(DeleteRangeRequest { key: k.into(), range_end: end.into(), prev_kv: true })
    }

    fn cmp(k: &str, target: CompareTarget, result: CompareResult) -> Compare {
        Compare { result, target, key: k.into(), range_end: Vec::new() }
    }

    fn run(s: &mut Store, l: &mut Lessor, t: &TxnRequest) -> TxnResponse {
        check(t).expect("valid txn");
        match apply(s, l, t) {
            Ok(Response::Txn(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    fn seeded() -> (Store, Lessor) {
        let (mut s, mut l) = (Store::new(), Lessor::default());
        run(&mut s, &mut l, &TxnRequest { success: vec![put("a", "1"), put("b", "2")], ..Default::default() });
        run(&mut s, &mut l, &TxnRequest { success: vec![put("a", "3")], ..Default::default() });
        (s, l)
    }

    #[test]
    fn compares_as_etcd() {
        use CompareResult::*;
        use CompareTarget::*;
        let (s, _) = seeded();
        // a: create 2, mod 3, version 2, value "3"; b: create 2, mod 2, version 1.
        assert!(compare_holds(&s, &cmp("a", Version(2), Equal)));
        assert!(compare_holds(&s, &cmp("a", Mod(2), Greater)));
        assert!(compare_holds(&s, &cmp("a", Create(3), Less)));
        assert!(compare_holds(&s, &cmp("a", Value(b"3".to_vec()), Equal)));
        assert!(compare_holds(&s, &cmp("a", Value(b"2".to_vec()), Greater)));
        assert!(compare_holds(&s, &cmp("a", Lease(0), Equal)));
        assert!(!compare_holds(&s, &cmp("a", Version(2), NotEqual)));
        // A missing key is a zero key-value, but never equals (or differs from) any value.
        assert!(compare_holds(&s, &cmp("nokey", Create(0), Equal)));
        assert!(compare_holds(&s, &cmp("nokey", Version(1), Less)));
        assert!(!compare_holds(&s, &cmp("nokey", Value(Vec::new()), Equal)));
        assert!(!compare_holds(&s, &cmp("nokey", Value(b"x".to_vec()), NotEqual)));
        // A range holds only if every key in it does.
        let mut all = cmp("a", Mod(2), Greater);
        all.range_end = b"c".to_vec();
        assert!(!compare_holds(&s, &all));
        all.target = Create(2);
        all.result = Equal;
        assert!(compare_holds(&s, &all));
        all.range_end = vec![0];
        assert!(compare_holds(&s, &all));
    }

    #[test]
    fn one_revision_per_txn_and_reads_see_earlier_writes() {
        let (mut s, mut l) = seeded();
        assert_eq!(s.current_rev(), 3);
        let t = TxnRequest {
            compare: vec![cmp("a", CompareTarget::Value(b"3".to_vec()), CompareResult::Equal)],
            success: vec![get("a"), put("a", "4"), put("c", "5"), get("a"), del("b", ""), del("zz", "")],
            failure: vec![put("a", "never")],
        };
        let r = run(&mut s, &mut l, &t);
        assert!(r.succeeded);
        assert_eq!(r.header.revision, 4, "all writes share one revision");
        assert_eq!(s.current_rev(), 4);
        let revs: Vec<i64> = r
            .responses
            .iter()
            .map(|op| match op {
                ResponseOp::Range(x) => x.header.revision,
                ResponseOp::Put(x) => x.header.revision,
                ResponseOp::DeleteRange(x) => x.header.revision,
            })
            .collect();
        assert_eq!(revs, vec![3, 4, 4, 4, 4, 4]);
        let ResponseOp::Range(first) = &r.responses[0] else { panic!() };
        let ResponseOp::Range(later) = &r.responses[3] else { panic!() };
        assert_eq!(first.kvs[0].value, b"3");
        assert_eq!((later.kvs[0].value.as_slice(), later.kvs[0].mod_revision, later.kvs[0].version), (&b"4"[..], 4, 3));
        let ResponseOp::DeleteRange(d) = &r.responses[4] else { panic!() };
        assert_eq!((d.deleted, d.prev_kvs[0].value.as_slice()), (1, &b"2"[..]));
        // The failure branch of a failing txn that only reads keeps the revision.
        let t = TxnRequest {
            compare: vec![cmp("a", CompareTarget::Version(1), CompareResult::Equal)],
            success: vec![put("a", "x")],
            failure: vec![get("a")],
        };
        let r = run(&mut s, &mut l, &t);
        assert!(!r.succeeded);
        assert_eq!((r.header.revision, s.current_rev()), (4, 4));
    }

    #[test]
    fn duplicate_keys_and_too_many_ops() {
        let dup = |ops: Vec<RequestOp>| check(&TxnRequest { success: ops, ..Default::default() });
        assert_eq!(dup(vec![put("a", "1"), put("a", "2")]), Err(ServerError::DuplicateKey));
        assert_eq!(dup(vec![del("a", ""), put("a", "2")]), Err(ServerError::DuplicateKey));
        assert_eq!(dup(vec![put("b", "2"), del("a", "c")]), Err(ServerError::DuplicateKey));
        assert_eq!(dup(vec![put("a", "1"), put("b", "2"), del("c", ""), del("c", "")]), Ok(()));
        assert_eq!(dup(vec![get("a"), put("a", "2"), get("a")]), Ok(()));
        // etcd 3.4 compares a from-key delete as the empty interval [key, "\0").
        assert_eq!(dup(vec![del("a", "\0"), put("b", "2")]), Ok(()));
        // The two branches are checked separately.
        let t = TxnRequest { success: vec![put("a", "1")], failure: vec![put("a", "2")], ..Default::default() };
        assert_eq!(check(&t), Ok(()));
        let many = |n: usize| (0..n).map(|i| put(&format!("k{i}"), "v")).collect::<Vec<_>>();
        assert_eq!(dup(many(128)), Ok(()));
        assert_eq!(dup(many(129)), Err(ServerError::TooManyOps));
        let t = TxnRequest { failure: many(129), ..Default::default() };
        assert_eq!(check(&t), Err(ServerError::TooManyOps));
        let cmps = (0..129).map(|i| cmp(&format!("k{i}"), CompareTarget::Version(0), CompareResult::Equal)).collect();
        assert_eq!(check(&TxnRequest { compare: cmps, ..Default::default() }), Err(ServerError::TooManyOps));
        let empty = cmp("", CompareTarget::Version(0), CompareResult::Equal);
        assert_eq!(check(&TxnRequest { compare: vec![empty], ..Default::default() }), Err(ServerError::KeyNotProvided));
        assert_eq!(dup(vec![put("", "v")]), Err(ServerError::KeyNotProvided));
    }

    #[test]
    fn failed_checks_write_nothing() {
        let (mut s, mut l) = seeded();
        let ignore = RequestOp::Put(PutRequest { key: b"nokey".to_vec(), ignore_value: true, ..Default::default() });
        let t = TxnRequest { success: vec![put("x", "1"), ignore], ..Default::default() };
        assert_eq!(apply(&mut s, &mut l, &t), Err(ServerError::KeyNotFound));
        let leased = RequestOp::Put(PutRequest { key: b"y".to_vec(), lease: 7, ..Default::default() });
        let t = TxnRequest { success: vec![put("x", "1"), leased], ..Default::default() };
        assert_eq!(apply(&mut s, &mut l, &t), Err(ServerError::LeaseNotFound));
        let future = RequestOp::Range(RangeRequest { key: b"a".to_vec(), revision: 99, ..Default::default() });
        let t = TxnRequest { success: vec![put("x", "1"), future], ..Default::default() };
        assert_eq!(apply(&mut s, &mut l, &t), Err(ServerError::FutureRev));
        let ignore = RequestOp::Put(PutRequest { key: b"b".to_vec(), ignore_value: true, ..Default::default() });
        let t = TxnRequest { success: vec![del("a", "\0"), ignore], ..Default::default() };
        assert_eq!(apply(&mut s, &mut l, &t), Err(ServerError::KeyNotFound));
        assert_eq!((s.current_rev(), s.key_count()), (3, 2));
        // A read at a past revision inside a writing txn.
        let past = RequestOp::Range(RangeRequest { key: b"a".to_vec(), revision: 2, ..Default::default() });
        let r = run(&mut s, &mut l, &TxnRequest { success: vec![put("a", "9"), past], ..Default::default() });
        let ResponseOp::Range(p) = &r.responses[1] else { panic!() };
        assert_eq!((p.kvs[0].value.as_slice(), p.header.revision), (&b"1"[..], 4));
    }

    #[test]
    fn leases_follow_txn_writes() {
        let (mut s, mut l) = (Store::new(), Lessor::default());
        l.grant(5, 60, 0);
        let leased = RequestOp::Put(PutRequest { key: b"k".to_vec(), lease: 5, ..Default::default() });
        run(&mut s, &mut l, &TxnRequest { success: vec![leased, put("j", "v")], ..Default::default() });
        assert!(l.get(5).unwrap().keys.contains(b"k".as_slice()));
        run(&mut s, &mut l, &TxnRequest { success: vec![del("k", "")], ..Default::default() });
        assert!(l.get(5).unwrap().keys.is_empty());
    }
}
