//! The etcd server of one member: applies committed entries to its MVCC store in log order, answers
//! serializable reads locally and linearizable reads after a ReadIndex round, and tracks which client
//! requests this member is waiting on. Knows nothing of Raft's internals: the [`crate::raftnode`] feeds it.

pub mod alarm;
pub mod api;
pub mod apply;
pub mod compactor;
mod gosort;
pub mod idgen;
pub mod membership;
pub mod metrics;
pub mod txn;
pub mod watch;

use crate::mvcc::Store;
use api::*;
use std::collections::BTreeMap;

/// etcd's request timeout: 5 s plus two election timeouts (`ReqTimeout`).
pub const REQUEST_TIMEOUT_MS: u64 = 7_000;

/// How long a linearizable read waits for a ReadIndex answer before asking again, as etcd's read loop
/// retries when the leader does not answer.
pub const READ_INDEX_RETRY_MS: u64 = 500;

/// A linearizable read waiting for its read index, then for the store to apply up to it.
#[derive(Clone, Debug)]
struct PendingRead {
    request: RangeRequest,
    read_index: Option<u64>,
    asked_at_ms: u64,
}

/// Per-member server state. Volatile: rebuilt from the disk's log after a restart.
#[derive(Clone, Debug, Default)]
pub struct Server {
    pub store: Store,
    pub lessor: crate::lease::Lessor,
    pub membership: membership::Membership,
    pub alarms: alarm::Alarms,
    /// `--quota-backend-bytes`: a write that would grow the backend past it raises NOSPACE.
    pub quota_bytes: u64,
    pub applied_index: u64,
    /// Write requests this member proposed and answers when they apply.
    waiting: BTreeMap<u64, u64>,
    /// Proposals raft-rs dropped (no leader yet): proposed again on the next tick.
    unproposed: BTreeMap<u64, Vec<u8>>,
    reads: BTreeMap<u64, PendingRead>,
    /// Answers ready for clients: (request id, result).
    pub done: Vec<(u64, ServerResult)>,
    /// The backend file's size: it grows with the data and shrinks only on defrag, like bbolt's.
    db_size_high_water: u64,
    /// etcd's Prometheus metrics for this member (`/metrics`); a restarted process starts them afresh.
    pub metrics: metrics::Metrics,
}

/// A fresh etcd backend file is 20 KiB; it grows in 4 KiB pages.
const DB_BASE_BYTES: u64 = 20_480;
const DB_PAGE_BYTES: u64 = 4_096;

impl Server {
    pub fn new() -> Server {
        Server::default()
    }

    /// A server whose cluster starts with the bootstrap members.
    pub fn with_members(initial: &[crate::cluster::Member]) -> Server {
        Server {
            membership: membership::Membership::new(initial),
            quota_bytes: alarm::DEFAULT_QUOTA_BYTES,
            ..Server::default()
        }
    }

    /// Replaces the backend by a snapshot's (a Raft snapshot from the leader, or this member's own at
    /// restart), as etcd swaps in the received bolt db. Answers nobody: requests waiting on entries the
    /// snapshot covers time out, as they do in etcd.
    pub fn restore_backend(&mut self, data: &crate::snapshot::SnapshotData, index: u64, now_ms: u64) {
        if let Ok(store) = data.store() {
            self.store = store;
        }
        self.lessor = data.lessor(now_ms);
        if !data.members.is_empty() {
            self.membership = membership::Membership::new(&data.members);
        }
        self.db_size_high_water = data.db_size;
        self.applied_index = index;
    }

    /// etcd's quota check before proposing: would `req` take the backend past the quota?
    pub fn exceeds_quota(&self, req: &Request) -> bool {
        alarm::adds_data(req) && self.db_size() + alarm::cost(req) > self.quota_bytes
    }

    /// Applies a membership change committed at `index` (already validated and applied to Raft when
    /// `result` is Ok), answering its client if this member waits on it.
    pub fn apply_member_change(
        &mut self,
        index: u64,
        proposal: &membership::ConfProposal,
        ok: Result<(), ServerError>,
    ) {
        self.applied_index = index;
        let result = ok.map(|()| {
            self.membership.apply(&proposal.change);
            let member = self.membership.get(proposal.change.member_id()).cloned();
            let header = ResponseHeader { revision: self.store.current_rev(), ..Default::default() };
            Response::Members { header, member, members: self.membership.list() }
        });
        if self.waiting.remove(&proposal.id).is_some() {
            self.done.push((proposal.id, result));
        }
    }

    /// Backend bytes holding live data (etcd's `dbSizeInUse`).
    pub fn db_size_in_use(&self) -> u64 {
        DB_BASE_BYTES + self.store.bytes_in_use().div_ceil(DB_PAGE_BYTES) * DB_PAGE_BYTES
    }

    /// Backend file size (etcd's `dbSize`): never below what is in use, reclaimed only by defrag.
    pub fn db_size(&self) -> u64 {
        self.db_size_high_water.max(self.db_size_in_use())
    }

    /// Rewrites the backend without its free pages, as `etcdctl defrag` does.
    pub fn defragment(&mut self) {
        self.db_size_high_water = self.db_size_in_use();
    }

    /// Registers a write this member will answer once the entry applies.
    pub fn wait_for(&mut self, id: u64, now_ms: u64) {
        self.waiting.insert(id, now_ms + REQUEST_TIMEOUT_MS);
    }

    /// Remembers a proposal that could not be handed to Raft yet.
    pub fn defer_proposal(&mut self, id: u64, data: Vec<u8>) {
        self.unproposed.insert(id, data);
    }

    /// Takes the proposals to hand to Raft again.
    pub fn take_unproposed(&mut self) -> Vec<(u64, Vec<u8>)> {
        std::mem::take(&mut self.unproposed).into_iter().collect()
    }

    /// Registers a linearizable read that waits for a read index.
    pub fn start_read(&mut self, id: u64, request: RangeRequest, now_ms: u64) {
        self.reads.insert(id, PendingRead { request, read_index: None, asked_at_ms: now_ms });
    }

    /// Reads whose ReadIndex request went unanswered for too long; the caller asks Raft again.
    pub fn reads_to_retry(&mut self, now_ms: u64) -> Vec<u64> {
        let mut ids = Vec::new();
        for (id, r) in self.reads.iter_mut() {
            if r.read_index.is_none() && now_ms >= r.asked_at_ms + READ_INDEX_RETRY_MS {
                r.asked_at_ms = now_ms;
                ids.push(*id);
            }
        }
        ids
    }

    /// Raft confirmed leadership for a read: it may be served once `index` is applied.
    pub fn on_read_index(&mut self, id: u64, index: u64) {
        if let Some(r) = self.reads.get_mut(&id) {
            r.read_index.get_or_insert(index);
        }
    }

    /// Gives up on writes that waited longer than etcd's request timeout, with etcd's errors: a proposal
    /// Raft never took (no leader) fails with the context's own error; one that was proposed but not
    /// applied times out, blaming the leader if there is none now.
    pub fn expire(&mut self, now_ms: u64, has_leader: bool) {
        let expired: Vec<u64> = self.waiting.iter().filter(|(_, &d)| d <= now_ms).map(|(id, _)| *id).collect();
        for id in expired {
            self.waiting.remove(&id);
            self.metrics.proposal_failed();
            let err = if self.unproposed.remove(&id).is_some() {
                ServerError::ProposeTimeout
            } else if has_leader {
                ServerError::RequestTimeout
            } else {
                ServerError::RequestTimeoutLeaderFail
            };
            self.done.push((id, Err(err)));
        }
    }

    /// Forgets a request the client stopped waiting for.
    pub fn cancel(&mut self, id: u64) {
        // A write whose client gave up fails, as etcd counts a proposal whose context ended.
        if self.waiting.remove(&id).is_some() {
            self.metrics.proposal_failed();
        }
        self.unproposed.remove(&id);
        self.reads.remove(&id);
    }

    /// Applies one committed proposal at `index`, answering it if this member waits on it.
    pub fn apply(&mut self, index: u64, proposal: &Proposal, now_ms: u64) {
        let result = match &proposal.request {
            Request::Member(change @ membership::MemberChange::Publish { .. }) => {
                self.membership.validate(change).map(|()| {
                    self.membership.apply(change);
                    let header = ResponseHeader { revision: self.store.current_rev(), ..Default::default() };
                    let member = self.membership.get(change.member_id()).cloned();
                    Response::Members { header, member, members: self.membership.list() }
                })
            }
            Request::Alarm { action, alarm } => {
                let alarms = self.alarms.apply(*action, *alarm);
                let header = ResponseHeader { revision: self.store.current_rev(), ..Default::default() };
                Ok(Response::Alarm { header, alarms })
            }
            req => {
                self.alarms.check(req).and_then(|()| apply::apply_write(&mut self.store, &mut self.lessor, req, now_ms))
            }
        };
        self.db_size_high_water = self.db_size();
        self.applied_index = index;
        if self.waiting.remove(&proposal.id).is_some() {
            self.done.push((proposal.id, result));
        }
    }

    /// Serves the reads whose read index has been applied.
    pub fn serve_ready_reads(&mut self) {
        let applied = self.applied_index;
        let ready: Vec<u64> =
            self.reads.iter().filter(|(_, r)| r.read_index.is_some_and(|i| i <= applied)).map(|(id, _)| *id).collect();
        for id in ready {
            let r = self.reads.remove(&id).expect("listed above");
            let result = apply::range(&self.store, &r.request);
            self.done.push((id, result));
        }
    }
}
