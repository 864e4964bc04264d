//! Long-running etcdctl commands (`watch`, `lease keep-alive`): they keep printing as the cluster changes
//! until they are interrupted (Ctrl-C in the page, a timeout in the reference harness) or end by
//! themselves. The world owns running streams and polls them after every simulated event, so their
//! output is as deterministic as everything else.

use super::client::Format;
use super::exit;
use super::watch;
use super::Host;
use crate::ctl::Outcome;
use crate::server::api::{Request, Response, ServerError};
use crate::server::watch::Watcher;
use crate::sim::Cluster;

/// How long a keep-alive waits before retrying when no leader answers.
const KEEP_ALIVE_RETRY_MS: u64 = 500;

/// A running command and what it printed that nobody has read yet.
#[derive(Clone, Debug)]
pub struct Stream {
    /// The console line that started it.
    pub line: String,
    pub out: Outcome,
    pub finished: bool,
    /// Members the client may talk to, in `--endpoints` order; it fails over to the next one up.
    endpoints: Vec<usize>,
    member: Option<usize>,
    pub(crate) format: Format,
    pub(crate) hex: bool,
    kind: Kind,
}

#[derive(Clone, Debug)]
enum Kind {
    Watch { watchers: Vec<Watcher> },
    KeepAlive { lease: i64, next_ms: u64 },
    Concurrency(super::concurrency::Recipe),
}

impl Stream {
    fn new(line: String, endpoints: Vec<usize>, format: Format, hex: bool, kind: Kind) -> Stream {
        Stream { line, out: Outcome::default(), finished: false, endpoints, member: None, format, hex, kind }
    }

    pub fn watch(line: String, endpoints: Vec<usize>, format: Format, hex: bool, watchers: Vec<Watcher>) -> Stream {
        Stream::new(line, endpoints, format, hex, Kind::Watch { watchers })
    }

    pub fn keep_alive(line: String, endpoints: Vec<usize>, format: Format, lease: i64) -> Stream {
        Stream::new(line, endpoints, format, false, Kind::KeepAlive { lease, next_ms: 0 })
    }

    pub fn concurrency(
        line: String,
        endpoints: Vec<usize>,
        format: Format,
        hex: bool,
        recipe: super::concurrency::Recipe,
    ) -> Stream {
        Stream::new(line, endpoints, format, hex, Kind::Concurrency(recipe))
    }

    /// When the stream next needs the clock (keep-alives are periodic; watches follow events).
    pub fn wake_ms(&self) -> Option<u64> {
        match &self.kind {
            _ if self.finished => None,
            Kind::KeepAlive { next_ms, .. } => Some(*next_ms),
            Kind::Concurrency(r) => super::concurrency::wake_ms(r),
            Kind::Watch { .. } => None,
        }
    }

    /// For a running watch: the member serving it and how many of its watchers are live (what that
    /// member's `etcd_debugging_mvcc_watcher_total` counts). None for other commands or a finished watch.
    pub fn watching(&self) -> Option<(usize, usize)> {
        match &self.kind {
            Kind::Watch { watchers } if !self.finished => {
                self.member.map(|m| (m, watchers.iter().filter(|w| !w.canceled).count()))
            }
            _ => None,
        }
    }

    /// For a running watch: the member serving it (None while no endpoint is up) and its live watchers,
    /// for the Watches panel. None for other commands or a finished watch.
    pub fn watchers(&self) -> Option<(Option<usize>, impl Iterator<Item = &Watcher>)> {
        match &self.kind {
            Kind::Watch { watchers } if !self.finished => Some((self.member, watchers.iter().filter(|w| !w.canceled))),
            _ => None,
        }
    }

    /// Cleans up when the command is stopped (a lock is released, a candidate resigns).
    pub fn stop(&mut self, world: &mut dyn Host) {
        let member = self.serving_member(world);
        if let (Kind::Concurrency(r), Some(m)) = (&self.kind, member) {
            super::concurrency::release(world, m, r);
        }
    }

    /// The member serving the stream: the current one while it is up, else the first live endpoint
    /// (clientv3 reconnects and resumes from where it was).
    fn serving_member(&mut self, world: &Cluster) -> Option<usize> {
        let up = |i: &usize| world.node(*i).is_up();
        if !self.member.as_ref().is_some_and(up) {
            self.member = self.endpoints.iter().copied().find(|i| up(i));
        }
        self.member
    }

    /// Prints whatever happened since the last poll.
    /// Prints what happened since the last poll. Reads the cluster only (no waiting), so the world can
    /// poll every stream in place after each moment.
    pub fn poll(&mut self, world: &mut Cluster) {
        if self.finished {
            return;
        }
        let Some(m) = self.serving_member(world) else { return };
        match &mut self.kind {
            Kind::Watch { watchers } => {
                let mut text = Outcome::default();
                let ended = watch::poll_watchers(world, m, watchers, self.format, self.hex, &mut text);
                self.append(text);
                if ended {
                    self.finish(exit::INTERRUPTED);
                }
            }
            Kind::Concurrency(recipe) => {
                let (text, ended) = super::concurrency::poll(world, m, recipe, self.hex);
                self.out.stdout.push_str(&text);
                if ended {
                    self.finish(exit::ERROR);
                }
            }
            Kind::KeepAlive { lease, next_ms } => {
                if world.now_ms() < *next_ms {
                    return;
                }
                let lease = *lease;
                match world.serve_by_leader(m, &Request::LeaseKeepAlive { id: lease }) {
                    Some(Ok(Response::LeaseKeepAlive { header, id, ttl_s })) => {
                        *next_ms = world.now_ms() + (ttl_s.max(1) as u64 * 1000) / 3;
                        let text = super::lease::keep_alive_text(self.format, &header, id, ttl_s);
                        self.out.stdout.push_str(&text);
                    }
                    Some(Err(ServerError::LeaseNotFound)) | Some(Ok(_)) | Some(Err(_)) => {
                        if self.format == Format::Simple {
                            self.out.stdout.push_str(&format!("lease {lease:016x} expired or revoked.\n"));
                        }
                        self.finish(0);
                    }
                    None => *next_ms = world.now_ms() + KEEP_ALIVE_RETRY_MS,
                }
            }
        }
    }

    fn append(&mut self, o: Outcome) {
        self.out.stdout.push_str(&o.stdout);
        self.out.stderr.push_str(&o.stderr);
    }

    /// Ends the stream with `exit_code`.
    pub fn finish(&mut self, exit_code: i32) {
        if !self.finished {
            self.finished = true;
            self.out.exit_code = exit_code;
        }
    }

    /// Takes the output printed so far.
    pub fn take_output(&mut self) -> Outcome {
        let code = self.out.exit_code;
        let mut o = std::mem::take(&mut self.out);
        self.out.exit_code = code;
        o.stream = None;
        o
    }
}
