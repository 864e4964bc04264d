//! The Kubernetes panel: load a Kubernetes-like keyspace under `/registry/` (1k, 10k or 100k objects,
//! optionally with large config maps and secrets) and turn a controller-like traffic on, to see why "too
//! many objects" and "large objects" hurt etcd. Loading and traffic are recorded actions
//! ([`Action::LoadKubernetes`], [`Action::KubernetesTraffic`]); the progress and traffic lines are the
//! core's [`KubernetesView`](etcdplay_core::kubernetes::KubernetesView) texts, copied into the
//! snapshot every tick.

use crate::sim::Sim;
use etcdplay_core::Action;
use leptos::prelude::*;

/// The sizes offered, as (objects, option text). Each member keeps its own copy of the keyspace (and of its
/// latest Raft snapshot), so 100,000 objects grew the page's wasm memory to 1.9 GB when measured.
const SIZES: [(u64, &str); 3] = [
    (1_000, "1,000 objects"),
    (10_000, "10,000 objects"),
    (100_000, "100,000 objects (about 2 GB of this tab's memory)"),
];

/// Every member's `--quota-backend-bytes` ([`Action::SetQuota`]): etcd's default, and smaller ones a load
/// can reach in the tab, to see the NOSPACE alarm.
const QUOTAS: [(u64, &str); 3] =
    [(2 * 1024 * 1024 * 1024, "2 GiB (default)"), (64 * 1024 * 1024, "64 MiB"), (16 * 1024 * 1024, "16 MiB")];

#[component]
pub fn Kubernetes() -> impl IntoView {
    let sim = expect_context::<Sim>();
    let objects = RwSignal::new(SIZES[0].0);
    let large = RwSignal::new(false);
    let error = RwSignal::new(String::new());
    let view = Memo::new(move |_| sim.snapshot.with(|s| s.kubernetes.clone()));
    let loading = move || view.with(|v| v.load.as_ref().is_some_and(|l| l.finished_ms.is_none()));
    let on_load = move |_| {
        let load = Action::LoadKubernetes { objects: objects.get_untracked(), large: large.get_untracked() };
        sim.act(load, move |out| error.set(out.stderr.trim().to_string()));
    };
    let on_traffic = move |ev| {
        sim.act(Action::KubernetesTraffic { on: event_target_checked(&ev) }, drop);
    };
    let on_quota = move |ev| {
        if let Ok(bytes) = event_target_value(&ev).parse() {
            sim.act(Action::SetQuota { bytes }, drop);
        }
    };
    let on_size = move |ev| {
        if let Ok(n) = event_target_value(&ev).parse() {
            objects.set(n);
        }
    };
    view! {
        <section class="kubernetes" aria-labelledby="kubernetes-title">
            <h2 class="panel-title" id="kubernetes-title">"Kubernetes"</h2>
            <div class="kubernetes-body">
                <p class="kubernetes-intro">
                    "kube-apiserver keeps every object in etcd under /registry/: pods, deployments, replica sets, \
                     services, config maps, secrets, events, node leases. Load a cluster's worth and watch what \
                     it costs."
                </p>
                <div class="kubernetes-controls">
                    <label class="setting">
                        "Size "
                        <select aria-label="Objects to load" on:change=on_size>
                            {SIZES
                                .iter()
                                .map(|&(n, text)| view! { <option value=n.to_string()>{text}</option> })
                                .collect_view()}
                        </select>
                    </label>
                    <label class="setting">
                        <input
                            type="checkbox"
                            aria-label="Large objects"
                            on:change=move |ev| large.set(event_target_checked(&ev))
                        />
                        " Large objects (1 config map and 1 secret in 100 of 256 KiB-1000 KiB)"
                    </label>
                    <button class="kubernetes-load" on:click=on_load disabled=loading>
                        "Load Kubernetes objects"
                    </button>
                    <label class="setting">
                        "Quota "
                        <select
                            aria-label="Backend quota (--quota-backend-bytes)"
                            prop:value=move || view.with(|v| v.quota.unwrap_or(QUOTAS[0].0).to_string())
                            on:change=on_quota
                        >
                            {QUOTAS
                                .iter()
                                .map(|&(bytes, text)| view! { <option value=bytes.to_string()>{text}</option> })
                                .collect_view()}
                        </select>
                    </label>
                    <label class="setting">
                        <input
                            type="checkbox"
                            aria-label="Controller traffic"
                            prop:checked=move || view.with(|v| v.traffic)
                            on:change=on_traffic
                        />
                        " Controller traffic"
                    </label>
                </div>
                <p class="kubernetes-error" role="alert">{move || error.get()}</p>
                <p class="kubernetes-progress" role="status" aria-live="polite">
                    {move || view.with(|v| v.progress_text())}
                </p>
                <p class="kubernetes-traffic">{move || view.with(|v| v.traffic_text())}</p>
                <details class="kubernetes-help">
                    <summary>"What to look at"</summary>
                    <ul>
                        <li>
                            "db size: endpoint status -w table. etcd refuses writes (NOSPACE) at the quota, 2 GB by \
                             default; 8 GB is the largest recommended. Large objects fill it fastest; pick a small \
                             quota above to see the alarm."
                        </li>
                        <li>
                            "Commit latency: the Metrics panel's WAL fsync and backend commit durations; each MiB \
                             written adds about 2 ms to an fsync."
                        </li>
                        <li>
                            "Too many objects: get /registry/pods --prefix --keys-only | head is a range over \
                             every pod; get /registry/pods --prefix --keys-only --limit=1 -w json counts them."
                        </li>
                        <li>
                            "Snapshots: snapshot save s.db copies the whole db; a member that falls behind gets it \
                             as an InstallSnapshot (watch the Events panel and the messages on the ring)."
                        </li>
                        <li>
                            "Traffic: node leases renew every 10 s, pods update, events get a 1 h lease; the \
                             apiserver's watches show in the Watches panel and in etcd_debugging_mvcc_watcher_total."
                        </li>
                    </ul>
                </details>
            </div>
        </section>
    }
}
