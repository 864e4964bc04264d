//! The world's thread: it owns the simulated cluster (a [`World`] is not `Send`), runs it in real time
//! (times the speed), and serves what the gRPC front end asks of it. The front end never touches the
//! world: it sends [`Job`]s, closures run here between two moments of the cluster, and gets answers back
//! on channels. Requests go to a member through the cluster's own request/response API (`submit`,
//! `take_answer`, `serve_by_leader`), as the console's do; watchers read the member's store as etcd's
//! watchable store does.

use super::page::LiveRun;
use crate::record::Recorder;
use etcdplay_core::mvcc::KeyRange;
use etcdplay_core::playground::live::{Feed, Reply};
use etcdplay_core::playground::wire::{WireAction, WireOutcome};
use etcdplay_core::server::api::{Request, ResponseHeader, Route, ServerError, ServerResult};
use etcdplay_core::server::watch::{Poll, WatchEvent, Watcher};
use etcdplay_core::trace::Role;
use etcdplay_core::Action;
use etcdplay_core::World;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc as tmpsc, oneshot, watch};

/// Work the front end hands to the world's thread.
pub type Job = Box<dyn FnOnce(&mut Driver) + Send>;

/// A last resort for a request nothing answers: the member itself times out writes after etcd's
/// `ReqTimeout` (7 s) with etcd's own errors, so this only catches what waits longer (a linearizable
/// read on a member cut off from its leader, whose client has no deadline).
const REQUEST_TIMEOUT_MS: u64 = etcdplay_core::server::REQUEST_TIMEOUT_MS + 1_000;

/// How long etcd's `MoveLeader` waits for the transferee to take over (an election timeout, twice).
const MOVE_LEADER_TIMEOUT_MS: u64 = 2_000;

/// One member's client endpoint as the listeners see it: where it listens and whether its process runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub member: usize,
    pub address: String,
    pub up: bool,
}

/// A request waiting for its answer from the cluster.
struct Pending {
    member: usize,
    id: u64,
    deadline_ms: u64,
    reply: oneshot::Sender<ServerResult>,
}

/// A request the member forwards to its leader (keep-alive, time-to-live): retried each moment until a
/// leader is reachable.
struct LeaderCall {
    member: usize,
    request: Request,
    deadline_ms: u64,
    reply: oneshot::Sender<ServerResult>,
}

/// A leadership transfer the client waits on.
struct Transfer {
    target: usize,
    deadline_ms: u64,
    reply: oneshot::Sender<Result<(), ServerError>>,
}

/// What a gRPC watch stream is told, in the order the world decided it (one channel per stream, so a
/// watcher's `created` always comes before its first events or its cancellation).
#[derive(Debug)]
pub enum WatchNews {
    Created {
        watch_id: i64,
        header: ResponseHeader,
    },
    Events {
        watch_id: i64,
        header: ResponseHeader,
        events: Vec<WatchEvent>,
    },
    Compacted {
        watch_id: i64,
        header: ResponseHeader,
        compact_revision: i64,
    },
    Canceled {
        watch_id: i64,
        header: ResponseHeader,
    },
    /// The answer to a progress request: the store's revision, watch ID -1 (etcd 3.4).
    Progress {
        header: ResponseHeader,
    },
    /// The member's process is gone: the stream breaks, as a connection to a killed etcd does.
    Gone,
}

/// A watcher one gRPC watch stream created on a member.
struct WireWatcher {
    stream: u64,
    member: usize,
    watcher: Watcher,
    no_put: bool,
    no_delete: bool,
    news: tmpsc::UnboundedSender<WatchNews>,
}

/// What a watch stream asks to create.
#[derive(Clone, Debug)]
pub struct WatchSpec {
    pub stream: u64,
    pub watch_id: i64,
    pub key: Vec<u8>,
    pub range_end: Vec<u8>,
    pub start_revision: i64,
    pub prev_kv: bool,
    pub no_put: bool,
    pub no_delete: bool,
}

pub struct Driver {
    pub world: World,
    speed: f64,
    /// Real time and simulated time at the last re-anchoring: simulated time runs at `speed` from here.
    anchor: (Instant, u64),
    pending: Vec<Pending>,
    leader_calls: Vec<LeaderCall>,
    transfers: Vec<Transfer>,
    watchers: Vec<WireWatcher>,
    endpoints: watch::Sender<Vec<Endpoint>>,
    /// Where the run's actions go as they happen (`serve --record FILE`).
    recorder: Option<Recorder>,
    /// The run as live pages follow it (when `serve` serves its page).
    live: Option<LiveRun>,
}

impl Driver {
    pub fn new(
        world: World,
        speed: f64,
        endpoints: watch::Sender<Vec<Endpoint>>,
        recorder: Option<Recorder>,
        live: Option<LiveRun>,
    ) -> Driver {
        let now = world.now_ms();
        Driver {
            world,
            speed,
            anchor: (Instant::now(), now),
            pending: Vec::new(),
            leader_calls: Vec::new(),
            transfers: Vec::new(),
            watchers: Vec::new(),
            endpoints,
            recorder,
            live,
        }
    }

    /// Runs the world until every sender of jobs is gone.
    pub fn run(mut self, jobs: mpsc::Receiver<Job>) {
        self.publish_endpoints();
        loop {
            self.catch_up();
            let wait = self.until_next_event();
            match jobs.recv_timeout(wait) {
                Ok(job) => {
                    self.catch_up();
                    job(&mut self);
                    self.after_moment();
                    self.record();
                }
                Err(mpsc::RecvTimeoutError::Timeout) => self.record(),
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    /// Moves the world's new actions to the recording and the live run, or drops them when there is
    /// neither: a served world runs for hours, and its memory must not grow with every request.
    fn record(&mut self) {
        let actions = self.world.take_actions();
        if let Some(r) = &mut self.recorder {
            r.write(&actions, self.world.now_ms());
        }
        if let Some(live) = &mut self.live {
            live.extend(actions);
        }
        // What commands a page started (a console watch) print is read by the pages' own replays; the
        // served world drops its copy so that it does not grow.
        let streams: Vec<u64> = self.world.streams().keys().copied().collect();
        for id in streams {
            self.world.take_stream_output(id);
        }
    }

    /// The simulated time the wall clock says it is.
    fn target_ms(&self) -> u64 {
        let real = self.anchor.0.elapsed().as_secs_f64() * 1000.0;
        self.anchor.1 + (real * self.speed) as u64
    }

    /// Runs every event due by now, and what each moment owes the clients.
    fn catch_up(&mut self) {
        let target = self.target_ms();
        while self.world.run_next_event(target) {
            self.after_moment();
        }
        if self.world.now_ms() < target {
            self.world.advance_to(target);
        }
        self.after_moment();
    }

    /// A directive (`@advance 5s`) may move simulated time past the wall clock: time then goes on from
    /// there.
    pub fn reanchor(&mut self) {
        if self.world.now_ms() > self.target_ms() {
            self.anchor = (Instant::now(), self.world.now_ms());
        }
    }

    /// How long the thread may sleep: until the next event, at most 5 ms (jobs wake it earlier).
    fn until_next_event(&self) -> Duration {
        let cap = Duration::from_millis(5);
        match self.world.next_event_ms() {
            Some(t) => {
                let ahead = t.saturating_sub(self.target_ms()) as f64 / self.speed;
                cap.min(Duration::from_micros((ahead * 1000.0) as u64))
            }
            None => cap,
        }
    }

    /// After each moment: answers that arrived, forwarded requests, transfers, watchers, listeners.
    fn after_moment(&mut self) {
        self.settle_pending();
        self.settle_leader_calls();
        self.settle_transfers();
        self.poll_watchers();
        self.publish_endpoints();
    }

    fn publish_endpoints(&mut self) {
        let now: Vec<Endpoint> = (0..self.world.members().len())
            .flat_map(|i| {
                let up = self.world.node(i).is_up();
                let urls = self.world.members()[i].client_urls.clone();
                urls.into_iter().map(move |u| Endpoint {
                    member: i,
                    address: etcdplay_core::cluster::strip_scheme(&u).to_string(),
                    up,
                })
            })
            .collect();
        self.endpoints.send_if_modified(|e| {
            let changed = *e != now;
            if changed {
                *e = now.clone();
            }
            changed
        });
    }

    /// Whether member `i` runs (a killed member's port refuses connections; calls already on the way
    /// fail as a broken connection does).
    fn is_up(&self, i: usize) -> bool {
        i < self.world.members().len() && self.world.node(i).is_up()
    }

    /// Starts request `request` on member `i`; the answer goes to `reply`.
    pub fn call(&mut self, i: usize, request: Request, reply: oneshot::Sender<ServerResult>) {
        if !self.is_up(i) {
            let _ = reply.send(Err(ServerError::Unavailable));
            return;
        }
        let deadline_ms = self.world.now_ms() + REQUEST_TIMEOUT_MS;
        if request.route() == Route::Leader {
            if let Err(e) = etcdplay_core::server::apply::check(&request) {
                let _ = reply.send(Err(e));
                return;
            }
            self.leader_calls.push(LeaderCall { member: i, request, deadline_ms, reply });
            self.settle_leader_calls();
            return;
        }
        match self.submit(i, request) {
            Ok(id) => {
                self.pending.push(Pending { member: i, id, deadline_ms, reply });
                self.settle_pending();
            }
            Err(e) => {
                let _ = reply.send(Err(e));
            }
        }
    }

    fn settle_pending(&mut self) {
        let now = self.world.now_ms();
        let mut still = Vec::with_capacity(self.pending.len());
        for p in std::mem::take(&mut self.pending) {
            if let Some(result) = self.take_answer(p.id) {
                let _ = p.reply.send(result);
            } else if !self.is_up(p.member) {
                self.cancel(p.member, p.id);
                let _ = p.reply.send(Err(ServerError::Unavailable));
            } else if p.reply.is_closed() {
                // The client gave up (its deadline, or it went away): the member stops waiting too.
                self.cancel(p.member, p.id);
            } else if now >= p.deadline_ms {
                self.cancel(p.member, p.id);
                let _ = p.reply.send(Err(ServerError::RequestTimeout));
            } else {
                still.push(p);
            }
        }
        self.pending = still;
    }

    fn settle_leader_calls(&mut self) {
        let now = self.world.now_ms();
        let mut still = Vec::with_capacity(self.leader_calls.len());
        for c in std::mem::take(&mut self.leader_calls) {
            if !self.is_up(c.member) {
                let _ = c.reply.send(Err(ServerError::Unavailable));
            } else if c.reply.is_closed() {
            } else if let Some(result) = self.serve_by_leader(c.member, &c.request) {
                let _ = c.reply.send(result);
            } else if now >= c.deadline_ms {
                let _ = c.reply.send(Err(ServerError::RequestTimeout));
            } else {
                still.push(c);
            }
        }
        self.leader_calls = still;
    }

    /// Member `i` hands leadership to the member with ID `target`, as etcd's `MoveLeader` (only the
    /// leader can).
    pub fn move_leader(&mut self, i: usize, target: u64, reply: oneshot::Sender<Result<(), ServerError>>) {
        if !self.is_up(i) {
            let _ = reply.send(Err(ServerError::Unavailable));
            return;
        }
        let Some(t) = (0..self.world.members().len()).find(|&m| self.world.node(m).id == target) else {
            let _ = reply.send(Err(ServerError::BadLeaderTransferee));
            return;
        };
        if self.world.node(i).role() != Role::Leader {
            let _ = reply.send(Err(ServerError::NotLeader));
            return;
        }
        self.world.wire(WireAction::MoveLeader { member: i, target });
        let deadline_ms = self.world.now_ms() + MOVE_LEADER_TIMEOUT_MS;
        self.transfers.push(Transfer { target: t, deadline_ms, reply });
        self.settle_transfers();
    }

    fn settle_transfers(&mut self) {
        let now = self.world.now_ms();
        let mut still = Vec::new();
        for t in std::mem::take(&mut self.transfers) {
            if self.world.node(t.target).role() == Role::Leader {
                let _ = t.reply.send(Ok(()));
            } else if now >= t.deadline_ms {
                let _ = t.reply.send(Err(ServerError::LeaderTransferTimeout));
            } else {
                still.push(t);
            }
        }
        self.transfers = still;
    }

    /// Sends `request` to member `i` (recorded, as every wire step that changes the world).
    fn submit(&mut self, i: usize, request: Request) -> Result<u64, ServerError> {
        match self.world.wire(WireAction::Submit { member: i, request }) {
            WireOutcome::Submitted(r) => r,
            other => unreachable!("a submit answered {other:?}"),
        }
    }

    fn take_answer(&mut self, id: u64) -> Option<ServerResult> {
        answer(self.world.wire(WireAction::Take { id }))
    }

    fn cancel(&mut self, i: usize, id: u64) {
        self.world.wire(WireAction::Cancel { member: i, id });
    }

    fn serve_by_leader(&mut self, i: usize, request: &Request) -> Option<ServerResult> {
        answer(self.world.wire(WireAction::Leader { member: i, request: request.clone() }))
    }

    /// Defragments member `i`'s backend, as etcd's `Defragment`.
    pub fn defragment(&mut self, i: usize) {
        self.world.wire(WireAction::Defragment { member: i });
    }

    /// Creates a watcher on member `i`; the stream hears `created` first.
    pub fn create_watch(&mut self, i: usize, spec: WatchSpec, news: tmpsc::UnboundedSender<WatchNews>) {
        if !self.is_up(i) {
            let _ = news.send(WatchNews::Gone);
            return;
        }
        let store = &self.world.node(i).server.store;
        let range = KeyRange::new(&spec.key, &spec.range_end);
        let watcher = Watcher::new(spec.watch_id, range, spec.start_revision, spec.prev_kv, store);
        let _ = news.send(WatchNews::Created { watch_id: spec.watch_id, header: self.world.header(i) });
        self.watchers.push(WireWatcher {
            stream: spec.stream,
            member: i,
            watcher,
            no_put: spec.no_put,
            no_delete: spec.no_delete,
            news,
        });
        self.poll_watchers();
    }

    /// Removes watcher `watch_id` of stream `stream` and tells the stream; nothing for an unknown ID.
    pub fn cancel_watch(&mut self, i: usize, stream: u64, watch_id: i64, news: tmpsc::UnboundedSender<WatchNews>) {
        let before = self.watchers.len();
        self.watchers.retain(|w| !(w.stream == stream && w.watcher.id == watch_id));
        if self.watchers.len() != before && self.is_up(i) {
            let _ = news.send(WatchNews::Canceled { watch_id, header: self.world.header(i) });
        }
    }

    /// Answers a progress request on member `i`'s stream.
    pub fn progress(&mut self, i: usize, news: tmpsc::UnboundedSender<WatchNews>) {
        let _ = news.send(if self.is_up(i) {
            WatchNews::Progress { header: self.world.header(i) }
        } else {
            WatchNews::Gone
        });
    }

    /// Forgets every watcher of a stream that ended.
    pub fn close_watch_stream(&mut self, stream: u64) {
        self.watchers.retain(|w| w.stream != stream);
    }

    /// The member's current header (None while its process is down).
    pub fn header(&self, i: usize) -> Option<ResponseHeader> {
        self.is_up(i).then(|| self.world.header(i))
    }

    /// Delivers what each watcher has not seen yet; a watcher whose member died or whose stream closed is
    /// dropped.
    fn poll_watchers(&mut self) {
        let world = &self.world;
        self.watchers.retain_mut(|w| {
            if w.news.is_closed() {
                return false;
            }
            if !(w.member < world.members().len() && world.node(w.member).is_up()) {
                let _ = w.news.send(WatchNews::Gone);
                return false;
            }
            let store = &world.node(w.member).server.store;
            if w.watcher.next_rev > store.current_rev() && w.watcher.next_rev >= store.compact_rev() {
                return true;
            }
            match w.watcher.poll(store) {
                Poll::Events { events, .. } if events.is_empty() => true,
                Poll::Events { revision, events } => {
                    let events: Vec<WatchEvent> = events
                        .into_iter()
                        .filter(|e| {
                            let put = e.kind == etcdplay_core::server::watch::EventType::Put;
                            !(put && w.no_put || !put && w.no_delete)
                        })
                        .collect();
                    if !events.is_empty() {
                        let header = ResponseHeader { revision, ..world.header(w.member) };
                        let _ = w.news.send(WatchNews::Events { watch_id: w.watcher.id, header, events });
                    }
                    true
                }
                Poll::Compacted { compact_revision } => {
                    // etcd's compaction notice carries no revision (its header is built from the notice's).
                    let header = ResponseHeader { revision: 0, ..world.header(w.member) };
                    let _ = w.news.send(WatchNews::Compacted { watch_id: w.watcher.id, header, compact_revision });
                    false
                }
            }
        });
    }

    /// Member `i`'s `/metrics` text, as the console's `curl` prints it (None while it is down).
    pub fn metrics(&self, i: usize) -> Option<String> {
        self.is_up(i).then(|| etcdplay_core::ctl::curl::metrics_text(&self.world, i))
    }

    /// The part of etcd's `/health` that needs no round: no alarm (but those `?exclude=`d) and a known
    /// leader. The quorum read follows.
    pub fn health_precheck(&self, i: usize, excluded: &[String]) -> bool {
        if !self.is_up(i) || self.world.node(i).paused {
            return false;
        }
        let node = self.world.node(i);
        let alarmed = node.server.alarms.list().iter().any(|a| !excluded.contains(&a.alarm.to_string()));
        !alarmed && node.leader_id() != 0
    }

    /// Runs one line of the serve process's control input (`@kill etcd2`, `etcdctl put a 1`, ...).
    /// What a live page that has applied `from` actions of the run is sent next (None: no page served).
    pub fn live_feed(&mut self, from: u64) -> Option<Feed> {
        self.record();
        let live = self.live.as_ref()?;
        Some(live.feed(self.world.config(), self.speed, from, self.world.now_ms()))
    }

    /// An action a live page's visitor took (a click, a console line), applied to the served world as
    /// the page applies its own: then the moment it made due runs.
    pub fn live_act(&mut self, action: Action) -> Reply {
        self.record();
        let index = self.live.as_ref().map_or(0, LiveRun::next_index);
        let outcome = self.world.apply(action);
        let now = self.world.now_ms();
        self.world.advance_to(now);
        self.reanchor();
        Reply::new(index, outcome)
    }

    pub fn control(&mut self, line: &str) -> String {
        let out = match etcdplay_core::script::run(&mut self.world, line) {
            Ok(text) => text,
            Err(e) => format!("error: {}\n", e.msg),
        };
        self.reanchor();
        out
    }
}

/// The answer a take or a leader call gave.
fn answer(outcome: WireOutcome) -> Option<ServerResult> {
    match outcome {
        WireOutcome::Answer(a) => a,
        other => unreachable!("a take answered {other:?}"),
    }
}
