//! Kubernetes as an etcd client: a keyspace shaped like a real cluster's `/registry/...` and a
//! kube-apiserver-like client that loads it and then keeps a controller-like traffic going (node lease
//! renewals, pod status updates, events on TTL leases, long-running watches). It exists so the page can
//! show why "too many objects" and "large objects" hurt etcd: the db size against the quota, commit
//! and fsync latency, the size of a `get --prefix`, of a snapshot and of an InstallSnapshot transfer.
//!
//! Everything goes through Raft like any client's writes. Objects are created as kube-apiserver creates
//! them, a transaction `If(mod_revision(key) == 0) Then(Put)`, and updated as its GuaranteedUpdate does,
//! `If(mod_revision(key) == seen) Then(Put)`, the seen revision read from the leader's store (the
//! apiserver's watch cache). Both the loader and the traffic are driven by the world's clock (polled
//! after every simulated moment, like a running command), so a load of 100,000 objects spreads over
//! simulated seconds and the page's ticks, and replays exactly.
//!
//! The generated values are readable JSON-like text (Kubernetes stores protobuf) whose sizes follow real
//! clusters: pods 2-4 KB, events about 500 B, config maps and secrets from 250 B, and with the large
//! objects option one config map and one secret in every [`LARGE_EVERY`] between 256 KiB and 1000 KiB
//! (Kubernetes refuses more than 1 MiB of data; etcd more than 1.5 MiB per request).

mod loader;
pub mod shape;
mod traffic;
pub mod view;

pub use shape::{Kind, Shape, LARGE_EVERY, MAX_OBJECTS, MIN_OBJECTS};
pub use view::{si_bytes, thousands, KubernetesView, LoadView};

use crate::rng::SimRng;
use crate::server::api::{
    Compare, CompareResult, CompareTarget, PutRequest, RangeRequest, Request, RequestOp, Response, TxnRequest,
};
use crate::sim::Cluster;
use loader::Loader;
use std::collections::VecDeque;
use traffic::Traffic;

/// etcdctl's and the apiserver's request timeout: a request unanswered this long counts as failed.
const REQUEST_TIMEOUT_MS: u64 = 5_000;
/// The prefixes kube-apiserver keeps a watch on (one per resource it caches; a few shown here).
pub const WATCHED: [&str; 5] =
    ["/registry/pods/", "/registry/minions/", "/registry/leases/", "/registry/events/", "/registry/deployments/"];
/// What the apiserver's watches are called in the console and the Watches panel.
pub const WATCH_OWNER: &str = "kube-apiserver";

/// A create as kube-apiserver sends it: put the key only if it does not exist yet.
pub(crate) fn create(key: String, value: Vec<u8>, lease: i64) -> Request {
    guarded_put(key, 0, value, lease)
}

/// A write guarded by the key's modification revision (0: absent), as kube-apiserver's creates and
/// GuaranteedUpdate send it; on a conflict it reads the key back.
pub(crate) fn guarded_put(key: String, mod_revision: i64, value: Vec<u8>, lease: i64) -> Request {
    let key = key.into_bytes();
    let compare = Compare {
        result: CompareResult::Equal,
        target: CompareTarget::Mod(mod_revision),
        key: key.clone(),
        range_end: Vec::new(),
    };
    let read = RangeRequest { key: key.clone(), ..Default::default() };
    let put = PutRequest { key, value, lease, ..Default::default() };
    Request::Txn(TxnRequest {
        compare: vec![compare],
        success: vec![RequestOp::Put(put)],
        failure: vec![RequestOp::Range(read)],
    })
}

/// What became of a request.
pub(crate) enum Answer {
    Done,
    /// The guard failed: the key existed (a create) or changed meanwhile (an update).
    Conflict,
    Failed(String),
}

/// Requests a client is waiting for: (request ID, deadline), oldest first.
#[derive(Clone, Debug, Default)]
pub(crate) struct InFlight(VecDeque<(u64, u64)>);

impl InFlight {
    /// Takes the answers that arrived and the requests that timed out.
    pub(crate) fn collect(&mut self, cluster: &mut Cluster) -> Vec<Answer> {
        let now = cluster.now_ms();
        let mut out = Vec::new();
        self.0.retain(|&(id, deadline)| {
            if let Some(result) = cluster.take_answer_quietly(id) {
                out.push(match result {
                    Ok(Response::Txn(t)) if !t.succeeded => Answer::Conflict,
                    Ok(_) => Answer::Done,
                    Err(e) => Answer::Failed(e.to_string()),
                });
                return false;
            }
            if now >= deadline {
                cluster.cancel_everywhere(id);
                out.push(Answer::Failed("context deadline exceeded".into()));
                return false;
            }
            true
        });
        out
    }

    /// Waits for request `id` until `deadline_ms`.
    pub(crate) fn push(&mut self, id: u64, deadline_ms: u64) {
        self.0.push_back((id, deadline_ms));
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
}

/// What the traffic did so far (kept after it stops).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrafficCounts {
    pub lease_renewals: u64,
    pub pod_updates: u64,
    pub events: u64,
    /// Updates whose guard failed (someone else changed the object first).
    pub conflicts: u64,
    pub failed: u64,
}

/// The world's Kubernetes client: a load and the traffic.
#[derive(Clone, Debug, Default)]
pub struct Kubernetes {
    loader: Option<Loader>,
    traffic: Option<Traffic>,
    counts: TrafficCounts,
    /// The shape of the newest load: what the traffic updates.
    shape: Option<Shape>,
}

/// How the traffic draws: its own stream, so turning it on leaves the world's other draws alone.
const TRAFFIC_STREAM: u64 = 0x6b75_6265_7472_6166;

impl Kubernetes {
    /// When the client next needs the clock.
    pub fn wake_ms(&self) -> Option<u64> {
        let loading = self.loader.as_ref().filter(|l| l.finished_ms.is_none()).map(|l| l.next_ms);
        let traffic = self.traffic.as_ref().map(|t| t.next_ms);
        loading.into_iter().chain(traffic).min()
    }

    /// Starts loading a keyspace of `objects` objects (see [`Shape`]); refused while a load runs.
    pub fn load(&mut self, objects: u64, large: bool, now_ms: u64) -> Result<(), String> {
        if self.loader.as_ref().is_some_and(|l| l.finished_ms.is_none()) {
            return Err("a Kubernetes load is already running".into());
        }
        let shape = Shape::new(objects, large);
        self.loader = Some(Loader::new(shape, now_ms));
        self.shape = Some(shape);
        if let Some(t) = &mut self.traffic {
            t.shape = shape;
        }
        Ok(())
    }

    pub fn traffic_on(&self) -> bool {
        self.traffic.is_some()
    }

    /// Starts the traffic over the newest load's shape (a small one if nothing was loaded), drawing from
    /// its own stream of the world's seed; `watches` are the apiserver's running watch commands.
    pub fn start_traffic(&mut self, seed: u64, now_ms: u64, watches: Vec<u64>) {
        let shape = self.shape.unwrap_or_else(|| Shape::new(1_000, false));
        self.traffic = Some(Traffic::new(shape, SimRng::new(seed ^ TRAFFIC_STREAM), now_ms, watches));
    }

    /// Stops the traffic; returns its watch commands, for the playground to stop.
    pub fn stop_traffic(&mut self) -> Vec<u64> {
        self.traffic.take().map(|t| t.watches).unwrap_or_default()
    }

    /// The apiserver's running watch commands, while the traffic runs.
    pub fn watches_mut(&mut self) -> Option<&mut Vec<u64>> {
        self.traffic.as_mut().map(|t| &mut t.watches)
    }

    /// The loader's part of this moment.
    pub fn poll_loader(&mut self, cluster: &mut Cluster) {
        if let Some(l) = self.loader.as_mut().filter(|l| l.finished_ms.is_none()) {
            l.poll(cluster);
        }
    }

    /// The traffic's part of this moment.
    pub fn poll_traffic(&mut self, cluster: &mut Cluster) {
        if let Some(t) = &mut self.traffic {
            t.poll(cluster, &mut self.counts);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Action, World, WorldConfig};
    use std::collections::BTreeSet;
    use traffic::COMPACTION_INTERVAL_MS;

    fn etcdctl(w: &mut World, line: &str) -> String {
        w.apply(Action::Etcdctl { line: line.into(), stdin: None }).stdout
    }

    /// `"count":N` out of `get ... -w json`: the keys in range, whatever the limit (etcdctl 3.4 has no
    /// `--count-only`).
    fn count_of(json: &str) -> u64 {
        let rest = json.split("\"count\":").nth(1).unwrap_or_else(|| panic!("no count in {json}"));
        rest.chars().take_while(char::is_ascii_digit).collect::<String>().parse().expect("a number")
    }

    /// Advances until the load is done (or the limit passes); returns the simulated ms it took.
    fn load(w: &mut World, objects: u64, large: bool) -> u64 {
        let start = w.now_ms();
        w.apply(Action::LoadKubernetes { objects, large });
        while w.kubernetes_view().load.is_some_and(|l| l.finished_ms.is_none()) {
            assert!(w.now_ms() < start + 600_000, "the load does not end");
            w.advance(100);
        }
        w.now_ms() - start
    }

    #[test]
    fn the_keyspace_is_deterministic_unique_and_sized_like_a_real_cluster() {
        let shape = Shape::new(10_000, false);
        assert_eq!(Kind::ALL.iter().map(|&k| shape.count(k)).sum::<u64>(), 10_000);
        assert_eq!((shape.count(Kind::Node), shape.count(Kind::Pod)), (100, 4_401));
        let mut keys = BTreeSet::new();
        for i in 0..shape.total {
            let (kind, j) = shape.object_at(i);
            let key = shape.key(kind, j);
            assert!(key.starts_with(&format!("/registry/{}/", kind.resource())), "{key}");
            let value = shape.value(kind, j, 1_234);
            assert_eq!(value, shape.value(kind, j, 1_234), "same object, same bytes");
            assert_eq!(value.len(), shape.value_bytes(kind, j), "{key}");
            assert_eq!(shape.value(kind, j, 99_999_000).len(), value.len(), "an update keeps the size");
            let (lo, hi) = match kind {
                Kind::Pod => (2_048, 4_096),
                Kind::Event => (400, 700),
                Kind::ConfigMap | Kind::Secret => (100, 8_000),
                _ => (200, 6_000),
            };
            assert!((lo..=hi).contains(&value.len()), "{key}: {} bytes", value.len());
            assert!(keys.insert(key.clone()), "{key} twice");
        }
        assert!(keys.contains("/registry/leases/kube-node-lease/node-0000"));
        assert!(keys.contains("/registry/minions/node-0099"));
        assert!(keys.iter().any(|k| k.starts_with("/registry/services/specs/default/")));
        let text = String::from_utf8(shape.value(Kind::Pod, 0, 0)).expect("text");
        assert!(text.starts_with("{\"kind\":\"Pod\",\"apiVersion\":\"v1\""), "{text}");
    }

    #[test]
    fn large_objects_are_some_config_maps_and_secrets_under_a_mebibyte() {
        let shape = Shape::new(10_000, true);
        let large: Vec<(Kind, usize)> = (0..shape.total)
            .map(|i| shape.object_at(i))
            .map(|(kind, j)| (kind, shape.value_bytes(kind, j)))
            .filter(|&(_, bytes)| bytes > 8_000)
            .collect();
        let expected = (shape.count(Kind::ConfigMap) + shape.count(Kind::Secret)) / LARGE_EVERY;
        assert!(large.len() as u64 >= expected.saturating_sub(1) && !large.is_empty(), "{}", large.len());
        for (kind, bytes) in large {
            assert!(matches!(kind, Kind::ConfigMap | Kind::Secret), "{kind:?}");
            assert!((256 * 1024..=1000 * 1024).contains(&bytes), "{bytes}");
        }
        let small = Shape::new(10_000, false);
        assert!((0..small.total).map(|i| small.object_at(i)).all(|(k, j)| small.value_bytes(k, j) <= 8_000));
    }

    #[test]
    fn loading_10k_objects_replicates_them_to_every_member() {
        let mut w = World::new(WorldConfig::demo(3, 7));
        w.wait_for_leader(10_000).expect("leader");
        let took_ms = load(&mut w, 10_000, false);
        let view = w.kubernetes_view();
        let l = view.load.expect("a load");
        assert_eq!((l.created, l.existed, l.failed), (10_000, 0, 0), "{:?}", l.last_error);
        assert!((5_000..5_500).contains(&took_ms), "2 objects a simulated ms: {took_ms} ms");
        assert_eq!(count_of(&etcdctl(&mut w, "get /registry --prefix --keys-only --limit=1 -w json")), 10_000);
        let pods = Shape::new(10_000, false).count(Kind::Pod);
        assert_eq!(count_of(&etcdctl(&mut w, "get /registry/pods/ --prefix --keys-only --limit=1 -w json")), pods);
        w.advance(1_000);
        let stores: Vec<_> = (0..3).map(|i| &w.node(i).server.store).collect();
        let revs: BTreeSet<i64> = stores.iter().map(|s| s.current_rev()).collect();
        let hashes: BTreeSet<u32> = stores.iter().map(|s| s.hash_kv(0)).collect();
        assert_eq!((revs.len(), hashes.len()), (1, 1), "revisions {revs:?}, hashes {hashes:?}");
        assert_eq!(revs.first(), Some(&10_001), "one revision per object");
        assert!(view.db_size.is_some_and(|b| b > 20_000_000), "{:?}", view.db_size);
        // A second load of the same size finds every object there: kube-apiserver's "already exists".
        load(&mut w, 10_000, false);
        let again = w.kubernetes_view().load.expect("a load");
        assert_eq!((again.created, again.existed), (0, 10_000));
    }

    #[test]
    fn traffic_renews_node_leases_updates_pods_and_watches() {
        let mut w = World::new(WorldConfig::demo(3, 5));
        w.wait_for_leader(10_000).expect("leader");
        load(&mut w, 1_000, false);
        let rev = w.node(0).server.store.current_rev();
        w.apply(Action::KubernetesTraffic { on: true });
        assert_eq!(w.watches_view(50).total, WATCHED.len(), "the apiserver's watches");
        w.advance(20_000);
        let c = w.kubernetes_view().counts;
        // 10 nodes, each renewing every 10 s: 20 renewals in 20 s; pods update at least twice a second.
        assert_eq!(c.lease_renewals, 20, "{c:?}");
        assert!(c.pod_updates >= 40 && c.events >= 20, "{c:?}");
        assert_eq!((c.conflicts, c.failed), (0, 0), "{c:?}");
        let lease = etcdctl(&mut w, "get /registry/leases/kube-node-lease/node-0003 -w json");
        assert!(lease.contains("\"version\":3"), "created, then renewed twice: {lease}");
        assert!(w.node(0).server.store.current_rev() >= rev + 70);
        let watched = w.watches_view(50);
        assert!(
            watched
                .watchers
                .iter()
                .all(|v| v.events > 0 || v.range.contains("deployments") || v.range.contains("minions")),
            "{watched:?}"
        );
        assert_eq!(w.leases_view(50, 1).total, 1, "one event lease per minute");
        w.apply(Action::KubernetesTraffic { on: false });
        assert_eq!(w.watches_view(50).total, 0);
        let before = w.kubernetes_view().counts;
        w.advance(5_000);
        assert_eq!(w.kubernetes_view().counts, before, "stopped");
    }

    #[test]
    fn the_apiserver_compacts_to_the_revision_it_saw_one_interval_earlier() {
        let mut w = World::new(WorldConfig::demo(3, 7));
        w.wait_for_leader(10_000).expect("leader");
        load(&mut w, 200, false);
        w.apply(Action::KubernetesTraffic { on: true });
        w.advance(COMPACTION_INTERVAL_MS + 1_000);
        assert!(w.node(0).server.store.compact_rev() <= 0, "the first round only notes the revision");
        let seen = w.kubernetes().traffic.as_ref().map(|t| t.seen_rev).expect("traffic runs");
        assert!(seen > 0);
        w.advance(COMPACTION_INTERVAL_MS);
        for n in 0..3 {
            assert_eq!(w.node(n).server.store.compact_rev(), seen, "member {n} compacted with the leader");
        }
        assert!(w.node(0).server.store.current_rev() > seen, "five minutes of history are kept");
    }

    #[test]
    fn a_load_with_traffic_replays_exactly() {
        let mut w = World::new(WorldConfig::demo(3, 11));
        w.advance(2_000);
        w.apply(Action::LoadKubernetes { objects: 2_000, large: true });
        w.advance(37);
        w.apply(Action::KubernetesTraffic { on: true });
        w.advance(12_345);
        let mut again = World::replay(WorldConfig::demo(3, 11), w.actions());
        for _ in 0..12 {
            again.advance(1_000);
        }
        again.advance_to(w.now_ms());
        assert_eq!(again.kubernetes_view(), w.kubernetes_view());
        assert_eq!(again.node(0).server.store.hash_kv(0), w.node(0).server.store.hash_kv(0));
    }

    #[test]
    fn the_view_reads_as_text() {
        assert_eq!(
            (thousands(0), thousands(999), thousands(1_000), thousands(1_234_567)),
            ("0".into(), "999".into(), "1,000".into(), "1,234,567".into())
        );
        assert_eq!(
            (si_bytes(512), si_bytes(180_400_000), si_bytes(2_147_483_648)),
            ("512 B".into(), "180 MB".into(), "2.1 GB".into())
        );
        let mut v = KubernetesView::default();
        assert_eq!(v.progress_text(), "Nothing loaded yet.");
        v.load = Some(LoadView {
            total: 100_000,
            large: false,
            submitted: 42_500,
            created: 42_000,
            existed: 0,
            failed: 0,
            last_error: None,
            started_ms: 1_000,
            finished_ms: None,
        });
        (v.db_size, v.quota) = (Some(180_000_000), Some(2_147_483_648));
        assert_eq!(v.progress_text(), "loading: 42,000 of 100,000 objects, db size 180 MB of the 2.1 GB quota");
        let l = v.load.as_mut().expect("load");
        (l.created, l.failed, l.last_error, l.finished_ms) =
            (99_000, 1_000, Some("etcdserver: mvcc: database space exceeded".into()), Some(6_000));
        assert_eq!(
            v.progress_text(),
            "loaded 99,000 of 100,000 objects in 5.0 s of simulated time, 1,000 failed (etcdserver: mvcc: database \
             space exceeded), db size 180 MB of the 2.1 GB quota"
        );
        v.counts.lease_renewals = 1_200;
        assert_eq!(v.traffic_text(), "Traffic is off. So far: 1,200 lease renewals, 0 pod updates, 0 events");
    }

    /// Not a check: `cargo test --release -p etcdplay-core measure_100k -- --ignored --nocapture` prints how
    /// long loading 100,000 objects takes in simulated and real time.
    #[test]
    #[ignore]
    fn measure_100k() {
        for large in [false, true] {
            let mut w = World::new(WorldConfig::demo(3, 1));
            w.wait_for_leader(10_000).expect("leader");
            let real = std::time::Instant::now();
            let sim_ms = load(&mut w, 100_000, large);
            let v = w.kubernetes_view();
            let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
            let peak = status.lines().find(|l| l.starts_with("VmHWM")).unwrap_or("VmHWM unknown").to_string();
            println!(
                "100k objects (large {large}): {sim_ms} simulated ms, {:?} real, db size {:?}, {peak}, {:?}",
                real.elapsed(),
                v.db_size,
                v.load
            );
        }
    }
}
