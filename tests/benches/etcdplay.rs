//! etcdplay's benchmarks: each prints its figure and a ratio against a baseline measured in the same run
//! (these machines are shared and noisy, so ratios travel better than absolute times). Run with
//! `cargo bench -p etcdplay-tests --bench etcdplay` (add a name to run one: `-- mvcc`). Figures are
//! printed, never asserted; BENCHMARKS.md records them with the command that produced them. The pipeline
//! and MVCC workloads live in `tests/wasm-bench` (crate etcdplay-bench), which also runs them compiled to
//! wasm in headless Chromium (`node tests/browser/wasm-bench.mjs`).

use etcdplay_bench::heap::{live_bytes, peak_bytes, reset_peak, Counting};
use etcdplay_bench::{put, Meters, Report};
use etcdplay_core::mvcc::{KeyRange, Store};
use etcdplay_core::server::watch::{Poll, Watcher};
use etcdplay_core::{World, WorldConfig};
use std::time::Instant;

#[global_allocator]
static ALLOC: Counting = Counting;

/// Seconds taken by `f`, and its result.
fn timed<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let start = Instant::now();
    let out = f();
    (start.elapsed().as_secs_f64(), out)
}

/// Whether to print each figure as a tab-separated `figure` line too (`ETCDPLAY_BENCH_FIGURES=1`), for
/// tests/browser/wasm-bench.mjs, which sets the native figures beside the wasm ones.
fn print_report(report: Report) {
    for line in report.lines {
        println!("{line}");
    }
    if std::env::var_os("ETCDPLAY_BENCH_FIGURES").is_some() {
        for figure in report.figures {
            println!("{figure}");
        }
    }
}

/// The shared workloads' view of this machine: `Instant` and the counting allocator.
fn with_meters(workload: fn(&Meters) -> Report) {
    let start = Instant::now();
    let now_s = move || start.elapsed().as_secs_f64();
    print_report(workload(&Meters { now_s: &now_s, heap_bytes: &live_bytes }));
}

fn pipeline() {
    with_meters(etcdplay_bench::pipeline);
}

fn mvcc() {
    with_meters(etcdplay_bench::mvcc);
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
    reset_peak();
    let start = Instant::now();
    let mut samples = Vec::new();
    for minute in 1..=60u64 {
        for i in 0..6_000usize {
            let id = w.submit(leader, put(i % 1_000)).expect("accepted");
            w.advance(10);
            let _ = w.take_answer(id);
        }
        if minute % 10 == 0 {
            samples.push(format!("{minute} min: {:.1} MB", live_bytes() as f64 / 1e6));
        }
    }
    println!(
        "soak/1 simulated hour, 360,000 puts: heap {}; high-water {:.1} MB; took {:.1} s",
        samples.join(", "),
        peak_bytes() as f64 / 1e6,
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
