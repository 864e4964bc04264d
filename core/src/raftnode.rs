//! One member's process: a raft-rs `RawNode` over the member's disk, and the Ready loop that persists,
//! sends and applies, as etcd's `raftNode` does. Time and randomness come from the world: every tick is
//! driven by the simulated clock, and each randomized election timeout is drawn from the world's RNG.

mod fork;

use crate::disk::{Disk, DiskStorage, Write};
use crate::lease::EXPIRY_CHECK_MS;
use crate::rng::SimRng;
use crate::server::alarm::{AlarmAction, AlarmMember, AlarmType};
use crate::server::api::{Proposal, Request, Response, ResponseHeader, Route, ServerResult};
use crate::server::compactor::Compactor;
use crate::server::idgen::IdGen;
use crate::server::membership::{ConfProposal, MemberChange};
use crate::server::Server;
use crate::snapshot::SnapshotData;
use crate::trace::Role;
use raft::prelude::*;
use raft::{RawNode, StateRole};
use std::collections::VecDeque;

/// Simulated milliseconds per Raft tick: etcd's default `--heartbeat-interval` of 100 ms.
pub const TICK_MS: u64 = 100;
/// Ticks between heartbeats (100 ms).
pub const HEARTBEAT_TICKS: usize = 1;
/// Ticks before an election: etcd's default `--election-timeout` of 1000 ms.
pub const ELECTION_TICKS: usize = 10;

/// Raft messages a node wants sent, in order.
pub type Outbox = Vec<Message>;

/// The playground's `--snapshot-count`: applied entries between two snapshots of the store, after which
/// the Raft log is compacted. etcd 3.4 defaults to 100,000 (10,000 before 3.2); a snapshot copies the
/// whole store, so this keeps its cost rare under load, and `@snapshot-count` (or the page's setting)
/// lowers it to watch a lagging follower catch up by snapshot.
pub const DEFAULT_SNAPSHOT_COUNT: u64 = 10_000;

/// etcd's `--backend-batch-interval`: the backend commits applied writes at most this often.
const BACKEND_BATCH_INTERVAL_MS: u64 = 100;

/// Entries kept behind a snapshot so that a slightly slow follower catches up from the log rather than
/// by snapshot (etcd's `SnapshotCatchUpEntries`, 5,000 there).
pub const CATCH_UP_ENTRIES: u64 = 100;

/// A Ready whose writes are being fsynced: when the fsync finishes, Raft learns they are durable and the
/// messages that had to wait for it (a follower's acknowledgements, votes) are sent.
#[derive(Debug)]
struct PendingSync {
    due_ms: u64,
    number: u64,
    messages: Outbox,
}

/// A member process and its disk.
pub struct Node {
    pub id: u64,
    pub name: String,
    pub disk: Disk,
    raw: Option<RawNode<DiskStorage>>,
    pub server: Server,
    /// Membership changes Raft could not take yet (no leader, or another change pending).
    unproposed_conf: Vec<ConfProposal>,
    /// When the next tick is due (simulated ms).
    pub next_tick_ms: u64,
    /// Role and term last seen, to notice elections and re-draw the election timeout.
    seen: (Role, u64, u64),
    /// etcd's request ID generator; lease IDs come from it.
    ids: IdGen,
    next_expiry_check_ms: u64,
    /// Readies waiting for their fsync, oldest first.
    syncing: VecDeque<PendingSync>,
    /// Set when a membership change is applied after the log was compacted: the next snapshot is due.
    conf_changed_since_snapshot: bool,
    /// When the backend may commit its next batch.
    next_backend_commit_ms: u64,
    last_fsync_us: u64,
    /// Applied entries between snapshots of the store (`--snapshot-count`).
    pub snapshot_count: u64,
    /// A paused process (a GC pause, SIGSTOP) does nothing until resumed; its disk and memory stay.
    pub paused: bool,
    /// `--auto-compaction-mode` and retention; acts while this member leads.
    pub compactor: Option<Compactor>,
    /// Observations of this member the world's trace and metrics pick up (fsync times in µs, snapshots).
    pub observed: Observations,
    /// A deliberately broken mode for teaching: answer linearizable reads from the local store at once,
    /// without a ReadIndex round, as etcd never does. An isolated or deposed leader then serves stale
    /// values, which the history check catches.
    pub unsafe_reads: bool,
}

/// What a member did that its process does not keep as state: taken by the world after each step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observations {
    /// Durations of finished fsyncs, in microseconds.
    pub fsync_us: Vec<u64>,
    /// Index of a snapshot this member saved of its own store (log compaction).
    pub saved_snapshot: Option<u64>,
    /// Index of a snapshot this member installed from the leader.
    pub installed_snapshot: Option<u64>,
    /// Revision this leader's auto-compactor proposed to compact to.
    pub auto_compacted: Option<i64>,
}

fn raft_config(id: u64, applied: u64) -> Config {
    Config {
        id,
        applied,
        election_tick: ELECTION_TICKS,
        heartbeat_tick: HEARTBEAT_TICKS,
        pre_vote: true,
        check_quorum: true,
        max_size_per_msg: 1024 * 1024,
        max_inflight_msgs: 256,
        ..Default::default()
    }
}

/// raft-rs logs through slog; the world's members keep quiet (the trace says what happened).
fn discard_logger() -> slog::Logger {
    slog::Logger::root(slog::Discard, slog::o!())
}

impl Node {
    /// Starts a member process over `disk`. The store starts empty and is rebuilt from the log.
    pub fn start(id: u64, name: &str, disk: Disk, now_ms: u64, rng: &mut SimRng) -> Node {
        let mut node = Node {
            id,
            name: name.to_string(),
            disk,
            raw: None,
            server: Server::new(),
            unproposed_conf: Vec::new(),
            next_tick_ms: now_ms + TICK_MS,
            seen: (Role::Down, 0, 0),
            ids: IdGen::default(),
            next_expiry_check_ms: 0,
            syncing: VecDeque::new(),
            next_backend_commit_ms: 0,
            conf_changed_since_snapshot: false,
            last_fsync_us: 0,
            snapshot_count: DEFAULT_SNAPSHOT_COUNT,
            paused: false,
            compactor: None,
            observed: Observations::default(),
            unsafe_reads: false,
        };
        node.boot(now_ms, rng);
        node
    }

    fn boot(&mut self, now_ms: u64, rng: &mut SimRng) {
        let quota = self.server.quota_bytes;
        self.server = Server::with_members(&self.disk.bootstrap);
        if quota != 0 {
            self.server.quota_bytes = quota;
        }
        if let Some(base) = &self.disk.base {
            // Verified when the data dir was restored, so it decodes. The restored cluster's members are
            // those `snapshot restore` was given, not those the snapshot remembers.
            let members = std::mem::take(&mut self.server.membership);
            self.server.restore_backend(base, 0, now_ms);
            self.server.membership = members;
        }
        let (applied, state) = self.disk.snapshot_state();
        if let Some(data) = state {
            self.server.restore_backend(&data, applied, now_ms);
        }
        let raw = RawNode::new(&raft_config(self.id, applied), self.disk.storage(), &discard_logger())
            .expect("a disk written by this member is a valid raft state");
        self.raw = Some(raw);
        self.syncing.clear();
        self.ids = IdGen::new(self.id, now_ms);
        // Ticks start at a random phase, as real processes do not share a clock edge.
        self.next_tick_ms = now_ms + rng.range(1, TICK_MS + 1);
        self.seen = (Role::Down, 0, u64::MAX);
        self.redraw_timeout_if_reset(rng);
    }

    /// A copy of this process and its disk that runs on exactly as this one will (a checkpoint of the
    /// world), or None while a Ready is being handled or fsynced: Raft is only copied at rest (a paused
    /// process is, whatever clients queued in it since).
    pub fn fork(&self) -> Option<Node> {
        if !self.syncing.is_empty() {
            return None;
        }
        let disk = self.disk.fork();
        let raw = match &self.raw {
            Some(raw) => Some(fork::fork_raw(raw, disk.storage(), &raft_config(self.id, 0), self.paused)?),
            None => None,
        };
        Some(Node {
            id: self.id,
            name: self.name.clone(),
            disk,
            raw,
            server: self.server.clone(),
            unproposed_conf: self.unproposed_conf.clone(),
            next_tick_ms: self.next_tick_ms,
            seen: self.seen,
            ids: self.ids.clone(),
            next_expiry_check_ms: self.next_expiry_check_ms,
            syncing: VecDeque::new(),
            conf_changed_since_snapshot: self.conf_changed_since_snapshot,
            next_backend_commit_ms: self.next_backend_commit_ms,
            last_fsync_us: self.last_fsync_us,
            snapshot_count: self.snapshot_count,
            paused: self.paused,
            compactor: self.compactor.clone(),
            observed: self.observed.clone(),
            unsafe_reads: self.unsafe_reads,
        })
    }

    /// Stops the process: memory is lost, and so is whatever the disk had not fsynced.
    pub fn kill(&mut self) {
        self.raw = None;
        self.paused = false;
        self.syncing.clear();
        self.disk.crash();
        let quota = self.server.quota_bytes;
        self.server = Server::with_members(&self.disk.bootstrap);
        self.server.quota_bytes = quota;
        self.unproposed_conf.clear();
        // The backend (and a restored base) is read again at restart.
    }

    /// Restarts the process from its disk.
    pub fn restart(&mut self, now_ms: u64, rng: &mut SimRng) {
        if self.raw.is_none() {
            self.boot(now_ms, rng);
        }
    }

    /// Whether Raft has work for the Ready loop. Never for a paused process, nor while an fsync is under
    /// way: etcd's loop blocks on the WAL fsync, so what arrives meanwhile is batched into the next Ready
    /// (and a leader on a slow disk sends its heartbeats late, as etcd warns).
    pub fn has_ready(&self) -> bool {
        !self.paused && self.syncing.is_empty() && self.raw.as_ref().is_some_and(|r| r.has_ready())
    }

    pub fn is_up(&self) -> bool {
        self.raw.is_some()
    }

    pub fn role(&self) -> Role {
        self.raw.as_ref().map_or(Role::Down, |r| role_of(r.raft.state))
    }

    pub fn term(&self) -> u64 {
        match &self.raw {
            Some(r) => r.raft.term,
            None => self.disk.hard_state().term,
        }
    }

    /// Whom this member voted for in its current term (0: nobody).
    pub fn vote(&self) -> u64 {
        match &self.raw {
            Some(r) => r.raft.vote,
            None => self.disk.hard_state().vote,
        }
    }

    /// On the leader: (peer, match index, next index, state) for every member it replicates to.
    pub fn progress(&self) -> Vec<(u64, u64, u64, String)> {
        let Some(raw) = self.raw.as_ref().filter(|r| r.raft.state == StateRole::Leader) else { return Vec::new() };
        let mut out: Vec<_> =
            raw.raft.prs().iter().map(|(id, p)| (*id, p.matched, p.next_idx, format!("{:?}", p.state))).collect();
        out.sort();
        out
    }

    /// The timer this member's next ticks run down, in ticks: (is it the leader's heartbeat timer, ticks
    /// elapsed, ticks at which it fires). A follower or candidate campaigns on the tick that brings
    /// `election_elapsed` to its randomized timeout; a leader heartbeats every [`HEARTBEAT_TICKS`] (raft-rs
    /// keeps `heartbeat_elapsed` private, and with one tick per heartbeat it is 0 between ticks).
    pub fn timer_ticks(&self) -> Option<(bool, u64, u64)> {
        const _: () = assert!(HEARTBEAT_TICKS == 1, "the leader's timer assumes a heartbeat every tick");
        let raft = &self.raw.as_ref()?.raft;
        if raft.state == StateRole::Leader {
            return Some((true, 0, raft.heartbeat_timeout() as u64));
        }
        Some((false, raft.election_elapsed as u64, raft.randomized_election_timeout() as u64))
    }

    /// A campaigning member's tally from raft-rs's ProgressTracker: (granted, rejected, voters), its own
    /// vote included; None unless it is a candidate or pre-candidate.
    pub fn vote_tally(&self) -> Option<(usize, usize, usize)> {
        let raft = &self.raw.as_ref()?.raft;
        if !matches!(raft.state, StateRole::Candidate | StateRole::PreCandidate) {
            return None;
        }
        let (granted, rejected, _) = raft.prs().tally_votes();
        Some((granted, rejected, self.disk.core().written.conf_state.voters.len()))
    }

    pub fn leader_id(&self) -> u64 {
        self.raw.as_ref().map_or(0, |r| r.raft.leader_id)
    }

    pub fn commit_index(&self) -> u64 {
        match &self.raw {
            Some(r) => r.raft.raft_log.committed,
            None => self.disk.hard_state().commit,
        }
    }

    /// The index of the last entry in this member's log.
    pub fn last_index(&self) -> u64 {
        match &self.raw {
            Some(r) => r.raft.raft_log.last_index(),
            None => self.disk.last_index(),
        }
    }

    /// raft-rs re-draws the election timeout with an unseedable RNG whenever it resets (on every role or
    /// term change). Override that draw right away, before any tick can use it, so a seed replays.
    fn redraw_timeout_if_reset(&mut self, rng: &mut SimRng) {
        let Some(raw) = self.raw.as_mut() else { return };
        let now = (role_of(raw.raft.state), raw.raft.term, raw.raft.leader_id);
        if now != self.seen {
            let timeout = rng.range(ELECTION_TICKS as u64, 2 * ELECTION_TICKS as u64) as usize;
            raw.raft.set_randomized_election_timeout(timeout);
            self.seen = now;
        }
    }

    /// Keeps the lessor's primary role in step with leadership: a new leader refreshes every lease.
    fn sync_lessor(&mut self, now_ms: u64) {
        let leader = self.role() == Role::Leader;
        if leader && !self.server.lessor.is_primary() {
            self.server.lessor.promote(now_ms);
        } else if !leader && self.server.lessor.is_primary() {
            self.server.lessor.demote();
        }
    }

    /// The leader proposes revokes for expired leases, as etcd's lessor loop does.
    fn revoke_expired(&mut self, now_ms: u64) {
        if now_ms < self.next_expiry_check_ms {
            return;
        }
        self.next_expiry_check_ms = now_ms + EXPIRY_CHECK_MS;
        for id in self.server.lessor.expired(now_ms) {
            let request_id = self.ids.next_id();
            let data = postcard::to_allocvec(&Proposal { id: request_id, request: Request::LeaseRevoke { id } })
                .expect("requests serialize");
            self.propose(request_id, data);
        }
    }

    /// The leader's auto-compactor proposes a compaction when its retention says so.
    fn auto_compact(&mut self, now_ms: u64) {
        if self.role() != Role::Leader {
            return;
        }
        let rev = self.server.store.current_rev();
        let Some(revision) = self.compactor.as_mut().and_then(|c| c.poll(now_ms, rev)) else { return };
        let request_id = self.ids.next_id();
        let request = Request::Compaction { revision, physical: false };
        let data = postcard::to_allocvec(&Proposal { id: request_id, request }).expect("requests serialize");
        self.propose(request_id, data);
        self.observed.auto_compacted = Some(revision);
    }

    /// One Raft tick; also retries proposals and reads that found no leader, and expires leases.
    pub fn tick(&mut self, now_ms: u64, rng: &mut SimRng) {
        if self.paused {
            return;
        }
        let Some(raw) = self.raw.as_mut() else { return };
        raw.tick();
        self.next_tick_ms = now_ms + TICK_MS;
        self.sync_lessor(now_ms);
        self.revoke_expired(now_ms);
        self.auto_compact(now_ms);
        // etcd deletes a compaction's revisions in batches between its pauses; a member does a batch a tick.
        self.server.store.compact_step();
        let has_leader = self.leader_id() != 0;
        self.server.expire(now_ms, has_leader);
        for (id, data) in self.server.take_unproposed() {
            self.propose(id, data);
        }
        for p in std::mem::take(&mut self.unproposed_conf) {
            self.propose_conf(p);
        }
        for id in self.server.reads_to_retry(now_ms) {
            if let Some(raw) = self.raw.as_mut() {
                raw.read_index(id.to_be_bytes().to_vec());
            }
        }
        self.redraw_timeout_if_reset(rng);
    }

    /// Delivers a message from a peer.
    pub fn step(&mut self, msg: Message, now_ms: u64, rng: &mut SimRng) {
        let Some(raw) = self.raw.as_mut() else { return };
        // Errors here are stale or foreign messages, which Raft ignores by design.
        let _ = raw.step(msg);
        self.redraw_timeout_if_reset(rng);
        self.sync_lessor(now_ms);
    }

    /// Answers a maintenance request from the member's own state (etcd's Maintenance service reads its
    /// server directly, with no Raft round and no request ID drawn); None for any other request.
    fn maintenance(&self, request: &Request) -> Option<Response> {
        let server = &self.server;
        let header = ResponseHeader { revision: server.store.current_rev(), ..Default::default() };
        Some(match request {
            Request::Status => {
                let leader = self.leader_id();
                let mut errors: Vec<String> = server.alarms.list().iter().map(|a| a.to_string()).collect();
                if leader == 0 {
                    errors.push(crate::server::api::ServerError::NoLeader.to_string());
                }
                Response::Status(crate::server::api::StatusResponse {
                    header,
                    db_size: server.db_size(),
                    db_size_in_use: server.db_size_in_use(),
                    leader,
                    raft_index: self.commit_index(),
                    raft_term: self.term(),
                    raft_applied_index: server.applied_index,
                    is_learner: false,
                    errors,
                })
            }
            Request::HashKv { revision } => {
                let at = if *revision > 0 { *revision } else { header.revision };
                let (hash, compact_revision) = (server.store.hash_kv(at), server.store.compact_rev());
                Response::HashKv { header, hash, compact_revision }
            }
            Request::Snapshot => {
                let members = server.membership.list();
                let data = SnapshotData::capture(&server.store, &server.lessor, members, server.db_size()).encode();
                Response::Snapshot { header, data }
            }
            _ => return None,
        })
    }

    /// Accepts a client request with a world-unique `id`. Serializable reads are answered at once;
    /// linearizable reads ask for a read index; writes are proposed.
    pub fn submit(&mut self, id: u64, request: Request, now_ms: u64) {
        if !self.is_up() {
            return;
        }
        if let Some(result) = self.maintenance(&request) {
            self.server.done.push((id, Ok(result)));
            return;
        }
        self.ids.next_id();
        match (request.route(), request) {
            (Route::Local, Request::MemberList) => {
                let header = ResponseHeader { revision: 0, ..Default::default() };
                let members = self.server.membership.list();
                self.server.done.push((id, Ok(Response::Members { header, member: None, members })));
            }
            (Route::Local, Request::Alarm { .. }) => {
                let header = ResponseHeader { revision: self.server.store.current_rev(), ..Default::default() };
                let alarms = self.server.alarms.list();
                self.server.done.push((id, Ok(Response::Alarm { header, alarms })));
            }
            (_, request) if self.server.exceeds_quota(&request) => {
                // etcd raises NOSPACE through Raft and refuses the write at once.
                let alarm = AlarmMember { member_id: self.id, alarm: AlarmType::NoSpace };
                let raise = Request::Alarm { action: AlarmAction::Activate, alarm };
                let alarm_id = self.ids.next_id();
                let data =
                    postcard::to_allocvec(&Proposal { id: alarm_id, request: raise }).expect("requests serialize");
                self.propose(alarm_id, data);
                self.server.done.push((id, Err(crate::server::api::ServerError::NoSpace)));
            }
            (Route::Local, request) => {
                let result =
                    crate::server::apply::serve_local(&self.server.store, &self.server.lessor, &request, now_ms);
                self.server.done.push((id, result));
            }
            (Route::ConfChange, Request::Member(change)) => match self.server.membership.validate(&change) {
                Err(e) => self.server.done.push((id, Err(e))),
                Ok(()) => {
                    self.server.wait_for(id, now_ms);
                    self.propose_conf(ConfProposal { id, change });
                }
            },
            (Route::Linearizable, request @ Request::Range(_)) if self.unsafe_reads => {
                let result =
                    crate::server::apply::serve_local(&self.server.store, &self.server.lessor, &request, now_ms);
                self.server.done.push((id, result));
            }
            (Route::Linearizable, Request::Range(r)) => {
                self.server.start_read(id, r, now_ms);
                if let Some(raw) = self.raw.as_mut() {
                    raw.read_index(id.to_be_bytes().to_vec());
                }
            }
            (_, mut request) => {
                if let Request::LeaseGrant { id: lease_id @ 0, .. } = &mut request {
                    *lease_id = (self.ids.next_id() & (i64::MAX as u64)) as i64;
                }
                let data = postcard::to_allocvec(&Proposal { id, request }).expect("requests serialize");
                self.server.wait_for(id, now_ms);
                self.propose(id, data);
            }
        }
    }

    /// Proposes a membership change as a Raft conf change; the entry's context carries the change.
    fn propose_conf(&mut self, p: ConfProposal) {
        let Some(raw) = self.raw.as_mut() else { return };
        let change_type = match &p.change {
            MemberChange::Add(m) if m.is_learner => ConfChangeType::AddLearnerNode,
            MemberChange::Remove(_) => ConfChangeType::RemoveNode,
            MemberChange::Update { id, .. } if self.server.membership.get(*id).is_some_and(|m| m.is_learner) => {
                ConfChangeType::AddLearnerNode
            }
            _ => ConfChangeType::AddNode,
        };
        let mut cc = ConfChange::default();
        cc.set_change_type(change_type);
        cc.node_id = p.change.member_id();
        let context = postcard::to_allocvec(&p).expect("conf proposals serialize");
        if raw.propose_conf_change(context, cc).is_err() {
            self.unproposed_conf.push(p);
        }
    }

    /// On the leader: whether learner `id` has caught up enough to be promoted (etcd wants its match
    /// index at 90% of the leader's). None when this member does not lead.
    pub fn learner_ready(&self, id: u64) -> Option<bool> {
        let raw = self.raw.as_ref().filter(|r| r.raft.state == StateRole::Leader)?;
        let prs = raw.raft.prs();
        let leader_match = prs.get(self.id).map_or(0, |p| p.matched);
        let learner_match = prs.get(id).map_or(0, |p| p.matched);
        Some(learner_match as f64 >= leader_match as f64 * 0.9)
    }

    fn propose(&mut self, id: u64, data: Vec<u8>) {
        let Some(raw) = self.raw.as_mut() else { return };
        if raw.propose(vec![], data.clone()).is_err() {
            // No leader known yet: raft-rs drops the proposal; etcd keeps the client waiting.
            self.server.defer_proposal(id, data);
        }
    }

    /// The Ready loop, as etcd's raftNode runs it: a leader sends its messages at once (replicating in
    /// parallel with its own fsync) while a follower's wait for the fsync, so nothing is acknowledged
    /// before it is durable; entries, hard state and a received snapshot go to the disk; committed
    /// entries apply. Returns the messages to send now.
    pub fn handle_ready(&mut self, now_ms: u64, rng: &mut SimRng) -> Outbox {
        let mut out = Outbox::new();
        if !self.has_ready() {
            return out;
        }
        let Some(raw) = self.raw.as_mut() else { return out };
        let mut rd = raw.ready();
        out.extend(rd.take_messages());
        let snapshot = (!rd.snapshot().is_empty()).then(|| rd.snapshot().clone());
        if let Some(snap) = &snapshot {
            self.disk.write(Write::Install(snap.clone()));
        }
        if !rd.entries().is_empty() {
            self.disk.write(Write::Append(rd.take_entries()));
        }
        if let Some(hs) = rd.hs() {
            self.disk.write(Write::HardState(hs.clone()));
        }
        let must_sync = rd.must_sync();
        let committed = rd.take_committed_entries();
        let read_states = rd.take_read_states();
        let persisted = rd.take_persisted_messages();
        let number = rd.number();
        raw.advance_append_async(rd);
        if let Some(snap) = snapshot {
            self.install_snapshot(&snap, now_ms);
        }
        if !committed.is_empty() {
            self.commit_backend(now_ms);
        }
        self.apply_entries(committed, now_ms);
        for rs in read_states {
            if let Ok(bytes) = <[u8; 8]>::try_from(rs.request_ctx.as_slice()) {
                self.server.on_read_index(u64::from_be_bytes(bytes), rs.index);
            }
        }
        self.advance_applied();
        self.server.serve_ready_reads();
        self.maybe_snapshot();
        out.extend(self.schedule_sync(number, persisted, must_sync, now_ms, rng));
        out
    }

    /// Starts the fsync a Ready needs; a Ready with nothing to make durable is acknowledged at once.
    /// Returns the messages that may go out now.
    fn schedule_sync(
        &mut self,
        number: u64,
        messages: Outbox,
        must_sync: bool,
        now_ms: u64,
        rng: &mut SimRng,
    ) -> Outbox {
        if must_sync {
            let (took_us, due_ms) = self.disk.begin_fsync(now_ms, rng);
            self.observed.fsync_us.push(took_us);
            self.last_fsync_us = took_us;
            self.syncing.push_back(PendingSync { due_ms, number, messages });
            return Outbox::new();
        }
        if let Some(raw) = self.raw.as_mut() {
            raw.on_persist_ready(number);
        }
        messages
    }

    /// etcd's backend commits its batch of applied writes at most every 100 ms; the commit writes pages
    /// and then the meta page, two fsyncs on the member's disk. It runs beside the apply loop, so it only
    /// shows in `etcd_disk_backend_commit_duration_seconds`.
    fn commit_backend(&mut self, now_ms: u64) {
        if now_ms < self.next_backend_commit_ms {
            return;
        }
        self.next_backend_commit_ms = now_ms + BACKEND_BATCH_INTERVAL_MS;
        // Timed like the WAL's last fsync rather than drawn, so observing it leaves the run unchanged.
        let us = 2 * self.last_fsync_us.max(self.disk.profile.min_us);
        self.server.metrics.observe_backend_commit(us as f64 / 1e6);
    }

    /// When the oldest fsync under way finishes, if any (a paused process notices nothing).
    pub fn next_sync_ms(&self) -> Option<u64> {
        self.syncing.front().filter(|_| !self.paused).map(|s| s.due_ms)
    }

    /// Finishes the fsyncs due by `now_ms`: their writes become durable and Raft learns it. Returns the
    /// messages that were waiting for them.
    pub fn complete_syncs(&mut self, now_ms: u64) -> Outbox {
        let mut out = Outbox::new();
        while self.next_sync_ms().is_some_and(|due| due <= now_ms) {
            let Some(sync) = self.syncing.pop_front() else { break };
            self.disk.finish_fsync();
            out.extend(sync.messages);
            if let Some(raw) = self.raw.as_mut() {
                raw.on_persist_ready(sync.number);
            }
            self.advance_applied();
        }
        out
    }

    /// Tells Raft what the server has applied, once Raft may know it: a received snapshot counts as
    /// applied only after it is durable.
    fn advance_applied(&mut self) {
        let applied = self.server.applied_index;
        let Some(raw) = self.raw.as_mut() else { return };
        let log = &raw.raft.raft_log;
        if applied > log.applied && applied <= log.committed.min(log.persisted) {
            raw.advance_apply_to(applied);
        }
    }

    /// The index of the newest snapshot on this member's disk.
    pub fn snapshot_index(&self) -> u64 {
        self.disk.core().written.snapshot.get_metadata().index
    }

    /// Every `snapshot_count` applied entries, saves a snapshot of the store and compacts the Raft log
    /// behind it, keeping [`CATCH_UP_ENTRIES`] for slow followers, as etcd's `triggerSnapshot` does.
    fn maybe_snapshot(&mut self) {
        let applied = self.server.applied_index;
        let due = self.snapshot_count != 0 && applied >= self.snapshot_index() + self.snapshot_count;
        if !due && !self.conf_changed_since_snapshot {
            return;
        }
        self.conf_changed_since_snapshot = false;
        let Some(term) = self.raw.as_ref().and_then(|r| r.raft.raft_log.term(applied).ok()) else { return };
        let s = &self.server;
        let data = SnapshotData::capture(&s.store, &s.lessor, s.membership.list(), s.db_size());
        let mut snap = Snapshot::default();
        let meta = snap.mut_metadata();
        meta.index = applied;
        meta.term = term;
        meta.set_conf_state(self.disk.conf_state());
        self.disk.write(Write::SaveSnapshot(snap, std::rc::Rc::new(data)));
        self.disk.write(Write::Compact(applied.saturating_sub(CATCH_UP_ENTRIES).max(1)));
        self.observed.saved_snapshot = Some(applied);
    }

    /// A snapshot from the leader replaces this member's store (its log was too far behind).
    fn install_snapshot(&mut self, snap: &Snapshot, now_ms: u64) {
        let index = snap.get_metadata().index;
        if let Ok(data) = SnapshotData::decode(&snap.data) {
            self.server.restore_backend(&data, index, now_ms);
        }
        self.observed.installed_snapshot = Some(index);
    }

    /// Tells Raft whether a snapshot this leader sent to `to` arrived, as etcd's transport reports it.
    pub fn report_snapshot(&mut self, to: u64, delivered: bool) {
        if let Some(raw) = self.raw.as_mut() {
            let status = if delivered { SnapshotStatus::Finish } else { SnapshotStatus::Failure };
            raw.report_snapshot(to, status);
        }
    }

    fn apply_entries(&mut self, entries: Vec<Entry>, now_ms: u64) {
        for entry in entries {
            match entry.get_entry_type() {
                EntryType::EntryNormal if !entry.data.is_empty() => {
                    if let Ok(p) = postcard::from_bytes::<Proposal>(&entry.data) {
                        self.server.store.offer_values(shared_values(&entry.data));
                        self.server.apply(entry.index, &p, now_ms);
                        self.server.store.offer_values(Vec::new());
                    }
                }
                EntryType::EntryConfChange | EntryType::EntryConfChangeV2 => self.apply_conf_change(&entry),
                _ => {}
            }
            self.server.applied_index = entry.index;
        }
    }

    fn apply_conf_change(&mut self, entry: &Entry) {
        if let Ok(p) = postcard::from_bytes::<ConfProposal>(&entry.context) {
            // A change etcd's membership rejects is answered with the error and not applied to Raft.
            if let Err(e) = self.server.membership.validate(&p.change) {
                self.server.apply_member_change(entry.index, &p, Err(e));
                return;
            }
            self.apply_raft_conf_change(entry);
            self.server.apply_member_change(entry.index, &p, Ok(()));
        } else {
            self.apply_raft_conf_change(entry);
        }
    }

    fn apply_raft_conf_change(&mut self, entry: &Entry) {
        let Some(raw) = self.raw.as_mut() else { return };
        let mut cc = ConfChangeV2::default();
        let ok = if entry.get_entry_type() == EntryType::EntryConfChange {
            let mut v1 = ConfChange::default();
            protobuf::Message::merge_from_bytes(&mut v1, &entry.data).is_ok() && {
                cc = raft_proto::ConfChangeI::into_v2(v1);
                true
            }
        } else {
            protobuf::Message::merge_from_bytes(&mut cc, &entry.data).is_ok()
        };
        if ok {
            if let Ok(cs) = raw.apply_conf_change(&cc) {
                self.disk.write(Write::ConfState(cs));
                // A snapshot taken before this change does not name a new member, and raft-rs refuses
                // to install such a snapshot; etcd sends a fresh snapshot merged at the applied index.
                // Take one as soon as the change is applied, when the log was already compacted.
                self.conf_changed_since_snapshot = self.snapshot_index() > 0;
            }
        }
    }

    /// Answers ready for clients since the last call.
    pub fn take_done(&mut self) -> Vec<(u64, crate::server::api::ServerResult)> {
        std::mem::take(&mut self.server.done)
    }

    /// Serves a request that etcd forwards to the leader (lease keep-alive, time-to-live); only
    /// meaningful on the leader.
    pub fn serve_as_leader(&mut self, request: &Request, now_ms: u64) -> ServerResult {
        let s = &mut self.server;
        match request {
            Request::LeaseKeepAlive { id } => crate::server::apply::keep_alive(&s.store, &mut s.lessor, *id, now_ms),
            other => crate::server::apply::serve_local(&s.store, &s.lessor, other, now_ms),
        }
    }

    /// Asks Raft to hand leadership to `target` (etcd's `MoveLeader`); only a leader can.
    pub fn transfer_leader(&mut self, target: u64) {
        if let Some(raw) = self.raw.as_mut() {
            raw.transfer_leader(target);
        }
    }

    pub fn cancel(&mut self, id: u64) {
        self.server.cancel(id);
    }
}

/// Entry bytes besides its put values that those values may keep alive (keys, framing, compares). The
/// values of an entry made mostly of something else (large keys or compare values) are copied, so that a
/// small value does not pin a large entry.
const SHARED_VALUE_SLACK_BYTES: usize = 4096;

/// The put values of a committed entry as slices of its data, for the store to keep instead of copies:
/// the leader's log, the messages that carried the entry and every member's store then hold one buffer.
fn shared_values(data: &bytes::Bytes) -> Vec<bytes::Bytes> {
    let values = crate::server::api::put_values(data);
    let total: usize = values.iter().map(|v| v.len()).sum();
    if data.len() > total + SHARED_VALUE_SLACK_BYTES && data.len() > 2 * total {
        return Vec::new();
    }
    values.into_iter().map(|v| data.slice_ref(v)).collect()
}

fn role_of(s: StateRole) -> Role {
    match s {
        StateRole::Leader => Role::Leader,
        StateRole::Follower => Role::Follower,
        StateRole::Candidate => Role::Candidate,
        StateRole::PreCandidate => Role::PreCandidate,
    }
}
