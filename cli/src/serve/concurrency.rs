//! etcd's lock and election services (`v3lockpb.Lock`, `v3electionpb.Election`). etcd builds them as
//! clients of its own member: clientv3's concurrency recipes over an in-process client. So are these:
//! transactions on `<name>/<lease in hex>` keys and waits for the deletion of older keys, through the
//! same member API the KV and watch services use, so what they do shows on the page like any client's.
//!
//! A contender's key holds the lock (or leadership) when no key under `<name>/` has a smaller create
//! revision. A request with lease 0 gets a session lease of its own (60 s) that nobody keeps alive, as
//! etcd's `concurrency.NewSession` followed by `Orphan` does.

use super::convert::{self, status};
use super::driver::{WatchNews, WatchSpec};
use super::grpc::{mismatch, MemberApi};
use etcd_client::proto::{
    PbCampaignResponse, PbLeaderKey, PbLeaderResponse, PbLockResponse, PbProclaimResponse, PbResignResponse,
    PbUnlockResponse,
};
use etcdplay_core::mvcc::{prefix_end, KeyValue};
use etcdplay_core::server::api::*;
use etcdplay_core::server::watch::{EventType, WatchEvent};
use std::pin::Pin;
use tokio::sync::mpsc as tmpsc;
use tokio_stream::Stream;
use tonic::{Request as GrpcRequest, Response as GrpcResponse, Status};

pub mod pb {
    pub mod v3lockpb {
        tonic::include_proto!("v3lockpb");
    }
    pub mod v3electionpb {
        tonic::include_proto!("v3electionpb");
    }
}

use pb::v3electionpb::election_server::Election;
use pb::v3electionpb::{CampaignRequest, LeaderRequest, ProclaimRequest, ResignRequest};
use pb::v3lockpb::lock_server::Lock;
use pb::v3lockpb::{LockRequest, UnlockRequest};

type Answer<T> = Result<GrpcResponse<T>, Status>;

/// clientv3's default session TTL (`concurrency.NewSession` without `WithTTL`).
const SESSION_TTL_S: i64 = 60;

/// etcd's errors here are plain Go errors, which gRPC sends with code Unknown.
fn plain(message: &str) -> Status {
    Status::unknown(message)
}

fn missing_leader() -> Status {
    plain("\"leader\" field must be provided")
}

/// `<name>/`: the prefix under which a lock's or an election's contenders put their keys.
fn key_prefix(name: &[u8]) -> Vec<u8> {
    [name, b"/"].concat()
}

/// `<prefix>/<lease in hex>`, as `concurrency.Mutex` and `Election` name a contender's key.
fn contender_key(prefix: &[u8], lease: i64) -> Vec<u8> {
    [prefix, format!("{lease:x}").as_bytes()].concat()
}

/// `Compare(CreateRevision(key), "=", rev)`.
fn created_at(key: &[u8], rev: i64) -> Compare {
    Compare {
        result: CompareResult::Equal,
        target: CompareTarget::Create(rev),
        key: key.to_vec(),
        range_end: Vec::new(),
    }
}

/// The oldest (or, descending, the newest) key under `prefix` created at or before `max_create_rev`
/// (0: any): clientv3's `WithFirstCreate` / `WithLastCreate` with `WithMaxCreateRev`.
fn by_create(prefix: &[u8], order: SortOrder, max_create_rev: i64) -> RangeRequest {
    RangeRequest {
        key: prefix.to_vec(),
        range_end: prefix_end(prefix),
        limit: 1,
        sort_order: order,
        sort_target: SortTarget::Create,
        max_create_revision: max_create_rev,
        ..RangeRequest::default()
    }
}

fn get(key: &[u8]) -> RequestOp {
    RequestOp::Range(RangeRequest { key: key.to_vec(), ..RangeRequest::default() })
}

fn put(key: &[u8], value: &[u8], lease: i64) -> RequestOp {
    RequestOp::Put(PutRequest { key: key.to_vec(), value: value.to_vec(), lease, ..PutRequest::default() })
}

/// The key-values of a txn's `i`th response, if it is a range.
fn range_kvs(t: &TxnResponse, i: usize) -> &[KeyValue] {
    match t.responses.get(i) {
        Some(ResponseOp::Range(r)) => &r.kvs,
        _ => &[],
    }
}

/// The member's own client: what the recipes send, each through the member like any client's request.
impl MemberApi {
    async fn txn(&self, txn: TxnRequest) -> Result<TxnResponse, Status> {
        match self.ask(Request::Txn(txn)).await? {
            Response::Txn(t) => Ok(t),
            _ => Err(mismatch("txn")),
        }
    }

    async fn range(&self, range: RangeRequest) -> Result<RangeResponse, Status> {
        match self.ask(Request::Range(range)).await? {
            Response::Range(r) => Ok(r),
            _ => Err(mismatch("range")),
        }
    }

    async fn delete(&self, key: &[u8]) -> Result<ResponseHeader, Status> {
        let request = DeleteRangeRequest { key: key.to_vec(), ..DeleteRangeRequest::default() };
        match self.ask(Request::DeleteRange(request)).await? {
            Response::DeleteRange(d) => Ok(d.header),
            _ => Err(mismatch("delete range")),
        }
    }

    /// The session's lease: the one asked for, or a fresh one for lease 0 (`concurrency.NewSession`).
    async fn session_lease(&self, lease: i64) -> Result<i64, Status> {
        if lease != 0 {
            return Ok(lease);
        }
        match self.ask(Request::LeaseGrant { id: 0, ttl_s: SESSION_TTL_S }).await? {
            Response::LeaseGrant { id, .. } => Ok(id),
            _ => Err(mismatch("lease grant")),
        }
    }

    /// A watch the member's own client holds on `key..range_end` from `start_revision`.
    fn watch(&self, key: &[u8], range_end: &[u8], start_revision: i64) -> OwnWatch {
        let stream = self.handle.new_stream();
        let (news_tx, news) = tmpsc::unbounded_channel();
        let spec = WatchSpec {
            stream,
            watch_id: 0,
            key: key.to_vec(),
            range_end: range_end.to_vec(),
            start_revision,
            prev_kv: false,
            no_put: false,
            no_delete: false,
        };
        let m = self.member;
        self.handle.fire(Box::new(move |d| d.create_watch(m, spec, news_tx)));
        OwnWatch { news }
    }

    /// `concurrency.waitDeletes`: until no key under `prefix` was created at or before `max_create_rev`,
    /// waiting on the newest such key's deletion each time. The header is the last range's.
    async fn wait_deletes(&self, prefix: &[u8], max_create_rev: i64) -> Result<ResponseHeader, Status> {
        loop {
            let r = self.range(by_create(prefix, SortOrder::Descend, max_create_rev)).await?;
            let Some(newest) = r.kvs.first() else { return Ok(r.header) };
            let mut watch = self.watch(&newest.key, b"", r.header.revision);
            loop {
                let (_, events) = watch.next().await?;
                if events.iter().any(|e| e.kind == EventType::Delete) {
                    break;
                }
            }
        }
    }
}

/// The receiving end of a watch the service holds; dropping it ends the watch (the world's thread drops
/// a watcher whose receiver is gone).
struct OwnWatch {
    news: tmpsc::UnboundedReceiver<WatchNews>,
}

impl OwnWatch {
    /// The next batch of events; an error when the watch ends (compacted away, member gone).
    async fn next(&mut self) -> Result<(ResponseHeader, Vec<WatchEvent>), Status> {
        loop {
            match self.news.recv().await {
                Some(WatchNews::Events { header, events, .. }) => return Ok((header, events)),
                Some(WatchNews::Created { .. } | WatchNews::Progress { .. }) => continue,
                Some(WatchNews::Compacted { .. }) => return Err(status(&ServerError::Compacted)),
                Some(WatchNews::Canceled { .. } | WatchNews::Gone) | None => {
                    return Err(status(&ServerError::Unavailable))
                }
            }
        }
    }
}

/// Deletes a contender's key unless disarmed: a lock or campaign that fails, or whose client goes away
/// while it waits, takes its key back (`Mutex.Lock` unlocks, `Campaign` resigns, on a failed wait).
struct Withdraw {
    api: MemberApi,
    key: Option<Vec<u8>>,
}

impl Withdraw {
    fn disarm(mut self) {
        self.key = None;
    }
}

impl Drop for Withdraw {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let api = self.api.clone();
            tokio::spawn(async move {
                let _ = api.delete(&key).await;
            });
        }
    }
}

#[tonic::async_trait]
impl Lock for MemberApi {
    /// `concurrency.Mutex.Lock`: put `<name>/<lease>` if absent (reading the oldest holder in the same
    /// txn), and if an older key exists wait for every older key to go.
    async fn lock(&self, r: GrpcRequest<LockRequest>) -> Answer<PbLockResponse> {
        let r = r.into_inner();
        let lease = self.session_lease(r.lease).await?;
        let prefix = key_prefix(&r.name);
        let key = contender_key(&prefix, lease);
        let owner = RequestOp::Range(by_create(&prefix, SortOrder::Ascend, 0));
        let t = self
            .txn(TxnRequest {
                compare: vec![created_at(&key, 0)],
                success: vec![put(&key, b"", lease), owner.clone()],
                failure: vec![get(&key), owner],
            })
            .await?;
        let my_rev =
            if t.succeeded { t.header.revision } else { range_kvs(&t, 0).first().map_or(0, |kv| kv.create_revision) };
        let held = range_kvs(&t, 1).first().is_none_or(|kv| kv.create_revision == my_rev);
        let header = if held {
            t.header
        } else {
            let withdraw = Withdraw { api: self.clone(), key: Some(key.clone()) };
            let header = self.wait_deletes(&prefix, my_rev - 1).await?;
            withdraw.disarm();
            header
        };
        Ok(GrpcResponse::new(PbLockResponse { header: convert::header(&header), key }))
    }

    async fn unlock(&self, r: GrpcRequest<UnlockRequest>) -> Answer<PbUnlockResponse> {
        let header = self.delete(&r.into_inner().key).await?;
        Ok(GrpcResponse::new(PbUnlockResponse { header: convert::header(&header) }))
    }
}

type LeaderStream = Pin<Box<dyn Stream<Item = Result<PbLeaderResponse, Status>> + Send + 'static>>;

impl MemberApi {
    /// `Election.Proclaim`: a new value under the leader's key, if the key is still the one it created.
    async fn proclaim_value(&self, leader: &PbLeaderKey, lease: i64, value: &[u8]) -> Result<ResponseHeader, Status> {
        let t = self
            .txn(TxnRequest {
                compare: vec![created_at(&leader.key, leader.rev)],
                success: vec![put(&leader.key, value, lease)],
                failure: Vec::new(),
            })
            .await?;
        if !t.succeeded {
            return Err(plain("election: not leader"));
        }
        Ok(t.header)
    }

    /// The election's leader: the oldest key under `<name>/`.
    async fn leader_of(&self, prefix: &[u8]) -> Result<(ResponseHeader, Option<KeyValue>), Status> {
        let r = self.range(by_create(prefix, SortOrder::Ascend, 0)).await?;
        Ok((r.header, r.kvs.into_iter().next()))
    }

    /// `Election.observe`: the leader now (or the first one to come), then each new value it proclaims
    /// until its key is deleted, then the next leader, and so on. Ends when a read or watch fails.
    async fn observe_leaders(self, prefix: Vec<u8>, out: tmpsc::Sender<Result<PbLeaderResponse, Status>>) {
        let send = |header: ResponseHeader, kv: KeyValue| {
            out.send(Ok(PbLeaderResponse { header: convert::header(&header), kv: Some(convert::kv(kv)) }))
        };
        loop {
            let Ok((header, leader)) = self.leader_of(&prefix).await else { return };
            let (header, kv) = match leader {
                Some(kv) => (header, kv),
                None => match self.first_put(&prefix, header.revision).await {
                    Some(found) => found,
                    None => return,
                },
            };
            let key = kv.key.clone();
            let from = header.revision + 1;
            if send(header, kv).await.is_err() {
                return;
            }
            let mut watch = self.watch(&key, b"", from);
            'leader: loop {
                let Ok((header, events)) = watch.next().await else { return };
                for e in events {
                    if e.kind == EventType::Delete {
                        break 'leader;
                    }
                    if send(header, e.kv).await.is_err() {
                        return;
                    }
                }
            }
        }
    }

    /// The first key put under `prefix` from `revision` on, with the header's revision set to its own
    /// (a batch may hold several).
    async fn first_put(&self, prefix: &[u8], revision: i64) -> Option<(ResponseHeader, KeyValue)> {
        let mut watch = self.watch(prefix, &prefix_end(prefix), revision);
        loop {
            let (header, events) = watch.next().await.ok()?;
            if let Some(e) = events.into_iter().find(|e| e.kind == EventType::Put) {
                return Some((ResponseHeader { revision: e.kv.mod_revision, ..header }, e.kv));
            }
        }
    }
}

#[tonic::async_trait]
impl Election for MemberApi {
    /// `Election.Campaign`: put `<name>/<lease>` with the value if absent (or proclaim the new value on
    /// it), then wait until every older key is gone.
    async fn campaign(&self, r: GrpcRequest<CampaignRequest>) -> Answer<PbCampaignResponse> {
        let r = r.into_inner();
        let lease = self.session_lease(r.lease).await?;
        let prefix = key_prefix(&r.name);
        let key = contender_key(&prefix, lease);
        let t = self
            .txn(TxnRequest {
                compare: vec![created_at(&key, 0)],
                success: vec![put(&key, &r.value, lease)],
                failure: vec![get(&key)],
            })
            .await?;
        let mut leader = PbLeaderKey { name: r.name, key: key.clone(), rev: t.header.revision, lease };
        let withdraw = Withdraw { api: self.clone(), key: Some(key) };
        if let (false, Some(kv)) = (t.succeeded, range_kvs(&t, 0).first()) {
            leader.rev = kv.create_revision;
            if kv.value != r.value {
                self.proclaim_value(&leader, lease, &r.value).await?;
            }
        }
        self.wait_deletes(&prefix, leader.rev - 1).await?;
        withdraw.disarm();
        Ok(GrpcResponse::new(PbCampaignResponse { header: convert::header(&t.header), leader: Some(leader) }))
    }

    async fn proclaim(&self, r: GrpcRequest<ProclaimRequest>) -> Answer<PbProclaimResponse> {
        let r = r.into_inner();
        let leader = r.leader.ok_or_else(missing_leader)?;
        let lease = self.session_lease(leader.lease).await?;
        let header = self.proclaim_value(&leader, lease, &r.value).await?;
        Ok(GrpcResponse::new(PbProclaimResponse { header: convert::header(&header) }))
    }

    async fn leader(&self, r: GrpcRequest<LeaderRequest>) -> Answer<PbLeaderResponse> {
        let prefix = key_prefix(&r.into_inner().name);
        match self.leader_of(&prefix).await? {
            (header, Some(kv)) => {
                Ok(GrpcResponse::new(PbLeaderResponse { header: convert::header(&header), kv: Some(convert::kv(kv)) }))
            }
            (_, None) => Err(plain("election: no leader")),
        }
    }

    type ObserveStream = LeaderStream;

    async fn observe(&self, r: GrpcRequest<LeaderRequest>) -> Answer<Self::ObserveStream> {
        let prefix = key_prefix(&r.into_inner().name);
        let (tx, rx) = tmpsc::channel(16);
        tokio::spawn(self.clone().observe_leaders(prefix, tx));
        Ok(GrpcResponse::new(Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx))))
    }

    /// `Election.Resign`: deletes the leader's key if it is still the one it created (no error if not).
    async fn resign(&self, r: GrpcRequest<ResignRequest>) -> Answer<PbResignResponse> {
        let leader = r.into_inner().leader.ok_or_else(missing_leader)?;
        self.session_lease(leader.lease).await?;
        let t = self
            .txn(TxnRequest {
                compare: vec![created_at(&leader.key, leader.rev)],
                success: vec![RequestOp::DeleteRange(DeleteRangeRequest {
                    key: leader.key.clone(),
                    ..DeleteRangeRequest::default()
                })],
                failure: Vec::new(),
            })
            .await?;
        Ok(GrpcResponse::new(PbResignResponse { header: convert::header(&t.header) }))
    }
}
