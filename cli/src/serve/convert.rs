//! etcd's protobuf messages to the core's requests and back, and the core's errors as etcd's gRPC
//! statuses (etcd's `rpctypes`: the code a client library switches on, the message etcdctl prints).

use etcd_client::proto::*;
use etcdplay_core::cluster::Member;
use etcdplay_core::mvcc::KeyValue;
use etcdplay_core::server::api::{
    self, Compare, CompareResult, CompareTarget, RequestOp, ResponseHeader, ResponseOp, ServerError, SortOrder,
    SortTarget,
};
use etcdplay_core::server::watch::{EventType, WatchEvent};
use tonic::{Code, Status};

/// The gRPC status etcd sends for a server error.
pub fn status(e: &ServerError) -> Status {
    use ServerError::*;
    let code = match e {
        KeyNotProvided | TooManyOps | DuplicateKey | ValueProvided | LeaseProvided | RequestTooLarge | KeyNotFound => {
            Code::InvalidArgument
        }
        Compacted | FutureRev | LeaseTtlTooLarge => Code::OutOfRange,
        LeaseNotFound | MemberNotFound => Code::NotFound,
        LeaseExist | BadLeaderTransferee | NotLeader | MemberExists | PeerUrlExists | MemberNotLearner
        | LearnerNotReady | MemberRemoved => Code::FailedPrecondition,
        NoSpace => Code::ResourceExhausted,
        RequestTimeout | RequestTimeoutLeaderFail | LeaderTransferTimeout | NoLeader | Unavailable => Code::Unavailable,
        DeadlineExceeded => Code::DeadlineExceeded,
        // A proposal whose context ran out: the handler's plain error, which gRPC sends as Unknown.
        ProposeTimeout => return Status::new(Code::Unknown, "context deadline exceeded"),
    };
    let message = match e {
        Unavailable => "etcdserver: the member is not running".to_string(),
        other => other.to_string(),
    };
    Status::new(code, message)
}

pub fn header(h: &ResponseHeader) -> Option<PbResponseHeader> {
    Some(PbResponseHeader {
        cluster_id: h.cluster_id,
        member_id: h.member_id,
        revision: h.revision,
        raft_term: h.raft_term,
    })
}

pub fn kv(kv: KeyValue) -> PbKeyValue {
    PbKeyValue {
        key: kv.key,
        create_revision: kv.create_revision,
        mod_revision: kv.mod_revision,
        version: kv.version,
        value: kv.value,
        lease: kv.lease,
    }
}

pub fn event(e: WatchEvent) -> PbEvent {
    PbEvent { r#type: if e.kind == EventType::Put { 0 } else { 1 }, kv: Some(kv(e.kv)), prev_kv: e.prev_kv.map(kv) }
}

pub fn member(m: Member) -> PbMember {
    PbMember { id: m.id, name: m.name, peer_ur_ls: m.peer_urls, client_ur_ls: m.client_urls, is_learner: m.is_learner }
}

fn invalid(what: &str) -> Status {
    Status::invalid_argument(what.to_string())
}

pub fn range_request(r: PbRangeRequest) -> Result<api::RangeRequest, Status> {
    let sort_order = match r.sort_order {
        0 => SortOrder::None,
        1 => SortOrder::Ascend,
        2 => SortOrder::Descend,
        _ => return Err(invalid("etcdplay: unknown sort order")),
    };
    let sort_target = match r.sort_target {
        0 => SortTarget::Key,
        1 => SortTarget::Version,
        2 => SortTarget::Create,
        3 => SortTarget::Mod,
        4 => SortTarget::Value,
        _ => return Err(invalid("etcdplay: unknown sort target")),
    };
    Ok(api::RangeRequest {
        key: r.key,
        range_end: r.range_end,
        limit: r.limit,
        revision: r.revision,
        serializable: r.serializable,
        keys_only: r.keys_only,
        count_only: r.count_only,
        sort_order,
        sort_target,
        min_mod_revision: r.min_mod_revision,
        max_mod_revision: r.max_mod_revision,
        min_create_revision: r.min_create_revision,
        max_create_revision: r.max_create_revision,
    })
}

pub fn put_request(r: PbPutRequest) -> api::PutRequest {
    api::PutRequest {
        key: r.key,
        value: r.value,
        lease: r.lease,
        prev_kv: r.prev_kv,
        ignore_value: r.ignore_value,
        ignore_lease: r.ignore_lease,
    }
}

pub fn delete_request(r: PbDeleteRequest) -> api::DeleteRangeRequest {
    api::DeleteRangeRequest { key: r.key, range_end: r.range_end, prev_kv: r.prev_kv }
}

fn compare(c: PbCompare) -> Result<Compare, Status> {
    let result = match c.result {
        0 => CompareResult::Equal,
        1 => CompareResult::Greater,
        2 => CompareResult::Less,
        3 => CompareResult::NotEqual,
        _ => return Err(invalid("etcdplay: unknown compare result")),
    };
    let target = match (c.target, c.target_union) {
        (0, Some(PbTargetUnion::Version(v))) => CompareTarget::Version(v),
        (1, Some(PbTargetUnion::CreateRevision(v))) => CompareTarget::Create(v),
        (2, Some(PbTargetUnion::ModRevision(v))) => CompareTarget::Mod(v),
        (3, Some(PbTargetUnion::Value(v))) => CompareTarget::Value(v),
        (4, Some(PbTargetUnion::Lease(v))) => CompareTarget::Lease(v),
        // proto3 drops a zero value from the oneof: the target alone says which it was.
        (0, None) => CompareTarget::Version(0),
        (1, None) => CompareTarget::Create(0),
        (2, None) => CompareTarget::Mod(0),
        (3, None) => CompareTarget::Value(Vec::new()),
        (4, None) => CompareTarget::Lease(0),
        _ => return Err(invalid("etcdplay: compare target and value disagree")),
    };
    Ok(Compare { result, target, key: c.key, range_end: c.range_end })
}

fn request_op(op: PbTxnRequestOp) -> Result<RequestOp, Status> {
    match op.request {
        Some(PbTxnOpRequest::RequestRange(r)) => Ok(RequestOp::Range(range_request(r)?)),
        Some(PbTxnOpRequest::RequestPut(p)) => Ok(RequestOp::Put(put_request(p))),
        Some(PbTxnOpRequest::RequestDeleteRange(d)) => Ok(RequestOp::DeleteRange(delete_request(d))),
        Some(PbTxnOpRequest::RequestTxn(_)) => Err(Status::unimplemented("etcdplay: nested txns are not simulated")),
        None => Err(invalid("etcdplay: empty txn op")),
    }
}

pub fn txn_request(t: PbTxnRequest) -> Result<api::TxnRequest, Status> {
    Ok(api::TxnRequest {
        compare: t.compare.into_iter().map(compare).collect::<Result<_, _>>()?,
        success: t.success.into_iter().map(request_op).collect::<Result<_, _>>()?,
        failure: t.failure.into_iter().map(request_op).collect::<Result<_, _>>()?,
    })
}

pub fn range_response(r: api::RangeResponse) -> PbRangeResponse {
    PbRangeResponse {
        header: header(&r.header),
        kvs: r.kvs.into_iter().map(kv).collect(),
        more: r.more,
        count: r.count,
    }
}

pub fn put_response(r: api::PutResponse) -> PbPutResponse {
    PbPutResponse { header: header(&r.header), prev_kv: r.prev_kv.map(kv) }
}

pub fn delete_response(r: api::DeleteRangeResponse) -> PbDeleteResponse {
    PbDeleteResponse {
        header: header(&r.header),
        deleted: r.deleted,
        prev_kvs: r.prev_kvs.into_iter().map(kv).collect(),
    }
}

pub fn txn_response(t: api::TxnResponse) -> PbTxnResponse {
    // etcd stamps the ops' own headers with the txn's revision only; the rest stays zero.
    let inner = |h: &ResponseHeader| Some(PbResponseHeader { revision: h.revision, ..Default::default() });
    let responses = t
        .responses
        .into_iter()
        .map(|r| PbResponseOp {
            response: Some(match r {
                ResponseOp::Range(r) => {
                    PbTxnOpResponse::ResponseRange(PbRangeResponse { header: inner(&r.header), ..range_response(r) })
                }
                ResponseOp::Put(p) => {
                    PbTxnOpResponse::ResponsePut(PbPutResponse { header: inner(&p.header), ..put_response(p) })
                }
                ResponseOp::DeleteRange(d) => PbTxnOpResponse::ResponseDeleteRange(PbDeleteResponse {
                    header: inner(&d.header),
                    ..delete_response(d)
                }),
            }),
        })
        .collect();
    PbTxnResponse { header: header(&t.header), succeeded: t.succeeded, responses }
}
