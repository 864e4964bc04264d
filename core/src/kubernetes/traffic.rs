//! Controller-like traffic: node lease renewals every 10 s, pod status updates as GuaranteedUpdate
//! transactions, events on 1 h leases, and the apiserver's compaction every 5 minutes to the revision it
//! saw a round earlier. The apiserver's watches are running `watch` commands the playground starts.

use super::shape::{Kind, Shape};
use super::{create, guarded_put, Answer, InFlight, TrafficCounts, REQUEST_TIMEOUT_MS};
use crate::mvcc::KeyRange;
use crate::rng::SimRng;
use crate::server::api::Request;
use crate::sim::Cluster;

/// The traffic runs in steps of this many simulated milliseconds.
const TRAFFIC_STEP_MS: u64 = 100;
/// A node renews its lease every 10 s (kubelet's `nodeLeaseDurationSeconds` 40 / 4).
const NODE_LEASE_RENEW_MS: u64 = 10_000;
/// Each pod's status is updated about once every this many simulated seconds (probes, conditions).
const POD_UPDATE_PERIOD_S: u64 = 300;
/// Events live this long (kube-apiserver's `--event-ttl` 1h), on a lease granted once a minute.
const EVENT_TTL_S: i64 = 3_600;
const EVENT_LEASE_PERIOD_MS: u64 = 60_000;
/// Event leases get IDs from here on (the apiserver lets etcd pick; fixed IDs keep the traffic simple).
const EVENT_LEASE_BASE: i64 = 0x6b75_6265_0000_0000;
/// Traffic requests in flight at most; beyond it the client sheds work (counted as failed).
const TRAFFIC_IN_FLIGHT: usize = 2_000;
/// kube-apiserver's `--etcd-compaction-interval` (5 minutes by default): each round compacts to the
/// revision seen one round earlier, so etcd keeps about five minutes of history and its memory stays bounded
/// under steady updates.
pub(super) const COMPACTION_INTERVAL_MS: u64 = 5 * 60_000;

/// The controller-like traffic while it runs.
#[derive(Clone, Debug)]
pub(super) struct Traffic {
    pub(super) shape: Shape,
    rng: SimRng,
    pub(super) next_ms: u64,
    /// Pod updates owed, in thousandths.
    owed_milli: u64,
    in_flight: InFlight,
    /// The running watch commands that stand for the apiserver's watches.
    pub(super) watches: Vec<u64>,
    event_lease: Option<i64>,
    updates: u64,
    /// When the apiserver's compactor runs next, and the revision it saw at its last round.
    next_compaction_ms: u64,
    pub(super) seen_rev: i64,
}

impl Traffic {
    pub(super) fn new(shape: Shape, rng: SimRng, now_ms: u64, watches: Vec<u64>) -> Traffic {
        Traffic {
            shape,
            rng,
            next_ms: now_ms,
            owed_milli: 0,
            in_flight: InFlight::default(),
            watches,
            event_lease: None,
            updates: 0,
            next_compaction_ms: now_ms + COMPACTION_INTERVAL_MS,
            seen_rev: 0,
        }
    }

    pub(super) fn poll(&mut self, cluster: &mut Cluster, counts: &mut TrafficCounts) {
        for answer in self.in_flight.collect(cluster) {
            match answer {
                Answer::Done => {}
                Answer::Conflict => counts.conflicts += 1,
                Answer::Failed(_) => counts.failed += 1,
            }
        }
        if cluster.now_ms() < self.next_ms {
            return;
        }
        // Steps fall on multiples of the step, so the traffic does not depend on when it was turned on.
        self.next_ms = (cluster.now_ms() / TRAFFIC_STEP_MS + 1) * TRAFFIC_STEP_MS;
        let Some(leader) = cluster.leader() else { return };
        self.renew_node_leases(cluster, counts, leader);
        self.grant_event_lease(cluster, counts, leader);
        self.maybe_compact(cluster, counts, leader);
        let pods = self.shape.count(Kind::Pod);
        self.owed_milli += (pods / POD_UPDATE_PERIOD_S).max(2) * TRAFFIC_STEP_MS;
        while self.owed_milli >= 1_000 {
            self.owed_milli -= 1_000;
            let p = self.rng.range(0, pods);
            self.update_object(cluster, counts, leader, Kind::Pod, p);
            counts.pod_updates += 1;
            self.updates += 1;
            // Every other status change is worth an event (Pulled, Started, Unhealthy, ...).
            if self.updates.is_multiple_of(2) {
                self.create_event(cluster, counts, leader);
            }
        }
    }

    /// Each node renews its lease every [`NODE_LEASE_RENEW_MS`], the nodes spread evenly over the period.
    fn renew_node_leases(&mut self, cluster: &mut Cluster, counts: &mut TrafficCounts, leader: usize) {
        let slots = NODE_LEASE_RENEW_MS / TRAFFIC_STEP_MS;
        let slot = (cluster.now_ms() / TRAFFIC_STEP_MS) % slots;
        let nodes = self.shape.count(Kind::Node);
        for node in (0..nodes).filter(|k| k * slots / nodes == slot) {
            self.update_object(cluster, counts, leader, Kind::NodeLease, node);
            counts.lease_renewals += 1;
        }
    }

    /// Events are attached to a lease of [`EVENT_TTL_S`]; a new one is granted every minute.
    fn grant_event_lease(&mut self, cluster: &mut Cluster, counts: &mut TrafficCounts, leader: usize) {
        let id = EVENT_LEASE_BASE + (cluster.now_ms() / EVENT_LEASE_PERIOD_MS) as i64;
        if self.event_lease == Some(id) {
            return;
        }
        self.event_lease = Some(id);
        self.send_traffic(cluster, counts, leader, Request::LeaseGrant { id, ttl_s: EVENT_TTL_S });
    }

    /// The apiserver's compactor (storage/etcd3/compact.go): every interval, compact to the revision the
    /// previous round saw. The real one first takes `compact_rev_key` with a txn so that only one of several
    /// apiservers compacts; with one apiserver that txn always succeeds, so it is left out.
    fn maybe_compact(&mut self, cluster: &mut Cluster, counts: &mut TrafficCounts, leader: usize) {
        if cluster.now_ms() < self.next_compaction_ms {
            return;
        }
        self.next_compaction_ms = cluster.now_ms() + COMPACTION_INTERVAL_MS;
        if self.seen_rev > 0 {
            self.send_traffic(
                cluster,
                counts,
                leader,
                Request::Compaction { revision: self.seen_rev, physical: false },
            );
        }
        self.seen_rev = cluster.node(leader).server.store.current_rev();
    }

    fn create_event(&mut self, cluster: &mut Cluster, counts: &mut TrafficCounts, leader: usize) {
        let j = self.shape.count(Kind::Event) + counts.events;
        let key = self.shape.key(Kind::Event, j);
        let value = self.shape.value(Kind::Event, j, cluster.now_ms());
        self.send_traffic(cluster, counts, leader, create(key, value, self.event_lease.unwrap_or(0)));
        counts.events += 1;
    }

    /// GuaranteedUpdate: the object as the leader's store has it now (the apiserver's cache), rewritten
    /// with the current time, guarded by its modification revision.
    fn update_object(&mut self, cluster: &mut Cluster, counts: &mut TrafficCounts, leader: usize, kind: Kind, j: u64) {
        let key = self.shape.key(kind, j);
        let store = &cluster.node(leader).server.store;
        let seen = store.range(&KeyRange::Single(key.clone().into_bytes()), 0, 1);
        let mod_revision = seen.ok().and_then(|r| r.kvs.first().map(|kv| kv.mod_revision)).unwrap_or(0);
        let value = self.shape.value(kind, j, cluster.now_ms());
        self.send_traffic(cluster, counts, leader, guarded_put(key, mod_revision, value, 0));
    }

    fn send_traffic(&mut self, cluster: &mut Cluster, counts: &mut TrafficCounts, leader: usize, request: Request) {
        if self.in_flight.len() >= TRAFFIC_IN_FLIGHT {
            counts.failed += 1;
            return;
        }
        match cluster.submit(leader, request) {
            Ok(id) => self.in_flight.push(id, cluster.now_ms() + REQUEST_TIMEOUT_MS),
            Err(_) => counts.failed += 1,
        }
    }
}
