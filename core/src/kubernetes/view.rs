//! What the Kubernetes panel shows: the load's progress and the traffic's counts, in numbers and words.

use super::shape::Kind;
use super::{Kubernetes, TrafficCounts};
use crate::sim::Cluster;

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

impl Kubernetes {
    /// The Kubernetes panel's view: cheap (no walk over the keyspace).
    pub fn view(&self, cluster: &Cluster) -> KubernetesView {
        let k = self;
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
        let leader = cluster.leader().map(|l| &cluster.node(l).server);
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
}
