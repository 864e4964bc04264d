//! What a step asks for, checked against the world. Every check is a pure, cheap read: the page asks
//! again on every 50 ms tick. What depends on when the step began (the term, the leader, the revision,
//! how far the trace had got) is captured once, at step entry, in a [`StepStart`].

use crate::playground::World;
use crate::trace::{Event, Role};

/// The world as a step found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepStart {
    pub at_ms: u64,
    /// The leader's name and term then (term 0: no leader yet).
    pub leader: Option<String>,
    pub term: u64,
    /// The leader's store revision and compacted revision then (of member 0 without a leader).
    pub revision: i64,
    pub compacted: i64,
    pub cluster_id: u64,
    /// Events recorded before the step: the console lines it counts come after these.
    pub trace_total: u64,
}

impl StepStart {
    pub fn capture(world: &World) -> StepStart {
        let leader = world.leader();
        let store = &world.node(leader.unwrap_or(0)).server.store;
        StepStart {
            at_ms: world.now_ms(),
            leader: leader.map(|l| world.node(l).name.clone()),
            term: leader.map_or(0, |l| world.node(l).term()),
            revision: store.current_rev(),
            compacted: store.compact_rev(),
            cluster_id: world.cluster_id(),
            trace_total: world.trace().total(),
        }
    }
}

/// A checkable condition on the world.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Goal {
    /// Some member leads, and every running member that can reach it follows it.
    LeaderElected,
    /// The member that led when the step began is down.
    StartLeaderDown,
    /// A member leads at a higher term than the leader had when the step began.
    NewLeader,
    /// A leader at the same term as when the step began, followed by every running member: nothing
    /// disrupted the cluster.
    SameLeader,
    /// Since the step began, the visitor ran a console line whose command is the pattern's first word and
    /// that has each further word of the pattern as (a prefix of) one of its words; `ok`: it exited 0,
    /// otherwise it failed. A command that keeps running (watch) counts as succeeding.
    Ran { pattern: &'static str, ok: bool },
    /// A `watch` whose line names `key` is running.
    Watching { key: &'static str },
    /// Every running member's store holds `key` = `value`.
    KeyOnAll { key: &'static str, value: &'static str },
    /// The leader's store no longer holds `key`.
    KeyGone { key: &'static str },
    /// At least this many members are down.
    Down(usize),
    /// At most this many members are down.
    AtMostDown(usize),
    /// A running member cannot reach the others (cut off by a partition).
    Isolated,
    /// No link between members is cut.
    Healed,
    /// Some member is in this role.
    InRole(Role),
    /// No member is paused.
    NonePaused,
    /// The leader's store is compacted up to at least the revision it had when the step began.
    Compacted,
    /// Every running member's backend file has no free pages left (`defrag` ran since the last compaction).
    Defragmented,
    /// `snapshot restore` wrote a data dir.
    RestoredDir,
    /// A cluster with another ID than at the step's start has a leader: a restored cluster runs.
    RestoredRunning,
    /// Some member's WAL fsync p99 (`etcd_disk_wal_fsync_duration_seconds`) is above this.
    SlowFsync { p99_ms: u64 },
    /// Every member's disk finishes an fsync within this.
    FastDisks { max_ms: u64 },
    /// Every one of these.
    All(Vec<Goal>),
}

impl Goal {
    /// Whether the world meets the goal now.
    pub fn met(&self, world: &World, start: &StepStart) -> bool {
        match self {
            Goal::LeaderElected => settled_leader(world).is_some(),
            Goal::StartLeaderDown => {
                start.leader.as_deref().and_then(|n| world.member_index(n)).is_some_and(|i| !world.node(i).is_up())
            }
            Goal::NewLeader => world.leader().is_some_and(|l| world.node(l).term() > start.term),
            Goal::SameLeader => settled_leader(world).is_some_and(|l| world.node(l).term() == start.term),
            Goal::Ran { pattern, ok } => ran(world, start, pattern, *ok),
            Goal::Watching { key } => world.streams().values().any(|s| !s.finished && is_watch_of(&s.line, key)),
            Goal::KeyOnAll { key, value } => key_on_all(world, key, value),
            Goal::KeyGone { key } => world.leader().is_some_and(|l| value_of(world, l, key).is_none()),
            Goal::Down(n) => down(world) >= *n,
            Goal::AtMostDown(n) => down(world) <= *n,
            Goal::Isolated => isolated(world),
            Goal::Healed => !any_cut(world),
            Goal::InRole(role) => (0..world.members().len()).any(|i| world.node(i).role() == *role),
            Goal::NonePaused => (0..world.members().len()).all(|i| !world.node(i).paused),
            Goal::Compacted => {
                world.leader().is_some_and(|l| world.node(l).server.store.compact_rev() >= start.revision)
            }
            Goal::Defragmented => defragmented(world),
            Goal::RestoredDir => world.restored_dirs().next().is_some(),
            Goal::RestoredRunning => world.cluster_id() != start.cluster_id && world.leader().is_some(),
            Goal::SlowFsync { p99_ms } => slow_fsync(world, *p99_ms),
            Goal::FastDisks { max_ms } => {
                (0..world.members().len()).all(|i| world.node(i).disk.profile.max_us <= max_ms * 1000)
            }
            Goal::All(goals) => goals.iter().all(|g| g.met(world, start)),
        }
    }

    /// Goals that time alone meets (an election after boot), so a step may ask the visitor only to watch.
    pub fn needs_no_visitor(&self) -> bool {
        matches!(self, Goal::LeaderElected | Goal::NewLeader)
    }
}

/// The leader, once every running member that can reach it follows it.
fn settled_leader(world: &World) -> Option<usize> {
    let l = world.leader()?;
    let lid = world.node(l).id;
    let follows = |i: usize| {
        let n = world.node(i);
        !n.is_up() || n.paused || n.leader_id() == lid || !world.network.is_reachable(n.id, lid)
    };
    (0..world.members().len()).all(follows).then_some(l)
}

fn down(world: &World) -> usize {
    (0..world.members().len()).filter(|&i| !world.node(i).is_up()).count()
}

/// Whether a console line since the step began matches `pattern` and ended as wanted.
fn ran(world: &World, start: &StepStart, pattern: &str, ok: bool) -> bool {
    world.trace().records_since(start.trace_total).any(|r| match &r.event {
        Event::Etcdctl { line, exit_code } => (*exit_code == 0) == ok && matches_pattern(line, pattern),
        Event::Started { line } => ok && matches_pattern(line, pattern),
        _ => false,
    })
}

/// `put greeting hello` matches `etcdctl put greeting "hello"` (words as the shell splits them);
/// `get counter --rev` matches `get counter --rev=3`; flags may come in any order.
pub fn matches_pattern(line: &str, pattern: &str) -> bool {
    let words = crate::ctl::shell::split(line).unwrap_or_default();
    // Global flags may come before the command (`etcdctl --endpoints=etcd1 put ...`).
    let leading = |w: &&str| *w == "etcdctl" || (w.starts_with("--") && w.contains('='));
    let mut words = words.iter().map(String::as_str).skip_while(leading);
    let mut wanted = pattern.split_whitespace();
    let (Some(command), Some(first)) = (words.next(), wanted.next()) else { return false };
    let rest: Vec<&str> = words.collect();
    command == first && wanted.all(|w| rest.iter().any(|r| r.starts_with(w)))
}

fn is_watch_of(line: &str, key: &str) -> bool {
    matches_pattern(line, "watch") && line.split_whitespace().any(|w| w == key)
}

fn value_of(world: &World, i: usize, key: &str) -> Option<Vec<u8>> {
    let range = crate::mvcc::store::KeyRange::Single(key.as_bytes().to_vec());
    let found = world.node(i).server.store.range(&range, 0, 1).ok()?;
    found.kvs.into_iter().next().map(|kv| kv.value)
}

fn key_on_all(world: &World, key: &str, value: &str) -> bool {
    let up: Vec<usize> = (0..world.members().len()).filter(|&i| world.node(i).is_up()).collect();
    !up.is_empty() && up.iter().all(|&i| value_of(world, i, key).as_deref() == Some(value.as_bytes()))
}

fn any_cut(world: &World) -> bool {
    let n = world.members().len();
    (0..n).any(|i| (i + 1..n).any(|j| world.network.is_cut(world.node(i).id, world.node(j).id)))
}

fn isolated(world: &World) -> bool {
    let n = world.members().len();
    let cut_off =
        |i: usize| (0..n).filter(|&j| j != i).all(|j| world.network.is_cut(world.node(i).id, world.node(j).id));
    n > 1 && (0..n).any(|i| world.node(i).is_up() && cut_off(i))
}

fn defragmented(world: &World) -> bool {
    let up: Vec<usize> = (0..world.members().len()).filter(|&i| world.node(i).is_up()).collect();
    let tight = |i: usize| world.node(i).server.db_size() == world.node(i).server.db_size_in_use();
    !up.is_empty() && up.into_iter().all(tight)
}

fn slow_fsync(world: &World, p99_ms: u64) -> bool {
    let limit_s = p99_ms as f64 / 1000.0;
    let slow = |i: usize| world.node(i).server.metrics.wal_fsync.quantile(0.99).is_some_and(|q| q > limit_s);
    (0..world.members().len()).any(slow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playground::action::Action;
    use crate::WorldConfig;

    fn ctl(world: &mut World, line: &str) -> i32 {
        world.apply(Action::Etcdctl { line: line.to_string(), stdin: None }).exit_code
    }

    #[test]
    fn only_commands_run_since_the_step_began_count() {
        let mut world = World::new(WorldConfig::demo(3, 1));
        world.wait_for_leader(10_000);
        assert_eq!(ctl(&mut world, "put greeting hello"), 0);
        let start = StepStart::capture(&world);
        let ran = Goal::Ran { pattern: "put greeting hello", ok: true };
        assert!(!ran.met(&world, &start), "the put came before the step");
        assert_eq!(ctl(&mut world, "get greeting"), 0);
        assert!(!ran.met(&world, &start), "another command");
        assert_eq!(ctl(&mut world, "put greeting hello"), 0);
        assert!(ran.met(&world, &start));
        assert!(!Goal::Ran { pattern: "put greeting hello", ok: false }.met(&world, &start), "it succeeded");
        assert!(Goal::KeyOnAll { key: "greeting", value: "hello" }.met(&world, &start));
        assert!(!Goal::KeyOnAll { key: "greeting", value: "bye" }.met(&world, &start));
    }

    #[test]
    fn leadership_goals_compare_with_the_step_start() {
        let mut world = World::new(WorldConfig::demo(3, 1));
        assert!(!Goal::LeaderElected.met(&world, &StepStart::capture(&world)), "nobody leads at boot");
        world.wait_for_leader(10_000);
        let start = StepStart::capture(&world);
        assert!(Goal::SameLeader.met(&world, &start));
        assert!(!Goal::StartLeaderDown.met(&world, &start) && !Goal::NewLeader.met(&world, &start));
        let leader = start.leader.clone().expect("a leader");
        world.apply(Action::Kill { member: leader });
        assert!(Goal::StartLeaderDown.met(&world, &start) && Goal::Down(1).met(&world, &start));
        world.wait_for_leader(10_000);
        assert!(Goal::NewLeader.met(&world, &start) && !Goal::SameLeader.met(&world, &start));
    }

    #[test]
    fn patterns_match_commands_with_flags_in_any_order() {
        assert!(matches_pattern("put greeting hello", "put greeting hello"));
        assert!(matches_pattern(
            "etcdctl get /registry/pods --keys-only --prefix",
            "get /registry/pods --prefix --keys-only"
        ));
        assert!(matches_pattern("get counter --rev=3", "get counter --rev"));
        assert!(!matches_pattern("get /registry/pods --prefix", "get /registry/pods --prefix --keys-only"));
        assert!(!matches_pattern("del greeting", "put greeting"));
        assert!(matches_pattern("put greeting 'hello'", "put greeting hello"), "quotes are the shell's");
        assert!(matches_pattern("etcdctl --endpoints=etcd1 put greeting hello", "put greeting"));
        assert!(!matches_pattern("", "put"));
        assert!(!matches_pattern("put 'unclosed", "put"), "a line the shell cannot split ran nothing");
    }
}
