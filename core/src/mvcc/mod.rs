//! etcd's multi-version concurrency control store: revisions, the key index of generations, and the
//! revision-ordered key-value history. Owns what `server/storage/mvcc` owns in etcd.

mod compaction;
mod index;
pub mod key_index;
pub mod kv;
pub mod revision;
pub mod store;
pub mod versions;
pub mod view;

pub use kv::KeyValue;
pub use revision::Revision;
pub use store::{crc32c, prefix_end, KeyRange, MvccError, RangeResult, Store, WriteTxn};
pub use versions::Version;
