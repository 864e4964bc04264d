//! Helpers shared by the cross-crate suites in `tests/tests/`.

use std::path::PathBuf;

/// The directory of shared reference material: `$ETCDPLAY_SHARED`, else `../shared` beside the
/// repository, else `/work/shared` (where a clone elsewhere, such as CI's fresh clone, finds it).
/// None when none exists.
pub fn shared_dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ETCDPLAY_SHARED") {
        return Some(PathBuf::from(p));
    }
    let beside = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    [beside, PathBuf::from("/work/shared")].into_iter().find(|p| p.join("etcdctl-golden").is_dir())
}

/// A seed for a randomized test: `$ETCDPLAY_SEED` if set (to replay a failure), else `default`.
/// Always printed so a failing run can be reproduced.
pub fn seed(default: u64) -> u64 {
    let seed = std::env::var("ETCDPLAY_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(default);
    println!("seed {seed} (replay with ETCDPLAY_SEED={seed})");
    seed
}
