//! Checkpoints: copies of the world taken every few simulated seconds, so that rewinding replays a few
//! seconds from the newest copy before the target instead of the whole run from time 0.
//!
//! Every part of the world is plain data and clones, except raft-rs's `RawNode`, which cannot be cloned.
//! A member's Raft is copied by building a new `RawNode` over a copy of the member's disk and setting the
//! volatile state raft-rs exposes (term, vote, role, leader, progress of every peer, pending reads, timers).
//! That is exact only between Readies: with no Ready pending and no fsync under way, everything raft-rs
//! keeps privately is either derived from the disk or back at its resting value. [`fork_raw`] checks the
//! copy against the original and gives up (None) when anything it can see differs, and the world then
//! tries again at a later moment.

use crate::disk::DiskStorage;
use crate::playground::action::TimedAction;
use crate::playground::World;
use crate::raftnode::discard_logger;
use raft::prelude::*;
use raft::RawNode;

/// A copy of `raw` reading from `storage` (a copy of its disk), or None when `raw` is not at rest (a
/// Ready pending) or the copy differs from it in anything raft-rs lets us compare.
pub fn fork_raw(raw: &RawNode<DiskStorage>, storage: DiskStorage, config: &Config) -> Option<RawNode<DiskStorage>> {
    if raw.has_ready() || !raw.raft.msgs.is_empty() {
        return None;
    }
    let from = &raw.raft;
    let log = &from.raft_log;
    // The index the next committed entries start after: at rest, everything committed and durable has
    // been handed out.
    let delivered = log.committed.min(log.persisted);
    if delivered < log.applied || storage.initial_state().ok()?.hard_state != from.hard_state() {
        return None;
    }
    let config = Config { applied: delivered, ..config.clone() };
    let mut copy = RawNode::new(&config, storage, &discard_logger()).ok()?;
    set_volatile_state(&mut copy.raft, from);
    // Settle the copy's record of what it last reported (private to `RawNode`) with one empty Ready.
    let rd = copy.ready();
    if !rd.entries().is_empty() || !rd.committed_entries().is_empty() || !rd.messages().is_empty() {
        return None;
    }
    let light = copy.advance_append(rd);
    if !light.messages().is_empty() || !light.committed_entries().is_empty() {
        return None;
    }
    same_state(&copy, raw).then_some(copy)
}

/// Sets what `RawNode::new` cannot know from the disk: the role and its volatile state.
fn set_volatile_state(to: &mut Raft<DiskStorage>, from: &Raft<DiskStorage>) {
    to.term = from.term;
    to.vote = from.vote;
    to.state = from.state;
    to.leader_id = from.leader_id;
    to.lead_transferee = from.lead_transferee;
    to.pending_conf_index = from.pending_conf_index;
    to.pending_request_snapshot = from.pending_request_snapshot;
    to.read_only = from.read_only.clone();
    to.read_states = from.read_states.clone();
    to.election_elapsed = from.election_elapsed;
    to.set_randomized_election_timeout(from.randomized_election_timeout());
    to.priority = from.priority;
    *to.mut_prs() = from.prs().clone();
    to.raft_log.committed = from.raft_log.committed;
    to.raft_log.persisted = from.raft_log.persisted;
    to.raft_log.applied = from.raft_log.applied;
}

/// Whether `copy` agrees with `raw` in everything raft-rs lets us read.
fn same_state(copy: &RawNode<DiskStorage>, raw: &RawNode<DiskStorage>) -> bool {
    let (a, b) = (&copy.raft, &raw.raft);
    let progress = |r: &Raft<DiskStorage>| {
        let mut p: Vec<_> = r.prs().iter().map(|(id, p)| (*id, p.clone())).collect();
        p.sort_by_key(|(id, _)| *id);
        p
    };
    !copy.has_ready()
        && a.hard_state() == b.hard_state()
        && a.soft_state() == b.soft_state()
        && a.promotable() == b.promotable()
        && a.heartbeat_elapsed() == b.heartbeat_elapsed()
        && a.election_elapsed == b.election_elapsed
        && a.randomized_election_timeout() == b.randomized_election_timeout()
        && (a.raft_log.committed, a.raft_log.persisted, a.raft_log.applied)
            == (b.raft_log.committed, b.raft_log.persisted, b.raft_log.applied)
        && (a.raft_log.first_index(), a.raft_log.last_index(), a.raft_log.last_term())
            == (b.raft_log.first_index(), b.raft_log.last_index(), b.raft_log.last_term())
        && a.raft_log.unstable.offset == b.raft_log.unstable.offset
        && a.prs().conf() == b.prs().conf()
        && a.prs().votes() == b.prs().votes()
        && progress(a) == progress(b)
}

/// Simulated time between two checkpoints.
pub const INTERVAL_MS: u64 = 5_000;
/// Checkpoints kept at most: older ones are thinned so that they grow sparser with age (see
/// [`Checkpoints::thin`]).
pub const KEEP: usize = 12;
/// The heaviest world checkpointed, by [`World::weight`]: a copy then takes about 3 ms natively (5 ms in
/// the page), once every [`INTERVAL_MS`]. A heavier world (100k Kubernetes objects) would make each copy a
/// long task and hold hundreds of MB, so it is not checkpointed and rewinds replay from time 0.
pub const MAX_WEIGHT: usize = 50_000;
/// The weight all checkpoints together may hold (a copy costs about 130 bytes per unit natively, so about
/// 30 MB): a heavy world keeps fewer checkpoints, never fewer than two.
pub const TOTAL_WEIGHT: usize = 250_000;

/// A run's checkpoints, oldest first, all of the run the world now in play descends from.
#[derive(Default)]
pub struct Checkpoints {
    kept: Vec<World>,
    next_due_ms: u64,
}

impl Checkpoints {
    /// Takes a checkpoint of `world` if one is due and the world is at rest and light enough. Returns
    /// whether it did; a world mid-Ready is tried again at the caller's next moment.
    pub fn offer(&mut self, world: &World) -> bool {
        if world.now_ms() < self.next_due_ms {
            return false;
        }
        let weight = world.weight();
        if weight > MAX_WEIGHT {
            return false;
        }
        let Some(copy) = world.fork() else { return false };
        self.next_due_ms = world.now_ms() + INTERVAL_MS;
        self.kept.push(copy);
        let keep = (TOTAL_WEIGHT / weight.max(1)).clamp(2, KEEP);
        while self.kept.len() > keep {
            self.thin(world.now_ms());
        }
        true
    }

    /// Drops the checkpoint whose loss costs least relative to its age: the gap it leaves, divided by
    /// how long ago it was taken. Recent checkpoints stay dense (a "Back 10 s" replays seconds), old
    /// ones grow geometrically sparse, and memory stays bounded however long the run.
    fn thin(&mut self, now_ms: u64) {
        let times: Vec<u64> = self.kept.iter().map(|w| w.now_ms()).collect();
        let cost = |i: usize| {
            let before = if i == 0 { 0 } else { times[i - 1] };
            (times[i + 1] - before) as f64 / (now_ms - times[i]).max(1) as f64
        };
        let newest = times.len() - 1;
        if let Some(i) = (0..newest).min_by(|&a, &b| cost(a).total_cmp(&cost(b))) {
            self.kept.remove(i);
        }
    }

    /// The world at `target_ms` of this run, whose actions before then are `kept`, and the time of the
    /// checkpoint it started from: the newest one at or before the target, advanced with the actions after
    /// it. None when no checkpoint precedes the target (the caller replays from time 0). Later checkpoints
    /// belong to the future being left and go.
    pub fn rewind(&mut self, target_ms: u64, kept: &[TimedAction]) -> Option<(u64, World)> {
        self.kept.retain(|c| c.now_ms() <= target_ms && c.actions().len() <= kept.len());
        // The rewound world is checkpointed as soon as it rests, so that pressing Back again is quick.
        self.next_due_ms = 0;
        let base = self.kept.last()?.fork()?;
        let from_ms = base.now_ms();
        let later = &kept[base.actions().len()..];
        let mut world = base.replayed(later);
        world.advance_to(target_ms);
        Some((from_ms, world))
    }

    /// Forgets every checkpoint: the run was replaced (a new cluster, a loaded link).
    pub fn clear(&mut self) {
        *self = Checkpoints::default();
    }

    /// The simulated times of the checkpoints kept, oldest first.
    pub fn times(&self) -> Vec<u64> {
        self.kept.iter().map(|w| w.now_ms()).collect()
    }
}
