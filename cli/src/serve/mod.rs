//! `etcdplay serve`: the simulated cluster on the wire. Every member listens on its own loopback port
//! and speaks etcd's v3 gRPC API, so the real `etcdctl` and real client libraries drive it; the
//! process's stdin takes the directives scripts have (`@kill infra2`, `@partition infra1 | infra2
//! infra3`, `@heal`) and console lines (`etcdctl get a`).
//!
//! Three threads of work: the world's own thread ([`driver`]) runs the cluster in real time; tokio runs
//! the listeners and the gRPC services ([`grpc`]), which only send it jobs; a reader thread turns stdin
//! lines into jobs.

mod authority;
mod backend;
mod concurrency;
mod convert;
mod driver;
mod gateway;
mod grpc;
mod http1;
mod page;

use crate::record::Recorder;
use concurrency::pb::v3electionpb::election_server::ElectionServer;
use concurrency::pb::v3lockpb::lock_server::LockServer;
use driver::{Driver, Endpoint, Job};
use etcd_client::proto::{PbClusterServer, PbKvServer, PbLeaseServer, PbMaintenanceServer, PbWatchServer};
use etcdplay_core::cluster::MemberConfig;
use etcdplay_core::{World, WorldConfig};
use grpc::{Handle, MemberApi, MAX_REQUEST_BYTES};
use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::sync::mpsc;
use tokio::sync::{oneshot, watch};

/// What `etcdplay serve` was asked to run.
#[derive(Clone, Debug, PartialEq)]
pub struct ServeOptions {
    pub seed: u64,
    pub speed: f64,
    pub token: String,
    pub members: Vec<MemberConfig>,
    /// The host to bind instead of each client URL's own (`--listen 0.0.0.0`).
    pub listen: Option<String>,
    /// Where to record the run's actions, for `etcdplay replay` (`--record FILE`).
    pub record: Option<String>,
    /// The live page's port (`--page-port`, 8080 by default; `--no-page`: none).
    pub page_port: Option<u16>,
    /// Where the built page is (`--page-dir`, `dist` by default: what `trunk build` writes).
    pub page_dir: String,
}

/// Ports of etcd's local-cluster convention (its Procfile): clients on 2379, 22379, 32379, peers on
/// 12380, 22380, 32380.
fn default_members(n: usize) -> Vec<MemberConfig> {
    (1..=n)
        .map(|i| MemberConfig {
            name: format!("infra{i}"),
            peer_urls: vec![format!("http://127.0.0.1:{}2380", i)],
            client_urls: vec![if i == 1 {
                "http://127.0.0.1:2379".to_string()
            } else {
                format!("http://127.0.0.1:{i}2379")
            }],
        })
        .collect()
}

/// `name=url,name=url`, as etcd's `--initial-cluster`.
fn name_urls(flag: &str, text: &str) -> Result<Vec<(String, String)>, String> {
    text.split(',')
        .map(|pair| match pair.split_once('=') {
            Some((n, u)) if !n.is_empty() && u.contains("://") => Ok((n.to_string(), u.to_string())),
            _ => Err(format!("{flag} takes name=http://host:port,... (got {pair:?})")),
        })
        .collect()
}

const USAGE: &str = "usage: etcdplay serve [--members N] [--seed S] [--speed X] [--listen HOST] [--record FILE] \
                     [--page-port PORT | --no-page] [--page-dir DIR] [--initial-cluster NAME=PEER_URL,... --client-urls NAME=CLIENT_URL,... \
                     --initial-cluster-token TOKEN]";

impl ServeOptions {
    pub fn parse(args: &[String]) -> Result<ServeOptions, String> {
        let mut o = ServeOptions {
            seed: 1,
            speed: 1.0,
            token: "etcd-cluster-1".into(),
            members: Vec::new(),
            listen: None,
            record: None,
            page_port: Some(8080),
            page_dir: "dist".into(),
        };
        let (mut n, mut peers, mut clients) = (3usize, None, None);
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = || it.next().cloned().ok_or_else(|| format!("{a} needs a value; {USAGE}"));
            match a.as_str() {
                "--members" => n = value()?.parse().map_err(|_| "--members takes a number")?,
                "--seed" => o.seed = value()?.parse().map_err(|_| "--seed takes a number")?,
                "--speed" => o.speed = value()?.parse().map_err(|_| "--speed takes a number like 1 or 0.1")?,
                "--listen" => o.listen = Some(value()?),
                "--record" => o.record = Some(value()?),
                "--page-port" => o.page_port = Some(value()?.parse().map_err(|_| "--page-port takes a port number")?),
                "--no-page" => o.page_port = None,
                "--page-dir" => o.page_dir = value()?,
                "--initial-cluster" => peers = Some(name_urls(a, &value()?)?),
                "--client-urls" => clients = Some(name_urls(a, &value()?)?),
                "--initial-cluster-token" => o.token = value()?,
                other => return Err(format!("serve: unknown argument {other:?}; {USAGE}")),
            }
        }
        if !(o.speed > 0.0 && o.speed <= 1000.0) {
            return Err("--speed must be above 0 and at most 1000".into());
        }
        o.members = match (peers, clients) {
            (None, None) if (1..=7).contains(&n) => default_members(n),
            (None, None) => return Err("--members must be between 1 and 7".into()),
            (Some(peers), Some(clients)) => peers
                .into_iter()
                .map(|(name, peer)| {
                    let client = clients.iter().find(|(c, _)| *c == name).map(|(_, u)| u.clone());
                    let client = client.ok_or_else(|| format!("--client-urls has no URL for member {name}"))?;
                    Ok(MemberConfig { name, peer_urls: vec![peer], client_urls: vec![client] })
                })
                .collect::<Result<_, String>>()?,
            _ => return Err("--initial-cluster and --client-urls go together".into()),
        };
        Ok(o)
    }
}

/// Runs the served cluster until the process is stopped.
pub fn run(opts: ServeOptions) -> Result<(), String> {
    let config = WorldConfig {
        seed: opts.seed,
        token: opts.token.clone(),
        members: opts.members.clone(),
        record_history: false,
    };
    let recorder = opts.record.as_deref().map(|path| Recorder::create(path, &config)).transpose()?;
    let (jobs_tx, jobs_rx) = mpsc::channel::<Job>();
    let (endpoints_tx, endpoints_rx) = watch::channel(Vec::new());
    let speed = opts.speed;
    let live = opts.page_port.map(|_| page::LiveRun::default());
    std::thread::Builder::new()
        .name("world".into())
        .spawn(move || {
            // The world is built where it runs: it is not Send. A leader is elected before the ports
            // open (in simulated time, at once), so the first client finds a working cluster.
            let mut world = World::new(config);
            world.wait_for_leader(etcdplay_core::script::WAIT_LEADER_LIMIT_MS);
            Driver::new(world, speed, endpoints_tx, recorder, live).run(jobs_rx)
        })
        .map_err(|e| e.to_string())?;
    let handle = Handle::new(jobs_tx.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let (ready_tx, ready_rx) = oneshot::channel();
        if let Some(port) = opts.page_port {
            let host = opts.listen.as_deref().unwrap_or("127.0.0.1");
            tokio::spawn(page::serve(format!("{host}:{port}"), opts.page_dir.clone().into(), handle.clone()));
        }
        let listening = tokio::spawn(supervise_listeners(endpoints_rx, handle, opts.listen.clone(), ready_tx));
        // "ready" only once every port listens: a client that connects on seeing it is not refused.
        let _ = ready_rx.await;
        announce(&opts);
        read_control(jobs_tx).await;
        listening.await.map_err(|e| e.to_string())
    })
}

fn announce(opts: &ServeOptions) {
    let members: Vec<String> =
        opts.members.iter().map(|m| format!("{} at {}", m.name, m.client_urls.join(","))).collect();
    println!(
        "etcdplay serve: {} members (seed {}, speed {}x): {}",
        opts.members.len(),
        opts.seed,
        opts.speed,
        members.join(", ")
    );
    if let Some(port) = opts.page_port {
        println!("etcdplay serve: the page, live, at http://127.0.0.1:{port}/ (from {})", opts.page_dir);
    }
    println!("etcdplay serve: ready; stdin takes @directives and `etcdctl ...` lines");
    let _ = std::io::stdout().flush();
}

/// Reads the control input: each line runs on the world's thread, its transcript and `# done` follow
/// (a harness waits for that line). At the end of stdin the cluster keeps serving.
async fn read_control(jobs: mpsc::Sender<Job>) {
    let (lines_tx, mut lines_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                return;
            }
        }
    });
    while let Some(line) = lines_rx.recv().await {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |d: &mut Driver| {
            let _ = tx.send((d.control(&line), d.world.now_ms()));
        });
        if jobs.send(job).is_err() {
            return;
        }
        if let Ok((text, now)) = rx.await {
            print!("{text}");
            println!("# done at {now} ms");
            let _ = std::io::stdout().flush();
        }
    }
}

/// Keeps one gRPC server per running member's client URL: a killed member's port closes (new
/// connections are refused), a restarted one opens again.
async fn supervise_listeners(
    mut endpoints: watch::Receiver<Vec<Endpoint>>,
    handle: Handle,
    listen: Option<String>,
    ready: oneshot::Sender<()>,
) {
    let mut running: BTreeMap<String, oneshot::Sender<()>> = BTreeMap::new();
    let mut ready = Some(ready);
    loop {
        let mut bound = Vec::new();
        let now = endpoints.borrow_and_update().clone();
        running.retain(|addr, _| now.iter().any(|e| e.up && &e.address == addr));
        for e in now.iter().filter(|e| e.up) {
            if running.contains_key(&e.address) {
                continue;
            }
            let (stop_tx, stop_rx) = oneshot::channel();
            running.insert(e.address.clone(), stop_tx);
            let bind = match &listen {
                Some(host) => format!("{host}:{}", e.address.rsplit(':').next().unwrap_or_default()),
                None => e.address.clone(),
            };
            let api = MemberApi { member: e.member, handle: handle.clone() };
            let (bound_tx, bound_rx) = oneshot::channel();
            bound.push(bound_rx);
            tokio::spawn(serve_member(bind, api, stop_rx, bound_tx));
        }
        if let Some(ready) = ready.take_if(|_| !now.is_empty()) {
            for b in bound {
                let _ = b.await;
            }
            let _ = ready.send(());
        }
        if endpoints.changed().await.is_err() {
            return;
        }
    }
}

/// Serves one member's port until `stop` fires (or is dropped).
async fn serve_member(address: String, api: MemberApi, stop: oneshot::Receiver<()>, bound: oneshot::Sender<()>) {
    let listener = match bind_retrying(&address).await {
        Ok(l) => {
            let _ = bound.send(());
            l
        }
        Err(e) => {
            eprintln!("etcdplay serve: cannot listen on {address}: {e}");
            return;
        }
    };
    let (conns_tx, conns_rx) = tokio::sync::mpsc::channel::<std::io::Result<tokio::io::DuplexStream>>(16);
    tokio::spawn(accept(listener, conns_tx, stop, api.clone()));
    let kv = PbKvServer::new(api.clone()).max_decoding_message_size(MAX_REQUEST_BYTES);
    let result = tonic::transport::Server::builder()
        .add_service(kv)
        .add_service(PbWatchServer::new(api.clone()).max_decoding_message_size(MAX_REQUEST_BYTES))
        .add_service(PbLeaseServer::new(api.clone()).max_decoding_message_size(MAX_REQUEST_BYTES))
        .add_service(PbClusterServer::new(api.clone()).max_decoding_message_size(MAX_REQUEST_BYTES))
        .add_service(PbMaintenanceServer::new(api.clone()).max_decoding_message_size(MAX_REQUEST_BYTES))
        .add_service(LockServer::new(api.clone()).max_decoding_message_size(MAX_REQUEST_BYTES))
        .add_service(ElectionServer::new(api).max_decoding_message_size(MAX_REQUEST_BYTES))
        .serve_with_incoming(tokio_stream::wrappers::ReceiverStream::new(conns_rx))
        .await;
    if let Err(e) = result {
        eprintln!("etcdplay serve: {address}: {e}");
    }
}

/// Accepts connections until `stop`, each through the [`authority`] relay. When the member stops, the
/// listening socket closes and every open connection is cut, as when an etcd process dies.
async fn accept(
    listener: tokio::net::TcpListener,
    conns: tokio::sync::mpsc::Sender<std::io::Result<tokio::io::DuplexStream>>,
    mut stop: oneshot::Receiver<()>,
    api: MemberApi,
) {
    let mut relays = tokio::task::JoinSet::new();
    loop {
        let tcp = tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(_) => continue,
            },
        };
        let _ = tcp.set_nodelay(true);
        if !speaks_http2(&tcp).await {
            relays.spawn(http1::serve(tcp, api.clone()));
            continue;
        }
        let (ours, theirs) = tokio::io::duplex(256 * 1024);
        if conns.send(Ok(theirs)).await.is_err() {
            return;
        }
        let (client_read, mut client_write) = tcp.into_split();
        let (mut server_read, server_write) = tokio::io::split(ours);
        relays.spawn(async move {
            let up = authority::client_to_server(client_read, server_write);
            let down = tokio::io::copy(&mut server_read, &mut client_write);
            let _ = tokio::join!(up, down);
        });
        while relays.try_join_next().is_some() {}
    }
}

/// Whether a new connection opens with HTTP/2's preface (gRPC) rather than an HTTP/1 request line.
async fn speaks_http2(tcp: &tokio::net::TcpStream) -> bool {
    let mut buf = [0u8; 4];
    for _ in 0..200 {
        match tcp.peek(&mut buf).await {
            Ok(n) if n >= 4 => return &buf == b"PRI ",
            Ok(0) | Err(_) => return false,
            Ok(_) => tokio::time::sleep(std::time::Duration::from_millis(5)).await,
        }
    }
    false
}

/// Binds `address`, retrying for a moment: a restarted member's port may still be closing.
async fn bind_retrying(address: &str) -> std::io::Result<tokio::net::TcpListener> {
    let mut tries = 0;
    loop {
        match tokio::net::TcpListener::bind(address).await {
            Ok(l) => return Ok(l),
            Err(e) if tries < 50 && e.kind() == std::io::ErrorKind::AddrInUse => {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => return Err(e),
        }
    }
}
