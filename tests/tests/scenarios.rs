//! Scenario scripts from `tests/scenarios/`, run through `etcdplay script`'s code on a fresh 3-member
//! cluster; each test checks, in order, what an operator should see.

use etcdplay_core::{script, World, WorldConfig};

fn run(name: &str) -> String {
    let path = format!("{}/scenarios/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let seed = etcdplay_tests::seed(1);
    let mut world = World::new(WorldConfig::demo(3, seed));
    script::run(&mut world, &text).unwrap_or_else(|e| panic!("{name}:{}: {}", e.line, e.msg))
}

/// Asserts that `needles` appear in `haystack` in this order.
fn in_order(haystack: &str, needles: &[&str]) {
    let mut from = 0;
    for n in needles {
        match haystack[from..].find(n) {
            Some(at) => from += at + n.len(),
            None => panic!("expected {n:?} after byte {from} in:\n{haystack}"),
        }
    }
}

#[test]
fn nospace_alarm_blocks_writes_until_compact_defrag_disarm() {
    let out = run("nospace.txt");
    in_order(
        &out,
        &[
            "Error: etcdserver: mvcc: database space exceeded",
            "$ etcdctl alarm list\nmemberID:",
            " alarm:NOSPACE\n",
            "$ etcdctl put another value\nError: etcdserver: mvcc: database space exceeded",
            "alarm:NOSPACE  |",
            "is unhealthy: failed to commit proposal: Active Alarm(s): NOSPACE",
            "$ etcdctl compaction 40\ncompacted revision 40",
            "$ etcdctl put another value\nError: etcdserver: mvcc: database space exceeded",
            "Finished defragmenting etcd member[etcd3]",
            "$ etcdctl put another value\nError: etcdserver: mvcc: database space exceeded",
            "$ etcdctl alarm disarm\nmemberID:",
            "$ etcdctl alarm list\n$ etcdctl put another value\nOK\n",
            "$ etcdctl get another\nanother\nvalue\n",
        ],
    );
}

/// The `took = N ms` of each `endpoint health` line, in order.
fn health_times_ms(out: &str) -> Vec<u64> {
    out.lines()
        .filter_map(|l| l.split_once("took = ").map(|(_, t)| t))
        .map(|t| {
            let t = t.trim();
            match t.strip_suffix("ms") {
                Some(ms) => ms.parse().expect("ms"),
                None => (t.trim_end_matches('s').parse::<f64>().expect("seconds") * 1000.0) as u64,
            }
        })
        .collect()
}

#[test]
fn slow_and_lossy_links_slow_commits_then_isolate() {
    let out = run("slow-link.txt");
    let times = health_times_ms(&out);
    assert_eq!(times.len(), 2, "{out}");
    assert!(times[0] < 50, "a LAN round trip: {times:?}");
    assert!(times[1] >= 360, "a ReadIndex round trip over a 200 ms (+-20 ms) link: {times:?}");
    let leaders: Vec<&str> = out.lines().filter(|l| l.starts_with("leader: ")).collect();
    assert_eq!(leaders.len(), 4, "{out}");
    assert!(!leaders[2].starts_with("leader: etcd1 "), "the isolated member cannot stay leader: {leaders:?}");
    in_order(
        &out,
        &[
            "$ etcdctl get foo --endpoints=etcd1 --command-timeout=1s\nError: context deadline exceeded",
            "$ etcdctl put foo after-heal --endpoints=etcd1\nOK\n",
        ],
    );
}

#[test]
fn a_learner_joins_catches_up_and_is_promoted() {
    let seed = etcdplay_tests::seed(1);
    let mut world = World::new(WorldConfig::demo(3, seed));
    let path = format!("{}/scenarios/learner.txt", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("scenario");
    let out = script::run(&mut world, &text).expect("runs");
    in_order(
        &out,
        &[
            "added to cluster",
            "ETCD_INITIAL_CLUSTER_STATE=\"existing\"",
            ", unstarted, , http://10.0.0.4:2380, , true",
            "$ @start etcd4 http://10.0.0.4:2379",
            ", started, etcd4, http://10.0.0.4:2380, http://10.0.0.4:2379, true",
            "$ etcdctl get before-join --endpoints=etcd4 --consistency=s\nbefore-join\nv1\n",
        ],
    );
    let id = out.split("Member ").nth(1).and_then(|s| s.split_whitespace().next()).expect("member id").to_string();
    let promoted =
        script::run(&mut world, &format!("etcdctl member promote {id}\netcdctl member list\n")).expect("runs");
    in_order(
        &promoted,
        &[
            &format!("Member {id} promoted in cluster"),
            ", started, etcd4, http://10.0.0.4:2380, http://10.0.0.4:2379, false",
        ],
    );
    let view = world.nodes().into_iter().find(|n| n.name == "etcd4").expect("etcd4 runs");
    assert_eq!(view.revision, 2, "the learner replayed the log it joined after");
}

#[test]
fn a_restored_cluster_holds_exactly_the_snapshot_keys() {
    let out = run("restore.txt");
    let (before, after) = out.split_once("$ @start etcd1 --data-dir etcd1.etcd").expect("the restored member starts");
    let cluster_ids: Vec<&str> = out.lines().filter_map(|l| l.split("\"cluster_id\":").nth(1)).collect();
    assert_eq!(cluster_ids.len(), 1, "{out}");
    assert!(before.contains("| f9ac238 |        3 |"), "the snapshot is at revision 3:\n{before}");
    in_order(
        after,
        &[
            "leader: etcd1",
            "$ etcdctl get /app --prefix\n/app/config\nv1\n/app/feature\non\n$ etcdctl get /app/after-snapshot\n$",
            "\"revision\":4,",
        ],
    );
    let old_id = before.lines().find(|l| l.contains("|    etcd1 |")).expect("old status");
    let new_id = after.lines().find(|l| l.contains("|    etcd1 |")).expect("new status");
    assert_ne!(old_id.split('|').nth(2), new_id.split('|').nth(2), "a restored member has a new member ID");
}

/// The value of the unlabelled sample `name` in a Prometheus text exposition.
fn sample(exposition: &str, name: &str) -> f64 {
    let prefix = format!("{name} ");
    let line = exposition.lines().find(|l| l.starts_with(&prefix)).unwrap_or_else(|| panic!("no {name}"));
    line[prefix.len()..].parse().unwrap_or_else(|e| panic!("{line}: {e}"))
}

/// What the command `$ cmd` printed in a transcript (up to the next command).
fn printed_by<'a>(transcript: &'a str, cmd: &str) -> &'a str {
    let start = transcript.find(&format!("$ {cmd}\n")).unwrap_or_else(|| panic!("no `{cmd}` in:\n{transcript}"));
    let body = &transcript[start + cmd.len() + 3..];
    &body[..body.find("\n$ ").map_or(body.len(), |e| e + 1)]
}

#[test]
fn metrics_health_and_version_over_http() {
    let out = run("metrics.txt");
    let before = printed_by(&out, "curl -s http://10.0.0.1:2379/metrics");
    let after = printed_by(&out, "curl -s http://10.0.0.2:2379/metrics");
    for m in [before, after] {
        assert_eq!(sample(m, "etcd_server_has_leader"), 1.0, "{m}");
        assert_eq!(sample(m, "etcd_server_proposals_failed_total"), 0.0, "{m}");
        assert!(m.contains("# TYPE etcd_disk_wal_fsync_duration_seconds histogram\n"), "{m}");
        assert!(m.contains("etcd_disk_wal_fsync_duration_seconds_bucket{le=\"0.001\"} "), "{m}");
        assert!(m.contains("etcd_server_version{server_version=\"3.4.23\"} 1\n"), "{m}");
    }
    assert_eq!(sample(before, "etcd_debugging_mvcc_keys_total"), 0.0);
    assert_eq!(sample(after, "etcd_debugging_mvcc_keys_total"), 2.0, "three puts, one deleted");
    assert_eq!(sample(after, "etcd_debugging_mvcc_current_revision"), 5.0);
    let applied = |m| sample(m, "etcd_server_proposals_applied_total");
    assert!(applied(after) >= applied(before) + 4.0, "four writes applied: {} -> {}", applied(before), applied(after));
    assert!(sample(after, "etcd_server_proposals_committed_total") >= applied(after));
    assert_eq!(sample(after, "etcd_debugging_mvcc_watch_stream_total"), 1.0, "the watch on etcd2");
    assert_eq!(sample(after, "etcd_debugging_mvcc_watcher_total"), 1.0);
    assert!(
        sample(after, "etcd_mvcc_db_total_size_in_bytes") >= sample(after, "etcd_mvcc_db_total_size_in_use_in_bytes")
    );
    in_order(
        &out,
        &[
            "$ curl http://10.0.0.3:2379/health\n{\"health\":\"true\"}\n",
            "$ curl http://10.0.0.3:2379/version\n{\"etcdserver\":\"3.4.23\",\"etcdcluster\":\"3.4.0\"}\n",
            "$ curl http://10.0.0.3:2379/debug\n404 page not found\n",
            "$ curl http://10.0.0.3:2379/health\ncurl: (7) Failed to connect to 10.0.0.3 port 2379: Connection refused\n[exit 7]\n",
            "$ curl -s http://10.0.0.3:2379/health\n[exit 7]\n",
        ],
    );
}

#[test]
fn an_isolated_leader_loses_quorum_and_steps_down_while_the_majority_moves_on() {
    let out = run("partition.txt");
    in_order(
        &out,
        &[
            "$ @wait-leader\nleader: etcd2 (term 2)",
            "$ etcdctl put k v2 --endpoints=etcd2\nOK\n",
            "$ etcdctl get k --endpoints=etcd1 --command-timeout=2s\nError: context deadline exceeded\n[exit 1]",
            "$ etcdctl get k --endpoints=etcd1 --consistency=s\nk\nv1\n",
            "etcdserver: no leader",
            "$ etcdctl get k --endpoints=etcd1\nk\nv2\n",
            "etcd1 became follower at term 1",
            // PreVote: the isolated member campaigns without raising its term, so it cannot disrupt.
            "etcd1 became pre-candidate at term 1",
            "etcd1 became follower at term 2",
        ],
    );
    assert!(
        !out.contains("etcd1 became candidate at term 2"),
        "PreVote keeps the minority from bumping the term:\n{out}"
    );
}

#[test]
fn a_follower_behind_the_compacted_log_catches_up_by_snapshot() {
    let out = run("snapshot-catchup.txt");
    in_order(
        &out,
        &[
            "300 of 300 puts succeeded",
            "etcd1 saved a snapshot at index 100 and compacted its log",
            "$ @restart etcd3",
            "sent its snapshot at index 300 to etcd3, whose log was too far behind",
            "etcd3 installed the leader's snapshot at index 300",
            "$ etcdctl get /load/0299 --endpoints=etcd3 --consistency=s\n/load/0299\n",
        ],
    );
    let status: Vec<&str> = out.lines().filter(|l| l.starts_with("| http://10.0.0.")).collect();
    assert_eq!(status.len(), 3, "{out}");
    let applied = |l: &str| l.split('|').nth(9).map(str::trim).map(String::from);
    assert!(status.iter().all(|l| applied(l) == applied(status[0])), "every member applied as far: {status:?}");
}

#[test]
fn a_paused_leader_is_replaced_and_steps_down_when_it_resumes() {
    let out = run("pause.txt");
    in_order(
        &out,
        &[
            "$ @pause etcd1\n$ @advance 3s\n$ @wait-leader\nleader: etcd",
            "$ etcdctl put k during-pause --endpoints=etcd2\nOK\n",
            "$ etcdctl get k --endpoints=etcd1\nk\nduring-pause\n",
            "etcd1 became leader at term 1",
            "etcd1 became follower at term 2",
        ],
    );
    let after_pause = out.split_once("$ @pause etcd1").map_or("", |(_, rest)| rest);
    assert!(!after_pause.contains("$ @wait-leader\nleader: etcd1"), "{out}");
}

#[test]
fn a_wiped_member_must_be_removed_and_added_again() {
    let out = run("wipe.txt");
    in_order(
        &out,
        &[
            "$ @restart etcd3\nError: etcd3 cannot restart: its data dir was deleted",
            "Was the raft log corrupted, truncated, or lost?",
            "$ etcdctl member remove fe9c64eaf3991d47\nMember fe9c64eaf3991d47 removed",
            "$ etcdctl member add etcd3",
            "$ etcdctl get k --endpoints=etcd3 --consistency=s\nk\nv1\n",
            "started, etcd3, http://10.0.0.3:2380, http://10.0.0.3:2379, false",
        ],
    );
    assert!(!out.rsplit("$ etcdctl member list").next().unwrap_or("").contains("fe9c64eaf3991d47"), "{out}");
}

#[test]
fn check_perf_passes_on_fast_disks_and_fails_on_slow_ones() {
    let out = run("slow-disk.txt");
    let (fast, slow) = out.split_once("$ @disk etcd1").expect("the disks slow down");
    assert!(fast.contains("PASS: Throughput is") && fast.trim_end().ends_with("PASS"), "{fast}");
    in_order(slow, &["FAIL: Throughput too low", "Slowest request took too long", "\nFAIL\n[exit 1]"]);
}

#[test]
fn auto_compaction_in_revision_and_periodic_modes() {
    let out = run("auto-compaction.txt");
    in_order(
        &out,
        &[
            "$ etcdctl get /load/0000 --rev=5\n/load/0000\n",
            "started auto-compaction at revision 21",
            "$ etcdctl get /load/0000 --rev=5\nError: etcdserver: mvcc: required revision has been compacted",
            "$ etcdctl get /load/0019 --rev=21\n/load/0019\n",
            "started auto-compaction at revision 41",
            "$ etcdctl get /periodic/0000 --rev=35\nError: etcdserver: mvcc: required revision has been compacted",
        ],
    );
}

#[test]
fn raft_keeps_every_member_identical_over_wan_and_congested_networks() {
    let out = run("network.txt");
    let times = health_times_ms(&out);
    assert_eq!(times.len(), 2, "{out}");
    assert!(times[0] < 30 && times[1] >= 60, "LAN then cross-region round trips: {times:?}");
    in_order(&out, &["200 of 200 puts succeeded", "--consistency=s\n/load/0199\n"]);
    let hashes: Vec<&str> =
        out.lines().filter(|l| l.starts_with("http://10.0.0.")).filter_map(|l| l.split(", ").nth(1)).collect();
    assert_eq!(hashes.len(), 3, "{out}");
    assert!(hashes.iter().all(|h| *h == hashes[0]), "{hashes:?}");
}
