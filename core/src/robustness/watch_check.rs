//! Client watches and etcd's watch guarantees, checked against the reference history: ordered, unique,
//! atomic (all events of a revision in one response), reliable (nothing missing between the start and the
//! last revision the watch reported), resumable (a watch whose member stops goes on at another member
//! from its next revision, as clientv3 does, and the checks run over the whole stream), prev_kv correct.

use super::history::Reference;
use crate::mvcc::{KeyRange, KeyValue};
use crate::playground::World;
use crate::server::watch::{EventType, Poll, WatchEvent, Watcher};
use std::collections::BTreeMap;

pub struct ClientWatch {
    pub range: KeyRange,
    pub prev_kv: bool,
    pub start_rev: i64,
    member: usize,
    watcher: Watcher,
    /// Events with the number of the response that carried them and the serving store's compaction then.
    events: Vec<(u64, WatchEvent, i64)>,
    responses: u64,
    /// Every revision up to this one has been reported.
    progress: i64,
    pub compacted: bool,
    pub resumed: u64,
    /// Revisions delivered by a poll that came after a compaction at or past them while the watch was
    /// behind (it had not looked since before the compaction's batch): their tombstones may be gone, so
    /// they are not compared.
    exempt: Vec<(i64, i64)>,
}

impl ClientWatch {
    pub fn start(world: &World, member: usize, range: KeyRange, start_rev: i64, prev_kv: bool) -> ClientWatch {
        let store = &world.node(member).server.store;
        let watcher = Watcher::new(0, range.clone(), start_rev, prev_kv, store);
        let start_rev = watcher.next_rev;
        // From before the compaction etcd answers ErrCompacted (at the compact revision itself the watch
        // would see only part of it: its tombstones are gone); such a watch is not followed.
        let compacted = start_rev <= store.compact_rev();
        ClientWatch {
            range,
            prev_kv,
            start_rev,
            member,
            watcher,
            events: Vec::new(),
            responses: 0,
            progress: start_rev - 1,
            compacted,
            resumed: 0,
            exempt: Vec::new(),
        }
    }

    pub fn poll(&mut self, world: &World) {
        if self.compacted {
            return;
        }
        if !world.node(self.member).is_up() {
            // Resume on a running member from the next revision not yet delivered.
            let n = world.members().len();
            let Some(m) = (0..n).find(|&i| world.node(i).is_up() && !world.node(i).paused) else { return };
            self.member = m;
            let store = &world.node(m).server.store;
            if self.watcher.next_rev <= store.compact_rev() {
                // clientv3 would get ErrCompacted: the watch ends.
                self.compacted = true;
                return;
            }
            self.watcher = Watcher::new(0, self.range.clone(), self.watcher.next_rev, self.prev_kv, store);
            self.resumed += 1;
        }
        let node = world.node(self.member);
        if node.paused {
            return;
        }
        let compact = node.server.store.compact_rev();
        // A synced watcher is owed everything, compaction or not; only one that fell behind may find a
        // compacted revision's tombstones gone (as an unsynced etcd watcher at the compact revision would).
        let synced = node.server.store.watcher_was_synced(self.watcher.next_rev);
        if compact >= self.watcher.next_rev && !synced {
            self.exempt.push((self.watcher.next_rev, compact));
        }
        match self.watcher.poll(&node.server.store) {
            Poll::Compacted { .. } => self.compacted = true,
            Poll::Events { events, .. } => {
                if !events.is_empty() {
                    self.responses += 1;
                    self.events.extend(events.into_iter().map(|e| (self.responses, e, compact)));
                }
                self.progress = self.progress.max(self.watcher.next_rev - 1);
            }
        }
    }

    /// The guarantees this watch broke, checked up to what the reference history covers.
    pub fn check(&self, reference: &Reference) -> Vec<String> {
        let mut bad = Vec::new();
        let upto = self.progress.min(reference.complete_up_to());
        let exempt =
            |rev: i64| reference.partial.contains(&rev) || self.exempt.iter().any(|&(a, b)| a <= rev && rev <= b);
        // Ordered and unique.
        let mut seen = std::collections::BTreeSet::new();
        for w in self.events.windows(2) {
            let (a, b) = (&w[0].1.kv, &w[1].1.kv);
            if a.mod_revision > b.mod_revision {
                bad.push(format!("unordered: revision {} after {}", b.mod_revision, a.mod_revision));
            }
        }
        for (_, e, _) in &self.events {
            if !seen.insert((e.kv.mod_revision, e.kv.key.clone())) {
                bad.push(format!("duplicate event at revision {}", e.kv.mod_revision));
            }
        }
        // Atomic: one response per revision.
        let mut response_of: BTreeMap<i64, u64> = BTreeMap::new();
        for (resp, e, _) in &self.events {
            if *response_of.entry(e.kv.mod_revision).or_insert(*resp) != *resp {
                bad.push(format!("revision {} split across responses", e.kv.mod_revision));
            }
        }
        // Reliable and correct: exactly the reference's changes in range, from the start to the progress.
        let got: Vec<(KeyValue, bool)> = self
            .events
            .iter()
            .filter(|(_, e, _)| e.kv.mod_revision <= upto && !exempt(e.kv.mod_revision))
            .map(|(_, e, _)| (e.kv.clone(), e.kind == EventType::Delete))
            .collect();
        let want: Vec<(KeyValue, bool)> = reference
            .revisions
            .range(self.start_rev..upto.max(self.start_rev - 1) + 1)
            .filter(|(rev, _)| !exempt(**rev))
            .flat_map(|(_, c)| c.iter().filter(|(kv, _)| self.range.contains(&kv.key)).cloned())
            .collect();
        if got != want {
            let first = got.iter().zip(&want).position(|(a, b)| a != b).unwrap_or(got.len().min(want.len()));
            bad.push(format!(
                "unreliable: from revision {} to {upto} it delivered {} events, the history has {} (first difference at #{first}: {:?} vs {:?})",
                self.start_rev,
                got.len(),
                want.len(),
                got.get(first).map(|(kv, t)| (kv.mod_revision, *t)),
                want.get(first).map(|(kv, t)| (kv.mod_revision, *t))
            ));
        }
        // prev_kv: the key's latest version before the event, unless that was a delete.
        if self.prev_kv {
            for (_, e, compact) in self.events.iter().filter(|(_, e, _)| e.kv.mod_revision <= upto) {
                let before = reference
                    .revisions
                    .range(..e.kv.mod_revision)
                    .rev()
                    .find_map(|(_, c)| c.iter().rev().find(|(kv, _)| kv.key == e.kv.key).cloned());
                let want = before.and_then(|(kv, tomb)| (!tomb).then_some(kv));
                // etcd reads prev_kv at mod_revision - 1 and leaves it out when that is compacted.
                let compacted = e.kv.mod_revision - 1 < *compact;
                if e.prev_kv != want && !(compacted && e.prev_kv.is_none()) {
                    bad.push(format!(
                        "wrong prev_kv at revision {}: {:?} instead of {:?}",
                        e.kv.mod_revision,
                        e.prev_kv.as_ref().map(|kv| kv.mod_revision),
                        want.as_ref().map(|kv| kv.mod_revision)
                    ));
                    break;
                }
            }
        }
        bad.truncate(3);
        bad
    }

    pub fn event_count(&self) -> usize {
        self.events.len()
    }
}
