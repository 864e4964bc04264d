//! The Raft panel and the messages in flight. Both only render what the core's views report
//! ([`RaftView`], [`EntryView`], [`MessageView`], copied into the [`Snapshot`](crate::sim::Snapshot)):
//! one member's role, term, vote, indexes and (on the leader) its peers' progress, the newest entries of
//! its log, and every Raft message on its way as a dot on the cluster ring.

use crate::clock::format_sim_time;
use crate::member_pick::{MemberOptions, FOLLOW_LEADER};
use crate::sim::{Sim, LOG_TAIL};
use etcdplay_core::sim::view::{EntryView, InFlightView, MessageView, RaftView};
use etcdplay_core::{Action, Role};
use leptos::prelude::*;

/// Half the distance between the two directions of a link, in percent of the ring's box, so that a
/// request and its response do not sit on one another.
const LANE_OFFSET: f64 = 0.9;

/// The class of a message's dot: its family (append, heartbeat, vote, snapshot, other) and whether it is
/// a response (drawn lighter).
pub fn message_class(kind: &str) -> String {
    let family = if kind.starts_with("MsgAppend") {
        "append"
    } else if kind.starts_with("MsgHeartbeat") {
        "heartbeat"
    } else if kind.starts_with("MsgRequestVote") || kind.starts_with("MsgRequestPreVote") {
        "vote"
    } else if kind.starts_with("MsgSnapshot") {
        "snapshot"
    } else {
        "other"
    };
    let response = kind.ends_with("Response") || kind.ends_with("Resp");
    format!("msg msg-{family}{}", if response { " msg-response" } else { "" })
}

/// "3 messages in flight: 2 MsgHeartbeat, 1 MsgAppend", from the core's counts (most frequent first).
pub fn in_flight_summary(messages: &InFlightView) -> String {
    if messages.total == 0 {
        return "No messages in flight".to_string();
    }
    let parts: Vec<String> = messages.by_kind.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let noun = if messages.total == 1 { "message" } else { "messages" };
    format!("{} {noun} in flight: {}", messages.total, parts.join(", "))
}

/// How far along its link a message is, from 0 (just sent) to 1 (about to arrive).
pub fn progress_of(m: &MessageView, now_ms: u64) -> f64 {
    if m.deliver_at_ms <= m.sent_at_ms {
        return 0.5;
    }
    let t = now_ms.saturating_sub(m.sent_at_ms) as f64 / (m.deliver_at_ms - m.sent_at_ms) as f64;
    t.clamp(0.0, 1.0)
}

/// The most messages drawn as dots and listed in words: a congested network may hold thousands, and a
/// frame must stay short. The summary still counts them all.
pub const MAX_SHOWN_MESSAGES: usize = 60;

/// The message the visitor clicked, shared by its dot, the in-flight list and the inspector.
#[derive(Clone, Copy)]
pub struct Inspected(pub RwSignal<Option<MessageView>>);

/// "MsgAppend from etcd1 to etcd2, term 2": a dot's accessible name.
pub fn message_label(m: &MessageView) -> String {
    format!("{} from {} to {}, term {}", m.kind, m.from, m.to, m.term)
}

/// Where a message's dot sits: a fraction of the way along its link, in its direction's lane.
fn dot_position(m: &MessageView, now_ms: u64, a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    lane_point(a, b, progress_of(m, now_ms))
}

/// The point a fraction `t` of the way from `a` to `b`, in the lane of that direction.
pub fn lane_point(a: (f64, f64), b: (f64, f64), t: f64) -> (f64, f64) {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len = (dx * dx + dy * dy).sqrt().max(1e-6);
    // Each direction of a link gets its own lane, to the right of travel.
    let (ox, oy) = (-dy / len * LANE_OFFSET, dx / len * LANE_OFFSET);
    (a.0 + dx * t + ox, a.1 + dy * t + oy)
}

/// A message dot as drawn: where it sits (CSS percentages) and whether it is the one inspected.
#[derive(Clone, Debug, PartialEq)]
struct Dot {
    message: MessageView,
    left: String,
    top: String,
    picked: bool,
}

/// The messages in flight as buttons over the ring (`position(i, count)` is member `i`'s centre, in
/// percent of the ring's box), clickable (best while paused) to open the inspector.
///
/// Each dot is a plain element, keyed by everything it shows: a dot that moves is drawn anew. Dots had a
/// memo each on a shared one; after a 100k-object load (tens of thousands of dots drawn and dropped) a
/// third of every tick went to Leptos's graph (`Weak` upgrades and subscriber-set copies under
/// `mark_check`), and a build without the dots had none of it: the dropped dots' subscriptions were
/// evidently still walked (BENCHMARKS.md, 2026-12-07).
pub fn message_dots(
    sim: Sim,
    position: impl Fn(usize, usize) -> (f64, f64) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let inspected = expect_context::<Inspected>();
    let dots = Memo::new(move |_| {
        let picked = inspected.0.with(|i| i.as_ref().map(|m| m.id));
        sim.snapshot.with(|s| {
            let count = s.nodes.len();
            let index = |name: &str| s.nodes.iter().position(|n| n.name == name);
            s.messages
                .shown
                .iter()
                .filter_map(|m| {
                    let (from, to) = (index(&m.from)?, index(&m.to)?);
                    let (x, y) = dot_position(m, s.now_ms, position(from, count), position(to, count));
                    Some(Dot {
                        message: m.clone(),
                        left: format!("{x:.2}%"),
                        top: format!("{y:.2}%"),
                        picked: picked == Some(m.id),
                    })
                })
                .collect::<Vec<_>>()
        })
    });
    view! {
        <For
            each=move || dots.get()
            key=|d| (d.message.id, d.left.clone(), d.top.clone(), d.picked)
            children=move |d| {
                let label = message_label(&d.message);
                let message = d.message;
                view! {
                    <button
                        class=format!("{} msg-dot", message_class(message.kind))
                        class:msg-picked=d.picked
                        style:left=d.left
                        style:top=d.top
                        aria-label=label.clone()
                        title=label
                        aria-pressed=d.picked.to_string()
                        on:click=move |_| inspected.0.set(Some(message.clone()))
                    ></button>
                }
            }
        />
    }
}

/// One message's fields, as the inspector and the in-flight list show them: (name, value).
pub fn message_fields(m: &MessageView) -> Vec<(&'static str, String)> {
    vec![
        ("type", m.kind.to_string()),
        ("from", m.from.clone()),
        ("to", m.to.clone()),
        ("term", m.term.to_string()),
        ("index", m.index.to_string()),
        ("log term", m.log_term.to_string()),
        ("entries", m.entries.to_string()),
        ("commit", m.commit.to_string()),
        ("reject", if m.reject { "yes" } else { "no" }.to_string()),
        ("sent at", format_sim_time(m.sent_at_ms)),
        ("arrives at", format_sim_time(m.deliver_at_ms)),
    ]
}

/// The clicked message's fields and a button that drops it (an [`Action::DropMessage`], recorded and
/// replayed like every action). Once the message has arrived, the fields stay and the button goes.
#[component]
pub fn MessageInspector() -> impl IntoView {
    let sim = expect_context::<Sim>();
    let inspected = expect_context::<Inspected>();
    let refusal = RwSignal::new(None::<String>);
    let in_flight = Memo::new(move |_| {
        let id = inspected.0.with(|m| m.as_ref().map(|m| m.id));
        sim.snapshot.with(|s| id.is_some_and(|id| s.messages.shown.iter().any(|m| m.id == id)))
    });
    let drop_it = move |_| {
        if let Some(id) = inspected.0.with_untracked(|m| m.as_ref().map(|m| m.id)) {
            sim.act(Action::DropMessage { id }, move |out| {
                let message = out.stderr.trim().trim_start_matches("Error: ");
                refusal.set((!message.is_empty()).then(|| message.to_string()));
            });
        }
    };
    let close = move |_| {
        refusal.set(None);
        inspected.0.set(None);
    };
    // Opening a message moves focus to the inspector, so a keyboard or screen-reader user lands on what
    // they asked for (after it is drawn).
    let panel = NodeRef::<leptos::html::Section>::new();
    Effect::new(move |_| {
        if inspected.0.with(|m| m.as_ref().map(|m| m.id)).is_some() {
            request_animation_frame(move || {
                if let Some(el) = panel.get_untracked() {
                    let _ = el.focus();
                }
            });
        }
    });
    move || {
        inspected.0.get().map(|m| {
            let title = format!("{} {} → {}", m.kind, m.from, m.to);
            let fields = message_fields(&m)
                .into_iter()
                .map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> })
                .collect_view();
            view! {
                <section class="msg-inspector" aria-label="Message inspector" tabindex="-1" node_ref=panel>
                    <h3 class="msg-inspector-title">{title}</h3>
                    <dl class="msg-fields" aria-label="Message fields">{fields}</dl>
                    <p class="msg-status" role="status">
                        {move || if in_flight.get() { "In flight." } else { "No longer in flight: it arrived or was dropped." }}
                    </p>
                    <p class="msg-refusal" role="alert">{move || refusal.get()}</p>
                    <div class="msg-inspector-actions">
                        <button class="network-button" disabled=move || !in_flight.get() on:click=drop_it>
                            "Drop this message"
                        </button>
                        <button class="network-button" on:click=close>"Close"</button>
                    </div>
                </section>
            }
        })
    }
}

/// The messages in flight in words, for screen readers and for reading while paused: one line each,
/// at most [`MAX_SHOWN_MESSAGES`].
#[component]
pub fn MessageList() -> impl IntoView {
    let sim = expect_context::<Sim>();
    // Closed, the list is neither seen nor read out: it is only kept up to date while open.
    let open = RwSignal::new(false);
    let details = NodeRef::<leptos::html::Details>::new();
    let on_toggle = move |_| open.set(details.get_untracked().is_some_and(|d| d.open()));
    let lines = Memo::new(move |_| {
        if !open.get() {
            return Vec::new();
        }
        sim.snapshot.with(|s| {
            let mut lines: Vec<(u64, String)> = s
                .messages
                .shown
                .iter()
                .map(|m| {
                    let mut text = message_label(m);
                    if m.entries > 0 {
                        text.push_str(&format!(", {} entries after index {}", m.entries, m.index));
                    }
                    if m.reject {
                        text.push_str(", rejected");
                    }
                    text.push_str(&format!(", arrives at {}", format_sim_time(m.deliver_at_ms)));
                    (m.id, text)
                })
                .collect();
            if s.messages.total > s.messages.shown.len() {
                lines.push((u64::MAX, format!("and {} more", s.messages.total - s.messages.shown.len())));
            }
            lines
        })
    });
    view! {
        <details class="msg-list" node_ref=details on:toggle=on_toggle>
            <summary>"Messages in flight, one by one"</summary>
            <ul aria-label="List of messages in flight">
                // Keyed by message: a line stays the same element for as long as its message is in flight.
                <For each=move || lines.get() key=|l| l.clone() children=|(_, l)| view! { <li>{l}</li> } />
            </ul>
        </details>
    }
}

/// The legend of the dots and the count of messages in flight, in words.
#[component]
pub fn MessageLegend() -> impl IntoView {
    let sim = expect_context::<Sim>();
    let summary = Memo::new(move |_| sim.snapshot.with(|s| in_flight_summary(&s.messages)));
    let slow = expect_context::<crate::slow_motion::SlowMotion>().0;
    let items = [
        ("append", "append"),
        ("heartbeat", "heartbeat"),
        ("vote", "vote / pre-vote"),
        ("snapshot", "snapshot"),
        ("append msg-response", "responses lighter"),
    ];
    view! {
        <div class="messages-legend">
            <ul class="legend" aria-hidden="true">
                {items
                    .into_iter()
                    .map(|(class, label)| {
                        view! {
                            <li>
                                <span class=format!("legend-dot msg-{class}")></span>
                                {label}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <p class="in-flight" aria-label="Messages in flight">{move || summary.get()}</p>
            <label class="slow-motion">
                <input
                    type="checkbox"
                    prop:checked=move || slow.get()
                    on:change=move |ev| slow.set(event_target_checked(&ev))
                />
                "Slow motion: every message sent is also drawn crossing its link in "
                {format!("{:.1}", crate::slow_motion::CROSSING_MS / 1000.0)}
                " s (faded dots), however fast it arrived; the clock and the count above stay true."
            </label>
        </div>
    }
}

/// A member's name from its Raft ID, or the ID in hex if no member has it (0: none).
fn member_name(names: &[(u64, String)], id: u64) -> String {
    if id == 0 {
        return "none".to_string();
    }
    names.iter().find(|(i, _)| *i == id).map_or_else(|| format!("{id:x}"), |(_, n)| n.clone())
}

/// A term's colour: neighbouring terms get clearly different hues.
pub fn term_colour(term: u64) -> String {
    format!("hsl({}, 55%, 38%)", (term * 67) % 360)
}

/// What the panel shows of one member.
#[derive(Clone, Debug, PartialEq)]
struct Shown {
    name: String,
    raft: RaftView,
    log: Vec<EntryView>,
    /// (Raft ID, name) of every member, to name votes and peers.
    names: Vec<(u64, String)>,
}

/// Which member the Raft panel shows: a member's name, or [`FOLLOW_LEADER`]. Provided by the page, so
/// that clicking a member's name on the ring shows its Raft state.
#[derive(Clone, Copy)]
pub struct RaftPick(pub RwSignal<String>);

impl Default for RaftPick {
    fn default() -> Self {
        RaftPick(RwSignal::new(FOLLOW_LEADER.to_string()))
    }
}

impl RaftPick {
    /// Shows member `name` in the Raft panel and scrolls the panel into view.
    pub fn show(self, name: &str) {
        self.0.set(name.to_string());
        let title = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("raft-title"));
        if let Some(title) = title {
            title.scroll_into_view();
        }
    }
}

/// The Raft panel: pick a member (or follow the leader) and see its Raft state and log.
#[component]
pub fn RaftPanel() -> impl IntoView {
    let sim = expect_context::<Sim>();
    let selected = use_context::<RaftPick>().unwrap_or_default().0;
    let shown = Memo::new(move |_| {
        let choice = selected.get();
        sim.snapshot.with(|s| {
            let i = if choice == FOLLOW_LEADER {
                s.nodes.iter().position(|n| n.up && n.role == Role::Leader).unwrap_or(0)
            } else {
                s.nodes.iter().position(|n| n.name == choice)?
            };
            let (raft, log) = s.raft.get(i)?.clone();
            Some(Shown {
                name: s.nodes[i].name.clone(),
                raft,
                log,
                names: s.nodes.iter().map(|n| (n.id, n.name.clone())).collect(),
            })
        })
    });
    // The state below is built once per member shown and then updated field by field: the log and the
    // numbers move every tick under writes, and rebuilding the whole list each tick cost most of a frame.
    let has_member = Memo::new(move |_| shown.with(Option::is_some));
    view! {
        <section class="raft" aria-labelledby="raft-title">
            <h2 id="raft-title" class="panel-title">"Raft"</h2>
            <div class="raft-body">
                <label class="raft-pick">
                    "Raft state of "
                    <select on:change=move |ev| selected.set(event_target_value(&ev))>
                        <MemberOptions choice=selected />
                    </select>
                </label>
                {move || has_member.get().then(|| raft_state(shown))}
            </div>
        </section>
    }
}

/// The panel's fields as (name, value), in the order shown.
fn state_rows(s: &Shown) -> Vec<(&'static str, String)> {
    let r = &s.raft;
    vec![
        ("member", s.name.clone()),
        ("role", r.role.to_string()),
        ("term", r.term.to_string()),
        ("vote", member_name(&s.names, r.vote)),
        ("commit", r.commit.to_string()),
        ("applied", r.applied.to_string()),
        ("first index", r.first_index.to_string()),
        ("last index", r.last_index.to_string()),
        ("snapshot index", r.snapshot_index.to_string()),
        ("unsynced entries", r.unsynced.to_string()),
    ]
}

/// The progress table's cells after the member's name: match, next, state.
const PROGRESS_CELLS: &[crate::table::Cell<ProgressRow>] = &[|p| p.1.to_string(), |p| p.2.to_string(), |p| p.3.clone()];

/// One row of the progress table: member, match, next, state.
type ProgressRow = (String, u64, u64, String);

/// The leader's view of each peer as table rows.
fn progress_rows(s: &Shown) -> Vec<ProgressRow> {
    s.raft.progress.iter().map(|p| (member_name(&s.names, p.id), p.matched, p.next, p.state.clone())).collect()
}

/// One log entry's accessible text: "index 7, term 2, normal, committed".
fn entry_text(e: &EntryView) -> String {
    let status = if e.committed { "committed" } else { "not committed" };
    format!("index {}, term {}, {}, {status}", e.index, e.term, e.kind)
}

/// One log entry as a coloured square; built once per entry (and again when it commits).
fn entry_view(e: EntryView) -> impl IntoView {
    let letter = match e.kind {
        "normal" => "N",
        "empty" => "E",
        _ => "C",
    };
    let text = entry_text(&e);
    let title = text.clone();
    view! {
        <li
            class="entry"
            class:entry-uncommitted=!e.committed
            style:background-color=term_colour(e.term)
            title=title
        >
            <span aria-hidden="true">
                <span class="entry-index">{e.index}</span>
                <span class="entry-kind">{letter}</span>
            </span>
            <span class="sr-only">{text}</span>
        </li>
    }
}

/// The shown member's state, log and (on a leader) peers. Each value is its own small closure and the
/// lists are keyed, so a tick that moves the commit index rewrites a few text nodes and adds one entry
/// instead of rebuilding the panel.
fn raft_state(shown: Memo<Option<Shown>>) -> impl IntoView {
    let rows = Memo::new(move |_| shown.with(|s| s.as_ref().map(state_rows).unwrap_or_default()));
    let progress = Memo::new(move |_| shown.with(|s| s.as_ref().map(progress_rows).unwrap_or_default()));
    let name = Memo::new(move |_| shown.with(|s| s.as_ref().map(|s| s.name.clone()).unwrap_or_default()));
    let compacted = Memo::new(move |_| {
        shown.with(|s| {
            s.as_ref()
                .map(|s| s.raft.snapshot_index)
                .filter(|i| *i > 0)
                .map(|i| format!("Entries up to {i} compacted into a snapshot."))
        })
    });
    let field_count = rows.with_untracked(Vec::len);
    let fields = (0..field_count)
        .map(|i| {
            let key = rows.with_untracked(|r| r[i].0);
            let value = move || rows.with(|r| r.get(i).map(|(_, v)| v.clone()).unwrap_or_default());
            view! { <dt>{key}</dt><dd>{value}</dd> }
        })
        .collect_view();
    // Whether there is a table at all changes with leadership, not every tick.
    let has_progress = Memo::new(move |_| progress.with(|p| !p.is_empty()));
    let table = move || {
        has_progress.get().then(|| {
            view! {
                <table class="raft-progress" aria-label="Replication progress">
                    <caption>"What the leader knows of each member's log"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"member"</th>
                            <th scope="col">"match"</th>
                            <th scope="col">"next"</th>
                            <th scope="col">"state"</th>
                        </tr>
                    </thead>
                    <tbody>{crate::table::member_rows(progress, |p| p.0.clone(), PROGRESS_CELLS)}</tbody>
                </table>
            }
        })
    };
    view! {
        <dl class="raft-state" aria-label="Raft state">{fields}</dl>
        {table}
        <p class="raft-log-title">
            {move || format!("Log of {}, newest {LOG_TAIL} entries (N normal, E empty, C conf change; faded: not committed)", name.get())}
        </p>
        {move || compacted.get().map(|c| view! { <p class="raft-compacted">{c}</p> })}
        <ol class="raft-log" aria-label=move || format!("Log of {}", name.get())>
            <For
                each=move || shown.with(|s| s.as_ref().map(|s| s.log.clone()).unwrap_or_default())
                key=|e| (e.index, e.term, e.kind, e.committed)
                children=entry_view
            />
        </ol>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(kind: &'static str, sent: u64, deliver: u64) -> MessageView {
        MessageView {
            id: sent,
            from: "etcd1".into(),
            to: "etcd2".into(),
            kind,
            term: 2,
            index: 0,
            log_term: 0,
            entries: 0,
            commit: 0,
            reject: false,
            sent_at_ms: sent,
            deliver_at_ms: deliver,
        }
    }

    #[test]
    fn messages_are_summarised_classed_and_placed() {
        let msgs = [msg("MsgHeartbeat", 0, 10), msg("MsgHeartbeat", 0, 10), msg("MsgAppendResponse", 5, 5)];
        let counts = InFlightView {
            shown: msgs[..1].to_vec(),
            total: 3,
            by_kind: vec![("MsgHeartbeat", 2), ("MsgAppendResponse", 1)],
        };
        assert_eq!(in_flight_summary(&counts), "3 messages in flight: 2 MsgHeartbeat, 1 MsgAppendResponse");
        assert_eq!(in_flight_summary(&InFlightView::default()), "No messages in flight");
        assert_eq!(message_class("MsgRequestPreVoteResponse"), "msg msg-vote msg-response");
        assert_eq!(message_class("MsgSnapshot"), "msg msg-snapshot");
        assert_eq!(progress_of(&msgs[0], 5), 0.5);
        assert_eq!(progress_of(&msgs[0], 50), 1.0);
        assert_eq!(progress_of(&msgs[2], 5), 0.5);
        assert_eq!(member_name(&[(1, "etcd1".into())], 1), "etcd1");
        assert_eq!(member_name(&[], 0), "none");
    }

    #[test]
    fn a_message_is_named_and_its_fields_listed() {
        let m = msg("MsgAppend", 3_000, 3_002);
        assert_eq!(message_label(&m), "MsgAppend from etcd1 to etcd2, term 2");
        let fields = message_fields(&m);
        let names: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            names,
            ["type", "from", "to", "term", "index", "log term", "entries", "commit", "reject", "sent at", "arrives at"]
        );
        assert_eq!(fields[10].1, "0:03.002");
        // The dot starts at its sender, in the lane to the right of travel, and ends at the receiver.
        let (x, y) = dot_position(&m, 3_000, (50.0, 10.0), (50.0, 90.0));
        assert!((x - (50.0 - LANE_OFFSET)).abs() < 1e-9 && (y - 10.0).abs() < 1e-9, "{x} {y}");
        assert_eq!(dot_position(&m, 3_002, (50.0, 10.0), (50.0, 90.0)).1, 90.0);
    }

    #[test]
    fn the_panel_names_fields_peers_and_entries() {
        let raft = RaftView {
            role: Role::Leader,
            term: 3,
            vote: 1,
            commit: 9,
            applied: 8,
            first_index: 1,
            last_index: 10,
            snapshot_index: 0,
            unsynced: 1,
            progress: vec![
                etcdplay_core::sim::view::PeerProgress { id: 2, matched: 9, next: 10, state: "Replicate".into() },
                etcdplay_core::sim::view::PeerProgress { id: 7, matched: 0, next: 1, state: "Probe".into() },
            ],
        };
        let shown =
            Shown { name: "etcd1".into(), raft, log: vec![], names: vec![(1, "etcd1".into()), (2, "etcd2".into())] };
        let rows = state_rows(&shown);
        assert_eq!(rows.len(), 10);
        assert_eq!(rows[0], ("member", "etcd1".to_string()));
        assert_eq!(rows[3], ("vote", "etcd1".to_string()));
        assert_eq!(rows[4], ("commit", "9".to_string()));
        assert_eq!(rows[9], ("unsynced entries", "1".to_string()));
        // A peer no member names any more is shown by its ID in hex.
        assert_eq!(
            progress_rows(&shown),
            [("etcd2".to_string(), 9, 10, "Replicate".to_string()), ("7".to_string(), 0, 1, "Probe".to_string())]
        );
        let entry = EntryView { index: 10, term: 3, kind: "normal", committed: false };
        assert_eq!(entry_text(&entry), "index 10, term 3, normal, not committed");
        assert_eq!(entry_text(&EntryView { committed: true, ..entry }), "index 10, term 3, normal, committed");
    }
}
