//! `curl` against a member's client URL: the plain-HTTP endpoints etcd 3.4 serves beside gRPC on its
//! client port, answered by the simulated member. `/metrics` is the Prometheus text exposition of the
//! member's metrics, `/health` etcd 3.4's health check (`{"health":"true"}`), `/version` the server and
//! cluster versions; any other path gets Go's `404 page not found`. Errors are curl's own (7.68's wording)
//! with its exit codes: 7 when nothing listens (a down member, an address no member has), 6 for an
//! unknown host name, 22 for an HTTP error under `-f`, 28 when a paused member never answers.
//!
//! A body printed to the console always ends in a newline (etcd sends `/health` and `/version` without
//! one, so a terminal would put the next prompt on the same line).

use super::Host;
use crate::ctl::Outcome;
use crate::server::api::{RangeRequest, Request};
use crate::trace::Role;

/// curl's exit codes.
mod code {
    pub const UNSUPPORTED_PROTOCOL: i32 = 1;
    pub const BAD_USAGE: i32 = 2;
    pub const MALFORMED_URL: i32 = 3;
    pub const COULD_NOT_RESOLVE_HOST: i32 = 6;
    pub const COULD_NOT_CONNECT: i32 = 7;
    pub const HTTP_RETURNED_ERROR: i32 = 22;
    pub const OPERATION_TIMEDOUT: i32 = 28;
}

/// How long the console's curl waits on a member that accepts connections but never answers (a paused
/// process) when no `--max-time` is given; a terminal user would press Ctrl-C about then.
const PAUSED_WAIT_MS: u64 = 10_000;

/// etcd's `/health` runs its quorum read with a one-second timeout.
const HEALTH_READ_TIMEOUT_MS: u64 = 1_000;

const TRY_HELP: &str = "curl: try 'curl --help' or 'curl --manual' for more information";

/// What the command line asked for.
#[derive(Clone, Debug, Default, PartialEq)]
struct Opts {
    /// `-s`: no error messages (unless `-S`).
    silent: bool,
    /// `-S`: error messages even when silent.
    show_error: bool,
    /// `-f`: an HTTP error status is a failure (exit 22) and its body is not printed.
    fail: bool,
    /// `-X`: the request method.
    method: String,
    /// `-m`: how long a transfer may take, in ms.
    max_time_ms: Option<u64>,
    urls: Vec<String>,
}

/// Runs `curl` with `args` (without the program name) against the world.
pub fn run(world: &mut dyn Host, args: &[String]) -> Outcome {
    let opts = match parse_args(args) {
        Ok(o) => o,
        Err(msg) => return usage_error(&msg),
    };
    let mut out = Outcome::default();
    for url in &opts.urls {
        let code = transfer(world, &opts, url, &mut out);
        out.exit_code = code;
    }
    out
}

/// A usage error: curl's message, its pointer to the help, exit 2.
fn usage_error(msg: &str) -> Outcome {
    Outcome { stderr: format!("curl: {msg}\n{TRY_HELP}\n"), exit_code: code::BAD_USAGE, ..Outcome::default() }
}

/// Parses curl's options: single-letter flags may be bundled (`-sSL`); `-X` and `-m` take the rest of
/// their bundle or the next word; anything not an option is a URL.
fn parse_args(args: &[String]) -> Result<Opts, String> {
    let mut opts = Opts { method: "GET".to_string(), ..Opts::default() };
    let mut rest = args.iter();
    while let Some(a) = rest.next() {
        if let Some(long) = a.strip_prefix("--") {
            let short = match long {
                "silent" => 's',
                "show-error" => 'S',
                "fail" => 'f',
                "location" => 'L',
                "request" => 'X',
                "max-time" => 'm',
                _ => return Err(format!("option {a}: is unknown")),
            };
            let value = takes_value(short).then(|| rest.next()).flatten();
            apply(&mut opts, short, a, value.map(String::as_str))?;
        } else if a.len() > 1 && a.starts_with('-') {
            for (pos, c) in a.char_indices().skip(1) {
                if !takes_value(c) {
                    apply(&mut opts, c, &format!("-{c}"), None)?;
                    continue;
                }
                let attached = &a[pos + c.len_utf8()..];
                let value = if attached.is_empty() { rest.next().map(String::as_str) } else { Some(attached) };
                apply(&mut opts, c, &format!("-{c}"), value)?;
                break;
            }
        } else {
            opts.urls.push(a.clone());
        }
    }
    if opts.urls.is_empty() {
        return Err("no URL specified!".to_string());
    }
    Ok(opts)
}

/// Options followed by a value.
fn takes_value(short: char) -> bool {
    matches!(short, 'X' | 'm')
}

/// Applies option `short` (written `shown` on the command line) with its value, if it takes one.
fn apply(opts: &mut Opts, short: char, shown: &str, value: Option<&str>) -> Result<(), String> {
    let value = || value.ok_or(format!("option {shown}: requires parameter"));
    match short {
        's' => opts.silent = true,
        'S' => opts.show_error = true,
        'f' => opts.fail = true,
        'L' => {} // etcd's endpoints never redirect
        'X' => opts.method = value()?.to_string(),
        'm' => {
            let secs: f64 =
                value()?.parse().map_err(|_| format!("option {shown}: expected a proper numerical parameter"))?;
            opts.max_time_ms = Some((secs.max(0.0) * 1000.0) as u64);
        }
        other => return Err(format!("option -{other}: is unknown")),
    }
    Ok(())
}

/// The parts of an `http://host:port/path?query` URL curl needs.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Url {
    host: String,
    port: u16,
    path: String,
    query: String,
}

/// Splits a URL as curl reads it: the scheme defaults to http, the port to the scheme's, the path to `/`.
fn parse_url(url: &str) -> Result<Url, (i32, String)> {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => ("http".to_string(), url),
    };
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => {
            return Err((
                code::UNSUPPORTED_PROTOCOL,
                format!("Protocol \"{scheme}\" not supported or disabled in libcurl"),
            ))
        }
    };
    let rest = rest.split('#').next().unwrap_or_default();
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, target) = rest.split_at(split);
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let malformed = || (code::MALFORMED_URL, "URL using bad/illegal format or missing URL".to_string());
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().map_err(|_| malformed())?),
        None => (authority, default_port),
    };
    if host.is_empty() {
        return Err(malformed());
    }
    let path = if path.is_empty() { "/" } else { path };
    Ok(Url { host: host.to_string(), port, path: path.to_string(), query: query.to_string() })
}

/// The member listening at `host:port`: by client URL, or by member name as a host name (as in a
/// compose file, `http://etcd1:2379`). Otherwise curl's resolve or connect error.
fn connect(world: &dyn Host, url: &Url) -> Result<usize, (i32, String)> {
    let by_url = world.member_at(&format!("{}:{}", url.host, url.port));
    let by_name = world
        .member_index(&url.host)
        .filter(|&i| world.members()[i].client_urls.iter().any(|u| port_of(u) == Some(url.port)));
    let refused = || {
        let msg = format!("Failed to connect to {} port {}: Connection refused", url.host, url.port);
        (code::COULD_NOT_CONNECT, msg)
    };
    match by_url.or(by_name) {
        Some(i) if world.node(i).is_up() => Ok(i),
        Some(_) => Err(refused()),
        None if is_address(world, &url.host) => Err(refused()),
        None => Err((code::COULD_NOT_RESOLVE_HOST, format!("Could not resolve host: {}", url.host))),
    }
}

/// True if `host` resolves: an IPv4 literal, `localhost`, or a member's name or client URL host.
fn is_address(world: &dyn Host, host: &str) -> bool {
    let ipv4 = host.split('.').count() == 4 && host.split('.').all(|p| p.parse::<u8>().is_ok());
    let known = world.members().iter().any(|m| m.name == host || m.client_urls.iter().any(|u| host_of(u) == host));
    ipv4 || host == "localhost" || known
}

/// The host of a client URL (`http://10.0.0.1:2379` -> `10.0.0.1`).
fn host_of(client_url: &str) -> &str {
    let bare = crate::cluster::strip_scheme(client_url);
    bare.rsplit_once(':').map_or(bare, |(h, _)| h)
}

/// The port of a client URL, if it names one.
fn port_of(client_url: &str) -> Option<u16> {
    crate::cluster::strip_scheme(client_url).rsplit_once(':').and_then(|(_, p)| p.parse().ok())
}

/// An HTTP answer.
struct Reply {
    status: u16,
    body: String,
}

impl Reply {
    fn ok(body: String) -> Reply {
        Reply { status: 200, body }
    }

    /// Go's `http.Error`: the text and a newline.
    fn error(status: u16, text: &str) -> Reply {
        Reply { status, body: format!("{text}\n") }
    }
}

/// One transfer: connects, asks, prints the body (or curl's error); returns curl's exit code for it.
fn transfer(world: &mut dyn Host, opts: &Opts, url: &str, out: &mut Outcome) -> i32 {
    let result = parse_url(url).and_then(|u| connect(world, &u).map(|i| (u, i)));
    let (url, member) = match result {
        Ok(found) => found,
        Err((code, msg)) => return fail(opts, out, code, &msg),
    };
    if world.node(member).paused {
        return hang(world, opts, out);
    }
    let reply = serve(world, member, &opts.method, &url);
    if opts.fail && reply.status >= 400 {
        let msg = format!("The requested URL returned error: {} {}", reply.status, reason(reply.status));
        return fail(opts, out, code::HTTP_RETURNED_ERROR, &msg);
    }
    out.stdout.push_str(&reply.body);
    if !reply.body.ends_with('\n') {
        out.stdout.push('\n');
    }
    0
}

/// A stopped (paused) process: the kernel accepts the connection but nobody answers, so curl waits out
/// `--max-time` (in a console, where nothing could interrupt it otherwise, at most
/// [`PAUSED_WAIT_MS`]) and gives up with its timeout error.
fn hang(world: &mut dyn Host, opts: &Opts, out: &mut Outcome) -> i32 {
    let wait = opts.max_time_ms.unwrap_or(PAUSED_WAIT_MS);
    world.advance(wait);
    let msg = format!("Operation timed out after {wait} milliseconds with 0 bytes received");
    fail(opts, out, code::OPERATION_TIMEDOUT, &msg)
}

/// Reports a failed transfer as curl does: `curl: (N) message`, unless silenced by `-s` without `-S`.
fn fail(opts: &Opts, out: &mut Outcome, code: i32, msg: &str) -> i32 {
    if !opts.silent || opts.show_error {
        out.stderr.push_str(&format!("curl: ({code}) {msg}\n"));
    }
    code
}

fn reason(status: u16) -> &'static str {
    match status {
        404 => "Not Found",
        405 => "Method Not Allowed",
        503 => "Service Unavailable",
        _ => "",
    }
}

/// What member `i`'s HTTP handler answers (etcd's client-port mux).
fn serve(world: &mut dyn Host, i: usize, method: &str, url: &Url) -> Reply {
    let get_only = method != "GET";
    match url.path.as_str() {
        // promhttp's handler answers any method.
        "/metrics" => Reply::ok(metrics_text(world, i)),
        "/health" | "/version" if get_only => Reply::error(405, "Method Not Allowed"),
        "/health" => health(world, i, &url.query),
        "/version" => Reply::ok(format!(
            "{{\"etcdserver\":\"{}\",\"etcdcluster\":\"{}\"}}",
            crate::version::VERSION,
            crate::version::CLUSTER_VERSION
        )),
        _ => Reply::error(404, "404 page not found"),
    }
}

/// Member `i`'s `/metrics`: what it observed plus the gauges read off it now.
pub fn metrics_text(world: &dyn Host, i: usize) -> String {
    let node = world.node(i);
    let mut g = node.server.gauges(node.id);
    g.has_leader = node.leader_id() != 0;
    g.is_leader = node.role() == Role::Leader;
    g.committed_index = node.commit_index();
    for (m, watchers) in world.streams().values().filter_map(|s| s.watching()) {
        if m == i {
            g.watch_streams += 1;
            g.watchers += watchers as u64;
        }
    }
    node.server.metrics.exposition(&g)
}

/// etcd 3.4's `/health`: unhealthy with an active alarm (unless `?exclude=NAME`), without a leader, or
/// when a quorum read does not complete within a second. 3.4 gives no reason in the body.
fn health(world: &mut dyn Host, i: usize, query: &str) -> Reply {
    let excluded: Vec<&str> = query.split('&').filter_map(|kv| kv.strip_prefix("exclude=")).collect();
    let node = world.node(i);
    let alarmed = node.server.alarms.list().iter().any(|a| !excluded.contains(&a.alarm.to_string().as_str()));
    let healthy = !alarmed && node.leader_id() != 0 && quorum_read(world, i);
    if healthy {
        Reply::ok("{\"health\":\"true\"}".to_string())
    } else {
        Reply::error(503, "{\"health\":\"false\"}")
    }
}

/// A linearizable read through member `i`, standing in for etcd's v2 `QGET` through Raft.
fn quorum_read(world: &mut dyn Host, i: usize) -> bool {
    let request = Request::Range(RangeRequest { key: b"health".to_vec(), count_only: true, ..Default::default() });
    world.call(i, request, HEALTH_READ_TIMEOUT_MS).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playground::{World, WorldConfig};

    fn argv(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    fn started() -> World {
        let mut w = World::new(WorldConfig::demo(3, 7));
        w.wait_for_leader(30_000).expect("a leader");
        w
    }

    #[test]
    fn parses_bundled_flags_and_urls() {
        let o = parse_args(&argv("-sSL -X POST http://a:1/x")).unwrap();
        assert!(o.silent && o.show_error && !o.fail);
        assert_eq!((o.method.as_str(), o.urls.as_slice()), ("POST", ["http://a:1/x".to_string()].as_slice()));
        assert_eq!(parse_args(&argv("-XPUT u")).unwrap().method, "PUT");
        assert_eq!(parse_args(&argv("-s")).unwrap_err(), "no URL specified!");
        assert_eq!(parse_args(&argv("-k u")).unwrap_err(), "option -k: is unknown");
        assert_eq!(parse_args(&argv("--frob u")).unwrap_err(), "option --frob: is unknown");
        assert_eq!(parse_args(&argv("u -X")).unwrap_err(), "option -X: requires parameter");
        assert_eq!(parse_args(&argv("-sm 2.5 u")).unwrap().max_time_ms, Some(2_500));
        assert_eq!(parse_args(&argv("--max-time=1 u")).unwrap_err(), "option --max-time=1: is unknown");
        assert_eq!(parse_args(&argv("-m x u")).unwrap_err(), "option -m: expected a proper numerical parameter");
        let out = run(&mut World::new(WorldConfig::demo(1, 1)), &argv("--frob"));
        assert_eq!(out.stderr, format!("curl: option --frob: is unknown\n{TRY_HELP}\n"));
        assert_eq!(out.exit_code, 2);
    }

    #[test]
    fn a_paused_member_times_out() {
        let mut w = started();
        w.apply(crate::playground::action::Action::Pause { member: "etcd2".to_string() });
        let before = w.now_ms();
        let out = run(&mut w, &argv("-m 3 http://10.0.0.2:2379/health"));
        assert_eq!(out.stderr, "curl: (28) Operation timed out after 3000 milliseconds with 0 bytes received\n");
        assert_eq!((out.exit_code, w.now_ms() - before), (28, 3_000));
    }

    #[test]
    fn parses_urls_as_curl() {
        let u = parse_url("http://10.0.0.1:2379/metrics").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.path.as_str()), ("10.0.0.1", 2379, "/metrics"));
        let u = parse_url("10.0.0.2:2379/health?exclude=NOSPACE#x").unwrap();
        assert_eq!((u.port, u.path.as_str(), u.query.as_str()), (2379, "/health", "exclude=NOSPACE"));
        assert_eq!(
            parse_url("http://etcd1").unwrap(),
            Url { host: "etcd1".into(), port: 80, path: "/".into(), query: String::new() }
        );
        assert_eq!(parse_url("ftp://x/").unwrap_err().0, code::UNSUPPORTED_PROTOCOL);
        assert_eq!(parse_url("http://x:port/").unwrap_err().0, code::MALFORMED_URL);
    }

    #[test]
    fn version_health_and_unknown_paths() {
        let mut w = started();
        let out = run(&mut w, &argv("http://10.0.0.1:2379/version"));
        assert_eq!(out.stdout, "{\"etcdserver\":\"3.4.23\",\"etcdcluster\":\"3.4.0\"}\n");
        let out = run(&mut w, &argv("-s http://10.0.0.2:2379/health"));
        assert_eq!((out.stdout.as_str(), out.exit_code), ("{\"health\":\"true\"}\n", 0));
        let out = run(&mut w, &argv("http://10.0.0.3:2379/"));
        assert_eq!((out.stdout.as_str(), out.exit_code), ("404 page not found\n", 0));
        let out = run(&mut w, &argv("-f http://10.0.0.3:2379/nope"));
        assert_eq!(out.stderr, "curl: (22) The requested URL returned error: 404 Not Found\n");
        assert_eq!((out.stdout.as_str(), out.exit_code), ("", 22));
        let out = run(&mut w, &argv("-X POST http://10.0.0.3:2379/health"));
        assert_eq!(out.stdout, "Method Not Allowed\n");
    }

    #[test]
    fn nothing_listening_is_curls_error_7() {
        let mut w = started();
        w.kill(0);
        let out = run(&mut w, &argv("http://10.0.0.1:2379/metrics"));
        assert_eq!(out.stderr, "curl: (7) Failed to connect to 10.0.0.1 port 2379: Connection refused\n");
        assert_eq!((out.stdout.as_str(), out.exit_code), ("", 7));
        let silent = run(&mut w, &argv("-s http://10.0.0.1:2379/metrics"));
        assert_eq!((silent.stderr.as_str(), silent.exit_code), ("", 7));
        let shown = run(&mut w, &argv("-sS 10.0.0.9:2379/metrics"));
        assert_eq!(shown.stderr, "curl: (7) Failed to connect to 10.0.0.9 port 2379: Connection refused\n");
        let out = run(&mut w, &argv("http://nowhere:2379/metrics"));
        assert_eq!((out.stderr.as_str(), out.exit_code), ("curl: (6) Could not resolve host: nowhere\n", 6));
    }

    #[test]
    fn member_names_resolve_as_host_names() {
        let mut w = started();
        let out = run(&mut w, &argv("http://etcd2:2379/version"));
        assert_eq!(out.exit_code, 0, "{out:?}");
        let out = run(&mut w, &argv("http://etcd2:2380/version"));
        assert_eq!(out.exit_code, 7, "nothing serves clients on the peer port: {out:?}");
    }

    #[test]
    fn health_is_false_without_a_leader_or_with_an_alarm() {
        let mut w = started();
        w.kill(1);
        w.kill(2);
        w.advance(3_000);
        let out = run(&mut w, &argv("http://10.0.0.1:2379/health"));
        assert_eq!((out.stdout.as_str(), out.exit_code), ("{\"health\":\"false\"}\n", 0));
        let out = run(&mut w, &argv("-fsS http://10.0.0.1:2379/health"));
        assert_eq!(out.stderr, "curl: (22) The requested URL returned error: 503 Service Unavailable\n");
    }

    #[test]
    fn metrics_reflect_the_member() {
        let mut w = started();
        let leader = w.leader().expect("leader");
        let url = w.members()[leader].client_urls[0].clone();
        let out = run(&mut w, &[format!("{url}/metrics")]);
        assert!(out.stdout.contains("\netcd_server_has_leader 1\n"), "{}", out.stdout);
        assert!(out.stdout.contains("\netcd_server_is_leader 1\n"), "{}", out.stdout);
        assert!(out.stdout.contains("\netcd_debugging_mvcc_keys_total 0\n"), "{}", out.stdout);
        assert!(out.stdout.contains("# TYPE etcd_disk_wal_fsync_duration_seconds histogram\n"), "{}", out.stdout);
    }
}
