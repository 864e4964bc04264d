//! Replays a reference directory recorded from a real etcdctl 3.4 against a real cluster
//! (`../shared/etcdctl-golden`): builds the same cluster (names, URLs, token, hence the same IDs), runs
//! every case in order with its phase events, and produces one result line per case for `compare.py`.

use crate::cluster::MemberConfig;
use crate::playground::action::{Action, Outcome};
use crate::playground::{World, WorldConfig};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The exit status of a command killed by coreutils `timeout`.
const TIMEOUT_EXIT: i32 = 124;
/// How long the harness waits for the cluster to elect a leader after starting members.
const START_WAIT_MS: u64 = 10_000;
/// How long stopping a member with SIGTERM takes, from the harness's point of view.
const STOP_WAIT_MS: u64 = 2_000;
/// How long the harness lets a started cluster settle before the first case.
const SETTLE_MS: u64 = 1_000;

/// A reference file that cannot be read.
#[derive(Debug)]
pub struct GoldenError(pub String);

/// One result line for compare.py.
pub fn result_line(n: u64, o: &Outcome) -> String {
    json!({"n": n, "stdout": o.stdout, "stderr": o.stderr, "rc": o.exit_code}).to_string()
}

/// The members of a cluster described in cluster.json (`initial` or `restored`).
fn cluster_config(cluster: &Value, seed: u64) -> Result<WorldConfig, GoldenError> {
    let token = cluster["token"].as_str().ok_or_else(|| GoldenError("cluster token missing".into()))?;
    let members = cluster["members"]
        .as_array()
        .ok_or_else(|| GoldenError("cluster members missing".into()))?
        .iter()
        .map(|m| MemberConfig {
            name: m["name"].as_str().unwrap_or_default().to_string(),
            peer_urls: vec![m["peer_url"].as_str().unwrap_or_default().to_string()],
            client_urls: vec![m["client_url"].as_str().unwrap_or_default().to_string()],
        })
        .collect();
    Ok(WorldConfig { seed, token: token.to_string(), members, record_history: false })
}

/// Replays every case of `cases_jsonl` on the cluster of `cluster_json`; returns one JSON line per case.
pub fn replay(cluster_json: &str, cases_jsonl: &str, seed: u64) -> Result<Vec<String>, GoldenError> {
    let cluster: Value = serde_json::from_str(cluster_json).map_err(|e| GoldenError(format!("cluster.json: {e}")))?;
    let initial = cluster_config(&cluster["initial"], seed)?;
    let mut deployments = Deployments { main: World::new(initial.clone()), restored: None };
    let mut cases = Vec::new();
    for (i, line) in cases_jsonl.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let case: Value =
            serde_json::from_str(line).map_err(|e| GoldenError(format!("cases.jsonl line {}: {e}", i + 1)))?;
        cases.push(case);
    }
    let mut ids = IdMap::from_cases(&cases);
    let mut lines = Vec::new();
    for case in &cases {
        let n = case["n"].as_u64().ok_or_else(|| GoldenError("a case has no n".into()))?;
        for ev in case["before"].as_array().into_iter().flatten() {
            phase_event(&mut deployments, ev, &initial);
        }
        let args = substitute_refs(case, &ids);
        let endpoints: Vec<&str> =
            case["endpoints"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        let outcome = run_case(deployments.for_endpoints(&endpoints), case, args.clone());
        ids.learn(&args, &outcome);
        lines.push(result_line(n, &outcome));
    }
    Ok(lines)
}

/// Applies a phase event (members started, stopped, time passing).
/// The worlds a reference run touches: the initial cluster, and the cluster started from a restored data
/// dir (a separate deployment, addressed by its own endpoints).
struct Deployments {
    main: World,
    restored: Option<World>,
}

impl Deployments {
    /// The world serving a case: the restored cluster when every endpoint is one of its members.
    fn for_endpoints(&mut self, endpoints: &[&str]) -> &mut World {
        let serves = |w: &World| endpoints.iter().all(|e| w.member_at(e).is_some());
        match &mut self.restored {
            Some(r) if serves(r) => r,
            _ => &mut self.main,
        }
    }
}

/// Starts a member from a restored data dir as its own cluster.
fn start_restored(d: &mut Deployments, ev: &Value, seed: u64) {
    let member = ev["member"].as_str().unwrap_or_default().to_string();
    let dir = ev["from_data_dir"].as_str().unwrap_or_default();
    let client = ev["client_url"].as_str().unwrap_or_default().to_string();
    if let Some(restored) = d.main.restored_dir(dir).cloned() {
        let mut w = World::from_restored(&restored, &[(member, client)], seed);
        w.wait_for_leader(START_WAIT_MS);
        w.advance(SETTLE_MS);
        d.restored = Some(w);
    }
}

fn phase_event(d: &mut Deployments, ev: &Value, initial: &WorldConfig) {
    match ev["event"].as_str().unwrap_or_default() {
        "start" => start_restored(d, ev, initial.seed),
        "stop"
            if d.restored.as_ref().is_some_and(|r| r.member_index(ev["member"].as_str().unwrap_or("")).is_some()) =>
        {
            let member = ev["member"].as_str().unwrap_or_default().to_string();
            if let Some(r) = d.restored.as_mut() {
                r.apply(Action::Kill { member });
            }
        }
        _ => phase_event_main(&mut d.main, ev, initial),
    }
}

fn phase_event_main(world: &mut World, ev: &Value, initial: &WorldConfig) {
    let members = |key: &str| -> Vec<String> {
        ev[key].as_array().into_iter().flatten().filter_map(|m| m.as_str().map(String::from)).collect()
    };
    match ev["event"].as_str().unwrap_or_default() {
        "start-all" => {
            *world = World::new(initial.clone());
            world.wait_for_leader(START_WAIT_MS);
            // The harness waited for the cluster to be healthy, which takes a committed entry.
            world.advance(SETTLE_MS);
        }
        "wait" => world.advance((ev["seconds"].as_f64().unwrap_or(0.0) * 1000.0) as u64),
        "stop" => {
            let member = ev["member"].as_str().unwrap_or_default().to_string();
            world.apply(Action::Kill { member });
            // SIGTERM is a graceful stop: the harness waits for the process to exit, by which time a
            // leader that lost its quorum has noticed (CheckQuorum) and stepped down.
            world.advance(STOP_WAIT_MS);
        }
        "stop-all" => {
            for m in world.members().iter().map(|m| m.name.clone()).collect::<Vec<_>>() {
                world.apply(Action::Kill { member: m });
            }
        }
        "restart-all" => {
            for member in members("members") {
                world.apply(Action::Restart { member });
            }
            world.wait_for_leader(START_WAIT_MS);
        }
        _ => {}
    }
}

/// Runs a case's command. A background case's command keeps running (a stream) while its actions run
/// at their times; it is then stopped as the harness's `timeout` would, with exit status 124.
fn run_case(world: &mut World, case: &Value, args: Vec<String>) -> Outcome {
    let endpoints: Vec<&str> = case["endpoints"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let endpoint_flag = format!("--endpoints={}", endpoints.join(","));
    let mut argv = vec![endpoint_flag.clone()];
    argv.extend(args);
    let stdin = case["stdin"].as_str();
    let start_ms = world.now_ms();
    let mut outcome = crate::ctl::run(world, &argv, stdin);
    let Some(bg) = case["background"].as_object() else { return outcome };
    let secs = |key: &str, default: f64| bg.get(key).and_then(Value::as_f64).unwrap_or(default);
    let mut at_ms = start_ms + (secs("actions_start_after_s", 1.0) * 1000.0) as u64;
    for action in bg.get("actions").and_then(Value::as_array).into_iter().flatten() {
        world.advance_to(at_ms.max(world.now_ms()));
        let mut a = vec![endpoint_flag.clone()];
        a.extend(action["args"].as_array().into_iter().flatten().filter_map(|s| s.as_str().map(String::from)));
        crate::ctl::run(world, &a, None);
        at_ms += (secs("action_spacing_s", 0.2) * 1000.0) as u64;
    }
    world.advance_to((start_ms + (secs("timeout_s", 4.0) * 1000.0) as u64).max(world.now_ms()));
    if let Some(id) = outcome.stream.take() {
        if let Some(rest) = world.stop_stream(id, TIMEOUT_EXIT) {
            outcome.stdout.push_str(&rest.stdout);
            outcome.stderr.push_str(&rest.stderr);
            outcome.exit_code = rest.exit_code;
        }
    }
    outcome
}

/// Maps IDs the real cluster generated (lease IDs, added member IDs) to the ones our run generated: the
/// k-th distinct real ID, in order of the case that first produced it, is our k-th ID of that kind.
#[derive(Default)]
struct IdMap {
    /// Per kind: real IDs in order of first appearance.
    real: BTreeMap<String, Vec<u64>>,
    /// Per kind: our IDs in order of creation.
    ours: BTreeMap<String, Vec<u64>>,
}

impl IdMap {
    /// Learns the real IDs from every case's `refs`.
    fn from_cases(cases: &[Value]) -> IdMap {
        let mut seen: Vec<(u64, String, u64)> = Vec::new();
        for r in cases.iter().flat_map(|c| c["refs"].as_array().into_iter().flatten()) {
            let (Some(kind), Some(value), Some(first)) =
                (r["kind"].as_str(), r["value"].as_str(), r["first_seen_in_case"].as_u64())
            else {
                continue;
            };
            if let Some(id) = parse_id(value, r["form"].as_str() == Some("hex")) {
                if !seen.iter().any(|(_, k, v)| k == kind && *v == id) {
                    seen.push((first, kind.to_string(), id));
                }
            }
        }
        seen.sort();
        let mut map = IdMap::default();
        for (_, kind, id) in seen {
            map.real.entry(kind).or_default().push(id);
        }
        map
    }

    /// Records the IDs our run produced in a case's output.
    fn learn(&mut self, args: &[String], out: &Outcome) {
        let kind = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
            ["lease", "grant", ..] => "lease-id",
            ["member", "add", ..] => "new-member-id",
            _ => return,
        };
        if out.exit_code != 0 {
            return;
        }
        let words: Vec<&str> = out.stdout.split(|c: char| !c.is_ascii_alphanumeric()).collect();
        let id = match kind {
            "lease-id" if out.stdout.starts_with('{') => {
                let after_id = words.iter().skip_while(|w| **w != "ID");
                after_id.filter(|w| !w.is_empty()).nth(1).and_then(|w| w.parse().ok())
            }
            _ => words.get(1).and_then(|w| u64::from_str_radix(w, 16).ok()),
        };
        if let Some(id) = id {
            self.ours.entry(kind.to_string()).or_default().push(id);
        }
    }

    fn translate(&self, kind: &str, real: u64) -> Option<u64> {
        let k = self.real.get(kind)?.iter().position(|&v| v == real)?;
        self.ours.get(kind)?.get(k).copied()
    }
}

fn parse_id(value: &str, hex: bool) -> Option<u64> {
    if hex {
        u64::from_str_radix(value, 16).ok()
    } else {
        value.parse().ok()
    }
}

/// The case's arguments with real IDs replaced by ours (in the same form).
fn substitute_refs(case: &Value, ids: &IdMap) -> Vec<String> {
    let mut args: Vec<String> =
        case["args"].as_array().into_iter().flatten().filter_map(|a| a.as_str().map(String::from)).collect();
    for r in case["refs"].as_array().into_iter().flatten() {
        let (Some(idx), Some(value), Some(kind)) = (r["arg"].as_u64(), r["value"].as_str(), r["kind"].as_str()) else {
            continue;
        };
        let hex = r["form"].as_str() == Some("hex");
        let Some(ours) = parse_id(value, hex).and_then(|v| ids.translate(kind, v)) else { continue };
        let replacement = if hex { format!("{ours:016x}") } else { ours.to_string() };
        if let Some(a) = args.get_mut(idx as usize) {
            *a = a.replace(value, &replacement);
        }
    }
    args
}

/// Runs every help entry of `help_jsonl`; returns compare.py's help result lines.
pub fn replay_help(help_jsonl: &str, seed: u64) -> Result<Vec<String>, GoldenError> {
    let mut world = World::new(WorldConfig::demo(1, seed));
    let mut lines = Vec::new();
    for line in help_jsonl.lines().filter(|l| !l.trim().is_empty()) {
        let entry: Value = serde_json::from_str(line).map_err(|e| GoldenError(format!("help.jsonl: {e}")))?;
        let args: Vec<String> =
            entry["args"].as_array().into_iter().flatten().filter_map(|a| a.as_str().map(String::from)).collect();
        let o = crate::ctl::run(&mut world, &args, None);
        lines.push(
            json!({"help": entry["name"], "stdout": o.stdout, "stderr": o.stderr, "rc": o.exit_code}).to_string(),
        );
    }
    Ok(lines)
}
