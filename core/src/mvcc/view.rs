//! Read-only views of one member's MVCC store for the page's Keyspace panel: the keys as of a revision,
//! grouped into folders on `/`, one key's kept history, and the revisions the store can still serve.
//!
//! The store may hold 100,000 keys, so nothing here reads it whole: a folder is listed one page at a time
//! (at most [`PAGE_ROWS`] rows), walking at most [`LEAF_BUDGET`] of its own keys and [`COUNT_BUDGET`]
//! (plus a small [`PROBE`] each) to count its subfolders, which are then skipped over. Folders follow the key text: the children of a folder `P` are the keys
//! `P + name` and the folders `P + name + "/"`, where `name` has no `/` except leading ones, so that
//! `/registry/pods/default/web-1` sits in `/registry/` > `pods/` > `default/` (a key's leading `/` stays
//! part of its first folder, and `registry/x` is a different folder from `/registry/x`).
//!
//! ```text
//!   all keys                      /registry/pods/default/web-1
//!   ├── /registry/  (3 keys)      '---------''----''-------''----'
//!   │   ├── pods/   (2 keys)       folder     folder folder  key
//!   │   └── ...
//!   └── foo                       a key with no '/' sits at the top
//! ```

use super::key_index::KeyIndex;
use super::store::Store;
use super::versions::Version;

/// The most rows (folders and keys together) one page of a folder lists.
pub const PAGE_ROWS: usize = 200;

/// The most key index entries one page walks to count its subfolders' keys, beyond [`PROBE`] per
/// subfolder. Past it, counts are lower bounds, but every subfolder is still listed.
pub const COUNT_BUDGET: usize = 10_000;

/// Key index entries each subfolder may always walk, budget or not: enough to find a live key in it and
/// count a small folder exactly.
pub const PROBE: usize = 16;

/// The most key index entries one page walks over its own keys (live or deleted). Past it the page ends
/// early and says so. With [`COUNT_BUDGET`] and [`PROBE`] this bounds one recomputation, whatever the
/// store holds: about 23,000 entries, a few milliseconds.
pub const LEAF_BUDGET: usize = 10_000;

/// Characters of a value shown before it is cut (values can be 1.5 MiB; a table cell cannot).
pub const VALUE_CHARS: usize = 80;

/// Characters of a key's name shown before it is cut.
pub const KEY_CHARS: usize = 160;

/// The newest revisions of one key its history lists.
pub const HISTORY_ROWS: usize = 200;

/// The label of the top of the tree.
pub const ROOT_LABEL: &str = "all keys";

/// The revisions a store can serve: the compaction line and the current revision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RevisionBounds {
    pub current: i64,
    /// The revision the store was last compacted at, if ever: older revisions are gone.
    pub compacted: Option<i64>,
    /// The oldest revision a read may ask for. etcd serves the compacted revision itself (only older
    /// ones fail with "required revision has been compacted"); a fresh store starts at revision 1.
    pub oldest: i64,
}

impl RevisionBounds {
    pub fn of(store: &Store) -> RevisionBounds {
        let compacted = (store.compact_rev() > 0).then_some(store.compact_rev());
        RevisionBounds { current: store.current_rev(), compacted, oldest: compacted.unwrap_or(1).max(1) }
    }

    /// `rev` moved into what the store can serve (0 or less means the current revision), as the panel
    /// asks for it: a slider left behind by a compaction or a follower's older store lands on an edge.
    pub fn clamp(&self, rev: i64) -> i64 {
        if rev <= 0 {
            self.current
        } else {
            rev.clamp(self.oldest, self.current)
        }
    }
}

/// Which page of which folder, at which revision.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FolderQuery {
    /// The folder: empty for the top, else a prefix ending in `/` as [`FolderRow::prefix`] gives it.
    pub prefix: Vec<u8>,
    /// The revision to read at; 0 means the current one.
    pub rev: i64,
    /// Where the page starts: [`FolderPage::next`] of the previous page, or None for the first.
    pub cursor: Option<Vec<u8>>,
}

/// A subfolder: every key under `prefix`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderRow {
    pub prefix: Vec<u8>,
    /// The prefix's text after the parent folder's, e.g. `pods/`.
    pub label: String,
    /// Keys under the folder (at any depth) live at the revision.
    pub keys: usize,
    /// False when the count budget ran out while counting: `keys` is then a lower bound.
    pub exact: bool,
}

/// A key live at the revision, with what `etcdctl get -w json` reports of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRow {
    pub key: Vec<u8>,
    /// The whole key as text (cut after [`KEY_CHARS`]).
    pub key_text: String,
    /// The key's text after its folder's prefix (the whole key if that is empty).
    pub label: String,
    /// The value as text, cut after [`VALUE_CHARS`] characters.
    pub value: String,
    pub value_cut: bool,
    pub value_bytes: usize,
    pub create_revision: i64,
    pub mod_revision: i64,
    pub version: i64,
    /// The lease ID in hex, as `etcdctl lease list` prints it; "0" means no lease.
    pub lease_hex: String,
}

/// One row of a folder page, in key order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Row {
    Folder(FolderRow),
    Key(KeyRow),
}

/// A level of the path from the top to a folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Crumb {
    pub label: String,
    pub prefix: Vec<u8>,
}

/// One page of a folder as of a revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderPage {
    pub prefix: Vec<u8>,
    /// From the top down to this folder.
    pub crumbs: Vec<Crumb>,
    /// The revision the page was read at (the asked one, clamped into `bounds`).
    pub rev: i64,
    /// True when the asked revision was outside `bounds` and `rev` is the nearest one served instead.
    pub clamped: bool,
    pub bounds: RevisionBounds,
    pub rows: Vec<Row>,
    /// Where the next page starts, when there is more to list.
    pub next: Option<Vec<u8>>,
    /// True when the page ended because [`LEAF_BUDGET`] ran out rather than at [`PAGE_ROWS`] rows.
    pub budget_spent: bool,
    /// True when [`COUNT_BUDGET`] ran out: some subfolders' counts are lower bounds.
    pub partial_counts: bool,
}

/// One kept revision of a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEntry {
    pub revision: i64,
    /// The change's place inside its transaction.
    pub sub: i64,
    /// A tombstone: the key was deleted at this revision.
    pub deleted: bool,
    pub create_revision: i64,
    pub version: i64,
    pub value: String,
    pub value_cut: bool,
    pub lease_hex: String,
}

/// Every revision the store still keeps of one key, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyHistory {
    pub key: Vec<u8>,
    pub key_text: String,
    /// Newest first, at most [`HISTORY_ROWS`].
    pub entries: Vec<HistoryEntry>,
    /// Kept revisions older than the ones listed.
    pub not_listed: usize,
    /// Set to the compaction revision when compaction may have dropped older revisions of this key
    /// (the store was compacted at or after the oldest revision still kept).
    pub compacted: Option<i64>,
}

/// Bytes as text: keys and values are bytes in etcd; invalid UTF-8 shows as U+FFFD.
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `bytes` as text, cut after `max` characters (with an ellipsis); true when it was cut.
fn shorten(bytes: &[u8], max: usize) -> (String, bool) {
    let t = String::from_utf8_lossy(bytes);
    match t.char_indices().nth(max) {
        Some((at, _)) => (format!("{}…", &t[..at]), true),
        None => (t.into_owned(), false),
    }
}

fn lease_hex(lease: i64) -> String {
    format!("{lease:x}")
}

/// The subfolder of `prefix` that `key` lies in, or None when `key` is a direct child (a leaf).
fn subfolder_of(prefix: &[u8], key: &[u8]) -> Option<Vec<u8>> {
    let rest = key.get(prefix.len()..)?;
    let lead = rest.iter().take_while(|&&b| b == b'/').count();
    let slash = rest[lead..].iter().position(|&b| b == b'/')?;
    Some(key[..prefix.len() + lead + slash + 1].to_vec())
}

/// The first key after every key under `folder` (which ends in `/`): `/` + 1 is `0`.
fn past_folder(folder: &[u8]) -> Vec<u8> {
    let mut end = folder.to_vec();
    if let Some(last) = end.last_mut() {
        *last += 1;
    }
    end
}

/// The path from the top to `prefix`, one crumb per folder. A prefix that does not end on a folder
/// boundary stops at the last folder it contains.
pub fn crumbs(prefix: &[u8]) -> Vec<Crumb> {
    let mut out = vec![Crumb { label: ROOT_LABEL.to_string(), prefix: Vec::new() }];
    let mut at: Vec<u8> = Vec::new();
    while at.len() < prefix.len() {
        let Some(next) = subfolder_of(&at, prefix) else { break };
        out.push(Crumb { label: text(&next[at.len()..]), prefix: next.clone() });
        at = next;
    }
    out
}

/// The key's version live at `rev`, if any.
fn live_at<'s>(store: &'s Store, ki: &KeyIndex, rev: i64) -> Option<&'s Version> {
    let at = ki.get(rev)?;
    store.version_at(at.modified)
}

fn key_row(kv: &Version, prefix: &[u8]) -> KeyRow {
    let (value, value_cut) = shorten(&kv.value, VALUE_CHARS);
    let rest = &kv.key[prefix.len().min(kv.key.len())..];
    KeyRow {
        key: kv.key.to_vec(),
        key_text: shorten(&kv.key, KEY_CHARS).0,
        label: shorten(if rest.is_empty() { &kv.key } else { rest }, KEY_CHARS).0,
        value,
        value_cut,
        value_bytes: kv.value.len(),
        create_revision: kv.create_revision,
        mod_revision: kv.rev.main,
        version: kv.version,
        lease_hex: lease_hex(kv.lease),
    }
}

/// Counts the keys under `folder` live at `rev`, walking [`PROBE`] index entries plus at most what is left
/// of `budget`; false when it stopped before the folder's end (the count is then a lower bound).
fn count_folder(store: &Store, folder: &[u8], rev: i64, budget: &mut usize) -> (usize, bool) {
    let allowance = PROBE + *budget;
    let mut keys = 0;
    let mut walked = 0;
    let mut exact = true;
    for (k, ki) in store.index_from(folder) {
        if !k.starts_with(folder) {
            break;
        }
        if walked == allowance {
            exact = false;
            break;
        }
        walked += 1;
        if ki.get(rev).is_some() {
            keys += 1;
        }
    }
    *budget -= walked.saturating_sub(PROBE);
    (keys, exact)
}

/// One page of the folder `q.prefix` as of `q.rev`: its keys and its subfolders (with their key counts),
/// in key order. Folders with no key live at the revision are left out, as etcd's range would.
pub fn folder(store: &Store, q: &FolderQuery) -> FolderPage {
    let bounds = RevisionBounds::of(store);
    let rev = bounds.clamp(q.rev);
    let prefix = q.prefix.as_slice();
    let mut page = FolderPage {
        prefix: prefix.to_vec(),
        crumbs: crumbs(prefix),
        rev,
        clamped: q.rev > 0 && rev != q.rev,
        bounds,
        rows: Vec::new(),
        next: None,
        budget_spent: false,
        partial_counts: false,
    };
    let mut leaf_budget = LEAF_BUDGET;
    let mut count_budget = COUNT_BUDGET;
    let mut cursor = match &q.cursor {
        Some(c) if c.as_slice() >= prefix => c.clone(),
        _ => prefix.to_vec(),
    };
    // Each pass walks keys from `cursor` until it meets a subfolder, which it counts and jumps past.
    'walk: loop {
        let mut folder_found = None;
        for (k, ki) in store.index_from(&cursor) {
            if !k.starts_with(prefix) {
                break 'walk;
            }
            if page.rows.len() == PAGE_ROWS || leaf_budget == 0 {
                page.budget_spent = leaf_budget == 0;
                page.next = Some(k.to_vec());
                break 'walk;
            }
            match subfolder_of(prefix, k) {
                Some(sub) => {
                    folder_found = Some(sub);
                    break;
                }
                None => {
                    leaf_budget -= 1;
                    if let Some(kv) = live_at(store, ki, rev) {
                        page.rows.push(Row::Key(key_row(kv, prefix)));
                    }
                }
            }
        }
        let Some(sub) = folder_found else { break };
        let (keys, exact) = count_folder(store, &sub, rev, &mut count_budget);
        if keys > 0 || !exact {
            let label = text(&sub[prefix.len()..]);
            page.rows.push(Row::Folder(FolderRow { prefix: sub.clone(), label, keys, exact }));
        }
        page.partial_counts |= !exact;
        cursor = past_folder(&sub);
    }
    page
}

fn history_entry(store: &Store, rev: super::Revision) -> Option<HistoryEntry> {
    let kv = store.version_at(rev)?;
    let deleted = kv.is_tombstone();
    let (value, value_cut) = shorten(&kv.value, VALUE_CHARS);
    Some(HistoryEntry {
        revision: rev.main,
        sub: rev.sub,
        deleted,
        create_revision: kv.create_revision,
        version: kv.version,
        value,
        value_cut,
        lease_hex: lease_hex(kv.lease),
    })
}

/// Every revision the store keeps of `key`: puts with their version and value, deletes as tombstones,
/// newest first (at most [`HISTORY_ROWS`]).
pub fn history(store: &Store, key: &[u8]) -> KeyHistory {
    let kept = store.kept_revisions(key);
    let entries: Vec<HistoryEntry> =
        kept.iter().take(HISTORY_ROWS).filter_map(|&rev| history_entry(store, rev)).collect();
    let compact = store.compact_rev();
    let oldest = kept.last().map(|r| r.main);
    let compacted = (compact > 0 && oldest.is_none_or(|o| compact >= o)).then_some(compact);
    KeyHistory {
        key: key.to_vec(),
        key_text: shorten(key, KEY_CHARS).0,
        not_listed: kept.len().saturating_sub(entries.len()),
        entries,
        compacted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mvcc::KeyRange;

    fn put(s: &mut Store, k: &str, v: &str) -> i64 {
        let mut tx = s.write();
        tx.put(k.as_bytes(), v.as_bytes(), 0);
        tx.end()
    }

    fn delete(s: &mut Store, k: &str) -> i64 {
        let mut tx = s.write();
        tx.delete_range(&KeyRange::Single(k.as_bytes().to_vec()));
        tx.end()
    }

    fn at(prefix: &str, rev: i64) -> FolderQuery {
        FolderQuery { prefix: prefix.as_bytes().to_vec(), rev, cursor: None }
    }

    /// Rows as short strings: `d:label=count` for folders, `k:label=value` for keys.
    fn rows(p: &FolderPage) -> Vec<String> {
        p.rows
            .iter()
            .map(|r| match r {
                Row::Folder(f) => format!("d:{}={}", f.label, f.keys),
                Row::Key(k) => format!("k:{}={}", k.label, k.value),
            })
            .collect()
    }

    fn key<'p>(p: &'p FolderPage, label: &str) -> &'p KeyRow {
        p.rows
            .iter()
            .find_map(|r| match r {
                Row::Key(k) if k.label == label => Some(k),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no key {label} in {:?}", rows(p)))
    }

    fn registry() -> Store {
        let mut s = Store::new();
        put(&mut s, "/registry/pods/default/web-1", "w1");
        put(&mut s, "/registry/pods/default/web-2", "w2");
        put(&mut s, "/registry/pods/kube-system/dns", "d");
        put(&mut s, "/registry/services/api", "svc");
        put(&mut s, "foo", "bar");
        put(&mut s, "foo/x", "fx");
        put(&mut s, "/top", "t");
        s
    }

    #[test]
    fn keys_group_into_folders_on_slashes() {
        let s = registry();
        let top = folder(&s, &at("", 0));
        assert_eq!(rows(&top), ["d:/registry/=4", "k:/top=t", "k:foo=bar", "d:foo/=1"]);
        let reg = folder(&s, &at("/registry/", 0));
        assert_eq!(rows(&reg), ["d:pods/=3", "d:services/=1"]);
        let pods = folder(&s, &at("/registry/pods/", 0));
        assert_eq!(rows(&pods), ["d:default/=2", "d:kube-system/=1"]);
        let default = folder(&s, &at("/registry/pods/default/", 0));
        assert_eq!(rows(&default), ["k:web-1=w1", "k:web-2=w2"]);
        let labels: Vec<&str> = default.crumbs.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, [ROOT_LABEL, "/registry/", "pods/", "default/"]);
        assert_eq!(default.crumbs[2].prefix, b"/registry/pods/");
        assert_eq!(key(&default, "web-1").key_text, "/registry/pods/default/web-1");
    }

    #[test]
    fn odd_keys_stay_reachable() {
        let mut s = Store::new();
        put(&mut s, "/a/", "folder's own key");
        put(&mut s, "/a//b", "double slash");
        put(&mut s, "/a//c/d", "deeper");
        put(&mut s, "///", "slashes");
        let top = folder(&s, &at("", 0));
        assert_eq!(rows(&top), ["k:///=slashes", "d:/a/=3"]);
        let a = folder(&s, &at("/a/", 0));
        assert_eq!(rows(&a), ["k:/a/=folder's own key", "k:/b=double slash", "d:/c/=1"]);
        assert_eq!(folder(&s, &at("/a//c/", 0)).crumbs.len(), 3);
    }

    #[test]
    fn revisions_and_versions_are_etcds() {
        let mut s = registry();
        let r1 = put(&mut s, "foo", "bar2");
        let mut tx = s.write();
        tx.put(b"leased", b"v", 0x694d_77aa_9e3c_1e04);
        tx.end();
        let top = folder(&s, &at("", 0));
        let foo = key(&top, "foo");
        assert_eq!((foo.create_revision, foo.mod_revision, foo.version), (6, r1, 2));
        assert_eq!(key(&top, "leased").lease_hex, "694d77aa9e3c1e04");
        assert_eq!(foo.lease_hex, "0");
    }

    #[test]
    fn an_older_revision_shows_older_values_and_deleted_keys() {
        let mut s = Store::new();
        let r_old = put(&mut s, "/app/a", "one");
        put(&mut s, "/app/gone", "here");
        let before = put(&mut s, "/app/a", "two");
        let r_del = delete(&mut s, "/app/gone");
        put(&mut s, "/app/new", "n");
        let now = folder(&s, &at("/app/", 0));
        assert_eq!(rows(&now), ["k:a=two", "k:new=n"]);
        assert_eq!(now.rev, r_del + 1);
        let then = folder(&s, &at("/app/", before));
        assert_eq!(rows(&then), ["k:a=two", "k:gone=here"], "a key deleted later is there at the older revision");
        let first = folder(&s, &at("/app/", r_old));
        assert_eq!(rows(&first), ["k:a=one"]);
        assert_eq!(key(&first, "a").version, 1);
        assert_eq!(rows(&folder(&s, &at("", before))), ["d:/app/=2"], "folder counts are as of the revision too");
        assert_eq!(rows(&folder(&s, &at("", 1))), Vec::<String>::new(), "revision 1 is the empty store");
    }

    #[test]
    fn history_lists_puts_and_tombstones_newest_first() {
        let mut s = Store::new();
        put(&mut s, "k", "a");
        put(&mut s, "k", "b");
        let del = delete(&mut s, "k");
        let again = put(&mut s, "k", "c");
        let h = history(&s, b"k");
        let shown: Vec<(i64, bool, i64, &str)> =
            h.entries.iter().map(|e| (e.revision, e.deleted, e.version, e.value.as_str())).collect();
        assert_eq!(shown, [(again, false, 1, "c"), (del, true, 0, ""), (3, false, 2, "b"), (2, false, 1, "a")]);
        assert_eq!(h.entries[0].create_revision, again);
        assert_eq!(h.compacted, None);
        assert_eq!(history(&s, b"never").entries, []);

        s.compact(3).unwrap();
        let h = history(&s, b"k");
        let revs: Vec<i64> = h.entries.iter().map(|e| e.revision).collect();
        assert_eq!(revs, [again, del, 3], "revision 2 was compacted");
        assert_eq!(h.compacted, Some(3));
        s.compact(again).unwrap();
        let h = history(&s, b"k");
        assert_eq!(h.entries.len(), 1, "the tombstoned life is gone entirely");
        assert_eq!(h.compacted, Some(again));
    }

    #[test]
    fn compaction_bounds_clamp_the_revision() {
        let mut s = Store::new();
        for v in ["1", "2", "3", "4"] {
            put(&mut s, "k", v);
        }
        let fresh = RevisionBounds::of(&s);
        assert_eq!(fresh, RevisionBounds { current: 5, compacted: None, oldest: 1 });
        s.compact(3).unwrap();
        let b = RevisionBounds::of(&s);
        assert_eq!(b, RevisionBounds { current: 5, compacted: Some(3), oldest: 3 });
        assert_eq!(s.range(&KeyRange::Single(b"k".to_vec()), 2, 0), Err(crate::mvcc::MvccError::Compacted));
        let old = folder(&s, &at("", 2));
        assert!(old.clamped);
        assert_eq!((old.rev, rows(&old)), (3, vec!["k:k=2".to_string()]), "the compacted revision itself is served");
        let future = folder(&s, &at("", 99));
        assert_eq!((future.rev, future.clamped), (5, true));
        let latest = folder(&s, &at("", 0));
        assert_eq!((latest.rev, latest.clamped), (5, false));
        assert_eq!(b.clamp(4), 4);
    }

    #[test]
    fn a_page_has_at_most_the_row_limit_and_continues() {
        let mut s = Store::new();
        let mut tx = s.write();
        for i in 0..(PAGE_ROWS + 50) {
            tx.put(format!("/big/k{i:04}").as_bytes(), b"v", 0);
            tx.put(format!("/big/d{i:04}/x").as_bytes(), b"v", 0);
        }
        tx.end();
        let first = folder(&s, &at("/big/", 0));
        assert_eq!(first.rows.len(), PAGE_ROWS);
        assert!(!first.budget_spent);
        let mut seen = first.rows.len();
        let mut next = first.next.clone();
        let mut pages = 1;
        while let Some(cursor) = next {
            let p = folder(&s, &FolderQuery { prefix: b"/big/".to_vec(), rev: 0, cursor: Some(cursor) });
            assert!(p.rows.len() <= PAGE_ROWS);
            seen += p.rows.len();
            next = p.next;
            pages += 1;
        }
        assert_eq!((seen, pages), (2 * (PAGE_ROWS + 50), 3), "every child exactly once over the pages");
    }

    #[test]
    fn budgets_bound_the_work_on_a_huge_store() {
        let mut s = Store::new();
        let mut tx = s.write();
        for i in 0..(COUNT_BUDGET + 100) {
            tx.put(format!("/huge/{i:06}").as_bytes(), b"v", 0);
        }
        for i in 0..(PROBE + 5) {
            tx.put(format!("/more/{i:06}").as_bytes(), b"v", 0);
        }
        tx.put(b"/small/a", b"v", 0);
        tx.put(b"/z", b"after", 0);
        tx.end();
        let top = folder(&s, &at("", 0));
        let first = COUNT_BUDGET + PROBE;
        let want =
            [format!("d:/huge/={first}"), format!("d:/more/={PROBE}"), "d:/small/=1".into(), "k:/z=after".into()];
        assert_eq!(rows(&top), want, "past the budget, each folder still gets its probe");
        let exact: Vec<bool> =
            top.rows.iter().filter_map(|r| if let Row::Folder(f) = r { Some(f.exact) } else { None }).collect();
        assert_eq!(exact, [false, false, true]);
        assert!(top.partial_counts);
        assert_eq!((top.next, top.budget_spent), (None, false), "every child is listed on the page");

        let mut tx = s.write();
        tx.delete_range(&KeyRange::Span(b"/huge/".to_vec(), b"/huge0".to_vec()));
        tx.put(b"/huge/zz", b"live", 0);
        tx.end();
        let huge = folder(&s, &at("/huge/", 0));
        assert!(huge.budget_spent && huge.rows.is_empty(), "deleted keys cost walking too: {:?}", rows(&huge));
        let rest = folder(&s, &FolderQuery { prefix: b"/huge/".to_vec(), rev: 0, cursor: huge.next.clone() });
        assert_eq!(rows(&rest), ["k:zz=live"], "the next page goes on where the budget stopped");
    }

    #[test]
    fn long_values_are_cut_as_text() {
        let mut s = Store::new();
        let long = "é".repeat(VALUE_CHARS + 5);
        put(&mut s, "k", &long);
        put(&mut s, "<img src=x onerror=alert(1)>", "<b>");
        let top = folder(&s, &at("", 0));
        let k = key(&top, "k");
        assert!(k.value_cut);
        assert_eq!(k.value.chars().count(), VALUE_CHARS + 1);
        assert_eq!(k.value_bytes, long.len());
        assert_eq!(key(&top, "<img src=x onerror=alert(1)>").value, "<b>", "markup stays text, unescaped");
    }
}
