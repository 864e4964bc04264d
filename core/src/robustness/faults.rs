//! Random faults, every one an [`Action`] (so the world's action list replays them): partitions of any
//! split and heal, kill and restart, pause and resume, bad links (loss, duplication, reordering, delay),
//! network profiles, slow disks, leader transfers; a low `--snapshot-count` makes lagging members catch
//! up by snapshot.

use crate::playground::action::Action;
use crate::playground::World;
use crate::rng::SimRng;
use crate::trace::Role;
use std::collections::{BTreeMap, BTreeSet};

pub struct Faults {
    next_ms: u64,
    /// The actions that undo the active fault, and when.
    undo: Option<(u64, Vec<Action>)>,
    /// A wiped member being replaced: (when to try the next stage, member index, stage 0 remove, 1 add,
    /// 2 start).
    replace: Option<(u64, usize, u8)>,
    pub counts: BTreeMap<&'static str, u64>,
    membership: bool,
    /// Faults drawn so far, kept or not: a fault's number is its place in the draw order.
    number: u64,
    /// Only these fault numbers are injected (None: all), to shrink a failing run.
    keep: Option<BTreeSet<u64>>,
    /// Injected faults: (number, when, what).
    pub log: Vec<(u64, u64, String)>,
}

/// One drawn fault: the actions that inject it and undo it after `hold_ms`, or a wiped member to replace.
struct Fault {
    name: &'static str,
    inject: Vec<Action>,
    undo: Vec<Action>,
    hold_ms: u64,
    wipe: Option<usize>,
}

impl Fault {
    /// "kill etcd2", "partition etcd1 | etcd2, etcd3", in words for a shrunk run's report.
    fn describe(&self) -> String {
        let words: Vec<String> = self.inject.iter().map(describe_action).collect();
        format!("{} ({})", self.name, words.join("; "))
    }
}

fn describe_action(a: &Action) -> String {
    match a {
        Action::Partition { groups } => {
            let sides: Vec<String> = groups.iter().map(|g| g.join(", ")).collect();
            format!("partition {}", sides.join(" | "))
        }
        Action::Kill { member } => format!("kill {member}"),
        Action::Pause { member } => format!("pause {member}"),
        Action::Wipe { member } => format!("wipe {member}"),
        Action::Etcdctl { line, .. } => line.clone(),
        Action::Network { profile } => format!("network {profile}"),
        Action::Disk { member, min_us, .. } => format!("{member} fsync {} ms", min_us / 1_000),
        Action::Link { a, b, latency_ms, loss_per_mille, .. } => {
            format!("link {a}-{b} {latency_ms} ms, loss {loss_per_mille}‰")
        }
        other => format!("{other:?}"),
    }
}

const NVME: (u64, u64) = (100, 400);

impl Faults {
    pub fn new(rng: &mut SimRng, world: &mut World, membership: bool, keep: Option<BTreeSet<u64>>) -> Faults {
        let mut f = Faults {
            next_ms: world.now_ms() + rng.range(500, 1500),
            undo: None,
            replace: None,
            counts: BTreeMap::new(),
            membership,
            number: 0,
            keep,
            log: Vec::new(),
        };
        if rng.chance(0.5) {
            world.apply(Action::SnapshotCount { count: rng.range(10, 60) });
            f.count("snapshot-count");
        }
        f
    }

    pub fn next_ms(&self) -> u64 {
        match (&self.replace, &self.undo) {
            (Some((t, _, _)), _) => *t,
            (None, Some((t, _))) => *t,
            (None, None) => self.next_ms,
        }
    }

    /// One stage of replacing wiped member `i`, as an operator does: `member remove` its old ID, `member
    /// add` it again, start it with an empty data dir. True when that stage worked.
    fn replace_stage(world: &mut World, i: usize, stage: u8) -> bool {
        let n = world.members().len();
        let Some(via) = (0..n).find(|&j| j != i && world.node(j).is_up() && !world.node(j).paused) else {
            return false;
        };
        let name = world.members()[i].name.clone();
        let via = world.members()[via].name.clone();
        let peer = world.members()[i].peer_urls[0].clone();
        let ctl = |world: &mut World, line: String| world.apply(Action::Etcdctl { line, stdin: None }).exit_code == 0;
        match stage {
            0 => {
                let id = world.node(i).id;
                ctl(world, format!("member remove {id:x} --endpoints={via}"))
            }
            1 => ctl(world, format!("member add {name} --peer-urls={peer} --endpoints={via}")),
            _ => {
                let url = peer.replace(":2380", ":2379");
                let out = world.apply(Action::Start { member: name, client_url: Some(url), data_dir: None });
                out.exit_code == 0
            }
        }
    }

    /// Advances a replacement; true once the member runs again.
    fn replace_step(&mut self, world: &mut World) -> bool {
        let Some((_, i, stage)) = self.replace else { return true };
        let now = world.now_ms();
        if Self::replace_stage(world, i, stage) {
            if stage == 2 {
                self.replace = None;
                return true;
            }
            self.replace = Some((now + 200, i, stage + 1));
        } else {
            self.replace = Some((now + 1_000, i, stage));
        }
        false
    }

    fn count(&mut self, name: &'static str) {
        *self.counts.entry(name).or_default() += 1;
    }

    /// Injects or undoes a fault when its time comes.
    pub fn step(&mut self, rng: &mut SimRng, world: &mut World) {
        let now = world.now_ms();
        if let Some((t, _, _)) = self.replace {
            if t <= now && self.replace_step(world) {
                self.next_ms = world.now_ms() + rng.range(300, 2000);
            }
            return;
        }
        if let Some((t, actions)) = &self.undo {
            if *t <= now {
                for a in actions.clone() {
                    world.apply(a);
                }
                self.undo = None;
                self.next_ms = now + rng.range(300, 2000);
            }
            return;
        }
        if now < self.next_ms {
            return;
        }
        self.number += 1;
        let fault = self.draw(rng, world);
        let kept = self.keep.as_ref().is_none_or(|k| k.contains(&self.number));
        let Some(fault) = fault.filter(|_| kept) else {
            self.next_ms = now + rng.range(300, 2000);
            return;
        };
        for a in &fault.inject {
            world.apply(a.clone());
        }
        self.count(fault.name);
        self.log.push((self.number, now, fault.describe()));
        if let Some(i) = fault.wipe {
            self.replace = Some((now + fault.hold_ms, i, 0));
        } else if fault.undo.is_empty() {
            self.next_ms = now + rng.range(300, 2000);
        } else {
            self.undo = Some((now + fault.hold_ms, fault.undo));
        }
    }

    /// Draws the next fault without injecting it: the draws are the same whether it is then kept or
    /// skipped, so skipping some faults while shrinking leaves the others as they were.
    fn draw(&self, rng: &mut SimRng, world: &World) -> Option<Fault> {
        let names: Vec<String> = world.members().iter().map(|m| m.name.clone()).collect();
        let n = names.len();
        let pick = |rng: &mut SimRng| names[rng.range(0, n as u64) as usize].clone();
        let hold_ms = rng.range(500, 4000);
        let kinds = if self.membership { 10 } else { 9 };
        let fault = |name, inject, undo| Some(Fault { name, inject, undo, hold_ms, wipe: None });
        match rng.range(0, kinds) {
            9 => {
                // Lose a member's disk: it must be removed and added again with an empty data dir.
                let i = rng.range(0, n as u64) as usize;
                let inject = vec![Action::Wipe { member: names[i].clone() }];
                Some(Fault { name: "wipe+replace", inject, undo: vec![], hold_ms, wipe: Some(i) })
            }
            0 => {
                // Any split into two non-empty sides.
                let mask = rng.range(1, (1 << n) - 1);
                let (a, b): (Vec<_>, Vec<_>) = (0..n).partition(|i| mask & (1 << i) != 0);
                let side = |v: Vec<usize>| v.into_iter().map(|i| names[i].clone()).collect::<Vec<_>>();
                fault("partition", vec![Action::Partition { groups: vec![side(a), side(b)] }], vec![Action::Heal])
            }
            1 => {
                let m = pick(rng);
                fault("kill", vec![Action::Kill { member: m.clone() }], vec![Action::Restart { member: m }])
            }
            2 => {
                let m = leader_name(world).unwrap_or_else(|| pick(rng));
                fault("kill-leader", vec![Action::Kill { member: m.clone() }], vec![Action::Restart { member: m }])
            }
            3 => {
                let m = pick(rng);
                fault("pause", vec![Action::Pause { member: m.clone() }], vec![Action::Resume { member: m }])
            }
            4 => {
                let (a, b) = (rng.range(0, n as u64) as usize, rng.range(0, n as u64) as usize);
                let link = Action::Link {
                    a: names[a].clone(),
                    b: names[b].clone(),
                    latency_ms: rng.range(1, 80),
                    jitter_ms: rng.range(0, 40),
                    loss_per_mille: rng.range(0, 300) as u32,
                    duplicate_per_mille: rng.range(0, 200) as u32,
                    reorder_per_mille: rng.range(0, 300) as u32,
                };
                if a == b {
                    return None;
                }
                fault("link", vec![link], vec![Action::Heal])
            }
            5 => {
                let profile = if rng.chance(0.5) { "wan" } else { "congested" };
                let undo = vec![Action::Network { profile: "lan".into() }];
                fault("network", vec![Action::Network { profile: profile.into() }], undo)
            }
            6 => {
                let m = pick(rng);
                let min_us = rng.range(5_000, 100_000);
                let inject = vec![Action::Disk { member: m.clone(), min_us, max_us: min_us * 3 }];
                fault("slow-disk", inject, vec![Action::Disk { member: m, min_us: NVME.0, max_us: NVME.1 }])
            }
            7 => {
                let l = world.leader()?;
                let others: Vec<usize> = (0..n).filter(|&i| i != l && world.node(i).is_up()).collect();
                if others.is_empty() {
                    return None;
                }
                let t = others[rng.range(0, others.len() as u64) as usize];
                let line = format!("move-leader {:x} --endpoints={}", world.node(t).id, names[l]);
                fault("move-leader", vec![Action::Etcdctl { line, stdin: None }], vec![])
            }
            _ => {
                // Two faults at once: a member down while another is isolated.
                let (a, b) = (pick(rng), pick(rng));
                let rest: Vec<String> = names.iter().filter(|x| **x != b).cloned().collect();
                let inject =
                    vec![Action::Kill { member: a.clone() }, Action::Partition { groups: vec![vec![b], rest] }];
                fault("kill+partition", inject, vec![Action::Heal, Action::Restart { member: a }])
            }
        }
    }

    /// Undoes everything: the network healed and at LAN speed, every member up with a fast disk.
    pub fn heal_all(&mut self, world: &mut World) {
        if let Some((_, actions)) = self.undo.take() {
            for a in actions {
                world.apply(a);
            }
        }
        for _ in 0..30 {
            if self.replace_step(world) {
                break;
            }
            world.advance(500);
        }
        world.apply(Action::Heal);
        world.apply(Action::Network { profile: "lan".into() });
        let names: Vec<String> = world.members().iter().map(|m| m.name.clone()).collect();
        for (i, m) in names.into_iter().enumerate() {
            if world.node(i).paused {
                world.apply(Action::Resume { member: m.clone() });
            }
            if !world.node(i).is_up() {
                world.apply(Action::Restart { member: m.clone() });
            }
            world.apply(Action::Disk { member: m, min_us: NVME.0, max_us: NVME.1 });
        }
    }
}

fn leader_name(world: &World) -> Option<String> {
    let l = world.leader()?;
    (world.node(l).role() == Role::Leader).then(|| world.members()[l].name.clone())
}
