//! The cluster view: members on a ring, the leader linked to the followers it replicates to. Everything
//! shown is read from [`Snapshot`](crate::sim::Snapshot); a member card can kill or restart its process,
//! or isolate it from the network, through an [`Action`]; the network bar heals every cut link.

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
        sim.isolated.with(|isolated| {
            sim.snapshot.with(|s| {
                let count = s.nodes.len();
                leader_links(&s.nodes, isolated).into_iter().map(|(from, to)| (from, to, count)).collect::<Vec<_>>()
            })
        })
    });
    // Links the page has cut, drawn broken so that an isolated member is visibly alone.
    let cut = Memo::new(move |_| {
        sim.isolated.with(|isolated| {
            names.with(|names| {
                let count = names.len();
                cut_links(names, isolated).into_iter().map(|(a, b)| (a, b, count)).collect::<Vec<_>>()
            })
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
fn leader_links(nodes: &[NodeView], isolated: &[String]) -> Vec<(usize, usize)> {
    let cut_off = |n: &NodeView| isolated.contains(&n.name);
    let mut links = Vec::new();
    for (leader, l) in nodes.iter().enumerate().filter(|(_, n)| n.up && n.role == Role::Leader && !cut_off(n)) {
        for (follower, _) in
            nodes.iter().enumerate().filter(|(i, n)| *i != leader && n.up && n.leader_id == l.id && !cut_off(n))
        {
            links.push((leader, follower));
        }
    }
    links
}

/// Pairs of member indexes (lower first) whose link is cut because at least one of them is isolated.
fn cut_links(names: &[String], isolated: &[String]) -> Vec<(usize, usize)> {
    let mut links = Vec::new();
    for (a, name_a) in names.iter().enumerate() {
        for (b, name_b) in names.iter().enumerate().skip(a + 1) {
            if isolated.contains(name_a) || isolated.contains(name_b) {
                links.push((a, b));
            }
        }
    }
    links
}

/// The partition that cuts each isolated member off from every other member: each isolated member alone
/// (in the order they were isolated), then the rest of `members` together. Names no longer in `members`
/// are dropped, and so is an empty rest.
fn isolation_groups(members: &[String], isolated: &[String]) -> Vec<Vec<String>> {
    let mut groups: Vec<Vec<String>> =
        isolated.iter().filter(|name| members.contains(name)).map(|name| vec![name.clone()]).collect();
    let rest: Vec<String> = members.iter().filter(|name| !isolated.contains(name)).cloned().collect();
    if !rest.is_empty() {
        groups.push(rest);
    }
    groups
}

/// Cuts `member` off from every other member, keeping the members isolated before it isolated.
fn isolate(sim: Sim, member: &str) {
    let mut isolated = sim.isolated.get_untracked();
    if isolated.iter().any(|m| m == member) {
        return;
    }
    isolated.push(member.to_string());
    let members = sim.snapshot.with_untracked(|s| s.nodes.iter().map(|n| n.name.clone()).collect::<Vec<_>>());
    let outcome = sim.apply(Action::Partition { groups: isolation_groups(&members, &isolated) });
    if outcome.stderr.is_empty() {
        sim.isolated.set(isolated);
    } else {
        // Partitioning known members cannot fail; an error here would be a bug worth seeing.
        leptos::logging::warn!("{}", outcome.stderr);
    }
}

/// Restores every link.
fn heal(sim: Sim) {
    let outcome = sim.apply(Action::Heal);
    if !outcome.stderr.is_empty() {
        leptos::logging::warn!("{}", outcome.stderr);
    }
    sim.isolated.set(Vec::new());
}

/// What the network bar says, e.g. "all links up" or "etcd2 and etcd3 isolated".
fn network_status(isolated: &[String]) -> String {
    match isolated {
        [] => "all links up".to_string(),
        [only] => format!("{only} isolated from the other members"),
        [first @ .., last] => format!("{} and {last} isolated from the other members", first.join(", ")),
    }
}

/// The state of the network and the button that heals it; healing is only on offer while a link is cut.
#[component]
pub fn NetworkBar() -> impl IntoView {
    let sim = expect_context::<Sim>();
    let partitioned = move || sim.isolated.with(|i| !i.is_empty());
    view! {
        <div class="network" class:network-cut=partitioned>
            <span class="network-label">"Network: "</span>
            <span class="network-status" role="status">
                {move || sim.isolated.with(|i| network_status(i))}
            </span>
            <button class="network-heal" disabled=move || !partitioned() on:click=move |_| heal(sim)>
                "Heal network"
            </button>
        </div>
    }
}

/// The name a screen reader announces for a member, e.g. "etcd1, leader, term 3".
pub fn accessible_name(node: &NodeView) -> String {
    format!("{}, {}, term {}", node.name, node.role, node.term)
}

/// One member: name, Raft role, term, commit index and store revision, plus its kill/restart and isolate
/// buttons. Isolation is shown as a badge; the card's accessible name stays "name, role, term N".
#[component]
fn NodeCard(name: String, position: (f64, f64)) -> impl IntoView {
    let sim = expect_context::<Sim>();
    let node = {
        let name = name.clone();
        Memo::new(move |_| sim.snapshot.with(|s| s.nodes.iter().find(|n| n.name == name).cloned()))
    };
    let field = move |f: fn(&NodeView) -> String| move || node.with(|n| n.as_ref().map(f).unwrap_or_default());
    let up = move || node.with(|n| n.as_ref().is_some_and(|n| n.up));
    let isolated = {
        let name = name.clone();
        Memo::new(move |_| sim.isolated.with(|i| i.contains(&name)))
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
            <div class="node-name">{name.clone()}</div>
            <div class="node-role">{field(|n| n.role.to_string())}</div>
            <Show when=move || isolated.get()>
                <span class="node-badge">"isolated"</span>
            </Show>
            <dl class="node-stats">
                <dt>"term"</dt>
                <dd>{field(|n| n.term.to_string())}</dd>
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
                    on:click=move |_| isolate(sim, &name)
                >
                    "Isolate"
                </button>
            </div>
        </div>
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
        }
    }

    #[test]
    fn isolated_members_stand_alone_and_the_rest_stays_together() {
        let members = names(&["etcd1", "etcd2", "etcd3", "etcd4", "etcd5"]);
        assert_eq!(
            isolation_groups(&members, &names(&["etcd2"])),
            [names(&["etcd2"]), names(&["etcd1", "etcd3", "etcd4", "etcd5"])]
        );
        assert_eq!(
            isolation_groups(&members, &names(&["etcd4", "etcd1"])),
            [names(&["etcd4"]), names(&["etcd1"]), names(&["etcd2", "etcd3", "etcd5"])]
        );
        // Everyone isolated: no empty rest; unknown names are dropped.
        let three = names(&["etcd1", "etcd2", "etcd3"]);
        assert_eq!(
            isolation_groups(&three, &names(&["etcd1", "etcd9", "etcd2", "etcd3"])),
            [names(&["etcd1"]), names(&["etcd2"]), names(&["etcd3"])]
        );
    }

    #[test]
    fn cut_links_touch_every_isolated_member_once() {
        let members = names(&["etcd1", "etcd2", "etcd3"]);
        assert_eq!(cut_links(&members, &[]), []);
        assert_eq!(cut_links(&members, &names(&["etcd2"])), [(0, 1), (1, 2)]);
        assert_eq!(cut_links(&members, &names(&["etcd1", "etcd2"])), [(0, 1), (0, 2), (1, 2)]);
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
        assert_eq!(leader_links(&nodes, &names(&["etcd1"])), [(1, 3)]);
        assert_eq!(leader_links(&nodes, &[]), [(0, 2), (1, 3)]);
    }

    #[test]
    fn network_status_names_the_isolated() {
        assert_eq!(network_status(&[]), "all links up");
        assert_eq!(network_status(&names(&["etcd2"])), "etcd2 isolated from the other members");
        assert_eq!(
            network_status(&names(&["etcd2", "etcd3", "etcd1"])),
            "etcd2, etcd3 and etcd1 isolated from the other members"
        );
    }
}
