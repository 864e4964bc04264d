//! Watchers: a watcher on a key or range replays the store's history from its start revision and then
//! follows new revisions, as etcd's watchable store moves a watcher from "unsynced" (catching up from
//! history) to "synced". Here a watcher pulls from the revision-ordered store, which gives etcd's
//! guarantees by construction: events come in revision order (ordered), each revision once (unique),
//! all changes of one revision together (atomic), none skipped (reliable), from any revision not yet
//! compacted (resumable); a start revision that was compacted cancels the watcher with the compact
//! revision, as etcd does.

use crate::mvcc::{KeyRange, KeyValue, Store};

/// `mvccpb.Event.EventType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    Put,
    Delete,
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            EventType::Put => "PUT",
            EventType::Delete => "DELETE",
        })
    }
}

/// One change seen by a watcher.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchEvent {
    pub kind: EventType,
    pub kv: KeyValue,
    pub prev_kv: Option<KeyValue>,
}

/// What a watcher yields on a poll.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Poll {
    /// New events (possibly none) up to the store revision `revision`.
    Events { revision: i64, events: Vec<WatchEvent> },
    /// The watcher's next revision was compacted away: it is cancelled.
    Compacted { compact_revision: i64 },
}

/// A watcher on one member's store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Watcher {
    pub id: i64,
    pub range: KeyRange,
    pub prev_kv: bool,
    /// The revision it started from (a start of 0, "from now", resolved to the next revision).
    pub start_rev: i64,
    /// The next revision this watcher has not yet delivered.
    pub next_rev: i64,
    /// Events delivered so far, as the Watches panel counts them.
    pub events: u64,
    pub canceled: bool,
}

impl Watcher {
    /// A watcher from `start_rev`, or from the next revision when `start_rev` is 0.
    pub fn new(id: i64, range: KeyRange, start_rev: i64, prev_kv: bool, store: &Store) -> Watcher {
        let next_rev = if start_rev <= 0 { store.current_rev() + 1 } else { start_rev };
        Watcher { id, range, prev_kv, start_rev: next_rev, next_rev, events: 0, canceled: false }
    }

    /// Synced (etcd's `synced` watcher group) once it has delivered everything up to the store's current
    /// revision; unsynced while it still replays history.
    pub fn is_synced(&self, store: &Store) -> bool {
        self.next_rev > store.current_rev()
    }

    /// Delivers every revision written since the last poll.
    pub fn poll(&mut self, store: &Store) -> Poll {
        let current = store.current_rev();
        if self.next_rev < store.compact_rev() && !store.watcher_was_synced(self.next_rev) {
            self.canceled = true;
            return Poll::Compacted { compact_revision: store.compact_rev() };
        }
        let events: Vec<WatchEvent> = store
            .changes(&self.range, self.next_rev, current)
            .into_iter()
            .map(|(kv, tombstone)| {
                let prev_kv = if self.prev_kv { previous(store, &kv) } else { None };
                let kind = if tombstone { EventType::Delete } else { EventType::Put };
                WatchEvent { kind, kv, prev_kv }
            })
            .collect();
        self.events += events.len() as u64;
        self.next_rev = self.next_rev.max(current + 1);
        Poll::Events { revision: current, events }
    }
}

/// The key's value just before `kv` was written, if it existed and is not compacted.
fn previous(store: &Store, kv: &KeyValue) -> Option<KeyValue> {
    store.range(&KeyRange::Single(kv.key.clone()), kv.mod_revision - 1, 0).ok()?.kvs.pop()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(s: &mut Store, k: &str, v: &str) {
        let mut tx = s.write();
        tx.put(k.as_bytes(), v.as_bytes(), 0);
        tx.end();
    }

    fn del(s: &mut Store, k: &str) {
        let mut tx = s.write();
        tx.delete_range(&KeyRange::Single(k.into()));
        tx.end();
    }

    fn events(p: Poll) -> Vec<(EventType, String, Option<String>)> {
        let Poll::Events { events, .. } = p else { panic!("not cancelled") };
        events
            .into_iter()
            .map(|e| {
                let v = |kv: &KeyValue| String::from_utf8_lossy(&kv.value).into_owned();
                (e.kind, v(&e.kv), e.prev_kv.as_ref().map(v))
            })
            .collect()
    }

    /// Found by the robustness runs once the checker stopped excusing it: a delete and a compaction past
    /// it applied in one batch must still reach a watcher that was synced before the batch, as etcd
    /// notifies synced watchers when each write commits. One that had fallen behind is cancelled.
    #[test]
    fn a_synced_watcher_sees_deletes_compacted_in_the_same_batch() {
        let mut s = Store::new();
        put(&mut s, "k", "v");
        let mut synced = Watcher::new(1, KeyRange::Single("k".into()), 0, false, &s);
        let mut behind = Watcher::new(2, KeyRange::Single("k".into()), 2, false, &s);
        assert_eq!(events(synced.poll(&s)), vec![]);
        s.mark_watched();
        del(&mut s, "k");
        put(&mut s, "other", "x");
        s.compact(4).unwrap();
        assert_eq!(events(synced.poll(&s)), vec![(EventType::Delete, String::new(), None)]);
        assert!(matches!(behind.poll(&s), Poll::Compacted { compact_revision: 4 }));
        s.mark_watched();
        put(&mut s, "k", "again");
        assert_eq!(events(synced.poll(&s)), vec![(EventType::Put, "again".into(), None)]);
    }

    #[test]
    fn catches_up_from_history_then_follows() {
        let mut s = Store::new();
        put(&mut s, "k", "1");
        put(&mut s, "other", "x");
        put(&mut s, "k", "2");
        let mut w = Watcher::new(1, KeyRange::Single(b"k".to_vec()), 1, true, &s);
        assert!(!w.is_synced(&s), "it still has history to replay");
        assert_eq!(
            events(w.poll(&s)),
            vec![(EventType::Put, "1".into(), None), (EventType::Put, "2".into(), Some("1".into()))]
        );
        assert!(w.is_synced(&s));
        assert_eq!((w.start_rev, w.events), (1, 2));
        assert!(events(w.poll(&s)).is_empty(), "nothing is delivered twice");
        del(&mut s, "k");
        assert_eq!(events(w.poll(&s)), vec![(EventType::Delete, "".into(), Some("2".into()))]);
    }

    #[test]
    fn a_watch_from_now_sees_only_new_revisions() {
        let mut s = Store::new();
        put(&mut s, "k", "old");
        let mut w = Watcher::new(1, KeyRange::Single(b"k".to_vec()), 0, false, &s);
        put(&mut s, "k", "new");
        assert_eq!(events(w.poll(&s)), vec![(EventType::Put, "new".into(), None)]);
    }

    #[test]
    fn a_compacted_start_cancels_with_the_compact_revision() {
        let mut s = Store::new();
        for v in ["1", "2", "3"] {
            put(&mut s, "k", v);
        }
        s.compact(3).unwrap();
        let mut w = Watcher::new(1, KeyRange::Single(b"k".to_vec()), 2, false, &s);
        assert_eq!(w.poll(&s), Poll::Compacted { compact_revision: 3 });
        assert!(w.canceled);
    }
}
