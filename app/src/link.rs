//! Links to a run. A run is a function of its seed, its cluster size and its timed actions, so the page's
//! address can carry all of it (`?seed=N&members=M&t=MS&run=TEXT`, `run` from
//! [`encode_run`](etcdplay_core::encode_run)); whoever opens the link replays the run to the moment `t`
//! it was made at and sees the same state. A lesson link (`?lesson=ID&step=N`) opens a guided lesson at a
//! step instead. This module only reads and writes that text; no browser types, so it is tested natively.

use etcdplay_core::playground::action::{decode_run, encode_run};
use etcdplay_core::TimedAction;

/// The most members a link may ask for: the page offers up to seven.
const MAX_MEMBERS: usize = 7;

/// Everything a link carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunLink {
    pub seed: u64,
    pub members: usize,
    /// The simulated time the link was made at: the replay stops (paused) there.
    pub at_ms: u64,
    pub actions: Vec<TimedAction>,
}

/// The query string (without `?`) of a link to `run`.
pub fn query_of(run: &RunLink) -> String {
    format!("seed={}&members={}&t={}&run={}", run.seed, run.members, run.at_ms, encode_run(run.seed, &run.actions))
}

/// Reads a page address's query (with or without `?`): `Ok(None)` when it carries no run (a plain
/// `?seed=N` is read by the caller), the run when it does, and a reason when the run is damaged, so the page
/// can say so and start a fresh cluster instead.
pub fn parse_query(search: &str) -> Result<Option<RunLink>, String> {
    let Some(text) = param(search, "run") else { return Ok(None) };
    let (seed, actions) = decode_run(text)?;
    if param(search, "seed").is_some_and(|s| s.parse::<u64>().ok() != Some(seed)) {
        return Err("the link's seed does not match its run".to_string());
    }
    let members = param(search, "members")
        .and_then(|m| m.parse::<usize>().ok())
        .filter(|m| (1..=MAX_MEMBERS).contains(m))
        .ok_or_else(|| format!("the link needs a cluster size (members=1..{MAX_MEMBERS})"))?;
    let at_ms = param(search, "t").and_then(|t| t.parse::<u64>().ok()).ok_or("the link needs a time (t=ms)")?;
    if actions.last().is_some_and(|a| a.at_ms > at_ms) {
        return Err("the link's time is before its last action".to_string());
    }
    Ok(Some(RunLink { seed, members, at_ms, actions }))
}

/// The query string (without `?`) of a link to step `step` (1-based) of lesson `id`.
pub fn lesson_query(id: &str, step: usize) -> String {
    format!("lesson={id}&step={step}")
}

/// The lesson and step (1-based; 1 when absent or unreadable) an address asks for (`?lesson=ID&step=N`).
/// A run link wins over a lesson: it replays a run, which a lesson would replace.
pub fn lesson_param(search: &str) -> Option<(&str, usize)> {
    if param(search, "run").is_some() {
        return None;
    }
    let id = param(search, "lesson").filter(|id| !id.is_empty())?;
    let step = param(search, "step").and_then(|s| s.parse::<usize>().ok()).filter(|&s| s >= 1).unwrap_or(1);
    Some((id, step))
}

/// The value of `name` in a query string, if present.
pub fn param<'a>(search: &'a str, name: &str) -> Option<&'a str> {
    search.trim_start_matches('?').split('&').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

#[cfg(test)]
mod tests {
    use super::*;
    use etcdplay_core::Action;

    fn sample() -> RunLink {
        let actions = vec![
            TimedAction { at_ms: 1_500, action: Action::Etcdctl { line: "put k v".into(), stdin: None } },
            TimedAction { at_ms: 2_000, action: Action::Kill { member: "etcd2".into() } },
        ];
        RunLink { seed: 42, members: 5, at_ms: 3_250, actions }
    }

    #[test]
    fn a_link_reads_back_what_it_wrote() {
        let run = sample();
        assert_eq!(parse_query(&format!("?{}", query_of(&run))), Ok(Some(run)));
    }

    #[test]
    fn an_address_without_a_run_is_not_a_link() {
        assert_eq!(parse_query(""), Ok(None));
        assert_eq!(parse_query("?seed=7"), Ok(None));
    }

    #[test]
    fn damaged_links_are_refused_with_a_reason() {
        let good = query_of(&sample());
        let truncated = &good[..good.len() - 6];
        let cases = [
            truncated.to_string(),
            good.replace("members=5", "members=9"),
            good.replace("&t=3250", ""),
            good.replace("t=3250", "t=100"),
            good.replace("seed=42", "seed=43"),
            "run=%%%".to_string(),
        ];
        for case in cases {
            assert!(parse_query(&case).is_err(), "{case} should be refused");
        }
    }

    #[test]
    fn a_lesson_link_names_the_lesson_and_step() {
        let query = lesson_query("leader-election", 3);
        assert_eq!(lesson_param(&format!("?{query}")), Some(("leader-election", 3)));
        assert_eq!(lesson_param("?lesson=terms"), Some(("terms", 1)));
        assert_eq!(lesson_param("?lesson=terms&step=0"), Some(("terms", 1)));
        assert_eq!(lesson_param("?seed=2"), None);
        assert_eq!(lesson_param("?lesson=terms&run=abc"), None, "a run link wins");
    }

    #[test]
    fn param_matches_whole_names() {
        assert_eq!(param("?seeds=1&seed=2", "seed"), Some("2"));
        assert_eq!(param("t=5", "t"), Some("5"));
        assert_eq!(param("run=x", "t"), None);
    }
}
