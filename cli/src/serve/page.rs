//! The page, live: `etcdplay serve` also serves the built page (`dist/`) on its own loopback port, and
//! the two routes a page opened there follows the served cluster by ([`etcdplay_core::playground::live`]):
//! `GET /live/feed?from=N` (the run's actions from the N-th on, and the time reached) and
//! `POST /live/act` (a visitor's click or console line, applied to the served world). The page replays
//! the feed in wasm, so what a real client does in a terminal shows on the ring, the Raft panel and the
//! keyspace exactly as it happened.

use super::grpc::Handle;
use super::http1::{read_request, reply, HttpRequest, TEXT};
use etcdplay_core::playground::live::{self, Feed};
use etcdplay_core::{Action, TimedAction, WorldConfig};
use std::path::{Component, Path, PathBuf};
use tokio::net::TcpStream;

/// The most actions kept for pages: a served run of hours of load would otherwise hold every request it
/// ever answered. Past it the older half goes, and a page that still needs it says it lost the run.
const ACTIONS_KEPT: usize = 1_000_000;

/// The largest action a page posts (an uploaded snapshot file rides in one).
const MAX_ACTION_BYTES: usize = 64 * 1024 * 1024;

/// The served run as pages follow it: its actions, from the `first`-th on.
#[derive(Default)]
pub struct LiveRun {
    actions: Vec<TimedAction>,
    first: u64,
}

impl LiveRun {
    pub fn extend(&mut self, actions: Vec<TimedAction>) {
        self.actions.extend(actions);
        if self.actions.len() > ACTIONS_KEPT {
            let gone = self.actions.len() - ACTIONS_KEPT / 2;
            self.actions.drain(..gone);
            self.first += gone as u64;
        }
    }

    /// The index the next action will have in the run.
    pub fn next_index(&self) -> u64 {
        self.first + self.actions.len() as u64
    }

    pub fn feed(&self, config: &WorldConfig, speed: f64, from: u64, now_ms: u64) -> Feed {
        live::feed(config, speed, &self.actions, self.first, from, now_ms)
    }
}

/// Serves the page's files from `dir` and the live routes on `address` until the process ends; a port
/// that cannot be bound only costs the page (the cluster serves on).
pub async fn serve(address: String, dir: PathBuf, handle: Handle) {
    let listener = match tokio::net::TcpListener::bind(&address).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("etcdplay serve: no live page: cannot listen on {address}: {e}");
            return;
        }
    };
    loop {
        if let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(answer(tcp, dir.clone(), handle.clone()));
        }
    }
}

async fn answer(mut tcp: TcpStream, dir: PathBuf, handle: Handle) {
    let Some(req) = read_request(&mut tcp, MAX_ACTION_BYTES).await else { return };
    let (status, kind, body, headers) = route(&req, &dir, &handle).await;
    reply(&mut tcp, status, kind, &body, &headers).await;
}

type Answer = (u16, &'static str, Vec<u8>, String);

fn text(status: u16, body: &str) -> Answer {
    (status, TEXT, body.as_bytes().to_vec(), String::new())
}

async fn route(req: &HttpRequest, dir: &Path, handle: &Handle) -> Answer {
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/live/feed") => {
            let from = req.query.split('&').find_map(|kv| kv.strip_prefix("from=")).and_then(|v| v.parse().ok());
            let Some(from) = from else { return text(400, "from=N is required\n") };
            match handle.with(move |d| d.live_feed(from)).await {
                Ok(Some(feed)) => text(200, &live::encode(&feed)),
                _ => text(503, "the served world has stopped\n"),
            }
        }
        ("POST", "/live/act") => {
            let action = std::str::from_utf8(&req.body).map_err(|e| e.to_string()).and_then(live::decode::<Action>);
            let action = match action {
                Ok(a) => a,
                Err(e) => return text(400, &format!("{e}\n")),
            };
            match handle.with(move |d| d.live_act(action)).await {
                Ok(reply) => text(200, &live::encode(&reply)),
                Err(_) => text(503, "the served world has stopped\n"),
            }
        }
        ("GET", "/") if req.query.is_empty() => (302, TEXT, Vec::new(), "Location: /?live\r\n".into()),
        ("GET" | "HEAD", path) => file(dir, path),
        _ => text(405, "Method Not Allowed\n"),
    }
}

/// A file of the built page; only plain names under `dir` (no `..`, no hidden files).
fn file(dir: &Path, path: &str) -> Answer {
    let rel = if path == "/" { "index.html" } else { path.trim_start_matches('/') };
    let plain =
        Path::new(rel).components().all(|c| matches!(c, Component::Normal(n) if !n.to_string_lossy().starts_with('.')));
    if !plain || rel.is_empty() {
        return text(404, "404 page not found\n");
    }
    match std::fs::read(dir.join(rel)) {
        Ok(bytes) => (200, content_type(rel), bytes, "Cache-Control: no-cache\r\n".into()),
        Err(_) if rel == "index.html" => text(
            404,
            &format!(
                "the page is not built in {}: run `trunk build --release --offline` (or pass --page-dir)\n",
                dir.display()
            ),
        ),
        Err(_) => text(404, "404 page not found\n"),
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" | "webmanifest" => "application/json",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_under_the_page_dir_are_served() {
        let dir = std::env::temp_dir().join(format!("etcdplay-page-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("index.html"), "<p>hi</p>").unwrap();
        std::fs::write(dir.join("a.wasm"), [0u8, 97, 115, 109]).unwrap();
        assert_eq!(file(&dir, "/").0, 200);
        assert_eq!(file(&dir, "/a.wasm").1, "application/wasm");
        for bad in ["/../etc/passwd", "/.git/config", "//etc/passwd", "/missing.js"] {
            assert_eq!(file(&dir, bad).0, 404, "{bad}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
        let (status, _, body, _) = file(&dir, "/");
        assert_eq!(status, 404);
        assert!(String::from_utf8(body).unwrap().contains("trunk build"), "an unbuilt page says how to build it");
    }

    #[test]
    fn a_long_run_keeps_its_newest_half() {
        let mut run = LiveRun::default();
        let a = TimedAction { at_ms: 1, action: Action::Heal };
        run.extend(vec![a; ACTIONS_KEPT + 1]);
        assert_eq!((run.actions.len(), run.first), (ACTIONS_KEPT / 2, ACTIONS_KEPT as u64 / 2 + 1));
        assert!(run.feed(&WorldConfig::demo(1, 1), 1.0, 0, 5).lost);
    }
}
