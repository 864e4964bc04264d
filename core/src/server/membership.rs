//! Cluster membership as each member's server knows it: the bootstrap members, then every member
//! change applied from the Raft log, validated as etcd's `ValidateConfigurationChange` does.

use super::api::ServerError;
use crate::cluster::Member;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A membership change, carried in a conf-change entry's context.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MemberChange {
    Add(Member),
    Remove(u64),
    Promote(u64),
    Update {
        id: u64,
        peer_urls: Vec<String>,
    },
    /// A started member publishes its name and client URLs (etcd's member attributes); not a Raft
    /// conf change, an ordinary entry.
    Publish {
        id: u64,
        name: String,
        client_urls: Vec<String>,
    },
}

impl MemberChange {
    /// The member the change is about.
    pub fn member_id(&self) -> u64 {
        match self {
            MemberChange::Add(m) => m.id,
            MemberChange::Remove(id)
            | MemberChange::Promote(id)
            | MemberChange::Update { id, .. }
            | MemberChange::Publish { id, .. } => *id,
        }
    }
}

/// What a conf-change entry carries besides Raft's own change: the client request ID to answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfProposal {
    pub id: u64,
    pub change: MemberChange,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Membership {
    members: BTreeMap<u64, Member>,
    removed: BTreeSet<u64>,
}

impl Membership {
    pub fn new(initial: &[Member]) -> Membership {
        Membership { members: initial.iter().map(|m| (m.id, m.clone())).collect(), removed: BTreeSet::new() }
    }

    /// Members sorted by ID, as etcd lists them.
    pub fn list(&self) -> Vec<Member> {
        self.members.values().cloned().collect()
    }

    /// Whether `id` was removed from the cluster (it may never come back with that ID).
    pub fn is_removed(&self, id: u64) -> bool {
        self.removed.contains(&id)
    }

    pub fn get(&self, id: u64) -> Option<&Member> {
        self.members.get(&id)
    }

    /// Whether `change` may be applied, with etcd's errors.
    pub fn validate(&self, change: &MemberChange) -> Result<(), ServerError> {
        let id = change.member_id();
        if self.removed.contains(&id) {
            return Err(ServerError::MemberRemoved);
        }
        match change {
            MemberChange::Add(m) => {
                if self.members.contains_key(&m.id) {
                    return Err(ServerError::MemberExists);
                }
                self.check_urls_unused(&m.peer_urls, None)
            }
            MemberChange::Remove(_) => self.get(id).map(|_| ()).ok_or(ServerError::MemberNotFound),
            MemberChange::Promote(_) => match self.get(id) {
                None => Err(ServerError::MemberNotFound),
                Some(m) if !m.is_learner => Err(ServerError::MemberNotLearner),
                Some(_) => Ok(()),
            },
            MemberChange::Update { peer_urls, .. } => {
                self.get(id).ok_or(ServerError::MemberNotFound)?;
                self.check_urls_unused(peer_urls, Some(id))
            }
            MemberChange::Publish { .. } => self.get(id).map(|_| ()).ok_or(ServerError::MemberNotFound),
        }
    }

    fn check_urls_unused(&self, urls: &[String], except: Option<u64>) -> Result<(), ServerError> {
        let taken = self.members.values().filter(|m| Some(m.id) != except).flat_map(|m| m.peer_urls.iter());
        let taken: BTreeSet<&String> = taken.collect();
        if urls.iter().any(|u| taken.contains(u)) {
            return Err(ServerError::PeerUrlExists);
        }
        Ok(())
    }

    /// Applies a validated change.
    pub fn apply(&mut self, change: &MemberChange) {
        match change {
            MemberChange::Add(m) => {
                self.members.insert(m.id, m.clone());
            }
            MemberChange::Remove(id) => {
                self.members.remove(id);
                self.removed.insert(*id);
            }
            MemberChange::Promote(id) => {
                if let Some(m) = self.members.get_mut(id) {
                    m.is_learner = false;
                }
            }
            MemberChange::Update { id, peer_urls } => {
                if let Some(m) = self.members.get_mut(id) {
                    m.peer_urls = peer_urls.clone();
                }
            }
            MemberChange::Publish { id, name, client_urls } => {
                if let Some(m) = self.members.get_mut(id) {
                    m.name = name.clone();
                    m.client_urls = client_urls.clone();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: u64, url: &str, learner: bool) -> Member {
        Member { id, name: String::new(), peer_urls: vec![url.into()], client_urls: vec![], is_learner: learner }
    }

    #[test]
    fn validates_as_etcd() {
        let mut m = Membership::new(&[member(1, "http://a:2380", false)]);
        assert_eq!(m.validate(&MemberChange::Add(member(2, "http://a:2380", true))), Err(ServerError::PeerUrlExists));
        let add = MemberChange::Add(member(2, "http://b:2380", true));
        assert_eq!(m.validate(&add), Ok(()));
        m.apply(&add);
        assert_eq!(m.validate(&MemberChange::Promote(1)), Err(ServerError::MemberNotLearner));
        m.apply(&MemberChange::Promote(2));
        assert!(!m.get(2).unwrap().is_learner);
        m.apply(&MemberChange::Remove(2));
        assert_eq!(m.validate(&MemberChange::Remove(2)), Err(ServerError::MemberRemoved));
        assert_eq!(m.validate(&MemberChange::Remove(9)), Err(ServerError::MemberNotFound));
    }
}
