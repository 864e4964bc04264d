//! The page, live: opened on `etcdplay serve` (which sends `/` to `/?live`), the page follows the served
//! cluster instead of running its own. It polls the server's feed for the run's timed actions (wire
//! clients' steps included) and replays them in its own world at their times, never past the time the
//! server has reached, so what it shows is the served cluster exactly, a fraction of a second later
//! ([`etcdplay_core::playground::live`]). A click or a console line is posted to the server, which
//! applies it to the served world; the page shows the outcome its own replay of that action gives.
//!
//! This module is only the browser's side of that: the two HTTP calls and the bookkeeping between an
//! action posted and its outcome replayed.

use etcdplay_core::playground::live::{self, Applied, Feed, Follower, Reply};
use etcdplay_core::{Action, Outcome, TimedAction};
use std::collections::{BTreeMap, VecDeque};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// How often the page asks for news, in real milliseconds: often enough that a put typed in a
/// terminal shows within a blink, rarely enough to cost the server nothing.
pub const POLL_MS: u32 = 150;

/// How far (in real milliseconds at the served speed) the page lets itself trail the server before it
/// runs faster than real time to catch up: a page opened on a long run catches up, then keeps pace.
pub const TRAIL_MS: f64 = 400.0;

/// Outcomes of the visitors' actions kept for a post whose answer arrives after the feed brought the
/// action (the replay got there first).
const RECENT: usize = 64;

/// Whether the address asks for the live page (`?live`).
pub fn requested(search: &str) -> bool {
    search.trim_start_matches('?').split('&').any(|kv| kv == "live" || kv.starts_with("live="))
}

/// What the page knows of the served run beyond its world.
pub struct LiveState {
    pub follower: Follower,
    /// Posted actions whose outcome the replay has not reached yet, by index in the run.
    waiters: BTreeMap<u64, Callback>,
    recent: VecDeque<(u64, Outcome)>,
    /// The partitions and heals applied so far: what the network view draws the cut links from.
    pub faults: Vec<TimedAction>,
    /// Actions waiting to be posted: one at a time, so the server takes them in the order they were
    /// made (a heal, then the new partition).
    pub outbox: VecDeque<(Action, Callback)>,
    pub posting: bool,
}

/// What waits for an action's outcome.
pub type Callback = Box<dyn FnOnce(Outcome)>;

impl LiveState {
    pub fn new(feed: Feed) -> LiveState {
        let mut follower = Follower::default();
        follower.receive(feed);
        LiveState {
            follower,
            waiters: BTreeMap::new(),
            recent: VecDeque::new(),
            faults: Vec::new(),
            outbox: VecDeque::new(),
            posting: false,
        }
    }

    /// Takes the replay's applied actions: returns the callbacks now due with their outcomes (to run
    /// once the world is no longer borrowed), and whether the network's cuts changed.
    pub fn settle(&mut self, applied: Vec<Applied>) -> (Vec<(Callback, Outcome)>, bool) {
        let mut due = Vec::new();
        let mut cuts = false;
        for a in applied {
            if matches!(a.action.action, Action::Partition { .. } | Action::Heal) {
                self.faults.push(a.action.clone());
                cuts = true;
            }
            match self.waiters.remove(&a.index) {
                Some(then) => due.push((then, a.outcome)),
                None => {
                    self.recent.push_back((a.index, a.outcome));
                    if self.recent.len() > RECENT {
                        self.recent.pop_front();
                    }
                }
            }
        }
        (due, cuts)
    }

    /// The server took a posted action at `index`: its outcome now if the replay has been there, or
    /// `then` waits for it.
    pub fn await_outcome(&mut self, index: u64, then: Callback) -> Option<(Callback, Outcome)> {
        match self.recent.iter().position(|(i, _)| *i == index) {
            Some(at) => self.recent.remove(at).map(|(_, o)| (then, o)),
            None => {
                self.waiters.insert(index, then);
                None
            }
        }
    }
}

/// `GET /live/feed?from=N`.
pub async fn fetch_feed(from: u64) -> Result<Feed, String> {
    let text = http("GET", &format!("/live/feed?from={from}"), None).await?;
    live::decode(&text)
}

/// `POST /live/act`.
pub async fn post_action(action: &Action) -> Result<Reply, String> {
    let text = http("POST", "/live/act", Some(live::encode(action))).await?;
    live::decode(&text)
}

/// One same-origin request; its body as text, or why there is none.
async fn http(method: &str, url: &str, body: Option<String>) -> Result<String, String> {
    let window = web_sys::window().ok_or("no window")?;
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    if let Some(body) = body {
        init.set_body(&body.into());
    }
    let request = web_sys::Request::new_with_str_and_init(url, &init).map_err(|e| format!("{e:?}"))?;
    let response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|_| "the server does not answer (is `etcdplay serve` still running?)".to_string())?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| "not an HTTP response")?;
    let text = JsFuture::from(response.text().map_err(|e| format!("{e:?}"))?).await.map_err(|e| format!("{e:?}"))?;
    let text = text.as_string().unwrap_or_default();
    if !response.ok() {
        return Err(format!("HTTP {}: {}", response.status(), text.trim()));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_asks_for_the_live_page() {
        assert!(requested("?live"));
        assert!(requested("?seed=1&live=1"));
        assert!(!requested("?lively=1"));
        assert!(!requested(""));
    }
}
