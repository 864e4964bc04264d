//! The page's handle on the simulated world. The world itself is plain Rust from `etcdplay-core`; this
//! module only owns it, drives its clock from real time and publishes what it looks like, so that
//! components never reach into consensus or storage state themselves.

use crate::clock::format_sim_time;
use crate::events::EventFeed;
use crate::leases::{MAX_LEASES, MAX_LEASE_KEYS};
use crate::link::RunLink;
use crate::live::{self, LiveState};
use crate::metrics::MetricsHistory;
use crate::network::{cut_after, CutLinks};
use crate::pace::{pace_note, Pace};
use crate::raft::MAX_SHOWN_MESSAGES;
use crate::watches::MAX_WATCHERS;
use etcdplay_core::playground::checkpoint::Checkpoints;
use etcdplay_core::playground::live::Feed;
use etcdplay_core::playground::page_view::PageLimits;
use etcdplay_core::{Action, Outcome, TimedAction, World, WorldConfig};
use gloo_timers::callback::Interval;
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

/// How often the page advances the world and redraws, in real milliseconds: 20 frames a second is smooth
/// enough for elections and heartbeats and leaves the main thread idle most of the time.
pub const TICK_INTERVAL_MS: u32 = 50;

/// How often a panel off screen follows the world, in real milliseconds ([`Sim::gated`]).
pub const OFFSCREEN_REFRESH_MS: u32 = 1_000;

/// The most real time one tick accounts for. Browsers throttle timers in background tabs; without a cap
/// a tab brought back after minutes would stall while it simulates all of them at once.
pub const MAX_REAL_STEP_MS: f64 = 1_000.0;

/// The most simulated time one tick may cover: one 50 ms frame at 100x. Five simulated seconds of a
/// seven-member cluster take about a millisecond (600 s take 90 ms in a debug build), so a frame stays short.
pub const MAX_STEP_MS: u64 = 5_000;

/// The most real time one tick spends advancing the world. What a tick cannot simulate within it is owed
/// to the next ticks (up to [`MAX_STEP_MS`]; beyond that the clock runs slower than the chosen speed), so a
/// heavy moment (100k keys under controller traffic) is spread over several frames instead of blocking the
/// page: the rest of the 50 ms interval is left to rendering and the visitor's input.
pub const TICK_BUDGET_MS: f64 = 8.0;

/// The budget when fast-forwarding (from [`FAST_SPEED`] up): the visitor asked for throughput, so a tick
/// may take longer, though never so long that it blocks input for a long task (50 ms) with its render: with
/// 100k objects under controller traffic at 100x, 30 ms made nearly every tick a 50-78 ms task (rendering
/// takes 15-25 ms more); 20 ms leaves none in 30 s (BENCHMARKS.md, 2026-12-07).
pub const FAST_TICK_BUDGET_MS: f64 = 20.0;
pub const FAST_SPEED: f64 = 10.0;

/// Simulated time advanced between two looks at the tick's budget. Advancing in chunks runs the same world
/// as one advance (the world's invariant), only interruptible.
const CHUNK_MS: u64 = 10;

/// What a Step does when nothing at all is scheduled (every member down, no running command): the clock
/// still moves, by one heartbeat interval.
const IDLE_STEP_MS: u64 = 100;

/// What the components render: plain data the core copies out of the world after every step (see
/// [`PageView`](etcdplay_core::playground::page_view::PageView)), so that a render never borrows the world.
pub use etcdplay_core::playground::page_view::PageView as Snapshot;
pub use etcdplay_core::playground::page_view::{DataDirView, RunningStream};

/// How many of a member's newest log entries the Raft panel shows.
pub const LOG_TAIL: usize = 30;

/// What a running command printed since it was last read; `finished` means it ended by itself and
/// `outcome.exit_code` is its exit status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamChunk {
    pub line: String,
    pub outcome: Outcome,
    pub finished: bool,
}

/// Shared, `Copy` access to the world for every component.
///
/// The world lives in an `Rc<RefCell<World>>` (it is single-threaded and not `Send`); Leptos's reactive
/// closures must be `Send`, so the `Rc` sits in thread-local arena storage behind a `Copy` handle.
#[derive(Clone, Copy)]
pub struct Sim {
    world: StoredValue<Rc<RefCell<World>>, LocalStorage>,
    /// The latest snapshot; components derive their own memos from it. In a panel off screen it is the
    /// panel's own, refreshed at most once a second ([`Sim::gated`]). Shared, so that a panel's copy of
    /// it costs a reference, not the view.
    pub snapshot: ReadSignal<Arc<Snapshot>>,
    /// The latest snapshot, whoever reads it: what [`Sim::publish`] replaces and gated copies follow.
    published: ReadSignal<Arc<Snapshot>>,
    set_snapshot: WriteSignal<Arc<Snapshot>>,
    /// Output of running commands that the console has not shown yet; the console drains it.
    pub stream_output: RwSignal<Vec<StreamChunk>>,
    /// The newest trace events, formatted for the feed.
    pub events: RwSignal<EventFeed>,
    /// Each member's metrics, sampled once a simulated second, for the Metrics panel's charts.
    pub metrics: RwSignal<MetricsHistory>,
    /// Members in the cluster; changing it (see [`Sim::rebuild`]) boots a new world.
    pub members: ReadSignal<usize>,
    set_members: WriteSignal<usize>,
    /// Bumped every time the world is rebuilt, so that views holding on to the old one can start over.
    pub epoch: ReadSignal<u64>,
    set_epoch: WriteSignal<u64>,
    /// The seed the world was built from, shown so that a run can be reproduced.
    pub seed: u64,
    /// Links the page has cut (by member names). The core only knows cut links, not the partition that cut
    /// them; this is what the page applied, so that it can draw the split and extend or replace it.
    pub cut: RwSignal<CutLinks>,
    /// Whether the clock runs; paused, the world only moves on a Step or an action.
    pub playing: RwSignal<bool>,
    /// Simulated milliseconds per real millisecond.
    pub speed: RwSignal<f64>,
    /// How the current world came to be (a new cluster, a replayed link, a rewind), for the console.
    pub origin: RwSignal<String>,
    /// What the Time bar says when the clock runs slower than the chosen speed (empty while it keeps up).
    pub pace_note: RwSignal<String>,
    /// Set on the live page (opened on `etcdplay serve`): the world follows the served one ([`live`]).
    pub live: Option<StoredValue<Rc<RefCell<LiveState>>, LocalStorage>>,
    /// What the live page last heard from the server (empty while all is well).
    pub live_note: RwSignal<String>,
    /// Copies of the world every few simulated seconds, so that a rewind replays seconds, not the run.
    checkpoints: StoredValue<Rc<RefCell<Checkpoints>>, LocalStorage>,
}

impl Sim {
    /// Boots a fresh demo cluster of `members` nodes.
    pub fn new(members: usize, seed: u64) -> Sim {
        Sim::with_world(members, seed, World::new(WorldConfig::demo(members, seed).with_history()), true)
    }

    /// Replays a linked run to the moment the link was made, paused there so the visitor sees that state.
    pub fn from_link(run: &RunLink) -> Sim {
        let world = replay_until(run.members, run.seed, &run.actions, run.at_ms);
        let sim = Sim::with_world(run.members, run.seed, world, false);
        sim.cut.set(cut_after(&run.actions));
        sim
    }

    /// The live page: a world built as the served one was, following the server's feed from its first
    /// answer on (the clock then replays it; [`Sim::follow`] polls for more).
    pub fn live(feed: Feed) -> Sim {
        let config = feed.config.clone().with_history();
        let (members, seed, speed) = (config.members.len(), config.seed, feed.speed);
        let mut sim = Sim::with_world(members, seed, World::new(config), true);
        sim.speed.set(speed);
        sim.origin.set(format!(
            "Following the cluster `etcdplay serve` runs ({members} members, seed {seed}, {speed}x): what real \
             clients do shows here, and what you do here happens there."
        ));
        sim.live = Some(StoredValue::new_local(Rc::new(RefCell::new(LiveState::new(feed)))));
        sim
    }

    fn with_world(members: usize, seed: u64, world: World, playing: bool) -> Sim {
        let origin = RwSignal::new(new_cluster_note(members, seed));
        let world = Rc::new(RefCell::new(world));
        let (snapshot, set_snapshot) = signal(Arc::new(Snapshot::default()));
        let (members, set_members) = signal(members);
        let (epoch, set_epoch) = signal(0);
        let sim = Sim {
            world: StoredValue::new_local(world),
            snapshot,
            published: snapshot,
            set_snapshot,
            stream_output: RwSignal::new(Vec::new()),
            events: RwSignal::new(EventFeed::default()),
            metrics: RwSignal::new(MetricsHistory::default()),
            members,
            set_members,
            epoch,
            set_epoch,
            seed,
            cut: RwSignal::new(CutLinks::new()),
            playing: RwSignal::new(playing),
            speed: RwSignal::new(1.0),
            origin,
            pace_note: RwSignal::new(String::new()),
            live: None,
            live_note: RwSignal::new(String::new()),
            checkpoints: StoredValue::new_local(Rc::new(RefCell::new(Checkpoints::default()))),
        };
        let read = sim.read_out(&mut sim.world.get_value().borrow_mut());
        sim.publish(read);
        sim
    }

    /// Applies one user action and publishes the resulting state at once, so a click shows immediately.
    /// What running commands printed meanwhile (a watch seeing a put) is published too.
    pub fn apply(&self, action: Action) -> Outcome {
        let world = self.world.get_value();
        let (outcome, read) = {
            let mut world = world.borrow_mut();
            let outcome = apply_now(&mut world, action);
            (outcome, self.read_out(&mut world))
        };
        self.publish(read);
        outcome
    }

    /// Applies a visitor's action and hands its outcome to `then`: at once on the page's own cluster; on
    /// the live page, once the server took it and the page's replay reached it.
    pub fn act(&self, action: Action, then: impl FnOnce(Outcome) + 'static) {
        let Some(live) = self.live else {
            then(self.apply(action));
            return;
        };
        let state = live.get_value();
        let mut st = state.borrow_mut();
        st.outbox.push_back((action, Box::new(then)));
        if st.posting {
            return;
        }
        st.posting = true;
        let note = self.live_note;
        wasm_bindgen_futures::spawn_local(async move {
            loop {
                let Some((action, then)) = live.get_value().borrow_mut().outbox.pop_front() else { break };
                match live::post_action(&action).await {
                    Ok(reply) => {
                        let ready = live.get_value().borrow_mut().await_outcome(reply.index, then);
                        if let Some((then, outcome)) = ready {
                            then(outcome);
                        }
                    }
                    Err(e) => {
                        note.set(format!("The served cluster did not take that: {e}"));
                        then(Outcome::error(format!("the served cluster did not take it: {e}"), 1));
                    }
                }
            }
            live.get_value().borrow_mut().posting = false;
        });
    }

    /// Polls the server's feed for as long as the page lives (the live page only): a full answer (a
    /// long run catching up) asks again at once, otherwise every [`live::POLL_MS`].
    pub fn follow(&self) {
        let Some(live) = self.live else { return };
        let note = self.live_note;
        wasm_bindgen_futures::spawn_local(async move {
            loop {
                let from = live.get_value().borrow().follower.received();
                let full = match live::fetch_feed(from).await {
                    Ok(feed) => {
                        let full = feed.actions.len() == etcdplay_core::playground::live::FEED_PAGE;
                        let lost = feed.lost;
                        live.get_value().borrow_mut().follower.receive(feed);
                        set_if_changed(
                            note,
                            if lost {
                                "The server no longer keeps the start of this run: reload the page to follow it again."
                                    .into()
                            } else {
                                String::new()
                            },
                        );
                        full
                    }
                    Err(e) => {
                        set_if_changed(note, format!("Lost the served cluster ({e}); retrying."));
                        false
                    }
                };
                if !full {
                    gloo_timers::future::TimeoutFuture::new(live::POLL_MS).await;
                }
            }
        });
    }

    /// One tick of the live page: the world runs toward the time the server reached, at the served
    /// speed, faster while it trails by more than [`live::TRAIL_MS`]; the replayed visitors' actions
    /// settle what waits on them.
    fn follow_tick(&self, world: &mut World, real_ms: f64, now: f64) -> Followed {
        let Some(live) = self.live else { return (Vec::new(), None) };
        let state = live.get_value();
        let mut state = state.borrow_mut();
        let speed = self.speed.get_untracked();
        let behind = state.follower.behind_ms(world);
        let keep_pace = (real_ms * speed) as u64;
        let catch_up = behind.saturating_sub((live::TRAIL_MS * speed) as u64);
        let target = world.now_ms() + keep_pace.max(catch_up).min(behind);
        let deadline = now + FAST_TICK_BUDGET_MS;
        let mut applied = Vec::new();
        loop {
            let next = (world.now_ms() + CHUNK_MS).min(target);
            applied.extend(state.follower.run_to(world, next));
            if world.now_ms() >= target || now_real_ms() >= deadline {
                break;
            }
        }
        // The page's world keeps no action log of its own: it never rewinds or shares a live run.
        drop(world.take_actions());
        let (due, cuts) = state.settle(applied);
        (due, cuts.then(|| cut_after(&state.faults)))
    }

    /// Runs `drive` on the world (a lesson entering a step: core applies and records its actions, and may
    /// let simulated time pass), then publishes the result, with the links its partitions cut.
    pub fn drive<T>(&self, drive: impl FnOnce(&mut World) -> T) -> T {
        let world = self.world.get_value();
        let (result, read, cut) = {
            let mut world = world.borrow_mut();
            let result = drive(&mut world);
            (result, self.read_out(&mut world), cut_after(world.actions()))
        };
        self.cut.set(cut);
        self.publish(read);
        result
    }

    /// Replaces the world with a fresh cluster of `members` nodes from the same seed.
    pub fn rebuild(&self, members: usize) {
        if self.live.is_some() {
            return; // the served world's time is the server's
        }
        self.origin.set(new_cluster_note(members, self.seed));
        self.checkpoints.get_value().borrow_mut().clear();
        self.install(members, World::new(WorldConfig::demo(members, self.seed).with_history()), CutLinks::new());
    }

    /// Runs exactly the next simulated moment (every event due at it), however far ahead it is.
    pub fn step(&self) {
        if self.live.is_some() {
            return; // the served world's time is the server's
        }
        let world = self.world.get_value();
        let read = {
            let mut world = world.borrow_mut();
            step_world(&mut world);
            self.read_out(&mut world)
        };
        self.publish(read);
    }

    /// Rebuilds the world as it was `back_ms` ago: the same seed and the actions applied before then. The
    /// later actions are dropped, so acting now forks the run. The clock pauses there.
    pub fn rewind(&self, back_ms: u64) {
        if self.live.is_some() {
            return; // the served world's time is the server's
        }
        let (target, actions) = {
            let world = self.world.get_value();
            let world = world.borrow();
            let target = world.now_ms().saturating_sub(back_ms);
            let kept: Vec<_> = world.actions().iter().take_while(|a| a.at_ms < target).cloned().collect();
            (target, kept)
        };
        let members = self.members.get_untracked();
        self.playing.set(false);
        let from_checkpoint = self.checkpoints.get_value().borrow_mut().rewind(target, &actions);
        let (from, world) = match from_checkpoint {
            Some((at, world)) => (format!("replayed from the checkpoint at {}", format_sim_time(at)), world),
            None => ("replayed from the start".to_string(), replay_until(members, self.seed, &actions, target)),
        };
        let seed = self.seed;
        self.origin.set(format!("Rewound to {} ({from}; seed {seed}, {members} members).", format_sim_time(target)));
        self.install(members, world, cut_after(&actions));
    }

    /// The current run as a link's contents: seed, cluster size, actions, and the time now.
    pub fn run_link(&self) -> RunLink {
        let world = self.world.get_value();
        let world = world.borrow();
        RunLink {
            seed: self.seed,
            members: self.members.get_untracked(),
            at_ms: world.now_ms(),
            actions: world.actions().to_vec(),
        }
    }

    /// Swaps in `new_world` and starts every view over: events, metrics, console and running commands.
    fn install(&self, members: usize, new_world: World, cut: CutLinks) {
        let world = self.world.get_value();
        let read = {
            let mut world = world.borrow_mut();
            *world = new_world;
            self.events.update_untracked(EventFeed::reset);
            self.metrics.update_untracked(MetricsHistory::reset);
            self.read_out(&mut world)
        };
        self.stream_output.set(Vec::new());
        // A new world starts with every link up; a replayed one with the links its actions cut.
        self.cut.set(cut);
        self.set_members.set(members);
        self.set_epoch.update(|e| *e += 1);
        self.events.notify();
        self.metrics.notify();
        self.publish(read);
    }

    /// Reads the world without changing it, for views computed on demand (the Keyspace panel reads one
    /// folder of one store when it changes) rather than copied into every [`Snapshot`]. None while an
    /// event handler holds the world.
    pub fn read_world<T>(&self, read: impl FnOnce(&World) -> T) -> Option<T> {
        let world = self.world.get_value();
        let world = world.try_borrow().ok()?;
        Some(read(&world))
    }

    /// The bytes of a file in the simulated file system, copied out for a download.
    pub fn read_file(&self, path: &str) -> Option<Vec<u8>> {
        self.world.get_value().borrow().read_file(path).map(<[u8]>::to_vec)
    }

    /// Starts the clock: every tick advances the world by the real time elapsed since the previous tick
    /// times [`Sim::speed`] (capped at [`MAX_STEP_MS`]) and publishes a snapshot; paused, it does nothing. The page stays responsive because each
    /// step is short; the simulation itself never waits on anything.
    pub fn start_clock(&self) {
        let sim = *self;
        let world = self.world.get_value();
        let mut last_ms = now_real_ms();
        // Fractions of a millisecond carried over, so the simulated clock does not drift behind real time.
        let mut carry_ms = 0.0_f64;
        // Simulated time earlier ticks had no budget left for.
        let mut owed_ms = 0_u64;
        let mut pace = Pace::default();
        let mut paced_speed = 0.0_f64;
        // How long the last checkpoint took to copy the world (real ms): a tick with one due leaves that
        // much of its budget for it, so that with 100k objects at 100x the copy does not make a long task.
        let mut checkpoint_ms = 0.0_f64;
        let interval = Interval::new(TICK_INTERVAL_MS, move || {
            let now = now_real_ms();
            let real_ms = (now - last_ms).clamp(0.0, MAX_REAL_STEP_MS);
            last_ms = now;
            let speed = sim.speed.get_untracked();
            if !sim.playing.get_untracked() || speed != paced_speed {
                pace.reset();
                paced_speed = speed;
                set_if_changed(sim.pace_note, String::new());
            }
            if !sim.playing.get_untracked() {
                carry_ms = 0.0;
                owed_ms = 0;
                return;
            }
            if sim.live.is_some() {
                let Ok(mut w) = world.try_borrow_mut() else { return };
                let (due, cut) = sim.follow_tick(&mut w, real_ms, now);
                let read = sim.read_out(&mut w);
                drop(w);
                if let Some(cut) = cut {
                    sim.cut.set(cut);
                }
                for (then, outcome) in due {
                    then(outcome);
                }
                sim.publish(read);
                return;
            }
            let elapsed = real_ms * speed + carry_ms;
            let step_ms = elapsed.floor();
            carry_ms = elapsed - step_ms;
            owed_ms = (owed_ms + step_ms as u64).min(MAX_STEP_MS);
            if owed_ms == 0 {
                return;
            }
            let read = {
                let Ok(mut w) = world.try_borrow_mut() else {
                    // An event handler holds the world; its own snapshot covers this tick.
                    return;
                };
                let budget_ms = if speed >= FAST_SPEED { FAST_TICK_BUDGET_MS } else { TICK_BUDGET_MS };
                let checkpoints = sim.checkpoints.get_value();
                let mut checkpoints = checkpoints.borrow_mut();
                let due = checkpoints.due(&w, speed >= FAST_SPEED);
                let reserved_ms = if due { checkpoint_ms.min(budget_ms) } else { 0.0 };
                let before_ms = w.now_ms();
                owed_ms = advance_within(&mut w, owed_ms, now + budget_ms - reserved_ms, now_real_ms);
                pace.record(now, w.now_ms() - before_ms);
                if due {
                    let started = now_real_ms();
                    if checkpoints.offer(&w) {
                        checkpoint_ms = now_real_ms() - started;
                    }
                }
                checkpoints.tidy();
                sim.read_out(&mut w)
            };
            set_if_changed(sim.pace_note, pace_note(speed, pace.achieved()));
            sim.publish(read);
        });
        // The clock runs for the life of the page, which is the life of the app: nothing ever stops it.
        interval.forget();
    }

    /// This handle for a panel that is on screen only while `visible`: its [`Sim::snapshot`] follows every
    /// tick while the panel is visible, and at most every [`OFFSCREEN_REFRESH_MS`] while it is not (a panel
    /// scrolled away or behind another tab), so that the panels nobody looks at do not restyle, relayout
    /// and repaint 20 times a second, yet are never more than a second behind for whoever reads them.
    pub fn gated(self, visible: ReadSignal<bool>) -> Sim {
        let (snapshot, set) = signal(self.published.get_untracked());
        let last_ms = StoredValue::new(now_real_ms());
        let trailing = StoredValue::new(false);
        let refresh = move || {
            last_ms.set_value(now_real_ms());
            set.set(self.published.get_untracked());
        };
        Effect::new(move |_| {
            self.published.track();
            let due = now_real_ms() - last_ms.get_value() >= OFFSCREEN_REFRESH_MS as f64;
            if visible.get() || due {
                refresh();
            } else if !trailing.get_value() {
                // The last change before the world went quiet (paused) must show too.
                trailing.set_value(true);
                let later = move || {
                    trailing.set_value(false);
                    refresh();
                };
                set_timeout(later, std::time::Duration::from_millis(OFFSCREEN_REFRESH_MS.into()));
            }
        });
        Sim { snapshot, ..self }
    }

    /// Reads out what changed in the world: the snapshot, new trace events, and what running commands
    /// printed (taking that output is the only mutation here). Nothing is published yet, so that no
    /// subscriber can run while the world is borrowed; pass the result to [`Sim::publish`].
    fn read_out(&self, world: &mut World) -> ReadOut {
        let ids: Vec<u64> = world.streams().keys().copied().collect();
        let mut chunks = Vec::new();
        for id in ids {
            let line = world.streams().get(&id).map(|s| s.line.clone()).unwrap_or_default();
            if let Some((outcome, finished)) = world.take_stream_output(id) {
                if finished || !outcome.stdout.is_empty() || !outcome.stderr.is_empty() {
                    chunks.push(StreamChunk { line, outcome, finished });
                }
            }
        }
        let snapshot = snapshot_of(world);
        let new_events = self.events.try_update_untracked(|feed| feed.catch_up(world.trace())).unwrap_or(false);
        let new_sample = self.metrics.try_update_untracked(|history| history.catch_up(world)).unwrap_or(false);
        ReadOut { snapshot, chunks, new_events, new_sample }
    }

    fn publish(&self, read: ReadOut) {
        if !read.chunks.is_empty() {
            self.stream_output.update(|pending| pending.extend(read.chunks));
        }
        if read.new_events {
            self.events.notify();
        }
        if read.new_sample {
            self.metrics.notify();
        }
        // A restored cluster replaced the running one: its network starts with every link up.
        let replaced = self.published.with_untracked(|old| old.cluster_id != read.snapshot.cluster_id);
        if replaced && !self.cut.with_untracked(CutLinks::is_empty) {
            self.cut.set(CutLinks::new());
        }
        self.set_snapshot.set(Arc::new(read.snapshot));
    }
}

/// What a live tick leaves to do once the world is no longer borrowed: outcomes for the actions that
/// waited on them, and the network's new cuts.
type Followed = (Vec<(live::Callback, Outcome)>, Option<CutLinks>);

/// What [`Sim::read_out`] found.
struct ReadOut {
    snapshot: Snapshot,
    chunks: Vec<StreamChunk>,
    new_events: bool,
    /// A metrics sample was taken (once a simulated second), so the charts redraw.
    new_sample: bool,
}

/// How much of the world a tick copies out: what the panels show, and no more.
const PAGE_LIMITS: PageLimits = PageLimits {
    messages: MAX_SHOWN_MESSAGES,
    log_tail: LOG_TAIL,
    leases: MAX_LEASES,
    lease_keys: MAX_LEASE_KEYS,
    watchers: MAX_WATCHERS,
    recent_messages: crate::slow_motion::MAX_DOTS,
};

fn snapshot_of(world: &World) -> Snapshot {
    world.page_view(PAGE_LIMITS)
}

/// Advances the world by up to `owed_ms` in chunks until real time (`now_ms`) reaches `deadline_ms`;
/// returns what is still owed. At least one chunk runs, so the clock always moves while playing.
fn advance_within(world: &mut World, mut owed_ms: u64, deadline_ms: f64, now_ms: impl Fn() -> f64) -> u64 {
    loop {
        let chunk = owed_ms.min(CHUNK_MS);
        world.advance(chunk);
        owed_ms -= chunk;
        if owed_ms == 0 || now_ms() >= deadline_ms {
            return owed_ms;
        }
    }
}

/// Applies `action`, then runs what it made due right now, as a replay does before the next action: paused,
/// two actions at one millisecond would otherwise see a different world than their replay.
fn apply_now(world: &mut World, action: Action) -> Outcome {
    let outcome = world.apply(action);
    let now = world.now_ms();
    world.advance_to(now);
    outcome
}

/// Runs the next simulated moment and finishes it as a replay's `advance_to` would (events it makes due at
/// the same millisecond run too), so a Step is just one more chunk of time a replay can reproduce.
fn step_world(world: &mut World) {
    if world.run_next_event(u64::MAX) {
        let now = world.now_ms();
        world.advance_to(now);
    } else {
        world.advance(IDLE_STEP_MS);
    }
}

/// A world replayed from `actions` and advanced to `at_ms` (or to where its last action left it, if later).
fn replay_until(members: usize, seed: u64, actions: &[TimedAction], at_ms: u64) -> World {
    let mut world = World::replay(WorldConfig::demo(members, seed).with_history(), actions);
    world.advance_to(at_ms);
    world
}

/// The console's first line for a fresh cluster.
fn new_cluster_note(members: usize, seed: u64) -> String {
    format!("A new {members}-member cluster boots from seed {seed}.")
}

/// Sets `signal` only when the text changes, so that its readers do not re-render every tick.
fn set_if_changed(signal: RwSignal<String>, text: String) {
    if signal.with_untracked(|old| *old != text) {
        signal.set(text);
    }
}

/// Real time in milliseconds from the page's monotonic clock (`performance.now()`), which, unlike the
/// wall clock, never jumps backwards.
pub fn now_real_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn etcdctl(line: &str) -> Action {
        Action::Etcdctl { line: line.to_string(), stdin: None }
    }

    /// The page moves time in ticks, Steps and actions (several at one millisecond while paused); a replay
    /// of the recorded actions must land on the same world, or shared links and rewinds would lie.
    #[test]
    fn what_the_page_does_replays_exactly() {
        let mut world = World::new(WorldConfig::demo(3, 5));
        world.advance(2_345);
        let watch = apply_now(&mut world, etcdctl("watch k"));
        assert!(watch.stream.is_some(), "the watch keeps running");
        apply_now(&mut world, etcdctl("put k one"));
        apply_now(&mut world, Action::Kill { member: "etcd3".into() });
        for _ in 0..7 {
            step_world(&mut world);
        }
        apply_now(&mut world, Action::Partition { groups: vec![vec!["etcd1".into()], vec!["etcd2".into()]] });
        apply_now(&mut world, Action::Heal);
        world.advance(1_234);
        apply_now(&mut world, etcdctl("put k two"));
        step_world(&mut world);

        let again = replay_until(3, 5, world.actions(), world.now_ms());
        assert_eq!(again.now_ms(), world.now_ms());
        assert_eq!(again.nodes(), world.nodes());
        assert_eq!(again.trace().total(), world.trace().total());
    }

    /// A tick out of budget simulates one chunk and owes the rest; chunks add up to the same world as one
    /// advance, so a budgeted clock replays exactly.
    #[test]
    fn a_tick_out_of_budget_owes_the_rest_and_chunks_replay_exactly() {
        let mut chunked = World::new(WorldConfig::demo(3, 9));
        let mut whole = World::new(WorldConfig::demo(3, 9));
        let owed = advance_within(&mut chunked, 2_345, 5.0, || 5.0);
        assert_eq!((chunked.now_ms(), owed), (CHUNK_MS, 2_345 - CHUNK_MS), "one chunk past the deadline");
        assert_eq!(advance_within(&mut chunked, owed, 5.0, || 0.0), 0, "within budget, all of it");
        whole.advance(2_345);
        assert_eq!(chunked.now_ms(), whole.now_ms());
        assert_eq!(chunked.nodes(), whole.nodes());
        assert_eq!(chunked.trace().total(), whole.trace().total());
    }

    #[test]
    fn a_step_moves_the_clock_even_when_nothing_is_scheduled() {
        let mut world = World::new(WorldConfig::demo(1, 1));
        apply_now(&mut world, Action::Kill { member: "etcd1".into() });
        let before = world.now_ms();
        step_world(&mut world);
        assert_eq!(world.now_ms(), before + IDLE_STEP_MS);
    }
}
