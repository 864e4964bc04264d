//! The cluster view: members on a ring, the leader linked to the followers it replicates to. Everything
//! shown is read from [`Snapshot`](crate::sim::Snapshot); a member card can kill, restart, pause or wipe
//! its process, change its disk, or isolate it from the network, through an [`Action`]; cut links come
//! from [`crate::network`]. What an action refuses (restarting a wiped member) is shown under the ring.

use crate::network::{self, CutLinks};
use crate::sim::Sim;
use etcdplay_core::disk::DiskProfile;
use etcdplay_core::sim::view::{ElectionView, TimerView};
use etcdplay_core::{Action, NodeView, Outcome, Role};
use leptos::prelude::*;

/// The last refusal of a member action, shown under the ring until the next action succeeds: etcd's
/// answer to restarting a wiped member is the lesson, so it must not be swallowed.
#[derive(Clone, Copy)]
struct Notice(RwSignal<Option<String>>);

impl Notice {
    /// Applies a member action and records what it refused (or clears the last refusal).
    fn apply(self, sim: Sim, action: Action) {
        sim.act(action, move |outcome: Outcome| {
            let message = outcome.stderr.trim().trim_start_matches("Error: ");
            self.0.set((!message.is_empty()).then(|| page_hint(message)));
        });
    }
}

/// The core's refusal names the script directive `@start`; on the page, the Start button does that.
fn page_hint(message: &str) -> String {
    if message.contains("@start") {
        format!("{message} On this page: run member remove and member add in the console, then click its Start button.")
    } else {
        message.to_string()
    }
}

/// The disks a card offers: (label, profile). "Slow" is far beyond etcd's 10 ms fsync guidance.
fn disk_choices() -> [(&'static str, DiskProfile); 4] {
    [
        ("NVMe", DiskProfile::NVME),
        ("SSD", DiskProfile::SSD),
        ("HDD", DiskProfile::HDD),
        ("Slow (300 ms fsync)", DiskProfile::fixed(300, 50)),
    ]
}

/// Radius of the ring as a percentage of the ring's box, leaving room for the cards at its edge.
const RING_RADIUS_PCT: f64 = 36.0;

/// Radius of a ring of more than [`ROOMY_RING_MAX`] members: wider, so that the smaller cards of seven
/// members do not overlap.
const DENSE_RING_RADIUS_PCT: f64 = 40.0;

/// The most members drawn with full-size cards.
const ROOMY_RING_MAX: usize = 5;

/// The ring's radius for `count` members, in percent of the box.
fn ring_radius(count: usize) -> f64 {
    if count > ROOMY_RING_MAX {
        DENSE_RING_RADIUS_PCT
    } else {
        RING_RADIUS_PCT
    }
}

/// Centre of member `index` of `count` on the ring, in percent of the box; the first member sits at the top,
/// and a lone member in the middle (a ring of one would leave it hanging off the top).
fn ring_position(index: usize, count: usize) -> (f64, f64) {
    if count <= 1 {
        return (50.0, 50.0);
    }
    let radius = ring_radius(count);
    let angle = std::f64::consts::TAU * index as f64 / count as f64 - std::f64::consts::FRAC_PI_2;
    (50.0 + radius * angle.cos(), 50.0 + radius * angle.sin())
}

/// All members on a ring, with a line from the leader to each member it is heartbeating.
#[component]
pub fn ClusterRing() -> impl IntoView {
    let sim = expect_context::<Sim>();
    // Keyed by name: a card is created once per member and then only updates its own fields.
    let names = Memo::new(move |_| sim.snapshot.with(|s| s.nodes.iter().map(|n| n.name.clone()).collect::<Vec<_>>()));
    // Links carry the member count: positions on the ring depend on it, so a resized cluster redraws them.
    let links = Memo::new(move |_| {
        sim.cut.with(|cut| {
            sim.snapshot.with(|s| {
                let count = s.nodes.len();
                leader_links(&s.nodes, cut).into_iter().map(|(from, to)| (from, to, count)).collect::<Vec<_>>()
            })
        })
    });
    // Links the page has cut, drawn broken so that the sides of a partition are visibly apart.
    let cut = Memo::new(move |_| {
        sim.cut.with(|cut| {
            names.with(|names| {
                let count = names.len();
                network::cut_links(names, cut).into_iter().map(|(a, b)| (a, b, count)).collect::<Vec<_>>()
            })
        })
    });
    let count = Memo::new(move |_| names.with(Vec::len));
    let notice = Notice(RwSignal::new(None));
    provide_context(notice);
    provide_context(crate::raft::Inspected(RwSignal::new(None)));
    provide_context(crate::slow_motion::SlowMotion(RwSignal::new(true)));

    view! {
        <section class="ring" class:ring-dense=move || { count.get() > ROOMY_RING_MAX } aria-label="cluster">
            <svg class="ring-lines" viewBox="0 0 100 100" aria-hidden="true">
                <circle class="ring-track" cx="50" cy="50" r=move || ring_radius(count.get())></circle>
                <For
                    each=move || cut.get()
                    key=|link| *link
                    children=move |(a, b, count)| {
                        let from = ring_position(a, count);
                        let to = ring_position(b, count);
                        let ((ax, ay), (bx, by)) = (along(from, to, CUT_GAP_START), along(from, to, CUT_GAP_END));
                        let (mx, my) = along(from, to, 0.5);
                        let r = CUT_MARK_SIZE;
                        view! {
                            <g class="cut-link">
                                <line x1=from.0 y1=from.1 x2=ax y2=ay></line>
                                <line x1=bx y1=by x2=to.0 y2=to.1></line>
                                <line class="cut-mark" x1=mx - r y1=my - r x2=mx + r y2=my + r></line>
                                <line class="cut-mark" x1=mx - r y1=my + r x2=mx + r y2=my - r></line>
                            </g>
                        }
                    }
                />
            </svg>
            // The leader's links on a layer of their own, which pulses with an opacity animation: the
            // compositor runs it, so it costs the main thread no paint per frame (marching dashes did).
            <svg class="ring-lines ring-links" viewBox="0 0 100 100" aria-hidden="true">
                <For
                    each=move || links.get()
                    key=|link| *link
                    children=move |(from, to, count)| {
                        let (x1, y1) = ring_position(from, count);
                        let (x2, y2) = ring_position(to, count);
                        view! { <line class="link" x1=x1 y1=y1 x2=x2 y2=y2></line> }
                    }
                />
            </svg>
            // Keyed by name, place and member count: a resized cluster lays its cards out again.
            <For
                each=move || {
                    let names = names.get();
                    let count = names.len();
                    names.into_iter().enumerate().map(move |(index, name)| (index, name, count))
                }
                key=|(index, name, count)| (*index, name.clone(), *count)
                children=move |(index, name, count)| {
                    view! { <NodeCard name=name position=ring_position(index, count) /> }
                }
            />
            // Over the cards (most of a link is under them): every dot, true or slow motion, is small, and
            // clickable wherever it is; the cards' buttons stay clickable around it.
            <div class="messages">
                {crate::slow_motion::slow_motion_dots(sim, ring_position)}
                {crate::raft::message_dots(sim, ring_position)}
            </div>
        </section>
        <crate::raft::MessageLegend />
        <crate::raft::MessageInspector />
        <crate::raft::MessageList />
        <ClusterTable />
        <div class="cluster-notices">
            <p class="cluster-notice" role="alert">{move || notice.0.get()}</p>
            <Announced />
        </div>
    }
}

/// A "Start etcdN" button for each member `member add` announced and nobody started yet, as running
/// `etcd --initial-cluster-state existing` on a new machine would.
#[component]
fn Announced() -> impl IntoView {
    let sim = expect_context::<Sim>();
    let notice = expect_context::<Notice>();
    let announced = Memo::new(move |_| sim.snapshot.with(|s| s.announced.clone()));
    view! {
        <For
            each=move || announced.get()
            key=|a| a.clone()
            children=move |(name, url)| {
                let label = format!("Start {name}");
                let action = Action::Start { member: name.clone(), client_url: Some(url), data_dir: None };
                view! {
                    <button class="network-button start-member" on:click=move |_| notice.apply(sim, action.clone())>
                        {label}
                    </button>
                }
            }
        />
    }
}

/// The cluster size picker: 3 members survive losing one, 5 two, 7 three; 1 survives nothing but shows a
/// leader that needs no votes. Changing it boots a new cluster from the same seed. The selected size is the
/// running cluster's, read from the world: a restored cluster may have another size than the one picked.
#[component]
pub fn ClusterSize() -> impl IntoView {
    let sim = expect_context::<Sim>();
    let running = Memo::new(move |_| sim.snapshot.with(|s| s.nodes.len()));
    let on_change = move |ev| {
        if let Ok(members) = event_target_value(&ev).parse::<usize>() {
            sim.rebuild(members);
        }
    };
    view! {
        <div class="size">
            <label for="cluster-size">"Cluster size"</label>
            <select id="cluster-size" on:change=on_change disabled=sim.live.is_some()>
                {CLUSTER_SIZES
                    .iter()
                    .map(|&n| {
                        view! {
                            <option value=n.to_string() prop:selected=move || running.get() == n>
                                {size_label(n)}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}

/// Cluster sizes on offer: odd, because an even member adds no fault tolerance.
pub const CLUSTER_SIZES: [usize; 4] = [1, 3, 5, 7];

/// "1 member", "3 members".
fn size_label(n: usize) -> String {
    if n == 1 {
        "1 member".to_string()
    } else {
        format!("{n} members")
    }
}

/// Where a cut link's gap begins and ends, as fractions of the way from one member to the other.
const CUT_GAP_START: f64 = 0.44;
const CUT_GAP_END: f64 = 0.56;

/// Half the size of the cross drawn in a cut link's gap, in percent of the ring's box.
const CUT_MARK_SIZE: f64 = 1.4;

/// The point a fraction `t` of the way from `from` to `to`.
fn along(from: (f64, f64), to: (f64, f64), t: f64) -> (f64, f64) {
    (from.0 + (to.0 - from.0) * t, from.1 + (to.1 - from.1) * t)
}

/// Pairs (leader index, follower index) for every up member that follows an up leader over a link the
/// page has not cut. A cut-off leader keeps its role until CheckQuorum steps it down, and its old
/// followers keep its ID until they elect another; no heartbeat crosses those links, so none is drawn.
fn leader_links(nodes: &[NodeView], cut: &CutLinks) -> Vec<(usize, usize)> {
    let mut links = Vec::new();
    for (leader, l) in nodes.iter().enumerate().filter(|(_, n)| n.up && n.role == Role::Leader) {
        let follows = |(i, n): &(usize, &NodeView)| {
            *i != leader && n.up && n.leader_id == l.id && !network::is_cut(cut, &l.name, &n.name)
        };
        for (follower, _) in nodes.iter().enumerate().filter(follows) {
            links.push((leader, follower));
        }
    }
    links
}

/// The members' names, in member order.
fn member_names(nodes: &[NodeView]) -> Vec<String> {
    nodes.iter().map(|n| n.name.clone()).collect()
}

/// The name a screen reader announces for a member, e.g. "etcd1, leader, term 3".
pub fn accessible_name(node: &NodeView) -> String {
    format!("{}, {}, term {}", node.name, node.role, node.term)
}

/// One member: name, Raft role, term, commit index and store revision, plus its kill/restart and isolate
/// buttons. Its place in a partition ("isolated", "side B") is shown as a badge; the card's accessible name
/// stays "name, role, term N".
#[component]
fn NodeCard(name: String, position: (f64, f64)) -> impl IntoView {
    let sim = expect_context::<Sim>();
    let node = {
        let name = name.clone();
        Memo::new(move |_| sim.snapshot.with(|s| s.nodes.iter().find(|n| n.name == name).cloned()))
    };
    let field = move |f: fn(&NodeView) -> String| move || node.with(|n| n.as_ref().map(f).unwrap_or_default());
    let up = move || node.with(|n| n.as_ref().is_some_and(|n| n.up));
    let paused = move || node.with(|n| n.as_ref().is_some_and(|n| n.paused));
    let badge = {
        let name = name.clone();
        Memo::new(move |_| {
            sim.cut.with(|cut| sim.snapshot.with(|s| network::member_badge(&member_names(&s.nodes), cut, &name)))
        })
    };
    let isolated = Memo::new(move |_| badge.with(|b| b.as_deref() == Some(network::ISOLATED)));
    let vote = {
        let name = name.clone();
        Memo::new(move |_| {
            sim.snapshot.with(|s| {
                let i = s.nodes.iter().position(|n| n.name == name)?;
                s.elections.get(i).and_then(vote_badge)
            })
        })
    };
    let class = move || {
        let role = node.with(|n| n.as_ref().map_or(Role::Down, |n| n.role));
        if isolated.get() {
            format!("node role-{role} node-isolated")
        } else {
            format!("node role-{role}")
        }
    };
    let button_label = {
        let name = name.clone();
        move || {
            if up() {
                format!("Kill {name}")
            } else {
                format!("Restart {name}")
            }
        }
    };
    let notice = expect_context::<Notice>();
    let pick = use_context::<crate::raft::RaftPick>();
    let controls_name = name.clone();
    let on_click = {
        let name = name.clone();
        move |_| {
            let member = name.clone();
            // Restarting a wiped member is refused, as etcd would panic: the notice says what to do.
            let action = if up() { Action::Kill { member } } else { Action::Restart { member } };
            notice.apply(sim, action);
        }
    };

    view! {
        <div
            class=class
            role="group"
            aria-label=field(accessible_name)
            style:left=format!("{:.2}%", position.0)
            style:top=format!("{:.2}%", position.1)
        >
            <button
                class="node-name"
                aria-label=format!("Raft state of {name}")
                title=format!("Show the Raft state of {name}")
                on:click={
                    let name = name.clone();
                    move |_| {
                        if let Some(pick) = pick {
                            pick.show(&name);
                        }
                    }
                }
            >
                {name.clone()}
            </button>
            <div class="node-role">{field(|n| n.role.to_string())}</div>
            {move || badge.get().map(|text| view! { <span class="node-badge">{text}</span> })}
            {move || paused().then(|| view! { <span class="node-badge node-paused">"paused"</span> })}
            {move || vote.get().map(|text| view! { <span class="node-badge node-vote">{text}</span> })}
            <ElectionTimer name=name.clone() />
            <dl class="node-stats">
                <dt>"term"</dt>
                <dd style:color=move || node.with(|n| n.as_ref().map(|n| crate::raft::term_colour(n.term)))>
                    {field(|n| n.term.to_string())}
                </dd>
                <dt>"commit"</dt>
                <dd>{field(|n| n.commit_index.to_string())}</dd>
                <dt>"rev"</dt>
                <dd>{field(|n| n.revision.to_string())}</dd>
            </dl>
            <div class="node-actions">
                <button class="node-action" aria-label=button_label.clone() on:click=on_click>
                    {move || if up() { "Kill" } else { "Restart" }}
                </button>
                <button
                    class="node-action node-isolate"
                    aria-label=format!("Isolate {name}")
                    disabled=move || isolated.get()
                    on:click=move |_| network::isolate(sim, &name)
                >
                    "Isolate"
                </button>
            </div>
            <MemberControls name=controls_name node=node />
        </div>
    }
}

/// A card's election-timer badge text: "2 of 3 pre-votes" on a (pre-)candidate, "voted for etcd2" on a
/// member that granted its vote in the election under way; nothing otherwise.
fn vote_badge(e: &ElectionView) -> Option<String> {
    if let Some(t) = e.tally {
        let noun = if t.pre { "pre-votes" } else { "votes" };
        return Some(format!("{} of {} {noun}", t.granted, t.voters));
    }
    let (to, pre) = e.granted_to.as_ref()?;
    Some(format!("{} for {to}", if *pre { "pre-voted" } else { "voted" }))
}

/// Circumference of the timer arc's circle (radius [`TIMER_RADIUS`] in a 20×20 box).
const TIMER_RADIUS: f64 = 8.0;

/// The member's election timer as an arc that fills up between heartbeats and resets on each one; a full
/// arc is an election. On the leader it is the heartbeat timer. Its text alternative reads
/// "election timer 600 of 1300 ms".
#[component]
fn ElectionTimer(name: String) -> impl IntoView {
    let sim = expect_context::<Sim>();
    let timer: Memo<Option<TimerView>> = Memo::new(move |_| {
        sim.snapshot
            .with(|s| s.nodes.iter().position(|n| n.name == name).and_then(|i| s.timers.get(i).copied().flatten()))
    });
    let circumference = std::f64::consts::TAU * TIMER_RADIUS;
    let filled =
        move || timer.with(|t| t.map_or(0.0, |t| t.elapsed_ms as f64 / t.timeout_ms.max(1) as f64).clamp(0.0, 1.0));
    let class = move || {
        let kind = timer.with(|t| match t {
            Some(t) if t.heartbeat => "timer-heartbeat",
            Some(_) if filled() >= TIMER_WARN_FRACTION => "timer-election timer-late",
            _ => "timer-election",
        });
        format!("node-timer {kind}")
    };
    let label = move || timer.with(|t| t.map_or_else(|| "no timer: the process is down".to_string(), |t| t.describe()));
    view! {
        <svg class=class viewBox="0 0 20 20" role="img" aria-label=label>
            <circle class="timer-track" cx="10" cy="10" r=TIMER_RADIUS></circle>
            <circle
                class="timer-arc"
                cx="10"
                cy="10"
                r=TIMER_RADIUS
                stroke-dasharray=move || format!("{:.2} {circumference:.2}", filled() * circumference)
                transform="rotate(-90 10 10)"
            ></circle>
        </svg>
    }
}

/// From this fraction of its timeout on, a follower's arc is drawn in the warning colour: no heartbeat
/// for most of a timeout is what precedes an election.
const TIMER_WARN_FRACTION: f64 = 0.75;

/// One row of the cluster table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberRow {
    pub member: String,
    pub role: String,
    pub term: u64,
    pub vote: String,
    pub commit: u64,
    pub applied: u64,
    pub timer: String,
    pub disk: String,
    pub network: String,
}

/// The cluster as table rows: what the ring shows, in words, for screen readers.
pub fn member_rows(s: &crate::sim::Snapshot, cut: &CutLinks) -> Vec<MemberRow> {
    let names = member_names(&s.nodes);
    let name_of = |id: u64| match id {
        0 => "none".to_string(),
        id => s.nodes.iter().find(|n| n.id == id).map_or_else(|| format!("{id:x}"), |n| n.name.clone()),
    };
    s.nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let role = if n.paused { format!("{} (paused)", n.role) } else { n.role.to_string() };
            MemberRow {
                member: n.name.clone(),
                role,
                term: n.term,
                vote: s.raft.get(i).map_or_else(|| "none".to_string(), |(r, _)| name_of(r.vote)),
                commit: n.commit_index,
                applied: n.applied_index,
                timer: s.timers.get(i).copied().flatten().map_or_else(|| "none".to_string(), |t| t.describe()),
                disk: n.disk.clone(),
                network: network::member_badge(&names, cut, &n.name).unwrap_or_else(|| "connected".to_string()),
            }
        })
        .collect()
}

/// The cluster state as a table, visually hidden: the ring's text alternative for screen readers.
#[component]
fn ClusterTable() -> impl IntoView {
    let sim = expect_context::<Sim>();
    let rows = Memo::new(move |_| sim.cut.with(|cut| sim.snapshot.with(|s| member_rows(s, cut))));
    let headers = ["member", "role", "term", "vote", "commit", "applied", "timer", "disk", "network"];
    view! {
        // In a 1px box of its own (`sr-contained`): its timer column changes every tick, and contained,
        // that relays out the table alone, not the page.
        <div class="sr-only sr-contained">
            <table aria-label="Cluster state">
                <caption>"Every member's Raft state, disk and network"</caption>
                <thead>
                    <tr>{headers.map(|h| view! { <th scope="col">{h}</th> }).collect_view()}</tr>
                </thead>
                <tbody>{crate::table::member_rows(rows, |r| r.member.clone(), MEMBER_CELLS)}</tbody>
            </table>
        </div>
    }
}

/// The cluster table's cells after the member's name, in the order of its headers.
const MEMBER_CELLS: &[crate::table::Cell<MemberRow>] = &[
    |r| r.role.clone(),
    |r| r.term.to_string(),
    |r| r.vote.clone(),
    |r| r.commit.to_string(),
    |r| r.applied.to_string(),
    |r| r.timer.clone(),
    |r| r.disk.clone(),
    |r| r.network.clone(),
];

/// A card's second row: pause/resume the process, wipe its data dir, and pick its disk.
#[component]
fn MemberControls(name: String, node: Memo<Option<NodeView>>) -> impl IntoView {
    let sim = expect_context::<Sim>();
    let notice = expect_context::<Notice>();
    let up = move || node.with(|n| n.as_ref().is_some_and(|n| n.up));
    let paused = move || node.with(|n| n.as_ref().is_some_and(|n| n.paused));
    let disk = move || node.with(|n| n.as_ref().map(|n| n.disk.clone()).unwrap_or_default());
    let pause_label = {
        let name = name.clone();
        move || if paused() { format!("Resume {name}") } else { format!("Pause {name}") }
    };
    let on_pause = {
        let name = name.clone();
        move |_| {
            let member = name.clone();
            notice.apply(sim, if paused() { Action::Resume { member } } else { Action::Pause { member } });
        }
    };
    let on_wipe = {
        let name = name.clone();
        move |_| notice.apply(sim, Action::Wipe { member: name.clone() })
    };
    let on_disk = {
        let name = name.clone();
        move |ev| {
            let label = event_target_value(&ev);
            if let Some((_, p)) = disk_choices().into_iter().find(|(l, _)| *l == label) {
                notice.apply(sim, Action::Disk { member: name.clone(), min_us: p.min_us, max_us: p.max_us });
            }
        }
    };
    view! {
        <div class="node-actions node-actions-more">
            <button class="node-action" aria-label=pause_label disabled=move || !up() on:click=on_pause>
                {move || if paused() { "Resume" } else { "Pause" }}
            </button>
            <button class="node-action" aria-label=format!("Wipe data dir of {name}") on:click=on_wipe>
                "Wipe"
            </button>
        </div>
        <select class="node-disk" aria-label=format!("Disk of {name}") on:change=on_disk>
            {disk_choices()
                .into_iter()
                .map(|(label, p)| {
                    let described = p.describe();
                    view! { <option value=label prop:selected=move || disk() == described>{label}</option> }
                })
                .collect_view()}
        </select>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn node(name: &str, id: u64, role: Role, leader_id: u64) -> NodeView {
        NodeView {
            name: name.to_string(),
            id,
            role,
            term: 2,
            commit_index: 0,
            applied_index: 0,
            up: true,
            leader_id,
            revision: 1,
            paused: false,
            disk: "NVMe".to_string(),
        }
    }

    #[test]
    fn no_heartbeat_is_drawn_across_a_cut_link() {
        // etcd1 was isolated while leading; etcd3 has not yet heard of the new leader etcd2.
        let nodes = [
            node("etcd1", 1, Role::Leader, 1),
            node("etcd2", 2, Role::Leader, 2),
            node("etcd3", 3, Role::Follower, 1),
            node("etcd4", 4, Role::Follower, 2),
        ];
        let cut = network::partition_links(&[names(&["etcd1"]), names(&["etcd2", "etcd3", "etcd4"])]);
        assert_eq!(leader_links(&nodes, &cut), [(1, 3)]);
        assert_eq!(leader_links(&nodes, &CutLinks::new()), [(0, 2), (1, 3)]);
        // A 2|2 split: etcd1 still reaches etcd3 on its side.
        let split = network::partition_links(&[names(&["etcd1", "etcd3"]), names(&["etcd2", "etcd4"])]);
        assert_eq!(leader_links(&nodes, &split), [(0, 2), (1, 3)]);
    }

    #[test]
    fn votes_and_the_cluster_table_read_from_the_views() {
        use etcdplay_core::sim::view::Tally;
        let tally = Tally { pre: true, granted: 2, rejected: 0, voters: 3 };
        assert_eq!(
            vote_badge(&ElectionView { tally: Some(tally), granted_to: None }).as_deref(),
            Some("2 of 3 pre-votes")
        );
        let voted = ElectionView { tally: None, granted_to: Some(("etcd2".into(), false)) };
        assert_eq!(vote_badge(&voted).as_deref(), Some("voted for etcd2"));
        assert_eq!(vote_badge(&ElectionView::default()), None);

        let mut world = etcdplay_core::World::new(etcdplay_core::WorldConfig::demo(3, 2));
        let l = world.wait_for_leader(10_000).expect("leader");
        let follower = (l + 1) % 3;
        world.apply(Action::Pause { member: format!("etcd{}", follower + 1) });
        let snapshot = crate::sim::Snapshot {
            nodes: world.nodes(),
            raft: (0..3).map(|i| (world.raft_view(i), Vec::new())).collect(),
            timers: (0..3).map(|i| world.timer_view(i)).collect(),
            ..Default::default()
        };
        let cut = network::partition_links(&[names(&["etcd1"]), names(&["etcd2", "etcd3"])]);
        let rows = member_rows(&snapshot, &cut);
        assert_eq!(rows.iter().map(|r| r.member.as_str()).collect::<Vec<_>>(), ["etcd1", "etcd2", "etcd3"]);
        assert_eq!(rows[0].network, network::ISOLATED);
        assert_eq!(rows[follower].role, "follower (paused)");
        let leader = &rows[l];
        assert_eq!(leader.role, "leader");
        assert!(leader.timer.starts_with("heartbeat timer"), "{leader:?}");
        assert!(
            rows.iter().all(|r| r.vote != "none" && r.disk == "NVMe"),
            "every member voted in the election it knows: {rows:?}"
        );
    }

    #[test]
    fn seven_members_fit_on_the_ring() {
        assert_eq!(ring_position(0, 1), (50.0, 50.0));
        let cards: Vec<(f64, f64)> = (0..7).map(|i| ring_position(i, 7)).collect();
        for (i, a) in cards.iter().enumerate() {
            assert!((0.0..=100.0).contains(&a.0) && (0.0..=100.0).contains(&a.1), "{a:?}");
            for b in &cards[i + 1..] {
                // Dense cards are under a quarter of the box wide and tall: no two centres that close.
                assert!((a.0 - b.0).abs() > 20.0 || (a.1 - b.1).abs() > 24.0, "{a:?} and {b:?} overlap");
            }
        }
        assert_eq!(size_label(1), "1 member");
        assert_eq!(size_label(7), "7 members");
    }
}
