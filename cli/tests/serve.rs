//! `etcdplay serve` from the outside, through etcd's own client protocol (the `etcd-client` crate):
//! the API, faults from the control input (a killed member's port refuses connections, a paused one
//! accepts and then times out linearizable reads but answers serializable ones), and bad input (empty
//! and oversized keys, garbage instead of HTTP/2, thousands of watches dropped mid-stream) answered with
//! etcd's errors while the cluster keeps serving.

use etcd_client::{Client, ConnectOptions, GetOptions, WatchOptions};
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
        let names: Vec<String> = (1..=3).map(|i| format!("t{i}")).collect();
        let peers: Vec<String> =
            names.iter().enumerate().map(|(i, n)| format!("{n}=http://127.0.0.1:{}", base + 10 + i as u16)).collect();
        let clients: Vec<String> = (0..3).map(|i| format!("http://127.0.0.1:{}", base + i as u16)).collect();
        let client_flag: Vec<String> = names.iter().zip(&clients).map(|(n, c)| format!("{n}={c}")).collect();
        let mut child = Command::new(env!("CARGO_BIN_EXE_etcdplay"))
            .args([
                "serve",
                "--seed",
                "7",
                "--initial-cluster",
                &peers.join(","),
                "--client-urls",
                &client_flag.join(","),
            ])
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
    assert!(std::net::TcpStream::connect("127.0.0.1:26202").is_err(), "a killed member's port must refuse connections");
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
