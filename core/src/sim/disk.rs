//! A member's disk: the Raft log, hard state and conf state, which survive a kill. The MVCC store is
//! rebuilt from the log on restart, so the disk is the only durable state a member has.

use raft::prelude::ConfState;
use raft::storage::MemStorage;

/// Durable storage of one member. `MemStorage` is a shared handle, so the disk outlives the node
/// process that writes to it: a restarted node opens the same storage.
#[derive(Clone)]
pub struct Disk {
    pub storage: MemStorage,
}

impl Disk {
    /// A fresh data dir for a member of a new cluster with the given voters (`--initial-cluster-state new`).
    pub fn bootstrap(voters: &[u64]) -> Disk {
        Disk { storage: MemStorage::new_with_conf_state(ConfState::from((voters.to_vec(), vec![]))) }
    }
}
