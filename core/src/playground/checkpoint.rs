//! Checkpoints: copies of the world taken every few simulated seconds, so that rewinding replays a few
//! seconds from the newest copy before the target instead of the whole run from time 0.
//!
//! Every part of the world is plain data and clones, except raft-rs's `RawNode`, copied by
//! `raftnode::fork` between Readies only; a world caught mid-Ready is not copied, and is tried again at a
//! later moment.

use super::action::TimedAction;
use super::World;

/// Simulated time between two checkpoints.
pub const INTERVAL_MS: u64 = 5_000;
/// Checkpoints kept at most: older ones are thinned so that they grow sparser with age (see
/// [`Checkpoints::thin`]).
pub const KEEP: usize = 12;
/// The fewest checkpoints kept. With two, thinning kept the oldest and the newest, and "Back 10 s" from
/// just before the next checkpoint replayed the whole run; with four it replays at most 55 simulated
/// seconds (with three, 165), however long the run (checked by a simulation of the thinning).
pub const MIN_KEEP: usize = 4;
/// A world heavier than this, by [`World::weight`], is not checkpointed while the page fast-forwards
/// ([`Checkpoints::due`]). 100k Kubernetes objects on 5 members weigh 600k: copying them takes 8-16 ms
/// natively (shared key indexes; the members' logs and the trace are still copied), about 25 ms in the
/// page, which on top of a fast-forwarding tick's 20 ms and its rendering made long tasks at 100x.
pub const HEAVY_WEIGHT: usize = 50_000;
/// The weight all checkpoints together may hold, by [`World::weight`]: a heavy world keeps fewer
/// checkpoints, never fewer than [`MIN_KEEP`]. What a checkpoint holds of its own grows with what the world wrote
/// since it was taken, up to the whole key index.
pub const TOTAL_WEIGHT: usize = 250_000;

/// A run's checkpoints, oldest first, all of the run the world now in play descends from.
#[derive(Default)]
pub struct Checkpoints {
    kept: Vec<World>,
    next_due_ms: u64,
    /// Checkpoints thinned out, freed a little at a time by [`Checkpoints::tidy`]: with 100k Kubernetes
    /// objects under traffic, dropping one at once took 25-40 ms natively (mostly the members' key
    /// histories the world had rewritten since).
    retiring: Vec<World>,
}

/// Key-index leaves (of 256 keys) [`Checkpoints::tidy`] frees per call: about 0.6 ms natively when the
/// world has rewritten every key since (25 µs a leaf); 100k objects on 5 members have 3,000 leaves, so a
/// thinned checkpoint is freed in about 6 s at 1x. With 50 the page's 100k-object frames' p95 was about
/// 4 ms above their p95 without checkpoints.
const SHED_LEAVES: usize = 25;

impl Checkpoints {
    /// Whether a checkpoint of `world` is due: the page then leaves room in its tick for the copy. Not
    /// while a thinned one is still being freed, so that at most one is, and a heavy world under writes
    /// (100k objects under controller traffic) is checkpointed only as often as its copies can be freed a
    /// little per tick. Not for a world over [`HEAVY_WEIGHT`] when `fast` (the page fast-forwarding): its
    /// ticks already use their whole budget, and the copy on top made long tasks.
    pub fn due(&self, world: &World, fast: bool) -> bool {
        world.now_ms() >= self.next_due_ms && self.retiring.is_empty() && !(fast && world.weight() > HEAVY_WEIGHT)
    }

    /// Takes a checkpoint of `world` if one is due and the world is at rest (freeing part of a thinned one
    /// first). Returns whether it did; a world mid-Ready is tried again at the caller's next moment.
    pub fn offer(&mut self, world: &World) -> bool {
        self.tidy();
        if !self.due(world, false) {
            return false;
        }
        let weight = world.weight();
        let Some(copy) = world.fork() else { return false };
        self.next_due_ms = world.now_ms() + INTERVAL_MS;
        self.kept.push(copy);
        let keep = (TOTAL_WEIGHT / weight.max(1)).clamp(MIN_KEEP, KEEP);
        while self.kept.len() > keep {
            self.thin(world.now_ms());
        }
        true
    }

    /// Drops the checkpoint whose loss costs least relative to its age: the gap it leaves, divided by
    /// how long ago it was taken. Recent checkpoints stay dense (a "Back 10 s" replays seconds), old
    /// ones grow geometrically sparse, and memory stays bounded however long the run.
    fn thin(&mut self, now_ms: u64) {
        let times: Vec<u64> = self.kept.iter().map(|w| w.now_ms()).collect();
        if let Some(i) = cheapest_to_drop(&times, now_ms) {
            self.retiring.push(self.kept.remove(i));
        }
    }

    /// Frees part of a thinned checkpoint; the page calls it every tick. A heavy world's checkpoints are
    /// freed this way over a few ticks, not in one; a light one's at the first call.
    pub fn tidy(&mut self) {
        let Some(world) = self.retiring.last_mut() else { return };
        if world.shed(SHED_LEAVES) {
            self.retiring.pop();
        }
    }

    /// The world at `target_ms` of this run, whose actions before then are `kept`, and the time of the
    /// checkpoint it started from: the newest one at or before the target, advanced with the actions after
    /// it. None when no checkpoint precedes the target (the caller replays from time 0). Later checkpoints
    /// belong to the future being left and go.
    pub fn rewind(&mut self, target_ms: u64, kept: &[TimedAction]) -> Option<(u64, World)> {
        self.kept.retain(|c| c.now_ms() <= target_ms && c.actions().len() <= kept.len());
        // The rewound world is checkpointed as soon as it rests, so that pressing Back again is quick.
        self.next_due_ms = 0;
        let base = self.kept.last()?.fork()?;
        let from_ms = base.now_ms();
        let later = &kept[base.actions().len()..];
        let mut world = base.replayed(later);
        world.advance_to(target_ms);
        Some((from_ms, world))
    }

    /// Forgets every checkpoint: the run was replaced (a new cluster, a loaded link).
    pub fn clear(&mut self) {
        *self = Checkpoints::default();
    }

    /// The simulated times of the checkpoints kept, oldest first.
    pub fn times(&self) -> Vec<u64> {
        self.kept.iter().map(|w| w.now_ms()).collect()
    }
}

/// Which of the checkpoints taken at `times` (oldest first) [`Checkpoints::thin`] drops at `now_ms`.
fn cheapest_to_drop(times: &[u64], now_ms: u64) -> Option<usize> {
    let cost = |i: usize| {
        let before = if i == 0 { 0 } else { times[i - 1] };
        (times[i + 1] - before) as f64 / (now_ms - times[i]).max(1) as f64
    };
    let newest = times.len().checked_sub(1)?;
    (0..newest).min_by(|&a, &b| cost(a).total_cmp(&cost(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With [`MIN_KEEP`] checkpoints every [`INTERVAL_MS`] for 20 simulated minutes, "Back 10 s" at any
    /// moment finds a checkpoint at most 55 s before its target (with 2 kept it found none but the first).
    #[test]
    fn the_fewest_kept_still_serve_back_ten_seconds() {
        let mut times = Vec::new();
        let mut worst = 0;
        for t in (INTERVAL_MS..1_200_000).step_by(INTERVAL_MS as usize) {
            times.push(t);
            while times.len() > MIN_KEEP {
                times.remove(cheapest_to_drop(&times, t).expect("more than one"));
            }
            // Just before the next checkpoint, the furthest from the newest.
            let target = (t + INTERVAL_MS - 1).saturating_sub(10_000);
            if t > 60_000 {
                let from = times.iter().rev().find(|&&c| c <= target).copied().unwrap_or(0);
                worst = worst.max(target - from);
            }
        }
        assert!(worst <= 55_000, "Back 10 s replays up to {worst} ms");
    }
}
