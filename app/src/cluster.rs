//! The cluster view: members on a ring, the leader linked to the followers it replicates to. Everything
//! shown is read from [`Snapshot`](crate::sim::Snapshot); the only thing a member card can do is kill or
//! restart its process through an [`Action`].

use crate::sim::Sim;
use etcdplay_core::{Action, NodeView, Role};
use leptos::prelude::*;

/// Radius of the ring as a percentage of the ring's box, leaving room for the cards at its edge.
const RING_RADIUS_PCT: f64 = 36.0;

/// Centre of member `index` of `count` on the ring, in percent of the box; the first member sits at the top.
fn ring_position(index: usize, count: usize) -> (f64, f64) {
    let count = count.max(1) as f64;
    let angle = std::f64::consts::TAU * index as f64 / count - std::f64::consts::FRAC_PI_2;
    (50.0 + RING_RADIUS_PCT * angle.cos(), 50.0 + RING_RADIUS_PCT * angle.sin())
}

/// All members on a ring, with a line from the leader to each member it is heartbeating.
#[component]
pub fn ClusterRing() -> impl IntoView {
    let sim = expect_context::<Sim>();
    // Keyed by name: a card is created once per member and then only updates its own fields.
    let names = Memo::new(move |_| sim.snapshot.with(|s| s.nodes.iter().map(|n| n.name.clone()).collect::<Vec<_>>()));
    // Links carry the member count: positions on the ring depend on it, so a resized cluster redraws them.
    let links = Memo::new(move |_| {
        sim.snapshot.with(|s| {
            let count = s.nodes.len();
            leader_links(&s.nodes).into_iter().map(|(from, to)| (from, to, count)).collect::<Vec<_>>()
        })
    });

    view! {
        <section class="ring" aria-label="cluster">
            <svg class="ring-lines" viewBox="0 0 100 100" aria-hidden="true">
                <circle class="ring-track" cx="50" cy="50" r=RING_RADIUS_PCT></circle>
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
        </section>
    }
}

/// The cluster size picker: 3 members survive losing one, 5 survive losing two. Changing it boots a new
/// cluster from the same seed.
#[component]
pub fn ClusterSize() -> impl IntoView {
    let sim = expect_context::<Sim>();
    let on_change = move |ev| {
        if let Ok(members) = event_target_value(&ev).parse::<usize>() {
            if members != sim.members.get_untracked() {
                sim.rebuild(members);
            }
        }
    };
    view! {
        <div class="size">
            <label for="cluster-size">"Cluster size"</label>
            <select id="cluster-size" on:change=on_change>
                {CLUSTER_SIZES
                    .iter()
                    .map(|&n| {
                        view! {
                            <option value=n.to_string() prop:selected=move || sim.members.get() == n>
                                {format!("{n} members")}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}

/// Cluster sizes on offer: odd, because an even member adds no fault tolerance.
pub const CLUSTER_SIZES: [usize; 2] = [3, 5];

/// Pairs (leader index, follower index) for every up member that follows the current leader.
fn leader_links(nodes: &[NodeView]) -> Vec<(usize, usize)> {
    let Some(leader) = nodes.iter().position(|n| n.up && n.role == Role::Leader) else {
        return Vec::new();
    };
    let leader_id = nodes[leader].id;
    nodes
        .iter()
        .enumerate()
        .filter(|(i, n)| *i != leader && n.up && n.leader_id == leader_id)
        .map(|(i, _)| (leader, i))
        .collect()
}

/// The name a screen reader announces for a member, e.g. "etcd1, leader, term 3".
pub fn accessible_name(node: &NodeView) -> String {
    format!("{}, {}, term {}", node.name, node.role, node.term)
}

/// One member: name, Raft role, term, commit index and store revision, plus its kill/restart button.
#[component]
fn NodeCard(name: String, position: (f64, f64)) -> impl IntoView {
    let sim = expect_context::<Sim>();
    let node = {
        let name = name.clone();
        Memo::new(move |_| sim.snapshot.with(|s| s.nodes.iter().find(|n| n.name == name).cloned()))
    };
    let field = move |f: fn(&NodeView) -> String| move || node.with(|n| n.as_ref().map(f).unwrap_or_default());
    let up = move || node.with(|n| n.as_ref().is_some_and(|n| n.up));
    let class = move || {
        let role = node.with(|n| n.as_ref().map_or(Role::Down, |n| n.role));
        format!("node role-{role}")
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
    let on_click = {
        let name = name.clone();
        move |_| {
            let member = name.clone();
            let action = if up() { Action::Kill { member } } else { Action::Restart { member } };
            // Kill and restart of a known member cannot fail; an error here would be a bug worth seeing.
            let outcome = sim.apply(action);
            if !outcome.stderr.is_empty() {
                leptos::logging::warn!("{}", outcome.stderr);
            }
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
            <div class="node-name">{name}</div>
            <div class="node-role">{field(|n| n.role.to_string())}</div>
            <dl class="node-stats">
                <dt>"term"</dt>
                <dd>{field(|n| n.term.to_string())}</dd>
                <dt>"commit"</dt>
                <dd>{field(|n| n.commit_index.to_string())}</dd>
                <dt>"rev"</dt>
                <dd>{field(|n| n.revision.to_string())}</dd>
            </dl>
            <button class="node-action" aria-label=button_label.clone() on:click=on_click>
                {move || if up() { "Kill" } else { "Restart" }}
            </button>
        </div>
    }
}
