//! etcdplay's page: a simulated etcd cluster running in the tab. This crate only renders; the cluster,
//! its Raft log and its MVCC store all live in `etcdplay-core`, which the page drives through
//! [`Action`](etcdplay_core::Action)s and reads through [`NodeView`](etcdplay_core::NodeView)s.

mod checker;
mod clock;
mod cluster;
mod console;
mod drawer;
mod events;
mod files;
mod keyspace;
mod kubernetes;
mod leases;
mod lessons;
mod link;
mod live;
mod member_pick;
mod metrics;
mod network;
mod on_screen;
mod pace;
mod raft;
mod settings;
mod sim;
mod slow_motion;
mod table;
mod time;
mod watches;

use checker::HistoryCheck;
use clock::Clock;
use cluster::{ClusterRing, ClusterSize};
use console::Console;
use drawer::{grid_panel_chosen, PanelTabs, PanelsDrawer};
use events::Events;
use files::Files;
use keyspace::Keyspace;
use kubernetes::Kubernetes;
use leases::Leases;
use leptos::prelude::*;
use lessons::Lessons;
use metrics::Metrics;
use network::NetworkBar;
use on_screen::OnScreen;
use raft::RaftPanel;
use settings::Settings;
use sim::Sim;
use time::TimeBar;
use watches::Watches;

/// Members in the playground cluster: three is the smallest cluster that survives losing one.
const MEMBERS: usize = 3;

/// Seed used unless the address says otherwise (`?seed=42`): the same seed replays the same elections.
const DEFAULT_SEED: u64 = 1;

fn main() {
    console_error_panic_hook::set_once();
    let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
    if !live::requested(&search) {
        let (sim, notice) = sim_from_location();
        mount_to_body(move || view! { <App sim notice /> });
        return;
    }
    // The live page builds its world from the server's first answer.
    wasm_bindgen_futures::spawn_local(async move {
        let (sim, notice) = match live::fetch_feed(0).await {
            Ok(feed) => (Sim::live(feed), String::new()),
            Err(e) => (
                Sim::new(MEMBERS, DEFAULT_SEED),
                format!("No served cluster answers here ({e}); this is the page's own cluster instead."),
            ),
        };
        mount_to_body(move || view! { <App sim notice /> });
    });
}

/// Builds the world the page address asks for: a linked run replayed to the moment it was shared (paused
/// there), or a fresh cluster from `?seed=N`. Also returns what the Time bar should say about it; a damaged
/// link says why and starts a fresh cluster.
fn sim_from_location() -> (Sim, String) {
    let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
    let seed = link::param(&search, "seed").and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_SEED);
    match link::parse_query(&search) {
        Ok(Some(run)) => {
            let notice = format!(
                "Replayed a shared run: seed {}, {} members, {} actions, paused at {}. Press Play to go on.",
                run.seed,
                run.members,
                run.actions.len(),
                clock::format_sim_time(run.at_ms)
            );
            (Sim::from_link(&run), notice)
        }
        Ok(None) => (Sim::new(MEMBERS, seed), String::new()),
        Err(reason) => {
            (Sim::new(MEMBERS, seed), format!("This link is damaged ({reason}); a fresh cluster started instead."))
        }
    }
}

/// The whole page: header with the clock and cluster size, the cluster ring with its network bar,
/// settings, event feed and files, the console, and the metrics charts below.
#[component]
fn App(sim: Sim, notice: String) -> impl IntoView {
    provide_context(sim);
    // Which member the Raft panel shows: its picker and a click on a card on the ring both set it.
    provide_context(raft::RaftPick::default());
    sim.start_clock();
    sim.follow();
    let own_cluster = sim.live.is_none();

    view! {
        <header class="top">
            <h1>"etcdplay"</h1>
            <p class="tagline">"etcd, opened up: a Raft-replicated MVCC store running in your tab"</p>
            <ClusterSize />
            <Clock />
            <PanelsDrawer />
        </header>
        <TimeBar notice />
        // Lessons drive the page's own cluster step by step; a served one is driven by its clients.
        {own_cluster.then(|| view! { <Lessons /> })}
        <main class="layout" class:grid-panel-chosen=grid_panel_chosen()>
            <PanelTabs />
            <div class="cluster-column">
                <ClusterRing />
                <NetworkBar />
            </div>
            <Console />
            // The panels share the page's width in a grid under the ring and the console.
            <div class="panel-grid">
                <OnScreen title_id="settings-title"><Settings /></OnScreen>
                <OnScreen title_id="events-title"><Events /></OnScreen>
                <OnScreen title_id="raft-title"><RaftPanel /></OnScreen>
                <OnScreen title_id="watches-title"><Watches /></OnScreen>
                <OnScreen title_id="leases-title"><Leases /></OnScreen>
                <OnScreen title_id="history-check-title"><HistoryCheck /></OnScreen>
                <OnScreen title_id="files-title"><Files /></OnScreen>
                <OnScreen title_id="keyspace-title"><Keyspace /></OnScreen>
                <OnScreen title_id="kubernetes-title"><Kubernetes /></OnScreen>
                <OnScreen title_id="metrics-title"><Metrics /></OnScreen>
            </div>
        </main>
    }
}
