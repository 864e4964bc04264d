//! The network between members as the page partitions it: which links are cut, the bar that says so and
//! heals them, and the partition editor that puts members on sides (A, B, C, ...) and applies the split.
//!
//! The core only knows cut links and cuts more of them with every `Action::Partition` (it never reconnects
//! anything but on `Action::Heal`). The page mirrors that exactly in [`Sim::cut`]: every partition it applies
//! adds the links between its groups, a heal clears them, and everything shown (sides, isolated members,
//! broken links) is derived from that set.

use crate::sim::Sim;
use etcdplay_core::{Action, TimedAction};
use leptos::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// Links cut by the page, each a pair of member names with the lower name first.
pub type CutLinks = BTreeSet<(String, String)>;

/// Sides the partition editor always offers: enough for a leader alone, 2|3 and 1|1|3.
const MIN_SIDES: usize = 3;

/// The key of the link between `a` and `b`, whichever way round they are given.
fn link(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_string(), b.to_string())
    } else {
        (b.to_string(), a.to_string())
    }
}

/// Whether the page has cut the link between `a` and `b`.
pub fn is_cut(cut: &CutLinks, a: &str, b: &str) -> bool {
    cut.contains(&link(a, b))
}

/// The links a partition into `groups` cuts: every pair of members in different groups.
pub fn partition_links(groups: &[Vec<String>]) -> CutLinks {
    let mut links = CutLinks::new();
    for (i, group) in groups.iter().enumerate() {
        for other in &groups[i + 1..] {
            for a in group {
                for b in other {
                    links.insert(link(a, b));
                }
            }
        }
    }
    links
}

/// The links cut after a run's `actions`, as the page would have mirrored them while applying them: what a
/// replayed or rewound world starts with.
pub fn cut_after(actions: &[TimedAction]) -> CutLinks {
    let mut cut = CutLinks::new();
    for timed in actions {
        match &timed.action {
            Action::Partition { groups } => cut.extend(partition_links(groups)),
            // A restored cluster replaces the running one, and its network starts with every link up.
            Action::Heal | Action::Start { data_dir: Some(_), .. } => cut.clear(),
            _ => {}
        }
    }
    cut
}

/// Pairs of member indexes (lower first) whose link is cut, for drawing.
pub fn cut_links(names: &[String], cut: &CutLinks) -> Vec<(usize, usize)> {
    let mut links = Vec::new();
    for (a, name_a) in names.iter().enumerate() {
        for (b, name_b) in names.iter().enumerate().skip(a + 1) {
            if is_cut(cut, name_a, name_b) {
                links.push((a, b));
            }
        }
    }
    links
}

/// The members that can still reach each other, as groups: the connected parts of the network over the
/// links that are not cut, each in member order, ordered by their first member. For a split the page
/// applied these are exactly its groups, whatever order they were applied in.
pub fn reachable_groups(members: &[String], cut: &CutLinks) -> Vec<Vec<String>> {
    let mut side: Vec<Option<usize>> = vec![None; members.len()];
    let mut groups: Vec<Vec<String>> = Vec::new();
    for start in 0..members.len() {
        if side[start].is_some() {
            continue;
        }
        let id = groups.len();
        side[start] = Some(id);
        let mut todo = vec![start];
        let mut group = Vec::new();
        while let Some(i) = todo.pop() {
            group.push(i);
            for j in 0..members.len() {
                if side[j].is_none() && !is_cut(cut, &members[i], &members[j]) {
                    side[j] = Some(id);
                    todo.push(j);
                }
            }
        }
        group.sort_unstable();
        groups.push(group.into_iter().map(|i| members[i].clone()).collect());
    }
    groups
}

/// Members cut off from every other member: they cannot win or keep leadership of a cluster of more than one.
pub fn isolated_members(members: &[String], cut: &CutLinks) -> Vec<String> {
    if members.len() < 2 {
        return Vec::new();
    }
    members.iter().filter(|m| members.iter().all(|o| o == *m || is_cut(cut, m, o))).cloned().collect()
}

/// The badge of a member cut off from every other member.
pub const ISOLATED: &str = "isolated";

/// The badge on a member's card: "isolated" when it is cut off from every other member, "side B" when it is
/// on one side of a split (the side the partition editor shows), nothing while it reaches every member.
pub fn member_badge(members: &[String], cut: &CutLinks, name: &str) -> Option<String> {
    let groups = reachable_groups(members, cut);
    if groups.len() <= 1 {
        return None;
    }
    if isolated_members(members, cut).iter().any(|m| m == name) {
        return Some(ISOLATED.to_string());
    }
    groups.iter().position(|g| g.iter().any(|m| m == name)).map(|side| format!("side {}", side_letter(side)))
}

/// The side (0 = A) each member is on in the current split, for the partition editor to start from.
pub fn current_sides(members: &[String], cut: &CutLinks) -> BTreeMap<String, usize> {
    let groups = reachable_groups(members, cut);
    groups.iter().enumerate().flat_map(|(side, g)| g.iter().map(move |m| (m.clone(), side))).collect()
}

/// The groups a choice of sides makes: one per side that has members, in side order, each in member order.
/// Members with no side chosen are on side A.
pub fn groups_from_sides(members: &[String], sides: &BTreeMap<String, usize>) -> Vec<Vec<String>> {
    let mut by_side: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for m in members {
        by_side.entry(sides.get(m).copied().unwrap_or(0)).or_default().push(m.clone());
    }
    by_side.into_values().collect()
}

/// A side's letter: A, B, C, ...
pub fn side_letter(side: usize) -> String {
    char::from_u32(u32::from(b'A') + side as u32).map_or_else(|| side.to_string(), String::from)
}

/// Groups written the way the network bar shows them: "etcd1, etcd2 | etcd3, etcd4, etcd5".
pub fn format_groups(groups: &[Vec<String>]) -> String {
    groups.iter().map(|g| g.join(", ")).collect::<Vec<_>>().join(" | ")
}

/// What the network bar says: "all links up", "etcd2 and etcd3 isolated from the other members" when only
/// single members are cut off, or the split, "split etcd1, etcd2 | etcd3, etcd4, etcd5".
pub fn network_status(members: &[String], cut: &CutLinks) -> String {
    if cut_links(members, cut).is_empty() {
        return "all links up".to_string();
    }
    let groups = reachable_groups(members, cut);
    let isolated = isolated_members(members, cut);
    if groups.len() <= 1 {
        "some links cut".to_string()
    } else if groups.len() - isolated.len() <= 1 {
        match isolated.as_slice() {
            [only] => format!("{only} isolated from the other members"),
            [first @ .., last] => format!("{} and {last} isolated from the other members", first.join(", ")),
            [] => unreachable!("two or more groups, at most one of them larger than one member"),
        }
    } else {
        format!("split {}", format_groups(&groups))
    }
}

/// Partitions the network into exactly `groups`. A cut link that the new split keeps within a group has to
/// be restored first, and only a heal restores links, so the network is healed before cutting again.
pub fn apply_split(sim: Sim, groups: Vec<Vec<String>>) {
    let wanted = partition_links(&groups);
    let mut cut = sim.cut.get_untracked();
    if !cut.is_subset(&wanted) {
        sim.act(Action::Heal, report);
        cut.clear();
    }
    if !wanted.is_subset(&cut) {
        sim.act(Action::Partition { groups }, report);
        cut.extend(wanted);
    }
    sim.cut.set(cut);
}

/// Cuts `member` off from every other member, keeping every link cut before cut.
pub fn isolate(sim: Sim, member: &str) {
    let members = sim.snapshot.with_untracked(|s| s.nodes.iter().map(|n| n.name.clone()).collect::<Vec<_>>());
    let others: Vec<String> = members.into_iter().filter(|m| m != member).collect();
    let groups = vec![vec![member.to_string()], others];
    let wanted = partition_links(&groups);
    let mut cut = sim.cut.get_untracked();
    if wanted.is_subset(&cut) {
        return;
    }
    sim.act(Action::Partition { groups }, report);
    cut.extend(wanted);
    sim.cut.set(cut);
}

/// Restores every link.
fn heal(sim: Sim) {
    sim.act(Action::Heal, report);
    sim.cut.set(CutLinks::new());
}

/// Partitioning and healing known members cannot fail; an error here would be a bug worth seeing.
fn report(outcome: etcdplay_core::Outcome) {
    if !outcome.stderr.is_empty() {
        leptos::logging::warn!("{}", outcome.stderr);
    }
}

/// The names of the running cluster's members, in member order.
fn member_names(sim: Sim) -> Memo<Vec<String>> {
    Memo::new(move |_| sim.snapshot.with(|s| s.nodes.iter().map(|n| n.name.clone()).collect()))
}

/// The state of the network, the button that opens the partition editor, and the button that heals every
/// cut link (only on offer while a link is cut).
#[component]
pub fn NetworkBar() -> impl IntoView {
    let sim = expect_context::<Sim>();
    let names = member_names(sim);
    let partitioned = Memo::new(move |_| sim.cut.with(|cut| names.with(|n| !cut_links(n, cut).is_empty())));
    let editing = RwSignal::new(false);
    view! {
        <div class="network-area">
            <div class="network" class:network-cut=move || partitioned.get()>
                <span class="network-label">"Network: "</span>
                <span class="network-status" role="status">
                    {move || sim.cut.with(|cut| names.with(|n| network_status(n, cut)))}
                </span>
                <button
                    class="network-button"
                    aria-expanded=move || editing.get().to_string()
                    aria-controls=move || editing.get().then_some("partition-editor")
                    on:click=move |_| editing.update(|e| *e = !*e)
                >
                    "Partition…"
                </button>
                <button class="network-button network-heal" disabled=move || !partitioned.get() on:click=move |_| heal(sim)>
                    "Heal network"
                </button>
            </div>
            <Show when=move || editing.get()>
                <PartitionEditor names=names editing=editing />
            </Show>
        </div>
    }
}

/// Puts each member on a side (A, B, C, ...) and applies the split: members on different sides cannot
/// exchange messages. It opens on the current split, so "Apply partition" with nothing changed keeps it.
#[component]
fn PartitionEditor(names: Memo<Vec<String>>, editing: RwSignal<bool>) -> impl IntoView {
    let sim = expect_context::<Sim>();
    let sides = RwSignal::new(sim.cut.with_untracked(|cut| names.with_untracked(|n| current_sides(n, cut))));
    let side_count = Memo::new(move |_| {
        let used = sides.with(|s| s.values().max().map_or(0, |&m| m + 1));
        names.with(|n| MIN_SIDES.max(used).min(n.len().max(1)))
    });
    let plan = Memo::new(move |_| names.with(|n| sides.with(|s| groups_from_sides(n, s))));
    let apply = move |_| {
        apply_split(sim, plan.get_untracked());
        editing.set(false);
    };
    view! {
        <div id="partition-editor" class="partition-editor" role="group" aria-label="Partition editor">
            <p class="partition-help">"Put members on sides: only members on the same side can reach each other."</p>
            <ul class="partition-members">
                <For
                    each=move || names.get()
                    key=|name| name.clone()
                    children=move |name| view! { <SidePicker name=name sides=sides side_count=side_count /> }
                />
            </ul>
            <p class="partition-plan">
                <span class="network-label">"Split: "</span>
                {move || plan.with(|p| format_groups(p))}
            </p>
            <div class="partition-actions">
                <button class="network-button" on:click=apply>"Apply partition"</button>
                <button class="network-button" on:click=move |_| editing.set(false)>"Cancel"</button>
            </div>
        </div>
    }
}

/// One member's side, as a select named "Network side of etcd1".
#[component]
fn SidePicker(name: String, sides: RwSignal<BTreeMap<String, usize>>, side_count: Memo<usize>) -> impl IntoView {
    let id = format!("side-{name}");
    let current = {
        let name = name.clone();
        move || sides.with(|s| s.get(&name).copied().unwrap_or(0))
    };
    let on_change = {
        let name = name.clone();
        move |ev| {
            if let Ok(side) = event_target_value(&ev).parse::<usize>() {
                sides.update(|s| {
                    s.insert(name.clone(), side);
                });
            }
        }
    };
    view! {
        <li class="partition-member">
            <label for=id.clone()>{name.clone()}</label>
            <select id=id aria-label=format!("Network side of {name}") on:change=on_change>
                {move || {
                    let current = current.clone();
                    (0..side_count.get())
                        .map(|side| {
                            let current = current.clone();
                            view! {
                                <option value=side.to_string() prop:selected=move || current() == side>
                                    {side_letter(side)}
                                </option>
                            }
                        })
                        .collect_view()
                }}
            </select>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn groups(list: &[&[&str]]) -> Vec<Vec<String>> {
        list.iter().map(|g| names(g)).collect()
    }

    #[test]
    fn a_replay_starts_with_the_links_its_actions_cut() {
        let at = |action| TimedAction { at_ms: 0, action };
        let split = |g: &[&[&str]]| at(Action::Partition { groups: groups(g) });
        let isolate1 = split(&[&["etcd1"], &["etcd2", "etcd3"]]);
        let isolate2 = split(&[&["etcd2"], &["etcd1", "etcd3"]]);
        assert_eq!(cut_after(&[isolate1.clone(), isolate2.clone()]).len(), 3);
        assert!(cut_after(&[isolate1.clone(), at(Action::Heal)]).is_empty());
        let after_heal = cut_after(&[isolate1, at(Action::Heal), isolate2]);
        assert!(is_cut(&after_heal, "etcd2", "etcd3") && !is_cut(&after_heal, "etcd1", "etcd3"));
    }

    fn five() -> Vec<String> {
        names(&["etcd1", "etcd2", "etcd3", "etcd4", "etcd5"])
    }

    #[test]
    fn a_partition_cuts_every_link_between_its_groups_and_none_within() {
        let cut = partition_links(&groups(&[&["etcd2", "etcd1"], &["etcd3"]]));
        assert!(is_cut(&cut, "etcd1", "etcd3") && is_cut(&cut, "etcd3", "etcd2"));
        assert!(!is_cut(&cut, "etcd1", "etcd2"));
        assert_eq!(cut.len(), 2);
        assert!(partition_links(&groups(&[&["etcd1", "etcd2"]])).is_empty());
    }

    #[test]
    fn cut_links_are_drawn_between_the_sides() {
        let members = names(&["etcd1", "etcd2", "etcd3"]);
        assert_eq!(cut_links(&members, &CutLinks::new()), []);
        let isolated = partition_links(&groups(&[&["etcd2"], &["etcd1", "etcd3"]]));
        assert_eq!(cut_links(&members, &isolated), [(0, 1), (1, 2)]);
        let apart = partition_links(&groups(&[&["etcd1"], &["etcd2"], &["etcd3"]]));
        assert_eq!(cut_links(&members, &apart), [(0, 1), (0, 2), (1, 2)]);
    }

    #[test]
    fn the_groups_are_read_back_from_the_cut_links() {
        let members = five();
        let split = groups(&[&["etcd4", "etcd2"], &["etcd5", "etcd1", "etcd3"]]);
        let cut = partition_links(&split);
        assert_eq!(reachable_groups(&members, &cut), groups(&[&["etcd1", "etcd3", "etcd5"], &["etcd2", "etcd4"]]));
        assert_eq!(reachable_groups(&members, &CutLinks::new()), vec![five()]);
        // Isolating on top of a split refines it: the core's cuts only ever add up.
        let mut more = cut.clone();
        more.extend(partition_links(&groups(&[&["etcd3"], &["etcd1", "etcd2", "etcd4", "etcd5"]])));
        assert_eq!(reachable_groups(&members, &more), groups(&[&["etcd1", "etcd5"], &["etcd2", "etcd4"], &["etcd3"]]));
        assert_eq!(isolated_members(&members, &more), names(&["etcd3"]));
    }

    #[test]
    fn sides_make_groups_of_the_sides_in_use() {
        let members = five();
        let sides: BTreeMap<String, usize> =
            [("etcd1", 2), ("etcd2", 2), ("etcd5", 1)].into_iter().map(|(n, s)| (n.to_string(), s)).collect();
        // etcd3 and etcd4 have no side chosen: side A.
        assert_eq!(
            groups_from_sides(&members, &sides),
            groups(&[&["etcd3", "etcd4"], &["etcd5"], &["etcd1", "etcd2"]])
        );
        // 1|1|3 and back to sides: the current split is where the editor starts.
        let split = groups(&[&["etcd1"], &["etcd2"], &["etcd3", "etcd4", "etcd5"]]);
        let sides = current_sides(&members, &partition_links(&split));
        assert_eq!(sides.get("etcd2"), Some(&1));
        assert_eq!(groups_from_sides(&members, &sides), split);
        assert_eq!(member_badge(&members, &partition_links(&split), "etcd2").as_deref(), Some(ISOLATED));
        assert_eq!(member_badge(&members, &partition_links(&split), "etcd4").as_deref(), Some("side C"));
        assert_eq!(member_badge(&members, &CutLinks::new(), "etcd4"), None);
        assert_eq!(side_letter(0), "A");
        assert_eq!(side_letter(2), "C");
    }

    #[test]
    fn network_status_names_the_isolated_or_the_split() {
        let members = five();
        let status = |split: &[&[&str]]| network_status(&members, &partition_links(&groups(split)));
        assert_eq!(network_status(&members, &CutLinks::new()), "all links up");
        assert_eq!(
            status(&[&["etcd2"], &["etcd1", "etcd3", "etcd4", "etcd5"]]),
            "etcd2 isolated from the other members"
        );
        assert_eq!(
            status(&[&["etcd1"], &["etcd2"], &["etcd3", "etcd4", "etcd5"]]),
            "etcd1 and etcd2 isolated from the other members"
        );
        assert_eq!(
            status(&[&["etcd1", "etcd2"], &["etcd3", "etcd4", "etcd5"]]),
            "split etcd1, etcd2 | etcd3, etcd4, etcd5"
        );
        let three = names(&["etcd1", "etcd2", "etcd3"]);
        let apart = partition_links(&groups(&[&["etcd2"], &["etcd3"], &["etcd1"]]));
        assert_eq!(network_status(&three, &apart), "etcd1, etcd2 and etcd3 isolated from the other members");
        // Links to members no longer in the cluster do not count.
        assert_eq!(
            network_status(&names(&["etcd1", "etcd3"]), &partition_links(&groups(&[&["etcd2"], &["etcd1"]]))),
            "all links up"
        );
    }
}
