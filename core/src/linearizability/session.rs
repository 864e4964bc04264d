//! The visitor's own session, checked the way the robustness runs check theirs: every single-key get, put
//! and delete a client sent (from the console, a lesson or a script), with when it was called and when it
//! returned, goes through the same linearizability checker. etcd's guarantee is that this history is
//! linearizable; the unsafe mode (reads without ReadIndex) shows a history that is not.
//!
//! Keys whose writes the per-key model cannot follow (written in a txn, with a lease, by a range delete)
//! are left out and named, rather than risk a false alarm.

use super::{check, KvModel, KvOp, Operation, Verdict};
use crate::server::api::{Request, Response, ServerResult};
use crate::server::txn::RequestOp;
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// Operations recorded at most; later ones are not recorded (the check says so).
pub const MAX_OPS: usize = 5_000;

/// Search steps per key before the check calls a key inconclusive: enough for a long console session,
/// small enough to run in a frame.
const BUDGET: u64 = 200_000;

/// One recorded operation.
#[derive(Clone, Debug)]
struct SessionOp {
    key: Vec<u8>,
    member: String,
    call_ms: u64,
    ret_ms: Option<u64>,
    /// Order of the call and the return among everything recorded: within one simulated millisecond a
    /// return recorded before a call still happened before it, which milliseconds alone would lose.
    call_seq: u64,
    ret_seq: Option<u64>,
    op: KvOp,
    /// A read that failed tells nothing and is not checked.
    discarded: bool,
}

/// What clients sent and got, since the cluster booted (or a restored cluster replaced it).
#[derive(Clone, Debug, Default)]
pub struct SessionHistory {
    ops: Vec<SessionOp>,
    /// Unanswered requests: request ID to the index of their operation.
    pending: BTreeMap<u64, usize>,
    /// Values as small numbers for the model, and back for the description.
    values: BTreeMap<Vec<u8>, u64>,
    names: Vec<Vec<u8>>,
    /// Keys a txn or a leased put wrote, by [`digest`]: the model cannot follow them. A Kubernetes load
    /// writes 100k keys in txns; as digests, a checkpoint's copy of them is one block, not 100k
    /// allocations (12-18 ms natively, the largest part of copying such a world).
    unmodelled: HashSet<u64, BuildHasherDefault<DefaultHasher>>,
    /// Ranges a range delete touched: every key in them is left out.
    deleted_ranges: Vec<(Vec<u8>, Vec<u8>)>,
    /// Calls and returns recorded so far: the checker's clock.
    seq: u64,
    /// Requests not recorded because [`MAX_OPS`] was reached.
    pub overflow: usize,
    /// When recording (re)started, in simulated ms.
    pub since_ms: u64,
}

/// A key's 64-bit digest: two keys share one with odds of about 2^-64, and that would only leave a key
/// out of the check, never fail it.
fn digest(key: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    h.write(key);
    h.finish()
}

/// The verdict on a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionVerdict {
    Linearizable,
    /// The search ran out of steps on this key: neither proven nor refuted.
    Inconclusive {
        key: String,
    },
    /// No order of the key's operations explains what the clients saw; `ops` is a smallest set of them
    /// that already cannot be ordered, in call order, as sentences.
    NotLinearizable {
        key: String,
        ops: Vec<String>,
    },
}

/// The check's result, for the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionCheck {
    pub operations: usize,
    pub keys: usize,
    /// Keys left out, and why.
    pub skipped: Vec<(String, &'static str)>,
    pub overflow: usize,
    pub verdict: SessionVerdict,
}

impl SessionCheck {
    /// The verdict as one line, e.g. "history linearizable: yes (12 operations on 4 keys)".
    pub fn verdict_line(&self) -> String {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        let counted = format!(
            "{} operation{} on {} key{}",
            self.operations,
            plural(self.operations),
            self.keys,
            plural(self.keys)
        );
        match &self.verdict {
            SessionVerdict::Linearizable => format!("history linearizable: yes ({counted})"),
            SessionVerdict::Inconclusive { key } => {
                format!("history linearizable: not decided for key {key} (the search gave up; {counted})")
            }
            SessionVerdict::NotLinearizable { key, .. } => format!("history linearizable: NO, key {key} ({counted})"),
        }
    }
}

impl SessionHistory {
    /// Starts over (a restored cluster with a keyspace of its own replaced the running one).
    pub fn restart(&mut self, now_ms: u64) {
        *self = SessionHistory { since_ms: now_ms, ..SessionHistory::default() };
    }

    /// Operations recorded so far (including unanswered ones).
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Changes whenever a call or a return is recorded: a view re-runs the check only then.
    pub fn version(&self) -> u64 {
        self.seq
    }

    /// Records request `id`, sent to `member` at `now_ms`.
    pub fn called(&mut self, id: u64, member: &str, request: &Request, now_ms: u64) {
        let Some((key, op)) = self.operation(request) else { return };
        if self.ops.len() >= MAX_OPS {
            self.overflow += 1;
            return;
        }
        self.pending.insert(id, self.ops.len());
        let member = member.to_string();
        self.seq += 1;
        let (call_ms, call_seq) = (now_ms, self.seq);
        self.ops.push(SessionOp { key, member, call_ms, ret_ms: None, call_seq, ret_seq: None, op, discarded: false });
    }

    /// The single-key operation `request` is, if the model covers it; otherwise notes what it leaves out.
    fn operation(&mut self, request: &Request) -> Option<(Vec<u8>, KvOp)> {
        match request {
            Request::Range(r) if r.range_end.is_empty() && r.revision == 0 && !r.serializable => {
                (!r.count_only && !r.keys_only).then(|| (r.key.clone(), KvOp::Get { out: None }))
            }
            Request::Put(p) if p.lease != 0 || p.ignore_value || p.ignore_lease => {
                self.unmodelled.insert(digest(&p.key));
                None
            }
            Request::Put(p) => Some((p.key.clone(), KvOp::Put { value: self.value_id(&p.value), rev: None })),
            Request::DeleteRange(d) if d.range_end.is_empty() => Some((d.key.clone(), KvOp::Delete { out: None })),
            Request::DeleteRange(d) => {
                self.deleted_ranges.push((d.key.clone(), d.range_end.clone()));
                None
            }
            Request::Txn(t) => {
                for op in t.success.iter().chain(&t.failure) {
                    self.note_txn_write(op);
                }
                None
            }
            _ => None,
        }
    }

    fn note_txn_write(&mut self, op: &RequestOp) {
        match op {
            RequestOp::Put(p) => {
                self.unmodelled.insert(digest(&p.key));
            }
            RequestOp::DeleteRange(d) if d.range_end.is_empty() => {
                self.unmodelled.insert(digest(&d.key));
            }
            RequestOp::DeleteRange(d) => self.deleted_ranges.push((d.key.clone(), d.range_end.clone())),
            RequestOp::Range(_) => {}
        }
    }

    fn value_id(&mut self, value: &[u8]) -> u64 {
        if let Some(&id) = self.values.get(value) {
            return id;
        }
        let id = self.names.len() as u64;
        self.values.insert(value.to_vec(), id);
        self.names.push(value.to_vec());
        id
    }

    /// Records the answer to request `id` at `now_ms`. A write that failed may still have happened, so it
    /// stays unanswered (its outcome unknown); a read that failed is dropped.
    pub fn answered(&mut self, id: u64, result: &ServerResult, now_ms: u64) {
        let Some(i) = self.pending.remove(&id) else { return };
        let ok = match result {
            Ok(r) => self.outcome(i, r),
            Err(_) => false,
        };
        self.seq += 1;
        let op = &mut self.ops[i];
        if ok {
            op.ret_ms = Some(now_ms);
            op.ret_seq = Some(self.seq);
        } else if matches!(op.op, KvOp::Get { .. }) {
            op.discarded = true;
        }
    }

    /// Fills in what operation `i` saw; false when the answer does not fit it.
    fn outcome(&mut self, i: usize, response: &Response) -> bool {
        let seen = match response {
            Response::Range(r) => r.kvs.first().map(|kv| (kv.value.clone(), kv.mod_revision)),
            _ => None,
        };
        let seen = seen.map(|(v, rev)| (self.value_id(&v), rev));
        match (&mut self.ops[i].op, response) {
            (KvOp::Get { out }, Response::Range(_)) => *out = seen,
            (KvOp::Put { rev, .. }, Response::Put(p)) => *rev = Some(p.header.revision),
            (KvOp::Delete { out }, Response::DeleteRange(d)) => *out = Some((d.deleted, d.header.revision)),
            _ => return false,
        }
        true
    }

    /// Why `key` is left out of the check, if it is.
    fn skipped(&self, key: &[u8]) -> Option<&'static str> {
        if self.unmodelled.contains(&digest(key)) {
            return Some("written in a txn or with a lease");
        }
        let in_range = |(start, end): &(Vec<u8>, Vec<u8>)| {
            key >= start.as_slice() && (end.as_slice() == b"\0" || key < end.as_slice())
        };
        self.deleted_ranges.iter().any(in_range).then_some("deleted by a range delete")
    }

    /// Runs the checker over every modelled key.
    pub fn check(&self) -> SessionCheck {
        let mut per_key: BTreeMap<&[u8], Vec<usize>> = BTreeMap::new();
        let mut skipped = BTreeMap::new();
        for (i, op) in self.ops.iter().enumerate().filter(|(_, o)| !o.discarded) {
            match self.skipped(&op.key) {
                Some(why) => {
                    skipped.insert(String::from_utf8_lossy(&op.key).into_owned(), why);
                }
                None => per_key.entry(&op.key).or_default().push(i),
            }
        }
        let operations = per_key.values().map(Vec::len).sum();
        let keys = per_key.len();
        let mut verdict = SessionVerdict::Linearizable;
        for (key, ops) in per_key {
            match check(&KvModel, &self.history_of(&ops), BUDGET) {
                Verdict::Linearizable => {}
                Verdict::Inconclusive => {
                    verdict = SessionVerdict::Inconclusive { key: String::from_utf8_lossy(key).into_owned() };
                }
                Verdict::NotLinearizable => {
                    let key = String::from_utf8_lossy(key).into_owned();
                    let ops = self.smallest_violation(ops).into_iter().map(|i| self.describe(i)).collect();
                    verdict = SessionVerdict::NotLinearizable { key, ops };
                    break;
                }
            }
        }
        SessionCheck { operations, keys, skipped: skipped.into_iter().collect(), overflow: self.overflow, verdict }
    }

    /// Whether every value the gets among `ops` returned was written by a put among them.
    fn explained(&self, ops: &[usize]) -> bool {
        let written: BTreeSet<u64> = ops
            .iter()
            .filter_map(|&i| match self.ops[i].op {
                KvOp::Put { value, .. } => Some(value),
                _ => None,
            })
            .collect();
        ops.iter().all(|&i| match self.ops[i].op {
            KvOp::Get { out: Some((v, _)) } => written.contains(&v),
            _ => true,
        })
    }

    fn history_of(&self, ops: &[usize]) -> Vec<Operation<KvOp>> {
        ops.iter()
            .map(|&i| {
                let o = &self.ops[i];
                Operation { call: o.call_seq, ret: o.ret_seq, op: o.op.clone() }
            })
            .collect()
    }

    /// Drops operations one at a time while the rest still cannot be ordered and every value a get saw
    /// is still written by a put among them: what remains is what a reader needs to see the contradiction.
    fn smallest_violation(&self, mut ops: Vec<usize>) -> Vec<usize> {
        let mut i = 0;
        while i < ops.len() {
            let mut fewer = ops.clone();
            fewer.remove(i);
            if self.explained(&fewer) && check(&KvModel, &self.history_of(&fewer), BUDGET) == Verdict::NotLinearizable {
                ops = fewer;
            } else {
                i += 1;
            }
        }
        ops
    }

    /// Operation `i` as a sentence: "0:12.300-0:12.320 etcd2: put foo = bar, written at revision 5".
    fn describe(&self, i: usize) -> String {
        let o = &self.ops[i];
        let key = String::from_utf8_lossy(&o.key);
        let value = |id: u64| String::from_utf8_lossy(&self.names[id as usize]).into_owned();
        let what = match &o.op {
            KvOp::Get { out: Some((v, rev)) } => format!("get {key} returned {} (mod revision {rev})", value(*v)),
            KvOp::Get { out: None } => format!("get {key} found no key"),
            KvOp::Put { value: v, rev: Some(rev) } => format!("put {key} = {}, written at revision {rev}", value(*v)),
            KvOp::Put { value: v, rev: None } => format!("put {key} = {}, outcome unknown", value(*v)),
            KvOp::Delete { out: Some((n, rev)) } => format!("del {key} deleted {n} at revision {rev}"),
            KvOp::Delete { out: None } => format!("del {key}, outcome unknown"),
            KvOp::Cas { .. } => format!("txn on {key}"),
        };
        let ret = o.ret_ms.map_or("?".to_string(), clock);
        format!("{}-{} {}: {what}", clock(o.call_ms), ret, o.member)
    }
}

/// Simulated time as the page's clock shows it, m:ss.mmm.
fn clock(ms: u64) -> String {
    format!("{}:{:02}.{:03}", ms / 60_000, ms / 1_000 % 60, ms % 1_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mvcc::KeyValue;
    use crate::server::api::{PutRequest, PutResponse, RangeRequest, RangeResponse, ResponseHeader};

    fn call_put(h: &mut SessionHistory, id: u64, key: &str, value: &str) {
        let req = Request::Put(PutRequest { key: key.into(), value: value.into(), ..Default::default() });
        h.called(id, "etcd1", &req, id * 10);
    }

    fn answer_put(h: &mut SessionHistory, id: u64, rev: i64) {
        let header = ResponseHeader { revision: rev, ..Default::default() };
        h.answered(id, &Ok(Response::Put(PutResponse { header, ..Default::default() })), id * 10 + 5);
    }

    fn call_get(h: &mut SessionHistory, id: u64, key: &str) {
        h.called(id, "etcd3", &Request::Range(RangeRequest { key: key.into(), ..Default::default() }), id * 10);
    }

    fn answer_get(h: &mut SessionHistory, id: u64, key: &str, seen: Option<(&str, i64)>) {
        let kvs = seen
            .map(|(v, rev)| KeyValue { key: key.into(), value: v.into(), mod_revision: rev, ..Default::default() })
            .into_iter()
            .collect();
        h.answered(id, &Ok(Response::Range(RangeResponse { kvs, ..Default::default() })), id * 10 + 5);
    }

    fn put(h: &mut SessionHistory, id: u64, key: &str, value: &str, rev: i64) {
        call_put(h, id, key, value);
        answer_put(h, id, rev);
    }

    fn get(h: &mut SessionHistory, id: u64, key: &str, seen: Option<(&str, i64)>) {
        call_get(h, id, key);
        answer_get(h, id, key, seen);
    }

    #[test]
    fn a_read_after_a_write_must_see_it() {
        let mut h = SessionHistory::default();
        put(&mut h, 1, "k", "one", 2);
        put(&mut h, 2, "k", "two", 3);
        get(&mut h, 3, "k", Some(("two", 3)));
        assert_eq!(h.check().verdict, SessionVerdict::Linearizable);
        assert_eq!((h.check().operations, h.check().keys), (3, 1));

        get(&mut h, 4, "k", Some(("one", 2)));
        let SessionVerdict::NotLinearizable { key, ops } = h.check().verdict else { panic!("a stale read passed") };
        assert_eq!(key, "k");
        assert_eq!(ops.len(), 3, "both puts and the stale get: {ops:?}");
        assert_eq!(ops[2], "0:00.040-0:00.045 etcd3: get k returned one (mod revision 2)");
    }

    #[test]
    fn a_read_overlapping_the_write_may_see_either_value() {
        let mut h = SessionHistory::default();
        put(&mut h, 1, "k", "one", 2);
        call_put(&mut h, 2, "k", "two");
        get(&mut h, 3, "k", Some(("one", 2)));
        answer_put(&mut h, 2, 3);
        assert_eq!(h.check().verdict, SessionVerdict::Linearizable);
    }

    #[test]
    fn keys_written_with_leases_or_in_txns_are_left_out() {
        let mut h = SessionHistory::default();
        let leased = PutRequest { key: "l".into(), value: "v".into(), lease: 7, ..Default::default() };
        h.called(1, "etcd1", &Request::Put(leased), 0);
        get(&mut h, 2, "l", None);
        let c = h.check();
        assert_eq!(c.operations, 0);
        assert_eq!(c.skipped, vec![("l".to_string(), "written in a txn or with a lease")]);
    }

    #[test]
    fn a_failed_write_may_or_may_not_have_happened() {
        let mut h = SessionHistory::default();
        call_put(&mut h, 1, "k", "v");
        h.answered(1, &Err(crate::server::api::ServerError::DeadlineExceeded), 5_000);
        get(&mut h, 2, "k", Some(("v", 2)));
        get(&mut h, 3, "k", None);
        assert!(matches!(h.check().verdict, SessionVerdict::NotLinearizable { .. }), "seen, then gone");
        let mut h = SessionHistory::default();
        call_put(&mut h, 1, "k", "v");
        h.answered(1, &Err(crate::server::api::ServerError::DeadlineExceeded), 5_000);
        get(&mut h, 2, "k", None);
        get(&mut h, 3, "k", Some(("v", 2)));
        assert_eq!(h.check().verdict, SessionVerdict::Linearizable, "it happened late");
    }
}
