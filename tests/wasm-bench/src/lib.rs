//! Benchmark workloads, not a benchmark harness: the pipeline (puts through a simulated cluster, against
//! bare raft-rs) and the MVCC store (put, get, range, 1M revisions, compaction, against a `BTreeMap`).
//! `tests/benches/etcdplay.rs` runs them natively with `std::time::Instant`; `tests/browser/wasm-bench.mjs`
//! builds this crate for wasm32 and runs the same code in headless Chromium with `performance.now()`
//! ([`wasm`]), so that the wasm/native ratio compares one workload compiled twice.
//!
//! Time and heap size come from the caller ([`Meters`]): core has no real clock, and each build counts
//! its own allocations.

use etcdplay_core::mvcc::{KeyRange, Store};
use etcdplay_core::server::api::{PutRequest, Request};
use etcdplay_core::{World, WorldConfig};
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::hint::black_box;

pub mod heap;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

/// What a workload reads from the machine it runs on.
pub struct Meters<'a> {
    /// Seconds on a monotonic clock.
    pub now_s: &'a dyn Fn() -> f64,
    /// Live heap bytes (from a counting global allocator).
    pub heap_bytes: &'a dyn Fn() -> usize,
}

impl Meters<'_> {
    /// Seconds taken by `f`, and its result.
    fn timed<T>(&self, f: impl FnOnce() -> T) -> (f64, T) {
        let start = (self.now_s)();
        let out = f();
        ((self.now_s)() - start, out)
    }
}

/// One measured number, named so that runs on different targets can be matched up.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub name: String,
    pub value: f64,
    pub unit: &'static str,
    /// Whether a larger value is better (a rate) or worse (a time, bytes).
    pub higher_is_better: bool,
}

impl Figure {
    fn rate(name: impl Into<String>, value: f64, unit: &'static str) -> Figure {
        Figure { name: name.into(), value, unit, higher_is_better: true }
    }
    fn cost(name: impl Into<String>, value: f64, unit: &'static str) -> Figure {
        Figure { name: name.into(), value, unit, higher_is_better: false }
    }
}

/// A tab-separated line (`figure`, name, value, unit, `higher`/`lower`) for scripts to read.
impl fmt::Display for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let better = if self.higher_is_better { "higher" } else { "lower" };
        write!(f, "figure\t{}\t{:.3}\t{}\t{}", self.name, self.value, self.unit, better)
    }
}

/// A workload's result: a human summary (each line with its same-run baseline and ratio) and its figures.
#[derive(Debug, Default)]
pub struct Report {
    pub lines: Vec<String>,
    pub figures: Vec<Figure>,
}

/// Puts per pipeline run, requests kept in flight, and the cluster sizes measured.
pub const PIPELINE_PUTS: usize = 20_000;
pub const PIPELINE_WINDOW: usize = 1_000;
pub const PIPELINE_MEMBERS: [usize; 2] = [3, 5];

/// The benchmarks' keys: Kubernetes-like names, about 35 bytes.
pub fn key(i: usize) -> Vec<u8> {
    format!("/registry/pods/default/pod-{i:06}").into_bytes()
}

/// A put of a 100-byte value to one of 10,000 keys.
pub fn put(i: usize) -> Request {
    Request::Put(PutRequest { key: key(i % 10_000), value: vec![b'v'; 100], ..Default::default() })
}

/// Committed puts per second through raft-rs, the MVCC store and the apply loop of an `n`-member
/// simulated cluster, with `window` requests in flight (etcd batches whatever is pending into one Ready).
pub fn pipeline_puts_per_s(m: &Meters, n: usize, total: usize, window: usize) -> f64 {
    let mut w = World::new(WorldConfig::demo(n, 1));
    let leader = w.wait_for_leader(10_000).expect("a leader");
    let (secs, ()) = m.timed(|| {
        let mut pending = VecDeque::new();
        let mut sent = 0;
        while sent < total || !pending.is_empty() {
            while sent < total && pending.len() < window {
                pending.push_back(w.submit(leader, put(sent)).expect("accepted"));
                sent += 1;
            }
            while pending.front().is_some_and(|&id| w.has_answer(id)) {
                let id = pending.pop_front().expect("front");
                assert!(w.take_answer(id).expect("answered").is_ok());
            }
            if pending.front().is_some_and(|&id| !w.has_answer(id)) {
                let now = w.now_ms();
                w.run_next_event(now + 10_000);
            }
        }
    });
    total as f64 / secs
}

/// The same number of entries through bare raft-rs nodes (MemStorage, messages handed over directly, no
/// store, no simulated network): the floor the pipeline is compared with.
pub fn bare_raft_entries_per_s(m: &Meters, n: usize, total: usize, window: usize) -> f64 {
    use raft::prelude::*;
    use raft::storage::MemStorage;
    let logger = slog::Logger::root(slog::Discard, slog::o!());
    let ids: Vec<u64> = (1..=n as u64).collect();
    let mut nodes: Vec<RawNode<MemStorage>> = ids
        .iter()
        .map(|&id| {
            let storage = MemStorage::new_with_conf_state(ConfState::from((ids.clone(), vec![])));
            let config = Config {
                id,
                election_tick: 10,
                heartbeat_tick: 1,
                max_inflight_msgs: 256,
                max_size_per_msg: 1024 * 1024,
                ..Default::default()
            };
            RawNode::new(&config, storage, &logger).expect("raft node")
        })
        .collect();
    nodes[0].campaign().expect("campaign");
    let mut committed = 0usize;
    let drive = |nodes: &mut Vec<RawNode<MemStorage>>, committed: &mut usize| {
        let mut msgs = Vec::new();
        for (i, node) in nodes.iter_mut().enumerate() {
            if !node.has_ready() {
                continue;
            }
            let mut rd = node.ready();
            msgs.extend(rd.take_messages());
            let store = node.raft.raft_log.store.clone();
            if !rd.entries().is_empty() {
                store.wl().append(rd.entries()).expect("append");
            }
            if let Some(hs) = rd.hs() {
                store.wl().set_hardstate(hs.clone());
            }
            msgs.extend(rd.take_persisted_messages());
            let counted = |entries: &[Entry]| entries.iter().filter(|e| !e.data.is_empty()).count();
            if i == 0 {
                *committed += counted(rd.committed_entries());
            }
            let mut light = node.advance(rd);
            if let Some(c) = light.commit_index() {
                store.wl().mut_hard_state().set_commit(c);
            }
            msgs.extend(light.take_messages());
            if i == 0 {
                *committed += counted(light.committed_entries());
            }
            node.advance_apply();
        }
        for msg in msgs {
            let to = msg.to as usize - 1;
            let _ = nodes[to].step(msg);
        }
    };
    for _ in 0..20 {
        drive(&mut nodes, &mut committed);
    }
    let data = vec![b'v'; 140];
    let (secs, ()) = m.timed(|| {
        let mut proposed = 0;
        while committed < total {
            while proposed < total && proposed - committed < window {
                nodes[0].propose(vec![], data.clone()).expect("leader accepts");
                proposed += 1;
            }
            drive(&mut nodes, &mut committed);
        }
    });
    total as f64 / secs
}

/// The pipeline on 3 and 5 members, each against bare raft-rs measured just after it.
pub fn pipeline(m: &Meters) -> Report {
    let mut report = Report::default();
    for n in PIPELINE_MEMBERS {
        let ours = pipeline_puts_per_s(m, n, PIPELINE_PUTS, PIPELINE_WINDOW);
        let bare = bare_raft_entries_per_s(m, n, PIPELINE_PUTS, PIPELINE_WINDOW);
        report.lines.push(format!(
            "pipeline/{n} members: {ours:>9.0} committed puts/s; bare raft-rs {bare:>9.0} entries/s; overhead {:.2}x",
            bare / ours
        ));
        report.figures.push(Figure::rate(format!("pipeline/{n} members"), ours, "puts/s"));
        report.figures.push(Figure::rate(format!("bare raft-rs/{n} members"), bare, "entries/s"));
    }
    report
}

/// Keys in the MVCC benchmark; ranges of 1,000 keys measured; rounds of overwrites (1M revisions in all).
pub const MVCC_KEYS: usize = 100_000;
pub const MVCC_RANGES: usize = 100;
pub const MVCC_ROUNDS: usize = 9;

/// The MVCC store against a `BTreeMap` of the same keys and values: put, point get, range of 1,000 keys;
/// then 1M revisions over the keys (heap bytes per key revision) and compaction to the newest.
pub fn mvcc(m: &Meters) -> Report {
    let keys: Vec<Vec<u8>> = (0..MVCC_KEYS).map(key).collect();
    let value = vec![b'v'; 100];
    let mut store = Store::new();
    let (put_s, ()) = m.timed(|| {
        for k in &keys {
            let mut tx = store.write();
            tx.put(k, &value, 0);
            tx.end();
        }
    });
    let mut map = BTreeMap::new();
    let (map_put_s, ()) = m.timed(|| {
        for k in &keys {
            map.insert(k.clone(), value.clone());
        }
    });
    let (get_s, ()) = m.timed(|| {
        for k in &keys {
            black_box(store.range(&KeyRange::Single(k.clone()), 0, 0).expect("get"));
        }
    });
    let (map_get_s, ()) = m.timed(|| {
        for k in &keys {
            black_box(map.get(k));
        }
    });
    let span = |r: usize| (key(r * 500), key(r * 500 + 1_000));
    let (range_s, ()) = m.timed(|| {
        for r in 0..MVCC_RANGES {
            let (start, end) = span(r);
            black_box(store.range(&KeyRange::Span(start, end), 0, 0).expect("range"));
        }
    });
    let (map_range_s, ()) = m.timed(|| {
        for r in 0..MVCC_RANGES {
            let (start, end) = span(r);
            black_box(map.range(start..end).map(|(k, v)| (k.clone(), v.clone())).collect::<Vec<_>>());
        }
    });
    drop(map);
    let mut report = Report::default();
    let per_key = |s: f64| s / MVCC_KEYS as f64 * 1e9;
    let per_range = |s: f64| s / MVCC_RANGES as f64 * 1e6;
    let ops: [(&str, f64, f64, &'static str); 3] = [
        ("mvcc/put 100k keys", per_key(put_s), per_key(map_put_s), "ns/op"),
        ("mvcc/get", per_key(get_s), per_key(map_get_s), "ns/op"),
        ("mvcc/range 1k keys", per_range(range_s), per_range(map_range_s), "us/op"),
    ];
    for (name, ours, map, unit) in ops {
        report.lines.push(format!("{name}: {ours:>7.0} {unit}; BTreeMap {map:>5.0} {unit}; ratio {:.2}x", ours / map));
        report.figures.push(Figure::cost(name, ours, unit));
        report.figures.push(Figure::cost(format!("BTreeMap/{}", &name[5..]), map, unit));
    }
    // 1M revisions over the 100k keys, then compact all but the newest.
    let before = (m.heap_bytes)();
    for round in 0..MVCC_ROUNDS {
        for k in &keys {
            let mut tx = store.write();
            tx.put(k, format!("value-{round}-{}", "v".repeat(90)).as_bytes(), 0);
            tx.end();
        }
    }
    let revisions = store.version_count();
    let per_rev = ((m.heap_bytes)() - before) as f64 / (revisions - MVCC_KEYS) as f64;
    let rev = store.current_rev();
    // The whole compaction: its first step runs in the request's apply, the rest a step per member tick.
    let mut steps = 1;
    let (compact_s, ()) = m.timed(|| {
        store.compact(rev).expect("compact");
        while store.compact_step() {
            steps += 1;
        }
    });
    report.lines.push(format!(
        "mvcc/{revisions} revisions: {per_rev:.0} heap bytes per key revision (100-byte values); compaction to the newest took {:.0} ms in {steps} steps",
        compact_s * 1e3
    ));
    report.figures.push(Figure::cost("mvcc/heap per key revision", per_rev, "bytes"));
    report.figures.push(Figure::cost("mvcc/compaction of 1M revisions", compact_s * 1e3, "ms"));
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_print_as_tab_separated_lines() {
        let f = Figure::rate("pipeline/3 members", 1234.5, "puts/s");
        assert_eq!(f.to_string(), "figure\tpipeline/3 members\t1234.500\tputs/s\thigher");
        assert_eq!(Figure::cost("mvcc/get", 2.0, "ns/op").to_string(), "figure\tmvcc/get\t2.000\tns/op\tlower");
    }

    #[test]
    fn a_small_pipeline_commits_every_put_on_both_sides() {
        // A fake clock that moves one second per reading: the rate is the count over the readings' gap.
        let t = std::cell::Cell::new(0.0);
        let now = || {
            t.set(t.get() + 1.0);
            t.get()
        };
        let m = Meters { now_s: &now, heap_bytes: &|| 0 };
        assert_eq!(pipeline_puts_per_s(&m, 3, 200, 50), 200.0);
        assert_eq!(bare_raft_entries_per_s(&m, 3, 200, 50), 200.0);
    }
}
