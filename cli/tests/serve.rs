//! `etcdplay serve` from the outside, through etcd's own client protocol (the `etcd-client` crate):
//! the API, faults from the control input (a killed member's port refuses connections, a paused one
//! accepts and then times out linearizable reads but answers serializable ones), and bad input (empty
//! and oversized keys, garbage instead of HTTP/2, thousands of watches dropped mid-stream) answered with
//! etcd's errors while the cluster keeps serving.

use etcd_client::{Client, ConnectOptions, GetOptions, LockOptions, ProclaimOptions, ResignOptions, WatchOptions};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use tokio_stream::StreamExt;

/// A served cluster on its own ports; killed when dropped.
struct Served {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
    clients: Vec<String>,
}

impl Served {
    fn start(base: u16) -> Served {
        Served::start_with(base, &[])
    }

    fn start_with(base: u16, extra: &[&str]) -> Served {
        let names: Vec<String> = (1..=3).map(|i| format!("t{i}")).collect();
        let peers: Vec<String> =
            names.iter().enumerate().map(|(i, n)| format!("{n}=http://127.0.0.1:{}", base + 10 + i as u16)).collect();
        let clients: Vec<String> = (0..3).map(|i| format!("http://127.0.0.1:{}", base + i as u16)).collect();
        let client_flag: Vec<String> = names.iter().zip(&clients).map(|(n, c)| format!("{n}={c}")).collect();
        let mut child = Command::new(env!("CARGO_BIN_EXE_etcdplay"))
            .args([
                "serve",
                "--no-page",
                "--seed",
                "7",
                "--initial-cluster",
                &peers.join(","),
                "--client-urls",
                &client_flag.join(","),
            ])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start etcdplay serve");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut s = Served { child, stdin, lines, clients };
        s.wait_for("ready");
        s
    }

    fn wait_for(&mut self, what: &str) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            let line =
                self.lines.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|_| panic!("no {what:?} in {seen:?}"));
            let done = line.contains(what);
            seen.push(line);
            if done {
                return seen;
            }
        }
    }

    /// Runs a control line (`@kill t1`) and returns its transcript.
    fn control(&mut self, line: &str) -> Vec<String> {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
        self.wait_for("# done")
    }

    async fn client(&self, members: &[usize]) -> Client {
        let endpoints: Vec<&str> = members.iter().map(|&i| self.clients[i].as_str()).collect();
        let opts =
            ConnectOptions::new().with_timeout(Duration::from_secs(3)).with_connect_timeout(Duration::from_secs(2));
        Client::connect(endpoints, Some(opts)).await.expect("connect")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

#[test]
fn kv_txn_lease_and_watch_through_grpc() {
    let s = Served::start(26_100);
    rt().block_on(async {
        let mut c = s.client(&[0, 1, 2]).await;
        let put = c.put("a", "1", None).await.unwrap();
        let rev = put.header().unwrap().revision();
        let got = c.get("a", None).await.unwrap();
        assert_eq!(got.kvs()[0].value(), b"1");
        assert_eq!(got.header().unwrap().revision(), rev);
        let mut stream = c.watch("w", Some(WatchOptions::new().with_prev_key())).await.unwrap();
        c.put("w", "x", None).await.unwrap();
        c.put("w", "y", None).await.unwrap();
        let mut seen = Vec::new();
        let mut id = -1;
        while seen.len() < 2 {
            let resp = tokio::time::timeout(Duration::from_secs(5), stream.next()).await.unwrap().unwrap().unwrap();
            id = resp.watch_id();
            for e in resp.events() {
                let prev = e.prev_kv().map(|kv| kv.value().to_vec());
                seen.push((e.kv().unwrap().value().to_vec(), prev));
            }
        }
        assert_eq!(seen, vec![(b"x".to_vec(), None), (b"y".to_vec(), Some(b"x".to_vec()))]);
        stream.cancel(id).await.unwrap();
        let lease = c.lease_grant(30, None).await.unwrap();
        c.put("leased", "v", Some(etcd_client::PutOptions::new().with_lease(lease.id()))).await.unwrap();
        let ttl = c
            .lease_time_to_live(lease.id(), Some(etcd_client::LeaseTimeToLiveOptions::new().with_keys()))
            .await
            .unwrap();
        assert_eq!(ttl.keys(), [b"leased".to_vec()]);
        c.lease_revoke(lease.id()).await.unwrap();
        assert_eq!(c.get("leased", None).await.unwrap().count(), 0);
        // Compaction, and a read below it, with etcd's message.
        c.compact(rev + 1, None).await.unwrap();
        let err = c.get("a", Some(GetOptions::new().with_revision(rev))).await.unwrap_err();
        assert!(err.to_string().contains("etcdserver: mvcc: required revision has been compacted"), "{err}");
        let members = c.member_list().await.unwrap();
        assert_eq!(members.members().len(), 3);
        // Hash (of the whole backend): the members that applied the same entries agree; a write changes it.
        let before = backend_hashes(&s).await;
        assert!(before.iter().all(|&h| h == before[0] && h != 0), "{before:?}");
        c.put("a", "changed", None).await.unwrap();
        let after = backend_hashes(&s).await;
        assert!(after.iter().all(|&h| h == after[0]) && after[0] != before[0], "{before:?} {after:?}");
    });
}

/// A client that stops sending on its watch stream (drops its sender, a half-close) still hears its
/// watchers, as from etcd, which keeps them until the stream itself ends.
#[test]
fn a_half_closed_watch_stream_keeps_its_watchers() {
    let s = Served::start(27_150);
    rt().block_on(async {
        let mut c = s.client(&[0]).await;
        let (sender, mut stream) = c.watch("h", None).await.unwrap().split();
        drop(sender);
        c.put("h", "1", None).await.unwrap();
        let mut values = Vec::new();
        while values.is_empty() {
            let resp = tokio::time::timeout(Duration::from_secs(5), stream.next()).await.unwrap().unwrap().unwrap();
            values.extend(resp.events().iter().filter_map(|e| e.kv()).map(|kv| kv.value().to_vec()));
        }
        assert_eq!(values, [b"1".to_vec()]);
    });
}

/// etcd's lock and election services: a second locker waits until the first unlocks; a campaign waits
/// for the leader to resign; observers see every proclaimed value; stale leader keys and empty elections
/// get etcd's errors.
#[test]
fn lock_and_election_through_grpc() {
    let s = Served::start(26_500);
    rt().block_on(async {
        let mut c = s.client(&[0, 1, 2]).await;
        let l1 = c.lease_grant(30, None).await.unwrap().id();
        let l2 = c.lease_grant(30, None).await.unwrap().id();
        let first = c.lock("door", Some(LockOptions::new().with_lease(l1))).await.unwrap();
        assert_eq!(first.key(), format!("door/{l1:x}").as_bytes());
        let mut other = s.client(&[1]).await;
        let second = tokio::spawn(async move { other.lock("door", Some(LockOptions::new().with_lease(l2))).await });
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(!second.is_finished(), "the second locker must wait for the first");
        c.unlock(first.key()).await.unwrap();
        let second = tokio::time::timeout(Duration::from_secs(5), second).await.unwrap().unwrap().unwrap();
        assert_eq!(second.key(), format!("door/{l2:x}").as_bytes());
        // Lease 0: the lock gets a session lease of its own (60 s), as etcd's NewSession does.
        let before = c.leases().await.unwrap().leases().len();
        let own = c.lock("gate", None).await.unwrap();
        assert_eq!(c.leases().await.unwrap().leases().len(), before + 1);
        assert!(own.key().starts_with(b"gate/"));

        let err = c.leader("vote").await.unwrap_err().to_string();
        assert!(err.contains("election: no leader"), "{err}");
        let won = c.campaign("vote", "alpha", l1).await.unwrap();
        let leader = won.leader().unwrap().clone();
        assert_eq!(leader.key(), format!("vote/{l1:x}").as_bytes());
        let mut observer = s.client(&[2]).await;
        let mut seen = observer.observe("vote").await.unwrap();
        let first_seen = tokio::time::timeout(Duration::from_secs(5), seen.message()).await.unwrap().unwrap().unwrap();
        assert_eq!(first_seen.kv().unwrap().value(), b"alpha");
        c.proclaim("beta", Some(ProclaimOptions::new().with_leader(leader.clone()))).await.unwrap();
        let next = tokio::time::timeout(Duration::from_secs(5), seen.message()).await.unwrap().unwrap().unwrap();
        assert_eq!(next.kv().unwrap().value(), b"beta");
        assert_eq!(c.leader("vote").await.unwrap().kv().unwrap().value(), b"beta");
        let mut rival = s.client(&[1]).await;
        let challenger = tokio::spawn(async move { rival.campaign("vote", "gamma", l2).await });
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(!challenger.is_finished(), "a campaign must wait for the leader to resign");
        c.resign(Some(ResignOptions::new().with_leader(leader.clone()))).await.unwrap();
        tokio::time::timeout(Duration::from_secs(5), challenger).await.unwrap().unwrap().unwrap();
        let next = tokio::time::timeout(Duration::from_secs(5), seen.message()).await.unwrap().unwrap().unwrap();
        assert_eq!(next.kv().unwrap().value(), b"gamma");
        let err = c.proclaim("stale", Some(ProclaimOptions::new().with_leader(leader))).await.unwrap_err().to_string();
        assert!(err.contains("election: not leader"), "{err}");
        assert_eq!(c.leader("vote").await.unwrap().kv().unwrap().value(), b"gamma");
    });
}

#[test]
fn killed_member_refuses_and_paused_member_serves_stale_reads() {
    let mut s = Served::start(26_200);
    let runtime = rt();
    runtime.block_on(async {
        let mut c = s.client(&[0, 1, 2]).await;
        c.put("k", "before", None).await.unwrap();
    });
    s.control("@kill t3");
    // The listener closes as soon as the world says the process is gone (asynchronously, within moments).
    let refused = (0..40).any(|_| {
        std::thread::sleep(Duration::from_millis(50));
        std::net::TcpStream::connect("127.0.0.1:26202").is_err()
    });
    assert!(refused, "a killed member's port must refuse connections");
    s.control("@restart t3");
    s.control("@wait-leader");
    runtime.block_on(async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut third = s.client(&[2]).await;
        assert_eq!(third.get("k", None).await.unwrap().kvs()[0].value(), b"before");
    });
    // Cut t3 off from the others: it still accepts connections, answers serializable reads from its own
    // (stale) store and cannot serve linearizable ones.
    s.control("@partition t1 t2 | t3");
    runtime.block_on(async {
        let mut rest = s.client(&[0, 1]).await;
        rest.put("k", "after", None).await.unwrap();
        let mut third = s.client(&[2]).await;
        let stale = third.get("k", Some(GetOptions::new().with_serializable())).await.unwrap();
        assert_eq!(stale.kvs()[0].value(), b"before");
        assert!(third.get("k", None).await.is_err(), "a linearizable read on a cut-off member must fail");
    });
}

#[test]
fn bad_input_gets_etcd_errors_and_the_cluster_keeps_serving() {
    let s = Served::start(26_300);
    rt().block_on(async {
        let mut c = s.client(&[0]).await;
        let err = c.put("", "v", None).await.unwrap_err();
        assert!(err.to_string().contains("etcdserver: key is not provided"), "{err}");
        let big = vec![b'x'; 1_600_000];
        let err = c.put("big", big, None).await.unwrap_err();
        assert!(err.to_string().contains("etcdserver: request is too large"), "{err}");
        let huge = vec![b'x'; 3 * 1024 * 1024];
        assert!(c.put("huge", huge, None).await.is_err(), "a request above gRPC's limit is refused");
        // Garbage instead of HTTP/2, and a truncated preface.
        for junk in [
            &b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\xff\xff\xff\x01\x00\x00\x00\x00\x01garbage"[..],
            b"PRI * HT",
            b"\x00\x01\x02\x03",
        ] {
            let mut tcp = std::net::TcpStream::connect("127.0.0.1:26300").unwrap();
            let _ = tcp.write_all(junk);
        }
        // Two thousand watches, then the connection drops mid-stream.
        {
            let mut w = s.client(&[0]).await;
            let mut keep = Vec::new();
            for i in 0..2000 {
                keep.push(w.watch(format!("many/{i}"), None).await.unwrap());
            }
        }
        c.put("after", "ok", None).await.unwrap();
        assert_eq!(c.get("after", None).await.unwrap().kvs()[0].value(), b"ok");
        let too_many: Vec<etcd_client::TxnOp> =
            (0..129).map(|i| etcd_client::TxnOp::put(format!("t{i}"), "v", None)).collect();
        let err = c.txn(etcd_client::Txn::new().and_then(too_many)).await.unwrap_err();
        assert!(err.to_string().contains("etcdserver: too many operations in txn request"), "{err}");
    });
}

/// A served run recorded with `--record` and rebuilt by `etcdplay replay` from its seed and actions alone
/// ends where the served members did: same revision and KV hash on every member, as `HashKV` told over
/// gRPC (writes, a transaction, leases with keep-alives, a compaction, a leader move and a killed member
/// in between).
#[test]
fn a_recorded_run_replays_to_the_hashes_the_members_served() {
    let dir = std::env::temp_dir().join(format!("etcdplay-record-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("run.jsonl");
    let mut s = Served::start_with(26_400, &["--record", file.to_str().unwrap()]);
    rt().block_on(async {
        let mut c = s.client(&[0, 1, 2]).await;
        for i in 0..30 {
            c.put(format!("k{}", i % 7), format!("v{i}"), None).await.unwrap();
        }
        let lease = c.lease_grant(20, None).await.unwrap();
        c.put("leased", "x", Some(etcd_client::PutOptions::new().with_lease(lease.id()))).await.unwrap();
        c.lease_keep_alive(lease.id()).await.unwrap();
        let txn = etcd_client::Txn::new()
            .when([etcd_client::Compare::value("k1", etcd_client::CompareOp::Equal, "v29")])
            .and_then([etcd_client::TxnOp::put("t", "then", None)])
            .or_else([etcd_client::TxnOp::put("t", "else", None)]);
        c.txn(txn).await.unwrap();
        let rev = c.get("k1", None).await.unwrap().header().unwrap().revision();
        c.compact(rev - 5, None).await.unwrap();
        let status = c.status().await.unwrap();
        let next = c.member_list().await.unwrap().members().iter().map(|m| m.id()).find(|&id| id != status.leader());
        let mut leader = s.client(&[leader_index(&s, status.leader()).await]).await;
        leader.move_leader(next.unwrap()).await.unwrap();
        c.put("after-move", "1", None).await.unwrap();
    });
    s.control("@kill t3");
    rt().block_on(async {
        let mut c = s.client(&[0]).await;
        c.delete("k2", None).await.unwrap();
    });
    let served_after: Vec<(i64, u32)> = rt().block_on(settle(&s, 2));
    std::thread::sleep(Duration::from_millis(1_500));
    drop(s);
    let out = Command::new(env!("CARGO_BIN_EXE_etcdplay")).arg("replay").arg(&file).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    let replayed: Vec<(i64, u32)> = text
        .lines()
        .skip(1)
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w[2].parse().unwrap(), w[4].parse().unwrap())
        })
        .collect();
    assert_eq!(replayed[..2], served_after[..], "{text}");
    assert!(text.lines().nth(3).unwrap().ends_with("(down)"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The index of the member with ID `id`.
async fn leader_index(s: &Served, id: u64) -> usize {
    for i in 0..s.clients.len() {
        let mut c = s.client(&[i]).await;
        if c.status().await.unwrap().header().unwrap().member_id() == id {
            return i;
        }
    }
    panic!("no member has ID {id:x}");
}

/// Every member's `Hash` (of its whole backend), once they agree (or as they stand after 50 tries: a
/// follower may not have applied the last entry yet).
async fn backend_hashes(s: &Served) -> Vec<u32> {
    let mut hashes = Vec::new();
    for _ in 0..50 {
        settle(s, s.clients.len()).await;
        hashes.clear();
        for i in 0..s.clients.len() {
            hashes.push(s.client(&[i]).await.hash().await.unwrap().hash());
        }
        if hashes.iter().all(|&h| h == hashes[0]) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    hashes
}

/// Each of the first `n` members' revision and KV hash, once they all agree on the revision.
async fn settle(s: &Served, n: usize) -> Vec<(i64, u32)> {
    for _ in 0..100 {
        let mut got = Vec::new();
        for i in 0..n {
            let mut c = s.client(&[i]).await;
            let h = c.hash_kv(0).await.unwrap();
            got.push((h.header().unwrap().revision(), h.hash()));
        }
        if got.iter().all(|g| g.0 == got[0].0) {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the members never agreed on a revision");
}

/// Replays `file` with `--check`: the linearizability checker over what the served run's clients sent
/// and got. Returns whether the replay succeeded, and its output.
fn replay_checked(file: &std::path::Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_etcdplay")).arg("replay").arg(file).arg("--check").output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// The robustness runs' linearizability checker, on a served run: concurrent clients on every member
/// through a leader kill and restart are linearizable; the unsafe teaching mode (reads without
/// ReadIndex) with a partitioned member is caught.
#[test]
fn a_served_runs_history_is_checked_for_linearizability() {
    let dir = std::env::temp_dir().join(format!("etcdplay-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let safe = dir.join("safe.jsonl");
    let mut s = Served::start_with(26_700, &["--record", safe.to_str().unwrap()]);
    let clients = |s: &Served| {
        let endpoints = s.clients.clone();
        (0..6)
            .map(|c| {
                let endpoint = endpoints[c % 3].clone();
                tokio::spawn(async move {
                    let mut client = Client::connect([endpoint], None).await.unwrap();
                    for i in 0..25 {
                        let key = format!("k{}", (c + i) % 4);
                        let _ = client.put(key.as_str(), format!("c{c}-{i}"), None).await;
                        let _ = client.get(key.as_str(), None).await;
                    }
                })
            })
            .collect::<Vec<_>>()
    };
    rt().block_on(async {
        for t in clients(&s) {
            t.await.unwrap();
        }
    });
    s.control("@kill t1");
    rt().block_on(async {
        for t in clients(&s) {
            let _ = tokio::time::timeout(Duration::from_secs(20), t).await;
        }
    });
    s.control("@restart t1");
    std::thread::sleep(Duration::from_millis(1_200));
    drop(s);
    let (ok, text) = replay_checked(&safe);
    assert!(ok, "{text}");
    let verdict = text.lines().last().unwrap();
    let operations: usize = verdict.split('(').nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!(verdict.starts_with("history linearizable: yes") && operations >= 300, "{text}");

    let unsafe_run = dir.join("unsafe.jsonl");
    let mut s = Served::start_with(26_800, &["--record", unsafe_run.to_str().unwrap()]);
    s.control("@unsafe-reads on");
    rt().block_on(async {
        s.client(&[0, 1, 2]).await.put("k", "old", None).await.unwrap();
    });
    std::thread::sleep(Duration::from_millis(300));
    s.control("@partition t1 | t2 t3");
    rt().block_on(async {
        let mut majority = s.client(&[1]).await;
        let mut put = Err(etcd_client::Error::InvalidArgs(String::new()));
        for _ in 0..20 {
            put = majority.put("k", "new", None).await;
            if put.is_ok() {
                break;
            }
        }
        put.unwrap();
        let stale = s.client(&[0]).await.get("k", None).await.unwrap();
        assert_eq!(stale.kvs()[0].value(), b"old", "the isolated member answers from its own store");
    });
    std::thread::sleep(Duration::from_millis(1_200));
    drop(s);
    let (ok, text) = replay_checked(&unsafe_run);
    assert!(!ok && text.contains("history linearizable: NO, key k"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// POSTs `body` to a gateway streaming route and returns the connection, past the response's head.
fn gateway_stream(client_url: &str, path: &str, body: &str) -> BufReader<std::net::TcpStream> {
    let address = client_url.trim_start_matches("http://");
    let mut tcp = std::net::TcpStream::connect(address).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(tcp, "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    let mut reader = BufReader::new(tcp);
    let mut head = String::new();
    while reader.read_line(&mut head).unwrap() > 2 {}
    assert!(head.starts_with("HTTP/1.1 200 OK") && head.contains("Transfer-Encoding: chunked"), "{head}");
    reader
}

/// The next `{"result":...}` line of a chunked gateway stream.
fn next_line(reader: &mut BufReader<std::net::TcpStream>) -> String {
    let mut size = String::new();
    reader.read_line(&mut size).unwrap();
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let mut end = String::new();
    reader.read_line(&mut end).unwrap();
    assert_eq!(usize::from_str_radix(size.trim(), 16).unwrap(), line.len(), "{line}");
    line
}

/// The gateway's streams, as etcd 3.4's grpc-gateway writes them (checked against a real etcd by hand):
/// a watch with prev_kv sees puts as `{"result":...}` lines for as long as the connection stays open;
/// a keep-alive renews a lease; a watch from a compacted revision is canceled with the compact revision.
#[test]
fn gateway_watch_and_keepalive_stream() {
    let s = Served::start(26_950);
    let mut watch = gateway_stream(&s.clients[1], "/v3/watch", r#"{"create_request":{"key":"Zm9v","prev_kv":true}}"#);
    assert!(next_line(&mut watch).contains(r#""created":true"#));
    rt().block_on(async {
        let mut c = s.client(&[0]).await;
        c.put("foo", "bar", None).await.unwrap();
        c.put("foo", "baz", None).await.unwrap();
    });
    let first = next_line(&mut watch);
    assert!(
        first.contains(r#""kv":{"key":"Zm9v","create_revision":"2","mod_revision":"2","version":"1","value":"YmFy"}"#),
        "{first}"
    );
    let second = next_line(&mut watch);
    assert!(
        second.contains(
            r#""prev_kv":{"key":"Zm9v","create_revision":"2","mod_revision":"2","version":"1","value":"YmFy"}"#
        ),
        "{second}"
    );
    let id = rt().block_on(async { s.client(&[0]).await.lease_grant(30, None).await.unwrap().id() });
    let mut renew = gateway_stream(&s.clients[2], "/v3/lease/keepalive", &format!(r#"{{"ID":"{id}"}}"#));
    let renewed = next_line(&mut renew);
    assert!(renewed.contains(&format!(r#""ID":"{id}","TTL":"30""#)), "{renewed}");
    rt().block_on(async { s.client(&[0]).await.compact(3, None).await.unwrap() });
    let mut old = gateway_stream(&s.clients[0], "/v3/watch", r#"{"create_request":{"key":"Zm9v","start_revision":1}}"#);
    assert!(next_line(&mut old).contains(r#""created":true"#));
    let canceled = next_line(&mut old);
    assert!(canceled.contains(r#""raft_term":"#) && !canceled.contains(r#""revision""#), "{canceled}");
    assert!(canceled.contains(r#""canceled":true,"compact_revision":"3""#), "{canceled}");
    // The lock and election services through the gateway, answered as a real etcd answered them.
    let locked = gateway_post(&s.clients[0], "/v3/lock/lock", &format!(r#"{{"name":"bG9jaw==","lease":"{id}"}}"#));
    let key = format!("lock/{id:x}");
    assert!(locked.contains(&format!(r#""key":"{}""#, base64_of(&key))), "{locked}");
    let none = gateway_post(&s.clients[0], "/v3/election/leader", r#"{"name":"ZQ=="}"#);
    assert!(none.ends_with(r#"{"error":"election: no leader","message":"election: no leader","code":2}"#), "{none}");
    let bare = gateway_post(&s.clients[0], "/v3/election/proclaim", r#"{"value":"djI="}"#);
    assert!(bare.contains(r#""message":"\"leader\" field must be provided","code":2}"#), "{bare}");
}

/// POSTs `body` to a gateway route; the whole answer, head and body.
fn gateway_post(client_url: &str, path: &str, body: &str) -> String {
    use std::io::Read;
    let address = client_url.trim_start_matches("http://");
    let mut tcp = std::net::TcpStream::connect(address).unwrap();
    write!(tcp, "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).unwrap();
    answer
}

fn base64_of(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// A served snapshot is etcd's own bolt file: the real etcdctl (installed by scripts/setup.sh) reads its
/// revision and counts its keys as etcd's backend holds them (every kept revision, the lease, the three
/// members, and etcd's five bookkeeping keys once a compaction ran).
#[test]
fn a_served_snapshot_is_a_bolt_file_etcdctl_reads() {
    let s = Served::start(27_050);
    let file = std::env::temp_dir().join(format!("etcdplay-snap-{}.db", std::process::id()));
    let revision = rt().block_on(async {
        let mut c = s.client(&[0]).await;
        for i in 0..20 {
            c.put(format!("k{}", i % 5), format!("v{i}"), None).await.unwrap();
        }
        let lease = c.lease_grant(300, None).await.unwrap().id();
        c.put("leased", "x", Some(etcd_client::PutOptions::new().with_lease(lease))).await.unwrap();
        c.compact(10, None).await.unwrap();
        let mut stream = c.snapshot().await.unwrap();
        let mut bytes = Vec::new();
        while let Some(chunk) = stream.message().await.unwrap() {
            bytes.extend_from_slice(chunk.blob());
        }
        std::fs::write(&file, &bytes).unwrap();
        c.get("leased", None).await.unwrap().header().unwrap().revision()
    });
    let out = Command::new("etcdctl").args(["snapshot", "status", "-w", "json"]).arg(&file).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    // Revisions 2..=22 (the leased put is 22); compaction at 10 keeps the newest of each of the 5 keys at
    // or below 10 (5) and all of 11..=22 (12): 17 key revisions.
    let keys = 17 + 1 + 3 + 5;
    assert!(
        text.contains(&format!("\"revision\":{revision}")) && text.contains(&format!("\"totalKey\":{keys}")),
        "{text}"
    );
    let _ = std::fs::remove_file(&file);
}
