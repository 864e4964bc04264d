//! The world's trace: typed events, each stamped with simulated time, that the page narrates and that
//! replay tests compare. Bounded: the oldest events fall off past [`TRACE_LIMIT`].

use std::collections::VecDeque;
use std::fmt;

/// At most this many events are kept.
pub const TRACE_LIMIT: usize = 10_000;

/// Raft role of a member, or down when its process is stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Leader,
    Follower,
    Candidate,
    PreCandidate,
    Down,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Leader => "leader",
            Role::Follower => "follower",
            Role::Candidate => "candidate",
            Role::PreCandidate => "pre-candidate",
            Role::Down => "down",
        })
    }
}

/// Something observable that happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    RoleChanged {
        member: String,
        role: Role,
        term: u64,
    },
    Killed {
        member: String,
    },
    Restarted {
        member: String,
    },
    Partitioned {
        groups: Vec<Vec<String>>,
    },
    Healed,
    LinkChanged {
        a: String,
        b: String,
        latency_ms: u64,
        loss: String,
    },
    /// A member applied entries up to `index`; `revision` is its store revision after them.
    Applied {
        member: String,
        index: u64,
        revision: i64,
    },
    /// A client request finished (ok or with an error text).
    Answered {
        request: u64,
        member: String,
        outcome: String,
    },
    /// A console line that finished, as a terminal echoes it (`etcdctl put a 1`, `curl URL`).
    Etcdctl {
        line: String,
        exit_code: i32,
    },
    /// A console command that keeps running (watch, keep-alive, lock, elect), echoed.
    Started {
        line: String,
    },
    Paused {
        member: String,
    },
    Resumed {
        member: String,
    },
    /// A member applied its own removal from the cluster and stopped.
    Removed {
        member: String,
    },
    /// A member's data dir was deleted.
    Wiped {
        member: String,
    },
    /// A member's disk got a new fsync profile.
    DiskChanged {
        member: String,
        disk: String,
    },
    /// A member saved a snapshot of its store at `index` and compacted its Raft log behind it.
    SnapshotSaved {
        member: String,
        index: u64,
    },
    /// A leader sent its snapshot to a follower whose log was too far behind (Raft's InstallSnapshot).
    SnapshotSent {
        from: String,
        to: String,
        index: u64,
    },
    /// A follower replaced its store by the leader's snapshot.
    SnapshotInstalled {
        member: String,
        index: u64,
    },
    /// The unsafe teaching mode was turned on or off.
    UnsafeReads {
        on: bool,
    },
    /// The whole network changed profile (lan, wan, congested).
    NetworkProfile {
        profile: String,
    },
    /// The leader's auto-compactor proposed compacting history up to `revision`.
    AutoCompaction {
        member: String,
        revision: i64,
    },
    /// The visitor took a Raft message off the network before it arrived (`kind` is raft-rs's name).
    MessageDropped {
        from: String,
        to: String,
        kind: String,
    },
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::RoleChanged { member, role, term } => write!(f, "{member} became {role} at term {term}"),
            Event::Killed { member } => write!(f, "{member} was killed"),
            Event::Restarted { member } => write!(f, "{member} restarted"),
            Event::Partitioned { groups } => {
                let g: Vec<String> = groups.iter().map(|g| g.join(" ")).collect();
                write!(f, "network partitioned: {}", g.join(" | "))
            }
            Event::Healed => write!(f, "network healed"),
            Event::LinkChanged { a, b, latency_ms, loss } => {
                write!(f, "link {a} <-> {b} now has {latency_ms} ms latency and {loss} loss")
            }
            Event::Applied { member, index, revision } => {
                write!(f, "{member} applied up to index {index} (revision {revision})")
            }
            Event::Answered { request, member, outcome } => {
                write!(f, "request {request} answered by {member}: {outcome}")
            }
            Event::Etcdctl { line, exit_code } => write!(f, "{line} (exit {exit_code})"),
            Event::Started { line } => write!(f, "{line} (running)"),
            Event::Paused { member } => write!(f, "{member} was paused"),
            Event::Resumed { member } => write!(f, "{member} resumed"),
            Event::Removed { member } => write!(f, "{member} was removed from the cluster and stopped"),
            Event::Wiped { member } => write!(f, "{member}'s data dir was deleted"),
            Event::DiskChanged { member, disk } => write!(f, "{member}'s disk is now {disk}"),
            Event::SnapshotSaved { member, index } => {
                write!(f, "{member} saved a snapshot at index {index} and compacted its log")
            }
            Event::SnapshotSent { from, to, index } => {
                write!(f, "{from} sent its snapshot at index {index} to {to}, whose log was too far behind")
            }
            Event::NetworkProfile { profile } => write!(f, "the network is now {profile}"),
            Event::UnsafeReads { on: true } => write!(
                f,
                "UNSAFE mode on: members answer linearizable reads from their own store, without ReadIndex (etcd never does this)"
            ),
            Event::UnsafeReads { on: false } => write!(f, "unsafe mode off: linearizable reads use ReadIndex again"),
            Event::AutoCompaction { member, revision } => {
                write!(f, "{member} started auto-compaction at revision {revision}")
            }
            Event::MessageDropped { from, to, kind } => write!(f, "the visitor dropped {from}'s {kind} to {to}"),
            Event::SnapshotInstalled { member, index } => {
                write!(f, "{member} installed the leader's snapshot at index {index}")
            }
        }
    }
}

/// An event and when it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub at_ms: u64,
    pub event: Event,
}

/// The bounded event log.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    records: VecDeque<Record>,
    /// Total events ever recorded, so views can tell how many fell off.
    total: u64,
}

impl Trace {
    pub fn push(&mut self, at_ms: u64, event: Event) {
        if self.records.len() == TRACE_LIMIT {
            self.records.pop_front();
        }
        self.records.push_back(Record { at_ms, event });
        self.total += 1;
    }

    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.records.iter()
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    /// Records pushed after the first `seen` ever recorded (a view that already showed `seen` events
    /// asks for the rest); those that fell off the front are skipped.
    pub fn records_since(&self, seen: u64) -> impl Iterator<Item = &Record> {
        let first_kept = self.total - self.records.len() as u64;
        let skip = seen.saturating_sub(first_kept).min(self.records.len() as u64) as usize;
        self.records.iter().skip(skip)
    }
}
