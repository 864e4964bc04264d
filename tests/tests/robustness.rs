//! Robustness: random workloads from concurrent clients under random faults, checked for
//! linearizability, watch guarantees, Raft safety and equal hashes (see `etcdplay_core::robustness`).
//! `ETCDPLAY_SEED=S` runs seeds from S; a failure prints the one-line command that replays it.

use etcdplay_core::robustness::{run_seed, Config, Summary};

const SEEDS: u64 = 300;

#[test]
fn random_workloads_under_faults_stay_linearizable_and_consistent() {
    let first = std::env::var("ETCDPLAY_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    let cfg = Config::default();
    let started = std::time::Instant::now();
    let mut summary = Summary::default();
    let mut failures = Vec::new();
    for seed in first..first + SEEDS {
        let r = run_seed(seed, &cfg);
        summary.add(&r);
        if !r.violations.is_empty() {
            failures.push(format!("seed {seed}:\n  {}\n  replay: {}", r.violations.join("\n  "), r.replay_command()));
        }
    }
    println!("seeds {first}..={} ({} per seed simulated, {} clients)", first + SEEDS - 1, cfg.duration_ms, cfg.clients);
    println!("{summary}");
    println!("time: {:.1} s", started.elapsed().as_secs_f64());
    assert!(failures.is_empty(), "{} failing seeds:\n{}", failures.len(), failures.join("\n"));
    assert!(summary.ops.values().sum::<u64>() >= SEEDS * 300, "a few hundred operations per seed");
    assert!(summary.faults.values().sum::<u64>() >= SEEDS * 3, "several faults per seed");
    assert_eq!(summary.checks.get("hash-kv"), Some(&SEEDS));
    assert!(summary.checks.get("linearizable-keys").copied().unwrap_or(0) >= SEEDS * 5);
    assert!(summary.checks.get("watch-events").copied().unwrap_or(0) > 0);
}

#[test]
fn a_seed_replays_the_same_run() {
    let cfg = Config { duration_ms: 10_000, ..Config::default() };
    for seed in [3, 25] {
        let (a, b) = (run_seed(seed, &cfg), run_seed(seed, &cfg));
        assert_eq!(a.fingerprint, b.fingerprint, "seed {seed}: the trace differs between runs");
        assert_eq!((a.ops, a.faults, a.checks), (b.ops, b.faults, b.checks), "seed {seed}");
    }
}

/// Faults are numbered in their draw order from a stream of their own: keeping only the first two of a
/// run's faults injects exactly those two, at the same moments, which is what shrinking relies on.
#[test]
fn keeping_some_faults_leaves_them_as_they_were() {
    let cfg = Config { duration_ms: 10_000, ..Config::default() };
    let seed = etcdplay_tests::seed(4);
    let all = run_seed(seed, &cfg);
    assert!(all.fault_log.len() >= 3, "{:?}", all.fault_log);
    let first_two: std::collections::BTreeSet<u64> = all.fault_log.iter().take(2).map(|f| f.0).collect();
    let some = run_seed(seed, &Config { faults: Some(first_two), ..cfg.clone() });
    assert_eq!(some.fault_log, all.fault_log[..2].to_vec());
    let none = run_seed(seed, &Config { faults: Some(Default::default()), ..cfg });
    assert!(none.fault_log.is_empty());
    assert!(none.violations.is_empty(), "{:?}", none.violations);
}

/// The unsafe mode (reads without ReadIndex) must fail the checker; the failing seed shrinks to a smaller
/// run that still fails and replays to the same trace from its one-line command's settings.
#[test]
fn an_unsafe_run_fails_and_shrinks_to_a_smaller_failing_run() {
    use etcdplay_core::robustness::shrink::shrink;
    let cfg = Config { unsafe_reads: true, ..Config::default() };
    let seed = etcdplay_tests::seed(100_000);
    let s = shrink(seed, &cfg, 100).expect("reads without ReadIndex are caught");
    println!("shrunk in {} runs: {} -> {}", s.runs, s.original_faults, s.report.replay_command());
    assert!(!s.report.violations.is_empty());
    assert!(s.report.fault_log.len() <= s.original_faults);
    assert!(s.config.duration_ms < cfg.duration_ms || s.config.clients < cfg.clients, "{:?}", s.config);
    assert!(s.report.replay_args.contains("--unsafe-reads"));
    let again = run_seed(seed, &s.config);
    assert_eq!(again.fingerprint, s.report.fingerprint, "the shrunk run replays exactly");
    assert!(!again.violations.is_empty());
}

/// Found by the robustness runs: a store rebuilt from a snapshot taken after a compaction must keep each
/// key's creation revision and version (members that caught up by snapshot hashed differently).
#[test]
fn a_store_rebuilt_after_compaction_keeps_create_revision_and_version() {
    use etcdplay_core::mvcc::{KeyRange, Store};
    let put = |s: &mut Store, k: &str, v: &str| {
        let mut tx = s.write();
        tx.put(k.as_bytes(), v.as_bytes(), 0);
        tx.end();
    };
    let mut s = Store::new();
    put(&mut s, "k", "1");
    put(&mut s, "k", "2");
    put(&mut s, "other", "x");
    s.compact(4).unwrap();
    let mut rebuilt = Store::from_versions(s.versions(), s.current_rev(), s.compact_rev()).unwrap();
    for st in [&mut s, &mut rebuilt] {
        put(st, "k", "3");
    }
    let k = KeyRange::Single(b"k".to_vec());
    let (a, b) = (s.range(&k, 0, 0).unwrap().kvs, rebuilt.range(&k, 0, 0).unwrap().kvs);
    assert_eq!((b[0].create_revision, b[0].version), (2, 3));
    assert_eq!(a, b);
    assert_eq!(s.hash_kv(s.current_rev()), rebuilt.hash_kv(rebuilt.current_rev()));
}
