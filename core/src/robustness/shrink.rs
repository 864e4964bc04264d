//! Shrinking a failing seed: the smallest run that still fails is the one worth reading. The same seed is
//! re-run with fewer of its faults (delta debugging over their numbers in the draw order: faults draw
//! from a stream of their own, so skipping one leaves the others and the workload as they were drawn),
//! then a shorter duration, then fewer clients. Every step keeps a candidate only if it fails too, so the
//! result is a real failing run with a one-line replay.

use super::{run_seed, Config, SeedReport};

/// A failing run made smaller.
#[derive(Clone, Debug)]
pub struct Shrunk {
    pub config: Config,
    /// The smallest run's report: its `replay_command` reproduces it, its `fault_log` lists what is left.
    pub report: SeedReport,
    /// Faults the original failing run injected.
    pub original_faults: usize,
    /// Runs it took.
    pub runs: usize,
}

/// Shrinks `seed` under `cfg`, in at most `max_runs` runs; None when the seed does not fail.
pub fn shrink(seed: u64, cfg: &Config, max_runs: usize) -> Option<Shrunk> {
    let report = run_seed(seed, cfg);
    if report.violations.is_empty() {
        return None;
    }
    let original_faults = report.fault_log.len();
    let mut s = Shrinker { seed, runs: 1, max_runs, best: (cfg.clone(), report) };
    s.fewer_faults();
    s.shorter();
    s.fewer_clients();
    let (config, report) = s.best;
    Some(Shrunk { config, report, original_faults, runs: s.runs })
}

struct Shrinker {
    seed: u64,
    runs: usize,
    max_runs: usize,
    /// The smallest failing run so far.
    best: (Config, SeedReport),
}

impl Shrinker {
    /// Runs `cfg`; keeps it as the best when it fails. False when it passes or the run budget is spent.
    fn try_config(&mut self, cfg: Config) -> bool {
        if self.runs >= self.max_runs {
            return false;
        }
        self.runs += 1;
        let report = run_seed(self.seed, &cfg);
        let failed = !report.violations.is_empty();
        if failed {
            self.best = (cfg, report);
        }
        failed
    }

    fn injected(&self) -> Vec<u64> {
        self.best.1.fault_log.iter().map(|f| f.0).collect()
    }

    fn with_faults(&self, keep: &[u64]) -> Config {
        Config { faults: Some(keep.iter().copied().collect()), ..self.best.0.clone() }
    }

    /// Delta debugging (Zeller's ddmin, complements only) over the injected faults.
    fn fewer_faults(&mut self) {
        if self.try_config(self.with_faults(&[])) {
            return;
        }
        let mut parts = 2;
        loop {
            let kept = self.injected();
            if kept.len() < 2 || self.runs >= self.max_runs {
                return;
            }
            let chunk = kept.len().div_ceil(parts);
            let reduced = (0..kept.len()).step_by(chunk).any(|start| {
                let end = (start + chunk).min(kept.len());
                let rest: Vec<u64> = kept[..start].iter().chain(&kept[end..]).copied().collect();
                self.try_config(self.with_faults(&rest))
            });
            if reduced {
                parts = (parts - 1).max(2);
            } else if parts >= kept.len() {
                return;
            } else {
                parts = (parts * 2).min(kept.len());
            }
        }
    }

    /// Binary search for a shorter duration, in whole seconds, that still fails.
    fn shorter(&mut self) {
        let (mut lo, mut hi) = (1u64, self.best.0.duration_ms / 1_000);
        while lo < hi {
            let mid = (lo + hi) / 2;
            let cfg = Config { duration_ms: mid * 1_000, ..self.best.0.clone() };
            if self.try_config(cfg) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
    }

    /// The fewest clients, counting up, that still fail.
    fn fewer_clients(&mut self) {
        for clients in 1..self.best.0.clients {
            if self.try_config(Config { clients, ..self.best.0.clone() }) {
                return;
            }
        }
    }
}
