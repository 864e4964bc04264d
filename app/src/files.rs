//! The Files panel: the world's simulated file system (what `snapshot save` writes and `snapshot status` /
//! `snapshot restore` read), with a download button per file and an upload for the visitor's own snapshot,
//! and the data dirs `snapshot restore` wrote, each with the button that starts its member.
//!
//! Uploads and starts are [`Action`]s, so a run that used them still replays from its seed and actions;
//! downloads only read. Paths and names are whatever the visitor typed and are rendered as text.

use crate::sim::{DataDirView, Sim, Snapshot};
use etcdplay_core::Action;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

/// How long a download's object URL stays valid: long enough for the browser to start reading it.
const OBJECT_URL_LIFETIME_MS: u32 = 60_000;

/// A file size the way a file manager shows it: bytes up to 1 KiB, then KiB or MiB with one decimal.
pub fn format_size(bytes: usize) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} B")
    } else if b < KIB * KIB {
        format!("{:.1} KiB", b / KIB)
    } else {
        format!("{:.1} MiB", b / (KIB * KIB))
    }
}

/// The name a download is saved under: the path's last component (a browser saves into its own folder).
pub fn download_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).find(|p| !p.is_empty()).unwrap_or("snapshot.db")
}

/// Whether the member a data dir was restored for runs now: in the restored cluster (same cluster ID) and up.
/// Its start button is then pointless, so it is disabled.
pub fn is_running(snapshot: &Snapshot, dir: &DataDirView) -> bool {
    snapshot.cluster_id == dir.cluster_id && snapshot.nodes.iter().any(|n| n.name == dir.member && n.up)
}

/// Hands `bytes` to the browser as a download named after `path`: a Blob, an object URL and a click on a
/// momentary `<a download>`, which is how a page saves a file without a server.
fn download(path: &str, bytes: &[u8]) -> Result<(), JsValue> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/octet-stream");
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let body = document.body().ok_or("no body")?;
    let anchor: web_sys::HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    anchor.set_href(&url);
    anchor.set_download(download_name(path));
    // Attached for the click: some browsers ignore clicks on a link that is not in the document.
    body.append_child(&anchor)?;
    anchor.click();
    anchor.remove();
    // Revoking at once can cancel the download in some browsers; the URL is freed a little later instead.
    gloo_timers::callback::Timeout::new(OBJECT_URL_LIFETIME_MS, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}

/// Reads the file the visitor picked and writes it into the simulated file system under its own name.
async fn upload(sim: Sim, file: web_sys::File, status: RwSignal<String>) {
    let name = file.name();
    let buffer = match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
        Ok(buffer) => buffer,
        Err(e) => return status.set(format!("could not read {name}: {}", e.as_string().unwrap_or_default())),
    };
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    let size = bytes.len();
    sim.act(Action::WriteFile { path: name.clone(), bytes }, move |outcome| {
        status.set(if outcome.stderr.is_empty() {
            format!("uploaded {name} ({})", format_size(size))
        } else {
            outcome.stderr.trim_end().to_string()
        })
    });
}

/// Starts the member a restored data dir belongs to; the first start replaces the running cluster.
fn start(sim: Sim, dir: &DataDirView, status: RwSignal<String>) {
    let replacing = sim.snapshot.with_untracked(|s| s.cluster_id != dir.cluster_id);
    let action = Action::Start { member: dir.member.clone(), client_url: None, data_dir: Some(dir.path.clone()) };
    let dir = dir.clone();
    sim.act(action, move |outcome| status.set(started(sim, &dir, replacing, &outcome)));
}

/// What the Files panel says a start did.
fn started(sim: Sim, dir: &DataDirView, replacing: bool, outcome: &etcdplay_core::Outcome) -> String {
    if !outcome.stderr.is_empty() {
        return outcome.stderr.trim_end().to_string();
    }
    let mut said = format!("started {} from {}", dir.member, dir.path);
    if replacing {
        let others = sim.snapshot.with_untracked(|s| s.nodes.len().saturating_sub(1));
        said.push_str(&format!(": the restored cluster {:x} replaced the running one", dir.cluster_id));
        if others > 0 {
            said.push_str(&format!("; its {others} other members stay down until started"));
        }
    }
    said
}

/// The panel: files with their sizes and download buttons, the upload, the restored data dirs, and a status
/// line saying what the last upload or start did.
#[component]
pub fn Files() -> impl IntoView {
    let sim = expect_context::<Sim>();
    let files = Memo::new(move |_| sim.snapshot.with(|s| s.files.clone()));
    let dirs = Memo::new(move |_| sim.snapshot.with(|s| s.data_dirs.clone()));
    let status = RwSignal::new(String::new());
    // A rebuilt cluster is a new world with an empty file system: what the last upload did no longer holds.
    Effect::watch(move || sim.epoch.get(), move |_, _, _| status.set(String::new()), false);
    let on_download = move |path: &str| match sim.read_file(path) {
        Some(bytes) => match download(path, &bytes) {
            Ok(()) => status.set(format!("downloading {path} ({})", format_size(bytes.len()))),
            Err(e) => status.set(format!("could not download {path}: {}", e.as_string().unwrap_or_default())),
        },
        None => status.set(format!("{path} is gone")),
    };
    let on_upload = move |ev: leptos::ev::Event| {
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else {
            return;
        };
        let Some(file) = input.files().and_then(|list| list.get(0)) else { return };
        // Cleared so that picking the same file again uploads it again.
        input.set_value("");
        leptos::task::spawn_local(upload(sim, file, status));
    };

    view! {
        <section class="files" aria-labelledby="files-title">
            <h2 id="files-title" class="panel-title">"Files"</h2>
            <div class="files-body">
                <Show
                    when=move || files.with(|f| !f.is_empty())
                    fallback=|| view! { <p class="files-empty">"No files yet: " <code>"snapshot save backup.db --endpoints=etcd1"</code> " writes one."</p> }
                >
                    <ul class="file-list" aria-label="simulated file system">
                        <For
                            each=move || files.get()
                            key=|f| (f.path.clone(), f.size)
                            children=move |f| {
                                let path = f.path.clone();
                                view! {
                                    <li class="file">
                                        <span class="file-path">{f.path.clone()}</span>
                                        <span class="file-size">{format_size(f.size)}</span>
                                        <button class="file-button" aria-label=format!("Download {}", f.path) on:click=move |_| on_download(&path)>
                                            "Download"
                                        </button>
                                    </li>
                                }
                            }
                        />
                    </ul>
                </Show>
                <label class="upload">
                    <span class="upload-label">"Upload snapshot"</span>
                    <input type="file" class="upload-input" on:change=on_upload />
                </label>
                <Show when=move || dirs.with(|d| !d.is_empty())>
                    <h3 class="files-subtitle">"Data dirs written by snapshot restore"</h3>
                    <ul class="file-list" aria-label="restored data dirs">
                        <For
                            each=move || dirs.get()
                            key=|d| d.path.clone()
                            children=move |d| view! { <DataDir dir=d status=status /> }
                        />
                    </ul>
                </Show>
                <p class="files-status" role="status">{move || status.get()}</p>
            </div>
        </section>
    }
}

/// One restored data dir and the button that starts its member ("Start etcd1 from etcd1.etcd").
#[component]
fn DataDir(dir: DataDirView, status: RwSignal<String>) -> impl IntoView {
    let sim = expect_context::<Sim>();
    let running = {
        let dir = dir.clone();
        Memo::new(move |_| sim.snapshot.with(|s| is_running(s, &dir)))
    };
    let label = format!("Start {} from {}", dir.member, dir.path);
    view! {
        <li class="file">
            <span class="file-path">{dir.path.clone()}</span>
            <span class="file-size">
                {format!("member {}", dir.member)}
                {move || if running.get() { ", running" } else { "" }}
            </span>
            <button
                class="file-button"
                aria-label=label.clone()
                disabled=move || running.get()
                on:click={
                    let dir = dir.clone();
                    move |_| start(sim, &dir, status)
                }
            >
                "Start"
            </button>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use etcdplay_core::{NodeView, Role};

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(format_size(0), "0 B");
        assert_eq!(format_size(1023), "1023 B");
        assert_eq!(format_size(1536), "1.5 KiB");
        assert_eq!(format_size(3 * 1024 * 1024), "3.0 MiB");
    }

    #[test]
    fn downloads_are_named_after_the_last_path_component() {
        assert_eq!(download_name("backup.db"), "backup.db");
        assert_eq!(download_name("snapshots/2024/backup.db"), "backup.db");
        assert_eq!(download_name("dir/"), "dir");
        assert_eq!(download_name(""), "snapshot.db");
    }

    #[test]
    fn a_data_dir_runs_only_in_its_own_cluster() {
        let dir = DataDirView { path: "etcd1.etcd".into(), member: "etcd1".into(), cluster_id: 7 };
        let node = |up| NodeView {
            name: "etcd1".into(),
            id: 1,
            role: Role::Follower,
            term: 1,
            commit_index: 0,
            applied_index: 0,
            up,
            leader_id: 0,
            revision: 1,
            paused: false,
            disk: "NVMe".into(),
        };
        let snapshot = |cluster_id, up| Snapshot { cluster_id, nodes: vec![node(up)], ..Snapshot::default() };
        // The running demo cluster also has an etcd1, but it is another cluster.
        assert!(!is_running(&snapshot(1, true), &dir));
        assert!(!is_running(&snapshot(7, false), &dir));
        assert!(is_running(&snapshot(7, true), &dir));
    }
}
