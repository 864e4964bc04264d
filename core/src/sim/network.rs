//! The network between members: every Raft message is delayed by a latency drawn from the world's RNG
//! and delivered in time order. Partitions cut links between groups; a message on a cut link, or to a
//! member that is down on arrival, is lost, as a TCP stream between etcd peers would be.

use crate::rng::SimRng;
use raft::prelude::Message;
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, VecDeque};

/// At most this many messages in flight; beyond it new messages are dropped (a full send buffer).
pub const MAX_IN_FLIGHT: usize = 100_000;

/// How many of the newest messages sent the network remembers after they left it, for the page's slow
/// motion (which draws every message crossing its link, however fast it arrived).
pub const RECENT_SENT: usize = 128;

/// A message as it was sent, without its payload (entries, snapshot): what the page draws of it.
#[derive(Clone, Debug)]
pub struct Sent {
    pub head: InFlight,
    pub entries: usize,
}

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

/// Faults on one link (both directions): its own latency and jitter, and the probabilities that a
/// message is lost, delivered twice, or held back so that later ones overtake it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LinkFault {
    pub latency_ms: u64,
    pub jitter_ms: u64,
    /// Probability (0.0..=1.0) that a message on the link is lost.
    pub loss: f64,
    pub duplicate: f64,
    pub reorder: f64,
}

/// The whole-network profiles [`LinkFault::profile`] knows, by name.
pub const PROFILES: [&str; 4] = ["lan", "wan", "congested", "loopback"];

impl LinkFault {
    /// A whole-network profile by name: `lan` (the default, 1-3 ms), `wan` (members in different
    /// regions, 30-60 ms), or `congested` (a shared, overloaded network: slow, jittery, lossy, with
    /// duplicated and reordered messages), or `loopback` (every member on one machine, as a local test
    /// cluster runs: a message arrives within the millisecond it was sent, the clock's resolution).
    pub fn profile(name: &str) -> Option<Option<LinkFault>> {
        match name {
            "lan" => Some(None),
            "wan" => Some(Some(LinkFault { latency_ms: 45, jitter_ms: 15, ..Default::default() })),
            "congested" => {
                Some(Some(LinkFault { latency_ms: 40, jitter_ms: 35, loss: 0.02, duplicate: 0.01, reorder: 0.05 }))
            }
            "loopback" => Some(Some(LinkFault { latency_ms: 0, ..Default::default() })),
            _ => None,
        }
    }
}

impl LinkFault {
    /// One message's one-way latency on this link.
    fn delay(&self, rng: &mut SimRng) -> u64 {
        let low = self.latency_ms.saturating_sub(self.jitter_ms);
        rng.range(low, self.latency_ms + self.jitter_ms + 1)
    }
}

/// A message on its way, ordered by delivery time then send order.
#[derive(Clone, Debug)]
pub struct InFlight {
    pub sent_at_ms: u64,
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
    /// The fault every other link has (a network profile); None is a healthy LAN.
    pub profile: Option<LinkFault>,
    pub sent: u64,
    pub dropped: u64,
    /// The newest [`RECENT_SENT`] messages queued, oldest first.
    recent: VecDeque<Sent>,
}

/// A message's header fields alone (a copy without its entries, snapshot or context).
fn head_of(msg: &Message) -> Message {
    let mut head = Message::default();
    head.set_msg_type(msg.get_msg_type());
    head.from = msg.from;
    head.to = msg.to;
    head.term = msg.term;
    head.index = msg.index;
    head.log_term = msg.log_term;
    head.commit = msg.commit;
    head.reject = msg.reject;
    head
}

fn link(a: u64, b: u64) -> (u64, u64) {
    (a.min(b), a.max(b))
}

impl Network {
    /// Queues a message for delivery after a random latency, applying the link's faults. Returns false
    /// when the message is lost at once.
    pub fn send(&mut self, msg: Message, now_ms: u64, rng: &mut SimRng) -> bool {
        self.sent += 1;
        if self.is_cut(msg.from, msg.to) || self.queue.len() >= MAX_IN_FLIGHT {
            self.dropped += 1;
            return false;
        }
        let fault = self.faults.get(&link(msg.from, msg.to)).or(self.profile.as_ref()).copied();
        let Some(f) = fault else {
            let delay = rng.range(self.latency.min_ms, self.latency.max_ms + 1);
            self.enqueue(msg, now_ms, now_ms + delay);
            return true;
        };
        if f.loss > 0.0 && rng.chance(f.loss) {
            self.dropped += 1;
            return false;
        }
        // A proposal a follower forwards to its leader is not idempotent (a second copy is appended and
        // applied again); etcd's TCP transport never delivers a message twice, so proposals are not
        // duplicated, while Raft's own messages (appends, heartbeats, votes) tolerate duplicates.
        let idempotent = msg.get_msg_type() != raft::prelude::MessageType::MsgPropose;
        if idempotent && f.duplicate > 0.0 && rng.chance(f.duplicate) {
            let at = now_ms + f.delay(rng);
            self.enqueue(msg.clone(), now_ms, at);
        }
        let mut at = now_ms + f.delay(rng);
        if f.reorder > 0.0 && rng.chance(f.reorder) {
            // Held back long enough for messages sent after it to arrive first.
            at += rng.range(f.latency_ms + 1, 3 * f.latency_ms + 10);
        }
        self.enqueue(msg, now_ms, at);
        true
    }

    /// Queues a message sent at `sent_at_ms` to arrive at `at_ms`, plus its transfer time (which matters
    /// for snapshots).
    fn enqueue(&mut self, msg: Message, sent_at_ms: u64, at_ms: u64) {
        let transfer = msg.get_snapshot().data.len() as u64 / BYTES_PER_MS;
        let seq = self.next_seq;
        self.next_seq += 1;
        let deliver_at_ms = at_ms + transfer;
        if self.recent.len() == RECENT_SENT {
            self.recent.pop_front();
        }
        let head = InFlight { sent_at_ms, deliver_at_ms, seq, msg: head_of(&msg) };
        self.recent.push_back(Sent { head, entries: msg.entries.len() });
        self.queue.push(Reverse(InFlight { sent_at_ms, deliver_at_ms, seq, msg }));
    }

    /// The newest messages sent (delivered or not), oldest first.
    pub fn recent_sent(&self) -> impl DoubleEndedIterator<Item = &Sent> + ExactSizeIterator {
        self.recent.iter()
    }

    /// Messages on their way, in no particular order.
    pub fn in_flight_messages(&self) -> impl Iterator<Item = &InFlight> {
        self.queue.iter().map(|Reverse(m)| m)
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

    /// Removes the message with send sequence number `seq` (its stable id while in flight), as a loss:
    /// the visitor dropped it. Returns it, or None if it has arrived or was never sent.
    pub fn drop_message(&mut self, seq: u64) -> Option<Message> {
        let found = self.queue.iter().find(|Reverse(m)| m.seq == seq)?.0.msg.clone();
        self.queue.retain(|Reverse(m)| m.seq != seq);
        self.dropped += 1;
        Some(found)
    }

    pub fn is_cut(&self, a: u64, b: u64) -> bool {
        self.cut.contains(&link(a, b))
    }

    /// Whether anything sent from `a` can reach `b` (the link is neither cut nor losing everything).
    pub fn is_reachable(&self, a: u64, b: u64) -> bool {
        !self.is_cut(a, b) && self.faults.get(&link(a, b)).or(self.profile.as_ref()).is_none_or(|f| f.loss < 1.0)
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

    /// Restores every link, cut or degraded (the network profile stays: it is the network, not a fault).
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

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(from: u64, to: u64, index: u64) -> Message {
        Message { from, to, index, ..Default::default() }
    }

    fn drain(net: &mut Network) -> Vec<u64> {
        let mut out = Vec::new();
        while let Some(d) = net.pop_due(u64::MAX) {
            if let Delivery::Arrived(m) = d {
                out.push(m.index);
            }
        }
        out
    }

    #[test]
    fn a_duplicating_link_delivers_every_message_twice() {
        let mut net = Network::default();
        net.set_link(1, 2, Some(LinkFault { latency_ms: 5, duplicate: 1.0, ..Default::default() }));
        let mut rng = SimRng::new(3);
        for i in 0..10 {
            assert!(net.send(msg(1, 2, i), 0, &mut rng));
        }
        let mut got = drain(&mut net);
        got.sort();
        assert_eq!(got, (0..10).flat_map(|i| [i, i]).collect::<Vec<_>>());
    }

    #[test]
    fn a_reordering_link_lets_later_messages_overtake() {
        let mut net = Network::default();
        net.set_link(1, 2, Some(LinkFault { latency_ms: 5, reorder: 0.3, ..Default::default() }));
        let mut rng = SimRng::new(3);
        for i in 0..50 {
            net.send(msg(1, 2, i), i, &mut rng);
        }
        let got = drain(&mut net);
        assert_eq!(got.len(), 50);
        assert!(got.windows(2).any(|w| w[0] > w[1]), "some message arrives after a later one: {got:?}");
    }

    #[test]
    fn dropping_a_message_removes_exactly_that_one() {
        let mut net = Network::default();
        let mut rng = SimRng::new(3);
        for i in 0..5 {
            net.send(msg(1, 2, i), 0, &mut rng);
        }
        let third = net.in_flight_messages().find(|m| m.msg.index == 2).map(|m| m.seq).expect("in flight");
        assert_eq!(net.drop_message(third).map(|m| m.index), Some(2));
        assert_eq!(net.drop_message(third), None, "already gone");
        assert_eq!(net.dropped, 1);
        let mut got = drain(&mut net);
        got.sort();
        assert_eq!(got, [0, 1, 3, 4]);
    }

    #[test]
    fn a_profile_applies_to_links_without_their_own_fault() {
        let mut net = Network { profile: LinkFault::profile("wan").flatten(), ..Default::default() };
        let mut rng = SimRng::new(3);
        net.send(msg(1, 2, 0), 0, &mut rng);
        assert!(net.next_due_ms().is_some_and(|t| t >= 30), "a cross-region latency");
    }
}
