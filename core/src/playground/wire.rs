//! What clients on the wire (`etcdplay serve`) do to the cluster, as actions: the serve process performs
//! them as they come and records each one, so the run is still its seed plus its timed actions and
//! [`World::replay`] rebuilds it event for event (a served run replayed natively, or by a page watching
//! it). Reads that change nothing (a watcher polling a store, a status) are not recorded.

use crate::playground::World;
use crate::server::api::Request;
use serde::{Deserialize, Serialize};

/// One step a wire client's request took through the cluster, by member index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WireAction {
    /// A request sent to a member ([`crate::sim::Cluster::submit`]).
    Submit {
        member: usize,
        request: Request,
    },
    /// The answer to request `id` was taken ([`crate::sim::Cluster::take_answer`]).
    Take {
        id: u64,
    },
    /// The client stopped waiting for request `id`.
    Cancel {
        member: usize,
        id: u64,
    },
    /// A request the member's leader served (lease keep-alive, time-to-live).
    Leader {
        member: usize,
        request: Request,
    },
    /// Leader `member` starts handing leadership to the member with ID `target`.
    MoveLeader {
        member: usize,
        target: u64,
    },
    Defragment {
        member: usize,
    },
}

/// Carries out a recorded wire action on replay (the serve process performed it when it happened).
pub(crate) fn perform(world: &mut World, action: WireAction) {
    match action {
        WireAction::Submit { member, request } => {
            let _ = world.submit(member, request);
        }
        WireAction::Take { id } => {
            let _ = world.take_answer(id);
        }
        WireAction::Cancel { member, id } => world.cancel(member, id),
        WireAction::Leader { member, request } => {
            let _ = world.serve_by_leader(member, &request);
        }
        WireAction::MoveLeader { member, target } => world.start_leader_transfer(member, target),
        WireAction::Defragment { member } => world.defragment(member),
    }
}
