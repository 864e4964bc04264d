//! etcdplay's benchmarks: each prints its figure and a ratio against a baseline measured in the same run
//! (these machines are shared and noisy, so ratios travel better than absolute times). Run with
//! `cargo bench -p etcdplay-tests --bench etcdplay` (add a name to run one: `-- mvcc`). Figures are
//! printed, never asserted; BENCHMARKS.md records them with the command that produced them.

use etcdplay_core::mvcc::{KeyRange, Store};
use etcdplay_core::server::api::{PutRequest, Request};
use etcdplay_core::server::watch::{Poll, Watcher};
use etcdplay_core::{World, WorldConfig};
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Counts live heap bytes, so the MVCC benchmark can report bytes per key revision.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
/// The most live heap bytes seen since the last reset (the soak's high-water mark).
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Seconds taken by `f`, and its result.
fn timed<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let start = Instant::now();
    let out = f();
    (start.elapsed().as_secs_f64(), out)
}

fn key(i: usize) -> Vec<u8> {
    format!("/registry/pods/default/pod-{i:06}").into_bytes()
}

fn put(i: usize) -> Request {
    Request::Put(PutRequest { key: key(i % 10_000), value: vec![b'v'; 100], ..Default::default() })
}

/// Committed puts per second through raft-rs, the MVCC store and the apply loop of an `n`-member
/// simulated cluster, with `window` requests in flight (etcd batches whatever is pending into one Ready).
fn pipeline_puts_per_s(n: usize, total: usize, window: usize) -> f64 {
    let mut w = World::new(WorldConfig::demo(n, 1));
    let leader = w.wait_for_leader(10_000).expect("a leader");
    let (secs, ()) = timed(|| {
        let mut pending = std::collections::VecDeque::new();
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
fn bare_raft_entries_per_s(n: usize, total: usize, window: usize) -> f64 {
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
        for m in msgs {
            let to = m.to as usize - 1;
            let _ = nodes[to].step(m);
        }
    };
    for _ in 0..20 {
        drive(&mut nodes, &mut committed);
    }
    let data = vec![b'v'; 140];
    let (secs, ()) = timed(|| {
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

fn pipeline() {
    for n in [3, 5] {
        let total = 20_000;
        let ours = pipeline_puts_per_s(n, total, 1_000);
        let bare = bare_raft_entries_per_s(n, total, 1_000);
        println!(
            "pipeline/{n} members: {ours:>9.0} committed puts/s; bare raft-rs {bare:>9.0} entries/s; overhead {:.2}x",
            bare / ours
        );
    }
}

fn mvcc() {
    const KEYS: usize = 100_000;
    let keys: Vec<Vec<u8>> = (0..KEYS).map(key).collect();
    let value = vec![b'v'; 100];
    let mut store = Store::new();
    let (put_s, ()) = timed(|| {
        for k in &keys {
            let mut tx = store.write();
            tx.put(k, &value, 0);
            tx.end();
        }
    });
    let mut map = BTreeMap::new();
    let (map_put_s, ()) = timed(|| {
        for k in &keys {
            map.insert(k.clone(), value.clone());
        }
    });
    let (get_s, ()) = timed(|| {
        for k in &keys {
            black_box(store.range(&KeyRange::Single(k.clone()), 0, 0).expect("get"));
        }
    });
    let (map_get_s, ()) = timed(|| {
        for k in &keys {
            black_box(map.get(k));
        }
    });
    let ranges = 100;
    let (range_s, ()) = timed(|| {
        for r in 0..ranges {
            let (start, end) = (key(r * 500), key(r * 500 + 1_000));
            black_box(store.range(&KeyRange::Span(start, end), 0, 0).expect("range"));
        }
    });
    let (map_range_s, ()) = timed(|| {
        for r in 0..ranges {
            let (start, end) = (key(r * 500), key(r * 500 + 1_000));
            black_box(map.range(start..end).map(|(k, v)| (k.clone(), v.clone())).collect::<Vec<_>>());
        }
    });
    println!(
        "mvcc/put 100k keys: {:>7.0} ns/op; BTreeMap {:>5.0} ns/op; ratio {:.2}x",
        put_s / KEYS as f64 * 1e9,
        map_put_s / KEYS as f64 * 1e9,
        put_s / map_put_s
    );
    println!(
        "mvcc/get: {:>7.0} ns/op; BTreeMap {:>5.0} ns/op; ratio {:.2}x",
        get_s / KEYS as f64 * 1e9,
        map_get_s / KEYS as f64 * 1e9,
        get_s / map_get_s
    );
    println!(
        "mvcc/range 1k keys: {:>7.0} us/op; BTreeMap {:>5.0} us/op; ratio {:.2}x",
        range_s / ranges as f64 * 1e6,
        map_range_s / ranges as f64 * 1e6,
        range_s / map_range_s
    );
    drop(map);
    // 1M revisions over the 100k keys, then compact all but the newest.
    let before = LIVE.load(Ordering::Relaxed);
    for round in 0..9 {
        for k in &keys {
            let mut tx = store.write();
            tx.put(k, format!("value-{round}-{}", "v".repeat(90)).as_bytes(), 0);
            tx.end();
        }
    }
    let revisions = store.version_count();
    let heap = LIVE.load(Ordering::Relaxed);
    let per_rev = (heap - before) as f64 / (revisions - KEYS) as f64;
    let rev = store.current_rev();
    let (compact_s, ()) = timed(|| store.compact(rev).expect("compact"));
    println!(
        "mvcc/{revisions} revisions: {per_rev:.0} heap bytes per key revision (100-byte values); compaction to the newest took {:.0} ms",
        compact_s * 1e3
    );
}

fn watch_fanout() {
    let mut store = Store::new();
    let prefix = KeyRange::Span(b"/registry/pods/".to_vec(), b"/registry/pods0".to_vec());
    let mut watchers: Vec<Watcher> = (0..10_000).map(|id| Watcher::new(id, prefix.clone(), 0, false, &store)).collect();
    let mut tx = store.write();
    tx.put(b"/registry/pods/default/web-0", b"Running", 0);
    tx.end();
    let (secs, delivered) = timed(|| {
        let mut delivered = 0;
        for w in &mut watchers {
            if let Poll::Events { events, .. } = w.poll(&store) {
                delivered += events.len();
            }
        }
        delivered
    });
    println!("watch/fan-out: one put notified {delivered} watchers on a prefix in {:.2} ms", secs * 1e3);
}

fn fast_forward() {
    let mut w = World::new(WorldConfig::demo(5, 1));
    let hour_ms = 3_600_000;
    let (secs, ()) = timed(|| w.advance(hour_ms));
    println!(
        "fast-forward: an idle 5-member cluster, 1 simulated hour in {secs:.2} s: {:.0}x real time",
        hour_ms as f64 / 1e3 / secs
    );
}

/// One simulated hour of steady writes (100 puts/s over 1,000 keys) on a 3-member cluster with
/// auto-compaction in revision mode and the default snapshot count: heap every 10 simulated minutes and
/// the high-water mark, to show MVCC compaction and Raft log compaction keep memory bounded.
fn soak() {
    let mut w = World::new(WorldConfig::demo(3, 1));
    w.apply(etcdplay_core::Action::AutoCompaction {
        mode: Some(etcdplay_core::server::compactor::Mode::Revision { retention: 10_000 }),
    });
    let leader = w.wait_for_leader(10_000).expect("a leader");
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
    let start = Instant::now();
    let mut samples = Vec::new();
    for minute in 1..=60u64 {
        for i in 0..6_000usize {
            let id = w.submit(leader, put(i % 1_000)).expect("accepted");
            w.advance(10);
            let _ = w.take_answer(id);
        }
        if minute % 10 == 0 {
            samples.push(format!("{minute} min: {:.1} MB", LIVE.load(Ordering::Relaxed) as f64 / 1e6));
        }
    }
    println!(
        "soak/1 simulated hour, 360,000 puts: heap {}; high-water {:.1} MB; took {:.1} s",
        samples.join(", "),
        PEAK.load(Ordering::Relaxed) as f64 / 1e6,
        start.elapsed().as_secs_f64()
    );
}

fn main() {
    let filter: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let benches: [(&str, fn()); 5] = [
        ("pipeline", pipeline),
        ("mvcc", mvcc),
        ("watch", watch_fanout),
        ("fast-forward", fast_forward),
        ("soak", soak),
    ];
    for (name, bench) in benches {
        if filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str())) {
            bench();
        }
    }
}
