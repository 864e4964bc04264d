//! The Watches panel's view: every live watcher of every running `watch` command, on the member that
//! serves it, with what it watches, where it started, whether it has caught up with the store (etcd's
//! synced and unsynced watcher groups) and how many events it delivered.

use super::World;
use crate::ctl::kv::prefix_end;
use crate::mvcc::KeyRange;

/// One watcher as the panel shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatcherView {
    /// The running command that owns it (`Action::Interrupt { stream }` stops it) and its console line.
    pub stream: u64,
    pub command: String,
    /// The member serving it; None while none of the command's endpoints is up.
    pub member: Option<String>,
    /// The watch ID within its stream, as etcd numbers them (from 0).
    pub watch_id: i64,
    /// What it watches, as the etcdctl arguments read: `foo`, `/a (prefix)`, `[a, c)`, `a (from key)`.
    pub range: String,
    pub start_rev: i64,
    pub prev_kv: bool,
    /// Caught up with its member's store; false while it still replays history or its member is down.
    pub synced: bool,
    pub events: u64,
}

/// The watchers, bounded, and how many there are in all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WatchesView {
    pub watchers: Vec<WatcherView>,
    pub total: usize,
}

/// Bytes as text, as the page renders keys.
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A watched range in etcdctl's terms: a key, a prefix (`--prefix`), a `[key, range_end)` span, or every
/// key from one on (`range_end` `\0`; the empty prefix `--prefix ""` is every key).
pub fn describe_range(range: &KeyRange) -> String {
    match range {
        KeyRange::Single(k) => text(k),
        KeyRange::From(k) if k.is_empty() || k == &[0] => "all keys".to_string(),
        KeyRange::From(k) => format!("{} (from key)", text(k)),
        KeyRange::Span(s, e) if !s.is_empty() && *e == prefix_end(s) => format!("{} (prefix)", text(s)),
        KeyRange::Span(s, e) => format!("[{}, {})", text(s), text(e)),
    }
}

impl World {
    /// Every live watcher of the running watch commands, oldest command first, at most `limit`.
    pub fn watches_view(&self, limit: usize) -> WatchesView {
        let mut view = WatchesView::default();
        for (&stream, s) in &self.streams {
            let Some((member, watchers)) = s.watchers() else { continue };
            let node = member.map(|m| self.node(m)).filter(|n| n.is_up());
            for w in watchers {
                view.total += 1;
                if view.watchers.len() >= limit {
                    continue;
                }
                view.watchers.push(WatcherView {
                    stream,
                    command: s.line.clone(),
                    member: node.map(|n| n.name.clone()),
                    watch_id: w.id,
                    range: describe_range(&w.range),
                    start_rev: w.start_rev,
                    prev_kv: w.prev_kv,
                    synced: node.is_some_and(|n| w.is_synced(&n.server.store)),
                    events: w.events,
                });
            }
        }
        view
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Action, World, WorldConfig};

    fn etcdctl(w: &mut World, line: &str) -> Option<u64> {
        w.apply(Action::Etcdctl { line: line.into(), stdin: None }).stream
    }

    #[test]
    fn ranges_read_as_etcdctl_arguments() {
        assert_eq!(describe_range(&KeyRange::Single(b"foo".to_vec())), "foo");
        assert_eq!(describe_range(&KeyRange::Span(b"/a".to_vec(), b"/b".to_vec())), "/a (prefix)");
        assert_eq!(describe_range(&KeyRange::Span(b"a".to_vec(), b"c".to_vec())), "[a, c)");
        assert_eq!(describe_range(&KeyRange::From(b"k".to_vec())), "k (from key)");
        assert_eq!(describe_range(&KeyRange::From(vec![0])), "all keys");
    }

    #[test]
    fn a_watcher_shows_on_its_member_and_goes_away_on_interrupt() {
        let mut w = World::new(WorldConfig::demo(3, 7));
        w.wait_for_leader(10_000).expect("leader");
        etcdctl(&mut w, "put foo 1");
        let rev = w.node(1).server.store.current_rev();
        let stream = etcdctl(&mut w, "--endpoints=10.0.0.2:2379 watch foo --prev-kv").expect("a running watch");
        let prefix = etcdctl(&mut w, "--endpoints=10.0.0.3:2379 watch --prefix /a --rev=1").expect("running");
        etcdctl(&mut w, "put foo 2");
        etcdctl(&mut w, "put /a/x 1");
        w.advance(50);
        let view = w.watches_view(50);
        assert_eq!(view.total, 2);
        let foo = &view.watchers[0];
        assert_eq!((foo.stream, foo.member.as_deref(), foo.range.as_str()), (stream, Some("etcd2"), "foo"));
        assert_eq!((foo.start_rev, foo.prev_kv, foo.synced, foo.events), (rev + 1, true, true, 1), "{foo:?}");
        assert!(foo.command.contains("watch foo"), "{foo:?}");
        let a = &view.watchers[1];
        assert_eq!(
            (a.member.as_deref(), a.range.as_str(), a.start_rev, a.events),
            (Some("etcd3"), "/a (prefix)", 1, 1)
        );
        assert_eq!(w.watches_view(1).watchers.len(), 1, "bounded");
        assert_eq!(w.watches_view(1).total, 2);

        w.apply(Action::Interrupt { stream });
        let view = w.watches_view(50);
        assert_eq!(view.watchers.iter().map(|v| v.stream).collect::<Vec<_>>(), vec![prefix]);
        w.apply(Action::Kill { member: "etcd3".into() });
        let a = &w.watches_view(50).watchers[0];
        assert!(a.member.is_none() && !a.synced, "its only endpoint is down: {a:?}");
        w.apply(Action::Interrupt { stream: prefix });
        assert_eq!(w.watches_view(50), WatchesView::default());
    }
}
