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
/// The heaviest world checkpointed, by [`World::weight`]. Copying is cheap now (a copy shares its stores'
/// key-index leaves and history chunks: 10 ms natively for 100k Kubernetes objects, was 200 ms), but a
/// heavy world under writes then pays for the sharing: with 100k objects under controller traffic and a
/// checkpoint every 5 s, the writes that copy shared leaves made 100 ms of simulated time take 41 ms at
/// p99 instead of 2, and evicting an old checkpoint freed a whole index at once (130-200 ms natively).
/// So a heavier world is not checkpointed, and its rewinds replay from time 0 (BENCHMARKS.md, 2026-12-07).
pub const MAX_WEIGHT: usize = 50_000;
/// The weight all checkpoints together may hold, by [`World::weight`]: a heavy world keeps fewer
/// checkpoints, never fewer than two. What a checkpoint holds of its own grows with what the world wrote
/// since it was taken, up to the whole key index.
pub const TOTAL_WEIGHT: usize = 250_000;

/// A run's checkpoints, oldest first, all of the run the world now in play descends from.
#[derive(Default)]
pub struct Checkpoints {
    kept: Vec<World>,
    next_due_ms: u64,
}

impl Checkpoints {
    /// Whether a checkpoint of `world` is due (and the world light enough for one): the page then leaves
    /// room in its tick for the copy.
    pub fn due(&self, world: &World) -> bool {
        world.now_ms() >= self.next_due_ms && world.weight() <= MAX_WEIGHT
    }

    /// Takes a checkpoint of `world` if one is due and the world is at rest. Returns whether it did; a
    /// world mid-Ready is tried again at the caller's next moment.
    pub fn offer(&mut self, world: &World) -> bool {
        if !self.due(world) {
            return false;
        }
        let weight = world.weight();
        let Some(copy) = world.fork() else { return false };
        self.next_due_ms = world.now_ms() + INTERVAL_MS;
        self.kept.push(copy);
        let keep = (TOTAL_WEIGHT / weight.max(1)).clamp(2, KEEP);
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
        let cost = |i: usize| {
            let before = if i == 0 { 0 } else { times[i - 1] };
            (times[i + 1] - before) as f64 / (now_ms - times[i]).max(1) as f64
        };
        let newest = times.len() - 1;
        if let Some(i) = (0..newest).min_by(|&a, &b| cost(a).total_cmp(&cost(b))) {
            self.kept.remove(i);
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
