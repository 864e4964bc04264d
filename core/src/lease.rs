//! The lessor: leases granted and revoked through Raft on every member, kept alive and expired by the
//! leader alone (the "primary" lessor), as in etcd's `lease/lessor.go`. Followers keep no expiry: a
//! member that becomes leader gives every lease a fresh full TTL, so a leader change never expires a
//! lease early.

use std::collections::{BTreeMap, BTreeSet};

/// etcd's largest lease TTL (`MaxLeaseTTL`), in seconds.
pub const MAX_LEASE_TTL_S: i64 = 9_000_000_000;
/// The smallest TTL a lease gets: 1.5 election timeouts, rounded up to whole seconds (etcd's `minTTL`).
pub const MIN_LEASE_TTL_S: i64 = 2;
/// How often the leader looks for expired leases (etcd's `expiredLeaseRetryInterval` is 3 s; its
/// check runs every 500 ms).
pub const EXPIRY_CHECK_MS: u64 = 500;
/// How long the leader waits before proposing a revoke of the same expired lease again.
pub const REVOKE_RETRY_MS: u64 = 3_000;

/// One lease.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub id: i64,
    pub ttl_s: i64,
    /// When the lease expires, on the leader only.
    pub expiry_ms: Option<u64>,
    pub keys: BTreeSet<Vec<u8>>,
}

impl Lease {
    /// Milliseconds left; None when this member keeps no expiry (it is not the leader).
    pub fn remaining_ms(&self, now_ms: u64) -> Option<u64> {
        self.expiry_ms.map(|e| e.saturating_sub(now_ms))
    }

    /// Whole seconds left, rounded up as etcd does; None when this member keeps no expiry.
    pub fn remaining_s(&self, now_ms: u64) -> Option<i64> {
        self.remaining_ms(now_ms).map(|ms| ms.div_ceil(1000) as i64)
    }

    /// The TTL `etcdctl lease timetolive` reports: the seconds left on a member that keeps the expiry,
    /// else the granted TTL (a lease cannot run down while nobody leads).
    pub fn time_to_live_s(&self, now_ms: u64) -> i64 {
        self.remaining_s(now_ms).unwrap_or(self.ttl_s)
    }
}

/// The leases of one member.
#[derive(Clone, Debug, Default)]
pub struct Lessor {
    leases: BTreeMap<i64, Lease>,
    primary: bool,
    /// Expired leases whose revoke was proposed, and when, so it is not proposed every check.
    revoking: BTreeMap<i64, u64>,
}

impl Lessor {
    pub fn get(&self, id: i64) -> Option<&Lease> {
        self.leases.get(&id)
    }

    pub fn leases(&self) -> impl Iterator<Item = &Lease> {
        self.leases.values()
    }

    /// How many leases this member holds.
    pub fn len(&self) -> usize {
        self.leases.len()
    }

    pub fn is_empty(&self) -> bool {
        self.leases.is_empty()
    }

    pub fn is_primary(&self) -> bool {
        self.primary
    }

    /// Applies a grant (from the log); TTLs below the minimum are raised to it.
    pub fn grant(&mut self, id: i64, ttl_s: i64, now_ms: u64) -> Lease {
        let ttl_s = ttl_s.max(MIN_LEASE_TTL_S);
        let expiry_ms = self.primary.then(|| now_ms + ttl_s as u64 * 1000);
        let lease = Lease { id, ttl_s, expiry_ms, keys: BTreeSet::new() };
        self.leases.insert(id, lease.clone());
        lease
    }

    /// Applies a revoke (from the log); returns the keys to delete, or None if there is no such lease.
    pub fn revoke(&mut self, id: i64) -> Option<BTreeSet<Vec<u8>>> {
        self.revoking.remove(&id);
        self.leases.remove(&id).map(|l| l.keys)
    }

    pub fn attach(&mut self, id: i64, key: &[u8]) {
        if let Some(l) = self.leases.get_mut(&id) {
            l.keys.insert(key.to_vec());
        }
    }

    pub fn detach(&mut self, id: i64, key: &[u8]) {
        if let Some(l) = self.leases.get_mut(&id) {
            l.keys.remove(key);
        }
    }

    /// Renews a lease on the leader: a full TTL from now. Returns the TTL, or None if unknown.
    pub fn renew(&mut self, id: i64, now_ms: u64) -> Option<i64> {
        let primary = self.primary;
        let l = self.leases.get_mut(&id)?;
        if primary {
            l.expiry_ms = Some(now_ms + l.ttl_s as u64 * 1000);
        }
        Some(l.ttl_s)
    }

    /// Becoming leader: every lease gets a full TTL from now.
    pub fn promote(&mut self, now_ms: u64) {
        self.primary = true;
        for l in self.leases.values_mut() {
            l.expiry_ms = Some(now_ms + l.ttl_s as u64 * 1000);
        }
    }

    /// Losing leadership: expiry is someone else's business.
    pub fn demote(&mut self) {
        self.primary = false;
        self.revoking.clear();
        for l in self.leases.values_mut() {
            l.expiry_ms = None;
        }
    }

    /// Leases past their expiry that the leader should revoke now.
    pub fn expired(&mut self, now_ms: u64) -> Vec<i64> {
        if !self.primary {
            return Vec::new();
        }
        let due: Vec<i64> = self
            .leases
            .values()
            .filter(|l| l.expiry_ms.is_some_and(|e| e <= now_ms))
            .filter(|l| self.revoking.get(&l.id).is_none_or(|&t| now_ms >= t + REVOKE_RETRY_MS))
            .map(|l| l.id)
            .collect();
        for id in &due {
            self.revoking.insert(*id, now_ms);
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_primary_expires_leases() {
        let mut follower = Lessor::default();
        follower.grant(1, 5, 0);
        assert!(follower.expired(100_000).is_empty());
        let mut leader = Lessor::default();
        leader.promote(0);
        let l = leader.grant(1, 1, 0);
        assert_eq!(l.ttl_s, MIN_LEASE_TTL_S, "TTLs are raised to the minimum");
        assert!(leader.expired(1_999).is_empty());
        assert_eq!(leader.expired(2_000), vec![1]);
        assert!(leader.expired(2_500).is_empty(), "a revoke in flight is not proposed again at once");
        assert_eq!(leader.expired(5_000), vec![1]);
    }

    #[test]
    fn promotion_refreshes_and_renew_extends() {
        let mut l = Lessor::default();
        l.grant(7, 10, 0);
        l.promote(50_000);
        assert_eq!(l.get(7).and_then(|x| x.remaining_s(50_000)), Some(10));
        assert_eq!(l.renew(7, 55_000), Some(10));
        assert_eq!(l.get(7).and_then(|x| x.remaining_s(56_001)), Some(9));
        l.attach(7, b"k");
        assert_eq!(l.revoke(7), Some(BTreeSet::from([b"k".to_vec()])));
        assert_eq!(l.revoke(7), None);
    }
}
