//! Robustness testing in the manner of etcd's `tests/robustness`: one seed drives a random workload from
//! several concurrent clients and random faults (every one an [`crate::Action`]) against a simulated
//! cluster, then the history is checked: linearizability of the KV operations (per key, with unknown
//! outcomes for requests that timed out), etcd's watch guarantees, Raft safety as the run goes, and equal
//! MVCC hashes on every member once the faults are healed. A failing seed replays with
//! `etcdplay sim --seeds 1 --first-seed S`.

pub mod faults;
pub mod history;
pub mod safety;
pub mod shrink;
pub mod watch_check;
pub mod workload;

use crate::linearizability::{self, KvModel, KvOp, Operation, Verdict};
use crate::mvcc::KeyRange;
use crate::playground::{World, WorldConfig};
use crate::rng::SimRng;
use history::{KeyOp, Reference};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// How each seed runs.
#[derive(Clone, Debug)]
pub struct Config {
    pub members: usize,
    /// Simulated time of workload and faults, before healing.
    pub duration_ms: u64,
    pub clients: usize,
    /// Search steps per key before the linearizability check gives up (inconclusive, not a failure).
    pub budget: u64,
    /// Also wipe members and replace them (member remove, member add, start with an empty data dir). On
    /// by default since members snapshot right after a membership change (a replacement once could not
    /// install an older snapshot that did not name it: seed 142); `--no-membership` turns it off.
    pub membership: bool,
    /// The unsafe teaching mode (linearizable reads without ReadIndex): runs must fail, which proves the
    /// checker can and gives shrinking something to shrink.
    pub unsafe_reads: bool,
    /// Inject only these faults, by their number in the draw order (None: every fault): what a shrunk run
    /// keeps.
    pub faults: Option<BTreeSet<u64>>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            members: 3,
            duration_ms: 20_000,
            clients: 6,
            budget: 2_000_000,
            membership: true,
            unsafe_reads: false,
            faults: None,
        }
    }
}

/// What one seed did and found.
#[derive(Clone, Debug, Default)]
pub struct SeedReport {
    pub seed: u64,
    pub ops: BTreeMap<&'static str, u64>,
    pub faults: BTreeMap<&'static str, u64>,
    pub checks: BTreeMap<&'static str, u64>,
    pub violations: Vec<String>,
    pub answered: u64,
    pub failed: u64,
    pub timed_out: u64,
    pub sim_ms: u64,
    /// A digest of the world's trace: the same seed gives the same run.
    pub fingerprint: u64,
    /// `etcdplay` arguments that replay this seed.
    pub replay_args: String,
    /// The trace's last events, kept for a failing seed.
    pub trace_tail: Vec<String>,
    /// The faults injected: (number in the draw order, when, what).
    pub fault_log: Vec<(u64, u64, String)>,
}

impl SeedReport {
    /// The one-line command that replays this seed (with the options that differ from the defaults).
    pub fn replay_command(&self) -> String {
        format!("cargo run --release -p etcdplay -- {}", self.replay_args)
    }
}

fn check(report: &mut SeedReport, name: &'static str, n: u64) {
    *report.checks.entry(name).or_default() += n;
}

/// Runs one seed.
pub fn run_seed(seed: u64, cfg: &Config) -> SeedReport {
    let mut world = World::new(WorldConfig::demo(cfg.members, seed));
    // The workload has its own stream, so the world's draws stay those of (seed, actions).
    let mut rng = SimRng::new(seed ^ 0x5eed_0fc0_ffee);
    // Faults draw from a stream of their own, so that skipping some (shrinking) leaves the workload's alone.
    let mut fault_rng = SimRng::new(seed ^ 0xfa17_5eed);
    let mut report = SeedReport { seed, replay_args: replay_args(seed, cfg), ..Default::default() };
    world.wait_for_leader(10_000);
    if cfg.unsafe_reads {
        world.apply(crate::Action::UnsafeReads { on: true });
    }
    let mut faults = faults::Faults::new(&mut fault_rng, &mut world, cfg.membership, cfg.faults.clone());
    let mut load = workload::Workload::new(&mut rng, cfg.clients, cfg.members, world.now_ms());
    let mut safety = safety::Safety::default();
    let mut reference = Reference::default();
    let mut watches: Vec<watch_check::ClientWatch> = Vec::new();
    let mut next_watch_ms = world.now_ms() + rng.range(0, 2_000);
    let end = world.now_ms() + cfg.duration_ms;
    let settle_deadline = end + 30_000;
    let mut healed = false;
    loop {
        let now = world.now_ms();
        let sending = now < end;
        if !sending && !healed {
            faults.heal_all(&mut world);
            healed = true;
        }
        load.step(&mut rng, &mut world, sending);
        if sending {
            faults.step(&mut fault_rng, &mut world);
            if now >= next_watch_ms {
                start_watch(&mut rng, &world, &mut watches);
                next_watch_ms = now + rng.range(1_000, 4_000);
            }
        }
        safety.observe(&world);
        reference.poll(&world);
        for w in &mut watches {
            w.poll(&world);
        }
        if !sending && (now >= settle_deadline || (load.pending() == 0 && converged(&world))) {
            break;
        }
        let mut limit = load.next_ms(sending).min(settle_deadline);
        if sending {
            limit = limit.min(faults.next_ms()).min(next_watch_ms).min(end);
        }
        if !world.run_next_event(limit) {
            world.advance_to(limit.max(now + 1));
        }
    }
    // Let the converged cluster deliver what is left to the watchers.
    world.advance(500);
    reference.poll(&world);
    for w in &mut watches {
        w.poll(&world);
    }
    report.sim_ms = world.now_ms();
    report.ops = load.counts.clone();
    report.faults = faults.counts.clone();
    report.fault_log = faults.log.clone();
    report.answered = load.answered;
    report.failed = load.failed;
    report.timed_out = load.timed_out;
    report.violations.extend(safety.violations.iter().cloned());
    report.violations.extend(reference.violations.iter().cloned());
    check(&mut report, "raft-safety", safety.checks);

    check_linearizable(&mut report, &load.history, cfg.budget);
    check_serializable(&mut report, &load);
    check_durable(&mut report, &load.history, &reference);
    for (i, w) in watches.iter().enumerate() {
        check(&mut report, "watch-events", w.event_count() as u64);
        check(&mut report, "watches", 1);
        for v in w.check(&reference) {
            report.violations.push(format!("watch #{i} ({:?} from {}): {v}", w.range, w.start_rev));
        }
    }
    check_hashes(&mut report, &world);
    report.fingerprint = fingerprint(&world);
    if !report.violations.is_empty() {
        let records: Vec<_> = world
            .trace()
            .records()
            .filter(|r| {
                !matches!(
                    r.event,
                    crate::trace::Event::Applied { .. }
                        | crate::trace::Event::Answered { .. }
                        | crate::trace::Event::SnapshotSent { .. }
                )
            })
            .collect();
        let from = records.len().saturating_sub(40);
        report.trace_tail = records[from..].iter().map(|r| format!("{:>7} ms  {}", r.at_ms, r.event)).collect();
    }
    report
}

fn replay_args(seed: u64, cfg: &Config) -> String {
    let d = Config::default();
    let mut args = String::new();
    if cfg.members != d.members {
        args.push_str(&format!("--members {} ", cfg.members));
    }
    args.push_str(&format!("sim --seeds 1 --first-seed {seed}"));
    if cfg.duration_ms != d.duration_ms {
        args.push_str(&format!(" --duration-ms {}", cfg.duration_ms));
    }
    if cfg.clients != d.clients {
        args.push_str(&format!(" --clients {}", cfg.clients));
    }
    if cfg.membership != d.membership {
        args.push_str(" --no-membership");
    }
    if cfg.unsafe_reads {
        args.push_str(" --unsafe-reads");
    }
    if let Some(keep) = &cfg.faults {
        let list: Vec<String> = keep.iter().map(u64::to_string).collect();
        args.push_str(&format!(" --faults {}", if list.is_empty() { "none".to_string() } else { list.join(",") }));
    }
    args
}

/// Every member up and at the same revision and applied index.
fn converged(world: &World) -> bool {
    let n = world.members().len();
    let first = world.node(0);
    world.leader().is_some()
        && (0..n).all(|i| {
            let x = world.node(i);
            x.is_up()
                && x.server.store.current_rev() == first.server.store.current_rev()
                && x.server.applied_index == first.server.applied_index
        })
}

fn start_watch(rng: &mut SimRng, world: &World, watches: &mut Vec<watch_check::ClientWatch>) {
    let n = world.members().len();
    let up: Vec<usize> = (0..n).filter(|&i| world.node(i).is_up() && !world.node(i).paused).collect();
    if up.is_empty() {
        return;
    }
    let m = up[rng.range(0, up.len() as u64) as usize];
    let store = &world.node(m).server.store;
    // Mostly from a revision past the compaction (a compacted revision keeps only part of its changes),
    // sometimes from before it (the watch is cancelled).
    let low = if rng.chance(0.1) { (store.compact_rev() - 3).max(1) } else { store.compact_rev() + 1 };
    let start = rng.range(low as u64, store.current_rev() as u64 + 2) as i64;
    let range = match rng.range(0, 3) {
        0 => KeyRange::Single(workload::key(rng.range(0, workload::KEYS as u64) as usize)),
        1 => KeyRange::Span(b"k".to_vec(), b"l".to_vec()),
        _ => KeyRange::From(Vec::new()),
    };
    watches.push(watch_check::ClientWatch::start(world, m, range, start, rng.chance(0.5)));
}

fn check_linearizable(report: &mut SeedReport, history: &[KeyOp], budget: u64) {
    let mut per_key: BTreeMap<&[u8], Vec<Operation<KvOp>>> = BTreeMap::new();
    for op in history {
        per_key.entry(&op.key).or_default().push(op.op.clone());
    }
    for (key, ops) in per_key {
        check(report, "linearizable-ops", ops.len() as u64);
        match linearizability::check(&KvModel, &ops, budget) {
            Verdict::Linearizable => check(report, "linearizable-keys", 1),
            Verdict::Inconclusive => check(report, "inconclusive-keys", 1),
            Verdict::NotLinearizable => report.violations.push(format!(
                "history of key {} ({} operations) is not linearizable:\n{}",
                String::from_utf8_lossy(key),
                ops.len(),
                describe(&ops)
            )),
        }
    }
}

fn describe(ops: &[Operation<KvOp>]) -> String {
    let mut sorted: Vec<&Operation<KvOp>> = ops.iter().collect();
    sorted.sort_by_key(|o| o.call);
    sorted
        .iter()
        .map(|o| match o.ret {
            Some(r) => format!("    [{} .. {}] {:?}\n", o.call, r, o.op),
            None => format!("    [{} .. ?] {:?}\n", o.call, o.op),
        })
        .collect()
}

/// Serializable reads are not linearizable; they must still return a value some client wrote to that key,
/// at the revision it was written when that is known, and not from the future (a write sent after the
/// read returned).
fn check_serializable(report: &mut SeedReport, load: &workload::Workload) {
    let mut written: BTreeMap<u64, (&[u8], Option<i64>, u64)> = BTreeMap::new();
    for op in &load.history {
        match &op.op.op {
            KvOp::Put { value, rev } => {
                written.insert(*value, (&op.key, *rev, op.op.call));
            }
            KvOp::Cas { value, out, .. } => {
                let rev = match out {
                    Some(Ok(r)) => Some(*r),
                    _ => None,
                };
                written.insert(*value, (&op.key, rev, op.op.call));
            }
            _ => {}
        }
    }
    for (key, out, returned) in &load.serializable {
        check(report, "serializable-reads", 1);
        let Some((v, mr)) = out else { continue };
        match written.get(v) {
            Some((k, rev, sent)) if *k == key.as_slice() && rev.is_none_or(|r| r == *mr) && sent <= returned => {}
            other => report.violations.push(format!(
                "serializable read of {} returned value {v} at revision {mr}, written as {other:?}",
                String::from_utf8_lossy(key)
            )),
        }
    }
}

/// Every acknowledged put is in the history at the revision its answer gave, and no value was written
/// twice (every client write is unique: a second copy is a request applied twice).
fn check_durable(report: &mut SeedReport, history: &[KeyOp], reference: &Reference) {
    let upto = reference.complete_up_to();
    let mut first: BTreeMap<&[u8], i64> = BTreeMap::new();
    for (rev, changes) in &reference.revisions {
        for (kv, tomb) in changes {
            if *tomb {
                continue;
            }
            check(report, "unique-writes", 1);
            if let Some(earlier) = first.insert(&kv.value, *rev) {
                report.violations.push(format!(
                    "value {} of {} was written twice, at revisions {earlier} and {rev}",
                    String::from_utf8_lossy(&kv.value),
                    String::from_utf8_lossy(&kv.key)
                ));
            }
        }
    }
    for op in history {
        if let (KvOp::Put { value, rev: Some(rev) }, Some(_)) = (&op.op.op, op.op.ret) {
            if *rev > upto {
                continue;
            }
            check(report, "acknowledged-writes", 1);
            let found = reference.revisions.get(rev).is_some_and(|c| {
                c.iter().any(|(kv, t)| !t && kv.key == op.key && kv.value == value.to_string().into_bytes())
            });
            if !found {
                report.violations.push(format!(
                    "acknowledged put {}={value} at revision {rev} is not in the history",
                    String::from_utf8_lossy(&op.key)
                ));
            }
        }
    }
}

fn check_hashes(report: &mut SeedReport, world: &World) {
    let n = world.members().len();
    if !converged(world) {
        let revs: Vec<String> = (0..n)
            .map(|i| {
                let x = world.node(i);
                format!(
                    "{}: up {} rev {} applied {}",
                    x.name,
                    x.is_up(),
                    x.server.store.current_rev(),
                    x.server.applied_index
                )
            })
            .collect();
        report.violations.push(format!("the cluster did not converge after healing: {}", revs.join(", ")));
        return;
    }
    let rev = world.node(0).server.store.current_rev();
    let hashes: Vec<u32> = (0..n).map(|i| world.node(i).server.store.hash_kv(rev)).collect();
    check(report, "hash-kv", 1);
    if hashes.iter().any(|h| *h != hashes[0]) {
        report.violations.push(format!("hash_kv at revision {rev} differs between members: {hashes:x?}"));
    }
}

fn fingerprint(world: &World) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for r in world.trace().records() {
        for b in format!("{} {}\n", r.at_ms, r.event).bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    h ^ world.trace().total()
}

/// Totals over many seeds.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub seeds: u64,
    pub failed_seeds: Vec<u64>,
    pub ops: BTreeMap<&'static str, u64>,
    pub faults: BTreeMap<&'static str, u64>,
    pub checks: BTreeMap<&'static str, u64>,
    pub answered: u64,
    pub failed: u64,
    pub timed_out: u64,
    pub sim_ms: u64,
}

impl Summary {
    pub fn add(&mut self, r: &SeedReport) {
        self.seeds += 1;
        if !r.violations.is_empty() {
            self.failed_seeds.push(r.seed);
        }
        for (k, v) in &r.ops {
            *self.ops.entry(k).or_default() += v;
        }
        for (k, v) in &r.faults {
            *self.faults.entry(k).or_default() += v;
        }
        for (k, v) in &r.checks {
            *self.checks.entry(k).or_default() += v;
        }
        self.answered += r.answered;
        self.failed += r.failed;
        self.timed_out += r.timed_out;
        self.sim_ms += r.sim_ms;
    }
}

fn join(m: &BTreeMap<&'static str, u64>) -> String {
    m.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total: u64 = self.ops.values().sum();
        writeln!(
            f,
            "seeds: {} run, {} clean, {} failing {:?}",
            self.seeds,
            self.seeds - self.failed_seeds.len() as u64,
            self.failed_seeds.len(),
            self.failed_seeds
        )?;
        writeln!(f, "simulated time: {:.1} s", self.sim_ms as f64 / 1000.0)?;
        writeln!(
            f,
            "operations: {total} ({} answered, {} errors, {} timed out): {}",
            self.answered,
            self.failed,
            self.timed_out,
            join(&self.ops)
        )?;
        writeln!(f, "faults: {} ({})", self.faults.values().sum::<u64>(), join(&self.faults))?;
        write!(f, "checks: {}", join(&self.checks))
    }
}
