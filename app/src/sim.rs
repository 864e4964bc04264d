//! The page's handle on the simulated world. The world itself is plain Rust from `etcdplay-core`; this
//! module only owns it, drives its clock from real time and publishes what it looks like, so that
//! components never reach into consensus or storage state themselves.

use etcdplay_core::{Action, NodeView, Outcome, World, WorldConfig};
use gloo_timers::callback::Interval;
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

/// How often the page advances the world and redraws, in real milliseconds: 20 frames a second is smooth
/// enough for elections and heartbeats and leaves the main thread idle most of the time.
pub const TICK_INTERVAL_MS: u32 = 50;

/// The most simulated time one tick may cover. Browsers throttle timers in background tabs; without a cap
/// a tab brought back after minutes would stall while it simulates all of them at once.
pub const MAX_STEP_MS: u64 = 1_000;

/// What the components render: plain data copied out of the world after every step, so that a render never
/// borrows the world (which an event handler may be mutating).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub now_ms: u64,
    pub nodes: Vec<NodeView>,
}

/// Shared, `Copy` access to the world for every component.
///
/// The world lives in an `Rc<RefCell<World>>` (it is single-threaded and not `Send`); Leptos's reactive
/// closures must be `Send`, so the `Rc` sits in thread-local arena storage behind a `Copy` handle.
#[derive(Clone, Copy)]
pub struct Sim {
    world: StoredValue<Rc<RefCell<World>>, LocalStorage>,
    /// The latest snapshot; components derive their own memos from it.
    pub snapshot: ReadSignal<Snapshot>,
    set_snapshot: WriteSignal<Snapshot>,
    /// The seed the world was built from, shown so that a run can be reproduced.
    pub seed: u64,
}

impl Sim {
    /// Boots a fresh demo cluster of `members` nodes.
    pub fn new(members: usize, seed: u64) -> Sim {
        let world = Rc::new(RefCell::new(World::new(WorldConfig::demo(members, seed))));
        let (snapshot, set_snapshot) = signal(snapshot_of(&world.borrow()));
        Sim { world: StoredValue::new_local(world), snapshot, set_snapshot, seed }
    }

    /// Applies one user action and publishes the resulting state at once, so a click shows immediately.
    pub fn apply(&self, action: Action) -> Outcome {
        let world = self.world.get_value();
        let outcome = world.borrow_mut().apply(action);
        self.set_snapshot.set(snapshot_of(&world.borrow()));
        outcome
    }

    /// Starts the 1x clock: every tick advances the world by the real time elapsed since the previous
    /// tick (capped at [`MAX_STEP_MS`]) and publishes a snapshot. The page stays responsive because each
    /// step is short; the simulation itself never waits on anything.
    pub fn start_clock(&self) {
        let world = self.world.get_value();
        let set_snapshot = self.set_snapshot;
        let mut last_ms = now_real_ms();
        // Fractions of a millisecond carried over, so the simulated clock does not drift behind real time.
        let mut carry_ms = 0.0_f64;
        let interval = Interval::new(TICK_INTERVAL_MS, move || {
            let now = now_real_ms();
            let elapsed = (now - last_ms).max(0.0) + carry_ms;
            last_ms = now;
            let step_ms = elapsed.floor();
            carry_ms = elapsed - step_ms;
            let step_ms = (step_ms as u64).min(MAX_STEP_MS);
            if step_ms == 0 {
                return;
            }
            let Ok(mut w) = world.try_borrow_mut() else {
                // An event handler holds the world; its own snapshot covers this tick.
                return;
            };
            w.advance(step_ms);
            set_snapshot.set(snapshot_of(&w));
        });
        // The clock runs for the life of the page, which is the life of the app: nothing ever stops it.
        interval.forget();
    }
}

fn snapshot_of(world: &World) -> Snapshot {
    Snapshot { now_ms: world.now_ms(), nodes: world.nodes() }
}

/// Real time in milliseconds from the page's monotonic clock (`performance.now()`), which, unlike the
/// wall clock, never jumps backwards.
fn now_real_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0)
}
