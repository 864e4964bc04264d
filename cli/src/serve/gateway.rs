//! etcd 3.4's JSON gateway (`POST /v3/kv/put` with base64 keys and values, as grpc-gateway maps the
//! protos): the request JSON becomes the protobuf message, goes through the same gRPC service a gRPC
//! client reaches, and the answer is written as grpc-gateway's `jsonpb` writes it (proto field names,
//! 64-bit integers as strings, bytes in base64, fields at their zero value left out). Errors are
//! grpc-gateway's `{"error","message","code"}` with its HTTP status. The streaming calls (`/v3/watch`,
//! `/v3/lease/keepalive`) take a body of one or more JSON requests and answer one `{"result":...}` line
//! per response for as long as the client keeps the connection open.

use super::grpc::MemberApi;
use base64::Engine;
use etcd_client::proto::*;
use serde_json::Value;
use tokio_stream::wrappers::{ReceiverStream, UnboundedReceiverStream};
use tokio_stream::StreamExt;
use tonic::{Code, Request as GrpcRequest, Status};

/// Answers a gateway call: (HTTP status, JSON body); None if `path` is no gateway route.
pub async fn answer(api: &MemberApi, path: &str, body: &[u8]) -> Option<(u16, String)> {
    let route = route(path)?;
    let known = ROUTES.contains(&route);
    if !known {
        return None;
    }
    let json: Value = match serde_json::from_slice(if body.is_empty() { b"{}" } else { body }) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) | Err(_) => return Some(error(&Status::invalid_argument("etcdplay: the body is not a JSON object"))),
    };
    Some(match call(api, route, &json).await {
        Ok(text) => (200, text),
        Err(s) => error(&s),
    })
}

/// Whether `path` is one of the gateway's streaming calls.
pub fn is_stream(path: &str) -> bool {
    matches!(route(path), Some("watch" | "lease/keepalive"))
}

/// The route under the gateway's prefix (etcd 3.4 serves `/v3/`, and `/v3beta/` and `/v3alpha/` for older
/// clients).
fn route(path: &str) -> Option<&str> {
    ["/v3/", "/v3beta/", "/v3alpha/"].iter().find_map(|p| path.strip_prefix(p))
}

/// The streaming routes, if `path` is one: its requests in `body` become the same request stream a gRPC
/// client sends, and each response a line. The lines end when the stream does or `closed` resolves
/// (the client went away).
pub fn stream_lines(
    api: &MemberApi,
    path: &str,
    body: &[u8],
    closed: impl std::future::Future<Output = ()> + Send + 'static,
) -> Option<tokio::sync::mpsc::UnboundedReceiver<String>> {
    let route = route(path)?;
    let (lines_tx, lines) = tokio::sync::mpsc::unbounded_channel();
    let requests = serde_json::Deserializer::from_slice(body).into_iter::<Value>();
    match route {
        "watch" => {
            let (requests, bad) = parsed(requests, watch_request);
            let incoming = Box::pin(tokio_stream::iter(requests.into_iter().map(Ok)).chain(until(closed)));
            let responses = api.watch_responses(incoming, true);
            tokio::spawn(write_lines(UnboundedReceiverStream::new(responses), watch_response, bad, lines_tx));
        }
        "lease/keepalive" => {
            let (requests, bad) = parsed(requests, |j| Ok(PbLeaseKeepAliveRequest { id: int(j, "ID")? }));
            let incoming = Box::pin(tokio_stream::iter(requests.into_iter().map(Ok)).chain(until(closed)));
            let responses = api.keep_alives(incoming);
            tokio::spawn(write_lines(ReceiverStream::new(responses), keep_alive_response, bad, lines_tx));
        }
        _ => return None,
    }
    Some(lines)
}

/// The requests of a streaming body up to the first that does not parse, and that one's error.
fn parsed<T>(
    values: impl Iterator<Item = Result<Value, serde_json::Error>>,
    each: impl Fn(&Value) -> Result<T, Status>,
) -> (Vec<T>, Option<Status>) {
    let mut requests = Vec::new();
    for v in values {
        match v.map_err(|e| Status::unknown(e.to_string())).and_then(|v| each(&v)) {
            Ok(r) => requests.push(r),
            Err(e) => return (requests, Some(e)),
        }
    }
    (requests, None)
}

/// A request stream that sends nothing more and ends when `closed` resolves.
fn until<T: Send + 'static>(
    closed: impl std::future::Future<Output = ()> + Send + 'static,
) -> impl tokio_stream::Stream<Item = Result<T, Status>> + Send {
    let (open, requests) = tokio::sync::mpsc::channel(1);
    tokio::spawn(async move {
        closed.await;
        drop(open);
    });
    ReceiverStream::new(requests)
}

/// Writes each response as a `{"result":...}` line (or grpc-gateway's error object, which ends the
/// stream); a request that did not parse is answered with its error after the responses to those before it.
async fn write_lines<T>(
    mut responses: impl tokio_stream::Stream<Item = Result<T, Status>> + Unpin,
    json: fn(&T) -> String,
    bad: Option<Status>,
    lines: tokio::sync::mpsc::UnboundedSender<String>,
) {
    if let Some(e) = bad {
        let _ = lines.send(error(&e).1);
        return;
    }
    while let Some(r) = responses.next().await {
        let (line, last) = match r {
            Ok(r) => (Obj::new().raw("result", &json(&r)).done(), false),
            Err(e) => (error(&e).1, true),
        };
        if lines.send(line).is_err() || last {
            return;
        }
    }
}

fn watch_request(j: &Value) -> Result<PbWatchRequest, Status> {
    let mut req = PbWatchRequest::default();
    if let Some(c) = field(j, "create_request").filter(|v| v.is_object()) {
        let mut union = PbWatchRequestUnion::CreateRequest(Default::default());
        if let PbWatchRequestUnion::CreateRequest(r) = &mut union {
            r.key = bytes(c, "key")?;
            r.range_end = bytes(c, "range_end")?;
            r.start_revision = int(c, "start_revision")?;
            r.progress_notify = boolean(c, "progress_notify");
            r.prev_kv = boolean(c, "prev_kv");
            r.watch_id = int(c, "watch_id")?;
            r.filters = list(c, "filters", |f| match f {
                Value::String(s) if s == "NOPUT" => Ok(0),
                Value::String(s) if s == "NODELETE" => Ok(1),
                Value::Number(n) if matches!(n.as_i64(), Some(0 | 1)) => Ok(n.as_i64().unwrap_or(0) as i32),
                _ => Err(bad("filters", "NOPUT or NODELETE")),
            })?;
        }
        req.request_union = Some(union);
    } else if let Some(c) = field(j, "cancel_request").filter(|v| v.is_object()) {
        let mut union = PbWatchRequestUnion::CancelRequest(Default::default());
        if let PbWatchRequestUnion::CancelRequest(r) = &mut union {
            r.watch_id = int(c, "watch_id")?;
        }
        req.request_union = Some(union);
    } else if field(j, "progress_request").is_some_and(Value::is_object) {
        req.request_union = Some(PbWatchRequestUnion::ProgressRequest(Default::default()));
    }
    Ok(req)
}

fn watch_response(w: &PbWatchResponse) -> String {
    let events: Vec<String> = w
        .events
        .iter()
        .map(|e| {
            let kind = if e.r#type == 1 { "DELETE" } else { "" };
            Obj::new()
                .text("type", kind)
                .object("kv", e.kv.as_ref().map(kv))
                .object("prev_kv", e.prev_kv.as_ref().map(kv))
                .done()
        })
        .collect();
    Obj::new()
        .header(&w.header)
        .int("watch_id", w.watch_id)
        .boolean("created", w.created)
        .boolean("canceled", w.canceled)
        .int("compact_revision", w.compact_revision)
        .text("cancel_reason", &w.cancel_reason)
        .boolean("fragment", w.fragment)
        .list("events", &events)
        .done()
}

fn keep_alive_response(k: &PbLeaseKeepAliveResponse) -> String {
    Obj::new().header(&k.header).int("ID", k.id).int("TTL", k.ttl).done()
}

const ROUTES: [&str; 20] = [
    "kv/range",
    "kv/put",
    "kv/deleterange",
    "kv/txn",
    "kv/compaction",
    "lease/grant",
    "lease/revoke",
    "kv/lease/revoke",
    "lease/timetolive",
    "kv/lease/timetolive",
    "lease/leases",
    "kv/lease/leases",
    "cluster/member/list",
    "maintenance/status",
    "lock/lock",
    "lock/unlock",
    "election/campaign",
    "election/proclaim",
    "election/leader",
    "election/resign",
];

async fn call(api: &MemberApi, route: &str, j: &Value) -> Result<String, Status> {
    use etcd_client::proto::{PbClusterService, PbKvService, PbLeaseService, PbMaintenanceService};
    fn req<T>(m: T) -> GrpcRequest<T> {
        GrpcRequest::new(m)
    }
    Ok(match route {
        "kv/range" => range_response(&api.range(req(range_request(j)?)).await?.into_inner()),
        "kv/put" => put_response(&api.put(req(put_request(j)?)).await?.into_inner()),
        "kv/deleterange" => delete_response(&api.delete_range(req(delete_request(j)?)).await?.into_inner()),
        "kv/txn" => txn_response(&api.txn(req(txn_request(j)?)).await?.into_inner()),
        "kv/compaction" => {
            let r = PbCompactionRequest { revision: int(j, "revision")?, physical: boolean(j, "physical") };
            header_only(api.compact(req(r)).await?.into_inner().header)
        }
        "lease/grant" => {
            let r = PbLeaseGrantRequest { ttl: int(j, "TTL")?, id: int(j, "ID")? };
            let g = api.lease_grant(req(r)).await?.into_inner();
            Obj::new().header(&g.header).int("ID", g.id).int("TTL", g.ttl).text("error", &g.error).done()
        }
        "lease/revoke" | "kv/lease/revoke" => {
            header_only(api.lease_revoke(req(PbLeaseRevokeRequest { id: int(j, "ID")? })).await?.into_inner().header)
        }
        "lease/timetolive" | "kv/lease/timetolive" => {
            let r = PbLeaseTimeToLiveRequest { id: int(j, "ID")?, keys: boolean(j, "keys") };
            let t = api.lease_time_to_live(req(r)).await?.into_inner();
            let keys: Vec<String> = t.keys.iter().map(|k| quoted(&b64(k))).collect();
            Obj::new()
                .header(&t.header)
                .int("ID", t.id)
                .int("TTL", t.ttl)
                .int("grantedTTL", t.granted_ttl)
                .list("keys", &keys)
                .done()
        }
        "lease/leases" | "kv/lease/leases" => {
            let l = api.lease_leases(req(PbLeaseLeasesRequest {})).await?.into_inner();
            let leases: Vec<String> = l.leases.iter().map(|s| Obj::new().int("ID", s.id).done()).collect();
            Obj::new().header(&l.header).list("leases", &leases).done()
        }
        "cluster/member/list" => {
            let m = api
                .member_list(req(PbMemberListRequest { linearizable: boolean(j, "linearizable") }))
                .await?
                .into_inner();
            let members: Vec<String> = m.members.iter().map(member).collect();
            Obj::new().header(&m.header).list("members", &members).done()
        }
        "maintenance/status" => {
            let s = api.status(req(PbStatusRequest {})).await?.into_inner();
            let errors: Vec<String> = s.errors.iter().map(|e| quoted(e)).collect();
            Obj::new()
                .header(&s.header)
                .text("version", &s.version)
                .int("dbSize", s.db_size)
                .uint("leader", s.leader)
                .uint("raftIndex", s.raft_index)
                .uint("raftTerm", s.raft_term)
                .uint("raftAppliedIndex", s.raft_applied_index)
                .list("errors", &errors)
                .int("dbSizeInUse", s.db_size_in_use)
                .boolean("isLearner", s.is_learner)
                .done()
        }
        "lock/lock" | "lock/unlock" | "election/campaign" | "election/proclaim" | "election/leader"
        | "election/resign" => concurrency(api, route, j).await?,
        _ => return Err(Status::unimplemented("etcdplay: no such gateway route")),
    })
}

/// The lock and election services' routes.
async fn concurrency(api: &MemberApi, route: &str, j: &Value) -> Result<String, Status> {
    use super::concurrency::pb::{v3electionpb as e, v3lockpb as l};
    use e::election_server::Election;
    use l::lock_server::Lock;
    let leader = |j: &Value| -> Result<Option<PbLeaderKey>, Status> {
        let Some(k) = field(j, "leader").filter(|v| v.is_object()) else { return Ok(None) };
        Ok(Some(PbLeaderKey {
            name: bytes(k, "name")?,
            key: bytes(k, "key")?,
            rev: int(k, "rev")?,
            lease: int(k, "lease")?,
        }))
    };
    Ok(match route {
        "lock/lock" => {
            let r = l::LockRequest { name: bytes(j, "name")?, lease: int(j, "lease")? };
            let a = Lock::lock(api, GrpcRequest::new(r)).await?.into_inner();
            Obj::new().header(&a.header).bytes("key", &a.key).done()
        }
        "lock/unlock" => header_only(
            api.unlock(GrpcRequest::new(l::UnlockRequest { key: bytes(j, "key")? })).await?.into_inner().header,
        ),
        "election/campaign" => {
            let r = e::CampaignRequest { name: bytes(j, "name")?, lease: int(j, "lease")?, value: bytes(j, "value")? };
            let a = api.campaign(GrpcRequest::new(r)).await?.into_inner();
            let key = a.leader.as_ref().map(|k| {
                Obj::new().bytes("name", &k.name).bytes("key", &k.key).int("rev", k.rev).int("lease", k.lease).done()
            });
            Obj::new().header(&a.header).object("leader", key).done()
        }
        "election/proclaim" => {
            let r = e::ProclaimRequest { leader: leader(j)?, value: bytes(j, "value")? };
            header_only(api.proclaim(GrpcRequest::new(r)).await?.into_inner().header)
        }
        "election/leader" => {
            let a = Election::leader(api, GrpcRequest::new(e::LeaderRequest { name: bytes(j, "name")? }))
                .await?
                .into_inner();
            Obj::new().header(&a.header).object("kv", a.kv.as_ref().map(kv)).done()
        }
        _ => header_only(
            api.resign(GrpcRequest::new(e::ResignRequest { leader: leader(j)? })).await?.into_inner().header,
        ),
    })
}

/// grpc-gateway's error: the status's message twice and its code, with the HTTP status it maps to.
fn error(s: &Status) -> (u16, String) {
    let http = match s.code() {
        Code::InvalidArgument | Code::OutOfRange => 400,
        Code::NotFound => 404,
        Code::FailedPrecondition => 412,
        Code::ResourceExhausted => 429,
        Code::Unauthenticated => 401,
        Code::PermissionDenied => 403,
        Code::Unimplemented => 501,
        Code::Unavailable => 503,
        Code::DeadlineExceeded => 504,
        _ => 500,
    };
    let m = quoted(s.message());
    (http, format!("{{\"error\":{m},\"message\":{m},\"code\":{}}}", s.code() as i32))
}

// --- JSON to protobuf: jsonpb accepts the proto field name and its lowerCamelCase JSON name. ---

fn field<'a>(j: &'a Value, name: &str) -> Option<&'a Value> {
    j.get(name).or_else(|| j.get(camel(name)))
}

fn camel(name: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for c in name.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn bad(name: &str, what: &str) -> Status {
    Status::invalid_argument(format!("etcdplay: field {name:?} must be {what}"))
}

/// An int64 field: a JSON number or a decimal string (as jsonpb writes them).
fn int(j: &Value, name: &str) -> Result<i64, Status> {
    match field(j, name) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => n.as_i64().ok_or_else(|| bad(name, "an integer")),
        Some(Value::String(s)) => s.parse().map_err(|_| bad(name, "an integer")),
        Some(_) => Err(bad(name, "an integer")),
    }
}

fn boolean(j: &Value, name: &str) -> bool {
    matches!(field(j, name), Some(Value::Bool(true)))
}

/// A bytes field in base64 (standard or URL-safe, padded or not).
fn bytes(j: &Value, name: &str) -> Result<Vec<u8>, Status> {
    let Some(v) = field(j, name).filter(|v| !v.is_null()) else { return Ok(Vec::new()) };
    let s = v.as_str().ok_or_else(|| bad(name, "base64 text"))?;
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    engines.iter().find_map(|e| e.decode(s).ok()).ok_or_else(|| bad(name, "base64 text"))
}

/// An enum field: its name or its number.
fn enumeration(j: &Value, name: &str, names: &[&str]) -> Result<i32, Status> {
    match field(j, name) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => n.as_i64().map(|n| n as i32).ok_or_else(|| bad(name, "an enum value")),
        Some(Value::String(s)) => {
            names.iter().position(|n| n == s).map(|p| p as i32).ok_or_else(|| bad(name, &format!("one of {names:?}")))
        }
        Some(_) => Err(bad(name, "an enum value")),
    }
}

fn range_request(j: &Value) -> Result<PbRangeRequest, Status> {
    Ok(PbRangeRequest {
        key: bytes(j, "key")?,
        range_end: bytes(j, "range_end")?,
        limit: int(j, "limit")?,
        revision: int(j, "revision")?,
        sort_order: enumeration(j, "sort_order", &["NONE", "ASCEND", "DESCEND"])?,
        sort_target: enumeration(j, "sort_target", &["KEY", "VERSION", "CREATE", "MOD", "VALUE"])?,
        serializable: boolean(j, "serializable"),
        keys_only: boolean(j, "keys_only"),
        count_only: boolean(j, "count_only"),
        min_mod_revision: int(j, "min_mod_revision")?,
        max_mod_revision: int(j, "max_mod_revision")?,
        min_create_revision: int(j, "min_create_revision")?,
        max_create_revision: int(j, "max_create_revision")?,
    })
}

fn put_request(j: &Value) -> Result<PbPutRequest, Status> {
    Ok(PbPutRequest {
        key: bytes(j, "key")?,
        value: bytes(j, "value")?,
        lease: int(j, "lease")?,
        prev_kv: boolean(j, "prev_kv"),
        ignore_value: boolean(j, "ignore_value"),
        ignore_lease: boolean(j, "ignore_lease"),
    })
}

fn delete_request(j: &Value) -> Result<PbDeleteRequest, Status> {
    Ok(PbDeleteRequest { key: bytes(j, "key")?, range_end: bytes(j, "range_end")?, prev_kv: boolean(j, "prev_kv") })
}

fn compare(j: &Value) -> Result<PbCompare, Status> {
    let target = enumeration(j, "target", &["VERSION", "CREATE", "MOD", "VALUE", "LEASE"])?;
    let union = match target {
        0 => PbTargetUnion::Version(int(j, "version")?),
        1 => PbTargetUnion::CreateRevision(int(j, "create_revision")?),
        2 => PbTargetUnion::ModRevision(int(j, "mod_revision")?),
        3 => PbTargetUnion::Value(bytes(j, "value")?),
        _ => PbTargetUnion::Lease(int(j, "lease")?),
    };
    Ok(PbCompare {
        result: enumeration(j, "result", &["EQUAL", "GREATER", "LESS", "NOT_EQUAL"])?,
        target,
        key: bytes(j, "key")?,
        range_end: bytes(j, "range_end")?,
        target_union: Some(union),
    })
}

fn request_op(j: &Value) -> Result<PbTxnRequestOp, Status> {
    let request = if let Some(r) = field(j, "request_range") {
        PbTxnOpRequest::RequestRange(range_request(r)?)
    } else if let Some(p) = field(j, "request_put") {
        PbTxnOpRequest::RequestPut(put_request(p)?)
    } else if let Some(d) = field(j, "request_delete_range") {
        PbTxnOpRequest::RequestDeleteRange(delete_request(d)?)
    } else if let Some(t) = field(j, "request_txn") {
        PbTxnOpRequest::RequestTxn(txn_request(t)?)
    } else {
        return Err(Status::invalid_argument(
            "etcdplay: a txn op needs request_range, request_put, request_delete_range or request_txn",
        ));
    };
    Ok(PbTxnRequestOp { request: Some(request) })
}

fn list<T>(j: &Value, name: &str, each: impl Fn(&Value) -> Result<T, Status>) -> Result<Vec<T>, Status> {
    match field(j, name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a.iter().map(each).collect(),
        Some(_) => Err(bad(name, "a list")),
    }
}

fn txn_request(j: &Value) -> Result<PbTxnRequest, Status> {
    Ok(PbTxnRequest {
        compare: list(j, "compare", compare)?,
        success: list(j, "success", request_op)?,
        failure: list(j, "failure", request_op)?,
    })
}

// --- protobuf to JSON, as jsonpb writes it. ---

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// A JSON object written field by field in proto order; zero values are left out.
struct Obj(String);

impl Obj {
    fn new() -> Obj {
        Obj(String::new())
    }

    fn raw(mut self, name: &str, json: &str) -> Obj {
        self.0.push_str(if self.0.is_empty() { "{" } else { "," });
        self.0.push_str(&quoted(name));
        self.0.push(':');
        self.0.push_str(json);
        self
    }

    fn int(self, name: &str, v: i64) -> Obj {
        if v == 0 {
            self
        } else {
            self.raw(name, &quoted(&v.to_string()))
        }
    }

    fn uint(self, name: &str, v: u64) -> Obj {
        if v == 0 {
            self
        } else {
            self.raw(name, &quoted(&v.to_string()))
        }
    }

    fn text(self, name: &str, v: &str) -> Obj {
        if v.is_empty() {
            self
        } else {
            self.raw(name, &quoted(v))
        }
    }

    fn bytes(self, name: &str, v: &[u8]) -> Obj {
        if v.is_empty() {
            self
        } else {
            self.raw(name, &quoted(&b64(v)))
        }
    }

    fn boolean(self, name: &str, v: bool) -> Obj {
        if v {
            self.raw(name, "true")
        } else {
            self
        }
    }

    fn list(self, name: &str, items: &[String]) -> Obj {
        if items.is_empty() {
            self
        } else {
            self.raw(name, &format!("[{}]", items.join(",")))
        }
    }

    fn object(self, name: &str, json: Option<String>) -> Obj {
        match json {
            Some(j) => self.raw(name, &j),
            None => self,
        }
    }

    fn header(self, h: &Option<PbResponseHeader>) -> Obj {
        let json = h.as_ref().map(|h| {
            Obj::new()
                .uint("cluster_id", h.cluster_id)
                .uint("member_id", h.member_id)
                .int("revision", h.revision)
                .uint("raft_term", h.raft_term)
                .done()
        });
        self.object("header", json)
    }

    fn done(self) -> String {
        if self.0.is_empty() {
            "{}".to_string()
        } else {
            self.0 + "}"
        }
    }
}

fn header_only(h: Option<PbResponseHeader>) -> String {
    Obj::new().header(&h).done()
}

fn kv(kv: &PbKeyValue) -> String {
    Obj::new()
        .bytes("key", &kv.key)
        .int("create_revision", kv.create_revision)
        .int("mod_revision", kv.mod_revision)
        .int("version", kv.version)
        .bytes("value", &kv.value)
        .int("lease", kv.lease)
        .done()
}

fn member(m: &PbMember) -> String {
    let quote_all = |v: &[String]| v.iter().map(|s| quoted(s)).collect::<Vec<_>>();
    Obj::new()
        .uint("ID", m.id)
        .text("name", &m.name)
        .list("peerURLs", &quote_all(&m.peer_ur_ls))
        .list("clientURLs", &quote_all(&m.client_ur_ls))
        .boolean("isLearner", m.is_learner)
        .done()
}

fn range_response(r: &PbRangeResponse) -> String {
    let kvs: Vec<String> = r.kvs.iter().map(kv).collect();
    Obj::new().header(&r.header).list("kvs", &kvs).boolean("more", r.more).int("count", r.count).done()
}

fn put_response(r: &PbPutResponse) -> String {
    Obj::new().header(&r.header).object("prev_kv", r.prev_kv.as_ref().map(kv)).done()
}

fn delete_response(r: &PbDeleteResponse) -> String {
    let prev: Vec<String> = r.prev_kvs.iter().map(kv).collect();
    Obj::new().header(&r.header).int("deleted", r.deleted).list("prev_kvs", &prev).done()
}

fn txn_response(t: &PbTxnResponse) -> String {
    let ops: Vec<String> = t
        .responses
        .iter()
        .map(|op| match &op.response {
            Some(PbTxnOpResponse::ResponseRange(r)) => Obj::new().raw("response_range", &range_response(r)).done(),
            Some(PbTxnOpResponse::ResponsePut(p)) => Obj::new().raw("response_put", &put_response(p)).done(),
            Some(PbTxnOpResponse::ResponseDeleteRange(d)) => {
                Obj::new().raw("response_delete_range", &delete_response(d)).done()
            }
            Some(PbTxnOpResponse::ResponseTxn(t)) => Obj::new().raw("response_txn", &txn_response(t)).done(),
            None => "{}".to_string(),
        })
        .collect();
    Obj::new().header(&t.header).boolean("succeeded", t.succeeded).list("responses", &ops).done()
}
