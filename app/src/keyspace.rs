//! The Keyspace panel: one member's MVCC store as an etcd user pictures it. Keys are grouped into folders
//! on `/` (navigated by clicking), listed with their create and mod revisions, version, lease and value as
//! of a revision picked on a slider that stops at the compaction line, and a clicked key shows every
//! revision the store still keeps of it.
//!
//! Nothing here is copied into the per-tick [`Snapshot`](crate::sim::Snapshot): each frame only reads the
//! member's revision bounds (two numbers), and the folder page and the key's history are read from the
//! core's views ([`etcdplay_core::mvcc::view`]) when those bounds, the revision, the folder or the member
//! change.

use crate::member_pick::{MemberOptions, FOLLOW_LEADER};
use crate::sim::Sim;
use etcdplay_core::mvcc::view::{
    Crumb, FolderPage, FolderQuery, FolderRow, HistoryEntry, KeyHistory, KeyRow, RevisionBounds, Row, COUNT_BUDGET,
    LEAF_BUDGET, PAGE_ROWS,
};
use etcdplay_core::sim::keyspace::keyspace_member;
use leptos::prelude::*;

/// What the panel's reads depend on: the store's bounds move with every write and compaction; the
/// member, the world (a rewind) or the cluster (a restore) may change under the same bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct StoreStamp {
    epoch: u64,
    cluster_id: u64,
    member: usize,
    bounds: RevisionBounds,
}

/// The member the panel reads, as the select and the snapshot say. Changes only when the member does or
/// goes up or down, so the table below it is not rebuilt on every write.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Status {
    /// No member to show (the chosen one is not in the page's world).
    Missing,
    Down(String),
    Up(String),
}

/// "1 key", "3 keys", "at least 50000 keys".
fn keys_text(f: &FolderRow) -> String {
    let noun = if f.keys == 1 { "key" } else { "keys" };
    if f.exact {
        format!("{} {noun}", f.keys)
    } else if f.keys == 0 {
        "not counted".to_string()
    } else {
        format!("at least {} {noun}", f.keys)
    }
}

/// A lease as the table shows it: its ID in hex, or "none".
fn lease_text(hex: &str) -> String {
    if hex == "0" {
        "none".to_string()
    } else {
        hex.to_string()
    }
}

/// Where revision `rev` sits on the line from revision 1 to `current`, in percent.
fn percent_of(rev: i64, current: i64) -> f64 {
    if current <= 1 {
        return 100.0;
    }
    ((rev - 1) as f64 / (current - 1) as f64 * 100.0).clamp(0.0, 100.0)
}

/// The compaction line in words: what the slider's lower end means.
fn bounds_text(b: &RevisionBounds) -> String {
    match b.compacted {
        Some(c) => format!(
            "Compacted at revision {c}: older revisions are gone, so the oldest you can read is {}. Current revision {}.",
            b.oldest, b.current
        ),
        None => format!("Never compacted: every revision from 1 to the current {} is kept.", b.current),
    }
}

/// A `<For>` key for a row: a row's content is fixed by these, so unchanged rows keep their elements.
fn row_key(r: &Row) -> (bool, Vec<u8>, i64, bool) {
    match r {
        Row::Folder(f) => (true, f.prefix.clone(), f.keys as i64, f.exact),
        Row::Key(k) => (false, k.key.clone(), k.mod_revision, k.value_cut),
    }
}

/// The panel's navigation state: which folder, which page of it, which key's history is open.
#[derive(Clone, Copy)]
struct Nav {
    folder: RwSignal<Vec<u8>>,
    cursor: RwSignal<Option<Vec<u8>>>,
    open_key: RwSignal<Option<Vec<u8>>>,
}

impl Nav {
    fn open_folder(&self, prefix: Vec<u8>) {
        self.cursor.set(None);
        self.folder.set(prefix);
    }
}

/// The Keyspace panel: pick a member (or follow the leader), a revision and a folder; see its keys.
#[component]
pub fn Keyspace() -> impl IntoView {
    let sim = expect_context::<Sim>();
    let choice = RwSignal::new(FOLLOW_LEADER.to_string());
    let latest = RwSignal::new(true);
    let chosen_rev = RwSignal::new(0_i64);
    let nav = Nav { folder: RwSignal::new(Vec::new()), cursor: RwSignal::new(None), open_key: RwSignal::new(None) };

    // Every frame: which member, and its bounds (cheap). Dependents rerun only when this changes.
    let store = Memo::new(move |prev: Option<&(Status, Option<StoreStamp>)>| {
        let choice = choice.get();
        let named = (choice != FOLLOW_LEADER).then_some(choice.as_str());
        let epoch = sim.epoch.get();
        let Some((member, name, cluster_id)) = sim.snapshot.with(|s| {
            let i = keyspace_member(&s.nodes, named)?;
            Some((i, s.nodes[i].name.clone(), s.cluster_id))
        }) else {
            return (Status::Missing, None);
        };
        match sim.read_world(|w| w.keyspace_bounds(member)) {
            Some(Some(bounds)) => (Status::Up(name), Some(StoreStamp { epoch, cluster_id, member, bounds })),
            Some(None) => (Status::Down(name), None),
            None => prev.cloned().unwrap_or((Status::Missing, None)),
        }
    });
    let status = Memo::new(move |_| store.with(|s| s.0.clone()));
    let stamp = Memo::new(move |_| store.with(|s| s.1));
    let page = Memo::new(move |prev: Option<&Option<FolderPage>>| {
        let stamp = stamp.get()?;
        let rev = if latest.get() { 0 } else { chosen_rev.get() };
        let q = FolderQuery { prefix: nav.folder.get(), rev, cursor: nav.cursor.get() };
        sim.read_world(|w| w.keyspace_folder(stamp.member, &q)).unwrap_or_else(|| prev.cloned().flatten())
    });
    let history = Memo::new(move |prev: Option<&Option<KeyHistory>>| {
        let key = nav.open_key.get()?;
        let stamp = stamp.get()?;
        sim.read_world(|w| w.keyspace_history(stamp.member, &key)).unwrap_or_else(|| prev.cloned().flatten())
    });
    let bounds = Memo::new(move |_| stamp.get().map(|s| s.bounds));
    let has_bounds = Memo::new(move |_| bounds.with(Option::is_some));

    view! {
        <section class="keyspace" aria-labelledby="keyspace-title">
            <h2 id="keyspace-title" class="panel-title">"Keyspace"</h2>
            <div class="keyspace-body">
                <div class="ks-controls">
                    <label class="ks-pick">
                        "Store of "
                        <select on:change=move |ev| {
                            nav.cursor.set(None);
                            choice.set(event_target_value(&ev));
                        }>
                            <MemberOptions choice />
                        </select>
                    </label>
                    <Show when=move || has_bounds.get()>{revision_controls(bounds, page, latest, chosen_rev)}</Show>
                </div>
                {move || match status.get() {
                    Status::Missing => {
                        view! { <p class="ks-note">"That member is no longer in the cluster."</p> }.into_any()
                    }
                    Status::Down(name) => {
                        view! {
                            <p class="ks-note">
                                {format!(
                                    "{name} is down: its store lives in its memory and is rebuilt from its disk when it restarts."
                                )}
                            </p>
                        }
                            .into_any()
                    }
                    Status::Up(name) => folder_view(name, page, nav).into_any(),
                }}
                {move || history.get().map(|h| history_view(h, nav))}
            </div>
        </section>
    }
}

/// The revision slider (oldest readable .. current), the Latest switch and the compaction line. Rendered
/// once per member coming up: the bounds move the slider's ends, never replace it mid-drag.
fn revision_controls(
    bounds: Memo<Option<RevisionBounds>>,
    page: Memo<Option<FolderPage>>,
    latest: RwSignal<bool>,
    chosen_rev: RwSignal<i64>,
) -> impl IntoView {
    let b = move || bounds.get().unwrap_or(RevisionBounds { current: 1, compacted: None, oldest: 1 });
    let shown = move || page.with(|p| p.as_ref().map(|p| p.rev)).unwrap_or_else(|| b().current);
    let compacted_width = move || {
        let b = b();
        format!("{:.2}%", b.compacted.map_or(0.0, |c| percent_of(c, b.current)))
    };
    view! {
        <div class="ks-rev-block">
            <div class="ks-revision">
                <label for="ks-rev">"Revision"</label>
                <input
                    id="ks-rev"
                    type="range"
                    min=move || b().oldest
                    max=move || b().current
                    step="1"
                    prop:value=move || shown().to_string()
                    aria-valuetext=move || format!("revision {} of {}", shown(), b().current)
                    on:input=move |ev| {
                        if let Ok(rev) = event_target_value(&ev).parse::<i64>() {
                            chosen_rev.set(rev);
                            latest.set(rev >= bounds.get_untracked().map_or(rev, |b| b.current));
                        }
                    }
                />
                <output for="ks-rev" class="ks-rev-value" aria-label="Shown revision">{shown}</output>
                <label class="ks-latest">
                    <input
                        type="checkbox"
                        prop:checked=move || latest.get()
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            if !on {
                                chosen_rev.set(page.with_untracked(|p| p.as_ref().map_or(0, |p| p.rev)));
                            }
                            latest.set(on);
                        }
                    />
                    "Latest"
                </label>
            </div>
            <div class="ks-revline" aria-hidden="true">
                <span class="ks-revline-compacted" style:width=compacted_width></span>
                <span class="ks-revline-shown" style:left=move || format!("{:.2}%", percent_of(shown(), b().current))></span>
            </div>
            <p class="ks-bounds">{move || bounds_text(&b())}</p>
        </div>
    }
}

/// The breadcrumb, the table of one folder page and its paging.
fn folder_view(name: String, page: Memo<Option<FolderPage>>, nav: Nav) -> impl IntoView {
    // A memo: the path changes when the visitor opens a folder, not with every revision.
    let crumbs = Memo::new(move |_| page.with(|p| p.as_ref().map(|p| p.crumbs.clone()).unwrap_or_default()));
    let rows = move || page.with(|p| p.as_ref().map(|p| p.rows.clone()).unwrap_or_default());
    let caption = move || {
        page.with(|p| {
            p.as_ref().map(|p| {
                let folder: String = p.crumbs.iter().skip(1).map(|c| c.label.as_str()).collect();
                let place = if folder.is_empty() { String::new() } else { format!(" under {folder}") };
                format!("{name}'s keys{place} as of revision {}", p.rev)
            })
        })
    };
    let notes = move || {
        page.with(|p| {
            let p = p.as_ref()?;
            let mut notes = Vec::new();
            if p.clamped {
                notes.push(format!(
                    "That revision is not readable on this member; showing revision {} (it serves {} to {}).",
                    p.rev, p.bounds.oldest, p.bounds.current
                ));
            }
            if p.rows.is_empty() && !p.budget_spent {
                notes.push("No keys here at this revision.".to_string());
            }
            if p.partial_counts {
                notes.push(format!(
                    "Counting stopped after {COUNT_BUDGET} keys: counts marked \"at least\" are lower bounds."
                ));
            }
            if p.budget_spent {
                notes.push(format!(
                    "This page stopped after reading {LEAF_BUDGET} keys (deleted ones too); go on with Next page."
                ));
            } else if p.next.is_some() {
                notes.push(format!("Showing {PAGE_ROWS} entries per page."));
            }
            Some(notes.into_iter().map(|n| view! { <p class="ks-note">{n}</p> }).collect_view())
        })
    };
    let next = move || page.with(|p| p.as_ref().and_then(|p| p.next.clone()));
    view! {
        <nav class="ks-crumbs" aria-label="Folder path">
            <ol>
                {move || {
                    let all = crumbs.get();
                    let last = all.len().saturating_sub(1);
                    all.into_iter().enumerate().map(|(i, c)| crumb(c, i == last, nav)).collect_view()
                }}
            </ol>
        </nav>
        <table class="ks-table" aria-label="Keys">
            <caption>{caption}</caption>
            <thead>
                <tr>
                    <th scope="col">"key"</th>
                    <th scope="col">"value"</th>
                    <th scope="col">"create rev"</th>
                    <th scope="col">"mod rev"</th>
                    <th scope="col">"version"</th>
                    <th scope="col">"lease"</th>
                </tr>
            </thead>
            <tbody>
                <For each=rows key=row_key children=move |r| row_view(r, nav) />
            </tbody>
        </table>
        {notes}
        <div class="ks-paging">
            {move || {
                nav.cursor
                    .get()
                    .is_some()
                    .then(|| {
                        view! {
                            <button type="button" on:click=move |_| nav.cursor.set(None)>
                                "First page"
                            </button>
                        }
                    })
            }}
            {move || {
                next()
                    .map(|n| {
                        view! {
                            <button type="button" on:click=move |_| nav.cursor.set(Some(n.clone()))>
                                "Next page"
                            </button>
                        }
                    })
            }}
        </div>
    }
}

fn crumb(c: Crumb, current: bool, nav: Nav) -> impl IntoView {
    let Crumb { label, prefix } = c;
    view! {
        <li>
            <button
                type="button"
                class="ks-crumb"
                aria-current=current.then_some("location")
                on:click=move |_| nav.open_folder(prefix.clone())
            >
                {label}
            </button>
        </li>
    }
}

fn row_view(r: Row, nav: Nav) -> impl IntoView {
    match r {
        Row::Folder(f) => folder_row(f, nav).into_any(),
        Row::Key(k) => key_row(k, nav).into_any(),
    }
}

fn folder_row(f: FolderRow, nav: Nav) -> impl IntoView {
    let count = keys_text(&f);
    let FolderRow { prefix, label, .. } = f;
    view! {
        <tr class="ks-folder">
            <th scope="row">
                <button type="button" class="ks-open-folder" on:click=move |_| nav.open_folder(prefix.clone())>
                    <span aria-hidden="true">"▸ "</span>
                    {label}
                </button>
            </th>
            <td colspan="5" class="ks-count">{count}</td>
        </tr>
    }
}

fn key_row(k: KeyRow, nav: Nav) -> impl IntoView {
    let cut = k.value_cut.then(|| format!(" ({} bytes in all)", k.value_bytes));
    let key = k.key.clone();
    let is_open = {
        let key = k.key.clone();
        move || nav.open_key.with(|o| o.as_deref() == Some(key.as_slice()))
    };
    view! {
        <tr class="ks-key" class:ks-key-open=is_open>
            <th scope="row">
                <button
                    type="button"
                    class="ks-open-key"
                    title=format!("History of {}", k.key_text)
                    on:click=move |_| nav.open_key.set(Some(key.clone()))
                >
                    {k.label}
                </button>
            </th>
            <td class="ks-value">{k.value}<span class="ks-cut">{cut}</span></td>
            <td>{k.create_revision}</td>
            <td>{k.mod_revision}</td>
            <td>{k.version}</td>
            <td>{lease_text(&k.lease_hex)}</td>
        </tr>
    }
}

/// One key's kept revisions, newest first, and how far back compaction cut them.
fn history_view(h: KeyHistory, nav: Nav) -> impl IntoView {
    let title = format!("History of {}", h.key_text);
    let region_label = title.clone();
    let rows = h.entries.into_iter().map(history_row).collect_view();
    let older = (h.not_listed > 0).then(|| format!("{} older revisions not listed.", h.not_listed));
    let compacted = match h.compacted {
        Some(c) => format!("The store was compacted at revision {c}: anything older of this key is gone."),
        None => "Nothing of this key was compacted: this is its whole history.".to_string(),
    };
    view! {
        <div class="ks-history" role="region" aria-label=region_label>
            <div class="ks-history-head">
                <h3>{title}</h3>
                <button type="button" on:click=move |_| nav.open_key.set(None)>
                    "Close history"
                </button>
            </div>
            <table class="ks-table" aria-label="Key history">
                <thead>
                    <tr>
                        <th scope="col">"revision"</th>
                        <th scope="col">"change"</th>
                        <th scope="col">"version"</th>
                        <th scope="col">"value"</th>
                        <th scope="col">"create rev"</th>
                        <th scope="col">"lease"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            {older.map(|o| view! { <p class="ks-note">{o}</p> })}
            <p class="ks-note">{compacted}</p>
        </div>
    }
}

fn history_row(e: HistoryEntry) -> impl IntoView {
    let revision = if e.sub > 0 { format!("{}.{}", e.revision, e.sub) } else { e.revision.to_string() };
    if e.deleted {
        return view! {
            <tr class="ks-tombstone">
                <td>{revision}</td>
                <td>"delete (tombstone)"</td>
                <td>"-"</td>
                <td>"-"</td>
                <td>"-"</td>
                <td>"-"</td>
            </tr>
        }
        .into_any();
    }
    let cut = e.value_cut.then_some("…");
    view! {
        <tr>
            <td>{revision}</td>
            <td>"put"</td>
            <td>{e.version}</td>
            <td class="ks-value">{e.value}{cut}</td>
            <td>{e.create_revision}</td>
            <td>{lease_text(&e.lease_hex)}</td>
        </tr>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_for_counts_leases_and_the_compaction_line() {
        let f = FolderRow { prefix: b"/a/".to_vec(), label: "/a/".into(), keys: 1, exact: true };
        assert_eq!(keys_text(&f), "1 key");
        assert_eq!(keys_text(&FolderRow { keys: 50, exact: false, ..f.clone() }), "at least 50 keys");
        assert_eq!(keys_text(&FolderRow { keys: 0, exact: false, ..f }), "not counted");
        assert_eq!(lease_text("0"), "none");
        assert_eq!(lease_text("694d77aa9e3c1e04"), "694d77aa9e3c1e04");
        assert_eq!(percent_of(1, 1), 100.0);
        assert_eq!(percent_of(6, 11), 50.0);
        let b = RevisionBounds { current: 9, compacted: Some(4), oldest: 4 };
        assert!(bounds_text(&b).starts_with("Compacted at revision 4"));
    }
}
