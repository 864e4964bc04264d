//! Simulation suite: elections, kills and restarts, quorum loss, and replay determinism of the world.

use etcdplay_core::rng::SimRng;
use etcdplay_core::{Action, Role, TimedAction, World, WorldConfig};

fn etcdctl(w: &mut World, line: &str) -> etcdplay_core::Outcome {
    w.apply(Action::Etcdctl { line: line.to_string(), stdin: None })
}

fn leaders(w: &World) -> Vec<String> {
    w.nodes().into_iter().filter(|n| n.role == Role::Leader).map(|n| n.name).collect()
}

#[test]
fn a_fresh_cluster_elects_exactly_one_leader() {
    for seed in 0..20 {
        let mut w = World::new(WorldConfig::demo(3, seed));
        let l = w.wait_for_leader(10_000).unwrap_or_else(|| panic!("seed {seed}: no leader"));
        assert_eq!(leaders(&w).len(), 1, "seed {seed}");
        assert!(w.now_ms() < 5_000, "seed {seed}: election took {} ms", w.now_ms());
        assert!(w.nodes().iter().all(|n| n.leader_id == w.nodes()[l].id));
    }
}

#[test]
fn killing_the_leader_elects_another_with_a_higher_term_and_keeps_data() {
    let seed = etcdplay_tests::seed(7);
    let mut w = World::new(WorldConfig::demo(3, seed));
    let old = w.wait_for_leader(10_000).expect("leader");
    let old_term = w.nodes()[old].term;
    assert_eq!(etcdctl(&mut w, "put foo bar").stdout, "OK\n");
    let old_name = w.members()[old].name.clone();
    w.apply(Action::Kill { member: old_name.clone() });
    let new = w.wait_for_leader(10_000).expect("a new leader");
    assert_ne!(new, old);
    assert!(w.nodes()[new].term > old_term);
    assert_eq!(etcdctl(&mut w, "get foo").stdout, "foo\nbar\n");
    assert_eq!(etcdctl(&mut w, "put foo baz").stdout, "OK\n");
    w.apply(Action::Restart { member: old_name });
    w.advance(2_000);
    let view = &w.nodes()[old];
    assert_eq!(view.role, Role::Follower);
    assert_eq!(view.revision, 3, "the restarted member replayed its log and caught up");
    let line = format!("get foo --consistency=s --endpoints={}", w.members()[old].name);
    let o = etcdctl(&mut w, &line);
    assert_eq!(o.stdout, "foo\nbaz\n");
}

#[test]
fn without_quorum_writes_time_out_and_serializable_reads_answer() {
    let mut w = World::new(WorldConfig::demo(3, 3));
    w.wait_for_leader(10_000).expect("leader");
    etcdctl(&mut w, "put k v");
    w.apply(Action::Kill { member: "etcd2".into() });
    w.apply(Action::Kill { member: "etcd3".into() });
    let start = w.now_ms();
    let o = etcdctl(&mut w, "put k v2 --endpoints=etcd1");
    assert_eq!((o.stderr.as_str(), o.exit_code), ("Error: context deadline exceeded\n", 1));
    assert_eq!(w.now_ms() - start, 5_000, "etcdctl's default command timeout");
    let o = etcdctl(&mut w, "get k --endpoints=etcd1 --command-timeout=2s");
    assert_eq!(o.stderr, "Error: context deadline exceeded\n");
    let o = etcdctl(&mut w, "get k --endpoints=etcd1 --consistency=s");
    assert_eq!(o.stdout, "k\nv\n");
    w.apply(Action::Restart { member: "etcd2".into() });
    w.wait_for_leader(10_000).expect("quorum is back");
    // A write that timed out has an unknown outcome, as in etcd: it may sit in the old leader's log and
    // commit once quorum returns. Either value is correct; anything else is not.
    let after = etcdctl(&mut w, "get k").stdout;
    assert!(after == "k\nv\n" || after == "k\nv2\n", "{after:?}");
}

#[test]
fn a_partitioned_leader_steps_down_and_the_majority_moves_on() {
    let mut w = World::new(WorldConfig::demo(3, 11));
    let old = w.wait_for_leader(10_000).expect("leader");
    let names: Vec<String> = w.members().iter().map(|m| m.name.clone()).collect();
    let rest: Vec<String> = names.iter().filter(|n| **n != names[old]).cloned().collect();
    w.apply(Action::Partition { groups: vec![vec![names[old].clone()], rest.clone()] });
    w.advance(3_000);
    assert_ne!(w.nodes()[old].role, Role::Leader, "CheckQuorum makes the isolated leader step down");
    let leaders = leaders(&w);
    assert_eq!(leaders.len(), 1);
    assert!(rest.contains(&leaders[0]));
    let o = etcdctl(&mut w, &format!("get foo --endpoints={} --command-timeout=1s", names[old]));
    assert_eq!(o.stderr, "Error: context deadline exceeded\n", "a minority cannot serve linearizable reads");
    w.apply(Action::Heal);
    w.advance(3_000);
    assert_eq!(self::leaders(&w).len(), 1);
}

/// A random mix of user actions, drawn from `seed`.
fn random_actions(seed: u64) -> Vec<(u64, Action)> {
    let mut rng = SimRng::new(seed);
    let names = ["etcd1", "etcd2", "etcd3"];
    (0..40)
        .map(|i| {
            let gap = rng.range(0, 800);
            let member = names[rng.range(0, 3) as usize].to_string();
            let action = match rng.range(0, 11) {
                8 => Action::Pause { member },
                9 => Action::Resume { member },
                10 => Action::Disk { member, min_us: 5_000, max_us: 30_000 },
                6 => Action::Etcdctl { line: format!("watch k{} --prefix --prev-kv", i % 3), stdin: None },
                7 => Action::Interrupt { stream: rng.range(1, 4) },
                0 => Action::Kill { member },
                1 => Action::Restart { member },
                2 => Action::Etcdctl { line: format!("get k{} --prefix --endpoints={member}", i % 3), stdin: None },
                3 => Action::Partition {
                    groups: vec![
                        vec![member.clone()],
                        names.iter().filter(|n| **n != member).map(|n| n.to_string()).collect(),
                    ],
                },
                4 => Action::Heal,
                _ => Action::Etcdctl { line: format!("put k{} v{i}", i % 5), stdin: None },
            };
            (gap, action)
        })
        .collect()
}

/// Runs actions with gaps between them, advancing time in irregular chunks as a page would.
fn run(config: &WorldConfig, actions: &[(u64, Action)], chunk_ms: u64) -> World {
    let mut w = World::new(config.clone());
    for (gap, action) in actions {
        let target = w.now_ms() + gap;
        while w.now_ms() < target {
            w.advance(chunk_ms.min(target - w.now_ms()));
        }
        w.apply(action.clone());
    }
    w.advance(5_000);
    w
}

fn fingerprint(w: &World) -> String {
    let trace: Vec<String> = w.trace().records().map(|r| format!("{} {}", r.at_ms, r.event)).collect();
    let streams: Vec<String> = w.streams().iter().map(|(id, s)| format!("{id} {} {:?}", s.line, s.out)).collect();
    format!("{:?}\n{}\n{}\n{}", w.nodes(), w.now_ms(), trace.join("\n"), streams.join("\n"))
}

#[test]
fn the_same_seed_and_actions_replay_the_same_run() {
    let base = etcdplay_tests::seed(2024);
    for seed in base..base + 5 {
        let config = WorldConfig::demo(3, seed);
        let actions = random_actions(seed);
        let a = run(&config, &actions, 16);
        let b = run(&config, &actions, 250);
        assert_eq!(fingerprint(&a), fingerprint(&b), "seed {seed}: chunking changed the run");
        let recorded: Vec<TimedAction> = a.actions().to_vec();
        let mut c = World::replay(config.clone(), &recorded);
        c.advance_to(a.now_ms());
        assert_eq!(fingerprint(&a), fingerprint(&c), "seed {seed}: replay from the action log diverged");
        assert!(a.trace().total() > 10);
        let other = run(&WorldConfig::demo(3, seed + 1000), &actions, 16);
        assert_ne!(fingerprint(&a), fingerprint(&other), "seed {seed}: a different seed should differ");
    }
}

#[test]
fn member_ids_match_etcd_for_the_demo_cluster_urls() {
    let w = World::new(WorldConfig::demo(5, 1));
    let ids: std::collections::BTreeSet<u64> = w.members().iter().map(|m| m.id).collect();
    assert_eq!(ids.len(), 5);
    assert_eq!(
        w.members()[0].id,
        etcdplay_core::cluster::member_id(&["http://10.0.0.1:2380".to_string()], "etcd-cluster")
    );
}

#[test]
fn an_expired_lease_is_revoked_by_the_leader_with_its_keys() {
    let mut w = World::new(WorldConfig::demo(3, 5));
    w.wait_for_leader(10_000).expect("leader");
    let granted = etcdctl(&mut w, "lease grant 2").stdout;
    let id = granted.split_whitespace().nth(1).expect("lease <id> granted").to_string();
    assert_eq!(granted, format!("lease {id} granted with TTL(2s)\n"));
    assert_eq!(etcdctl(&mut w, &format!("put ephemeral gone-soon --lease={id}")).stdout, "OK\n");
    let ttl = etcdctl(&mut w, &format!("lease timetolive {id} --keys")).stdout;
    assert_eq!(ttl, format!("lease {id} granted with TTL(2s), remaining(2s), attached keys([ephemeral])\n"));
    assert_eq!(etcdctl(&mut w, "get ephemeral").stdout, "ephemeral\ngone-soon\n");
    w.advance(3_000);
    assert_eq!(etcdctl(&mut w, "get ephemeral").stdout, "", "the key went with its lease");
    assert_eq!(etcdctl(&mut w, &format!("lease timetolive {id}")).stdout, format!("lease {id} already expired\n"));
    let kept = etcdctl(&mut w, "lease grant 60").stdout;
    let kept = kept.split_whitespace().nth(1).expect("id").to_string();
    let before_kill = w.leader().expect("leader");
    let leader_name = w.members()[before_kill].name.clone();
    w.apply(Action::Kill { member: leader_name });
    w.wait_for_leader(10_000).expect("new leader");
    let o = etcdctl(&mut w, &format!("lease keep-alive --once {kept}"));
    assert_eq!(o.stdout, format!("lease {kept} keepalived with TTL(60)\n"), "the new leader knows the lease");
}

#[test]
fn a_second_lock_waits_until_the_first_is_released() {
    let mut w = World::new(WorldConfig::demo(3, 9));
    w.wait_for_leader(10_000).expect("leader");
    let first = etcdctl(&mut w, "lock mylock");
    assert!(first.stdout.starts_with("mylock/"), "{first:?}");
    let first_id = first.stream.expect("lock holds until stopped");
    let second = etcdctl(&mut w, "lock mylock");
    assert_eq!(second.stdout, "", "the second contender waits");
    let second_id = second.stream.expect("waiting");
    w.advance(5_000);
    let (waiting, _) = w.take_stream_output(second_id).expect("still running");
    assert_eq!(waiting.stdout, "", "still waiting while the first holds the lock (its session is kept alive)");
    w.apply(Action::Interrupt { stream: first_id });
    w.advance(100);
    let (acquired, _) = w.take_stream_output(second_id).expect("running");
    assert!(acquired.stdout.starts_with("mylock/"), "{acquired:?}");
    let watch = etcdctl(&mut w, "watch mylock --prefix");
    let watch_id = watch.stream.expect("watch runs");
    w.apply(Action::Interrupt { stream: second_id });
    w.advance(100);
    let (events, _) = w.take_stream_output(watch_id).expect("watch running");
    assert!(events.stdout.starts_with("DELETE\nmylock/"), "unlock deletes the key: {events:?}");
}

#[test]
fn elections_are_traced() {
    let mut w = World::new(WorldConfig::demo(3, 7));
    let first = w.wait_for_leader(10_000).expect("leader");
    let name = w.members()[first].name.clone();
    let became = |w: &World, who: &str| {
        w.trace().records().any(|r| r.event.to_string().starts_with(&format!("{who} became leader at term")))
    };
    assert!(became(&w, &name), "the first election is in the trace");
    w.apply(Action::Kill { member: name.clone() });
    let second = w.wait_for_leader(10_000).expect("new leader");
    assert!(became(&w, &w.members()[second].name.clone()), "the re-election is in the trace");
    let total = w.trace().total();
    assert_eq!(w.trace().records_since(total).count(), 0);
    assert_eq!(w.trace().records_since(total - 1).count(), 1);
}

#[test]
fn a_crash_loses_what_the_disk_had_not_fsynced_and_the_member_catches_up() {
    let seed = etcdplay_tests::seed(11);
    let mut w = World::new(WorldConfig::demo(3, seed));
    let leader = w.wait_for_leader(10_000).expect("leader");
    let slow = (leader + 1) % 3;
    let name = w.members()[slow].name.clone();
    w.apply(Action::Disk { member: name.clone(), min_us: 2_000_000, max_us: 2_000_000 });
    // The other follower's acknowledgement makes the put commit; the slow one has it only in its page cache.
    assert_eq!(etcdctl(&mut w, "put k v").stdout, "OK\n");
    w.advance(20);
    let written = w.node(slow).last_index();
    assert_eq!(written, w.node(leader).last_index(), "seed {seed}: the slow follower received the entry");
    w.apply(Action::Kill { member: name.clone() });
    assert!(w.node(slow).last_index() < written, "seed {seed}: the unsynced entry is lost in the crash");
    w.apply(Action::Disk { member: name.clone(), min_us: 100, max_us: 400 });
    w.apply(Action::Restart { member: name.clone() });
    w.advance(2_000);
    let line = format!("get k --endpoints={name} --consistency=s");
    assert_eq!(etcdctl(&mut w, &line).stdout, "k\nv\n", "seed {seed}: caught up from the leader");
}

/// The value of a metric line `name value` in Prometheus text.
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no metric {name} in:\n{text}"))
}

#[test]
fn metrics_show_slow_fsyncs_leader_changes_and_peer_round_trips() {
    let seed = etcdplay_tests::seed(5);
    let mut w = World::new(WorldConfig::demo(3, seed));
    let leader = w.wait_for_leader(10_000).expect("leader");
    let name = w.members()[leader].name.clone();
    w.apply(Action::Disk { member: name.clone(), min_us: 30_000, max_us: 30_000 });
    for i in 0..5 {
        assert_eq!(etcdctl(&mut w, &format!("put k{i} v")).stdout, "OK\n", "seed {seed}");
    }
    w.advance(6_000);
    let url = w.members()[leader].client_urls[0].clone();
    let text = etcdctl(&mut w, &format!("curl -s {url}/metrics")).stdout;
    assert_eq!(metric(&text, "etcd_server_has_leader"), 1.0, "seed {seed}");
    assert_eq!(metric(&text, "etcd_server_leader_changes_seen_total"), 1.0, "seed {seed}");
    // Every fsync since the disk slowed down takes 30 ms: the five puts' land between 16 and 32 ms.
    let bucket = |le: &str| metric(&text, &format!("etcd_disk_wal_fsync_duration_seconds_bucket{{le=\"{le}\"}}"));
    assert!(bucket("0.032") - bucket("0.016") >= 5.0, "seed {seed}:\n{text}");
    assert!(metric(&text, "etcd_disk_backend_commit_duration_seconds_count") >= 1.0, "seed {seed}");
    assert!(text.contains("etcd_network_peer_round_trip_time_seconds_count{To="), "seed {seed}:\n{text}");
}
