//! What the clients did (every operation with its call and return time and what it saw) and what the
//! cluster wrote (the reference history: every revision's changes, recorded from each member's store as
//! it grows, and cross-checked between members).

use crate::linearizability::{KvOp, Operation};
use crate::mvcc::{KeyRange, KeyValue};
use crate::playground::World;
use crate::server::watch::{Poll, Watcher};
use std::collections::BTreeMap;

/// One client operation on the linearizable keyspace, per key.
#[derive(Clone, Debug)]
pub struct KeyOp {
    pub key: Vec<u8>,
    pub op: Operation<KvOp>,
}

/// Every change at one revision, in sub-revision order: (key-value, tombstone).
pub type Changes = Vec<(KeyValue, bool)>;

/// The cluster's history as the members' stores recorded it.
#[derive(Default)]
pub struct Reference {
    pub revisions: BTreeMap<i64, Changes>,
    /// Revisions recorded only after a compaction at or past them (its tombstones may be gone): they
    /// are replaced by a full recording when one comes, and not compared.
    pub partial: std::collections::BTreeSet<i64>,
    recorders: Vec<Option<Watcher>>,
    pub violations: Vec<String>,
}

impl Reference {
    /// Records what each running member applied since the last call; a revision two members both
    /// recorded must be the same on both.
    pub fn poll(&mut self, world: &World) {
        let n = world.members().len();
        self.recorders.resize(n, None);
        for i in 0..n {
            let node = world.node(i);
            if !node.is_up() {
                self.recorders[i] = None;
                continue;
            }
            let store = &node.server.store;
            let w = self.recorders[i].get_or_insert_with(|| {
                // A member that (re)starts rebuilds its store; record from what it holds past its compaction
                // (a compacted revision keeps only part of its changes: tombstones are dropped).
                Watcher::new(0, KeyRange::From(Vec::new()), store.compact_rev() + 1, false, store)
            });
            let compact = store.compact_rev();
            match w.poll(store) {
                Poll::Compacted { .. } => {
                    // It installed a snapshot past what was recorded: go on from its current revision.
                    self.recorders[i] = Some(Watcher::new(0, KeyRange::From(Vec::new()), 0, false, store));
                }
                Poll::Events { events, .. } => {
                    let mut by_rev: BTreeMap<i64, Changes> = BTreeMap::new();
                    for e in events {
                        let tomb = e.kind == crate::server::watch::EventType::Delete;
                        by_rev.entry(e.kv.mod_revision).or_default().push((e.kv, tomb));
                    }
                    for (rev, changes) in by_rev {
                        // A batch applied with a compaction in it is polled after the compaction.
                        if rev <= compact {
                            if let std::collections::btree_map::Entry::Vacant(e) = self.revisions.entry(rev) {
                                e.insert(changes);
                                self.partial.insert(rev);
                            }
                            continue;
                        }
                        if self.partial.remove(&rev) {
                            self.revisions.insert(rev, changes);
                            continue;
                        }
                        match self.revisions.get(&rev) {
                            Some(known) if *known != changes => {
                                if self.violations.len() < 5 {
                                    self.violations.push(format!(
                                        "state machine safety: {} applied revision {rev} as {:?}, another member as {:?}",
                                        node.name,
                                        changes,
                                        known
                                    ));
                                }
                            }
                            Some(_) => {}
                            None => {
                                self.revisions.insert(rev, changes);
                            }
                        }
                    }
                }
            }
        }
    }

    /// The highest revision R such that every revision 2..=R is recorded.
    pub fn complete_up_to(&self) -> i64 {
        let mut r = 1;
        for &rev in self.revisions.keys() {
            if rev != r + 1 {
                break;
            }
            r = rev;
        }
        r
    }
}
