//! The plain-HTTP side of a member's client port, as etcd's mux has it beside gRPC: `/version`,
//! `/health` and `/metrics` (curl, Prometheus, load balancers' health checks) and the JSON gateway
//! (`/v3/...`, [`super::gateway`]). One request per connection (`Connection: close`).

use super::grpc::{Handle, MemberApi};
use etcdplay_core::server::api::{RangeRequest, Request};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// etcd's `/health` runs its quorum read with a one-second timeout.
const HEALTH_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// The largest request body read (etcd's request limit and gRPC's overhead allowance).
const MAX_BODY: usize = super::grpc::MAX_REQUEST_BYTES;

/// One HTTP/1 request as read off a connection.
pub(super) struct HttpRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub body: Vec<u8>,
}

/// Reads one request of at most `max_body` bytes of body; on a request it refuses it answers (431, 413)
/// and returns None, as it does when the client goes away.
pub(super) async fn read_request(tcp: &mut TcpStream, max_body: usize) -> Option<HttpRequest> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match tcp.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > 64 * 1024 {
            reply(tcp, 431, TEXT, b"Request Header Fields Too Large\n", CORS).await;
            return None;
        }
    }
    let end = head.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(head.len()) + 4;
    let text = String::from_utf8_lossy(&head[..end.min(head.len())]).into_owned();
    let mut body = head[end.min(head.len())..].to_vec();
    let length = text
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    if length > max_body {
        reply(tcp, 413, TEXT, b"Request Entity Too Large\n", CORS).await;
        return None;
    }
    while body.len() < length {
        match tcp.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => body.extend_from_slice(&buf[..n]),
        }
    }
    body.truncate(length);
    let line = text.lines().next().unwrap_or_default().to_string();
    let mut words = line.split_whitespace();
    let (method, target) = (words.next().unwrap_or_default(), words.next().unwrap_or_default());
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Some(HttpRequest { method: method.into(), path: path.into(), query: query.into(), body })
}

/// Reads one request from `tcp`, answers it, closes.
pub async fn serve(mut tcp: TcpStream, api: MemberApi) {
    let (member, handle) = (api.member, api.handle.clone());
    let Some(req) = read_request(&mut tcp, MAX_BODY).await else { return };
    if req.path.starts_with("/v3") {
        if super::gateway::is_stream(&req.path) {
            return stream(tcp, &api, &req.path, &req.body).await;
        }
        let answer = super::gateway::answer(&api, &req.path, &req.body).await;
        let (status, kind, body) = match answer {
            Some((status, json)) => (status, "application/json", json),
            None => (404, TEXT, "Not Found\n".to_string()),
        };
        return reply(&mut tcp, status, kind, body.as_bytes(), CORS).await;
    }
    let (status, kind, body) = answer(&req.method, &req.path, &req.query, member, &handle).await;
    reply(&mut tcp, status, kind, body.as_bytes(), CORS).await;
}

/// A gateway stream: its lines as HTTP/1.1 chunks, until the stream ends or the client closes.
async fn stream(tcp: TcpStream, api: &MemberApi, path: &str, body: &[u8]) {
    let (mut read, mut write) = tcp.into_split();
    let closed = async move {
        let mut sink = [0u8; 512];
        while matches!(read.read(&mut sink).await, Ok(n) if n > 0) {}
    };
    let Some(mut lines) = super::gateway::stream_lines(api, path, body, closed) else { return };
    let head = format!(
        "HTTP/1.1 200 OK\r\n{CORS}Content-Type: application/json\r\nGrpc-Metadata-Content-Type: application/grpc\r\n\
         Transfer-Encoding: chunked\r\n\r\n"
    );
    if write.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    while let Some(line) = lines.recv().await {
        let chunk = format!("{:x}\r\n{line}\n\r\n", line.len() + 1);
        if write.write_all(chunk.as_bytes()).await.is_err() {
            return;
        }
    }
    let _ = write.write_all(b"0\r\n\r\n").await;
    let _ = write.shutdown().await;
}

pub(super) const TEXT: &str = "text/plain; charset=utf-8";

async fn answer(method: &str, path: &str, query: &str, member: usize, handle: &Handle) -> (u16, &'static str, String) {
    match path {
        // promhttp's handler answers any method.
        "/metrics" => match handle.with(move |d| d.metrics(member)).await {
            Ok(Some(text)) => (200, "text/plain; version=0.0.4; charset=utf-8", text),
            _ => (503, TEXT, "the member is not running\n".into()),
        },
        "/health" | "/version" if method != "GET" => (405, TEXT, "Method Not Allowed\n".into()),
        "/version" => (
            200,
            "application/json",
            format!(
                "{{\"etcdserver\":\"{}\",\"etcdcluster\":\"{}\"}}",
                etcdplay_core::version::VERSION,
                etcdplay_core::version::CLUSTER_VERSION
            ),
        ),
        "/health" => {
            let excluded: Vec<String> =
                query.split('&').filter_map(|kv| kv.strip_prefix("exclude=")).map(str::to_string).collect();
            let ready = handle.with(move |d| d.health_precheck(member, &excluded)).await.unwrap_or(false);
            let read = Request::Range(RangeRequest { key: b"health".to_vec(), count_only: true, ..Default::default() });
            let healthy = ready
                && matches!(tokio::time::timeout(HEALTH_READ_TIMEOUT, handle.call(member, read)).await, Ok(Ok(_)));
            if healthy {
                (200, "application/json", "{\"health\":\"true\"}".into())
            } else {
                (503, "application/json", "{\"health\":\"false\"}\n".into())
            }
        }
        _ => (404, TEXT, "404 page not found\n".into()),
    }
}

/// The gateway's CORS headers (etcd sends them on every client-port answer).
pub(super) const CORS: &str = "Access-Control-Allow-Headers: accept, content-type, authorization\r\n\
                    Access-Control-Allow-Methods: POST, GET, OPTIONS, PUT, DELETE\r\n\
                    Access-Control-Allow-Origin: *\r\n";

/// Answers and closes the connection; `headers` are extra header lines, each ending in CRLF.
pub(super) async fn reply(tcp: &mut TcpStream, status: u16, kind: &str, body: &[u8], headers: &str) {
    let reason = match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        404 => "Not Found",
        412 => "Precondition Failed",
        413 => "Request Entity Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        504 => "Gateway Timeout",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        _ => "Service Unavailable",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\n{headers}Content-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = tcp.write_all(head.as_bytes()).await;
    let _ = tcp.write_all(body).await;
    let _ = tcp.shutdown().await;
}
