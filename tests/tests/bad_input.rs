//! Bad input to commands, table-driven: missing and extra arguments, unknown and malformed flags, bad
//! numbers, empty keys, keys and values beyond etcd's 1.5 MiB request limit, binary keys. Each gets a clear
//! error (or, where etcd accepts it, works), nothing panics, and a failed command leaves the store as it
//! was (same revision and hash_kv on every member).

use etcdplay_core::server::api::{PutRequest, RangeRequest, Request, Response, ServerError};
use etcdplay_core::{Action, World, WorldConfig};

fn fingerprint(w: &World) -> Vec<(i64, u32)> {
    (0..w.members().len())
        .map(|i| {
            let s = &w.node(i).server.store;
            (s.current_rev(), s.hash_kv(s.current_rev()))
        })
        .collect()
}

fn world() -> World {
    let mut w = World::new(WorldConfig::demo(3, 5));
    w.wait_for_leader(10_000).expect("leader");
    let o = w.apply(Action::Etcdctl { line: "put seed value".into(), stdin: None });
    assert_eq!(o.stdout, "OK\n");
    w.advance(1_000);
    w
}

#[test]
fn bad_command_lines_fail_clearly_and_change_nothing() {
    let big = "x".repeat(1_600_000);
    let cases: Vec<(String, &str)> = vec![
        ("put".into(), "put command needs 1 argument and input from stdin or 2 arguments"),
        ("get".into(), "get command needs one argument as key"),
        ("del".into(), "del command needs one argument as key"),
        ("compaction".into(), "compaction command needs 1 argument"),
        ("compaction 5 6".into(), "compaction command needs 1 argument"),
        ("move-leader".into(), "move-leader command needs 1 argument"),
        ("move-leader a b".into(), "move-leader command needs 1 argument"),
        ("put k v --nosuchflag".into(), "unknown flag: --nosuchflag"),
        ("get k --limit=abc".into(), "invalid argument \"abc\""),
        ("watch k --rev=x".into(), "invalid argument \"x\""),
        ("put k v --prev-kv=3".into(), "invalid argument \"3\""),
        ("get k --consistency=x".into(), "unknown consistency flag \"x\""),
        ("get k -w nope".into(), "unsupported output format"),
        ("put k v --lease=zz".into(), "bad lease ID"),
        ("compaction abc".into(), "parsing \"abc\": invalid syntax"),
        ("compaction -3".into(), "unknown shorthand flag: '3' in -3"),
        ("compaction 999999".into(), "required revision is a future revision"),
        ("lease grant abc".into(), "bad TTL"),
        ("lease grant 99999999999999".into(), "too large lease TTL"),
        ("lease revoke zz".into(), "bad lease ID arg"),
        ("move-leader xyz".into(), "parsing \"xyz\": invalid syntax"),
        ("member remove nothex".into(), "bad member ID arg"),
        ("put '' v".into(), "etcdserver: key is not provided"),
        ("get ''".into(), "etcdserver: key is not provided"),
        ("del ''".into(), "etcdserver: key is not provided"),
        (format!("put k {big}"), "etcdserver: request is too large"),
        (format!("put {big} v"), "etcdserver: request is too large"),
        ("nosuchcmd".into(), "unknown command \"nosuchcmd\""),
    ];
    let mut w = world();
    let before = fingerprint(&w);
    let mut failures = Vec::new();
    for (line, want) in &cases {
        let shown: String = line.chars().take(40).collect();
        let line2 = line.clone();
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            w.apply(Action::Etcdctl { line: line2, stdin: None })
        }));
        let Ok(o) = out else {
            failures.push(format!("{shown:?} panicked"));
            continue;
        };
        w.advance(200);
        println!("{shown:<42} exit {} {}", o.exit_code, o.stderr.lines().next().unwrap_or(""));
        if o.exit_code == 0 {
            failures.push(format!("{shown:?} succeeded: {:?}", o.stdout));
        }
        if !o.stderr.contains(want) {
            failures.push(format!("{shown:?}: expected {want:?} in {:?}", o.stderr));
        }
        if fingerprint(&w) != before {
            failures.push(format!("{shown:?} changed the store: {:?} -> {:?}", before, fingerprint(&w)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn bad_requests_through_the_api_are_refused_before_the_log() {
    let mut w = world();
    let before = fingerprint(&w);
    let put = |key: Vec<u8>, value: Vec<u8>| Request::Put(PutRequest { key, value, ..Default::default() });
    let cases = vec![
        (put(vec![], b"v".to_vec()), ServerError::KeyNotProvided),
        (put(b"k".to_vec(), vec![7; 1536 * 1024 + 1]), ServerError::RequestTooLarge),
        (put(vec![0xff; 1536 * 1024], b"v".to_vec()), ServerError::RequestTooLarge),
        (Request::Range(RangeRequest::default()), ServerError::KeyNotProvided),
        (Request::Compaction { revision: 1 << 40, physical: false }, ServerError::FutureRev),
        (Request::LeaseRevoke { id: 0x1234 }, ServerError::LeaseNotFound),
    ];
    for (req, want) in cases {
        assert_eq!(w.call(0, req.clone(), 5_000).err(), Some(want), "{:?}", format!("{req:?}").get(..60));
    }
    w.advance(500);
    assert_eq!(fingerprint(&w), before);
    // Just below the limit is accepted; binary, non-UTF-8 keys and values are ordinary bytes to etcd.
    let ok = w.call(0, put(b"big".to_vec(), vec![1; 1536 * 1024 - 3]), 5_000);
    assert!(ok.is_ok(), "{:?}", ok.err());
    let key = vec![0xff, 0x00, 0xfe, b'\n'];
    assert!(w.call(0, put(key.clone(), vec![0x80, 0x00]), 5_000).is_ok());
    let got = w.call(1, Request::Range(RangeRequest { key: key.clone(), ..Default::default() }), 5_000);
    let Ok(Response::Range(r)) = got else { panic!("{got:?}") };
    assert_eq!((r.kvs[0].key.clone(), r.kvs[0].value.clone()), (key, vec![0x80, 0x00]));
}
