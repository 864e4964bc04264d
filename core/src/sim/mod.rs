//! The simulated cluster: a clock, one seeded RNG, the network and every member's process and disk, with
//! the faults done to them and the trace of what happened. Clients submit requests to a member and take
//! the answers; the playground above (`crate::playground::World`) runs the cluster moment by moment and
//! polls its clients in between. Nothing here reads real time or real randomness, so (seed, actions)
//! replays a run exactly, natively and in the browser. Events at the same millisecond run in a fixed
//! order: message deliveries (in send order), then ticks (in member order), then each member's Ready.

mod invariants;
pub mod keyspace;
pub mod leases_view;
pub mod network;
pub mod view;

use crate::cluster::{cluster_id, Member, MemberConfig};
use crate::disk::{self, Disk};
use crate::linearizability::session::SessionHistory;
use crate::raftnode::Node;
use crate::rng::SimRng;
use crate::server::api::{Request, Response, ResponseHeader, ServerError, ServerResult};
use crate::server::membership::MemberChange;
use crate::snapshot::SnapshotData;
use crate::trace::{Event, Role, Trace};
use invariants::{Invariants, Observed};
use network::{Delivery, Network};
use raft::prelude::{Message, MessageType};
use std::collections::BTreeMap;
use std::rc::Rc;

/// What the page shows of one member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeView {
    pub name: String,
    pub id: u64,
    pub role: Role,
    pub term: u64,
    pub commit_index: u64,
    pub applied_index: u64,
    pub up: bool,
    pub leader_id: u64,
    pub revision: i64,
    /// Frozen by [`Action::Pause`] (a GC pause): up, but neither ticking nor answering.
    pub paused: bool,
    /// The disk's fsync profile, as [`disk::DiskProfile::describe`] names it ("NVMe", "fsync 250-350 ms").
    pub disk: String,
}

/// The whole simulated deployment: every member, the network between them and the clock.
pub struct Cluster {
    now_ms: u64,
    rng: SimRng,
    pub network: Network,
    nodes: Vec<Node>,
    members: Vec<Member>,
    cluster_id: u64,
    /// `--initial-cluster-token` of the running cluster (a restored cluster may have its own).
    token: String,
    trace: Trace,
    next_request_id: u64,
    answers: BTreeMap<u64, (usize, ServerResult)>,
    /// Each member's (role, term, applied index) when last looked at, to trace changes.
    observed: Vec<(Role, u64, u64)>,
    /// Messages that arrived for a paused member, by member ID, delivered when it resumes (its socket
    /// buffers them), at most [`HELD_PER_MEMBER`] each.
    held: BTreeMap<u64, Vec<Message>>,
    /// When each (leader, follower) heartbeat was last sent, and when its round trip was last recorded.
    heartbeats_sent: BTreeMap<(u64, u64), u64>,
    rtt_sampled: BTreeMap<(u64, u64), u64>,
    /// What clients sent and got, when the playground asks for it.
    history: Option<SessionHistory>,
    /// The newest (pre-)vote each member granted, by voter ID, for the page's election view.
    vote_grants: BTreeMap<u64, view::VoteGrant>,
    /// One leader per term; terms, applied indexes and revisions that only grow (debug builds).
    invariants: Invariants,
}

/// Messages a paused member's peers can have waiting for it: etcd's peer stream buffer (`streamBufSize`).
const HELD_PER_MEMBER: usize = 4_096;

/// How often a member records the round-trip time to each peer (etcd's prober samples every few seconds).
const RTT_SAMPLE_MS: u64 = 5_000;

/// The client URL a member serves on when none is given: its peer URL's host on port 2379.
pub fn default_client_url(peer_urls: &[String]) -> String {
    let peer = peer_urls.first().map(String::as_str).unwrap_or("http://127.0.0.1:2380");
    match peer.rsplit_once(':') {
        Some((host, _port)) => format!("{host}:2379"),
        None => format!("{peer}:2379"),
    }
}

/// A data dir written by `snapshot restore`: the new cluster's members and the snapshot to start from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoredDir {
    /// The member this data dir belongs to (`--name`).
    pub name: String,
    pub token: String,
    pub cluster_id: u64,
    pub members: Vec<Member>,
    pub snapshot: SnapshotData,
}

impl Cluster {
    /// Boots the cluster of `members` (`--initial-cluster-state new`) at time 0, every member's disk
    /// starting from `base` when given (a data dir `snapshot restore` wrote). `record_history` keeps what
    /// clients sent and got for the session check.
    pub fn boot(
        seed: u64,
        token: &str,
        members: &[MemberConfig],
        record_history: bool,
        base: Option<Rc<SnapshotData>>,
    ) -> Cluster {
        let mut rng = SimRng::new(seed);
        let history = record_history.then(SessionHistory::default);
        let members: Vec<Member> = members.iter().map(|m| Member::from_config(m, token)).collect();
        let ids: Vec<u64> = members.iter().map(|m| m.id).collect();
        let disk = |base: &Option<Rc<SnapshotData>>| Disk::bootstrap(&members).with_base(base.clone());
        let nodes = members.iter().map(|m| Node::start(m.id, &m.name, disk(&base), 0, &mut rng)).collect();
        Cluster {
            cluster_id: cluster_id(&ids),
            token: token.to_string(),
            now_ms: 0,
            rng,
            network: Network::default(),
            nodes,
            members,
            trace: Trace::default(),
            next_request_id: 1,
            answers: BTreeMap::new(),
            observed: vec![(Role::Down, 0, 0); ids.len()],
            held: BTreeMap::new(),
            heartbeats_sent: BTreeMap::new(),
            rtt_sampled: BTreeMap::new(),
            history,
            vote_grants: BTreeMap::new(),
            invariants: Invariants::default(),
        }
    }

    /// A copy of the whole cluster that runs on exactly as this one will, or None while a member's Raft
    /// is mid-Ready (see [`crate::checkpoint`]).
    pub fn fork(&self) -> Option<Cluster> {
        Some(Cluster {
            now_ms: self.now_ms,
            rng: self.rng.clone(),
            network: self.network.clone(),
            nodes: self.nodes.iter().map(Node::fork).collect::<Option<_>>()?,
            members: self.members.clone(),
            cluster_id: self.cluster_id,
            token: self.token.clone(),
            trace: self.trace.clone(),
            next_request_id: self.next_request_id,
            answers: self.answers.clone(),
            observed: self.observed.clone(),
            held: self.held.clone(),
            heartbeats_sent: self.heartbeats_sent.clone(),
            rtt_sampled: self.rtt_sampled.clone(),
            history: self.history.clone(),
            vote_grants: self.vote_grants.clone(),
            invariants: self.invariants.clone(),
        })
    }

    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    pub fn cluster_id(&self) -> u64 {
        self.cluster_id
    }

    pub fn members(&self) -> &[Member] {
        &self.members
    }

    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// The member listening at `endpoint`: a client URL with or without its scheme, or a member name.
    pub fn member_at(&self, endpoint: &str) -> Option<usize> {
        let bare = crate::cluster::strip_scheme(endpoint);
        self.members
            .iter()
            .position(|m| m.name == endpoint || m.client_urls.iter().any(|u| crate::cluster::strip_scheme(u) == bare))
    }

    /// Index of the member with this name.
    pub fn member_index(&self, name: &str) -> Option<usize> {
        self.members.iter().position(|m| m.name == name)
    }

    /// Frees up to `leaves` leaves of the members' key indexes; true once they are all empty. Only for a
    /// cluster nobody runs again (an evicted checkpoint), so that freeing it is spread over many calls.
    pub fn shed(&mut self, leaves: usize) -> bool {
        self.nodes.iter_mut().all(|n| n.server.store.shed(leaves))
    }

    pub fn node(&self, i: usize) -> &Node {
        &self.nodes[i]
    }

    pub fn nodes(&self) -> Vec<NodeView> {
        self.nodes
            .iter()
            .map(|n| NodeView {
                name: n.name.clone(),
                id: n.id,
                role: n.role(),
                term: n.term(),
                commit_index: n.commit_index(),
                applied_index: n.server.applied_index,
                up: n.is_up(),
                leader_id: n.leader_id(),
                revision: n.server.store.current_rev(),
                paused: n.paused,
                disk: n.disk.profile.describe(),
            })
            .collect()
    }

    /// The voting members (not learners) in the leader's membership, in ID order, or none without a
    /// leader: a quorum is a majority of these, so the page shows "quorum 2 of 3 voters" from it.
    pub fn voters(&self) -> Vec<u64> {
        let Some(l) = self.leader() else { return Vec::new() };
        self.nodes[l].server.membership.list().iter().filter(|m| !m.is_learner).map(|m| m.id).collect()
    }

    /// How many of `voters` must agree for Raft to commit or elect: a strict majority.
    pub fn quorum(voters: usize) -> usize {
        voters / 2 + 1
    }

    /// The member that currently leads with the highest term, if any.
    pub fn leader(&self) -> Option<usize> {
        (0..self.nodes.len()).filter(|&i| self.nodes[i].role() == Role::Leader).max_by_key(|&i| self.nodes[i].term())
    }

    /// When the cluster next has something to do: a tick, a finished fsync or a message arriving. Only
    /// the playground asks: the next event of the world also counts its clients' wake-ups.
    pub(crate) fn next_moment_ms(&self) -> Option<u64> {
        let running = self.nodes.iter().filter(|n| n.is_up() && !n.paused);
        let ticks = running.clone().map(|n| n.next_tick_ms);
        let syncs = running.filter_map(Node::next_sync_ms);
        ticks.chain(syncs).chain(self.network.next_due_ms()).min()
    }

    /// Runs everything due at `t`: deliveries, then ticks, then Ready handling and finished fsyncs. The
    /// playground polls its clients after each such moment.
    pub(crate) fn run_moment(&mut self, t: u64) {
        self.now_ms = t;
        while let Some(delivery) = self.network.pop_due(t) {
            match delivery {
                Delivery::Arrived(msg) => self.deliver(msg),
                Delivery::Lost(msg) => self.report_if_snapshot(&msg, false),
            }
        }
        for i in 0..self.nodes.len() {
            if self.nodes[i].is_up() && !self.nodes[i].paused && self.nodes[i].next_tick_ms <= t {
                self.nodes[i].tick(t, &mut self.rng);
            }
        }
        self.process_ready();
    }

    /// Moves the clock on to `target_ms` when nothing is due before it.
    pub(crate) fn settle_clock(&mut self, target_ms: u64) {
        self.now_ms = self.now_ms.max(target_ms);
    }

    /// Whoever watches a store has looked at it (streams poll after each event, clients between them).
    pub(crate) fn mark_watched(&mut self) {
        for n in &mut self.nodes {
            n.server.store.mark_watched();
        }
    }

    /// Hands a message to its member; a paused member gets it when it resumes.
    fn deliver(&mut self, msg: Message) {
        let Some(i) = self.nodes.iter().position(|n| n.id == msg.to) else { return };
        if self.nodes[i].paused {
            let held = self.held.entry(msg.to).or_default();
            if held.len() < HELD_PER_MEMBER {
                held.push(msg);
            } else {
                // The sender's stream to a member that reads nothing is full: etcd drops the message
                // ("dropped internal Raft message since sending buffer is full").
                self.report_if_snapshot(&msg, false);
            }
            return;
        }
        self.report_if_snapshot(&msg, true);
        if msg.get_msg_type() == MessageType::MsgHeartbeatResponse {
            self.observe_round_trip(i, msg.from);
        }
        self.nodes[i].step(msg, self.now_ms, &mut self.rng);
    }

    /// A heartbeat came back to member `i` from `peer`: like etcd's peer prober, record the round trip,
    /// at most once per [`RTT_SAMPLE_MS`] per peer.
    fn observe_round_trip(&mut self, i: usize, peer: u64) {
        let key = (self.nodes[i].id, peer);
        let Some(sent) = self.heartbeats_sent.remove(&key) else { return };
        let last = self.rtt_sampled.get(&key).copied();
        if last.is_some_and(|t| self.now_ms < t + RTT_SAMPLE_MS) {
            return;
        }
        self.rtt_sampled.insert(key, self.now_ms);
        let secs = (self.now_ms - sent) as f64 / 1000.0;
        self.nodes[i].server.metrics.observe_peer_rtt(peer, secs);
    }

    /// Takes message `id` (its network sequence number) off the network, as a loss the trace tells.
    pub fn drop_message(&mut self, id: u64) -> Result<(), String> {
        let msg = self.network.drop_message(id).ok_or_else(|| format!("message {id} is not in flight"))?;
        let (from, to, kind) = (self.name_of(msg.from), self.name_of(msg.to), view::message_kind(msg.get_msg_type()));
        self.trace.push(self.now_ms, Event::MessageDropped { from, to, kind: kind.to_string() });
        self.report_if_snapshot(&msg, false);
        Ok(())
    }

    /// Tells the leader whether the snapshot it sent arrived, as etcd's peer transport does.
    fn report_if_snapshot(&mut self, msg: &Message, delivered: bool) {
        if msg.get_msg_type() != MessageType::MsgSnapshot {
            return;
        }
        if let Some(from) = self.nodes.iter().position(|n| n.id == msg.from) {
            self.nodes[from].report_snapshot(msg.to, delivered);
        }
    }

    /// Puts a member's message on the network.
    fn send(&mut self, i: usize, msg: Message) {
        self.note_vote_grant(&msg);
        if msg.get_msg_type() == MessageType::MsgHeartbeat {
            self.heartbeats_sent.insert((msg.from, msg.to), self.now_ms);
        }
        if msg.get_msg_type() == MessageType::MsgSnapshot {
            let to = self.nodes.iter().find(|n| n.id == msg.to).map_or(format!("{:x}", msg.to), |n| n.name.clone());
            let ev = Event::SnapshotSent {
                from: self.nodes[i].name.clone(),
                to,
                index: msg.get_snapshot().get_metadata().index,
            };
            self.trace.push(self.now_ms, ev);
        }
        if !self.network.send(msg.clone(), self.now_ms, &mut self.rng) {
            self.report_if_snapshot(&msg, false);
        }
    }

    /// Handles every member's Ready and the fsyncs finished by now, until nothing is left to do: sends
    /// messages, collects client answers, records what changed.
    fn process_ready(&mut self) {
        loop {
            let mut progressed = false;
            for i in 0..self.nodes.len() {
                let mut out = self.nodes[i].handle_ready(self.now_ms, &mut self.rng);
                let synced = self.nodes[i].complete_syncs(self.now_ms);
                progressed |= !synced.is_empty() || self.nodes[i].has_ready();
                out.extend(synced);
                for msg in out {
                    self.send(i, msg);
                }
                self.collect_answers(i);
                self.note_changes(i);
            }
            if !progressed {
                break;
            }
        }
    }

    /// Records what changed in member `i` since it was last looked at (a step or tick may have changed
    /// its role before its Ready is handled, so the comparison is with the last observation).
    fn note_changes(&mut self, i: usize) {
        let observed = std::mem::take(&mut self.nodes[i].observed);
        let node = &mut self.nodes[i];
        for us in &observed.fsync_us {
            node.server.metrics.observe_wal_fsync(*us as f64 / 1e6);
        }
        let leader_id = node.leader_id();
        node.server.metrics.observe_leader(leader_id);
        let member = self.nodes[i].name.clone();
        if let Some(index) = observed.saved_snapshot {
            self.trace.push(self.now_ms, Event::SnapshotSaved { member: member.clone(), index });
        }
        if let Some(revision) = observed.auto_compacted {
            self.trace.push(self.now_ms, Event::AutoCompaction { member: member.clone(), revision });
        }
        if let Some(index) = observed.installed_snapshot {
            self.trace.push(self.now_ms, Event::SnapshotInstalled { member, index });
        }
        if self.nodes[i].is_up() && self.nodes[i].server.membership.is_removed(self.nodes[i].id) {
            // etcd exits once it applies its own removal ("the member has been permanently removed").
            self.nodes[i].kill();
            self.trace.push(self.now_ms, Event::Removed { member: self.nodes[i].name.clone() });
        }
        let n = &self.nodes[i];
        let now = (n.role(), n.term(), n.server.applied_index);
        let before = self.observed.get(i).copied().unwrap_or((Role::Down, 0, 0));
        if (now.0, now.1) != (before.0, before.1) && now.0 != Role::Down {
            let ev = Event::RoleChanged { member: n.name.clone(), role: now.0, term: now.1 };
            self.trace.push(self.now_ms, ev);
        }
        if now.2 != before.2 && now.2 != 0 {
            let ev = Event::Applied { member: n.name.clone(), index: now.2, revision: n.server.store.current_rev() };
            self.trace.push(self.now_ms, ev);
        }
        if let Some(slot) = self.observed.get_mut(i) {
            *slot = now;
        }
        let n = &self.nodes[i];
        if n.is_up() {
            let revision = n.server.store.current_rev();
            let leads = now.0 == Role::Leader;
            self.invariants.observe(i, Observed { id: n.id, leads, term: now.1, applied: now.2, revision });
        } else {
            self.invariants.restarted(i);
        }
    }

    fn collect_answers(&mut self, i: usize) {
        for (id, result) in self.nodes[i].take_done() {
            if let Some(h) = &mut self.history {
                h.answered(id, &result, self.now_ms);
            }
            self.answers.insert(id, (i, result));
        }
    }

    /// Sends a request to member `i` without waiting (a pipelining client); the answer comes from
    /// [`Cluster::take_answer`]. Requests etcd forwards to the leader are not sent this way.
    pub fn submit(&mut self, i: usize, request: Request) -> Result<u64, ServerError> {
        crate::server::apply::check(&request)?;
        let request = self.prepare_member_change(request)?;
        let id = self.next_request_id;
        self.next_request_id += 1;
        if let Some(h) = &mut self.history {
            h.called(id, &self.members[i].name, &request, self.now_ms);
        }
        self.nodes[i].submit(id, request, self.now_ms);
        self.process_ready();
        Ok(id)
    }

    /// Gives up waiting for request `id` on whichever member has it.
    pub fn cancel_everywhere(&mut self, id: u64) {
        self.nodes.iter_mut().for_each(|n| n.cancel(id));
    }

    /// Gives up waiting for request `id` on member `i` (the client's deadline passed).
    pub fn cancel(&mut self, i: usize, id: u64) {
        self.nodes[i].cancel(id);
    }

    /// Whether the answer to request `id` has arrived.
    pub fn has_answer(&self, id: u64) -> bool {
        self.answers.contains_key(&id)
    }

    /// The answer to request `id`, once it has arrived; the header names the answering member.
    pub fn take_answer(&mut self, id: u64) -> Option<ServerResult> {
        let (member, result) = self.answers.remove(&id)?;
        let outcome = match &result {
            Ok(_) => "ok".to_string(),
            Err(e) => e.to_string(),
        };
        let ev = Event::Answered { request: id, member: self.nodes[member].name.clone(), outcome };
        self.trace.push(self.now_ms, ev);
        Some(result.map(|r| self.stamp(member, r)))
    }

    /// The answer to request `id` as the member left it (no header stamp, nothing traced), for a client
    /// that reads the raw result; every member forgets the request.
    pub fn take_answer_quietly(&mut self, id: u64) -> Option<ServerResult> {
        let (_, result) = self.answers.remove(&id)?;
        Some(result)
    }

    /// Fills in what a membership change needs from the world: a new member's ID (etcd salts it with the
    /// wall-clock time) and, for a promotion, the leader's verdict on whether the learner has caught up.
    fn prepare_member_change(&self, request: Request) -> Result<Request, ServerError> {
        match request {
            Request::Member(MemberChange::Add(mut m)) => {
                let unix_s = (crate::server::idgen::EPOCH_UNIX_MS + self.now_ms) / 1000;
                m.id = crate::cluster::member_id_at(&m.peer_urls, &self.token, unix_s);
                Ok(Request::Member(MemberChange::Add(m)))
            }
            Request::Member(MemberChange::Promote(id)) => {
                let leader = self.leader().map(|l| &self.nodes[l]);
                let known_learner = leader.and_then(|l| l.server.membership.get(id)).is_some_and(|m| m.is_learner);
                if known_learner && leader.and_then(|l| l.learner_ready(id)) == Some(false) {
                    return Err(ServerError::LearnerNotReady);
                }
                Ok(Request::Member(MemberChange::Promote(id)))
            }
            other => Ok(other),
        }
    }

    /// Serves now, by the leader member `i` knows, a request etcd forwards to the leader; None when member
    /// `i` knows no leader it can reach.
    pub fn serve_by_leader(&mut self, i: usize, request: &Request) -> Option<ServerResult> {
        let lid = self.nodes[i].leader_id();
        let leader = self.nodes.iter().position(|n| n.id == lid && n.is_up() && n.role() == Role::Leader);
        let l = leader.filter(|&l| l == i || self.network.is_reachable(self.nodes[i].id, lid))?;
        let now = self.now_ms;
        Some(self.nodes[l].serve_as_leader(request, now).map(|r| self.stamp(l, r)))
    }

    /// Fills in the header fields only the answering member knows.
    fn stamp(&self, member: usize, mut r: Response) -> Response {
        let header = r.header_mut();
        *header = ResponseHeader {
            cluster_id: self.cluster_id,
            member_id: self.nodes[member].id,
            raft_term: self.nodes[member].term(),
            ..*header
        };
        r
    }

    /// A header as member `i` would send it now.
    pub fn header(&self, i: usize) -> ResponseHeader {
        let n = &self.nodes[i];
        ResponseHeader {
            cluster_id: self.cluster_id,
            member_id: n.id,
            revision: n.server.store.current_rev(),
            raft_term: n.term(),
        }
    }

    /// Starts a leadership transfer from leader `i` to member `target` (etcd's `MoveLeader`); the
    /// caller waits for it.
    pub fn start_leader_transfer(&mut self, i: usize, target: u64) {
        self.nodes[i].transfer_leader(target);
        self.process_ready();
    }

    /// Sets every member's backend quota (`--quota-backend-bytes`).
    pub fn set_quota(&mut self, bytes: u64) {
        for n in &mut self.nodes {
            n.server.quota_bytes = bytes;
        }
    }

    /// The client history the session check reads (None unless the config records it).
    pub fn session_history(&self) -> Option<&SessionHistory> {
        self.history.as_ref()
    }

    /// Whether members answer linearizable reads without ReadIndex (the unsafe teaching mode).
    pub fn unsafe_reads(&self) -> bool {
        self.nodes.iter().any(|n| n.unsafe_reads)
    }

    /// Turns the unsafe teaching mode on or off on every member.
    pub fn set_unsafe_reads(&mut self, on: bool) {
        for n in &mut self.nodes {
            n.unsafe_reads = on;
        }
        self.note(Event::UnsafeReads { on });
    }

    /// Defragments member `i`'s backend.
    pub fn defragment(&mut self, i: usize) {
        self.nodes[i].server.defragment();
    }

    /// Starts member `id`, which `member add` announced as `name`, with an empty data dir, as `etcd
    /// --initial-cluster-state existing` does: it learns the log from the leader and publishes its name.
    pub fn join_member(&mut self, id: u64, name: &str, client_url: Option<String>) -> Result<(), String> {
        if self.nodes.iter().any(|n| n.id == id) {
            return Err(format!("{name} is already started"));
        }
        let source = self.leader().ok_or("no leader to join")?;
        let member = self.nodes[source].server.membership.get(id).cloned().ok_or(format!("{name} is not a member"))?;
        let conf_state = self.nodes[source].disk.conf_state();
        let first = &self.nodes[0].disk;
        let disk = Disk::with_conf_state(conf_state, first.bootstrap.clone()).with_base(first.base.clone());
        let client_urls = client_url.into_iter().collect::<Vec<_>>();
        let mut node = Node::start(id, name, disk, self.now_ms, &mut self.rng);
        node.unsafe_reads = self.unsafe_reads();
        let member = Member { name: name.to_string(), client_urls: client_urls.clone(), ..member };
        // A member replacing a stopped one of the same name (a wiped member removed and added again)
        // takes its place.
        let i = match self.member_index(name).filter(|&i| !self.nodes[i].is_up()) {
            Some(i) => {
                self.nodes[i] = node;
                self.members[i] = member;
                i
            }
            None => {
                self.nodes.push(node);
                self.observed.push((Role::Down, 0, 0));
                self.members.push(member);
                self.nodes.len() - 1
            }
        };
        self.invariants.restarted(i);
        self.trace.push(self.now_ms, Event::Restarted { member: name.to_string() });
        let publish = MemberChange::Publish { id, name: name.to_string(), client_urls };
        self.submit(i, Request::Member(publish)).map_err(|e| e.to_string())?;
        Ok(())
    }

    /// Stops the running cluster and puts the restored one in its place, every member down.
    pub fn switch_to_restored(&mut self, dir: &RestoredDir) {
        for i in 0..self.nodes.len() {
            self.kill(i);
        }
        let base = Some(Rc::new(dir.snapshot.clone()));
        self.nodes = dir
            .members
            .iter()
            .map(|m| {
                let disk = Disk::bootstrap(&dir.members).with_base(base.clone());
                let mut node = Node::start(m.id, &m.name, disk, self.now_ms, &mut self.rng);
                node.kill();
                node
            })
            .collect();
        self.members = dir.members.clone();
        self.observed = vec![(Role::Down, 0, 0); self.nodes.len()];
        self.cluster_id = dir.cluster_id;
        self.token = dir.token.clone();
        self.invariants.replaced();
        self.network = Network::default();
        // Votes of the replaced cluster: its member IDs may come back with the restored members.
        self.vote_grants.clear();
        if let Some(h) = &mut self.history {
            h.restart(self.now_ms);
        }
    }

    /// Member `i`'s client URLs (a restored member is started with its own).
    pub fn set_client_urls(&mut self, i: usize, urls: Vec<String>) {
        self.members[i].client_urls = urls;
    }

    /// Stops member `i`'s process; its disk survives.
    pub fn kill(&mut self, i: usize) {
        if self.nodes[i].is_up() {
            self.nodes[i].kill();
            self.invariants.restarted(i);
            // What waited in its socket buffer goes with the process.
            self.held.remove(&self.nodes[i].id);
            let ev = Event::Killed { member: self.nodes[i].name.clone() };
            self.trace.push(self.now_ms, ev);
        }
    }

    /// Restarts member `i` from its disk; it replays its log and catches up from the leader.
    pub fn restart(&mut self, i: usize) {
        if self.nodes[i].paused {
            self.resume(i);
        }
        if !self.nodes[i].is_up() && !self.nodes[i].disk.wiped {
            self.nodes[i].restart(self.now_ms, &mut self.rng);
            let ev = Event::Restarted { member: self.nodes[i].name.clone() };
            self.trace.push(self.now_ms, ev);
            self.process_ready();
        }
    }

    /// Pauses member `i`'s process (a long GC pause, SIGSTOP): it neither ticks nor handles messages
    /// (they wait in its socket buffer) until resumed, while its peers carry on.
    pub fn pause(&mut self, i: usize) {
        if self.nodes[i].is_up() && !self.nodes[i].paused {
            self.nodes[i].paused = true;
            self.trace.push(self.now_ms, Event::Paused { member: self.nodes[i].name.clone() });
        }
    }

    /// Resumes a paused member: it handles the messages that waited, then ticks on from now.
    pub fn resume(&mut self, i: usize) {
        if !self.nodes[i].paused {
            return;
        }
        self.nodes[i].paused = false;
        self.nodes[i].next_tick_ms = self.nodes[i].next_tick_ms.max(self.now_ms);
        self.trace.push(self.now_ms, Event::Resumed { member: self.nodes[i].name.clone() });
        let id = self.nodes[i].id;
        for msg in self.held.remove(&id).unwrap_or_default() {
            self.deliver(msg);
        }
        self.process_ready();
    }

    /// Deletes member `i`'s data dir (its process stops first). As in etcd, the member cannot come back
    /// with that ID: it must be removed and added again.
    pub fn wipe(&mut self, i: usize) {
        self.kill(i);
        self.nodes[i].disk.wipe();
        self.trace.push(self.now_ms, Event::Wiped { member: self.nodes[i].name.clone() });
    }

    /// Gives member `i`'s disk a new fsync profile.
    pub fn set_disk(&mut self, i: usize, profile: disk::DiskProfile) {
        self.nodes[i].disk.profile = profile;
        let ev = Event::DiskChanged { member: self.nodes[i].name.clone(), disk: profile.describe() };
        self.trace.push(self.now_ms, ev);
    }

    /// Sets every member's `--snapshot-count` (0 never compacts the Raft log).
    pub fn set_snapshot_count(&mut self, count: u64) {
        for n in &mut self.nodes {
            n.snapshot_count = count;
        }
    }

    /// Sets every member's `--auto-compaction-mode` and retention (None turns it off).
    pub fn set_auto_compaction(&mut self, mode: Option<crate::server::compactor::Mode>) {
        let now = self.now_ms;
        for n in &mut self.nodes {
            n.compactor = mode.map(|m| crate::server::compactor::Compactor::new(m, now));
        }
    }

    /// Cuts the links between groups of members (by index).
    pub fn partition(&mut self, groups: &[Vec<usize>]) {
        let ids: Vec<Vec<u64>> = groups.iter().map(|g| g.iter().map(|&i| self.nodes[i].id).collect()).collect();
        self.network.partition(&ids);
        let names = groups.iter().map(|g| g.iter().map(|&i| self.nodes[i].name.clone()).collect()).collect();
        self.trace.push(self.now_ms, Event::Partitioned { groups: names });
    }

    /// Degrades the link between members `i` and `j`.
    pub fn set_link(&mut self, i: usize, j: usize, fault: network::LinkFault) {
        let (a, b) = (self.nodes[i].id, self.nodes[j].id);
        self.network.set_link(a, b, Some(fault));
        let (na, nb) = (self.nodes[i].name.clone(), self.nodes[j].name.clone());
        self.trace.push(
            self.now_ms,
            Event::LinkChanged { a: na, b: nb, latency_ms: fault.latency_ms, loss: fault.loss.to_string() },
        );
    }

    /// Gives every link without its own fault the fault of a network profile (`lan`: none).
    pub fn set_network_profile(&mut self, name: &str, fault: Option<network::LinkFault>) {
        self.network.profile = fault;
        self.trace.push(self.now_ms, Event::NetworkProfile { profile: name.to_string() });
    }

    /// The name of the network's profile (`lan`, `wan`, `congested`), for a view to show what is set.
    pub fn network_profile(&self) -> &'static str {
        let named = |name: &&&str| network::LinkFault::profile(name) == Some(self.network.profile);
        network::PROFILES.iter().find(named).copied().unwrap_or("lan")
    }

    pub fn heal(&mut self) {
        self.network.heal();
        self.trace.push(self.now_ms, Event::Healed);
    }

    /// Records a finished console command in the trace.
    pub fn note(&mut self, event: Event) {
        self.trace.push(self.now_ms, event);
    }
}
