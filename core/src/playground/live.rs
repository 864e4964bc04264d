//! The live page's protocol: a page opened on `etcdplay serve` follows the served world by replaying it.
//! The server hands out its config and its timed actions (every wire client's steps included) in order,
//! with the time it has reached; the page builds the same world from the config and applies each action
//! at its time, so what it shows is exactly the served cluster, a moment later. What the visitor does on
//! the page goes the other way, as an [`Action`](crate::Action) the server applies to the served world and answers with
//! its [`Outcome`].
//!
//! Both directions are postcard then unpadded URL-safe base64, as run links are: one codec, no JSON in the
//! page.

use crate::ctl::Outcome;
use crate::playground::action::{Action, TimedAction};
use crate::playground::{World, WorldConfig};
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// The most actions one feed answer carries: a page opened on a long run catches up in pieces, each
/// short enough to apply within a few frames.
pub const FEED_PAGE: usize = 5_000;

/// One answer to `GET /live/feed?from=N`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Feed {
    pub config: WorldConfig,
    /// The served world's speed (simulated per real millisecond), for the page to run at the same pace.
    pub speed: f64,
    /// The index of `actions[0]` in the whole run.
    pub from: u64,
    pub actions: Vec<TimedAction>,
    /// How far the page may advance once it applied `actions`: the server's time when every action is
    /// in this answer, the last one's time when more follow.
    pub until_ms: u64,
    /// The run is longer than the server keeps for pages (its actions from `from` on are gone): a page
    /// can no longer follow it exactly and says so.
    pub lost: bool,
}

/// What `POST /live/act` answers: where the action went in the run (the page shows the outcome its own
/// replay of it gives, so that the console's running commands go on there), and how the served world
/// took it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub index: u64,
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i32,
    pub stream: Option<u64>,
}

impl Reply {
    pub fn new(index: u64, o: Outcome) -> Reply {
        Reply { index, stdout: o.stdout, stderr: o.stderr, exit_code: o.exit_code, stream: o.stream }
    }
}

impl From<Reply> for Outcome {
    fn from(r: Reply) -> Outcome {
        Outcome { stdout: r.stdout, stderr: r.stderr, exit_code: r.exit_code, stream: r.stream }
    }
}

/// The feed answer for a page that has applied `from` actions of `run` (which starts at index
/// `first`, the server having forgotten what came before), at server time `now_ms`.
pub fn feed(config: &WorldConfig, speed: f64, run: &[TimedAction], first: u64, from: u64, now_ms: u64) -> Feed {
    let lost = from < first;
    let start = (from.saturating_sub(first) as usize).min(run.len());
    let end = (start + FEED_PAGE).min(run.len());
    let actions = if lost { Vec::new() } else { run[start..end].to_vec() };
    let until_ms = match (end < run.len(), actions.last()) {
        (true, Some(last)) => last.at_ms,
        _ => now_ms,
    };
    Feed { config: config.clone(), speed, from, actions, until_ms, lost }
}

/// A visitor's action the page applied from the feed.
#[derive(Clone, Debug)]
pub struct Applied {
    pub index: u64,
    pub action: TimedAction,
    pub outcome: Outcome,
}

/// The page's side of the feed: the served run's actions received and not yet applied, and how far its
/// world may go. The page's world never runs past what the server has reached, so no action can arrive
/// for a moment it has already simulated.
#[derive(Debug, Default)]
pub struct Follower {
    queue: VecDeque<TimedAction>,
    received: u64,
    applied: u64,
    until_ms: u64,
    lost: bool,
}

impl Follower {
    /// How many of the run's actions have arrived: where the next feed request starts.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// The server no longer has the start of the run this page needs.
    pub fn lost(&self) -> bool {
        self.lost
    }

    /// Takes a feed answer; one that does not continue what arrived (a late duplicate) is dropped.
    pub fn receive(&mut self, feed: Feed) {
        if feed.lost {
            self.lost = true;
        }
        if feed.from != self.received || feed.lost {
            return;
        }
        self.received += feed.actions.len() as u64;
        self.queue.extend(feed.actions);
        self.until_ms = self.until_ms.max(feed.until_ms);
    }

    /// How far the page's world is behind the server's time as last heard.
    pub fn behind_ms(&self, world: &World) -> u64 {
        self.until_ms.saturating_sub(world.now_ms())
    }

    /// Runs `world` to `target_ms`, or as far as the server has reached if that is sooner, applying each
    /// action at its time, as a replay does. Returns the visitors' actions applied (every action but wire
    /// clients' steps), each with its index in the run and the outcome it had here.
    pub fn run_to(&mut self, world: &mut World, target_ms: u64) -> Vec<Applied> {
        let target = target_ms.min(self.until_ms);
        let mut applied = Vec::new();
        while let Some(next) = self.queue.front().filter(|a| a.at_ms <= target) {
            world.advance_to(next.at_ms);
            let timed = self.queue.pop_front().expect("a front action");
            let outcome = world.apply(timed.action.clone());
            if !matches!(timed.action, Action::Wire(_)) {
                applied.push(Applied { index: self.applied, action: timed, outcome });
            }
            self.applied += 1;
        }
        if world.now_ms() < target {
            world.advance_to(target);
        }
        applied
    }
}

/// Encodes a feed answer, a reply or an action for the other side.
pub fn encode<T: Serialize>(value: &T) -> String {
    let bytes = postcard::to_allocvec(value).expect("live messages serialize");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes what [`encode`] wrote; anything else is refused with a reason.
pub fn decode<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim())
        .map_err(|e| format!("not an etcdplay live message: {e}"))?;
    postcard::from_bytes(&bytes).map_err(|e| format!("not an etcdplay live message: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(at_ms: u64, key: &str) -> TimedAction {
        TimedAction { at_ms, action: Action::Etcdctl { line: format!("put {key} v"), stdin: None } }
    }

    /// A page that follows the feed piece by piece ends on the served world itself.
    #[test]
    fn a_page_following_the_feed_is_the_served_world() {
        let config = WorldConfig::demo(3, 4);
        let mut served = World::new(config.clone());
        for i in 0..7 {
            served.advance(300);
            served.apply(Action::Etcdctl { line: format!("put k{i} v{i}"), stdin: None });
        }
        served.apply(Action::Kill { member: "etcd2".into() });
        served.advance(1_000);
        let run = served.actions().to_vec();

        let mut page = World::new(WorldConfig { record_history: true, ..config.clone() });
        let mut follower = Follower::default();
        let mut applied = Vec::new();
        while page.now_ms() < served.now_ms() {
            let answer: Feed =
                decode(&encode(&feed(&config, 1.0, &run, 0, follower.received(), served.now_ms()))).unwrap();
            follower.receive(answer.clone());
            follower.receive(answer); // a duplicate answer changes nothing
            let target = page.now_ms() + 450; // the page's own pace, in pieces
            applied.extend(follower.run_to(&mut page, target).into_iter().map(|a| a.index));
        }
        assert_eq!(applied, (0..run.len() as u64).collect::<Vec<_>>(), "each action once, in order");
        assert_eq!(page.now_ms(), served.now_ms());
        assert_eq!(page.nodes(), served.nodes(), "history recording changes nothing the cluster does");
    }

    #[test]
    fn a_long_run_is_fed_in_pages_and_a_forgotten_start_is_lost() {
        let config = WorldConfig::demo(1, 1);
        let run: Vec<_> = (0..FEED_PAGE as u64 + 10).map(|i| put(i, "k")).collect();
        let first = feed(&config, 1.0, &run, 0, 0, 99_999);
        assert_eq!((first.actions.len(), first.until_ms), (FEED_PAGE, FEED_PAGE as u64 - 1));
        let rest = feed(&config, 1.0, &run, 0, FEED_PAGE as u64, 99_999);
        assert_eq!((rest.actions.len(), rest.until_ms, rest.lost), (10, 99_999, false));
        let late = feed(&config, 1.0, &run[5..], 5, 2, 99_999);
        assert!(late.lost && late.actions.is_empty());
    }

    #[test]
    fn a_foreign_message_is_refused() {
        assert!(decode::<Action>("not base64!").unwrap_err().contains("not an etcdplay live message"));
        assert!(decode::<Feed>(&encode(&7u8)).is_err());
        let a = Action::Kill { member: "infra2".into() };
        assert_eq!(decode::<Action>(&encode(&a)).unwrap(), a);
    }
}
