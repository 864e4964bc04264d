//! Cluster-wide settings: the network profile, `--snapshot-count` and `--auto-compaction-*`, each sent to
//! the core as an [`Action`], plus the quorum the leader's membership needs (read from the core, which
//! counts the voters; the page only does the majority arithmetic it prints).

use crate::sim::Sim;
use etcdplay_core::raftnode::DEFAULT_SNAPSHOT_COUNT;
use etcdplay_core::server::compactor::Mode;
use etcdplay_core::sim::network::PROFILES;
use etcdplay_core::{Action, World};
use leptos::prelude::*;

/// Auto-compaction choices: (option value, label, mode).
const COMPACTIONS: [(&str, &str, Option<Mode>); 4] = [
    ("off", "off", None),
    ("periodic-5m", "periodic, keep 5m", Some(Mode::Periodic { retention_ms: 5 * 60_000 })),
    ("periodic-1h", "periodic, keep 1h", Some(Mode::Periodic { retention_ms: 3_600_000 })),
    ("revision-1000", "revision, keep 1000", Some(Mode::Revision { retention: 1_000 })),
];

/// "quorum 2 of 3 voters", or that there is no leader to count them.
pub fn quorum_text(voters: usize) -> String {
    if voters == 0 {
        "quorum unknown: no leader".to_string()
    } else {
        let plural = if voters == 1 { "" } else { "s" };
        format!("quorum {} of {voters} voter{plural}", World::quorum(voters))
    }
}

/// The settings panel. A rebuilt world or a restored cluster starts from the defaults again, so the
/// controls are redrawn for each (keyed by the epoch and cluster ID) rather than keeping a stale choice.
#[component]
pub fn Settings() -> impl IntoView {
    let sim = expect_context::<Sim>();
    let quorum = Memo::new(move |_| sim.snapshot.with(|s| quorum_text(s.voters)));
    // A restored cluster replacing the running one starts from the defaults too.
    let cluster = Memo::new(move |_| sim.snapshot.with(|s| s.cluster_id));
    view! {
        <section class="settings" aria-labelledby="settings-title">
            <h2 id="settings-title" class="panel-title">"Cluster settings"</h2>
            <div class="settings-body">
                {move || {
                    sim.epoch.track();
                    cluster.track();
                    view! { <SettingControls /> }
                }}
                <p class="quorum" role="status" aria-live="polite">{move || quorum.get()}</p>
            </div>
        </section>
    }
}

/// The three controls; each change applies at once. Each is named by `aria-label`: a wrapping label's
/// name would also take in the selected option's text.
#[component]
fn SettingControls() -> impl IntoView {
    let sim = expect_context::<Sim>();
    // What is set now, which a lesson or a script may have changed without this menu.
    let network = Memo::new(move |_| {
        sim.snapshot.track();
        sim.read_world(|w| w.network_profile()).unwrap_or("lan")
    });
    let on_network = move |ev| {
        let profile = event_target_value(&ev);
        sim.act(Action::Network { profile }, report);
    };
    let on_snapshot_count = move |ev| {
        if let Ok(count) = event_target_value(&ev).trim().parse::<u64>() {
            sim.act(Action::SnapshotCount { count }, report);
        }
    };
    let on_compaction = move |ev| {
        let value = event_target_value(&ev);
        if let Some(&(_, _, mode)) = COMPACTIONS.iter().find(|c| c.0 == value) {
            sim.act(Action::AutoCompaction { mode }, report);
        }
    };
    view! {
        <label class="setting">
            "Network"
            <select aria-label="Network" on:change=on_network>
                {PROFILES
                    .iter()
                    .map(|&n| view! { <option value=n prop:selected=move || network.get() == n>{n}</option> })
                    .collect_view()}
            </select>
        </label>
        <label class="setting">
            "Snapshot count"
            <input aria-label="Snapshot count" type="number" min="0" step="100" value=DEFAULT_SNAPSHOT_COUNT.to_string() on:change=on_snapshot_count />
        </label>
        <label class="setting">
            "Auto-compaction"
            <select aria-label="Auto-compaction" on:change=on_compaction>
                {COMPACTIONS.iter().map(|&(v, label, _)| view! { <option value=v>{label}</option> }).collect_view()}
            </select>
        </label>
    }
}

/// These actions fail only on a bug (an unknown profile name); the browser console shows it.
fn report(outcome: etcdplay_core::Outcome) {
    if !outcome.stderr.is_empty() {
        leptos::logging::warn!("{}", outcome.stderr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use etcdplay_core::{World, WorldConfig};

    /// The menu shows what the world runs, whoever set it (a lesson switches to wan by action).
    #[test]
    fn the_network_menu_reads_the_profile_set() {
        let mut world = World::new(WorldConfig::demo(3, 1));
        assert_eq!(world.network_profile(), "lan");
        for name in PROFILES {
            world.apply(Action::Network { profile: name.to_string() });
            assert_eq!(world.network_profile(), name);
        }
    }

    fn ctl(world: &mut World, line: &str) -> String {
        let out = world.apply(Action::Etcdctl { line: line.to_string(), stdin: None });
        assert_eq!(out.exit_code, 0, "{line}: {}", out.stderr);
        out.stdout
    }

    #[test]
    fn the_quorum_follows_member_add_promote_and_remove() {
        let mut world = World::new(WorldConfig::demo(3, 1));
        world.wait_for_leader(10_000);
        assert_eq!(quorum_text(world.voters().len()), "quorum 2 of 3 voters");
        let added = ctl(&mut world, "member add etcd4 --peer-urls=http://10.0.0.4:2380");
        let id = added.split_whitespace().nth(1).unwrap_or_default().to_string();
        world.advance(500);
        assert_eq!(quorum_text(world.voters().len()), "quorum 3 of 4 voters");
        assert_eq!(world.announced_unstarted(), [("etcd4".to_string(), "http://10.0.0.4:2379".to_string())]);
        let member = "etcd4".to_string();
        let start = Action::Start { member, client_url: Some("http://10.0.0.4:2379".into()), data_dir: None };
        assert_eq!(world.apply(start).exit_code, 0);
        assert!(world.announced_unstarted().is_empty());
        world.advance(2_000);
        ctl(&mut world, &format!("member remove {id}"));
        world.advance(500);
        assert_eq!(quorum_text(world.voters().len()), "quorum 2 of 3 voters");
        // A learner does not vote until promoted.
        let added = ctl(&mut world, "member add etcd5 --peer-urls=http://10.0.0.5:2380 --learner");
        let id = added.split_whitespace().nth(1).unwrap_or_default().to_string();
        let member = "etcd5".to_string();
        world.apply(Action::Start { member, client_url: Some("http://10.0.0.5:2379".into()), data_dir: None });
        world.advance(3_000);
        assert_eq!(world.voters().len(), 3);
        ctl(&mut world, &format!("member promote {id}"));
        world.advance(500);
        assert_eq!(quorum_text(world.voters().len()), "quorum 3 of 4 voters");
    }

    #[test]
    fn quorum_is_a_majority_of_voters() {
        assert_eq!(quorum_text(3), "quorum 2 of 3 voters");
        assert_eq!(quorum_text(4), "quorum 3 of 4 voters");
        assert_eq!(quorum_text(1), "quorum 1 of 1 voter");
        assert_eq!(quorum_text(0), "quorum unknown: no leader");
        for profile in PROFILES {
            assert!(etcdplay_core::sim::network::LinkFault::profile(profile).is_some());
        }
    }
}
