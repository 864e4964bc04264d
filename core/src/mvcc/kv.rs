//! The stored key-value record, with the fields etcd's `mvccpb.KeyValue` carries.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyValue {
    #[serde(with = "super::versions::byte_string")]
    pub key: Vec<u8>,
    pub create_revision: i64,
    pub mod_revision: i64,
    pub version: i64,
    #[serde(with = "super::versions::byte_string")]
    pub value: Vec<u8>,
    pub lease: i64,
}
