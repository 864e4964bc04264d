//! Walking through a lesson: entering a step (its setup), doing what a visitor would do, and letting
//! simulated time pass until the step's goal is met. Every change goes through [`World::apply`], so a
//! lesson is recorded and replays like any other run.

use super::{Lesson, Step, StepStart};
use crate::playground::action::{Action, Outcome};
use crate::playground::World;
use crate::trace::Role;

/// The longest a step may take once its visitor actions are done (simulated): a few elections.
pub const SETTLE_LIMIT_MS: u64 = 15_000;

/// How long an action that needs a leader waits for one (simulated).
const LEADER_WAIT_MS: u64 = 10_000;

/// What a visitor does, named as the lesson asks for it; resolved against the world when done, because
/// who leads is only known then.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Do {
    /// Press Kill on the leader's card.
    KillLeader,
    /// Press Kill on a running follower's card.
    KillFollower,
    /// Press Restart on a stopped member's card.
    RestartOne,
    /// Press Pause on the leader's card.
    PauseLeader,
    /// Press Resume on every paused member's card.
    ResumeAll,
    /// Press Isolate on a follower's card.
    IsolateFollower,
    /// Run this console line.
    Ctl(&'static str),
    /// Run the console line with `{rev}` replaced by the leader's store revision (read off
    /// `endpoint status`).
    CtlAtRevision(&'static str),
    /// Any other control on the page.
    Act(Action),
}

/// Applies an action and runs what it made due at this very millisecond, as a replay does before the next
/// action (the page's own clicks do the same).
pub fn apply(world: &mut World, action: Action) -> Outcome {
    let outcome = world.apply(action);
    let now = world.now_ms();
    world.advance_to(now);
    outcome
}

/// Opens step `step` (0-based) of `lesson` on `world`: the earlier steps are set up and done as a visitor
/// would, then this step's setup runs. Returns what the step starts from.
pub fn enter(world: &mut World, lesson: &Lesson, step: usize) -> StepStart {
    let step = step.min(lesson.steps.len().saturating_sub(1));
    for earlier in &lesson.steps[..step] {
        let start = begin(world, earlier);
        act(world, earlier);
        settle(world, earlier, &start);
    }
    begin(world, &lesson.steps[step])
}

/// Runs a step's setup and captures where it starts.
pub fn begin(world: &mut World, step: &Step) -> StepStart {
    for action in &step.setup {
        apply(world, action.clone());
    }
    StepStart::capture(world)
}

/// Does what the step asks the visitor to do.
pub fn act(world: &mut World, step: &Step) {
    for d in &step.visitor {
        for action in resolve(world, d) {
            apply(world, action);
        }
    }
}

/// Lets simulated time pass until the step's goal is met, at most [`SETTLE_LIMIT_MS`]; whether it was.
pub fn settle(world: &mut World, step: &Step, start: &StepStart) -> bool {
    let deadline = world.now_ms() + SETTLE_LIMIT_MS;
    while !step.goal.met(world, start) {
        if world.now_ms() >= deadline {
            return false;
        }
        world.advance(50);
    }
    true
}

/// The actions a visitor's move comes to in this world (none when it cannot be done, e.g. no follower
/// left to kill).
pub fn resolve(world: &mut World, d: &Do) -> Vec<Action> {
    let name = |w: &World, i: usize| w.node(i).name.clone();
    let n = world.members().len();
    match d {
        Do::KillLeader => leader(world).map(|l| Action::Kill { member: name(world, l) }).into_iter().collect(),
        Do::PauseLeader => leader(world).map(|l| Action::Pause { member: name(world, l) }).into_iter().collect(),
        Do::KillFollower => follower(world).map(|f| Action::Kill { member: name(world, f) }).into_iter().collect(),
        Do::IsolateFollower => match follower(world) {
            Some(f) => {
                let others = (0..n).filter(|&i| i != f).map(|i| name(world, i)).collect();
                vec![Action::Partition { groups: vec![vec![name(world, f)], others] }]
            }
            None => Vec::new(),
        },
        Do::RestartOne => {
            let down = (0..n).find(|&i| !world.node(i).is_up() && !world.node(i).disk.wiped);
            down.map(|i| Action::Restart { member: name(world, i) }).into_iter().collect()
        }
        Do::ResumeAll => {
            (0..n).filter(|&i| world.node(i).paused).map(|i| Action::Resume { member: name(world, i) }).collect()
        }
        Do::Ctl(line) => vec![Action::Etcdctl { line: line.to_string(), stdin: None }],
        Do::CtlAtRevision(line) => {
            let rev = leader(world).map_or(1, |l| world.node(l).server.store.current_rev());
            vec![Action::Etcdctl { line: line.replace("{rev}", &rev.to_string()), stdin: None }]
        }
        Do::Act(action) => vec![action.clone()],
    }
}

/// The leader, waiting for one to be elected if there is none yet.
fn leader(world: &mut World) -> Option<usize> {
    world.leader().or_else(|| world.wait_for_leader(LEADER_WAIT_MS))
}

/// A running member that follows (the first in member order).
fn follower(world: &mut World) -> Option<usize> {
    let l = leader(world);
    (0..world.members().len()).find(|&i| Some(i) != l && world.node(i).is_up() && world.node(i).role() != Role::Leader)
}
