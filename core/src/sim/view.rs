//! Read-only views of the world's inner life for the page: messages in flight on the network, each
//! member's Raft state (as `etcdctl endpoint status` cannot show it) and its log. Plain data, copied out,
//! so a view never borrows the world while an event handler mutates it.

use super::World;
use crate::trace::Role;
use raft::prelude::{EntryType, MessageType};

/// A Raft message on its way between two members.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageView {
    pub from: String,
    pub to: String,
    /// raft-rs's name for it, e.g. `MsgAppend`, `MsgHeartbeat`, `MsgRequestPreVote`, `MsgSnapshot`.
    pub kind: &'static str,
    pub term: u64,
    /// For appends: the index the entries follow, and how many there are.
    pub index: u64,
    pub entries: usize,
    /// For responses: whether the receiver rejected it.
    pub reject: bool,
    pub sent_at_ms: u64,
    pub deliver_at_ms: u64,
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

/// raft-rs's name of a message type.
fn kind(t: MessageType) -> &'static str {
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

impl World {
    fn name_of(&self, id: u64) -> String {
        self.nodes.iter().find(|n| n.id == id).map_or_else(|| format!("{id:x}"), |n| n.name.clone())
    }

    /// Every message on the network, oldest sent first.
    pub fn messages_in_flight(&self) -> Vec<MessageView> {
        let mut out: Vec<MessageView> = self
            .network
            .in_flight_messages()
            .map(|m| MessageView {
                from: self.name_of(m.msg.from),
                to: self.name_of(m.msg.to),
                kind: kind(m.msg.get_msg_type()),
                term: m.msg.term,
                index: m.msg.index,
                entries: m.msg.entries.len(),
                reject: m.msg.reject,
                sent_at_ms: m.sent_at_ms,
                deliver_at_ms: m.deliver_at_ms,
            })
            .collect();
        out.sort_by_key(|m| (m.sent_at_ms, m.deliver_at_ms));
        out
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

    /// Member `i`'s log entries from index `from` (at most `limit`), as its disk holds them.
    pub fn log_view(&self, i: usize, from: u64, limit: usize) -> Vec<EntryView> {
        let n = &self.nodes[i];
        let commit = n.commit_index();
        let core = n.disk.core();
        core.written
            .entries
            .iter()
            .filter(|e| e.index >= from)
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
    use crate::{Action, World, WorldConfig};

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
        w.advance(95);
        let msgs = w.messages_in_flight();
        assert!(msgs.iter().all(|m| m.deliver_at_ms >= m.sent_at_ms && m.deliver_at_ms >= w.now_ms()), "{msgs:?}");
    }
}
