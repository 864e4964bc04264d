//! Randomized bad input on stable Rust (cargo-fuzz needs a nightly toolchain, which this project cannot
//! install): console lines assembled from etcdctl's own words, flags and hostile tokens, and damaged
//! snapshot files. Nothing may panic; a damaged snapshot is refused or decodes to a valid one; the
//! cluster keeps answering. The seed is printed; `ETCDPLAY_SEED=N` replays a run.

use etcdplay_core::rng::SimRng;
use etcdplay_core::snapshot::SnapshotData;
use etcdplay_core::{Action, World, WorldConfig};

const WORDS: &[&str] = &[
    "put",
    "get",
    "del",
    "txn",
    "watch",
    "lease",
    "grant",
    "revoke",
    "keep-alive",
    "timetolive",
    "list",
    "member",
    "add",
    "remove",
    "promote",
    "update",
    "endpoint",
    "status",
    "health",
    "hashkv",
    "snapshot",
    "save",
    "restore",
    "defrag",
    "alarm",
    "disarm",
    "compaction",
    "move-leader",
    "lock",
    "elect",
    "check",
    "perf",
    "version",
    "help",
    "curl",
    "http://10.0.0.1:2379/metrics",
    "--prefix",
    "--rev=-1",
    "--rev=99999",
    "--limit=abc",
    "-w",
    "json",
    "table",
    "fields",
    "protobuf",
    "--endpoints=etcd9",
    "--from-key",
    "''",
    "\"",
    "\\",
    "<<EOF",
    "--command-timeout=0s",
    "--ttl=-5",
    "--lease=zz",
    "0",
    "-1",
    "18446744073709551616",
    "é",
    "\u{0}",
    "--",
    "-",
    "--=",
    "--hex",
    "--consistency=x",
    "--learner",
    "--peer-urls=::",
    "a=b,c",
    "k",
    "v",
    "--interactive",
    "-i",
    "backup.db",
    "--data-dir",
    "--print-value-only",
    "--sort-by=NOPE",
    "--order=up",
];

fn random_line(rng: &mut SimRng) -> String {
    let n = rng.range(0, 7) as usize;
    let mut words: Vec<String> = (0..n).map(|_| WORDS[rng.range(0, WORDS.len() as u64) as usize].to_string()).collect();
    if rng.chance(0.2) {
        let len = rng.range(0, 12) as usize;
        words.push((0..len).map(|_| char::from(rng.range(1, 128) as u8)).collect());
    }
    words.join(" ")
}

#[test]
fn random_console_lines_never_panic_and_the_cluster_keeps_answering() {
    let seed = etcdplay_tests::seed(21);
    let mut rng = SimRng::new(seed);
    let mut w = World::new(WorldConfig::demo(3, seed));
    w.wait_for_leader(10_000).expect("leader");
    for i in 0..20_000 {
        let line = random_line(&mut rng);
        let stdin = rng.chance(0.1).then(|| random_line(&mut rng));
        let out = w.apply(Action::Etcdctl { line: line.clone(), stdin });
        for id in w.streams().keys().copied().collect::<Vec<_>>() {
            w.stop_stream(id, 130);
        }
        assert!(out.exit_code >= 0, "seed {seed}, line {i}: {line:?}");
        w.advance(rng.range(0, 50));
    }
    let ok = w.apply(Action::Etcdctl { line: "put after-fuzz ok".into(), stdin: None });
    assert_eq!(ok.stdout, "OK\n", "seed {seed}: the cluster still answers: {}", ok.stderr);
}

#[test]
fn damaged_snapshot_files_are_refused_without_panics() {
    let seed = etcdplay_tests::seed(22);
    let mut rng = SimRng::new(seed);
    let mut w = World::new(WorldConfig::demo(3, seed));
    w.wait_for_leader(10_000).expect("leader");
    for i in 0..20 {
        w.apply(Action::Etcdctl { line: format!("put k{i} value-{i}"), stdin: None });
    }
    w.apply(Action::Etcdctl { line: "snapshot save good.db --endpoints=etcd1".into(), stdin: None });
    let good = w.read_file("good.db").expect("saved").to_vec();
    let original = SnapshotData::decode(&good).expect("a good file decodes");
    for _ in 0..5_000 {
        let mut bytes = good.clone();
        match rng.range(0, 4) {
            0 => bytes.truncate(rng.range(0, bytes.len() as u64) as usize),
            1 => {
                for _ in 0..rng.range(1, 8) {
                    let at = rng.range(0, bytes.len() as u64) as usize;
                    bytes[at] ^= rng.range(1, 256) as u8;
                }
            }
            2 => bytes.extend((0..rng.range(1, 64)).map(|_| rng.range(0, 256) as u8)),
            _ => bytes = (0..rng.range(0, 200)).map(|_| rng.range(0, 256) as u8).collect(),
        }
        if let Ok(data) = SnapshotData::decode(&bytes) {
            assert_eq!(data, original, "seed {seed}: a damaged file must not decode to different data");
        }
    }
    // Through the console too: a damaged file is refused and the cluster is untouched.
    let mut damaged = good.clone();
    let mid = damaged.len() / 2;
    damaged[mid] ^= 0x55;
    w.apply(Action::WriteFile { path: "bad.db".into(), bytes: damaged });
    let out = w.apply(Action::Etcdctl { line: "snapshot status bad.db".into(), stdin: None });
    assert_ne!(out.exit_code, 0, "seed {seed}");
    assert!(out.stderr.contains("corrupted"), "seed {seed}: {}", out.stderr);
    assert_eq!(
        w.apply(Action::Etcdctl { line: "get k19 --print-value-only".into(), stdin: None }).stdout,
        "value-19\n"
    );
}
