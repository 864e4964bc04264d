//! The requests a member serves and their responses: the subset of etcd's `etcdserverpb` KV API that the
//! console drives. Write requests travel through Raft as [`Proposal`]s; reads never enter the log.

use crate::mvcc::versions::byte_string;
use crate::mvcc::KeyValue;
use serde::{Deserialize, Serialize};
use std::fmt;

pub use super::txn::{Compare, CompareResult, CompareTarget, RequestOp, ResponseOp, TxnRequest, TxnResponse};

/// A client request as it reaches a member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    Range(RangeRequest),
    Put(PutRequest),
    DeleteRange(DeleteRangeRequest),
    /// Compares, then the success or the failure ops, atomically at one revision.
    Txn(TxnRequest),
    /// `id` 0 lets the receiving member pick one with its ID generator.
    LeaseGrant {
        id: i64,
        ttl_s: i64,
    },
    LeaseRevoke {
        id: i64,
    },
    LeaseKeepAlive {
        id: i64,
    },
    LeaseTimeToLive {
        id: i64,
        keys: bool,
    },
    LeaseLeases,
    /// Drop history older than `revision`; `physical` waits until it is gone from the backend.
    Compaction {
        revision: i64,
        physical: bool,
    },
    MemberList,
    /// A membership change, proposed as a Raft conf change.
    Member(super::membership::MemberChange),
    /// List (Get), raise or clear an alarm.
    Alarm {
        action: super::alarm::AlarmAction,
        alarm: super::alarm::AlarmMember,
    },
    /// Maintenance: the member's status (`endpoint status`).
    Status,
    /// Maintenance: the hash of the keyspace at `revision` (0: the current one), `endpoint hashkv`.
    HashKv {
        revision: i64,
    },
    /// Maintenance: the member's backend as a snapshot file (`snapshot save`).
    Snapshot,
}

/// How a member serves a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// Through the Raft log, answered when applied.
    Proposed,
    /// After a ReadIndex round, from the local store.
    Linearizable,
    /// From the member's own state at once.
    Local,
    /// By the leader (etcd forwards these to it): lease renewals and time-to-live.
    Leader,
    /// Through the Raft log as a configuration change (membership).
    ConfChange,
}

impl Request {
    pub fn route(&self) -> Route {
        match self {
            Request::Range(r) if r.serializable => Route::Local,
            Request::Range(_) => Route::Linearizable,
            Request::LeaseLeases | Request::MemberList => Route::Local,
            Request::Status | Request::HashKv { .. } | Request::Snapshot => Route::Local,
            Request::Alarm { action: super::alarm::AlarmAction::Get, .. } => Route::Local,
            Request::Member(super::membership::MemberChange::Publish { .. }) => Route::Proposed,
            Request::Member(_) => Route::ConfChange,
            Request::LeaseKeepAlive { .. } | Request::LeaseTimeToLive { .. } => Route::Leader,
            _ => Route::Proposed,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeRequest {
    #[serde(with = "byte_string")]
    pub key: Vec<u8>,
    #[serde(with = "byte_string")]
    pub range_end: Vec<u8>,
    pub limit: i64,
    pub revision: i64,
    /// Served from the local store without consulting the leader (`--consistency=s`).
    pub serializable: bool,
    pub keys_only: bool,
    pub count_only: bool,
    pub sort_order: SortOrder,
    pub sort_target: SortTarget,
    /// Filters on the keys found (0: none), applied before the limit; the count is still of every key
    /// in the range (etcd's `pruneKVs`). Clients use them to wait for older holders of a lock or an
    /// election (`concurrency.waitDeletes`).
    pub min_mod_revision: i64,
    pub max_mod_revision: i64,
    pub min_create_revision: i64,
    pub max_create_revision: i64,
}

/// `RangeRequest.SortOrder`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortOrder {
    #[default]
    None,
    Ascend,
    Descend,
}

/// `RangeRequest.SortTarget`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortTarget {
    #[default]
    Key,
    Version,
    Create,
    Mod,
    Value,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutRequest {
    #[serde(with = "byte_string")]
    pub key: Vec<u8>,
    #[serde(with = "byte_string")]
    pub value: Vec<u8>,
    pub lease: i64,
    pub prev_kv: bool,
    pub ignore_value: bool,
    pub ignore_lease: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteRangeRequest {
    #[serde(with = "byte_string")]
    pub key: Vec<u8>,
    #[serde(with = "byte_string")]
    pub range_end: Vec<u8>,
    pub prev_kv: bool,
}

/// What a Raft log entry carries: the request and the ID its origin member waits on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    pub id: u64,
    pub request: Request,
}

/// The values of a proposal's puts (a put, or every put of a txn's branches) as slices of its encoding,
/// so that the store can keep a slice of the Raft entry instead of a copy (`Store::offer_values`). Empty
/// for other requests, or if `data` is not a proposal.
pub fn put_values(data: &[u8]) -> Vec<&[u8]> {
    match postcard::from_bytes::<shape::Proposal<'_>>(data).map(|p| p.request) {
        Ok(shape::Request::Put(p)) => vec![p.value],
        Ok(shape::Request::Txn(t)) => t
            .success
            .iter()
            .chain(&t.failure)
            .filter_map(|op| if let shape::Op::Put(p) = op { Some(p.value) } else { None })
            .collect(),
        _ => Vec::new(),
    }
}

/// [`Proposal`]'s encoding read with borrowed byte strings, field for field (postcard is not
/// self-describing, so the shapes must match; `put_values_borrow_from_the_encoding` checks them). Only
/// the requests that can carry puts are listed: decoding any other fails, which means no values.
/// Fields that are decoded only to get past them are never read.
#[allow(dead_code)]
mod shape {
    use super::{Compare, DeleteRangeRequest, RangeRequest};
    use serde::Deserialize;

    #[derive(Deserialize)]
    pub struct Proposal<'a> {
        pub id: u64,
        #[serde(borrow)]
        pub request: Request<'a>,
    }

    #[derive(Deserialize)]
    pub enum Request<'a> {
        Range(RangeRequest),
        #[serde(borrow)]
        Put(Put<'a>),
        DeleteRange(DeleteRangeRequest),
        #[serde(borrow)]
        Txn(Txn<'a>),
    }

    #[derive(Deserialize)]
    pub struct Put<'a> {
        pub key: &'a [u8],
        pub value: &'a [u8],
        pub lease: i64,
        pub prev_kv: bool,
        pub ignore_value: bool,
        pub ignore_lease: bool,
    }

    #[derive(Deserialize)]
    pub struct Txn<'a> {
        pub compare: Vec<Compare>,
        #[serde(borrow)]
        pub success: Vec<Op<'a>>,
        #[serde(borrow)]
        pub failure: Vec<Op<'a>>,
    }

    #[derive(Deserialize)]
    pub enum Op<'a> {
        Range(RangeRequest),
        #[serde(borrow)]
        Put(Put<'a>),
        DeleteRange(DeleteRangeRequest),
    }
}

/// etcd's `ResponseHeader`: who answered, at which store revision and Raft term.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResponseHeader {
    pub cluster_id: u64,
    pub member_id: u64,
    pub revision: i64,
    pub raft_term: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response {
    Range(RangeResponse),
    Put(PutResponse),
    DeleteRange(DeleteRangeResponse),
    Txn(TxnResponse),
    LeaseGrant {
        header: ResponseHeader,
        id: i64,
        ttl_s: i64,
    },
    LeaseRevoke {
        header: ResponseHeader,
    },
    LeaseKeepAlive {
        header: ResponseHeader,
        id: i64,
        ttl_s: i64,
    },
    /// `ttl_s` is -1 for a lease that does not exist (expired or revoked).
    LeaseTimeToLive {
        header: ResponseHeader,
        id: i64,
        ttl_s: i64,
        granted_ttl_s: i64,
        keys: Vec<Vec<u8>>,
    },
    LeaseLeases {
        header: ResponseHeader,
        leases: Vec<i64>,
    },
    Compaction {
        header: ResponseHeader,
    },
    /// The alarms listed, raised or cleared.
    Alarm {
        header: ResponseHeader,
        alarms: Vec<super::alarm::AlarmMember>,
    },
    /// Membership answers: the member concerned (for changes) and the members after it.
    Members {
        header: ResponseHeader,
        member: Option<crate::cluster::Member>,
        members: Vec<crate::cluster::Member>,
    },
    Status(StatusResponse),
    HashKv {
        header: ResponseHeader,
        hash: u32,
        compact_revision: i64,
    },
    /// A snapshot file's bytes (`snapshot::SnapshotData::encode`).
    Snapshot {
        header: ResponseHeader,
        data: Vec<u8>,
    },
}

/// What a member says of itself (etcd's `StatusResponse`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatusResponse {
    pub header: ResponseHeader,
    pub db_size: u64,
    pub db_size_in_use: u64,
    /// The leader this member knows, 0 for none.
    pub leader: u64,
    pub raft_index: u64,
    pub raft_term: u64,
    pub raft_applied_index: u64,
    pub is_learner: bool,
    /// Active alarms, and `etcdserver: no leader` without a leader.
    pub errors: Vec<String>,
}

impl Response {
    pub fn header_mut(&mut self) -> &mut ResponseHeader {
        match self {
            Response::Range(x) => &mut x.header,
            Response::Put(x) => &mut x.header,
            Response::DeleteRange(x) => &mut x.header,
            Response::Txn(x) => &mut x.header,
            Response::Status(x) => &mut x.header,
            Response::LeaseGrant { header, .. }
            | Response::LeaseRevoke { header }
            | Response::LeaseKeepAlive { header, .. }
            | Response::LeaseTimeToLive { header, .. }
            | Response::LeaseLeases { header, .. }
            | Response::Compaction { header }
            | Response::Members { header, .. }
            | Response::HashKv { header, .. }
            | Response::Snapshot { header, .. }
            | Response::Alarm { header, .. } => header,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeResponse {
    pub header: ResponseHeader,
    pub kvs: Vec<KeyValue>,
    pub more: bool,
    pub count: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PutResponse {
    pub header: ResponseHeader,
    pub prev_kv: Option<KeyValue>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeleteRangeResponse {
    pub header: ResponseHeader,
    pub deleted: i64,
    pub prev_kvs: Vec<KeyValue>,
}

/// Server-side errors, displayed with etcd's texts (etcdctl prefixes them with `Error: `).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerError {
    KeyNotProvided,
    KeyNotFound,
    Compacted,
    FutureRev,
    LeaseNotFound,
    LeaseExist,
    LeaseTtlTooLarge,
    /// A txn branch (or its compares) has more than 128 entries.
    TooManyOps,
    /// A txn branch writes the same key twice.
    DuplicateKey,
    /// A put with `ignore_value` also carries a value.
    ValueProvided,
    /// A put with `ignore_lease` also carries a lease.
    LeaseProvided,
    BadLeaderTransferee,
    /// A leader-only request (`MoveLeader`) reached a follower.
    NotLeader,
    NoSpace,
    ProposeTimeout,
    RequestTimeout,
    RequestTimeoutLeaderFail,
    MemberNotFound,
    MemberExists,
    MemberRemoved,
    PeerUrlExists,
    MemberNotLearner,
    LearnerNotReady,
    LeaderTransferTimeout,
    /// The client gave up waiting (etcdctl's `--command-timeout`).
    DeadlineExceeded,
    /// Nothing answers at the endpoint.
    Unavailable,
    /// A member that knows no leader (as `endpoint status` lists it among a member's errors).
    NoLeader,
    /// A write larger than `--max-request-bytes` (1.5 MiB by default).
    RequestTooLarge,
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ServerError::KeyNotProvided => "etcdserver: key is not provided",
            ServerError::KeyNotFound => "etcdserver: key not found",
            ServerError::NoLeader => "etcdserver: no leader",
            ServerError::Compacted => "etcdserver: mvcc: required revision has been compacted",
            ServerError::FutureRev => "etcdserver: mvcc: required revision is a future revision",
            ServerError::LeaseNotFound => "etcdserver: requested lease not found",
            ServerError::LeaseExist => "etcdserver: lease already exists",
            ServerError::LeaseTtlTooLarge => "etcdserver: too large lease TTL",
            ServerError::TooManyOps => "etcdserver: too many operations in txn request",
            ServerError::DuplicateKey => "etcdserver: duplicate key given in txn request",
            ServerError::ValueProvided => "etcdserver: value is provided",
            ServerError::LeaseProvided => "etcdserver: lease is provided",
            ServerError::BadLeaderTransferee => "etcdserver: bad leader transferee",
            ServerError::NotLeader => "etcdserver: not leader",
            ServerError::NoSpace => "etcdserver: mvcc: database space exceeded",
            // A proposal Raft never accepted (no leader) fails with its context's error, which reaches
            // the client as a status-less gRPC error.
            ServerError::ProposeTimeout => "rpc error: code = Unknown desc = context deadline exceeded",
            ServerError::RequestTimeout => "etcdserver: request timed out",
            ServerError::RequestTimeoutLeaderFail => {
                "etcdserver: request timed out, possibly due to previous leader failure"
            }
            ServerError::MemberNotFound => "etcdserver: member not found",
            ServerError::MemberExists => "etcdserver: member ID already exist",
            ServerError::MemberRemoved => "etcdserver: the member has been permanently removed from the cluster",
            ServerError::PeerUrlExists => "etcdserver: Peer URLs already exists",
            ServerError::MemberNotLearner => "etcdserver: can only promote a learner member",
            ServerError::LearnerNotReady => {
                "etcdserver: can only promote a learner member which is in sync with leader"
            }
            ServerError::LeaderTransferTimeout => "etcdserver: request timed out, leader transfer took too long",
            ServerError::DeadlineExceeded => "context deadline exceeded",
            ServerError::Unavailable => "context deadline exceeded",
            ServerError::RequestTooLarge => "etcdserver: request is too large",
        })
    }
}

impl From<crate::mvcc::MvccError> for ServerError {
    fn from(e: crate::mvcc::MvccError) -> Self {
        match e {
            crate::mvcc::MvccError::Compacted => ServerError::Compacted,
            crate::mvcc::MvccError::FutureRev => ServerError::FutureRev,
        }
    }
}

pub type ServerResult = Result<Response, ServerError>;

#[cfg(test)]
mod tests {
    use super::*;

    fn put(key: &str, value: &str) -> PutRequest {
        PutRequest { key: key.into(), value: value.into(), lease: 7, prev_kv: true, ..Default::default() }
    }

    /// Whether `part` lies inside `whole`'s memory (a borrowed slice, not a copy).
    fn within(part: &[u8], whole: &[u8]) -> bool {
        let range = whole.as_ptr_range();
        range.start <= part.as_ptr() && part.as_ptr_range().end <= range.end
    }

    #[test]
    fn put_values_borrow_from_the_encoding() {
        let single = postcard::to_allocvec(&Proposal { id: 9, request: Request::Put(put("k", "value")) }).unwrap();
        let values = put_values(&single);
        assert_eq!(values, [&b"value"[..]]);
        assert!(within(values[0], &single));

        let txn = TxnRequest {
            compare: vec![Compare {
                result: CompareResult::Equal,
                target: CompareTarget::Value(b"old".to_vec()),
                key: b"a".to_vec(),
                range_end: vec![],
            }],
            success: vec![
                RequestOp::Range(RangeRequest { key: b"r".to_vec(), limit: 3, ..Default::default() }),
                RequestOp::Put(put("a", "new")),
                RequestOp::DeleteRange(DeleteRangeRequest { key: b"d".to_vec(), range_end: vec![0], prev_kv: true }),
                RequestOp::Put(put("b", "second")),
            ],
            failure: vec![RequestOp::Put(put("c", "otherwise"))],
        };
        let txn = postcard::to_allocvec(&Proposal { id: u64::MAX, request: Request::Txn(txn) }).unwrap();
        let values = put_values(&txn);
        assert_eq!(values, [&b"new"[..], b"second", b"otherwise"]);
        assert!(values.iter().all(|v| within(v, &txn)));

        let grant =
            postcard::to_allocvec(&Proposal { id: 1, request: Request::LeaseGrant { id: 5, ttl_s: 60 } }).unwrap();
        assert!(put_values(&grant).is_empty());
        assert!(put_values(b"\xff\xff not a proposal").is_empty());
    }
}
