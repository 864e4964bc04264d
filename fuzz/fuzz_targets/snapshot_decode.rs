//! Any bytes as a snapshot file: decoding refuses or accepts without panicking, and an accepted file's
//! hash and keyspace can be read.
#![no_main]

use etcdplay_core::snapshot::SnapshotData;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(snapshot) = SnapshotData::decode(data) {
        let _ = snapshot.hash();
        let _ = snapshot.store();
        let _ = snapshot.total_keys();
    }
});
