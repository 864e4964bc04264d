//! User actions: everything a visitor or a script can do to the world. A world is its seed plus the list
//! of timed actions, which is what a replay (or a shared link) needs.

pub use crate::ctl::{Outcome, INTERRUPTED_EXIT};
use crate::playground::World;
use crate::sim::Cluster;
use crate::trace::Event;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// One user action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    Kill {
        member: String,
    },
    Restart {
        member: String,
    },
    /// Launch a member: one announced by `member add` (empty data dir, joining the existing cluster), or,
    /// with `data_dir`, a member of the new cluster a `snapshot restore` wrote that data dir for.
    Start {
        member: String,
        client_url: Option<String>,
        data_dir: Option<String>,
    },
    /// Stop a member's process from running without killing it (a GC pause), and let it go on.
    Pause {
        member: String,
    },
    Resume {
        member: String,
    },
    /// Delete a member's data dir (its process stops).
    Wipe {
        member: String,
    },
    /// Give a member's disk an fsync latency, uniform in `[min_us, max_us]` microseconds.
    Disk {
        member: String,
        min_us: u64,
        max_us: u64,
    },
    /// Every member's `--auto-compaction-mode` and `--auto-compaction-retention` (None: off).
    AutoCompaction {
        mode: Option<crate::server::compactor::Mode>,
    },
    /// Every member's `--snapshot-count`.
    SnapshotCount {
        count: u64,
    },
    /// Put a file into the simulated file system (an upload in the page).
    WriteFile {
        path: String,
        bytes: Vec<u8>,
    },
    /// Cut links between the named groups.
    Partition {
        groups: Vec<Vec<String>>,
    },
    Heal,
    /// Give the link between two members its own one-way latency (± jitter) and a loss probability.
    Link {
        a: String,
        b: String,
        latency_ms: u64,
        jitter_ms: u64,
        loss_per_mille: u32,
        duplicate_per_mille: u32,
        reorder_per_mille: u32,
    },
    /// The whole network's profile: `lan`, `wan` or `congested`.
    Network {
        profile: String,
    },
    /// Run an etcdctl command line (with or without the leading `etcdctl`), optionally with stdin.
    Etcdctl {
        line: String,
        stdin: Option<String>,
    },
    /// Restart-free change of every member's `--quota-backend-bytes`.
    SetQuota {
        bytes: u64,
    },
    /// Ctrl-C on a running command (watch, keep-alive): it stops and exits with 130 like a shell reports.
    Interrupt {
        stream: u64,
    },
    /// The unsafe teaching mode: members answer linearizable reads from their own store, without the
    /// ReadIndex round etcd always makes (see [`crate::linearizability::session`]).
    UnsafeReads {
        on: bool,
    },
    /// Take one Raft message off the network before it arrives (its id from the messages in flight).
    DropMessage {
        id: u64,
    },
    /// Load a Kubernetes-like keyspace of `objects` objects under `/registry/` through Raft, as
    /// kube-apiserver creates them; `large` makes some config maps and secrets 256 KiB-1000 KiB.
    LoadKubernetes {
        objects: u64,
        large: bool,
    },
    /// Start or stop the controller-like Kubernetes traffic (lease renewals, pod updates, events, watches).
    KubernetesTraffic {
        on: bool,
    },
    /// A step of a wire client's request (`etcdplay serve`), recorded where it happened.
    Wire(crate::playground::wire::WireAction),
}

/// An action and the simulated time it was applied at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimedAction {
    pub at_ms: u64,
    pub action: Action,
}

/// A run (seed and timed actions) as text for a link: postcard, then unpadded URL-safe base64. Opening
/// the link replays the same run.
pub fn encode_run(seed: u64, actions: &[TimedAction]) -> String {
    let bytes = postcard::to_allocvec(&(seed, actions)).expect("actions serialize");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Reads a run written by [`encode_run`]; a damaged or foreign text is refused with a reason.
pub fn decode_run(text: &str) -> Result<(u64, Vec<TimedAction>), String> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim())
        .map_err(|e| format!("not a run link: {e}"))?;
    let (seed, actions): (u64, Vec<TimedAction>) =
        postcard::from_bytes(&bytes).map_err(|e| format!("not a run link: {e}"))?;
    if actions.windows(2).any(|w| w[0].at_ms > w[1].at_ms) {
        return Err("not a run link: actions out of time order".to_string());
    }
    Ok((seed, actions))
}

/// Carries out an action (the world has already recorded it).
pub(crate) fn perform(world: &mut World, action: Action) -> Outcome {
    match action {
        Action::Kill { member } => with_member(world, &member, Cluster::kill),
        Action::Restart { member } => match world.member_index(&member) {
            Some(i) if world.node(i).disk.wiped => Outcome::error(wiped_error(world, i), 1),
            _ => with_member(world, &member, Cluster::restart),
        },
        Action::Pause { member } => with_member(world, &member, Cluster::pause),
        Action::Resume { member } => with_member(world, &member, Cluster::resume),
        Action::Wipe { member } => with_member(world, &member, Cluster::wipe),
        Action::Disk { member, min_us, max_us } => match world.member_index(&member) {
            Some(i) => {
                world.set_disk(i, crate::disk::DiskProfile { min_us, max_us: max_us.max(min_us) });
                Outcome::default()
            }
            None => unknown_member(&member),
        },
        Action::AutoCompaction { mode } => {
            world.set_auto_compaction(mode);
            Outcome::default()
        }
        Action::SnapshotCount { count } => {
            world.set_snapshot_count(count);
            Outcome::default()
        }
        Action::Partition { groups } => {
            let mut idx = Vec::new();
            for g in &groups {
                let mut ids = Vec::new();
                for name in g {
                    match world.member_index(name) {
                        Some(i) => ids.push(i),
                        None => return unknown_member(name),
                    }
                }
                idx.push(ids);
            }
            world.partition(&idx);
            Outcome::default()
        }
        Action::Start { member, client_url, data_dir } => {
            let started = match data_dir {
                Some(dir) => world.start_restored(&member, &dir, client_url),
                None => world.start_member(&member, client_url),
            };
            match started {
                Ok(()) => Outcome::default(),
                Err(e) => Outcome::error(e, 1),
            }
        }
        Action::WriteFile { path, bytes } => {
            world.write_file(&path, bytes);
            Outcome::default()
        }
        Action::Heal => {
            world.heal();
            Outcome::default()
        }
        Action::Network { profile } => match crate::sim::network::LinkFault::profile(&profile) {
            Some(fault) => {
                world.set_network_profile(&profile, fault);
                Outcome::default()
            }
            None => Outcome::error(format!("unknown network profile {profile:?} (lan, wan, congested)"), 1),
        },
        Action::Link { a, b, latency_ms, jitter_ms, loss_per_mille, duplicate_per_mille, reorder_per_mille } => {
            let (Some(i), Some(j)) = (world.member_index(&a), world.member_index(&b)) else {
                return unknown_member(if world.member_index(&a).is_none() { &a } else { &b });
            };
            let p = |per_mille: u32| f64::from(per_mille) / 1000.0;
            let fault = crate::sim::network::LinkFault {
                latency_ms,
                jitter_ms,
                loss: p(loss_per_mille),
                duplicate: p(duplicate_per_mille),
                reorder: p(reorder_per_mille),
            };
            world.set_link(i, j, fault);
            Outcome::default()
        }
        Action::SetQuota { bytes } => {
            world.set_quota(bytes);
            Outcome::default()
        }
        Action::Interrupt { stream } => world.stop_stream(stream, INTERRUPTED_EXIT).unwrap_or_default(),
        Action::UnsafeReads { on } => {
            world.set_unsafe_reads(on);
            Outcome::default()
        }
        Action::DropMessage { id } => match world.drop_message(id) {
            Ok(()) => Outcome::default(),
            Err(e) => Outcome::error(e, 1),
        },
        Action::LoadKubernetes { objects, large } => match world.load_kubernetes(objects, large) {
            Ok(()) => Outcome::default(),
            Err(e) => Outcome::error(e, 1),
        },
        Action::KubernetesTraffic { on } => {
            world.set_kubernetes_traffic(on);
            Outcome::default()
        }
        Action::Wire(w) => {
            let _ = crate::playground::wire::perform(world, w);
            Outcome::default()
        }
        Action::Etcdctl { line, stdin } => {
            let out = crate::ctl::run_line(world, &line, stdin.as_deref());
            let line = crate::ctl::echo_line(&line);
            let event = match out.stream {
                Some(_) => Event::Started { line },
                None => Event::Etcdctl { line, exit_code: out.exit_code },
            };
            world.note(event);
            out
        }
    }
}

fn with_member(world: &mut World, name: &str, f: fn(&mut Cluster, usize)) -> Outcome {
    match world.member_index(name) {
        Some(i) => {
            f(world, i);
            Outcome::default()
        }
        None => unknown_member(name),
    }
}

/// What etcd does when a member whose data dir is gone starts with its old ID: the leader's commit index
/// is beyond its empty log, and Raft panics.
fn wiped_error(world: &World, i: usize) -> String {
    let n = world.node(i);
    let commit = world.leader().map_or(0, |l| world.node(l).commit_index());
    format!(
        "{} cannot restart: its data dir was deleted, and etcd would panic with \"tocommit({commit}) is out of range \
         [lastIndex(0)]. Was the raft log corrupted, truncated, or lost?\". Remove it (member remove {:x}), add it \
         again (member add), then start it with @start.",
        n.name, n.id
    )
}

fn unknown_member(name: &str) -> Outcome {
    Outcome::error(format!("no member named {name:?}"), 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WorldConfig;

    #[test]
    fn a_run_link_replays_the_same_run() {
        let mut w = World::new(WorldConfig::demo(3, 9));
        w.advance(3_000);
        w.apply(Action::Etcdctl { line: "put k v".into(), stdin: None });
        w.apply(Action::Kill { member: "etcd1".into() });
        w.advance(2_000);
        w.apply(Action::Disk { member: "etcd2".into(), min_us: 10_000, max_us: 20_000 });
        w.advance(1_000);
        let link = encode_run(9, w.actions());
        let (seed, actions) = decode_run(&link).expect("decodes");
        let mut again = World::replay(WorldConfig::demo(3, seed), &actions);
        again.advance_to(w.now_ms());
        assert_eq!(again.nodes(), w.nodes());
        assert_eq!(again.trace().total(), w.trace().total());
    }

    #[test]
    fn a_damaged_link_is_refused() {
        assert!(decode_run("not base64!").is_err());
        let line = "put a-long-enough-key a-long-enough-value".to_string();
        let link = encode_run(1, &[TimedAction { at_ms: 5, action: Action::Etcdctl { line, stdin: None } }]);
        assert!(decode_run(&link[..link.len() / 2]).is_err(), "a truncated link");
    }
}
