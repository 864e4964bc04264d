//! The network between members: every Raft message is delayed by a latency drawn from the world's RNG
//! and delivered in time order. Partitions cut links between groups; a message on a cut link, or to a
//! member that is down on arrival, is lost, as a TCP stream between etcd peers would be.

use super::rng::SimRng;
use raft::prelude::Message;
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

/// At most this many messages in flight; beyond it new messages are dropped (a full send buffer).
pub const MAX_IN_FLIGHT: usize = 100_000;

/// Peer links carry 1 Gbit/s: a snapshot takes its size over this many bytes per millisecond to send.
pub const BYTES_PER_MS: u64 = 125_000;

/// What became of a message due now.
#[derive(Clone, Debug)]
pub enum Delivery {
    Arrived(Message),
    /// Its link was cut while it was in flight.
    Lost(Message),
}

/// One-way latency of a link, uniform in `[min_ms, max_ms]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Latency {
    pub min_ms: u64,
    pub max_ms: u64,
}

impl Default for Latency {
    /// A LAN: 1-3 ms one way.
    fn default() -> Self {
        Latency { min_ms: 1, max_ms: 3 }
    }
}

/// Faults on one link (both directions): its own latency and jitter, and a loss probability.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinkFault {
    pub latency_ms: u64,
    pub jitter_ms: u64,
    /// Probability (0.0..=1.0) that a message on the link is lost.
    pub loss: f64,
}

/// A message on its way, ordered by delivery time then send order.
#[derive(Clone, Debug)]
pub struct InFlight {
    pub deliver_at_ms: u64,
    pub seq: u64,
    pub msg: Message,
}

impl PartialEq for InFlight {
    fn eq(&self, other: &Self) -> bool {
        (self.deliver_at_ms, self.seq) == (other.deliver_at_ms, other.seq)
    }
}
impl Eq for InFlight {}
impl PartialOrd for InFlight {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for InFlight {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.deliver_at_ms, self.seq).cmp(&(other.deliver_at_ms, other.seq))
    }
}

#[derive(Clone, Debug, Default)]
pub struct Network {
    pub latency: Latency,
    queue: BinaryHeap<Reverse<InFlight>>,
    next_seq: u64,
    /// Cut links as (lower id, higher id).
    cut: BTreeSet<(u64, u64)>,
    /// Links with their own latency or loss, as (lower id, higher id).
    faults: std::collections::BTreeMap<(u64, u64), LinkFault>,
    pub sent: u64,
    pub dropped: u64,
}

fn link(a: u64, b: u64) -> (u64, u64) {
    (a.min(b), a.max(b))
}

impl Network {
    /// Queues a message for delivery after a random latency (plus its transfer time, which matters
    /// for snapshots). Returns false when the message is lost at once.
    pub fn send(&mut self, msg: Message, now_ms: u64, rng: &mut SimRng) -> bool {
        self.sent += 1;
        if self.is_cut(msg.from, msg.to) || self.queue.len() >= MAX_IN_FLIGHT {
            self.dropped += 1;
            return false;
        }
        let delay = match self.faults.get(&link(msg.from, msg.to)) {
            Some(f) => {
                if f.loss > 0.0 && rng.chance(f.loss) {
                    self.dropped += 1;
                    return false;
                }
                let low = f.latency_ms.saturating_sub(f.jitter_ms);
                rng.range(low, f.latency_ms + f.jitter_ms + 1)
            }
            None => rng.range(self.latency.min_ms, self.latency.max_ms + 1),
        };
        let transfer = msg.get_snapshot().data.len() as u64 / BYTES_PER_MS;
        let seq = self.next_seq;
        self.next_seq += 1;
        self.queue.push(Reverse(InFlight { deliver_at_ms: now_ms + delay + transfer, seq, msg }));
        true
    }

    /// When the next message arrives, if any is in flight.
    pub fn next_due_ms(&self) -> Option<u64> {
        self.queue.peek().map(|Reverse(m)| m.deliver_at_ms)
    }

    /// Takes the next message due at or before `now_ms`; it is lost if its link was cut meanwhile.
    pub fn pop_due(&mut self, now_ms: u64) -> Option<Delivery> {
        if self.next_due_ms()? > now_ms {
            return None;
        }
        let Reverse(m) = self.queue.pop()?;
        if self.is_cut(m.msg.from, m.msg.to) {
            self.dropped += 1;
            return Some(Delivery::Lost(m.msg));
        }
        Some(Delivery::Arrived(m.msg))
    }

    pub fn is_cut(&self, a: u64, b: u64) -> bool {
        self.cut.contains(&link(a, b))
    }

    /// Whether anything sent from `a` can reach `b` (the link is neither cut nor losing everything).
    pub fn is_reachable(&self, a: u64, b: u64) -> bool {
        !self.is_cut(a, b) && self.faults.get(&link(a, b)).is_none_or(|f| f.loss < 1.0)
    }

    /// Cuts every link between members of different groups.
    pub fn partition(&mut self, groups: &[Vec<u64>]) {
        for (i, g) in groups.iter().enumerate() {
            for other in &groups[i + 1..] {
                for &a in g {
                    for &b in other {
                        self.cut.insert(link(a, b));
                    }
                }
            }
        }
    }

    /// Restores every link, cut or degraded.
    pub fn heal(&mut self) {
        self.cut.clear();
        self.faults.clear();
    }

    /// Gives the link between `a` and `b` its own latency, jitter and loss (`None` restores the default).
    pub fn set_link(&mut self, a: u64, b: u64, fault: Option<LinkFault>) {
        match fault {
            Some(f) => self.faults.insert(link(a, b), f),
            None => self.faults.remove(&link(a, b)),
        };
    }

    pub fn in_flight(&self) -> usize {
        self.queue.len()
    }
}
