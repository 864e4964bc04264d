//! Debugging high latency: a slow disk and a slow network, and the metrics that point at each.

use super::{Do, Goal, Lesson, Step};
use crate::playground::action::Action;

/// Every member's disk becomes an overloaded network volume: the Disk menu's "Slow (300 ms fsync)".
fn slow_disks() -> Vec<Action> {
    let slow = crate::disk::DiskProfile::fixed(300, 50);
    (1..=3).map(|i| Action::Disk { member: format!("etcd{i}"), min_us: slow.min_us, max_us: slow.max_us }).collect()
}

/// What pressing NVMe in every member's Disk menu does.
fn fast_disks() -> Vec<Do> {
    let nvme = crate::disk::DiskProfile::NVME;
    (1..=3)
        .map(|i| Do::Act(Action::Disk { member: format!("etcd{i}"), min_us: nvme.min_us, max_us: nvme.max_us }))
        .collect()
}

pub(super) fn lesson() -> Lesson {
    Lesson {
        id: "high-latency",
        title: "Debugging high latency",
        summary: "Find a slow disk through the WAL fsync metric, fix it, then see what a slow network does.",
        members: 3,
        steps: vec![
            Step {
                text: "Start with a healthy baseline: `endpoint health` reads through every member and prints \
                       how long each took.",
                setup: vec![],
                goal: Goal::Ran { pattern: "endpoint health", ok: true },
                waiting: "Waiting for you to run `endpoint health`…",
                explain: "A few milliseconds each: on NVMe disks and a LAN, a quorum write or a linearizable read \
                          costs one round trip plus one fsync.",
                visitor: vec![Do::Ctl("endpoint health")],
            },
            Step {
                text: "The setup gave every member's disk a 250-350 ms fsync, like an overloaded network volume (each \
                       card's Disk menu says Slow). Write a few keys (`put k1 v`, `put k2 v`, …) and watch the WAL \
                       fsync chart in Metrics, or run `curl http://10.0.0.1:2379/metrics`.",
                setup: slow_disks(),
                goal: Goal::All(vec![Goal::Ran { pattern: "put", ok: true }, Goal::SlowFsync { p99_ms: 20 }]),
                waiting: "Waiting for a WAL fsync p99 above 20 ms: write a few keys…",
                explain: "`etcd_disk_wal_fsync_duration_seconds` p99 is now far above 10 ms, etcd's warning \
                          sign for disks. Every entry must be fsynced by a quorum before it commits, so each \
                          write takes at least one slow fsync; with heartbeats delayed, followers may even start \
                          elections. On disks like this etcd's log fills with `apply request took too long` (over \
                          100 ms) and, past 1 s, `slow fdatasync`.",
                visitor: vec![Do::Ctl("put k1 v"), Do::Ctl("put k2 v"), Do::Ctl("put k3 v")],
            },
            Step {
                text: "Fix the disks: set each member's Disk menu back to NVMe.",
                setup: vec![],
                goal: Goal::FastDisks { max_ms: 10 },
                waiting: "Waiting for every member's disk to be fast again…",
                explain: "Writes are fast again. In production the fix is dedicated SSD or NVMe storage for \
                          etcd's data dir (or at least its WAL), away from noisy neighbours, verified with \
                          `etcdctl check perf` or fio before go-live.",
                visitor: fast_disks(),
            },
            Step {
                text: "Now the network: the setup turned every link into a WAN link (tens of ms each way). Run \
                       `endpoint health` again and compare.",
                setup: vec![Action::Network { profile: "wan".to_string() }],
                goal: Goal::Ran { pattern: "endpoint health", ok: true },
                waiting: "Waiting for you to run `endpoint health` on the slow network…",
                explain:
                    "Each read now pays a round trip between members (`etcd_network_peer_round_trip_time_seconds` \
                          shows it). When the round trip nears the heartbeat interval, raise \
                          `--heartbeat-interval` to about the round-trip time and `--election-timeout` to 10 \
                          times that, or members far apart will hold spurious elections.",
                visitor: vec![Do::Ctl("endpoint health")],
            },
        ],
    }
}
