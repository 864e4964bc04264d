//! What clients on the wire (`etcdplay serve`) do to the cluster, as actions: the serve process performs
//! them as they come and records each one, so a served run is still its seed plus its timed actions and
//! [`World::replay`] rebuilds it event for event (natively with `etcdplay replay`, or in a page watching
//! the served cluster). Looks that change nothing (an answer not there yet, a watcher reading a store, a
//! header) are not recorded.

use crate::playground::action::{Action, TimedAction};
use crate::playground::World;
use crate::server::api::{Request, ServerError, ServerResult};
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

/// What a wire step gave back to its client.
#[derive(Debug)]
pub enum WireOutcome {
    /// The request's ID, or why the member refused it at once.
    Submitted(Result<u64, ServerError>),
    /// An answer, or None while there is none yet (nothing happened, nothing recorded).
    Answer(Option<ServerResult>),
    Done,
}

impl WireOutcome {
    /// Whether the step changed the world (so a replay must repeat it).
    fn changed(&self) -> bool {
        !matches!(self, WireOutcome::Answer(None))
    }
}

impl World {
    /// Performs a wire client's step now and records it. The moments due now run first, as a replay's
    /// `advance_to` runs them before the step: that is what makes the recorded run replay exactly.
    pub fn wire(&mut self, action: WireAction) -> WireOutcome {
        let now = self.now_ms();
        self.advance_to(now);
        let outcome = perform(self, action.clone());
        if outcome.changed() {
            self.actions.push(TimedAction { at_ms: now, action: Action::Wire(action) });
        }
        outcome
    }
}

/// Carries out a wire step (as it happens, or recorded, on replay).
pub(crate) fn perform(world: &mut World, action: WireAction) -> WireOutcome {
    match action {
        WireAction::Submit { member, request } => WireOutcome::Submitted(world.submit(member, request)),
        WireAction::Take { id } => WireOutcome::Answer(world.take_answer(id)),
        WireAction::Cancel { member, id } => {
            world.cancel(member, id);
            WireOutcome::Done
        }
        WireAction::Leader { member, request } => WireOutcome::Answer(world.serve_by_leader(member, &request)),
        WireAction::MoveLeader { member, target } => {
            world.start_leader_transfer(member, target);
            WireOutcome::Done
        }
        WireAction::Defragment { member } => {
            world.defragment(member);
            WireOutcome::Done
        }
    }
}
