//! Alarms: a member raises NOSPACE when a write would take the backend past its quota; the alarm is
//! replicated through Raft, and while it is active the cluster refuses writes that add data (puts,
//! transactions with puts, lease grants) until an operator runs `alarm disarm`, as etcd's capped
//! applier does. Deletes and compaction still work, so space can be freed first.

use super::api::{Request, ServerError};
use super::txn::RequestOp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// etcd's default `--quota-backend-bytes` (2 GiB).
pub const DEFAULT_QUOTA_BYTES: u64 = 2 * 1024 * 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AlarmType {
    NoSpace,
    Corrupt,
}

impl fmt::Display for AlarmType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AlarmType::NoSpace => "NOSPACE",
            AlarmType::Corrupt => "CORRUPT",
        })
    }
}

/// An alarm raised by one member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AlarmMember {
    pub member_id: u64,
    pub alarm: AlarmType,
}

impl fmt::Display for AlarmMember {
    /// The protobuf text form etcd prints (`memberID:<id> alarm:NOSPACE `, trailing space included).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "memberID:{} alarm:{} ", self.member_id, self.alarm)
    }
}

/// `AlarmRequest.AlarmAction`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlarmAction {
    Get,
    Activate,
    Deactivate,
}

/// The cluster's active alarms, as one member has applied them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Alarms {
    active: BTreeSet<AlarmMember>,
}

impl Alarms {
    pub fn list(&self) -> Vec<AlarmMember> {
        self.active.iter().copied().collect()
    }

    /// Applies an activate or deactivate; returns the alarms it changed.
    pub fn apply(&mut self, action: AlarmAction, a: AlarmMember) -> Vec<AlarmMember> {
        let changed = match action {
            AlarmAction::Activate => self.active.insert(a),
            AlarmAction::Deactivate => self.active.remove(&a),
            AlarmAction::Get => false,
        };
        if changed {
            vec![a]
        } else {
            Vec::new()
        }
    }

    pub fn no_space(&self) -> bool {
        self.active.iter().any(|a| a.alarm == AlarmType::NoSpace)
    }

    /// etcd's capped applier: with NOSPACE active, writes that add data are refused.
    pub fn check(&self, req: &Request) -> Result<(), ServerError> {
        if self.no_space() && adds_data(req) {
            return Err(ServerError::NoSpace);
        }
        Ok(())
    }
}

/// Whether a request can grow the backend (what the quota and the NOSPACE alarm stop).
pub fn adds_data(req: &Request) -> bool {
    match req {
        Request::Put(_) | Request::LeaseGrant { .. } => true,
        Request::Txn(t) => t.success.iter().chain(&t.failure).any(|op| matches!(op, RequestOp::Put(_))),
        _ => false,
    }
}

/// The bytes a request may add, as etcd's quota estimates it (key, value and fixed overheads).
pub fn cost(req: &Request) -> u64 {
    const OVERHEAD: u64 = 256;
    match req {
        Request::Put(p) => (p.key.len() + p.value.len()) as u64 + OVERHEAD,
        Request::Txn(t) => t
            .success
            .iter()
            .chain(&t.failure)
            .map(|op| match op {
                RequestOp::Put(p) => (p.key.len() + p.value.len()) as u64 + OVERHEAD,
                _ => 0,
            })
            .sum(),
        Request::LeaseGrant { .. } => OVERHEAD,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::api::{DeleteRangeRequest, PutRequest};

    #[test]
    fn nospace_caps_writes_that_add_data() {
        let mut alarms = Alarms::default();
        let put = Request::Put(PutRequest { key: b"k".to_vec(), ..Default::default() });
        let del = Request::DeleteRange(DeleteRangeRequest { key: b"k".to_vec(), ..Default::default() });
        assert_eq!(alarms.check(&put), Ok(()));
        let a = AlarmMember { member_id: 7, alarm: AlarmType::NoSpace };
        assert_eq!(alarms.apply(AlarmAction::Activate, a), vec![a]);
        assert_eq!(alarms.check(&put), Err(ServerError::NoSpace));
        assert_eq!(alarms.check(&del), Ok(()), "deletes free space, so they pass");
        assert_eq!(a.to_string(), "memberID:7 alarm:NOSPACE ");
        assert_eq!(alarms.apply(AlarmAction::Deactivate, a), vec![a]);
        assert_eq!(alarms.check(&put), Ok(()));
    }
}
