//! A member's disk: the Raft log, hard state and conf state, which survive a kill. The MVCC store is
//! rebuilt from the log on restart, so the disk is the only durable state a member has.

use crate::cluster::Member;
use crate::snapshot::SnapshotData;
use raft::prelude::ConfState;
use raft::storage::MemStorage;
use std::rc::Rc;

/// Durable storage of one member. `MemStorage` is a shared handle, so the disk outlives the node
/// process that writes to it: a restarted node opens the same storage.
#[derive(Clone)]
pub struct Disk {
    pub storage: MemStorage,
    /// The members the cluster was bootstrapped with (etcd keeps them in its WAL metadata).
    pub bootstrap: Vec<Member>,
    /// The backend a restored member starts from (`snapshot restore`); the log applies on top of it.
    pub base: Option<Rc<SnapshotData>>,
}

impl Disk {
    /// A fresh data dir for a member of a new cluster (`--initial-cluster-state new`).
    pub fn bootstrap(members: &[Member]) -> Disk {
        let voters: Vec<u64> = members.iter().filter(|m| !m.is_learner).map(|m| m.id).collect();
        let learners: Vec<u64> = members.iter().filter(|m| m.is_learner).map(|m| m.id).collect();
        Disk {
            storage: MemStorage::new_with_conf_state(ConfState::from((voters, learners))),
            bootstrap: members.to_vec(),
            base: None,
        }
    }
}
