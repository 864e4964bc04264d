//! The keyspace of a Kubernetes cluster as kube-apiserver stores it in etcd: which objects, under which
//! `/registry/...` keys, with values sized like a real cluster's. Every object is a pure function of its
//! kind and index, so a load is deterministic and needs no storage of its own.

/// The most objects one load creates (the page offers 1k, 10k and 100k).
pub const MAX_OBJECTS: u64 = 100_000;
/// The fewest: enough for one object of every kind.
pub const MIN_OBJECTS: u64 = 20;
/// With the large objects option, one config map and one secret in this many is large.
pub const LARGE_EVERY: u64 = 100;

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
