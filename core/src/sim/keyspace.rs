//! The Keyspace panel's reads of the world: which member's store it shows, and that store's folders,
//! key histories and revision bounds (computed by [`crate::mvcc::view`]). Every member keeps its own
//! MVCC store, and a follower's may lag the leader's, so the panel always names the member it reads.
//! A member that is down has no store in memory (the store is rebuilt from its disk on restart), so
//! every read of a down member is None.

use super::{Cluster, NodeView};
use crate::mvcc::view::{self, FolderPage, FolderQuery, KeyHistory, RevisionBounds};
use crate::mvcc::Store;
use crate::trace::Role;

/// The member the panel shows: the one named by `choice` (even when down, so the panel can say so),
/// else the leader with the highest term, else the first member that is up.
pub fn keyspace_member(nodes: &[NodeView], choice: Option<&str>) -> Option<usize> {
    if let Some(name) = choice {
        return nodes.iter().position(|n| n.name == name);
    }
    let leader =
        (0..nodes.len()).filter(|&i| nodes[i].up && nodes[i].role == Role::Leader).max_by_key(|&i| nodes[i].term);
    leader.or_else(|| nodes.iter().position(|n| n.up))
}

impl Cluster {
    /// Member `i`'s store, if its process is up.
    fn live_store(&self, i: usize) -> Option<&Store> {
        let n = self.nodes.get(i)?;
        n.is_up().then_some(&n.server.store)
    }

    /// Member `i`'s current and compacted revisions: cheap enough to read every frame, and what tells the
    /// panel when its page must be read again.
    pub fn keyspace_bounds(&self, i: usize) -> Option<RevisionBounds> {
        self.live_store(i).map(RevisionBounds::of)
    }

    /// One page of a folder of member `i`'s keyspace as of a revision.
    pub fn keyspace_folder(&self, i: usize, q: &FolderQuery) -> Option<FolderPage> {
        self.live_store(i).map(|s| view::folder(s, q))
    }

    /// Every revision member `i` keeps of `key`, newest first.
    pub fn keyspace_history(&self, i: usize, key: &[u8]) -> Option<KeyHistory> {
        self.live_store(i).map(|s| view::history(s, key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mvcc::view::Row;
    use crate::{Action, World, WorldConfig};
    use base64::Engine;

    fn etcdctl(w: &mut World, line: &str) -> String {
        let out = w.apply(Action::Etcdctl { line: line.into(), stdin: None });
        assert_eq!(out.exit_code, 0, "{line}: {}", out.stderr);
        w.advance(50);
        out.stdout
    }

    #[test]
    fn the_leader_is_shown_unless_a_member_is_chosen() {
        let mut w = World::new(WorldConfig::demo(3, 7));
        let l = w.wait_for_leader(10_000).expect("leader");
        assert_eq!(keyspace_member(&w.nodes(), None), Some(l));
        assert_eq!(keyspace_member(&w.nodes(), Some("etcd2")), Some(1));
        assert_eq!(keyspace_member(&w.nodes(), Some("nobody")), None);
        w.kill(l);
        let first_up = (0..3).find(|&i| i != l).unwrap();
        assert_eq!(keyspace_member(&w.nodes(), None), Some(first_up), "no leader yet: the first member up");
        assert_eq!(w.keyspace_bounds(l), None, "a member that is down has no store in memory");
        assert!(w.keyspace_folder(l, &FolderQuery::default()).is_none());
    }

    /// The panel shows what `etcdctl get -w json` reports, on every member once it has applied the writes.
    #[test]
    fn the_panel_agrees_with_etcdctl_get_json() {
        let mut w = World::new(WorldConfig::demo(3, 3));
        w.wait_for_leader(10_000).expect("leader");
        etcdctl(&mut w, "put /registry/pods/default/web-1 v1");
        etcdctl(&mut w, "put /registry/pods/default/web-1 v2");
        etcdctl(&mut w, "put /registry/services/api svc");
        w.advance(500);
        let json: serde_json::Value =
            serde_json::from_str(&etcdctl(&mut w, "get /registry/pods/default/web-1 -w json")).unwrap();
        let kv = &json["kvs"][0];
        let b64 = base64::engine::general_purpose::STANDARD;
        assert_eq!(b64.decode(kv["value"].as_str().unwrap()).unwrap(), b"v2");
        for i in 0..3 {
            let q = FolderQuery { prefix: b"/registry/pods/default/".to_vec(), rev: 0, cursor: None };
            let page = w.keyspace_folder(i, &q).unwrap();
            let Some(Row::Key(row)) = page.rows.first() else { panic!("{page:?}") };
            assert_eq!(row.value, "v2");
            assert_eq!(row.create_revision, kv["create_revision"].as_i64().unwrap());
            assert_eq!(row.mod_revision, kv["mod_revision"].as_i64().unwrap());
            assert_eq!(row.version, kv["version"].as_i64().unwrap());
            let h = w.keyspace_history(i, b"/registry/pods/default/web-1").unwrap();
            assert_eq!(h.entries.len(), 2);
            assert_eq!(w.keyspace_bounds(i).unwrap().current, json["header"]["revision"].as_i64().unwrap());
        }
    }
}
