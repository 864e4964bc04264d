//! A served run on disk: `etcdplay serve --record FILE` writes the world's seed and cluster, then every
//! timed action as it happens (wire clients' steps included) and now and then the time reached;
//! `etcdplay replay FILE` rebuilds the run from that alone and prints each member's revision and KV hash,
//! which must equal what the served members answered (`etcdctl endpoint hashkv`).

use etcdplay_core::linearizability::session::SessionVerdict;
use etcdplay_core::playground::action::TimedAction;
use etcdplay_core::{World, WorldConfig};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};

/// How often (simulated) the time reached is written when nothing else is.
const MARK_EVERY_MS: u64 = 1_000;

/// Writes a served world's actions to a file as they happen, one JSON line each.
pub struct Recorder {
    out: BufWriter<File>,
    marked_ms: u64,
}

impl Recorder {
    /// Creates `path` and writes the run's header: what a replay builds the world from.
    pub fn create(path: &str, config: &WorldConfig) -> Result<Recorder, String> {
        let file = File::create(path).map_err(|e| format!("--record {path}: {e}"))?;
        let header = json!({"etcdplay_record": 1, "config": config});
        let mut r = Recorder { out: BufWriter::new(file), marked_ms: 0 };
        r.line(&header.to_string());
        Ok(r)
    }

    /// Writes the actions the world took since the last call (`now` is the time it reached), and the
    /// time reached once a second; a write error stops the recording (the served cluster goes on).
    pub fn write(&mut self, actions: &[TimedAction], now: u64) {
        let fresh = !actions.is_empty();
        for a in actions {
            match serde_json::to_string(a) {
                Ok(text) => self.line(&text),
                Err(e) => eprintln!("etcdplay: not recording an action: {e}"),
            }
        }
        if fresh || now >= self.marked_ms + MARK_EVERY_MS {
            self.marked_ms = now;
            self.line(&json!({ "now_ms": now }).to_string());
            let _ = self.out.flush();
        }
    }

    fn line(&mut self, text: &str) {
        let _ = writeln!(self.out, "{text}");
    }
}

/// A recording read back: the world it starts from, its actions and the last time it reached.
struct Recording {
    config: WorldConfig,
    actions: Vec<TimedAction>,
    until_ms: u64,
}

fn read(path: &str) -> Result<Recording, String> {
    let file = File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let mut lines = BufReader::new(file).lines().enumerate();
    let bad = |n: usize, why: &str| format!("{path}:{}: {why}", n + 1);
    let header: Value = match lines.next() {
        Some((_, Ok(l))) => serde_json::from_str(&l).map_err(|e| bad(0, &e.to_string()))?,
        _ => return Err(format!("{path}: empty, not an etcdplay recording")),
    };
    if header["etcdplay_record"] != 1 {
        return Err(bad(0, "not an etcdplay recording (no etcdplay_record header)"));
    }
    let config =
        serde_json::from_value::<WorldConfig>(header["config"].clone()).map_err(|e| bad(0, &format!("config: {e}")))?;
    let (mut actions, mut until_ms) = (Vec::new(), 0);
    for (n, line) in lines {
        let line = line.map_err(|e| bad(n, &e.to_string()))?;
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(&line).map_err(|e| bad(n, &e.to_string()))?;
        if let Some(t) = v.get("now_ms").and_then(Value::as_u64) {
            until_ms = until_ms.max(t);
            continue;
        }
        let a: TimedAction = serde_json::from_value(v).map_err(|e| bad(n, &e.to_string()))?;
        until_ms = until_ms.max(a.at_ms);
        actions.push(a);
    }
    Ok(Recording { config, actions, until_ms })
}

/// `etcdplay replay FILE [--check]`: the recorded run rebuilt, one line per member (name, revision, KV
/// hash at that revision), as `etcdctl endpoint hashkv` reports the served members. `--check` also
/// records what the wire clients sent and got during the replay (the served run itself keeps no
/// history, which would grow for as long as it serves) and runs the robustness runs' linearizability
/// checker over it: the last line is the verdict, and a history that is not linearizable is an error.
pub fn replay(path: &str, check: bool) -> Result<String, String> {
    let r = read(path)?;
    let config = if check { r.config.with_history() } else { r.config };
    let mut world = World::replay(config, &r.actions);
    world.advance_to(r.until_ms);
    let mut out = format!("replayed {} actions to {} ms\n", r.actions.len(), world.now_ms());
    for i in 0..world.members().len() {
        let node = world.node(i);
        let store = &node.server.store;
        let rev = store.current_rev();
        let state = if node.is_up() { "" } else { " (down)" };
        let _ = writeln!(out, "{} revision {} hash {}{}", world.members()[i].name, rev, store.hash_kv(rev), state);
    }
    let Some(history) = world.session_history().filter(|_| check) else { return Ok(out) };
    let verdict = history.check();
    if verdict.overflow > 0 {
        let _ = writeln!(
            out,
            "(only the first {} operations were recorded; {} more were not)",
            history.len(),
            verdict.overflow
        );
    }
    for (key, why) in &verdict.skipped {
        let _ = writeln!(out, "key {key} left out: {why}");
    }
    let _ = writeln!(out, "{}", verdict.verdict_line());
    match verdict.verdict {
        SessionVerdict::NotLinearizable { ops, .. } => Err(format!("{out}{}", ops.join("\n"))),
        _ => Ok(out),
    }
}
