//! Read-only views of the world's inner life for the page: messages in flight on the network, each
//! member's Raft state (as `etcdctl endpoint status` cannot show it) and its log. Plain data, copied out,
//! so a view never borrows the world while an event handler mutates it.

use super::network::InFlight;
use super::Cluster;
use crate::raftnode::TICK_MS;
use crate::trace::Role;
use raft::prelude::{EntryType, Message, MessageType};
use std::collections::BTreeMap;

/// A Raft message on its way between two members.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageView {
    /// The network's sequence number for it: stable while it is in flight, and what
    /// [`Action::DropMessage`](crate::Action::DropMessage) names.
    pub id: u64,
    pub from: String,
    pub to: String,
    /// raft-rs's name for it, e.g. `MsgAppend`, `MsgHeartbeat`, `MsgRequestPreVote`, `MsgSnapshot`.
    pub kind: &'static str,
    pub term: u64,
    /// For appends: the index the entries follow, and how many there are.
    pub index: u64,
    /// The term of the entry at `index` (what the follower's log must match).
    pub log_term: u64,
    pub entries: usize,
    /// The sender's commit index.
    pub commit: u64,
    /// For responses: whether the receiver rejected it.
    pub reject: bool,
    pub sent_at_ms: u64,
    pub deliver_at_ms: u64,
}

/// The messages in flight, bounded for the page: the oldest sent, and counts of them all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InFlightView {
    /// At most the limit asked for, oldest sent first.
    pub shown: Vec<MessageView>,
    pub total: usize,
    /// How many of each kind, most frequent first (ties by name).
    pub by_kind: Vec<(&'static str, usize)>,
}

/// What the leader knows of one follower's log (raft-rs's `Progress`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerProgress {
    pub id: u64,
    pub matched: u64,
    pub next: u64,
    /// `Probe`, `Replicate` or `Snapshot`.
    pub state: String,
}

/// One member's Raft state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RaftView {
    pub role: Role,
    pub term: u64,
    pub vote: u64,
    pub commit: u64,
    pub applied: u64,
    pub first_index: u64,
    pub last_index: u64,
    /// Index of the newest snapshot on disk (the compacted prefix ends here).
    pub snapshot_index: u64,
    /// Entries written but not yet fsynced.
    pub unsynced: u64,
    /// Filled on the leader only.
    pub progress: Vec<PeerProgress>,
}

/// One entry of a member's Raft log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryView {
    pub index: u64,
    pub term: u64,
    /// `normal`, `empty` (a new leader's first entry) or `conf change`.
    pub kind: &'static str,
    pub committed: bool,
}

/// The timer a member's ticks run down, in simulated ms: a follower's or candidate's election timer
/// (raft-rs's `election_elapsed` against its randomized timeout), or the leader's heartbeat timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimerView {
    pub heartbeat: bool,
    /// How much of the timeout has run: the timer fires when this reaches `timeout_ms`.
    pub elapsed_ms: u64,
    pub timeout_ms: u64,
}

impl TimerView {
    /// "election timer 600 of 1300 ms", the text alternative of its arc.
    pub fn describe(&self) -> String {
        let which = if self.heartbeat { "heartbeat" } else { "election" };
        format!("{which} timer {} of {} ms", self.elapsed_ms, self.timeout_ms)
    }
}

/// A campaigning member's count of (pre-)votes, its own included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tally {
    /// A PreVote round (etcd's `--pre-vote`): nobody's term changes until it wins.
    pub pre: bool,
    pub granted: usize,
    pub rejected: usize,
    pub voters: usize,
}

/// One member's part in the election under way, if any.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ElectionView {
    /// On a candidate or pre-candidate: its tally.
    pub tally: Option<Tally>,
    /// On a voter: the member it granted its (pre-)vote to, and whether it was a pre-vote.
    pub granted_to: Option<(String, bool)>,
}

/// The newest (pre-)vote a member granted: to whom, for which term. A pre-vote names the term the
/// candidate would campaign at, one above its current term.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VoteGrant {
    to: u64,
    pre: bool,
    term: u64,
}

/// raft-rs's name of a message type.
pub fn message_kind(t: MessageType) -> &'static str {
    match t {
        MessageType::MsgAppend => "MsgAppend",
        MessageType::MsgAppendResponse => "MsgAppendResponse",
        MessageType::MsgHeartbeat => "MsgHeartbeat",
        MessageType::MsgHeartbeatResponse => "MsgHeartbeatResponse",
        MessageType::MsgRequestVote => "MsgRequestVote",
        MessageType::MsgRequestVoteResponse => "MsgRequestVoteResponse",
        MessageType::MsgRequestPreVote => "MsgRequestPreVote",
        MessageType::MsgRequestPreVoteResponse => "MsgRequestPreVoteResponse",
        MessageType::MsgSnapshot => "MsgSnapshot",
        MessageType::MsgTimeoutNow => "MsgTimeoutNow",
        MessageType::MsgReadIndex => "MsgReadIndex",
        MessageType::MsgReadIndexResp => "MsgReadIndexResp",
        MessageType::MsgTransferLeader => "MsgTransferLeader",
        _ => "MsgOther",
    }
}

impl Cluster {
    pub(super) fn name_of(&self, id: u64) -> String {
        self.nodes.iter().find(|n| n.id == id).map_or_else(|| format!("{id:x}"), |n| n.name.clone())
    }

    /// Every message on the network, oldest sent first.
    pub fn messages_in_flight(&self) -> Vec<MessageView> {
        self.in_flight_view(usize::MAX).shown
    }

    /// The messages on the network as the page shows them: the `limit` oldest sent (a congested network
    /// may hold up to [`MAX_IN_FLIGHT`](super::network::MAX_IN_FLIGHT), and only these are copied out),
    /// and how many of each kind there are in all.
    pub fn in_flight_view(&self, limit: usize) -> InFlightView {
        let mut all: Vec<&InFlight> = self.network.in_flight_messages().collect();
        let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
        for m in &all {
            *counts.entry(message_kind(m.msg.get_msg_type())).or_default() += 1;
        }
        let mut by_kind: Vec<(&'static str, usize)> = counts.into_iter().collect();
        by_kind.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let total = all.len();
        if limit < all.len() {
            all.select_nth_unstable_by_key(limit, |m| (m.sent_at_ms, m.deliver_at_ms, m.seq));
            all.truncate(limit);
        }
        all.sort_by_key(|m| (m.sent_at_ms, m.deliver_at_ms, m.seq));
        let shown = all.into_iter().map(|m| self.message_view(m)).collect();
        InFlightView { shown, total, by_kind }
    }

    /// The newest `limit` messages sent, delivered or not, oldest first (see [`Sent`](super::network::Sent)).
    pub fn recent_messages_view(&self, limit: usize) -> Vec<MessageView> {
        let recent = self.network.recent_sent();
        let skip = recent.len().saturating_sub(limit);
        recent.skip(skip).map(|s| MessageView { entries: s.entries, ..self.message_view(&s.head) }).collect()
    }

    fn message_view(&self, m: &InFlight) -> MessageView {
        MessageView {
            id: m.seq,
            from: self.name_of(m.msg.from),
            to: self.name_of(m.msg.to),
            kind: message_kind(m.msg.get_msg_type()),
            term: m.msg.term,
            index: m.msg.index,
            log_term: m.msg.log_term,
            entries: m.msg.entries.len(),
            commit: m.msg.commit,
            reject: m.msg.reject,
            sent_at_ms: m.sent_at_ms,
            deliver_at_ms: m.deliver_at_ms,
        }
    }

    /// Member `i`'s running timer, or None while it is down. The timer fires on the tick that brings it
    /// to its timeout, so what is left is the whole ticks still to come plus the time to the next tick:
    /// exact in ms although raft-rs counts ticks.
    pub fn timer_view(&self, i: usize) -> Option<TimerView> {
        let n = &self.nodes[i];
        let (heartbeat, elapsed_ticks, timeout_ticks) = n.timer_ticks()?;
        let to_next_tick_ms = n.next_tick_ms.saturating_sub(self.now_ms).min(TICK_MS);
        let left_ms = timeout_ticks.saturating_sub(elapsed_ticks + 1) * TICK_MS + to_next_tick_ms;
        let timeout_ms = timeout_ticks * TICK_MS;
        Some(TimerView { heartbeat, elapsed_ms: timeout_ms.saturating_sub(left_ms), timeout_ms })
    }

    /// Records a granted (pre-)vote as it leaves its voter, so the page can say who voted for whom.
    pub(super) fn note_vote_grant(&mut self, msg: &Message) {
        let pre = match msg.get_msg_type() {
            MessageType::MsgRequestVoteResponse => false,
            MessageType::MsgRequestPreVoteResponse => true,
            _ => return,
        };
        if !msg.reject {
            self.vote_grants.insert(msg.from, VoteGrant { to: msg.to, pre, term: msg.term });
        }
    }

    /// Member `i`'s part in the election under way: a candidate's tally, or the (pre-)vote a voter
    /// granted, shown while its candidate still campaigns for that term or, for a real vote, until the
    /// voter hears from the new leader.
    pub fn election_view(&self, i: usize) -> ElectionView {
        let n = &self.nodes[i];
        let tally = n.vote_tally().map(|(granted, rejected, voters)| Tally {
            pre: n.role() == Role::PreCandidate,
            granted,
            rejected,
            voters,
        });
        let granted_to =
            self.vote_grants.get(&n.id).filter(|g| self.grant_is_live(i, g)).map(|g| (self.name_of(g.to), g.pre));
        ElectionView { tally, granted_to }
    }

    fn grant_is_live(&self, voter: usize, g: &VoteGrant) -> bool {
        let v = &self.nodes[voter];
        let campaigning = self.nodes.iter().find(|c| c.id == g.to).is_some_and(|c| {
            matches!(c.role(), Role::Candidate | Role::PreCandidate)
                && (c.term() == g.term || (g.pre && c.term() + 1 == g.term))
        });
        let awaiting_leader = !g.pre && v.is_up() && v.term() == g.term && v.leader_id() == 0;
        campaigning || awaiting_leader
    }

    /// Member `i`'s Raft state.
    pub fn raft_view(&self, i: usize) -> RaftView {
        let n = &self.nodes[i];
        let core = n.disk.core();
        RaftView {
            role: n.role(),
            term: n.term(),
            vote: n.vote(),
            commit: n.commit_index(),
            applied: n.server.applied_index,
            first_index: core.written.first_index(),
            last_index: n.last_index(),
            snapshot_index: core.written.snapshot.get_metadata().index,
            unsynced: core.written.last_index().saturating_sub(core.durable.last_index()),
            progress: n
                .progress()
                .into_iter()
                .map(|(id, matched, next, state)| PeerProgress { id, matched, next, state })
                .collect(),
        }
    }

    /// Member `i`'s newest `limit` log entries, as its disk holds them (the Raft panel's log tail).
    pub fn log_tail_view(&self, i: usize, limit: usize) -> Vec<EntryView> {
        let last = self.nodes[i].last_index();
        let from = last.saturating_sub((limit as u64).saturating_sub(1)).max(1);
        self.log_view(i, from, limit)
    }

    /// Member `i`'s log entries from index `from` (at most `limit`), as its disk holds them. The entries are
    /// consecutive, so this skips to `from` instead of walking a log that holds up to `--snapshot-count`
    /// entries: the page reads the tail of every member's log every tick.
    pub fn log_view(&self, i: usize, from: u64, limit: usize) -> Vec<EntryView> {
        let n = &self.nodes[i];
        let commit = n.commit_index();
        let core = n.disk.core();
        let entries = &core.written.entries;
        let skip = entries.first().map_or(0, |e| from.saturating_sub(e.index) as usize).min(entries.len());
        debug_assert!(entries[skip..].first().is_none_or(|e| e.index >= from), "entries are consecutive");
        entries[skip..]
            .iter()
            .take(limit)
            .map(|e| EntryView {
                index: e.index,
                term: e.term,
                kind: match e.get_entry_type() {
                    EntryType::EntryNormal if e.data.is_empty() => "empty",
                    EntryType::EntryNormal => "normal",
                    _ => "conf change",
                },
                committed: e.index <= commit,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::{Action, Role, World, WorldConfig};

    /// Runs the next simulated moment to its end, as the page's Step does.
    fn step(w: &mut World) {
        assert!(w.run_next_event(u64::MAX), "something is always scheduled while members run");
        let now = w.now_ms();
        w.advance_to(now);
    }

    #[test]
    fn a_follower_timer_resets_on_heartbeats_and_fills_up_before_its_election() {
        let mut w = World::new(WorldConfig::demo(3, 4));
        let l = w.wait_for_leader(10_000).expect("leader");
        let leader_timer = w.timer_view(l).expect("up");
        assert!(leader_timer.heartbeat && leader_timer.timeout_ms == 100, "{leader_timer:?}");
        let f = (l + 1) % 3;
        let mut seen = Vec::new();
        for _ in 0..400 {
            w.advance(1);
            seen.push(w.timer_view(f).expect("up"));
        }
        assert!(seen.iter().all(|t| !t.heartbeat && t.elapsed_ms < t.timeout_ms && t.timeout_ms >= 1000), "{seen:?}");
        assert!(seen.windows(2).any(|p| p[1].elapsed_ms > p[0].elapsed_ms), "it advances");
        assert!(seen.windows(2).any(|p| p[1].elapsed_ms < p[0].elapsed_ms), "heartbeats reset it");
        assert!(seen.iter().all(|t| t.elapsed_ms <= 300), "never near its timeout while the leader lives");
        assert_eq!(seen[0].describe(), format!("election timer {} of {} ms", seen[0].elapsed_ms, seen[0].timeout_ms));

        let leader = w.nodes()[l].name.clone();
        w.apply(Action::Kill { member: leader });
        assert_eq!(w.timer_view(l), None, "a dead member has no timer");
        let mut last = Vec::new();
        for _ in 0..3_000 {
            w.advance(1);
            if w.nodes().iter().any(|n| n.role != Role::Follower && n.role != Role::Down) {
                break;
            }
            last.push((0..3).filter_map(|i| w.timer_view(i)).map(|t| t.elapsed_ms).max().unwrap_or(0));
        }
        assert!(last.windows(2).all(|p| p[1] >= p[0]), "no heartbeat resets it once the leader is gone");
        assert!(
            last.last().is_some_and(|&ms| ms >= 990),
            "the timer was full when the election began: {:?}",
            last.last()
        );
    }

    #[test]
    fn dropping_a_message_removes_exactly_it_and_replays() {
        let config = || WorldConfig::demo(3, 6);
        let mut w = World::new(config());
        w.wait_for_leader(10_000).expect("leader");
        w.apply(Action::Etcdctl { line: "put k v".into(), stdin: None });
        while w.messages_in_flight().len() < 2 {
            step(&mut w);
        }
        let before = w.messages_in_flight();
        let victim = before[before.len() - 1].clone();
        let out = w.apply(Action::DropMessage { id: victim.id });
        assert_eq!(out.exit_code, 0, "{out:?}");
        let after = w.messages_in_flight();
        let expected: Vec<_> = before.iter().filter(|m| m.id != victim.id).cloned().collect();
        assert_eq!(after, expected, "exactly that message is gone");
        let last = w.trace().records().last().expect("traced").event.to_string();
        assert_eq!(last, format!("the visitor dropped {}'s {} to {}", victim.from, victim.kind, victim.to));
        assert_eq!(w.apply(Action::DropMessage { id: victim.id }).exit_code, 1, "it is not in flight any more");
        w.advance(2_000);

        let mut again = World::replay(config(), w.actions());
        again.advance_to(w.now_ms());
        assert_eq!(again.nodes(), w.nodes());
        assert_eq!(again.messages_in_flight(), w.messages_in_flight());
        let texts = |w: &World| w.trace().records().map(|r| r.event.to_string()).collect::<Vec<_>>();
        assert_eq!(texts(&again), texts(&w));
    }

    #[test]
    fn votes_are_shown_while_an_election_runs() {
        let mut w = World::new(WorldConfig::demo(3, 8));
        let l = w.wait_for_leader(10_000).expect("leader");
        assert!((0..3).all(|i| w.election_view(i) == Default::default()), "no election under way");
        let old = w.nodes()[l].name.clone();
        w.apply(Action::Kill { member: old.clone() });
        let (mut tallies, mut grants) = (Vec::new(), Vec::new());
        let winner = loop {
            step(&mut w);
            for i in 0..3 {
                let e = w.election_view(i);
                tallies.extend(e.tally.map(|t| (w.nodes()[i].name.clone(), t)));
                grants.extend(e.granted_to.map(|g| (w.nodes()[i].name.clone(), g)));
            }
            if let Some(n) = w.leader().filter(|&n| n != l) {
                break w.nodes()[n].name.clone();
            }
            assert!(w.now_ms() < 20_000, "a new leader within 20 s");
        };
        assert!(tallies.iter().any(|(c, t)| *c == winner && t.pre && t.granted >= 1 && t.voters == 3), "{tallies:?}");
        assert!(tallies.iter().any(|(c, t)| *c == winner && !t.pre), "{tallies:?}");
        assert!(tallies.iter().all(|(_, t)| t.granted + t.rejected <= t.voters), "{tallies:?}");
        let voter = grants.iter().find(|(_, (to, pre))| *to == winner && !pre).expect("a real vote shown");
        assert!(voter.0 != winner && voter.0 != old, "{grants:?}");
        assert!(grants.iter().any(|(_, (to, pre))| *to == winner && *pre), "a pre-vote shown: {grants:?}");
        w.advance(500);
        assert!((0..3).all(|i| w.election_view(i) == Default::default()), "the election is over");
    }

    #[test]
    fn views_show_the_leader_progress_the_log_and_messages() {
        let mut w = World::new(WorldConfig::demo(3, 2));
        let l = w.wait_for_leader(10_000).expect("leader");
        w.apply(Action::Etcdctl { line: "put k v".into(), stdin: None });
        w.advance(20);
        let raft = w.raft_view(l);
        assert_eq!(raft.progress.len(), 3, "the leader tracks every voter (itself included)");
        assert!(raft.progress.iter().all(|p| p.matched == raft.last_index), "{raft:?}");
        let log = w.log_view(l, 1, 100);
        assert_eq!(log.first().map(|e| e.kind), Some("empty"), "a new leader's first entry");
        assert!(log.iter().any(|e| e.kind == "normal" && e.committed));
        let first = log[0].index;
        assert_eq!(w.log_view(l, first + 1, 1), log[1..2].to_vec(), "from an index in the middle");
        assert_eq!(w.log_tail_view(l, 1), log[log.len() - 1..].to_vec(), "the newest one");
        w.advance(95);
        while w.messages_in_flight().len() < 2 {
            step(&mut w);
        }
        let msgs = w.messages_in_flight();
        let bounded = w.in_flight_view(1);
        assert_eq!(bounded.total, msgs.len());
        assert_eq!(bounded.shown, msgs.iter().take(1).cloned().collect::<Vec<_>>(), "the oldest sent");
        assert_eq!(bounded.by_kind.iter().map(|(_, n)| n).sum::<usize>(), msgs.len());
        assert!(msgs.iter().all(|m| m.deliver_at_ms >= m.sent_at_ms && m.deliver_at_ms >= w.now_ms()), "{msgs:?}");
    }
}
