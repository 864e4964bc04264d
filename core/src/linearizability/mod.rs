//! A linearizability checker in the style of Wing & Gong with Lowe's memoization (the algorithm porcupine
//! implements): operations are calls and returns on a time line; the search linearizes a pending call
//! whenever the model accepts it, remembers every (set of linearized operations, model state) already
//! explored, and backtracks at a return whose call is not linearized yet. Non-deterministic models are
//! handled over sets of states. An operation whose outcome is unknown (the client timed out) returns at
//! infinity: it may be linearized anywhere after its call, or never (which is the same as last).

pub mod session;

use std::collections::{BTreeSet, HashSet};
use std::hash::Hash;

/// A sequential specification.
pub trait Model {
    type State: Clone + Ord + Hash;
    type Op;
    fn init(&self) -> Self::State;
    /// Every state the model may be in after `op` (with its recorded output) from `state`; empty when the
    /// output is impossible.
    fn step(&self, state: &Self::State, op: &Self::Op) -> Vec<Self::State>;
}

/// One operation of a history: called at `call`, answered at `ret` (None: never answered, outcome unknown).
#[derive(Clone, Debug)]
pub struct Operation<O> {
    pub call: u64,
    pub ret: Option<u64>,
    pub op: O,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Linearizable,
    NotLinearizable,
    /// The search gave up after its step budget.
    Inconclusive,
}

#[derive(Clone, Copy)]
struct Entry {
    op: usize,
    is_call: bool,
    /// For a call: the index of its return entry (None for an unknown outcome).
    ret: Option<usize>,
    prev: usize,
    next: usize,
}

const NIL: usize = usize::MAX;

/// Checks `history` against `model`, giving up after `budget` search steps.
pub fn check<M: Model>(model: &M, history: &[Operation<M::Op>], budget: u64) -> Verdict {
    // Events on the time line; a call sorts before a return at the same time (they overlap), and unknown
    // outcomes return after everything.
    let mut events: Vec<(u64, u8, usize, bool)> = Vec::new();
    for (i, o) in history.iter().enumerate() {
        events.push((o.call, 0, i, true));
        if let Some(r) = o.ret {
            events.push((r.max(o.call), 1, i, false));
        }
    }
    events.sort();
    // entries[0] is the head sentinel.
    let mut entries = vec![Entry { op: NIL, is_call: false, ret: None, prev: NIL, next: NIL }];
    let mut ret_of = vec![None; history.len()];
    for &(_, _, op, is_call) in &events {
        let idx = entries.len();
        entries.push(Entry { op, is_call, ret: None, prev: idx - 1, next: NIL });
        entries[idx - 1].next = idx;
        if !is_call {
            ret_of[op] = Some(idx);
        }
    }
    for e in entries.iter_mut().skip(1) {
        if e.is_call {
            e.ret = ret_of[e.op];
        }
    }
    let mut known_left = history.iter().filter(|o| o.ret.is_some()).count();
    let words = history.len().div_ceil(64).max(1);
    let mut bits = vec![0u64; words];
    let mut state: BTreeSet<M::State> = BTreeSet::from([model.init()]);
    let mut cache: HashSet<(Vec<u64>, BTreeSet<M::State>)> = HashSet::new();
    let mut stack: Vec<(usize, BTreeSet<M::State>)> = Vec::new();
    let mut steps = 0u64;

    fn unlink(entries: &mut [Entry], i: usize) {
        let (p, n) = (entries[i].prev, entries[i].next);
        entries[p].next = n;
        if n != NIL {
            entries[n].prev = p;
        }
    }
    fn relink(entries: &mut [Entry], i: usize) {
        let (p, n) = (entries[i].prev, entries[i].next);
        entries[p].next = i;
        if n != NIL {
            entries[n].prev = i;
        }
    }

    let mut entry = entries[0].next;
    loop {
        if known_left == 0 {
            return Verdict::Linearizable;
        }
        steps += 1;
        if steps > budget {
            return Verdict::Inconclusive;
        }
        if entry == NIL {
            // Only unknown outcomes remain unlinearized past every return: impossible while known ones are
            // left (their returns are in the list), but be safe.
            return Verdict::Linearizable;
        }
        let e = entries[entry];
        if e.is_call {
            let op = &history[e.op].op;
            let next: BTreeSet<M::State> = state.iter().flat_map(|s| model.step(s, op)).collect();
            if !next.is_empty() {
                let mut nbits = bits.clone();
                nbits[e.op / 64] |= 1 << (e.op % 64);
                if cache.insert((nbits.clone(), next.clone())) {
                    stack.push((entry, std::mem::replace(&mut state, next)));
                    bits = nbits;
                    unlink(&mut entries, entry);
                    if let Some(r) = e.ret {
                        unlink(&mut entries, r);
                        known_left -= 1;
                    }
                    entry = entries[0].next;
                    continue;
                }
            }
            entry = e.next;
        } else {
            let Some((top, old)) = stack.pop() else { return Verdict::NotLinearizable };
            state = old;
            let t = entries[top];
            bits[t.op / 64] &= !(1 << (t.op % 64));
            if let Some(r) = t.ret {
                relink(&mut entries, r);
                known_left += 1;
            }
            relink(&mut entries, top);
            entry = t.next;
        }
    }
}

/// A key's value as the KV model sees it: a value ID (every written value is unique) and the revision of
/// the last write known (None when an unknown-outcome write may have changed it at an unknown revision).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyState {
    pub value: Option<u64>,
    pub rev: Option<i64>,
}

/// Operations on one key. Outputs are `None` when the outcome is unknown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvOp {
    /// A linearizable get: the value and its mod revision, or absent.
    Get { out: Option<(u64, i64)> },
    /// A put and the revision it was written at.
    Put { value: u64, rev: Option<i64> },
    /// A delete: (deleted count, revision of the answer).
    Delete { out: Option<(i64, i64)> },
    /// `txn: mod_revision(key) == expect ? put(value) : get`: Ok(revision) or Err(what the get saw).
    Cas { expect: i64, value: u64, out: Option<Result<i64, Option<(u64, i64)>>> },
}

/// The sequential specification of one etcd key.
pub struct KvModel;

fn newer(s: &KeyState, rev: i64) -> bool {
    s.rev.is_none_or(|p| rev > p)
}

fn reads(s: &KeyState, out: &Option<(u64, i64)>) -> Option<KeyState> {
    match out {
        None => s.value.is_none().then(|| s.clone()),
        Some((v, mr)) => (s.value == Some(*v) && s.rev.is_none_or(|r| r == *mr))
            .then_some(KeyState { value: Some(*v), rev: Some(*mr) }),
    }
}

impl Model for KvModel {
    type State = KeyState;
    type Op = KvOp;

    fn init(&self) -> KeyState {
        KeyState { value: None, rev: Some(0) }
    }

    fn step(&self, s: &KeyState, op: &KvOp) -> Vec<KeyState> {
        match op {
            KvOp::Get { out } => reads(s, out).into_iter().collect(),
            KvOp::Put { value, rev: Some(r) } if newer(s, *r) => {
                vec![KeyState { value: Some(*value), rev: Some(*r) }]
            }
            KvOp::Put { rev: Some(_), .. } => vec![],
            KvOp::Put { value, rev: None } => vec![KeyState { value: Some(*value), rev: None }],
            KvOp::Delete { out: Some((0, _)) } => s.value.is_none().then(|| s.clone()).into_iter().collect(),
            KvOp::Delete { out: Some((_, r)) } => (s.value.is_some() && newer(s, *r))
                .then_some(KeyState { value: None, rev: Some(*r) })
                .into_iter()
                .collect(),
            KvOp::Delete { out: None } => match s.value {
                None => vec![s.clone()],
                Some(_) => vec![KeyState { value: None, rev: None }],
            },
            KvOp::Cas { expect, value, out } => {
                // Whether the compare may hold / may fail in this state.
                let (may_hold, may_fail) = match (s.value, s.rev) {
                    (None, _) => (*expect == 0, *expect != 0),
                    (Some(_), _) if *expect == 0 => (false, true),
                    (Some(_), Some(r)) => (r == *expect, r != *expect),
                    (Some(_), None) => (true, true),
                };
                let applied = |rev: Option<i64>| KeyState { value: Some(*value), rev };
                let mut next = Vec::new();
                match out {
                    Some(Ok(r)) => {
                        if may_hold && newer(s, *r) {
                            next.push(applied(Some(*r)));
                        }
                    }
                    Some(Err(got)) => {
                        if may_fail {
                            next.extend(reads(s, got));
                        }
                    }
                    None => {
                        if may_hold {
                            next.push(applied(None));
                        }
                        if may_fail {
                            next.push(s.clone());
                        }
                    }
                }
                next
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(call: u64, ret: u64, op: KvOp) -> Operation<KvOp> {
        Operation { call, ret: Some(ret), op }
    }

    fn put(value: u64, rev: i64) -> KvOp {
        KvOp::Put { value, rev: Some(rev) }
    }

    fn get(v: Option<(u64, i64)>) -> KvOp {
        KvOp::Get { out: v }
    }

    const B: u64 = 1_000_000;

    #[test]
    fn sequential_history_is_linearizable() {
        let h =
            vec![op(0, 1, put(1, 2)), op(2, 3, get(Some((1, 2)))), op(4, 5, put(2, 3)), op(6, 7, get(Some((2, 3))))];
        assert_eq!(check(&KvModel, &h, B), Verdict::Linearizable);
    }

    #[test]
    fn a_stale_read_after_a_newer_write_returned_is_rejected() {
        let h = vec![op(0, 1, put(1, 2)), op(2, 3, put(2, 3)), op(4, 5, get(Some((1, 2))))];
        assert_eq!(check(&KvModel, &h, B), Verdict::NotLinearizable);
    }

    #[test]
    fn concurrent_operations_may_be_ordered_either_way() {
        // The get overlaps the second put, so it may see either value.
        let h =
            vec![op(0, 1, put(1, 2)), op(2, 6, put(2, 3)), op(3, 4, get(Some((1, 2)))), op(5, 7, get(Some((2, 3))))];
        assert_eq!(check(&KvModel, &h, B), Verdict::Linearizable);
        // But once one read saw the new value, a later read cannot see the old one.
        let h =
            vec![op(0, 1, put(1, 2)), op(2, 9, put(2, 3)), op(3, 4, get(Some((2, 3)))), op(5, 6, get(Some((1, 2))))];
        assert_eq!(check(&KvModel, &h, B), Verdict::NotLinearizable);
    }

    #[test]
    fn revisions_must_grow_in_linearization_order() {
        let h = vec![op(0, 1, put(1, 5)), op(2, 3, put(2, 4))];
        assert_eq!(check(&KvModel, &h, B), Verdict::NotLinearizable);
    }

    #[test]
    fn an_unknown_write_may_take_effect_later_or_never() {
        let lost = Operation { call: 0, ret: None, op: KvOp::Put { value: 9, rev: None } };
        // Never seen: fine.
        let h = vec![lost.clone(), op(1, 2, get(None))];
        assert_eq!(check(&KvModel, &h, B), Verdict::Linearizable);
        // Seen much later, after a read that did not see it: fine (it applied in between).
        let h = vec![lost.clone(), op(1, 2, get(None)), op(10, 11, get(Some((9, 7))))];
        assert_eq!(check(&KvModel, &h, B), Verdict::Linearizable);
        // Seen, then not seen: impossible.
        let h = vec![lost, op(10, 11, get(Some((9, 7)))), op(12, 13, get(None))];
        assert_eq!(check(&KvModel, &h, B), Verdict::NotLinearizable);
        // A value nobody wrote is never linearizable.
        let h = vec![op(0, 1, get(Some((42, 2))))];
        assert_eq!(check(&KvModel, &h, B), Verdict::NotLinearizable);
    }

    #[test]
    fn compare_and_swap_and_delete() {
        let cas = |expect, value, out| KvOp::Cas { expect, value, out };
        let h = vec![
            op(0, 1, cas(0, 1, Some(Ok(2)))),
            op(2, 3, cas(0, 2, Some(Err(Some((1, 2)))))),
            op(4, 5, cas(2, 3, Some(Ok(4)))),
            op(6, 7, KvOp::Delete { out: Some((1, 5)) }),
            op(8, 9, KvOp::Delete { out: Some((0, 5)) }),
            op(10, 11, get(None)),
        ];
        assert_eq!(check(&KvModel, &h, B), Verdict::Linearizable);
        // Two CAS from the same revision cannot both succeed.
        let h = vec![op(0, 1, put(1, 2)), op(2, 5, cas(2, 2, Some(Ok(3)))), op(2, 5, cas(2, 3, Some(Ok(4))))];
        assert_eq!(check(&KvModel, &h, B), Verdict::NotLinearizable);
    }
}
