//! Terms: Raft's logical clock, and how PreVote keeps a cut-off member from inflating it.

use super::{Do, Goal, Lesson, Step};
use crate::playground::action::Action;
use crate::trace::Role;

pub(super) fn lesson() -> Lesson {
    Lesson {
        id: "terms",
        title: "Terms",
        summary:
            "See each member's term, isolate one without disrupting the cluster, and stop a leader to force a new \
            term.",
        members: 3,
        steps: vec![
            Step {
                text: "Every card shows its member's term: Raft's logical clock, raised by one for every \
                       election. Run `endpoint status -w table` and find the RAFT TERM column.",
                setup: vec![],
                goal: Goal::All(vec![Goal::LeaderElected, Goal::Ran { pattern: "endpoint status", ok: true }]),
                waiting: "Waiting for you to run `endpoint status -w table`…",
                explain: "All members agree on the term, and at most one leader exists per term (election \
                          safety). A member that receives a message with a higher term adopts it and becomes a \
                          follower; a message with a lower term is rejected as stale.",
                visitor: vec![Do::Ctl("endpoint status -w table")],
            },
            Step {
                text: "Cut a follower off: press Isolate on a card that is not the leader. Then watch it for a \
                       few seconds.",
                setup: vec![],
                goal: Goal::All(vec![Goal::Isolated, Goal::InRole(Role::PreCandidate)]),
                waiting: "Waiting for you to isolate a follower, and for its election timer to fire…",
                explain: "The isolated member's election timer fired, but it became only a pre-candidate: with \
                          PreVote (this cluster runs `--pre-vote=true`, etcd's default from 3.5; turn it on in 3.4) \
                          it first asks whether it could win, \
                          and nobody answers, so its term stays where it was. Without PreVote it would raise \
                          its term at every timeout and, on return, force the healthy leader to step down.",
                visitor: vec![Do::IsolateFollower],
            },
            Step {
                text: "Heal the network: press Heal network in the network bar under the ring.",
                setup: vec![],
                goal: Goal::All(vec![Goal::Healed, Goal::SameLeader]),
                waiting: "Waiting for you to heal the network…",
                explain: "The member rejoined at the same term and the leader kept leading: no election, no \
                          unavailability. That is PreVote's whole point.",
                visitor: vec![Do::Act(Action::Heal)],
            },
            Step {
                text: "Now freeze the leader the way a long garbage-collection pause or an overloaded VM does: \
                       press Pause on the leader's card.",
                setup: vec![],
                goal: Goal::NewLeader,
                waiting: "Waiting for you to pause the leader, and for the others to elect a new one…",
                explain: "The followers stopped hearing heartbeats, waited out an election timeout and elected a \
                          new leader at a higher term. The paused member still believes it leads at the old term: \
                          it has not run since.",
                visitor: vec![Do::PauseLeader],
            },
            Step {
                text: "Resume the paused member: press Resume on its card.",
                setup: vec![],
                goal: Goal::All(vec![Goal::NonePaused, Goal::SameLeader]),
                waiting: "Waiting for you to resume the paused member…",
                explain: "On resuming, the old leader's messages at its old term were answered at the higher \
                          term, and it stepped down to follower. Terms are how Raft fences off a stale leader: \
                          it cannot commit at the old term, and entries only it appended are overwritten by the \
                          new leader's log.",
                visitor: vec![Do::ResumeAll],
            },
        ],
    }
}
