//! etcdplay's page: a simulated etcd cluster running in the tab. This crate only renders; the cluster,
//! its Raft log and its MVCC store all live in `etcdplay-core`, which the page drives through
//! [`Action`](etcdplay_core::Action)s and reads through [`NodeView`](etcdplay_core::NodeView)s.

mod clock;
mod cluster;
mod console;
mod events;
mod files;
mod metrics;
mod network;
mod settings;
mod sim;

use clock::Clock;
use cluster::{ClusterRing, ClusterSize};
use console::Console;
use events::Events;
use files::Files;
use leptos::prelude::*;
use metrics::Metrics;
use network::NetworkBar;
use settings::Settings;
use sim::Sim;

/// Members in the playground cluster: three is the smallest cluster that survives losing one.
const MEMBERS: usize = 3;

/// Seed used unless the address says otherwise (`?seed=42`): the same seed replays the same elections.
const DEFAULT_SEED: u64 = 1;

fn main() {
    console_error_panic_hook::set_once();
    mount_to_body(App);
}

/// Reads `?seed=N` from the page address, so that a run can be shared and replayed.
fn seed_from_location() -> u64 {
    let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("seed="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_SEED)
}

/// The whole page: header with the clock and cluster size, the cluster ring with its network bar,
/// settings, event feed and files, the console, and the metrics charts below.
#[component]
fn App() -> impl IntoView {
    let sim = Sim::new(MEMBERS, seed_from_location());
    provide_context(sim);
    sim.start_clock();

    view! {
        <header class="top">
            <h1>"etcdplay"</h1>
            <p class="tagline">"etcd, opened up: a Raft-replicated MVCC store running in your tab"</p>
            <ClusterSize />
            <Clock />
        </header>
        <main class="layout">
            <div class="cluster-column">
                <ClusterRing />
                <NetworkBar />
                <Settings />
                <Events />
                <Files />
            </div>
            <Console />
        </main>
        <Metrics />
    }
}
