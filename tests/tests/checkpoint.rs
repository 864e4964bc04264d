//! Checkpoints: a fork of the world must run on exactly as the world it was copied from, so that a rewind
//! from a checkpoint lands on the same world as a replay from time 0.

use etcdplay_core::mvcc::KeyRange;
use etcdplay_core::playground::checkpoint::{Checkpoints, INTERVAL_MS, KEEP};
use etcdplay_core::rng::SimRng;
use etcdplay_core::{Action, World, WorldConfig};

/// A mix of user actions drawn from `seed`: writes, watches, faults and heals, leader moves, membership
/// changes, snapshots sent to followers (a low snapshot count) and Kubernetes traffic, as a visitor clicks.
fn random_actions(seed: u64, members: usize) -> Vec<(u64, Action)> {
    let mut rng = SimRng::new(seed);
    let names: Vec<String> = (1..=members).map(|i| format!("etcd{i}")).collect();
    let fresh = World::new(WorldConfig::demo(members, seed));
    let ids: Vec<u64> = (0..members).map(|i| fresh.node(i).id).collect();
    let mut actions = vec![(0, Action::SnapshotCount { count: 25 })];
    actions.extend((0..70).map(|i| {
        let gap = rng.range(0, 1_500);
        let pick = rng.range(0, members as u64) as usize;
        let member = names[pick].clone();
        let line = |l: String| Action::Etcdctl { line: l, stdin: None };
        let action = match rng.range(0, 22) {
            14 => line(format!("move-leader {:x}", ids[pick])),
            15 => line("member add extra --peer-urls=http://10.0.0.99:2380".to_string()),
            16 => Action::Start { member: "extra".to_string(), client_url: None, data_dir: None },
            17 => Action::Link {
                a: member,
                b: names[(pick + 1) % members].clone(),
                latency_ms: rng.range(1, 60),
                jitter_ms: rng.range(0, 20),
                loss_per_mille: rng.range(0, 200) as u32,
                duplicate_per_mille: rng.range(0, 100) as u32,
                reorder_per_mille: rng.range(0, 100) as u32,
            },
            18 => Action::LoadKubernetes { objects: 150, large: false },
            19 => Action::KubernetesTraffic { on: rng.range(0, 2) == 0 },
            20 => line(format!("lease keep-alive {:x}", rng.range(1, 1 << 20))),
            21 => line(format!("get k{} --consistency=s --endpoints={member}", i % 7)),
            _ => return (gap, random_basic(&mut rng, i, member, &names)),
        };
        (gap, action)
    }));
    actions
}

/// The everyday actions: writes and reads, watches, kills, pauses, partitions, slow disks.
fn random_basic(rng: &mut SimRng, i: u64, member: String, names: &[String]) -> Action {
    let line = |l: String| Action::Etcdctl { line: l, stdin: None };
    match rng.range(0, 14) {
        0 => Action::Kill { member },
        1 => Action::Restart { member },
        2 => Action::Pause { member },
        3 => Action::Resume { member },
        4 => Action::Partition {
            groups: vec![vec![member.clone()], names.iter().filter(|n| **n != member).cloned().collect()],
        },
        5 => Action::Heal,
        6 => Action::Disk { member, min_us: 2_000, max_us: 40_000 },
        7 => line(format!("watch k{} --prefix", i % 3)),
        8 => Action::Interrupt { stream: rng.range(1, 4) },
        9 => line(format!("lease grant {}", rng.range(2, 6))),
        10 => line(format!("get k --prefix --endpoints={member}")),
        11 => line("compaction 3".to_string()),
        _ => line(format!("put k{} v{i}", i % 7)),
    }
}

/// Everything a visitor can see of a world: members, time, the trace and running commands' output.
fn fingerprint(w: &World) -> String {
    let trace: Vec<String> = w.trace().records().map(|r| format!("{} {}", r.at_ms, r.event)).collect();
    let streams: Vec<String> = w.streams().iter().map(|(id, s)| format!("{id} {} {:?}", s.line, s.out)).collect();
    let stores: Vec<String> = (0..w.members().len())
        .map(|i| {
            let s = &w.node(i).server.store;
            format!("{} {} {:x}", s.current_rev(), s.compact_rev(), s.hash_kv(s.current_rev()))
        })
        .collect();
    format!("{:?}\n{}\n{}\n{}\n{}", w.nodes(), w.now_ms(), stores.join(" "), trace.join("\n"), streams.join("\n"))
}

/// Runs `actions` in 16 ms frames as the page does, calling `each_frame` after every frame.
fn run(config: &WorldConfig, actions: &[(u64, Action)], mut each_frame: impl FnMut(&World)) -> World {
    let mut w = World::new(config.clone());
    for (gap, action) in actions {
        let target = w.now_ms() + gap;
        while w.now_ms() < target {
            w.advance(16.min(target - w.now_ms()));
            each_frame(&w);
        }
        w.apply(action.clone());
    }
    for _ in 0..300 {
        w.advance(16);
        each_frame(&w);
    }
    w
}

#[test]
fn a_fork_runs_on_exactly_as_the_world_it_was_copied_from() {
    let base = etcdplay_tests::seed(1300);
    let (seeds, mut total) = (8, 0);
    for seed in base..base + seeds {
        let members = if seed % 2 == 0 { 3 } else { 5 };
        let config = WorldConfig::demo(members, seed).with_history();
        let actions = random_actions(seed, members);
        let (mut forks, mut tried, mut next_ms) = (Vec::new(), 0, 0);
        let original = run(&config, &actions, |w| {
            if w.now_ms() >= next_ms {
                tried += 1;
                if let Some(f) = w.fork() {
                    assert_eq!(fingerprint(&f), fingerprint(w), "seed {seed}: a fork differs at once");
                    forks.push(f);
                    next_ms = w.now_ms() + 5_000;
                }
            }
        });
        // A member paused with a Ready pending cannot be copied until it resumes; every seed still forks.
        assert!(!forks.is_empty(), "seed {seed}: no fork in {tried} tries");
        total += forks.len();
        let end = fingerprint(&original);
        for f in forks {
            let at = f.now_ms();
            let later = &original.actions()[f.actions().len()..];
            let mut w = f.replayed(later);
            w.advance_to(original.now_ms());
            assert_eq!(fingerprint(&w), end, "seed {seed}: the fork taken at {at} ms diverged");
        }
    }
    assert!(total >= 5 * seeds as usize, "{total} forks over {seeds} seeds: worlds are rarely at rest");
}

#[test]
fn a_rewind_from_a_checkpoint_lands_where_a_replay_from_zero_does() {
    let base = etcdplay_tests::seed(1400);
    for seed in base..base + 6 {
        let config = WorldConfig::demo(3, seed).with_history();
        let mut checkpoints = Checkpoints::default();
        let original = run(&config, &random_actions(seed, 3), |w| {
            checkpoints.offer(w);
        });
        for back_ms in [1_000, 10_000, 30_000] {
            let target = original.now_ms() - back_ms;
            let kept: Vec<_> = original.actions().iter().take_while(|a| a.at_ms < target).cloned().collect();
            let mut replayed = World::replay(config.clone(), &kept);
            replayed.advance_to(target);
            let (from, rewound) = checkpoints.rewind(target, &kept).expect("a checkpoint before the target");
            assert!(from <= target && target - from <= 10_000, "seed {seed}: from {from} for {target}");
            assert_eq!(fingerprint(&rewound), fingerprint(&replayed), "seed {seed}: back {back_ms} ms");
            assert_eq!(rewound.actions(), &kept[..]);
        }
    }
}

#[test]
fn checkpoints_stay_few_and_dense_near_the_present() {
    let config = WorldConfig::demo(3, 5);
    let mut checkpoints = Checkpoints::default();
    let mut w = World::new(config);
    while w.now_ms() < 600_000 {
        w.advance(50);
        checkpoints.offer(&w);
    }
    let times = checkpoints.times();
    assert_eq!(times.len(), KEEP, "{times:?}");
    let newest = *times.last().unwrap();
    assert!(w.now_ms() - newest <= INTERVAL_MS + 1_000, "{times:?}");
    // Within 30 s of now there is a checkpoint at most 10 s before any moment; the oldest reach far back.
    let gaps: Vec<u64> = times.windows(2).map(|p| p[1] - p[0]).collect();
    assert!(gaps.iter().rev().take(3).all(|&g| g <= 10_000), "{times:?}");
    assert!(times[0] < 300_000, "the oldest checkpoint reaches back: {times:?}");
}

#[test]
fn a_paused_member_under_writes_is_still_checkpointed() {
    for paused in ["etcd1", "etcd2", "etcd3"] {
        let mut w = World::new(WorldConfig::demo(3, 7));
        w.wait_for_leader(10_000).expect("a leader");
        w.apply(Action::Pause { member: paused.to_string() });
        let mut checkpoints = Checkpoints::default();
        let mut taken = 0;
        for i in 0..300 {
            let line = format!("put k{} v{i} --endpoints={}", i % 5, ["etcd1", "etcd2", "etcd3"][i % 3]);
            w.apply(Action::Etcdctl { line, stdin: None });
            for _ in 0..12 {
                w.advance(16);
                taken += usize::from(checkpoints.offer(&w));
            }
        }
        // 57 simulated seconds: one checkpoint due every 5 s.
        assert!(taken >= 10, "{paused} paused: {taken} checkpoints in {} ms", w.now_ms());
        // What the paused member holds for its next Ready goes with the copy.
        let mut copy = w.fork().expect("a world with a paused member forks");
        for world in [&mut w, &mut copy] {
            world.apply(Action::Etcdctl { line: format!("put late v --endpoints={paused}"), stdin: None });
            world.apply(Action::Resume { member: paused.to_string() });
            world.advance(20_000);
        }
        assert_eq!(fingerprint(&copy), fingerprint(&w), "{paused} paused: the copy ran on differently");
    }
}

/// Every key of every member's store at its current revision, with its value's length and revisions.
fn keyspace(w: &World) -> Vec<String> {
    let all = KeyRange::new(b"\0", b"\0");
    (0..w.members().len())
        .map(|i| {
            let s = &w.node(i).server.store;
            let kvs = s.range(&all, 0, 0).expect("the current revision reads").kvs;
            let kvs: Vec<String> =
                kvs.iter().map(|kv| format!("{:?} {} {}", kv.key, kv.mod_revision, kv.version)).collect();
            kvs.join(",")
        })
        .collect()
}

/// A checkpoint shares its stores' key-index leaves with the world (issue 13: copying 100k keys was a long
/// task); the world's later writes across the whole index (deletes, puts, a compaction) must copy what
/// they change, so that a rewind from the checkpoint still lands where a replay from time 0 does.
#[test]
fn a_checkpoint_keeps_its_keys_while_the_world_rewrites_them() {
    let config = WorldConfig::demo(3, 21).with_history();
    let mut w = World::new(config.clone());
    let mut checkpoints = Checkpoints::default();
    w.wait_for_leader(10_000).expect("a leader");
    // 1,500 objects: each store's index spans a dozen leaves.
    w.apply(Action::LoadKubernetes { objects: 1_500, large: false });
    while w.kubernetes_view().load.is_some_and(|l| l.finished_ms.is_none()) {
        w.advance(16);
        checkpoints.offer(&w);
    }
    let target = w.now_ms() + INTERVAL_MS;
    while !checkpoints.times().last().is_some_and(|&t| t >= target - INTERVAL_MS && t < target) || w.now_ms() < target {
        w.advance(16);
        checkpoints.offer(&w);
    }
    let line = |l: &str| Action::Etcdctl { line: l.to_string(), stdin: None };
    for action in [
        line("del /registry/pods/ --prefix"),
        line("put /registry/configmaps/new v"),
        line("compaction 100"),
        Action::KubernetesTraffic { on: true },
    ] {
        w.apply(action);
        w.advance(2_000);
    }
    w.advance(20_000);
    let kept: Vec<_> = w.actions().iter().take_while(|a| a.at_ms < target).cloned().collect();
    let mut replayed = World::replay(config, &kept);
    replayed.advance_to(target);
    let (from, rewound) = checkpoints.rewind(target, &kept).expect("a checkpoint before the target");
    assert!(from < target, "from {from} for {target}");
    assert!(keyspace(&replayed)[0].len() > 100_000, "the replay holds the objects");
    assert_eq!(keyspace(&rewound), keyspace(&replayed));
    assert_eq!(fingerprint(&rewound), fingerprint(&replayed));
}
