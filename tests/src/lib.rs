//! Helpers shared by the cross-crate suites in `tests/tests/`.

use std::path::PathBuf;

/// The directory of shared reference material: `$ETCDPLAY_SHARED`, or `../shared` beside the repository.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("ETCDPLAY_SHARED") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
    }
}

/// A seed for a randomized test: `$ETCDPLAY_SEED` if set (to replay a failure), else `default`.
/// Always printed so a failing run can be reproduced.
pub fn seed(default: u64) -> u64 {
    let seed = std::env::var("ETCDPLAY_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(default);
    println!("seed {seed} (replay with ETCDPLAY_SEED={seed})");
    seed
}
