//! Every printer (`-w simple|json|fields|table`) of every command that has one, on a live cluster: JSON
//! lines parse and keep 64-bit IDs exact, fields lines are `"Name" : value`, tables are framed, and
//! formats etcdctl does not support for a command fail with its error and exit code 4.

use etcdplay_core::{Action, World, WorldConfig};

fn etcdctl(w: &mut World, line: &str) -> etcdplay_core::Outcome {
    w.apply(Action::Etcdctl { line: line.to_string(), stdin: None })
}

fn cluster() -> World {
    let mut w = World::new(WorldConfig::demo(3, 4));
    w.wait_for_leader(10_000).expect("leader");
    for line in ["put foo bar", "put foo baz", "put zoo z", "snapshot save /tmp/s.db --endpoints=etcd1"] {
        assert_eq!(etcdctl(&mut w, line).exit_code, 0, "{line}");
    }
    w
}

const COMMANDS: &[&str] = &[
    "put foo qux --prev-kv",
    "get foo",
    "get '' --prefix --limit=1",
    "del zoo --prev-kv",
    "member list",
    "endpoint status",
    "endpoint hashkv",
    "endpoint health",
    "lease grant 60",
    "lease list",
    "snapshot status /tmp/s.db",
    "txn <<EOF\nvalue(\"foo\") = \"qux\"\n\nput foo txn\n\nget foo\n\nEOF",
];

fn check_json(line: &str, out: &str) {
    for l in out.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{line}: not JSON ({e}): {l}"));
        assert!(v.is_object() || v.is_array(), "{line}: {l}");
    }
    // The demo cluster's ID is above 2^53: it must print exactly, never through a float.
    let cid = etcdplay_core::cluster::cluster_id(
        &World::new(WorldConfig::demo(3, 4)).members().iter().map(|m| m.id).collect::<Vec<_>>(),
    );
    if out.contains("cluster_id") {
        assert!(out.contains(&cid.to_string()), "{line}: cluster_id not exact in {out}");
    }
}

#[test]
fn every_printer_of_every_command() {
    let mut checked = 0;
    for cmd in COMMANDS {
        for format in ["simple", "json", "fields", "table"] {
            let mut w = cluster();
            let line = match cmd.split_once(" <<") {
                Some((command, doc)) => format!("{command} -w {format} <<{doc}"),
                None => format!("{cmd} -w {format}"),
            };
            let o = etcdctl(&mut w, &line);
            let unsupported = o.stderr.contains("not supported as output format");
            if unsupported {
                assert_eq!(o.exit_code, 4, "{line}");
                continue;
            }
            assert!(o.exit_code == 0, "{line}: exit {} stderr {}", o.exit_code, o.stderr);
            match format {
                "json" => check_json(&line, &o.stdout),
                "fields" => {
                    for l in o.stdout.lines().filter(|l| !l.is_empty()) {
                        assert!(l.starts_with('"') && l.contains("\" : "), "{line}: fields line {l:?}");
                    }
                }
                "table" => assert!(o.stdout.starts_with("+-") && o.stdout.ends_with("+\n"), "{line}: {}", o.stdout),
                _ => assert!(!o.stdout.is_empty() || !o.stderr.is_empty() || cmd.starts_with("del"), "{line}"),
            }
            checked += 1;
        }
    }
    println!("{checked} command/format pairs printed");
    assert!(checked >= 30);
}

#[test]
fn unknown_formats_are_refused_before_anything_is_sent() {
    let mut w = cluster();
    let o = etcdctl(&mut w, "put foo never -w yaml");
    assert_eq!((o.stderr.as_str(), o.exit_code), ("Error: unsupported output format\n", 4));
    assert_eq!(etcdctl(&mut w, "get foo --print-value-only").stdout, "baz\n");
}
