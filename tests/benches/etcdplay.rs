//! etcdplay's benchmarks: each prints its figure and a ratio against a baseline measured in the same run
//! (these machines are shared and noisy, so ratios travel better than absolute times). Run with
//! `cargo bench -p etcdplay-tests --bench etcdplay` (add a name to run one: `-- mvcc`). Figures are
//! printed, never asserted; BENCHMARKS.md records them with the command that produced them. The pipeline
//! and MVCC workloads live in `tests/wasm-bench` (crate etcdplay-bench), which also runs them compiled to
//! wasm in headless Chromium (`node tests/browser/wasm-bench.mjs`).

use etcdplay_bench::heap::{live_bytes, peak_bytes, reset_peak, Counting};
use etcdplay_bench::{put, Meters, Report};
use etcdplay_core::mvcc::view::{FolderQuery, RevisionBounds};
use etcdplay_core::mvcc::{KeyRange, Store};
use etcdplay_core::playground::checkpoint::Checkpoints;
use etcdplay_core::playground::page_view::PageLimits;
use etcdplay_core::server::watch::{Poll, Watcher};
use etcdplay_core::sim::keyspace::keyspace_member;
use etcdplay_core::{Action, NodeView, World, WorldConfig};
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

/// The page's "Back 10 s" after one simulated hour (3 members with the session history), two ways: a
/// replay from time 0 of the actions before the target (what a rewind costs without checkpoints), and from
/// the newest checkpoint before the target (what the page does). The hour runs in 100 ms frames, offering
/// a checkpoint after each as the page's clock does; each checkpoint taken (a fork of the world) is timed.
/// Two paces of typed puts: one every 10 s, and one every second.
fn rewind() {
    for every_ms in [10_000u64, 1_000] {
        let config = WorldConfig::demo(3, 1).with_history();
        let mut w = World::new(config.clone());
        let mut checkpoints = Checkpoints::default();
        let mut forks = Vec::new();
        let hour_ms = 3_600_000;
        for i in 0..hour_ms / every_ms {
            for _ in 0..every_ms / 100 {
                w.advance(100);
                let (secs, taken) = timed(|| checkpoints.offer(&w));
                if taken {
                    forks.push(secs * 1e3);
                }
            }
            w.apply(etcdplay_core::Action::Etcdctl { line: format!("put k{} v{i}", i % 100), stdin: None });
        }
        let target = w.now_ms() - 10_000;
        let kept: Vec<_> = w.actions().iter().take_while(|a| a.at_ms < target).cloned().collect();
        let (secs, again) = timed(|| {
            let mut again = World::replay(config, &kept);
            again.advance_to(target);
            again
        });
        let (from_secs, from) = timed(|| checkpoints.rewind(target, &kept).expect("a checkpoint"));
        let kept_checkpoints = checkpoints.times().len();
        let with_checkpoints = live_bytes();
        drop(checkpoints);
        let held_mb = with_checkpoints.saturating_sub(live_bytes()) as f64 / 1e6;
        assert_eq!(again.now_ms(), target);
        assert_eq!(from.1.nodes(), again.nodes(), "the checkpoint's rewind lands on the replay's world");
        forks.sort_by(f64::total_cmp);
        println!(
            "rewind: Back 10 s after 1 simulated hour ({} actions, a put every {} s, 3 members): replay from 0 \
             {secs:.3} s; from the checkpoint {:.1} s earlier {:.4} s; {} checkpoints taken (world weight {}), \
             each {:.2} ms median, {:.2} ms max; the {} kept hold {held_mb:.1} MB",
            kept.len(),
            every_ms / 1000,
            (target - from.0) as f64 / 1e3,
            from_secs,
            forks.len(),
            w.weight(),
            forks[forks.len() / 2],
            forks[forks.len() - 1],
            kept_checkpoints,
        );
    }
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

/// The page's limits on what a tick copies out (app/src/sim.rs `PAGE_LIMITS`).
const PAGE_LIMITS: PageLimits =
    PageLimits { messages: 60, log_tail: 30, leases: 50, lease_keys: 10, watchers: 50, recent_messages: 24 };

/// Per-tick times in ms, for percentiles.
#[derive(Default)]
struct TickTimes {
    writes: Vec<f64>,
    advance: Vec<f64>,
    views: Vec<f64>,
    /// What panels read off the world themselves when their inputs moved: the Keyspace panel's folder
    /// page (the leader's root folder, latest revision) and the History check's verdict.
    panels: Vec<f64>,
    total: Vec<f64>,
}

impl TickTimes {
    fn line(label: &str, xs: &[f64]) -> String {
        let mut s = xs.to_vec();
        s.sort_by(f64::total_cmp);
        let at = |p: f64| s[((p * s.len() as f64) as usize).min(s.len() - 1)];
        let sum: f64 = s.iter().sum();
        format!("{label} p50 {:.3} / p95 {:.3} / max {:.2} ms (sum {:.0} ms)", at(0.5), at(0.95), s[s.len() - 1], sum)
    }

    fn print(&self, name: &str) {
        println!("page/{name}: {} ticks; per tick:", self.total.len());
        println!("  {}", Self::line("total        ", &self.total));
        println!("  {}", Self::line("typed puts   ", &self.writes));
        println!("  {}", Self::line("advance world", &self.advance));
        println!("  {}", Self::line("build views  ", &self.views));
        println!("  {}", Self::line("panel reads  ", &self.panels));
    }
}

/// What the page does each 50 ms tick at `speed` x real time: the console's typed puts due in that real
/// time (`puts_per_s`, applied as the console does, each running until its answer), the world advanced by
/// the tick's simulated time, and the views it publishes ([`World::page_view`]).
fn page_ticks(w: &mut World, ticks: usize, speed: u64, puts_per_s: u64, next_key: &mut u64) -> TickTimes {
    let tick_ms = 50;
    let mut times = TickTimes::default();
    let mut owed_milli = 0;
    let mut seen = PanelInputs::default();
    for _ in 0..ticks {
        owed_milli += tick_ms * puts_per_s;
        let (writes, ()) = timed(|| {
            while owed_milli >= 1_000 {
                owed_milli -= 1_000;
                let line = format!("put /load/key-{} value-{next_key}", *next_key % 1_000);
                *next_key += 1;
                w.apply(Action::Etcdctl { line, stdin: None });
                let now = w.now_ms();
                w.advance_to(now);
            }
        });
        let (advance, ()) = timed(|| w.advance(tick_ms * speed));
        let (views, view) = timed(|| w.page_view(PAGE_LIMITS));
        let (panels, ()) = timed(|| panel_reads(w, &view.nodes, &mut seen));
        std::hint::black_box(view);
        let parts = [writes, advance, views, panels];
        for (xs, s) in
            [&mut times.writes, &mut times.advance, &mut times.views, &mut times.panels].into_iter().zip(parts)
        {
            xs.push(s * 1e3);
        }
        times.total.push(parts.iter().sum::<f64>() * 1e3);
    }
    times
}

/// What the page's panels last read the world at: they read it again only when these move.
#[derive(Default)]
struct PanelInputs {
    bounds: Option<RevisionBounds>,
    history_version: Option<u64>,
}

/// The reads the Keyspace and History check panels make after a tick (app/src/keyspace.rs, checker.rs).
fn panel_reads(w: &World, nodes: &[NodeView], seen: &mut PanelInputs) {
    if let Some(member) = keyspace_member(nodes, None) {
        let bounds = w.keyspace_bounds(member);
        if bounds != seen.bounds {
            seen.bounds = bounds;
            std::hint::black_box(w.keyspace_folder(member, &FolderQuery::default()));
        }
    }
    let version = w.session_history().map(|h| h.version());
    if version != seen.history_version {
        seen.history_version = version;
        std::hint::black_box(w.session_history().map(|h| h.check()));
    }
}

/// The page's per-tick work natively: 5 members under 10 typed puts a second at 1x, then with 100,000
/// Kubernetes objects loaded and the controller traffic on, at 1x and at 100x (the budgets' memory run).
fn page() {
    let mut w = World::new(WorldConfig::demo(5, 1).with_history());
    w.wait_for_leader(10_000).expect("a leader");
    let mut key = 0;
    page_ticks(&mut w, 40, 1, 10, &mut key);
    page_ticks(&mut w, 400, 1, 10, &mut key).print("5 members, 10 puts/s, 1x, 20 s");
    w.apply(Action::LoadKubernetes { objects: 100_000, large: false });
    let (load_s, ()) = timed(|| {
        while w.kubernetes_view().load.is_some_and(|l| l.finished_ms.is_none()) {
            w.advance(1_000);
        }
    });
    let keys = w.kubernetes_view().load.map_or(0, |l| l.created);
    println!("page/load: {keys} Kubernetes objects created in {load_s:.1} s");
    w.apply(Action::KubernetesTraffic { on: true });
    page_ticks(&mut w, 400, 1, 10, &mut key).print("100k objects, traffic, 10 puts/s, 1x, 20 s");
    page_ticks(&mut w, 120, 100, 10, &mut key).print("100k objects, traffic, 10 puts/s, 100x, 10 simulated minutes");
}

/// Heap bytes of a 5-member cluster holding 100,000 Kubernetes objects (`Action::LoadKubernetes`, loaded
/// through Raft as kube-apiserver's create transactions), then after one simulated minute of controller
/// traffic: what every member's store, its in-memory snapshot state and the Raft log cost together.
fn kubernetes() {
    let mut w = World::new(WorldConfig::demo(5, 1));
    w.wait_for_leader(10_000).expect("a leader");
    let before = live_bytes();
    reset_peak();
    let start = Instant::now();
    w.apply(etcdplay_core::Action::LoadKubernetes { objects: 100_000, large: false });
    while w.kubernetes_view().load.is_some_and(|l| l.finished_ms.is_none()) {
        w.advance(1_000);
    }
    let load = w.kubernetes_view().load.expect("a load ran");
    let loaded_mb = (live_bytes() - before) as f64 / 1e6;
    let load_peak_mb = (peak_bytes() - before) as f64 / 1e6;
    let load_s = start.elapsed().as_secs_f64();
    // A checkpoint of this world (what a rewind starts from): the stores' key indexes and histories are
    // shared with the copy, so it costs pointers, and memory only as the world rewrites what it shares.
    let mut forks: Vec<f64> = Vec::new();
    let held = live_bytes();
    let mut copies = Vec::new();
    while forks.len() < 3 {
        let (s, copy) = timed(|| w.fork());
        if let Some(copy) = copy {
            forks.push(s * 1e3);
            copies.push(copy);
        }
        w.advance(1_000);
    }
    let copies_mb = (live_bytes() - held) as f64 / 1e6;
    drop(copies);
    forks.sort_by(f64::total_cmp);
    println!(
        "kubernetes/checkpoint of the 100k world (weight {}): fork {:.1} / {:.1} / {:.1} ms; three copies, 1 \
         simulated second apart, hold {copies_mb:.0} MB",
        w.weight(),
        forks[0],
        forks[1],
        forks[2],
    );
    w.apply(etcdplay_core::Action::KubernetesTraffic { on: true });
    let traffic_from_ms = w.now_ms();
    // The page's checkpoints under that traffic: two simulated minutes in 100 ms steps, a checkpoint offered
    // after each step as the page's tick does, against a copy of the same world run without them.
    let steps_of = |w: &mut World, mut checkpoints: Option<&mut Checkpoints>| {
        let (mut steps, mut offers) = (Vec::new(), Vec::new());
        let end_ms = w.now_ms() + 120_000;
        while w.now_ms() < end_ms {
            steps.push(timed(|| w.advance(100)).0 * 1e3);
            if let Some(c) = checkpoints.as_deref_mut() {
                let (s, took) = timed(|| c.offer(w));
                if took {
                    offers.push(s * 1e3);
                }
            }
        }
        steps.sort_by(f64::total_cmp);
        offers.sort_by(f64::total_cmp);
        (steps, offers)
    };
    let pct = |xs: &[f64], p: usize| xs.get(xs.len() * p / 100).or(xs.last()).copied().unwrap_or(0.0);
    let mut plain = w.fork().expect("the world forks at rest");
    let (bare, _) = steps_of(&mut plain, None);
    drop(plain);
    let mut checkpoints = Checkpoints::default();
    let (steps, offers) = steps_of(&mut w, Some(&mut checkpoints));
    println!(
        "kubernetes/checkpoints under traffic, 2 simulated minutes in 100 ms steps: steps p50 {:.1} / p99 {:.1} / \
         max {:.1} ms (without checkpoints {:.1} / {:.1} / {:.1}); {} checkpoints, each {:.1} ms at p50, {:.1} at most",
        pct(&steps, 50),
        pct(&steps, 99),
        pct(&steps, 100),
        pct(&bare, 50),
        pct(&bare, 99),
        pct(&bare, 100),
        offers.len(),
        pct(&offers, 50),
        pct(&offers, 100),
    );
    drop(checkpoints);
    w.advance(60_000);
    println!(
        "kubernetes/100k objects on 5 members: {} created; heap {loaded_mb:.0} MB after the load (high-water \
         {load_peak_mb:.0} MB, {load_s:.1} s), {:.0} MB after 3 simulated minutes of traffic (high-water {:.0} MB); \
         db size {:?}",
        load.created,
        (live_bytes() - before) as f64 / 1e6,
        (peak_bytes() - before) as f64 / 1e6,
        w.kubernetes_view().db_size,
    );
    // The apiserver compacts every 5 minutes to the revision it saw 5 minutes earlier: the history kept, and
    // so the heap, should level off after the first compaction (at 10 minutes).
    for minutes in [5, 10, 15, 20, 25, 30] {
        w.advance_to(traffic_from_ms + minutes * 60_000);
        println!(
            "kubernetes/… after {minutes} simulated minutes of traffic: heap {:.0} MB (high-water {:.0} MB), \
             compacted at revision {}, {} versions kept on etcd1",
            (live_bytes() - before) as f64 / 1e6,
            (peak_bytes() - before) as f64 / 1e6,
            w.node(0).server.store.compact_rev(),
            w.node(0).server.store.version_count(),
        );
    }
}

/// The longest single moments of the world (one `run_next_event`, which the page cannot split) with 100,000
/// Kubernetes objects on 5 members under controller traffic for 11 simulated minutes: the page's long
/// tasks at 100x. Lists the moments in which members compacted their stores (the apiserver compacts every
/// 5 minutes), with how many compacted in each.
fn compaction() {
    let mut w = World::new(WorldConfig::demo(5, 1).with_history());
    w.wait_for_leader(10_000).expect("a leader");
    w.apply(Action::LoadKubernetes { objects: 100_000, large: false });
    while w.kubernetes_view().load.is_some_and(|l| l.finished_ms.is_none()) {
        w.advance(1_000);
    }
    w.apply(Action::KubernetesTraffic { on: true });
    let members = w.nodes().len();
    let compact_revs = |w: &World| (0..members).map(|i| w.node(i).server.store.compact_rev()).collect::<Vec<_>>();
    // The apiserver first compacts 10 minutes into the traffic (to what it saw 5 minutes before).
    let end_ms = w.now_ms() + 660_000;
    let mut moments: Vec<(f64, usize)> = Vec::new();
    loop {
        let before = compact_revs(&w);
        let (s, ran) = timed(|| w.run_next_event(end_ms));
        if !ran {
            break;
        }
        let compacted = before.iter().zip(compact_revs(&w)).filter(|(a, b)| **a != *b).count();
        moments.push((s * 1e3, compacted));
    }
    let versions = w.node(0).server.store.version_count();
    moments.sort_by(|a, b| b.0.total_cmp(&a.0));
    let compactions: Vec<String> =
        moments.iter().filter(|m| m.1 > 0).map(|m| format!("{:.1} ms ({})", m.0, m.1)).collect();
    println!(
        "compaction/100k objects, 11 simulated minutes of traffic: {} moments, longest {:.1} / {:.1} / {:.1} ms; \
         moments with compactions (members): {}; {versions} versions on etcd1 after",
        moments.len(),
        moments[0].0,
        moments[1].0,
        moments[2].0,
        compactions.join(", "),
    );
}

fn main() {
    let filter: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let benches: [(&str, fn()); 9] = [
        ("pipeline", pipeline),
        ("mvcc", mvcc),
        ("watch", watch_fanout),
        ("fast-forward", fast_forward),
        ("rewind", rewind),
        ("soak", soak),
        ("page", page),
        ("kubernetes", kubernetes),
        ("compaction", compaction),
    ];
    for (name, bench) in benches {
        if filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str())) {
            bench();
        }
    }
}
