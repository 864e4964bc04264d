//! The playground: the simulated cluster with everything around it that a visitor, a script or a test
//! drives. A [`World`] is a [`Cluster`] plus its clients (running console streams, the Kubernetes client),
//! the simulated file system and the data dirs `snapshot restore` wrote, the members `member add`
//! announced, and the action log a replay needs. Its loop runs one cluster moment, then polls the clients,
//! in that order, so (seed, actions) still replays a whole run.
//!
//! A world reads as the cluster it runs (`World` derefs to [`Cluster`]): every view and fault of the
//! cluster is a world call, as it always was, and only what needs the clients lives here.

pub mod action;
pub mod checkpoint;
pub mod live;
pub mod page_view;
pub mod watches_view;
pub mod wire;

use crate::cluster::MemberConfig;
use crate::ctl::stream::Stream;
use crate::ctl::{Outcome, INTERRUPTED_EXIT};
use crate::kubernetes::{Kubernetes, KubernetesView, WATCHED, WATCH_OWNER};
use crate::playground::action::{Action, TimedAction};
use crate::raftnode::Node;
use crate::server::api::{Request, Route, ServerError, ServerResult};
use crate::sim::{default_client_url, Cluster, RestoredDir};
use crate::snapshot::SnapshotData;
use crate::trace::Role;
use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};
use std::rc::Rc;

/// How a world is built: its seed and its initial cluster.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WorldConfig {
    pub seed: u64,
    /// `--initial-cluster-token`.
    pub token: String,
    pub members: Vec<MemberConfig>,
    /// Record every client's single-key operations for the session's linearizability check (the page
    /// does; robustness runs and benchmarks keep their own histories or none).
    pub record_history: bool,
}

impl WorldConfig {
    /// The playground cluster: `n` members `etcd1..etcdN` at `10.0.0.N`, token `etcd-cluster`.
    pub fn demo(n: usize, seed: u64) -> WorldConfig {
        let members = (1..=n)
            .map(|i| MemberConfig {
                name: format!("etcd{i}"),
                peer_urls: vec![format!("http://10.0.0.{i}:2380")],
                client_urls: vec![format!("http://10.0.0.{i}:2379")],
            })
            .collect();
        WorldConfig { seed, token: "etcd-cluster".to_string(), members, record_history: false }
    }

    /// The same world, recording the client history [`World::session_history`] checks.
    pub fn with_history(mut self) -> WorldConfig {
        self.record_history = true;
        self
    }
}

/// The whole simulated deployment and the clients around it.
pub struct World {
    cluster: Cluster,
    config: WorldConfig,
    actions: Vec<TimedAction>,
    /// Members announced by `member add NAME`, by name: what `@start NAME` launches.
    announced: BTreeMap<String, u64>,
    /// Running long commands (watch, keep-alive), by ID.
    streams: BTreeMap<u64, Stream>,
    next_stream_id: u64,
    /// The simulated file system etcdctl reads and writes (snapshot files), by path.
    files: BTreeMap<String, Vec<u8>>,
    /// Data dirs written by `snapshot restore`, by path.
    restored_dirs: BTreeMap<String, RestoredDir>,
    /// The Kubernetes client: a keyspace load and controller-like traffic (`kubernetes`).
    kubernetes: Kubernetes,
}

impl Deref for World {
    type Target = Cluster;

    fn deref(&self) -> &Cluster {
        &self.cluster
    }
}

impl DerefMut for World {
    fn deref_mut(&mut self) -> &mut Cluster {
        &mut self.cluster
    }
}

impl World {
    /// Boots a fresh cluster (`--initial-cluster-state new`) at time 0.
    pub fn new(config: WorldConfig) -> World {
        World::boot(config, None)
    }

    /// Boots a cluster from a data dir written by `snapshot restore`: the members it names, with the
    /// client URLs they are started with, each starting from the snapshot's keyspace.
    pub fn from_restored(dir: &RestoredDir, client_urls: &[(String, String)], seed: u64) -> World {
        let members = dir
            .members
            .iter()
            .map(|m| MemberConfig {
                name: m.name.clone(),
                peer_urls: m.peer_urls.clone(),
                client_urls: client_urls.iter().filter(|(n, _)| *n == m.name).map(|(_, u)| u.clone()).collect(),
            })
            .collect();
        let config = WorldConfig { seed, token: dir.token.clone(), members, record_history: false };
        World::boot(config, Some(Rc::new(dir.snapshot.clone())))
    }

    fn boot(config: WorldConfig, base: Option<Rc<SnapshotData>>) -> World {
        let cluster = Cluster::boot(config.seed, &config.token, &config.members, config.record_history, base);
        World {
            cluster,
            config,
            actions: Vec::new(),
            announced: BTreeMap::new(),
            streams: BTreeMap::new(),
            next_stream_id: 1,
            files: BTreeMap::new(),
            restored_dirs: BTreeMap::new(),
            kubernetes: Kubernetes::default(),
        }
    }

    /// Rebuilds a world from its seed and recorded actions: the same run, event for event.
    pub fn replay(config: WorldConfig, actions: &[TimedAction]) -> World {
        World::new(config).replayed(actions)
    }

    /// This world with `later` applied, each at its time: a replay that starts from a checkpoint (a
    /// [`World::fork`]) instead of time 0. `later` are the actions recorded after this world's.
    pub fn replayed(mut self, later: &[TimedAction]) -> World {
        for a in later {
            self.advance_to(a.at_ms);
            self.apply(a.action.clone());
        }
        self
    }

    /// Roughly what a [`World::fork`] copies, in records: every member's versions and log entries, and
    /// the session history. Checkpoints are only taken of worlds light enough to copy within a frame.
    pub fn weight(&self) -> usize {
        let members: usize = (0..self.members().len())
            .map(|i| {
                let node = self.node(i);
                let log = node.disk.core();
                node.server.store.version_count() + log.written.entries.len() + log.durable.entries.len()
            })
            .sum();
        members + self.session_history().map_or(0, |h| h.len())
    }

    /// A copy of this world that runs on exactly as this one will, actions and all, or None at a moment
    /// when a member's Raft cannot be copied (mid-Ready; a moment later it can). Checkpoints for rewind.
    pub fn fork(&self) -> Option<World> {
        Some(World {
            cluster: self.cluster.fork()?,
            config: self.config.clone(),
            actions: self.actions.clone(),
            announced: self.announced.clone(),
            streams: self.streams.clone(),
            next_stream_id: self.next_stream_id,
            files: self.files.clone(),
            restored_dirs: self.restored_dirs.clone(),
            kubernetes: self.kubernetes.clone(),
        })
    }

    pub fn config(&self) -> &WorldConfig {
        &self.config
    }

    /// The actions applied so far, with their times: with the seed, all a replay needs.
    pub fn actions(&self) -> &[TimedAction] {
        &self.actions
    }

    /// Hands over the actions recorded so far and forgets them: a host that writes them elsewhere
    /// (`etcdplay serve --record`), or needs no replay, keeps a long run's memory bounded.
    pub fn take_actions(&mut self) -> Vec<TimedAction> {
        std::mem::take(&mut self.actions)
    }

    /// The cluster this world runs.
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// How many of `voters` must agree for Raft to commit or elect: a strict majority.
    pub fn quorum(voters: usize) -> usize {
        Cluster::quorum(voters)
    }

    /// Members announced by `member add` and not started yet, by name, each with the client URL it would
    /// serve on (its peer URL's host, port 2379): the page offers to start them.
    pub fn announced_unstarted(&self) -> Vec<(String, String)> {
        let Some(l) = self.leader() else { return Vec::new() };
        let membership = &self.node(l).server.membership;
        let started = |id: u64| (0..self.members().len()).any(|i| self.node(i).id == id);
        self.announced
            .iter()
            .filter(|(_, &id)| !started(id))
            .filter_map(|(name, &id)| Some((name.clone(), default_client_url(&membership.get(id)?.peer_urls))))
            .collect()
    }

    /// Applies a user action at the current time and records it for replay.
    pub fn apply(&mut self, action: Action) -> Outcome {
        self.actions.push(TimedAction { at_ms: self.now_ms(), action: action.clone() });
        action::perform(self, action)
    }

    /// Advances simulated time by `ms`, running every event due on the way.
    pub fn advance(&mut self, ms: u64) {
        self.advance_to(self.now_ms() + ms);
    }

    /// Runs every event due up to `target_ms`; the clock ends at `target_ms`.
    pub fn advance_to(&mut self, target_ms: u64) {
        while let Some(t) = self.next_event_ms().filter(|&t| t <= target_ms) {
            self.run_events_at(t);
        }
        self.cluster.settle_clock(target_ms);
    }

    /// When the cluster or one of its clients next has something to do (a real-time host such as
    /// `etcdplay serve` sleeps until then).
    pub fn next_event_ms(&self) -> Option<u64> {
        let now = self.now_ms();
        let wakes = self.streams.values().filter_map(Stream::wake_ms).map(|t| t.max(now));
        let kube = self.kubernetes.wake_ms().map(|t| t.max(now));
        self.cluster.next_moment_ms().into_iter().chain(wakes).chain(kube).min()
    }

    /// One moment of the cluster at `t`, then every client's turn: the streams, then Kubernetes.
    fn run_events_at(&mut self, t: u64) {
        self.cluster.run_moment(t);
        self.poll_streams();
        self.poll_kubernetes();
    }

    /// The Kubernetes client's part of this moment: the loader, then the traffic, whose apiserver
    /// watches read into its cache (nothing of them reaches the console).
    fn poll_kubernetes(&mut self) {
        self.kubernetes.poll_loader(&mut self.cluster);
        if let Some(watches) = self.kubernetes.watches_mut() {
            watches.retain(|id| self.streams.contains_key(id));
            for id in watches.iter() {
                if let Some(s) = self.streams.get_mut(id) {
                    s.take_output();
                }
            }
        }
        self.kubernetes.poll_traffic(&mut self.cluster);
    }

    /// Starts loading a Kubernetes-like keyspace of `objects` objects; refused while a load runs.
    pub fn load_kubernetes(&mut self, objects: u64, large: bool) -> Result<(), String> {
        let now = self.now_ms();
        self.kubernetes.load(objects, large, now)
    }

    /// Turns the controller-like traffic on or off; on, it starts the apiserver's watches.
    pub fn set_kubernetes_traffic(&mut self, on: bool) {
        match (on, self.kubernetes.traffic_on()) {
            (true, false) => {
                let watches = WATCHED.iter().filter_map(|prefix| self.start_apiserver_watch(prefix)).collect();
                let (seed, now) = (self.config.seed, self.now_ms());
                self.kubernetes.start_traffic(seed, now, watches);
            }
            (false, true) => {
                for id in self.kubernetes.stop_traffic() {
                    self.stop_stream(id, INTERRUPTED_EXIT);
                }
            }
            _ => {}
        }
    }

    /// Starts one of the apiserver's watches as a running command, named after its owner.
    fn start_apiserver_watch(&mut self, prefix: &str) -> Option<u64> {
        let line = format!("watch --prefix --prev-kv {prefix}");
        let id = crate::ctl::run_line(self, &line, None).stream?;
        if let Some(s) = self.streams.get_mut(&id) {
            s.line = format!("{line}  # {WATCH_OWNER}");
        }
        Some(id)
    }

    /// The Kubernetes client this world runs.
    pub fn kubernetes(&self) -> &Kubernetes {
        &self.kubernetes
    }

    /// The Kubernetes panel's view: cheap (no walk over the keyspace).
    pub fn kubernetes_view(&self) -> KubernetesView {
        self.kubernetes.view(&self.cluster)
    }

    /// Lets every running stream print what happened.
    fn poll_streams(&mut self) {
        for s in self.streams.values_mut() {
            s.poll(&mut self.cluster);
        }
    }

    /// Registers a running command; returns its ID.
    pub fn start_stream(&mut self, stream: Stream) -> u64 {
        let id = self.next_stream_id;
        self.next_stream_id += 1;
        self.streams.insert(id, stream);
        id
    }

    /// Running (and finished but unread) streams.
    pub fn streams(&self) -> &BTreeMap<u64, Stream> {
        &self.streams
    }

    /// Takes what stream `id` printed since the last call; a finished stream is removed once read.
    pub fn take_stream_output(&mut self, id: u64) -> Option<(Outcome, bool)> {
        let s = self.streams.get_mut(&id)?;
        let out = s.take_output();
        let finished = s.finished;
        if finished {
            self.streams.remove(&id);
        }
        Some((out, finished))
    }

    /// Stops stream `id` (Ctrl-C, or a harness timeout) with `exit_code`; returns its unread output.
    pub fn stop_stream(&mut self, id: u64, exit_code: i32) -> Option<Outcome> {
        let mut s = self.streams.remove(&id)?;
        if !s.finished {
            s.stop(self);
        }
        s.finish(exit_code);
        let mut out = s.take_output();
        out.exit_code = s.out.exit_code;
        Some(out)
    }

    /// Sends a client request to member `i` and waits in simulated time for the answer, at most
    /// `timeout_ms` (etcdctl's `--command-timeout`). The header names the answering member.
    pub fn call(&mut self, i: usize, request: Request, timeout_ms: u64) -> ServerResult {
        let deadline = self.now_ms() + timeout_ms;
        if request.route() == Route::Leader {
            crate::server::apply::check(&request)?;
            return self.call_leader(i, &request, deadline);
        }
        let id = self.submit(i, request)?;
        loop {
            if let Some(result) = self.take_answer(id) {
                return result;
            }
            if !self.run_next_event(deadline) {
                self.advance_to(deadline);
                self.cluster.cancel(i, id);
                return Err(ServerError::DeadlineExceeded);
            }
        }
    }

    /// Runs the events of the next moment, if it comes no later than `limit_ms`; false if none does.
    pub fn run_next_event(&mut self, limit_ms: u64) -> bool {
        match self.next_event_ms() {
            Some(t) if t <= limit_ms => {
                // Whoever watches a store has looked at it since the last event (streams poll after each
                // event, clients between them).
                self.cluster.mark_watched();
                self.run_events_at(t);
                true
            }
            _ => false,
        }
    }

    /// Serves a request the member forwards to its leader; waits (up to the deadline) while the member
    /// knows no leader it can reach.
    fn call_leader(&mut self, i: usize, request: &Request, deadline: u64) -> ServerResult {
        loop {
            if let Some(result) = self.serve_by_leader(i, request) {
                return result;
            }
            match self.next_event_ms() {
                Some(t) if t <= deadline => self.run_events_at(t),
                _ => {
                    self.advance_to(deadline);
                    return Err(ServerError::DeadlineExceeded);
                }
            }
        }
    }

    /// Transfers leadership from leader `i` to member `target` and waits until `target` leads, as etcd's
    /// `MoveLeader` does.
    pub fn move_leader(&mut self, i: usize, target: u64, timeout_ms: u64) -> Result<(), ServerError> {
        let Some(t) = (0..self.members().len()).position(|m| self.node(m).id == target) else {
            return Err(ServerError::BadLeaderTransferee);
        };
        let deadline = self.now_ms() + timeout_ms;
        self.cluster.start_leader_transfer(i, target);
        loop {
            if self.node(t).role() == Role::Leader {
                return Ok(());
            }
            match self.next_event_ms() {
                Some(at) if at <= deadline => self.run_events_at(at),
                _ => {
                    self.advance_to(deadline);
                    return Err(ServerError::LeaderTransferTimeout);
                }
            }
        }
    }

    /// Writes a file in the simulated file system (a snapshot, or an upload in the page).
    pub fn write_file(&mut self, path: &str, bytes: Vec<u8>) {
        self.files.insert(path.to_string(), bytes);
    }

    pub fn read_file(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    /// Paths of the simulated file system.
    pub fn files(&self) -> impl Iterator<Item = &String> {
        self.files.keys()
    }

    pub fn create_restored_dir(&mut self, path: &str, dir: RestoredDir) {
        self.restored_dirs.insert(path.to_string(), dir);
    }

    pub fn restored_dir(&self, path: &str) -> Option<&RestoredDir> {
        self.restored_dirs.get(path)
    }

    /// Data dirs written by `snapshot restore`, by path: the page lists them to start their members.
    pub fn restored_dirs(&self) -> impl Iterator<Item = (&String, &RestoredDir)> {
        self.restored_dirs.iter()
    }

    /// Remembers the name a `member add` gave a new member, so it can be started by name.
    pub fn announce_member(&mut self, name: &str, id: u64) {
        self.announced.insert(name.to_string(), id);
    }

    /// Starts a member that `member add` announced, with an empty data dir, as `etcd
    /// --initial-cluster-state existing` does: it learns the log from the leader and publishes its name.
    pub fn start_member(&mut self, name: &str, client_url: Option<String>) -> Result<(), String> {
        let id = *self.announced.get(name).ok_or_else(|| format!("no member {name:?} was added with `member add`"))?;
        self.cluster.join_member(id, name, client_url)
    }

    /// Starts member `name` from the data dir `snapshot restore` wrote at `data_dir`, as `etcd --data-dir`
    /// does. The first such start replaces the running cluster by the restored one (its processes stop;
    /// files and restored dirs stay): every member of the new cluster gets its disk from the snapshot and
    /// stays down until it is started too.
    pub fn start_restored(&mut self, name: &str, data_dir: &str, client_url: Option<String>) -> Result<(), String> {
        let dir = self.restored_dirs.get(data_dir).cloned().ok_or_else(|| format!("no data dir {data_dir:?}"))?;
        if dir.name != name {
            return Err(format!("data dir {data_dir:?} was restored for member {:?}, not {name:?}", dir.name));
        }
        if dir.cluster_id != self.cluster_id() {
            self.cluster.switch_to_restored(&dir);
            self.announced.clear();
        }
        let i = self.member_index(name).ok_or_else(|| format!("{name} is not a member of the restored cluster"))?;
        if self.node(i).is_up() {
            return Err(format!("{name} is already started"));
        }
        let url = client_url.unwrap_or_else(|| default_client_url(&self.members()[i].peer_urls));
        self.cluster.set_client_urls(i, vec![url]);
        self.restart(i);
        Ok(())
    }

    /// Advances until some member leads and every live member that can reach it knows it, or `limit_ms`
    /// passes.
    pub fn wait_for_leader(&mut self, limit_ms: u64) -> Option<usize> {
        let deadline = self.now_ms() + limit_ms;
        loop {
            if let Some(l) = self.leader() {
                let lid = self.node(l).id;
                // Members cut off from the leader cannot know it; everyone else must.
                let reachable =
                    |n: &&Node| n.is_up() && !n.paused && (n.id == lid || self.network.is_reachable(n.id, lid));
                let settled =
                    (0..self.members().len()).map(|i| self.node(i)).filter(reachable).all(|n| n.leader_id() == lid);
                if settled {
                    return Some(l);
                }
            }
            if self.now_ms() >= deadline {
                return None;
            }
            self.advance((deadline - self.now_ms()).min(10));
        }
    }
}

/// The console runs in the playground: its waits let the other clients run, and it uses the
/// playground's files, restored data dirs, announced members and streams.
impl crate::ctl::Host for World {
    fn call(&mut self, member: usize, request: Request, timeout_ms: u64) -> ServerResult {
        World::call(self, member, request, timeout_ms)
    }
    fn run_next_event(&mut self, limit_ms: u64) -> bool {
        World::run_next_event(self, limit_ms)
    }
    fn advance(&mut self, ms: u64) {
        World::advance(self, ms)
    }
    fn advance_to(&mut self, target_ms: u64) {
        World::advance_to(self, target_ms)
    }
    fn move_leader(&mut self, member: usize, target: u64, timeout_ms: u64) -> Result<(), ServerError> {
        World::move_leader(self, member, target, timeout_ms)
    }
    fn write_file(&mut self, path: &str, bytes: Vec<u8>) {
        World::write_file(self, path, bytes)
    }
    fn read_file(&self, path: &str) -> Option<&[u8]> {
        World::read_file(self, path)
    }
    fn restored_dir(&self, path: &str) -> Option<&RestoredDir> {
        World::restored_dir(self, path)
    }
    fn create_restored_dir(&mut self, path: &str, dir: RestoredDir) {
        World::create_restored_dir(self, path, dir)
    }
    fn announce_member(&mut self, name: &str, id: u64) {
        World::announce_member(self, name, id)
    }
    fn start_stream(&mut self, stream: Stream) -> u64 {
        World::start_stream(self, stream)
    }
    fn streams(&self) -> &BTreeMap<u64, Stream> {
        World::streams(self)
    }
}
