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

use super::World;
use crate::ctl::INTERRUPTED_EXIT;
use crate::mvcc::KeyRange;
use crate::rng::SimRng;
use crate::server::api::{
    Compare, CompareResult, CompareTarget, PutRequest, RangeRequest, Request, RequestOp, Response, TxnRequest,
};
use crate::sim::Cluster;
use std::collections::VecDeque;

/// The most objects one load creates (the page offers 1k, 10k and 100k).
pub const MAX_OBJECTS: u64 = 100_000;
/// The fewest: enough for one object of every kind.
pub const MIN_OBJECTS: u64 = 20;
/// With the large objects option, one config map and one secret in this many is large.
pub const LARGE_EVERY: u64 = 100;
/// Creates the loader submits per simulated millisecond: 2,000 objects a simulated second, a busy
/// kube-apiserver's write rate. It bounds the work of a page tick: a create costs about 0.2 ms of real
/// time natively (measured: 100,000 objects in about 20 s on the shared 2-core machine, most of it copying
/// values through proposals, logs and snapshots), so a 50 ms tick at 1x loads 100 objects in about 20 ms.
const LOAD_PER_MS: usize = 2;
/// Requests the loader keeps in flight at most (a pipelining gRPC client).
const LOAD_IN_FLIGHT: usize = 500;
/// etcdctl's and the apiserver's request timeout: a request unanswered this long counts as failed.
const REQUEST_TIMEOUT_MS: u64 = 5_000;
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
const COMPACTION_INTERVAL_MS: u64 = 5 * 60_000;
/// The prefixes kube-apiserver keeps a watch on (one per resource it caches; a few shown here).
const WATCHED: [&str; 5] =
    ["/registry/pods/", "/registry/minions/", "/registry/leases/", "/registry/events/", "/registry/deployments/"];
/// What the apiserver's watches are called in the console and the Watches panel.
const WATCH_OWNER: &str = "kube-apiserver";

/// The kinds of object, in the order a load creates them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Node,
    NodeLease,
    Namespace,
    Service,
    ConfigMap,
    Secret,
    Deployment,
    ReplicaSet,
    Pod,
    Event,
}

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::Node,
        Kind::NodeLease,
        Kind::Namespace,
        Kind::Service,
        Kind::ConfigMap,
        Kind::Secret,
        Kind::Deployment,
        Kind::ReplicaSet,
        Kind::Pod,
        Kind::Event,
    ];

    /// The folder under `/registry/` kube-apiserver keeps this resource in.
    pub fn resource(self) -> &'static str {
        match self {
            Kind::Node => "minions",
            Kind::NodeLease => "leases",
            Kind::Namespace => "namespaces",
            Kind::Service => "services/specs",
            Kind::ConfigMap => "configmaps",
            Kind::Secret => "secrets",
            Kind::Deployment => "deployments",
            Kind::ReplicaSet => "replicasets",
            Kind::Pod => "pods",
            Kind::Event => "events",
        }
    }

    /// `kind` and `apiVersion` as the object says them.
    fn type_meta(self) -> (&'static str, &'static str) {
        match self {
            Kind::Node => ("Node", "v1"),
            Kind::NodeLease => ("Lease", "coordination.k8s.io/v1"),
            Kind::Namespace => ("Namespace", "v1"),
            Kind::Service => ("Service", "v1"),
            Kind::ConfigMap => ("ConfigMap", "v1"),
            Kind::Secret => ("Secret", "v1"),
            Kind::Deployment => ("Deployment", "apps/v1"),
            Kind::ReplicaSet => ("ReplicaSet", "apps/v1"),
            Kind::Pod => ("Pod", "v1"),
            Kind::Event => ("Event", "v1"),
        }
    }

    /// The field holding the bulk of the object, and the one the traffic stamps with the time.
    fn fields(self) -> (&'static str, &'static str) {
        match self {
            Kind::Node => ("status.images", "lastHeartbeatTime"),
            Kind::NodeLease => ("spec.holderIdentity", "renewTime"),
            Kind::Namespace => ("spec.finalizers", "creationTimestamp"),
            Kind::Service => ("spec.ports", "creationTimestamp"),
            Kind::ConfigMap => ("data.config.yaml", "creationTimestamp"),
            Kind::Secret => ("data.token", "creationTimestamp"),
            Kind::Deployment | Kind::ReplicaSet | Kind::Pod => {
                ("metadata.annotations.kubectl.kubernetes.io/last-applied-configuration", "lastTransitionTime")
            }
            Kind::Event => ("message", "lastTimestamp"),
        }
    }
}

/// How many objects of each kind a cluster of `total` objects holds, in proportions like a real one's:
/// a node and its lease per 100 objects, a namespace per 500, and of the rest 45% pods, 9% replica sets
/// (old rollouts keep theirs), 3% deployments, 3% services, 9% config maps, 11% secrets, and events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub total: u64,
    pub large: bool,
    counts: [u64; 10],
}

impl Shape {
    pub fn new(total: u64, large: bool) -> Shape {
        let total = total.clamp(MIN_OBJECTS, MAX_OBJECTS);
        let nodes = (total / 100).max(1);
        let namespaces = (total / 500).max(1);
        let rest = total - 2 * nodes - namespaces;
        let part = |pct: u64| (rest * pct / 100).max(1);
        let (services, configmaps, secrets) = (part(3), part(9), part(11));
        let (deployments, replicasets, pods) = (part(3), part(9), part(45));
        let events = rest - services - configmaps - secrets - deployments - replicasets - pods;
        let counts = [nodes, nodes, namespaces, services, configmaps, secrets, deployments, replicasets, pods, events];
        Shape { total, large, counts }
    }

    pub fn count(&self, kind: Kind) -> u64 {
        self.counts[kind as usize]
    }

    /// The kind and the ordinal within it of the `i`-th object a load creates.
    pub fn object_at(&self, mut i: u64) -> (Kind, u64) {
        for kind in Kind::ALL {
            if i < self.count(kind) {
                return (kind, i);
            }
            i -= self.count(kind);
        }
        (Kind::Event, i)
    }

    /// The namespace object `n` lives in.
    fn namespace(&self, n: u64) -> String {
        const NAMES: [&str; 8] =
            ["default", "kube-system", "monitoring", "ingress-nginx", "payments", "checkout", "search", "frontend"];
        let n = n % self.count(Kind::Namespace);
        NAMES.get(n as usize).map_or_else(|| format!("team-{n:04}"), |s| s.to_string())
    }

    /// Deployment `d`'s name: an app name, numbered once the list runs out.
    fn app(&self, d: u64) -> String {
        const APPS: [&str; 12] = [
            "api", "web", "worker", "cache", "auth", "billing", "cart", "catalog", "gateway", "metrics", "queue",
            "search",
        ];
        let d = d % self.count(Kind::Deployment);
        let name = APPS[(d % APPS.len() as u64) as usize];
        match d / APPS.len() as u64 {
            0 => name.to_string(),
            n => format!("{name}-{n}"),
        }
    }

    fn pod_name(&self, p: u64) -> String {
        let d = p % self.count(Kind::Deployment);
        format!("{}-{}-{}", self.app(d), suffix(mix2(d, 0), 10), suffix(mix2(p, 7), 5))
    }

    /// The object's namespace (None for cluster-scoped kinds) and name.
    pub fn name(&self, kind: Kind, j: u64) -> (Option<String>, String) {
        let deployments = self.count(Kind::Deployment);
        match kind {
            Kind::Node | Kind::NodeLease => (None, format!("node-{j:04}")),
            Kind::Namespace => (None, self.namespace(j)),
            Kind::Service => (Some(self.namespace(j % deployments)), format!("{}-{j:x}", self.app(j))),
            Kind::ConfigMap if j < self.count(Kind::Namespace) => (Some(self.namespace(j)), "kube-root-ca.crt".into()),
            Kind::ConfigMap => (Some(self.namespace(j)), format!("{}-config-{j:x}", self.app(j))),
            Kind::Secret => (Some(self.namespace(j)), format!("{}-token-{}", self.app(j), suffix(mix2(j, 3), 5))),
            Kind::Deployment => (Some(self.namespace(j)), self.app(j)),
            Kind::ReplicaSet => {
                let d = j % deployments;
                (Some(self.namespace(d)), format!("{}-{}", self.app(d), suffix(mix2(d, j / deployments), 10)))
            }
            Kind::Pod => (Some(self.namespace(j % deployments)), self.pod_name(j)),
            Kind::Event => {
                let p = j % self.count(Kind::Pod);
                let ns = self.namespace(p % deployments);
                (Some(ns), format!("{}.{:016x}", self.pod_name(p), mix2(j, 11)))
            }
        }
    }

    /// The object's key, as kube-apiserver lays out its keyspace.
    pub fn key(&self, kind: Kind, j: u64) -> String {
        match (kind, self.name(kind, j)) {
            (Kind::NodeLease, (_, name)) => format!("/registry/leases/kube-node-lease/{name}"),
            (_, (Some(ns), name)) => format!("/registry/{}/{ns}/{name}", kind.resource()),
            (_, (None, name)) => format!("/registry/{}/{name}", kind.resource()),
        }
    }

    /// How large the object's value is, in bytes.
    pub fn value_bytes(&self, kind: Kind, j: u64) -> usize {
        let h = mix2(kind as u64, j);
        let between = |lo: u64, hi: u64| (lo + h % (hi - lo + 1)) as usize;
        // Most config maps and secrets are small: a product of two uniform draws leans towards the low end.
        let skewed = |lo: u64, hi: u64| {
            let span = hi - lo + 1;
            (lo + (h % span) * ((h >> 32) % span) / span) as usize
        };
        let large = self.large && matches!(kind, Kind::ConfigMap | Kind::Secret) && j % LARGE_EVERY == LARGE_EVERY - 1;
        match kind {
            _ if large => between(256 * 1024, 1000 * 1024),
            Kind::Node => between(3_000, 6_000),
            Kind::NodeLease => between(250, 350),
            Kind::Namespace => between(200, 400),
            Kind::Service => between(500, 1_000),
            Kind::ConfigMap => skewed(250, 8_000),
            Kind::Secret => skewed(250, 4_000),
            Kind::Deployment => between(1_500, 3_000),
            Kind::ReplicaSet => between(1_500, 2_500),
            Kind::Pod => between(2_048, 4_096),
            Kind::Event => between(400, 700),
        }
    }

    /// The object's value: JSON-like text of [`Shape::value_bytes`] bytes, stamped with `at_ms` (the
    /// simulated time of its last update) in a fixed-width field, so updates keep its size.
    pub fn value(&self, kind: Kind, j: u64, at_ms: u64) -> Vec<u8> {
        let (api_kind, api_version) = kind.type_meta();
        let (bulk, stamp_field) = kind.fields();
        let (ns, name) = self.name(kind, j);
        let ns = ns.map_or(String::new(), |ns| format!("\"namespace\":\"{ns}\","));
        let uid = mix2(kind as u64 + 100, j);
        let head = format!(
            "{{\"kind\":\"{api_kind}\",\"apiVersion\":\"{api_version}\",\"metadata\":{{\"name\":\"{name}\",{ns}\
             \"uid\":\"{:08x}-{:04x}-{:04x}-{:012x}\"}},\"{stamp_field}\":\"{}\",\"{bulk}\":\"",
            uid >> 32,
            (uid >> 16) & 0xffff,
            uid & 0xffff,
            mix2(uid, 1) & 0xffff_ffff_ffff,
            timestamp(at_ms)
        );
        let tail = "\"}";
        let target = self.value_bytes(kind, j);
        let mut out = Vec::with_capacity(target.max(head.len() + tail.len()));
        out.extend_from_slice(head.as_bytes());
        fill(&mut out, target.saturating_sub(head.len() + tail.len()), mix2(kind as u64 + 200, j));
        out.extend_from_slice(tail.as_bytes());
        out
    }
}

/// splitmix64's finaliser over two words: a stable hash for names, sizes and fillers.
fn mix2(a: u64, b: u64) -> u64 {
    let mut z = a.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ b.wrapping_add(0x632b_e59b_d9b4_e019);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A generated name suffix in Kubernetes's alphabet (no vowels, no confusable digits).
fn suffix(mut h: u64, len: usize) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..len)
        .map(|_| {
            let c = ALPHABET[(h % ALPHABET.len() as u64) as usize] as char;
            h /= ALPHABET.len() as u64;
            c
        })
        .collect()
}

/// Appends `n` base64-alphabet bytes drawn from `seed`: the bulk of a value.
fn fill(out: &mut Vec<u8>, n: usize, seed: u64) {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut h = seed;
    for i in 0..n {
        if i % 10 == 0 {
            h = mix2(h, i as u64);
        }
        out.push(B64[(h & 63) as usize]);
        h >>= 6;
    }
}

/// Simulated milliseconds as an RFC 3339 time on the playground's calendar (time 0 is 2026-11-24 00:00
/// UTC, the hours running on past 23 rather than rolling the date): always 24 bytes.
fn timestamp(at_ms: u64) -> String {
    let s = at_ms / 1000;
    format!("2026-11-24T{:02}:{:02}:{:02}.{:03}Z", (s / 3600) % 100, (s / 60) % 60, s % 60, at_ms % 1000)
}

/// A create as kube-apiserver sends it: put the key only if it does not exist yet.
fn create(key: String, value: Vec<u8>, lease: i64) -> Request {
    guarded_put(key, 0, value, lease)
}

/// A write guarded by the key's modification revision (0: absent), as kube-apiserver's creates and
/// GuaranteedUpdate send it; on a conflict it reads the key back.
fn guarded_put(key: String, mod_revision: i64, value: Vec<u8>, lease: i64) -> Request {
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
enum Answer {
    Done,
    /// The guard failed: the key existed (a create) or changed meanwhile (an update).
    Conflict,
    Failed(String),
}

/// Requests a client is waiting for: (request ID, deadline), oldest first.
#[derive(Clone, Debug, Default)]
struct InFlight(VecDeque<(u64, u64)>);

impl InFlight {
    /// Takes the answers that arrived and the requests that timed out.
    fn collect(&mut self, cluster: &mut Cluster) -> Vec<Answer> {
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

    fn len(&self) -> usize {
        self.0.len()
    }
}

/// A load under way or done.
#[derive(Clone, Debug)]
struct Loader {
    shape: Shape,
    /// The next object to submit.
    next: u64,
    next_ms: u64,
    in_flight: InFlight,
    created: u64,
    existed: u64,
    failed: u64,
    last_error: Option<String>,
    started_ms: u64,
    finished_ms: Option<u64>,
}

/// The controller-like traffic while it runs.
#[derive(Clone, Debug)]
struct Traffic {
    shape: Shape,
    rng: SimRng,
    next_ms: u64,
    /// Pod updates owed, in thousandths.
    owed_milli: u64,
    in_flight: InFlight,
    /// The running watch commands that stand for the apiserver's watches.
    watches: Vec<u64>,
    event_lease: Option<i64>,
    updates: u64,
    /// When the apiserver's compactor runs next, and the revision it saw at its last round.
    next_compaction_ms: u64,
    seen_rev: i64,
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
    pub(super) fn wake_ms(&self) -> Option<u64> {
        let loading = self.loader.as_ref().filter(|l| l.finished_ms.is_none()).map(|l| l.next_ms);
        let traffic = self.traffic.as_ref().map(|t| t.next_ms);
        loading.into_iter().chain(traffic).min()
    }
}

/// A load's progress, for the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadView {
    pub total: u64,
    pub large: bool,
    pub submitted: u64,
    pub created: u64,
    /// Objects that were there already (a second load of the same size).
    pub existed: u64,
    pub failed: u64,
    pub last_error: Option<String>,
    pub started_ms: u64,
    pub finished_ms: Option<u64>,
}

/// The Kubernetes panel's view.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KubernetesView {
    pub load: Option<LoadView>,
    pub traffic: bool,
    pub counts: TrafficCounts,
    /// Nodes renewing leases and pods being updated while the traffic runs.
    pub nodes: u64,
    pub pods: u64,
    /// The leader's backend size and quota (`endpoint status`), None without a leader.
    pub db_size: Option<u64>,
    pub quota: Option<u64>,
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes in SI units, as `etcdctl endpoint status` prints the db size: `180 MB`, `2.1 GB`.
pub fn si_bytes(bytes: u64) -> String {
    match bytes {
        b if b >= 1_000_000_000 => format!("{:.1} GB", b as f64 / 1e9),
        b if b >= 1_000_000 => format!("{} MB", (b as f64 / 1e6).round()),
        b if b >= 1_000 => format!("{} kB", (b as f64 / 1e3).round()),
        b => format!("{b} B"),
    }
}

impl KubernetesView {
    /// What the load did: "loaded 42,000 of 100,000 objects, db size 180 MB of the 2.1 GB quota", with
    /// objects that existed already and failures (the last error: NOSPACE, a timeout) when there are any.
    pub fn progress_text(&self) -> String {
        let Some(l) = &self.load else { return "Nothing loaded yet.".to_string() };
        let done = l.created + l.existed + l.failed;
        let mut text = match l.finished_ms {
            None => format!("loading: {} of {} objects", thousands(done), thousands(l.total)),
            Some(end) => format!(
                "loaded {} of {} objects in {:.1} s of simulated time",
                thousands(l.created),
                thousands(l.total),
                end.saturating_sub(l.started_ms) as f64 / 1000.0
            ),
        };
        if l.existed > 0 {
            text.push_str(&format!(", {} already existed", thousands(l.existed)));
        }
        if l.failed > 0 {
            let why = l.last_error.as_deref().unwrap_or("unknown error");
            text.push_str(&format!(", {} failed ({why})", thousands(l.failed)));
        }
        match (self.db_size, self.quota) {
            (Some(db), Some(quota)) => {
                text.push_str(&format!(", db size {} of the {} quota", si_bytes(db), si_bytes(quota)))
            }
            _ => text.push_str(", db size unknown (no leader)"),
        }
        text
    }

    /// What the traffic did: "10 nodes renew leases, 4,401 pods: 120 lease renewals, 300 pod updates,
    /// 150 events".
    pub fn traffic_text(&self) -> String {
        let c = &self.counts;
        let mut text = if self.traffic {
            format!("{} nodes renew leases, {} pods get status updates: ", thousands(self.nodes), thousands(self.pods))
        } else {
            "Traffic is off. So far: ".to_string()
        };
        text.push_str(&format!(
            "{} lease renewals, {} pod updates, {} events",
            thousands(c.lease_renewals),
            thousands(c.pod_updates),
            thousands(c.events)
        ));
        if c.conflicts > 0 || c.failed > 0 {
            text.push_str(&format!(", {} conflicts, {} failed", thousands(c.conflicts), thousands(c.failed)));
        }
        text
    }
}

impl World {
    /// Starts loading a Kubernetes-like keyspace of `objects` objects (see [`Shape`]); refused while a
    /// load runs.
    pub fn load_kubernetes(&mut self, objects: u64, large: bool) -> Result<(), String> {
        if self.kubernetes.loader.as_ref().is_some_and(|l| l.finished_ms.is_none()) {
            return Err("a Kubernetes load is already running".into());
        }
        let shape = Shape::new(objects, large);
        let loader = Loader {
            shape,
            next: 0,
            next_ms: self.now_ms(),
            in_flight: InFlight::default(),
            created: 0,
            existed: 0,
            failed: 0,
            last_error: None,
            started_ms: self.now_ms(),
            finished_ms: None,
        };
        self.kubernetes.loader = Some(loader);
        self.kubernetes.shape = Some(shape);
        if let Some(t) = &mut self.kubernetes.traffic {
            t.shape = shape;
        }
        Ok(())
    }

    /// Turns the controller-like traffic on or off; on, it starts the apiserver's watches.
    pub fn set_kubernetes_traffic(&mut self, on: bool) {
        match (on, self.kubernetes.traffic.is_some()) {
            (true, false) => {
                let watches = WATCHED.iter().filter_map(|prefix| self.start_apiserver_watch(prefix)).collect();
                let shape = self.kubernetes.shape.unwrap_or_else(|| Shape::new(1_000, false));
                self.kubernetes.traffic = Some(Traffic {
                    shape,
                    rng: SimRng::new(self.config.seed ^ TRAFFIC_STREAM),
                    next_ms: self.now_ms(),
                    owed_milli: 0,
                    in_flight: InFlight::default(),
                    watches,
                    event_lease: None,
                    updates: 0,
                    next_compaction_ms: self.now_ms() + COMPACTION_INTERVAL_MS,
                    seen_rev: 0,
                });
            }
            (false, true) => {
                if let Some(t) = self.kubernetes.traffic.take() {
                    for id in t.watches {
                        self.stop_stream(id, INTERRUPTED_EXIT);
                    }
                }
            }
            _ => {}
        }
    }

    /// Starts one of the apiserver's watches as a running command, named after its owner.
    fn start_apiserver_watch(&mut self, prefix: &str) -> Option<u64> {
        let line = format!("watch --prefix --prev-kv {prefix}");
        let id = crate::ctl::run_line(self, &line, None).stream?;
        if let Some(s) = self.streams.get_mut(&id) {
            s.line = format!("{line}  # {WATCH_OWNER}");
        }
        Some(id)
    }

    /// The Kubernetes panel's view: cheap (no walk over the keyspace).
    pub fn kubernetes_view(&self) -> KubernetesView {
        let k = &self.kubernetes;
        let load = k.loader.as_ref().map(|l| LoadView {
            total: l.shape.total,
            large: l.shape.large,
            submitted: l.next,
            created: l.created,
            existed: l.existed,
            failed: l.failed,
            last_error: l.last_error.clone(),
            started_ms: l.started_ms,
            finished_ms: l.finished_ms,
        });
        let shape = k.traffic.as_ref().map(|t| t.shape);
        let leader = self.leader().map(|l| &self.node(l).server);
        KubernetesView {
            load,
            traffic: k.traffic.is_some(),
            counts: k.counts,
            nodes: shape.map_or(0, |s| s.count(Kind::Node)),
            pods: shape.map_or(0, |s| s.count(Kind::Pod)),
            db_size: leader.map(|s| s.db_size()),
            quota: leader.map(|s| s.quota_bytes),
        }
    }

    /// Runs the Kubernetes client's part of this moment: the loader, then the traffic.
    pub(super) fn poll_kubernetes(&mut self) {
        if let Some(mut loader) = self.kubernetes.loader.take() {
            if loader.finished_ms.is_none() {
                self.poll_loader(&mut loader);
            }
            self.kubernetes.loader = Some(loader);
        }
        if let Some(mut traffic) = self.kubernetes.traffic.take() {
            self.poll_traffic(&mut traffic);
            self.kubernetes.traffic = Some(traffic);
        }
    }

    fn poll_loader(&mut self, l: &mut Loader) {
        for answer in l.in_flight.collect(self) {
            match answer {
                Answer::Done => l.created += 1,
                Answer::Conflict => l.existed += 1,
                Answer::Failed(e) => {
                    l.failed += 1;
                    l.last_error = Some(e);
                }
            }
        }
        if self.now_ms() < l.next_ms {
            return;
        }
        l.next_ms = self.now_ms() + 1;
        // Like a client whose endpoints have no leader, the loader waits for one.
        if let Some(leader) = self.leader() {
            let room = LOAD_IN_FLIGHT.saturating_sub(l.in_flight.len()).min(LOAD_PER_MS);
            for _ in 0..room {
                if l.next >= l.shape.total {
                    break;
                }
                let (kind, j) = l.shape.object_at(l.next);
                l.next += 1;
                let request = create(l.shape.key(kind, j), l.shape.value(kind, j, self.now_ms()), 0);
                match self.submit(leader, request) {
                    Ok(id) => l.in_flight.0.push_back((id, self.now_ms() + REQUEST_TIMEOUT_MS)),
                    Err(e) => {
                        l.failed += 1;
                        l.last_error = Some(e.to_string());
                    }
                }
            }
        }
        if l.next >= l.shape.total && l.in_flight.len() == 0 {
            l.finished_ms = Some(self.now_ms());
        }
    }

    fn poll_traffic(&mut self, t: &mut Traffic) {
        // The apiserver reads its watches into its cache; nothing of them reaches the console.
        t.watches.retain(|id| self.streams.contains_key(id));
        for id in &t.watches {
            if let Some(s) = self.streams.get_mut(id) {
                s.take_output();
            }
        }
        for answer in t.in_flight.collect(self) {
            match answer {
                Answer::Done => {}
                Answer::Conflict => self.kubernetes.counts.conflicts += 1,
                Answer::Failed(_) => self.kubernetes.counts.failed += 1,
            }
        }
        if self.now_ms() < t.next_ms {
            return;
        }
        // Steps fall on multiples of the step, so the traffic does not depend on when it was turned on.
        t.next_ms = (self.now_ms() / TRAFFIC_STEP_MS + 1) * TRAFFIC_STEP_MS;
        let Some(leader) = self.leader() else { return };
        self.renew_node_leases(t, leader);
        self.grant_event_lease(t, leader);
        self.maybe_compact(t, leader);
        let pods = t.shape.count(Kind::Pod);
        t.owed_milli += (pods / POD_UPDATE_PERIOD_S).max(2) * TRAFFIC_STEP_MS;
        while t.owed_milli >= 1_000 {
            t.owed_milli -= 1_000;
            let p = t.rng.range(0, pods);
            self.update_object(t, leader, Kind::Pod, p);
            self.kubernetes.counts.pod_updates += 1;
            t.updates += 1;
            // Every other status change is worth an event (Pulled, Started, Unhealthy, ...).
            if t.updates.is_multiple_of(2) {
                self.create_event(t, leader);
            }
        }
    }

    /// Each node renews its lease every [`NODE_LEASE_RENEW_MS`], the nodes spread evenly over the period.
    fn renew_node_leases(&mut self, t: &mut Traffic, leader: usize) {
        let slots = NODE_LEASE_RENEW_MS / TRAFFIC_STEP_MS;
        let slot = (self.now_ms() / TRAFFIC_STEP_MS) % slots;
        let nodes = t.shape.count(Kind::Node);
        for node in (0..nodes).filter(|k| k * slots / nodes == slot) {
            self.update_object(t, leader, Kind::NodeLease, node);
            self.kubernetes.counts.lease_renewals += 1;
        }
    }

    /// Events are attached to a lease of [`EVENT_TTL_S`]; a new one is granted every minute.
    fn grant_event_lease(&mut self, t: &mut Traffic, leader: usize) {
        let id = EVENT_LEASE_BASE + (self.now_ms() / EVENT_LEASE_PERIOD_MS) as i64;
        if t.event_lease == Some(id) {
            return;
        }
        t.event_lease = Some(id);
        self.send_traffic(t, leader, Request::LeaseGrant { id, ttl_s: EVENT_TTL_S });
    }

    /// The apiserver's compactor (storage/etcd3/compact.go): every interval, compact to the revision the
    /// previous round saw. The real one first takes `compact_rev_key` with a txn so that only one of several
    /// apiservers compacts; with one apiserver that txn always succeeds, so it is left out.
    fn maybe_compact(&mut self, t: &mut Traffic, leader: usize) {
        if self.now_ms() < t.next_compaction_ms {
            return;
        }
        t.next_compaction_ms = self.now_ms() + COMPACTION_INTERVAL_MS;
        if t.seen_rev > 0 {
            self.send_traffic(t, leader, Request::Compaction { revision: t.seen_rev, physical: false });
        }
        t.seen_rev = self.node(leader).server.store.current_rev();
    }

    fn create_event(&mut self, t: &mut Traffic, leader: usize) {
        let j = t.shape.count(Kind::Event) + self.kubernetes.counts.events;
        let key = t.shape.key(Kind::Event, j);
        let value = t.shape.value(Kind::Event, j, self.now_ms());
        self.send_traffic(t, leader, create(key, value, t.event_lease.unwrap_or(0)));
        self.kubernetes.counts.events += 1;
    }

    /// GuaranteedUpdate: the object as the leader's store has it now (the apiserver's cache), rewritten
    /// with the current time, guarded by its modification revision.
    fn update_object(&mut self, t: &mut Traffic, leader: usize, kind: Kind, j: u64) {
        let key = t.shape.key(kind, j);
        let store = &self.node(leader).server.store;
        let seen = store.range(&KeyRange::Single(key.clone().into_bytes()), 0, 1);
        let mod_revision = seen.ok().and_then(|r| r.kvs.first().map(|kv| kv.mod_revision)).unwrap_or(0);
        let value = t.shape.value(kind, j, self.now_ms());
        self.send_traffic(t, leader, guarded_put(key, mod_revision, value, 0));
    }

    fn send_traffic(&mut self, t: &mut Traffic, leader: usize, request: Request) {
        if t.in_flight.len() >= TRAFFIC_IN_FLIGHT {
            self.kubernetes.counts.failed += 1;
            return;
        }
        match self.submit(leader, request) {
            Ok(id) => t.in_flight.0.push_back((id, self.now_ms() + REQUEST_TIMEOUT_MS)),
            Err(_) => self.kubernetes.counts.failed += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Action, WorldConfig};
    use std::collections::BTreeSet;

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
        let seen = w.kubernetes.traffic.as_ref().map(|t| t.seen_rev).expect("traffic runs");
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
