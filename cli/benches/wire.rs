//! `cargo bench -p etcdplay --bench wire`: etcd's v3 API through gRPC, `etcdplay serve` beside a real
//! etcd 3.4 started the same way on this machine (3 members on 127.0.0.1, data dirs on tmpfs), one after
//! the other so they do not share the 2 cores. Prints puts/s and linearizable gets/s from N concurrent
//! clients for each, their ratio, and the time one put takes to reach 1,000 gRPC watchers.
//!
//! Options (after `--`): `--clients N` (16), `--seconds S` (5), `--watchers W` (1000), `--only serve|etcd`.
//! Needs /usr/bin/etcd (Debian's etcd-server 3.4.23).

use etcd_client::{Client, EventType, WatchOptions};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_stream::StreamExt;

struct Opts {
    clients: usize,
    seconds: u64,
    watchers: usize,
    only: Option<String>,
}

fn opts() -> Opts {
    let mut o = Opts { clients: 16, seconds: 5, watchers: 1000, only: None };
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let v = it.next().cloned().unwrap_or_default();
        match a.as_str() {
            "--clients" => o.clients = v.parse().expect("--clients N"),
            "--seconds" => o.seconds = v.parse().expect("--seconds S"),
            "--watchers" => o.watchers = v.parse().expect("--watchers W"),
            "--only" => o.only = Some(v),
            _ => {}
        }
    }
    o
}

/// Three members, by name, client URL and peer URL.
fn members(base: u16) -> Vec<(String, String, String)> {
    (1..=3)
        .map(|i| {
            (format!("b{i}"), format!("http://127.0.0.1:{}", base + i), format!("http://127.0.0.1:{}", base + 100 + i))
        })
        .collect()
}

/// A cluster process group, stopped (by PID) when dropped.
struct Running {
    children: Vec<Child>,
    dir: Option<std::path::PathBuf>,
}

impl Drop for Running {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = Command::new("kill").arg("-TERM").arg(c.id().to_string()).status();
        }
        for c in &mut self.children {
            let _ = c.wait();
        }
        if let Some(d) = &self.dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

fn start_etcd(m: &[(String, String, String)]) -> Running {
    let shm = if std::path::Path::new("/dev/shm").is_dir() { "/dev/shm" } else { "/tmp" };
    let dir = std::path::PathBuf::from(format!("{shm}/etcdplay-wire-bench-{}", std::process::id()));
    let initial: Vec<String> = m.iter().map(|(n, _, p)| format!("{n}={p}")).collect();
    let children = m
        .iter()
        .map(|(name, client, peer)| {
            Command::new("etcd")
                .args(["--name", name, "--data-dir"])
                .arg(dir.join(name))
                .args(["--listen-client-urls", client, "--advertise-client-urls", client])
                .args(["--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer])
                .args(["--initial-cluster", &initial.join(","), "--initial-cluster-token", "bench"])
                .args(["--initial-cluster-state", "new"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start etcd (is Debian's etcd-server installed?)")
        })
        .collect();
    Running { children, dir: Some(dir) }
}

/// `etcdplay serve` on `m`; `directives` go to its control input first (`@disk b1 fsync=0ms`).
fn start_serve(m: &[(String, String, String)], directives: &[String]) -> Running {
    let peers: Vec<String> = m.iter().map(|(n, _, p)| format!("{n}={p}")).collect();
    let clients: Vec<String> = m.iter().map(|(n, c, _)| format!("{n}={c}")).collect();
    let child = Command::new(env!("CARGO_BIN_EXE_etcdplay"))
        .args(["serve", "--no-page", "--initial-cluster", &peers.join(","), "--client-urls", &clients.join(",")])
        .args(["--initial-cluster-token", "bench"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start etcdplay serve");
    let mut child = child;
    if let Some(stdin) = child.stdin.as_mut() {
        use std::io::Write;
        for d in directives {
            writeln!(stdin, "{d}").expect("control input");
        }
    }
    Running { children: vec![child], dir: None }
}

async fn connect(m: &[(String, String, String)]) -> Client {
    let endpoints: Vec<String> = m.iter().map(|(_, c, _)| c.clone()).collect();
    for _ in 0..100 {
        if let Ok(mut c) = Client::connect(&endpoints, None).await {
            if c.put("bench/ready", "1", None).await.is_ok() {
                return c;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the cluster at {endpoints:?} never answered");
}

/// Operations per second from `clients` concurrent clients for `seconds`.
async fn throughput(m: &[(String, String, String)], clients: usize, seconds: u64, puts: bool) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let mut client = connect(&m[c % m.len()..c % m.len() + 1]).await;
        let done = done.clone();
        tasks.push(tokio::spawn(async move {
            let mut i = 0u64;
            while Instant::now() < until {
                let key = format!("bench/{c}/{}", i % 100);
                let ok = if puts {
                    client.put(key, vec![b'v'; 100], None).await.is_ok()
                } else {
                    client.get(key, None).await.is_ok()
                };
                if ok {
                    done.fetch_add(1, Ordering::Relaxed);
                }
                i += 1;
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    done.load(Ordering::Relaxed) as f64 / seconds as f64
}

/// Milliseconds from one put to the last of `watchers` watchers seeing it (100 watchers per connection).
async fn fan_out(m: &[(String, String, String)], watchers: usize) -> f64 {
    let seen = Arc::new(AtomicU64::new(0));
    let last = Arc::new(std::sync::Mutex::new(Instant::now()));
    let mut conns = Vec::new();
    let mut created = 0;
    while created < watchers {
        let mut client = connect(&m[created / 100 % m.len()..created / 100 % m.len() + 1]).await;
        let n = (watchers - created).min(100);
        for _ in 0..n {
            let mut stream = client.watch("bench/fan", Some(WatchOptions::new())).await.expect("watch");
            let (seen, last) = (seen.clone(), last.clone());
            tokio::spawn(async move {
                while let Some(Ok(resp)) = stream.next().await {
                    if resp.events().iter().any(|e| e.event_type() == EventType::Put) {
                        seen.fetch_add(1, Ordering::Relaxed);
                        *last.lock().unwrap() = Instant::now();
                    }
                }
            });
        }
        conns.push(client);
        created += n;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut writer = connect(m).await;
    let start = Instant::now();
    writer.put("bench/fan", "x", None).await.expect("put");
    while seen.load(Ordering::Relaxed) < watchers as u64 && start.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let got = seen.load(Ordering::Relaxed);
    if got < watchers as u64 {
        println!("  fan-out: only {got} of {watchers} watchers saw the put within 10 s");
    }
    let elapsed = *last.lock().unwrap() - start;
    elapsed.as_secs_f64() * 1000.0
}

async fn measure(name: &str, m: &[(String, String, String)], o: &Opts) -> (f64, f64, f64) {
    let puts = throughput(m, o.clients, o.seconds, true).await;
    let gets = throughput(m, o.clients, o.seconds, false).await;
    let fan = fan_out(m, o.watchers).await;
    println!("{name:>16}: {puts:>9.0} puts/s  {gets:>9.0} linearizable gets/s  ({} clients, {} s each); one put to {} watchers: {fan:.1} ms", o.clients, o.seconds, o.watchers);
    (puts, gets, fan)
}

#[tokio::main]
async fn main() {
    let o = opts();
    println!("wire bench: 3 members on 127.0.0.1, {} clients, 100-byte values, {} s per figure", o.clients, o.seconds);
    let mut figures = Vec::new();
    if o.only.as_deref() != Some("serve") {
        let m = members(24_700);
        let _etcd = start_etcd(&m);
        figures.push(measure("etcd 3.4.23", &m, &o).await);
    }
    if o.only.as_deref() != Some("etcd") {
        let m = members(24_800);
        {
            let _serve = start_serve(&m, &[]);
            figures.push(measure("etcdplay serve", &m, &o).await);
        }
        // The simulated disks as fast as tmpfs (the real etcd's data dirs): fsync takes no time.
        let m = members(25_000);
        let tmpfs: Vec<String> = m.iter().map(|(n, _, _)| format!("@disk {n} fsync=0ms")).collect();
        {
            let _serve = start_serve(&m, &tmpfs);
            figures.push(measure("serve, 0 ms fsync", &m, &o).await);
        }
        // What the real etcd has: tmpfs and loopback (the simulated links deliver within the millisecond).
        let m = members(25_300);
        let local: Vec<String> = tmpfs.iter().cloned().chain(["@network loopback".to_string()]).collect();
        let _serve = start_serve(&m, &local);
        figures.push(measure("serve, loopback", &m, &o).await);
    }
    if let [etcd, serve, fast, local] = figures.as_slice() {
        for (what, f) in [("simulated SSD", serve), ("0 ms fsync", fast), ("loopback, 0 ms fsync", local)] {
            println!(
                "           ratio ({what}): puts {:.2}x, gets {:.2}x of real etcd (serve / etcd; 1x speed)",
                f.0 / etcd.0,
                f.1 / etcd.1
            );
        }
    }
}
