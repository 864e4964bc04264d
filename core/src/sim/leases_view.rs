//! The Leases panel's view: every lease the authoritative lessor holds, with the TTL it was granted, the
//! time it has left (what `etcdctl lease timetolive` would answer now) and the keys attached to it.
//!
//! Only the leader's lessor (etcd's "primary") keeps expiry times; followers hold the same leases without
//! a clock. Without a leader the view falls back to the most up-to-date live member, whose leases cannot
//! run down until someone leads again.

use super::Cluster;

/// One lease as the panel shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseView {
    pub id: i64,
    /// The ID as etcdctl prints it (`%016x`).
    pub id_hex: String,
    pub granted_ttl_s: i64,
    /// `lease timetolive`'s TTL: whole seconds left, rounded up (the granted TTL while nobody leads).
    pub remaining_s: i64,
    /// Milliseconds left on the leader's clock, for a smooth countdown bar; None without a leader.
    pub remaining_ms: Option<u64>,
    /// The first attached keys in byte order, as text (at most the view's key limit).
    pub keys: Vec<String>,
    /// How many keys are attached in all.
    pub key_count: usize,
}

/// The leases of the cluster, read from one member's lessor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeasesView {
    /// The member whose lessor is shown; None when no member is up.
    pub member: Option<String>,
    /// Whether that member leads, so its lessor is the one that expires leases.
    pub primary: bool,
    /// Leases in ID order, at most the view's lease limit.
    pub leases: Vec<LeaseView>,
    /// How many leases the lessor holds in all.
    pub total: usize,
}

impl LeasesView {
    /// Why the countdown stands still, when it does.
    pub fn note(&self) -> Option<&'static str> {
        match (&self.member, self.primary) {
            (_, true) => None,
            (Some(_), false) => Some(
                "No leader: leases cannot expire until one is elected, which gives every lease its full TTL again.",
            ),
            (None, false) => Some("No member is up: nobody keeps the leases."),
        }
    }
}

impl Cluster {
    /// The leases as the leader's lessor holds them (see the module doc for when there is none): at most
    /// `max_leases` leases with at most `max_keys` keys each, so the page's per-tick cost stays bounded.
    pub fn leases_view(&self, max_leases: usize, max_keys: usize) -> LeasesView {
        let member = self.leader().or_else(|| {
            let up = (0..self.nodes.len()).filter(|&i| self.nodes[i].is_up());
            up.max_by_key(|&i| (self.nodes[i].server.applied_index, std::cmp::Reverse(i)))
        });
        let Some(m) = member else { return LeasesView::default() };
        let node = &self.nodes[m];
        let lessor = &node.server.lessor;
        let now = self.now_ms;
        let leases = lessor
            .leases()
            .take(max_leases)
            .map(|l| LeaseView {
                id: l.id,
                id_hex: format!("{:016x}", l.id),
                granted_ttl_s: l.ttl_s,
                remaining_s: l.time_to_live_s(now),
                remaining_ms: l.remaining_ms(now),
                keys: l.keys.iter().take(max_keys).map(|k| String::from_utf8_lossy(k).into_owned()).collect(),
                key_count: l.keys.len(),
            })
            .collect();
        LeasesView { member: Some(node.name.clone()), primary: lessor.is_primary(), leases, total: lessor.len() }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Action, World, WorldConfig};

    fn etcdctl(w: &mut World, line: &str) -> String {
        w.apply(Action::Etcdctl { line: line.into(), stdin: None }).stdout
    }

    /// "lease 694d7a2b1e2c6f05 granted with TTL(30s)" -> the hex ID.
    fn granted_id(out: &str) -> String {
        out.split_whitespace().nth(1).expect("lease ID").to_string()
    }

    #[test]
    fn a_lease_counts_down_with_simulated_time_and_is_gone_after_expiry() {
        let mut w = World::new(WorldConfig::demo(3, 4));
        let l = w.wait_for_leader(10_000).expect("leader");
        let id = granted_id(&etcdctl(&mut w, "lease grant 5"));
        etcdctl(&mut w, &format!("put k v --lease={id}"));
        let view = w.leases_view(50, 10);
        assert_eq!(view.member.as_deref(), Some(w.node(l).name.as_str()));
        assert!(view.primary && view.note().is_none());
        assert_eq!(view.total, 1);
        let lease = &view.leases[0];
        assert_eq!((lease.id_hex.as_str(), lease.granted_ttl_s, lease.remaining_s), (id.as_str(), 5, 5));
        w.advance(2_000);
        let lease = w.leases_view(50, 10).leases[0].clone();
        assert_eq!(lease.remaining_s, 3, "{lease:?}");
        assert!(lease.remaining_ms.is_some_and(|ms| ms > 2_000 && ms <= 3_000), "{lease:?}");
        let ttl = etcdctl(&mut w, &format!("lease timetolive {id}"));
        assert!(ttl.contains(&format!("remaining({}s)", w.leases_view(50, 10).leases[0].remaining_s)), "{ttl}");
        w.advance(5_000);
        assert_eq!(w.leases_view(50, 10).leases, Vec::new(), "the leader revoked the expired lease");
        assert!(etcdctl(&mut w, "get k").is_empty(), "with its key");
    }

    #[test]
    fn attached_keys_are_listed_up_to_the_limit() {
        let mut w = World::new(WorldConfig::demo(3, 4));
        w.wait_for_leader(10_000).expect("leader");
        let id = granted_id(&etcdctl(&mut w, "lease grant 60"));
        for k in ["c", "a", "b"] {
            etcdctl(&mut w, &format!("put {k} v --lease={id}"));
        }
        etcdctl(&mut w, "put other v");
        let lease = w.leases_view(50, 2).leases[0].clone();
        assert_eq!(lease.keys, vec!["a".to_string(), "b".to_string()]);
        assert_eq!(lease.key_count, 3);
        etcdctl(&mut w, &format!("lease revoke {id}"));
        assert_eq!(w.leases_view(50, 2).total, 0);
        assert!(etcdctl(&mut w, "get a").is_empty(), "revoking deleted the attached keys");
    }

    #[test]
    fn without_a_leader_the_countdown_stops_and_says_why() {
        let mut w = World::new(WorldConfig::demo(3, 4));
        let l = w.wait_for_leader(10_000).expect("leader");
        etcdctl(&mut w, "lease grant 30");
        w.advance(100);
        let others: Vec<String> = (0..3).filter(|&i| i != l).map(|i| w.node(i).name.clone()).collect();
        for name in others {
            w.apply(Action::Kill { member: name });
        }
        w.advance(5_000);
        let view = w.leases_view(50, 10);
        assert!(!view.primary && view.note().is_some(), "{view:?}");
        assert_eq!(view.leases[0].remaining_s, 30, "a follower's lessor keeps no expiry");
        assert_eq!(view.leases[0].remaining_ms, None);
    }
}
