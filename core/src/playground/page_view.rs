//! Everything the page draws each tick, built in one call: the members, running commands, files, the
//! messages on the network, each member's Raft state and newest log entries, timers, elections, leases,
//! watchers and the Kubernetes client's progress. The page publishes one of these every 50 ms, so each
//! part is bounded by [`PageLimits`] (a congested network or 100k keys must not make a tick walk them
//! all); building it here rather than in the page lets `cargo bench -- page` time it natively.

use super::watches_view::WatchesView;
use super::World;
use crate::kubernetes::KubernetesView;
use crate::sim::leases_view::LeasesView;
use crate::sim::view::{ElectionView, EntryView, InFlightView, MessageView, RaftView, TimerView};
use crate::sim::NodeView;

/// A command that keeps running (watch, lease keep-alive), as the console lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunningStream {
    pub id: u64,
    /// The command line that started it, without `etcdctl`.
    pub line: String,
}

/// A file in the world's simulated file system, as the Files panel lists it (the bytes stay in the world).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileView {
    pub path: String,
    pub size: usize,
}

/// A data dir `snapshot restore` wrote: the member it belongs to and the cluster it restores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataDirView {
    pub path: String,
    pub member: String,
    pub cluster_id: u64,
}

/// How much of each unbounded part of the world a [`PageView`] copies out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageLimits {
    /// Messages in flight shown (the oldest sent); all are counted.
    pub messages: usize,
    /// Newest log entries shown per member.
    pub log_tail: usize,
    /// Leases, and keys listed per lease.
    pub leases: usize,
    pub lease_keys: usize,
    /// Watchers listed; all are counted.
    pub watchers: usize,
    /// The newest messages sent, delivered or not (the ring's slow motion draws them).
    pub recent_messages: usize,
}

/// What the page renders: plain data copied out of the world after every step, so that a render never
/// borrows the world (which an event handler may be mutating). Compared with `PartialEq`, so the page
/// can tell which parts changed since the previous tick and redraw only those.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageView {
    pub now_ms: u64,
    /// The running cluster's ID: it changes when a restored cluster replaces the running one.
    pub cluster_id: u64,
    pub nodes: Vec<NodeView>,
    /// Running commands, oldest first.
    pub streams: Vec<RunningStream>,
    /// The simulated file system, by path.
    pub files: Vec<FileView>,
    /// Data dirs written by `snapshot restore`, by path.
    pub data_dirs: Vec<DataDirView>,
    /// Voting members in the leader's membership (none without a leader): the quorum is a majority.
    pub voters: usize,
    /// Members `member add` announced and nobody started yet: (name, client URL to start it on).
    pub announced: Vec<(String, String)>,
    /// Raft messages on the network: the oldest sent (at most [`PageLimits::messages`]) and counts of all.
    pub messages: InFlightView,
    /// The newest messages sent, delivered or not, oldest first.
    pub recent_messages: Vec<MessageView>,
    /// Each member's Raft state and the newest entries of its log, in member order.
    pub raft: Vec<(RaftView, Vec<EntryView>)>,
    /// Each member's election (or, on the leader, heartbeat) timer, None while down, in member order.
    pub timers: Vec<Option<TimerView>>,
    /// Each member's part in an election under way (a tally, a granted vote), in member order.
    pub elections: Vec<ElectionView>,
    /// The leader's leases, bounded by [`PageLimits::leases`] and [`PageLimits::lease_keys`].
    pub leases: LeasesView,
    /// Watchers of the running watch commands, at most [`PageLimits::watchers`].
    pub watches: WatchesView,
    /// The Kubernetes client's load progress and traffic counts (a few numbers, no walk over the keys).
    pub kubernetes: KubernetesView,
}

impl World {
    /// The page's view of the world now, each part bounded by `limits`.
    pub fn page_view(&self, limits: PageLimits) -> PageView {
        let nodes = self.nodes();
        let n = nodes.len();
        PageView {
            now_ms: self.now_ms(),
            cluster_id: self.cluster_id(),
            nodes,
            streams: self.running_streams(),
            files: self.file_views(),
            data_dirs: self.data_dir_views(),
            voters: self.voters().len(),
            announced: self.announced_unstarted(),
            messages: self.in_flight_view(limits.messages),
            recent_messages: self.recent_messages_view(limits.recent_messages),
            raft: (0..n).map(|i| (self.raft_view(i), self.log_tail_view(i, limits.log_tail))).collect(),
            timers: (0..n).map(|i| self.timer_view(i)).collect(),
            elections: (0..n).map(|i| self.election_view(i)).collect(),
            leases: self.leases_view(limits.leases, limits.lease_keys),
            watches: self.watches_view(limits.watchers),
            kubernetes: self.kubernetes_view(),
        }
    }

    fn running_streams(&self) -> Vec<RunningStream> {
        let running = self.streams().iter().filter(|(_, s)| !s.finished);
        running.map(|(&id, s)| RunningStream { id, line: s.line.clone() }).collect()
    }

    fn file_views(&self) -> Vec<FileView> {
        let size = |path: &str| self.read_file(path).map_or(0, <[u8]>::len);
        self.files().map(|path| FileView { path: path.clone(), size: size(path) }).collect()
    }

    fn data_dir_views(&self) -> Vec<DataDirView> {
        let dirs = self.restored_dirs();
        dirs.map(|(path, dir)| DataDirView { path: path.clone(), member: dir.name.clone(), cluster_id: dir.cluster_id })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Action, WorldConfig};

    const LIMITS: PageLimits =
        PageLimits { messages: 3, log_tail: 4, leases: 50, lease_keys: 10, watchers: 50, recent_messages: 5 };

    #[test]
    fn the_page_view_is_bounded_and_agrees_with_the_parts() {
        let mut w = World::new(WorldConfig::demo(3, 2));
        w.wait_for_leader(10_000).expect("leader");
        for i in 0..10 {
            w.apply(Action::Etcdctl { line: format!("put k{i} v"), stdin: None });
        }
        let stream = w.apply(Action::Etcdctl { line: "watch k1".into(), stdin: None }).stream.expect("running");
        w.advance(30);
        let view = w.page_view(LIMITS);
        assert_eq!(view.nodes, w.nodes());
        assert_eq!(view.streams, vec![RunningStream { id: stream, line: "watch k1".into() }]);
        assert!(view.messages.shown.len() <= 3, "{:?}", view.messages);
        assert_eq!(view.messages, w.in_flight_view(3));
        assert_eq!(view.raft.len(), 3);
        for (i, (raft, log)) in view.raft.iter().enumerate() {
            assert_eq!(*raft, w.raft_view(i));
            assert_eq!(log.len(), 4, "the newest 4 of {} entries", raft.last_index);
            assert_eq!(log.last().map(|e| e.index), Some(raft.last_index), "ends at the newest entry");
        }
        assert_eq!(view.watches.total, 1);
        assert_eq!(view.timers.len(), 3);
        let recent = &view.recent_messages;
        assert_eq!(recent.len(), 5, "the newest 5 messages sent");
        assert!(recent.windows(2).all(|w| w[0].id < w[1].id), "oldest first");
        assert!(recent.iter().any(|m| m.deliver_at_ms <= view.now_ms), "delivered ones too: {recent:?}");
        assert_eq!(view, w.page_view(LIMITS), "reading changes nothing");
    }
}
