//! The page's live history check on a visitor-like session: etcd's reads pass it; the unsafe mode (reads
//! without ReadIndex) fails it with the stale read named.

use etcdplay_core::linearizability::session::SessionVerdict;
use etcdplay_core::{Action, World, WorldConfig};

fn etcdctl(w: &mut World, line: &str) -> etcdplay_core::Outcome {
    w.apply(Action::Etcdctl { line: line.to_string(), stdin: None })
}

/// Writes v1 everywhere, isolates the leader, writes v2 through the majority, then reads from the
/// isolated old leader with a linearizable get. Returns what that get printed.
fn stale_read_session(w: &mut World) -> etcdplay_core::Outcome {
    let l = w.wait_for_leader(10_000).expect("leader");
    let old = w.members()[l].name.clone();
    assert_eq!(etcdctl(w, "put k v1").stdout, "OK\n");
    w.advance(500);
    let rest: Vec<String> = w.members().iter().map(|m| m.name.clone()).filter(|n| *n != old).collect();
    w.apply(Action::Partition { groups: vec![vec![old.clone()], rest.clone()] });
    w.advance(3_000);
    let put = etcdctl(w, &format!("put k v2 --endpoints={}", rest[0]));
    assert_eq!(put.stdout, "OK\n", "{put:?}");
    etcdctl(w, &format!("get k --endpoints={old} --command-timeout=2s"))
}

#[test]
fn an_etcd_session_with_a_partition_is_linearizable() {
    let mut w = World::new(WorldConfig::demo(3, etcdplay_tests::seed(11)).with_history());
    let get = stale_read_session(&mut w);
    assert_eq!(get.stderr, "Error: context deadline exceeded\n", "the minority cannot serve a linearizable read");
    let check = w.session_history().expect("recorded").check();
    assert_eq!(check.verdict, SessionVerdict::Linearizable);
    assert!(check.operations >= 3, "{check:?}");
}

#[test]
fn the_unsafe_mode_serves_a_stale_read_and_the_check_names_it() {
    let mut w = World::new(WorldConfig::demo(3, etcdplay_tests::seed(11)).with_history());
    w.apply(Action::UnsafeReads { on: true });
    let get = stale_read_session(&mut w);
    assert_eq!(get.stdout, "k\nv1\n", "the isolated member answers from its own, stale store");
    let check = w.session_history().expect("recorded").check();
    let SessionVerdict::NotLinearizable { key, ops } = check.verdict else {
        panic!("the stale read passed the check: {check:?} {:?}", w.session_history())
    };
    assert_eq!(key, "k");
    assert!(ops.iter().any(|o| o.contains("put k = v2")), "{ops:?}");
    assert!(ops.iter().any(|o| o.contains("get k returned v1")), "{ops:?}");
    assert!(ops.len() <= 3, "the smallest contradiction: {ops:?}");
}

#[test]
fn without_the_config_nothing_is_recorded() {
    let mut w = World::new(WorldConfig::demo(1, 1));
    w.wait_for_leader(10_000);
    etcdctl(&mut w, "put k v");
    assert!(w.session_history().is_none());
}
