//! How fast the simulated clock really runs. A tick simulates for a bounded slice of real time (so a heavy
//! world never freezes the page), so at high speeds with a large keyspace the clock may run slower than
//! the speed the visitor picked; the Time bar says so rather than let 100x silently mean 7x.

use std::collections::VecDeque;

/// Real time the achieved speed is averaged over, in milliseconds.
const WINDOW_MS: f64 = 2_000.0;

/// Below this share of the chosen speed, the Time bar says the page cannot keep up.
const KEEPING_UP: f64 = 0.9;

/// Simulated milliseconds advanced per tick over the last [`WINDOW_MS`] of real time.
#[derive(Debug, Default)]
pub struct Pace {
    ticks: VecDeque<(f64, u64)>,
}

impl Pace {
    /// Records that a tick at real time `real_ms` advanced the world by `sim_ms`.
    pub fn record(&mut self, real_ms: f64, sim_ms: u64) {
        self.ticks.push_back((real_ms, sim_ms));
        while self.ticks.front().is_some_and(|&(at, _)| at < real_ms - WINDOW_MS) {
            self.ticks.pop_front();
        }
    }

    /// Forgets what was recorded: after a pause or a change of speed the old pace says nothing.
    pub fn reset(&mut self) {
        self.ticks.clear();
    }

    /// Simulated per real millisecond, once the window is (almost) full: the first tick's advance counts
    /// for the time before it, so it is left out.
    pub fn achieved(&self) -> Option<f64> {
        let (&(first, _), &(last, _)) = (self.ticks.front()?, self.ticks.back()?);
        let span = last - first;
        if span < WINDOW_MS * 0.75 {
            return None;
        }
        let simulated: u64 = self.ticks.iter().skip(1).map(|&(_, ms)| ms).sum();
        Some(simulated as f64 / span)
    }
}

/// What the Time bar says about the pace: nothing while the clock keeps up with `chosen`.
pub fn pace_note(chosen: f64, achieved: Option<f64>) -> String {
    match achieved {
        Some(x) if x < chosen * KEEPING_UP => {
            format!("Running at {}: the page cannot simulate this cluster at {} in real time.", speed(x), speed(chosen))
        }
        _ => String::new(),
    }
}

/// A speed as the speed menu writes it (`100x`, `0.5x`), to two significant digits below 10.
fn speed(x: f64) -> String {
    if x >= 10.0 {
        format!("{x:.0}x")
    } else {
        let s = format!("{x:.1}");
        format!("{}x", s.trim_end_matches(".0"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticks(pace: &mut Pace, from_ms: f64, count: usize, sim_per_tick: u64) {
        for i in 0..count {
            pace.record(from_ms + 50.0 * i as f64, sim_per_tick);
        }
    }

    #[test]
    fn a_clock_that_keeps_up_says_nothing() {
        let mut pace = Pace::default();
        ticks(&mut pace, 0.0, 20, 5_000);
        assert_eq!(pace.achieved(), None, "under 1.5 s of ticks is too little to judge");
        ticks(&mut pace, 1_000.0, 60, 5_000);
        assert_eq!(pace.achieved(), Some(100.0));
        assert_eq!(pace_note(100.0, pace.achieved()), "");
    }

    #[test]
    fn a_clock_that_falls_behind_says_how_fast_it_runs() {
        let mut pace = Pace::default();
        // 100x asked, but each 50 ms tick only managed 360 simulated ms: 7.2x.
        ticks(&mut pace, 0.0, 80, 360);
        assert_eq!(pace.achieved(), Some(7.2));
        assert_eq!(
            pace_note(100.0, pace.achieved()),
            "Running at 7.2x: the page cannot simulate this cluster at 100x in real time."
        );
        assert_eq!(
            pace_note(10.0, Some(2.0)),
            "Running at 2x: the page cannot simulate this cluster at 10x in real time."
        );
        pace.reset();
        assert_eq!(pace.achieved(), None);
    }
}
