//! The loader: kube-apiserver creating a keyspace of [`Shape`] objects, a pipelining client that keeps up
//! to [`LOAD_IN_FLIGHT`] creates in flight, each `If(mod_revision(key) == 0) Then(Put)`.

use super::shape::Shape;
use super::{create, Answer, InFlight, REQUEST_TIMEOUT_MS};
use crate::sim::Cluster;

/// Creates the loader submits per simulated millisecond: 2,000 objects a simulated second, a busy
/// kube-apiserver's write rate. It bounds the work of a page tick: a create costs about 0.2 ms of real
/// time natively (measured: 100,000 objects in about 20 s on the shared 2-core machine, most of it copying
/// values through proposals, logs and snapshots), so a 50 ms tick at 1x loads 100 objects in about 20 ms.
const LOAD_PER_MS: usize = 2;
/// Requests the loader keeps in flight at most (a pipelining gRPC client).
const LOAD_IN_FLIGHT: usize = 500;

/// A load under way or done.
#[derive(Clone, Debug)]
pub(super) struct Loader {
    pub(super) shape: Shape,
    /// The next object to submit.
    pub(super) next: u64,
    pub(super) next_ms: u64,
    pub(super) in_flight: InFlight,
    pub(super) created: u64,
    pub(super) existed: u64,
    pub(super) failed: u64,
    pub(super) last_error: Option<String>,
    pub(super) started_ms: u64,
    pub(super) finished_ms: Option<u64>,
}

impl Loader {
    pub(super) fn new(shape: Shape, now_ms: u64) -> Loader {
        Loader {
            shape,
            next: 0,
            next_ms: now_ms,
            in_flight: InFlight::default(),
            created: 0,
            existed: 0,
            failed: 0,
            last_error: None,
            started_ms: now_ms,
            finished_ms: None,
        }
    }

    /// Collects answers, then submits up to the next creates, to the leader as kube-apiserver would.
    pub(super) fn poll(&mut self, cluster: &mut Cluster) {
        for answer in self.in_flight.collect(cluster) {
            match answer {
                Answer::Done => self.created += 1,
                Answer::Conflict => self.existed += 1,
                Answer::Failed(e) => {
                    self.failed += 1;
                    self.last_error = Some(e);
                }
            }
        }
        if cluster.now_ms() < self.next_ms {
            return;
        }
        self.next_ms = cluster.now_ms() + 1;
        // Like a client whose endpoints have no leader, the loader waits for one.
        if let Some(leader) = cluster.leader() {
            let room = LOAD_IN_FLIGHT.saturating_sub(self.in_flight.len()).min(LOAD_PER_MS);
            for _ in 0..room {
                if self.next >= self.shape.total {
                    break;
                }
                let (kind, j) = self.shape.object_at(self.next);
                self.next += 1;
                let request = create(self.shape.key(kind, j), self.shape.value(kind, j, cluster.now_ms()), 0);
                match cluster.submit(leader, request) {
                    Ok(id) => self.in_flight.push(id, cluster.now_ms() + REQUEST_TIMEOUT_MS),
                    Err(e) => {
                        self.failed += 1;
                        self.last_error = Some(e.to_string());
                    }
                }
            }
        }
        if self.next >= self.shape.total && self.in_flight.len() == 0 {
            self.finished_ms = Some(cluster.now_ms());
        }
    }
}
