//! etcd's v3 gRPC services (KV, Watch, Lease, Cluster, Maintenance) for one member's port. Each call
//! becomes a core [`Request`] sent to the world's thread, and its answer the protobuf etcd sends.

use super::convert::{self, status};
use super::driver::{Driver, Job, WatchNews, WatchSpec};
use etcd_client::proto::*;
use etcdplay_core::server::alarm::{AlarmAction, AlarmMember, AlarmType};
use etcdplay_core::server::api::{Request, Response, ResponseHeader, ServerError, ServerResult};
use etcdplay_core::server::membership::MemberChange;
use etcdplay_core::snapshot::SnapshotData;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use tokio::sync::{mpsc as tmpsc, oneshot};
use tokio_stream::{Stream, StreamExt};
use tonic::{Request as GrpcRequest, Response as GrpcResponse, Status, Streaming};

type Answer<T> = Result<GrpcResponse<T>, Status>;
type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// etcd refuses a request larger than `--max-request-bytes` (1.5 MiB) plus gRPC's overhead allowance.
pub const MAX_REQUEST_BYTES: usize = 1_572_864 + 512 * 1024;

/// The way to the world's thread, shared by every service of every port.
#[derive(Clone)]
pub struct Handle {
    jobs: mpsc::Sender<Job>,
    next_stream: Arc<AtomicU64>,
}

impl Handle {
    pub fn new(jobs: mpsc::Sender<Job>) -> Handle {
        Handle { jobs, next_stream: Arc::new(AtomicU64::new(1)) }
    }

    /// Runs `f` on the world's thread and waits for what it returns.
    pub async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Driver) -> T + Send + 'static,
    ) -> Result<T, Status> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |d| {
            let _ = tx.send(f(d));
        });
        self.jobs.send(job).map_err(|_| Status::unavailable("etcdplay: the world has stopped"))?;
        rx.await.map_err(|_| Status::unavailable("etcdplay: the world has stopped"))
    }

    /// Sends `request` to member `member` and waits for its answer.
    pub async fn call(&self, member: usize, request: Request) -> ServerResult {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |d| d.call(member, request, tx));
        if self.jobs.send(job).is_err() {
            return Err(ServerError::Unavailable);
        }
        rx.await.unwrap_or(Err(ServerError::Unavailable))
    }

    /// A fresh stream ID, for a watch stream or a watch the services hold themselves.
    pub fn new_stream(&self) -> u64 {
        self.next_stream.fetch_add(1, Ordering::Relaxed)
    }

    pub(super) fn fire(&self, job: Job) {
        let _ = self.jobs.send(job);
    }
}

/// One member's services.
#[derive(Clone)]
pub struct MemberApi {
    pub member: usize,
    pub handle: Handle,
}

impl MemberApi {
    pub(super) async fn ask(&self, request: Request) -> Result<Response, Status> {
        self.handle.call(self.member, request).await.map_err(|e| status(&e))
    }
}

/// The answer did not fit the request: a bug of ours, said as such.
pub(super) fn mismatch(what: &str) -> Status {
    Status::internal(format!("etcdplay: the member answered something other than a {what} response"))
}

#[tonic::async_trait]
impl PbKvService for MemberApi {
    async fn range(&self, r: GrpcRequest<PbRangeRequest>) -> Answer<PbRangeResponse> {
        let req = convert::range_request(r.into_inner())?;
        match self.ask(Request::Range(req)).await? {
            Response::Range(r) => Ok(GrpcResponse::new(convert::range_response(r))),
            _ => Err(mismatch("range")),
        }
    }

    type RangeStreamStream = BoxStream<PbRangeStreamResponse>;

    async fn range_stream(&self, _: GrpcRequest<PbRangeRequest>) -> Answer<Self::RangeStreamStream> {
        Err(Status::unimplemented("unknown method RangeStream for service etcdserverpb.KV"))
    }

    async fn put(&self, r: GrpcRequest<PbPutRequest>) -> Answer<PbPutResponse> {
        match self.ask(Request::Put(convert::put_request(r.into_inner()))).await? {
            Response::Put(p) => Ok(GrpcResponse::new(convert::put_response(p))),
            _ => Err(mismatch("put")),
        }
    }

    async fn delete_range(&self, r: GrpcRequest<PbDeleteRequest>) -> Answer<PbDeleteResponse> {
        match self.ask(Request::DeleteRange(convert::delete_request(r.into_inner()))).await? {
            Response::DeleteRange(d) => Ok(GrpcResponse::new(convert::delete_response(d))),
            _ => Err(mismatch("delete range")),
        }
    }

    async fn txn(&self, r: GrpcRequest<PbTxnRequest>) -> Answer<PbTxnResponse> {
        let txn = convert::txn_request(r.into_inner())?;
        match self.ask(Request::Txn(txn)).await? {
            Response::Txn(t) => Ok(GrpcResponse::new(convert::txn_response(t))),
            _ => Err(mismatch("txn")),
        }
    }

    async fn compact(&self, r: GrpcRequest<PbCompactionRequest>) -> Answer<PbCompactionResponse> {
        let r = r.into_inner();
        match self.ask(Request::Compaction { revision: r.revision, physical: r.physical }).await? {
            Response::Compaction { header } => {
                Ok(GrpcResponse::new(PbCompactionResponse { header: convert::header(&header) }))
            }
            _ => Err(mismatch("compaction")),
        }
    }
}

#[tonic::async_trait]
impl PbLeaseService for MemberApi {
    async fn lease_grant(&self, r: GrpcRequest<PbLeaseGrantRequest>) -> Answer<PbLeaseGrantResponse> {
        let r = r.into_inner();
        match self.ask(Request::LeaseGrant { id: r.id, ttl_s: r.ttl }).await? {
            Response::LeaseGrant { header, id, ttl_s } => Ok(GrpcResponse::new(PbLeaseGrantResponse {
                header: convert::header(&header),
                id,
                ttl: ttl_s,
                error: String::new(),
            })),
            _ => Err(mismatch("lease grant")),
        }
    }

    async fn lease_revoke(&self, r: GrpcRequest<PbLeaseRevokeRequest>) -> Answer<PbLeaseRevokeResponse> {
        match self.ask(Request::LeaseRevoke { id: r.into_inner().id }).await? {
            Response::LeaseRevoke { header } => {
                Ok(GrpcResponse::new(PbLeaseRevokeResponse { header: convert::header(&header) }))
            }
            _ => Err(mismatch("lease revoke")),
        }
    }

    type LeaseKeepAliveStream = BoxStream<PbLeaseKeepAliveResponse>;

    /// Each renewal goes to the leader; a lease that is gone is answered with TTL 0, as etcd does.
    async fn lease_keep_alive(
        &self,
        r: GrpcRequest<Streaming<PbLeaseKeepAliveRequest>>,
    ) -> Answer<Self::LeaseKeepAliveStream> {
        Ok(GrpcResponse::new(Box::pin(tokio_stream::wrappers::ReceiverStream::new(self.keep_alives(r.into_inner())))))
    }

    async fn lease_time_to_live(&self, r: GrpcRequest<PbLeaseTimeToLiveRequest>) -> Answer<PbLeaseTimeToLiveResponse> {
        let r = r.into_inner();
        match self.ask(Request::LeaseTimeToLive { id: r.id, keys: r.keys }).await? {
            Response::LeaseTimeToLive { header, id, ttl_s, granted_ttl_s, keys } => {
                Ok(GrpcResponse::new(PbLeaseTimeToLiveResponse {
                    header: convert::header(&header),
                    id,
                    ttl: ttl_s,
                    granted_ttl: granted_ttl_s,
                    keys,
                }))
            }
            _ => Err(mismatch("lease time-to-live")),
        }
    }

    async fn lease_leases(&self, _: GrpcRequest<PbLeaseLeasesRequest>) -> Answer<PbLeaseLeasesResponse> {
        match self.ask(Request::LeaseLeases).await? {
            Response::LeaseLeases { header, leases } => Ok(GrpcResponse::new(PbLeaseLeasesResponse {
                header: convert::header(&header),
                leases: leases.into_iter().map(|id| PbLeaseStatus { id }).collect(),
            })),
            _ => Err(mismatch("lease leases")),
        }
    }
}

impl MemberApi {
    /// Renews each lease `incoming` names and answers each renewal, until the requests end or one fails:
    /// the gRPC KeepAlive stream and the gateway's `/v3/lease/keepalive` both run on this.
    pub(super) fn keep_alives<S>(&self, mut incoming: S) -> tmpsc::Receiver<Result<PbLeaseKeepAliveResponse, Status>>
    where
        S: Stream<Item = Result<PbLeaseKeepAliveRequest, Status>> + Send + Unpin + 'static,
    {
        let (tx, rx) = tmpsc::channel(16);
        let api = self.clone();
        tokio::spawn(async move {
            while let Some(Ok(req)) = incoming.next().await {
                let answer = match api.handle.call(api.member, Request::LeaseKeepAlive { id: req.id }).await {
                    Ok(Response::LeaseKeepAlive { header, id, ttl_s }) => {
                        Ok(PbLeaseKeepAliveResponse { header: convert::header(&header), id, ttl: ttl_s })
                    }
                    Err(ServerError::LeaseNotFound) => {
                        let header = api.handle.with(move |d| d.header(api.member)).await.ok().flatten();
                        Ok(PbLeaseKeepAliveResponse {
                            header: header.as_ref().and_then(convert::header),
                            id: req.id,
                            ttl: 0,
                        })
                    }
                    Ok(_) => Err(mismatch("lease keep-alive")),
                    Err(e) => Err(status(&e)),
                };
                let failed = answer.is_err();
                if tx.send(answer).await.is_err() || failed {
                    return;
                }
            }
        });
        rx
    }

    /// Runs a watch stream: `incoming` creates, cancels and asks for progress; the receiver gets the
    /// responses in the order the world decided them. The gRPC Watch stream and the gateway's
    /// `/v3/watch` both run on this; `close_at_end` drops the watchers when `incoming` ends (the
    /// gateway's, which ends with its connection), otherwise they go when the client stops listening.
    pub(super) fn watch_responses<S>(
        &self,
        incoming: S,
        close_at_end: bool,
    ) -> tmpsc::UnboundedReceiver<Result<PbWatchResponse, Status>>
    where
        S: Stream<Item = Result<PbWatchRequest, Status>> + Send + Unpin + 'static,
    {
        let stream = self.handle.new_stream();
        let (out_tx, out_rx) = tmpsc::unbounded_channel::<Result<PbWatchResponse, Status>>();
        let (news_tx, news_rx) = tmpsc::unbounded_channel::<WatchNews>();
        tokio::spawn(forward_news(news_rx, out_tx));
        tokio::spawn(read_watch_requests(self.clone(), stream, incoming, news_tx, close_at_end));
        out_rx
    }
}

impl MemberApi {
    /// The member's backend as etcd's bolt file ([`super::backend`]), with the header of its answer.
    async fn backend_file(&self) -> Result<(ResponseHeader, Vec<u8>), Status> {
        match self.ask(Request::Snapshot).await? {
            Response::Snapshot { header, data } => {
                let snapshot = SnapshotData::decode(&data).map_err(|e| Status::internal(format!("etcdplay: {e}")))?;
                Ok((header, super::backend::bolt_file(&snapshot)))
            }
            _ => Err(mismatch("snapshot")),
        }
    }

    /// A membership request: the header, the member concerned and the members after it.
    async fn members(
        &self,
        request: Request,
    ) -> Result<(Option<PbResponseHeader>, Option<PbMember>, Vec<PbMember>), Status> {
        match self.ask(request).await? {
            Response::Members { header, member, members } => Ok((
                convert::header(&header),
                member.map(convert::member),
                members.into_iter().map(convert::member).collect(),
            )),
            _ => Err(mismatch("membership")),
        }
    }
}

#[tonic::async_trait]
impl PbClusterService for MemberApi {
    async fn member_add(&self, r: GrpcRequest<PbMemberAddRequest>) -> Answer<PbMemberAddResponse> {
        let r = r.into_inner();
        let m = etcdplay_core::cluster::Member {
            id: 0,
            name: String::new(),
            peer_urls: r.peer_ur_ls,
            client_urls: Vec::new(),
            is_learner: r.is_learner,
        };
        let (header, member, members) = self.members(Request::Member(MemberChange::Add(m))).await?;
        Ok(GrpcResponse::new(PbMemberAddResponse { header, member, members }))
    }

    async fn member_remove(&self, r: GrpcRequest<PbMemberRemoveRequest>) -> Answer<PbMemberRemoveResponse> {
        let (header, _, members) = self.members(Request::Member(MemberChange::Remove(r.into_inner().id))).await?;
        Ok(GrpcResponse::new(PbMemberRemoveResponse { header, members }))
    }

    async fn member_update(&self, r: GrpcRequest<PbMemberUpdateRequest>) -> Answer<PbMemberUpdateResponse> {
        let r = r.into_inner();
        let change = MemberChange::Update { id: r.id, peer_urls: r.peer_ur_ls };
        let (header, _, members) = self.members(Request::Member(change)).await?;
        Ok(GrpcResponse::new(PbMemberUpdateResponse { header, members }))
    }

    async fn member_list(&self, _: GrpcRequest<PbMemberListRequest>) -> Answer<PbMemberListResponse> {
        let (header, _, members) = self.members(Request::MemberList).await?;
        Ok(GrpcResponse::new(PbMemberListResponse { header, members }))
    }

    async fn member_promote(&self, r: GrpcRequest<PbMemberPromoteRequest>) -> Answer<PbMemberPromoteResponse> {
        let (header, _, members) = self.members(Request::Member(MemberChange::Promote(r.into_inner().id))).await?;
        Ok(GrpcResponse::new(PbMemberPromoteResponse { header, members }))
    }
}

fn alarm_type(n: i32) -> Result<Option<AlarmType>, Status> {
    match n {
        0 => Ok(None),
        1 => Ok(Some(AlarmType::NoSpace)),
        2 => Ok(Some(AlarmType::Corrupt)),
        _ => Err(Status::invalid_argument("etcdplay: unknown alarm type")),
    }
}

fn alarm_number(a: AlarmType) -> i32 {
    match a {
        AlarmType::NoSpace => 1,
        AlarmType::Corrupt => 2,
    }
}

#[tonic::async_trait]
impl PbMaintenanceService for MemberApi {
    async fn alarm(&self, r: GrpcRequest<PbAlarmRequest>) -> Answer<PbAlarmResponse> {
        let r = r.into_inner();
        let action = match r.action {
            0 => AlarmAction::Get,
            1 => AlarmAction::Activate,
            2 => AlarmAction::Deactivate,
            _ => return Err(Status::invalid_argument("etcdplay: unknown alarm action")),
        };
        let alarm = alarm_type(r.alarm)?;
        if action != AlarmAction::Get && alarm.is_none() {
            // etcd answers a change of the NONE alarm with no alarms and changes nothing.
            let header = self.handle.with({
                let m = self.member;
                move |d| d.header(m)
            });
            let header = header.await?.ok_or_else(|| status(&ServerError::Unavailable))?;
            return Ok(GrpcResponse::new(PbAlarmResponse { header: convert::header(&header), alarms: Vec::new() }));
        }
        let alarm = AlarmMember { member_id: r.member_id, alarm: alarm.unwrap_or(AlarmType::NoSpace) };
        match self.ask(Request::Alarm { action, alarm }).await? {
            Response::Alarm { header, alarms } => Ok(GrpcResponse::new(PbAlarmResponse {
                header: convert::header(&header),
                alarms: alarms
                    .into_iter()
                    .map(|a| PbAlarmMember { member_id: a.member_id, alarm: alarm_number(a.alarm) })
                    .collect(),
            })),
            _ => Err(mismatch("alarm")),
        }
    }

    async fn status(&self, _: GrpcRequest<PbStatusRequest>) -> Answer<PbStatusResponse> {
        match self.ask(Request::Status).await? {
            Response::Status(s) => Ok(GrpcResponse::new(PbStatusResponse {
                header: convert::header(&s.header),
                version: etcdplay_core::version::VERSION.to_string(),
                db_size: s.db_size as i64,
                leader: s.leader,
                raft_index: s.raft_index,
                raft_term: s.raft_term,
                raft_applied_index: s.raft_applied_index,
                errors: s.errors,
                db_size_in_use: s.db_size_in_use as i64,
                is_learner: s.is_learner,
                ..Default::default()
            })),
            _ => Err(mismatch("status")),
        }
    }

    async fn defragment(&self, _: GrpcRequest<PbDefragmentRequest>) -> Answer<PbDefragmentResponse> {
        let m = self.member;
        let header = self
            .handle
            .with(move |d| {
                let h = d.header(m)?;
                d.defragment(m);
                Some(h)
            })
            .await?
            .ok_or_else(|| status(&ServerError::Unavailable))?;
        Ok(GrpcResponse::new(PbDefragmentResponse { header: convert::header(&header) }))
    }

    /// etcd's CRC-32C of its whole backend file: the same bolt file `Snapshot` streams.
    async fn hash(&self, _: GrpcRequest<PbHashRequest>) -> Answer<PbHashResponse> {
        let (header, file) = self.backend_file().await?;
        Ok(GrpcResponse::new(PbHashResponse {
            header: convert::header(&header),
            hash: etcdplay_core::mvcc::crc32c(&file),
        }))
    }

    async fn hash_kv(&self, r: GrpcRequest<PbHashKvRequest>) -> Answer<PbHashKvResponse> {
        let revision = r.into_inner().revision;
        match self.ask(Request::HashKv { revision }).await? {
            Response::HashKv { header, hash, compact_revision } => Ok(GrpcResponse::new(PbHashKvResponse {
                header: convert::header(&header),
                hash,
                compact_revision,
                hash_revision: if revision > 0 { revision } else { header.revision },
            })),
            _ => Err(mismatch("hashkv")),
        }
    }

    type SnapshotStream = BoxStream<PbSnapshotResponse>;

    /// The member's backend in chunks, as etcd streams its bolt file.
    async fn snapshot(&self, _: GrpcRequest<PbSnapshotRequest>) -> Answer<Self::SnapshotStream> {
        let (header, data) = self.backend_file().await?;
        let data = with_checksum(data);
        const CHUNK: usize = 32 * 1024;
        let total = data.len();
        let chunks: Vec<Result<PbSnapshotResponse, Status>> = data
            .chunks(CHUNK)
            .enumerate()
            .map(|(i, c)| {
                Ok(PbSnapshotResponse {
                    header: convert::header(&header),
                    remaining_bytes: (total - (i * CHUNK + c.len())) as u64,
                    blob: c.to_vec(),
                    version: String::new(),
                })
            })
            .collect();
        Ok(GrpcResponse::new(Box::pin(tokio_stream::iter(chunks))))
    }

    async fn move_leader(&self, r: GrpcRequest<PbMoveLeaderRequest>) -> Answer<PbMoveLeaderResponse> {
        let target = r.into_inner().target_id;
        let (tx, rx) = oneshot::channel();
        let m = self.member;
        self.handle.fire(Box::new(move |d| d.move_leader(m, target, tx)));
        rx.await.unwrap_or(Err(ServerError::Unavailable)).map_err(|e| status(&e))?;
        let header = self.handle.with(move |d| d.header(m)).await?.ok_or_else(|| status(&ServerError::Unavailable))?;
        Ok(GrpcResponse::new(PbMoveLeaderResponse { header: convert::header(&header) }))
    }

    async fn downgrade(&self, _: GrpcRequest<PbDowngradeRequest>) -> Answer<PbDowngradeResponse> {
        Err(Status::unimplemented("unknown method Downgrade for service etcdserverpb.Maintenance"))
    }
}

/// A snapshot as etcd streams it: the bolt file (whole 4,096-byte pages, so whole 512-byte blocks), then
/// the sha256 of what came before (etcdctl refuses a stream without it: `sha256 checksum not found`).
fn with_checksum(mut data: Vec<u8>) -> Vec<u8> {
    use sha2::Digest;
    data.resize(data.len().div_ceil(512) * 512, 0);
    let hash = sha2::Sha256::digest(&data);
    data.extend_from_slice(&hash);
    data
}

#[tonic::async_trait]
impl PbWatchService for MemberApi {
    type WatchStream = BoxStream<PbWatchResponse>;

    /// One bidirectional watch stream: creates, cancels and progress requests in, responses out.
    async fn watch(&self, r: GrpcRequest<Streaming<PbWatchRequest>>) -> Answer<Self::WatchStream> {
        let responses = self.watch_responses(r.into_inner(), false);
        Ok(GrpcResponse::new(Box::pin(tokio_stream::wrappers::UnboundedReceiverStream::new(responses))))
    }
}

/// Turns what the world said into watch responses; the only writer of the stream's responses.
async fn forward_news(
    mut news: tmpsc::UnboundedReceiver<WatchNews>,
    out: tmpsc::UnboundedSender<Result<PbWatchResponse, Status>>,
) {
    // Until the world has nothing more to say, or the client stops listening (its connection went): then
    // the news channel closes and the world's thread drops the stream's watchers.
    while let Some(n) = tokio::select! { n = news.recv() => n, _ = out.closed() => None } {
        let response = match n {
            WatchNews::Created { watch_id, header } => {
                PbWatchResponse { header: convert::header(&header), watch_id, created: true, ..Default::default() }
            }
            WatchNews::Events { watch_id, header, events } => PbWatchResponse {
                header: convert::header(&header),
                watch_id,
                events: events.into_iter().map(convert::event).collect(),
                ..Default::default()
            },
            WatchNews::Compacted { watch_id, header, compact_revision } => PbWatchResponse {
                header: convert::header(&header),
                watch_id,
                canceled: true,
                compact_revision,
                ..Default::default()
            },
            WatchNews::Canceled { watch_id, header } => {
                PbWatchResponse { header: convert::header(&header), watch_id, canceled: true, ..Default::default() }
            }
            WatchNews::Progress { header } => {
                PbWatchResponse { header: convert::header(&header), watch_id: -1, ..Default::default() }
            }
            WatchNews::Gone => {
                let _ = out.send(Err(status(&ServerError::Unavailable)));
                return;
            }
        };
        if out.send(Ok(response)).is_err() {
            return;
        }
    }
}

/// Reads a watch stream's requests until the client closes it; every answer goes through the world.
async fn read_watch_requests(
    api: MemberApi,
    stream: u64,
    mut incoming: impl Stream<Item = Result<PbWatchRequest, Status>> + Unpin,
    news: tmpsc::UnboundedSender<WatchNews>,
    close_at_end: bool,
) {
    let mut next_id = 0i64;
    let m = api.member;
    while let Some(Ok(req)) = incoming.next().await {
        let news = news.clone();
        let job: Job = match req.request_union {
            Some(PbWatchRequestUnion::CreateRequest(c)) => {
                let watch_id = if c.watch_id != 0 { c.watch_id } else { next_id };
                next_id = next_id.max(watch_id + 1);
                let spec = WatchSpec {
                    stream,
                    watch_id,
                    key: c.key,
                    range_end: c.range_end,
                    start_revision: c.start_revision,
                    prev_kv: c.prev_kv,
                    no_put: c.filters.contains(&0),
                    no_delete: c.filters.contains(&1),
                };
                Box::new(move |d| d.create_watch(m, spec, news))
            }
            Some(PbWatchRequestUnion::CancelRequest(c)) => {
                Box::new(move |d| d.cancel_watch(m, stream, c.watch_id, news))
            }
            Some(PbWatchRequestUnion::ProgressRequest(_)) => Box::new(move |d| d.progress(m, news)),
            None => continue,
        };
        api.handle.fire(job);
    }
    // A client that only stops sending (a half-close) keeps its watchers, as etcd's does; the gateway's
    // request stream ends with its connection, and then they go.
    if close_at_end {
        api.handle.fire(Box::new(move |d| d.close_watch_stream(stream)));
    }
}
