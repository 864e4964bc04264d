//! A copy of a member's Raft (raft-rs's `RawNode` cannot be cloned), for the playground's checkpoints.
//!
//! The copy is a new `RawNode` over a copy of the member's disk, with the volatile state raft-rs exposes
//! (term, vote, role, leader, progress of every peer, pending reads, timers) set from the original. That
//! is exact only between Readies: with no Ready pending and no fsync under way, everything raft-rs keeps
//! privately is either derived from the disk or back at its resting value. [`fork_raw`] checks the copy
//! against the original and gives up (None) when anything it can see differs.

use super::discard_logger;
use crate::disk::DiskStorage;
use raft::prelude::*;
use raft::RawNode;

/// A copy of `raw` reading from `storage` (a copy of its disk), or None when `raw` is not at rest (a
/// Ready pending) or the copy differs from it in anything raft-rs lets us compare. A `paused` process
/// may hold what clients handed it since it stopped (proposals queued as messages or, on a leader, as
/// unstable entries): its Ready loop has not run, so those are copied as they are.
pub(super) fn fork_raw(
    raw: &RawNode<DiskStorage>,
    storage: DiskStorage,
    config: &Config,
    paused: bool,
) -> Option<RawNode<DiskStorage>> {
    if !paused && (raw.has_ready() || !raw.raft.msgs.is_empty()) {
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
    set_pending(&mut copy.raft, from);
    same_state(&copy, raw).then_some(copy)
}

/// Queues in `to` what `from` holds for its next Ready: messages and unstable entries (none unless the
/// process is paused).
fn set_pending(to: &mut Raft<DiskStorage>, from: &Raft<DiskStorage>) {
    to.msgs = from.msgs.clone();
    let (to_log, from_log) = (&mut to.raft_log.unstable, &from.raft_log.unstable);
    to_log.snapshot = from_log.snapshot.clone();
    to_log.entries = from_log.entries.clone();
    to_log.entries_size = from_log.entries_size;
    to_log.offset = from_log.offset;
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
    copy.has_ready() == raw.has_ready()
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
