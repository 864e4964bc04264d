//! Cases this project recorded from a real etcd 3.4.23 cluster (`tests/golden/recorded/record.py`):
//! etcdctl's argument checks for `get`/`del`/`put` and etcd's range sorting (limit with a sort target,
//! Go's unstable sort on ties). Each case prints nothing that varies between runs, so every byte of
//! stdout and stderr and the exit code must match.

use std::path::Path;

#[test]
fn recorded_cases_match_real_etcd_byte_for_byte() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden/recorded");
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let cases: Vec<serde_json::Value> =
        read("cases.jsonl").lines().map(|l| serde_json::from_str(l).expect("a recorded case")).collect();
    let ours = etcdplay_core::golden::replay(&read("cluster.json"), &read("cases.jsonl"), 1).expect("replays");
    let mut failed = Vec::new();
    for (case, line) in cases.iter().zip(&ours) {
        let got: serde_json::Value = serde_json::from_str(line).expect("a result line");
        let want = &case["expect"];
        if (&got["stdout"], &got["stderr"], &got["rc"]) != (&want["stdout"], &want["stderr"], &want["rc"]) {
            failed.push(format!(
                "case {} {} {:?}\n  want rc {} stdout {:?} stderr {:?}\n  got  rc {} stdout {:?} stderr {:?}",
                case["n"],
                case["name"],
                case["args"],
                want["rc"],
                want["stdout"],
                want["stderr"],
                got["rc"],
                got["stdout"],
                got["stderr"]
            ));
        }
    }
    println!("recorded cases: {} of {} match real etcd", cases.len() - failed.len(), cases.len());
    assert!(failed.is_empty(), "{} recorded cases differ:\n{}", failed.len(), failed.join("\n"));
}

/// The store revision as `get -w json` reports it.
fn revision(w: &mut etcdplay_core::World) -> i64 {
    let out = w.apply(etcdplay_core::Action::Etcdctl { line: "get x -w json".into(), stdin: None });
    let v: serde_json::Value = serde_json::from_str(out.stdout.trim()).expect("get -w json");
    v["header"]["revision"].as_i64().expect("a revision")
}

/// Every usage error etcdctl raises for `put`, `get`, `del` and their txn ops exits as etcdctl does and
/// leaves the store exactly as it was: the revision does not move and every key is still there.
#[test]
fn refused_commands_change_nothing() {
    use etcdplay_core::{Action, World, WorldConfig};
    let mut w = World::new(WorldConfig::demo(3, 5));
    w.wait_for_leader(10_000).expect("leader");
    for k in ["a", "b", "c", "d"] {
        assert_eq!(w.apply(Action::Etcdctl { line: format!("put {k} v{k}"), stdin: None }).exit_code, 0);
    }
    let before = revision(&mut w);
    let refused: &[(&str, Option<&str>, i32)] = &[
        ("del a c --prefix", None, 128),
        ("del a c --from-key", None, 128),
        ("del a b c", None, 128),
        ("del", None, 128),
        ("del a --prefix --from-key", None, 128),
        ("get a c --prefix", None, 128),
        ("get a c --from-key", None, 128),
        ("get", None, 128),
        ("get a --prefix --from-key", None, 128),
        ("get a --consistency=x", None, 4),
        ("get a --order=UP", None, 4),
        ("get a --sort-by=SIZE", None, 4),
        ("get a --print-value-only -w json", None, 128),
        ("get a --print-value-only -w fields", None, 128),
        ("put", None, 128),
        ("put a", None, 128),
        ("put a x --ignore-value", None, 128),
        ("put a x --lease=zz", None, 128),
        ("txn", Some("\ndel a c --prefix\n\n\n"), 128),
        ("txn", Some("\ndel a b c\n\n\n"), 128),
        ("txn", Some("\nput a\n\n\n"), 128),
    ];
    for &(line, stdin, code) in refused {
        let out = w.apply(Action::Etcdctl { line: line.into(), stdin: stdin.map(String::from) });
        assert_eq!(out.exit_code, code, "{line}: {}", out.stderr);
        assert!(out.stderr.starts_with("Error: "), "{line}: {}", out.stderr);
        assert_eq!(revision(&mut w), before, "{line} changed the store");
    }
    let all = w.apply(Action::Etcdctl { line: "get '' --prefix --keys-only".into(), stdin: None });
    assert_eq!(all.stdout, "a\n\nb\n\nc\n\nd\n\n");
}
