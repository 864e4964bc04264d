//! Random client workloads: several clients, each with one request in flight at a time (together they
//! pipeline through `World::submit`/`take_answer`), some pinned to one member, some talking to any running
//! member. Operations: put, linearizable and serializable get, delete, multi-key txn, compare-and-swap on
//! mod_revision, put with a lease, lease grant and revoke, compaction. Values are unique numbers, so a
//! value read names the write that made it.

use super::history::KeyOp;
use crate::linearizability::{KvOp, Operation};
use crate::playground::World;
use crate::rng::SimRng;
use crate::server::api::*;
use std::collections::BTreeMap;

/// Keys checked for linearizability.
pub const KEYS: usize = 6;
/// Keys written with leases (a revoke deletes them without a client delete): watched and hashed only.
pub const LEASE_KEYS: usize = 3;
/// How long a client waits for an answer (then the outcome of a write is unknown).
pub const TIMEOUT_MS: u64 = 3_000;

pub fn key(i: usize) -> Vec<u8> {
    format!("k{i}").into_bytes()
}

fn lease_key(i: usize) -> Vec<u8> {
    format!("l/{i}").into_bytes()
}

/// A read's result: the value ID and its mod revision, or absent.
pub type Read = Option<(u64, i64)>;

/// What a pending request was, to interpret its answer.
#[derive(Clone, Debug)]
enum Pending {
    Get {
        key: Vec<u8>,
        serializable: bool,
    },
    Put {
        key: Vec<u8>,
        value: u64,
    },
    Delete {
        key: Vec<u8>,
    },
    /// Puts (Some value) and deletes (None) of a multi-key txn.
    Multi {
        writes: Vec<(Vec<u8>, Option<u64>)>,
    },
    Cas {
        key: Vec<u8>,
        expect: i64,
        value: u64,
    },
    LeasePut,
    Grant,
    Revoke {
        id: i64,
    },
    Compact,
}

struct Client {
    pinned: Option<usize>,
    next_ms: u64,
    inflight: Option<(u64, u64, Pending)>,
    /// The last mod revision this client saw per key (what a CAS compares against).
    seen_rev: BTreeMap<Vec<u8>, i64>,
}

pub struct Workload {
    clients: Vec<Client>,
    next_value: u64,
    leases: Vec<i64>,
    max_rev: i64,
    pub history: Vec<KeyOp>,
    /// Serializable reads: (key, value read and its mod revision).
    /// Serializable reads: key, result, and when the read returned.
    pub serializable: Vec<(Vec<u8>, Read, u64)>,
    pub counts: BTreeMap<&'static str, u64>,
    pub answered: u64,
    pub failed: u64,
    pub timed_out: u64,
}

fn value_of(kv: &crate::mvcc::KeyValue) -> (u64, i64) {
    let v = std::str::from_utf8(&kv.value).ok().and_then(|s| s.parse().ok()).unwrap_or(u64::MAX);
    (v, kv.mod_revision)
}

impl Workload {
    pub fn new(rng: &mut SimRng, clients: usize, members: usize, now: u64) -> Workload {
        let clients = (0..clients)
            .map(|c| Client {
                pinned: (c % 2 == 0).then(|| rng.range(0, members as u64) as usize),
                next_ms: now + rng.range(0, 200),
                inflight: None,
                seen_rev: BTreeMap::new(),
            })
            .collect();
        Workload {
            clients,
            next_value: 1,
            leases: Vec::new(),
            max_rev: 1,
            history: Vec::new(),
            serializable: Vec::new(),
            counts: BTreeMap::new(),
            answered: 0,
            failed: 0,
            timed_out: 0,
        }
    }

    /// When a client next needs the clock (to send, or to give up waiting).
    pub fn next_ms(&self, sending: bool) -> u64 {
        self.clients
            .iter()
            .map(|c| match &c.inflight {
                Some((_, at, _)) => at + TIMEOUT_MS,
                None if sending => c.next_ms,
                None => u64::MAX,
            })
            .min()
            .unwrap_or(u64::MAX)
    }

    pub fn pending(&self) -> usize {
        self.clients.iter().filter(|c| c.inflight.is_some()).count()
    }

    /// Sends the requests that are due; `sending` false only collects answers and timeouts.
    pub fn step(&mut self, rng: &mut SimRng, world: &mut World, sending: bool) {
        let now = world.now_ms();
        for c in 0..self.clients.len() {
            if let Some((id, at, _)) = &self.clients[c].inflight {
                let (id, at) = (*id, *at);
                if let Some(result) = world.take_answer(id) {
                    let (_, _, p) = self.clients[c].inflight.take().expect("in flight");
                    self.record(c, at, Some(now), p, Some(result));
                    self.clients[c].next_ms = now + rng.range(0, 60);
                } else if now >= at + TIMEOUT_MS {
                    let (_, _, p) = self.clients[c].inflight.take().expect("in flight");
                    self.timed_out += 1;
                    self.record(c, at, None, p, None);
                    self.clients[c].next_ms = now + rng.range(0, 60);
                }
            }
            if sending && self.clients[c].inflight.is_none() && self.clients[c].next_ms <= now {
                self.send(c, rng, world);
            }
        }
    }

    fn fresh(&mut self) -> u64 {
        self.next_value += 1;
        self.next_value - 1
    }

    fn send(&mut self, c: usize, rng: &mut SimRng, world: &mut World) {
        let n = world.members().len();
        let member = self.clients[c].pinned.unwrap_or_else(|| {
            let up: Vec<usize> = (0..n).filter(|&i| world.node(i).is_up()).collect();
            if up.is_empty() {
                0
            } else {
                up[rng.range(0, up.len() as u64) as usize]
            }
        });
        let k = key(rng.range(0, KEYS as u64) as usize);
        let (name, request, pending) = match rng.range(0, 100) {
            0..=24 => {
                let value = self.fresh();
                let r = Request::Put(PutRequest {
                    key: k.clone(),
                    value: value.to_string().into_bytes(),
                    ..Default::default()
                });
                ("put", r, Pending::Put { key: k, value })
            }
            25..=44 => {
                let r = Request::Range(RangeRequest { key: k.clone(), ..Default::default() });
                ("get", r, Pending::Get { key: k, serializable: false })
            }
            45..=52 => {
                let r = Request::Range(RangeRequest { key: k.clone(), serializable: true, ..Default::default() });
                ("get-serializable", r, Pending::Get { key: k, serializable: true })
            }
            53..=59 => {
                let r = Request::DeleteRange(DeleteRangeRequest { key: k.clone(), ..Default::default() });
                ("delete", r, Pending::Delete { key: k })
            }
            60..=69 => {
                let count = rng.range(2, 4) as usize;
                let first = rng.range(0, KEYS as u64) as usize;
                let mut writes = Vec::new();
                let mut ops = Vec::new();
                for j in 0..count {
                    let k = key((first + j) % KEYS);
                    if rng.chance(0.2) {
                        ops.push(RequestOp::DeleteRange(DeleteRangeRequest { key: k.clone(), ..Default::default() }));
                        writes.push((k, None));
                    } else {
                        let value = self.fresh();
                        let v = value.to_string().into_bytes();
                        ops.push(RequestOp::Put(PutRequest { key: k.clone(), value: v, ..Default::default() }));
                        writes.push((k, Some(value)));
                    }
                }
                let r = Request::Txn(TxnRequest { compare: vec![], success: ops, failure: vec![] });
                ("txn", r, Pending::Multi { writes })
            }
            70..=81 => {
                let expect = self.clients[c].seen_rev.get(&k).copied().unwrap_or(0);
                let value = self.fresh();
                let compare = Compare {
                    result: CompareResult::Equal,
                    target: CompareTarget::Mod(expect),
                    key: k.clone(),
                    range_end: vec![],
                };
                let put = PutRequest { key: k.clone(), value: value.to_string().into_bytes(), ..Default::default() };
                let get = RangeRequest { key: k.clone(), ..Default::default() };
                let r = Request::Txn(TxnRequest {
                    compare: vec![compare],
                    success: vec![RequestOp::Put(put)],
                    failure: vec![RequestOp::Range(get)],
                });
                ("cas", r, Pending::Cas { key: k, expect, value })
            }
            82..=88 if !self.leases.is_empty() => {
                let lease = self.leases[rng.range(0, self.leases.len() as u64) as usize];
                let value = self.fresh();
                let k = lease_key(rng.range(0, LEASE_KEYS as u64) as usize);
                let r = Request::Put(PutRequest {
                    key: k,
                    value: value.to_string().into_bytes(),
                    lease,
                    ..Default::default()
                });
                ("put-with-lease", r, Pending::LeasePut)
            }
            82..=91 => ("lease-grant", Request::LeaseGrant { id: 0, ttl_s: 600 }, Pending::Grant),
            92..=95 if !self.leases.is_empty() => {
                let id = self.leases.remove(rng.range(0, self.leases.len() as u64) as usize);
                ("lease-revoke", Request::LeaseRevoke { id }, Pending::Revoke { id })
            }
            _ => {
                let back = rng.range(1, 30) as i64;
                let revision = (self.max_rev - back).max(1);
                ("compact", Request::Compaction { revision, physical: false }, Pending::Compact)
            }
        };
        *self.counts.entry(name).or_default() += 1;
        let now = world.now_ms();
        match world.submit(member, request) {
            Ok(id) => self.clients[c].inflight = Some((id, now, pending)),
            Err(_) => {
                self.failed += 1;
                self.clients[c].next_ms = now + 50;
            }
        }
    }

    fn push(&mut self, key: Vec<u8>, call: u64, ret: Option<u64>, op: KvOp) {
        self.history.push(KeyOp { key, op: Operation { call, ret, op } });
    }

    fn record(&mut self, c: usize, call: u64, ret: Option<u64>, p: Pending, result: Option<ServerResult>) {
        let result = match result {
            Some(Ok(r)) => {
                self.answered += 1;
                Some(r)
            }
            Some(Err(_)) => {
                self.failed += 1;
                None
            }
            None => None,
        };
        if let Some(r) = &result {
            let mut r = r.clone();
            self.max_rev = self.max_rev.max(r.header_mut().revision);
        }
        // A write whose answer is an error or never came may or may not have happened: it returns at
        // infinity. A read without an answer tells nothing.
        let ret = if result.is_some() { ret } else { None };
        match (p, result) {
            (Pending::Get { key, serializable }, Some(Response::Range(r))) => {
                let out = r.kvs.first().map(value_of);
                if let Some((_, rev)) = out {
                    self.clients[c].seen_rev.insert(key.clone(), rev);
                }
                if serializable {
                    self.serializable.push((key, out, ret.unwrap_or(call)));
                } else {
                    self.push(key, call, ret, KvOp::Get { out });
                }
            }
            (Pending::Get { .. }, _) => {}
            (Pending::Put { key, value }, Some(Response::Put(r))) => {
                self.clients[c].seen_rev.insert(key.clone(), r.header.revision);
                self.push(key, call, ret, KvOp::Put { value, rev: Some(r.header.revision) })
            }
            (Pending::Put { key, value }, _) => self.push(key, call, None, KvOp::Put { value, rev: None }),
            (Pending::Delete { key }, Some(Response::DeleteRange(r))) => {
                self.push(key, call, ret, KvOp::Delete { out: Some((r.deleted, r.header.revision)) })
            }
            (Pending::Delete { key }, _) => self.push(key, call, None, KvOp::Delete { out: None }),
            (Pending::Multi { writes }, Some(Response::Txn(t))) => {
                let rev = t.header.revision;
                for ((key, w), resp) in writes.into_iter().zip(t.responses) {
                    let op = match (w, resp) {
                        (Some(value), _) => KvOp::Put { value, rev: Some(rev) },
                        (None, ResponseOp::DeleteRange(d)) => KvOp::Delete { out: Some((d.deleted, rev)) },
                        (None, _) => KvOp::Delete { out: None },
                    };
                    self.push(key, call, ret, op);
                }
            }
            (Pending::Multi { writes }, _) => {
                for (key, w) in writes {
                    let op = match w {
                        Some(value) => KvOp::Put { value, rev: None },
                        None => KvOp::Delete { out: None },
                    };
                    self.push(key, call, None, op);
                }
            }
            (Pending::Cas { key, expect, value }, Some(Response::Txn(t))) => {
                let out = if t.succeeded {
                    self.clients[c].seen_rev.insert(key.clone(), t.header.revision);
                    Ok(t.header.revision)
                } else {
                    let got = match t.responses.first() {
                        Some(ResponseOp::Range(r)) => r.kvs.first().map(value_of),
                        _ => None,
                    };
                    self.clients[c].seen_rev.insert(key.clone(), got.map_or(0, |(_, r)| r));
                    Err(got)
                };
                self.push(key, call, ret, KvOp::Cas { expect, value, out: Some(out) });
            }
            (Pending::Cas { key, expect, value }, _) => {
                self.push(key, call, None, KvOp::Cas { expect, value, out: None })
            }
            (Pending::Grant, Some(Response::LeaseGrant { id, .. })) => self.leases.push(id),
            (Pending::Revoke { id }, None) => self.leases.push(id),
            _ => {}
        }
    }
}
