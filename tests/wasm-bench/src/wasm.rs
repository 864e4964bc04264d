//! The wasm entry point: `tests/browser/wasm-bench.mjs` loads this build in headless Chromium and calls
//! [`run`] with a benchmark's name. Time is `performance.now()` (coarsened by the browser to 0.1 ms or
//! less, far below the workloads' hundreds of milliseconds); the heap is counted by a global allocator
//! wrapping the default one, as the native benchmark counts it.

use super::heap::{live_bytes, Counting};
use super::{mvcc, pipeline, Meters, Report};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`: milliseconds since the page's time origin.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Runs the benchmark called `name` (`pipeline` or `mvcc`) and returns what it printed: the summary lines,
/// then one tab-separated `figure` line per figure. An unknown name returns an empty string.
#[wasm_bindgen]
pub fn run(name: &str) -> String {
    let now_s = || performance_now() / 1e3;
    let m = Meters { now_s: &now_s, heap_bytes: &live_bytes };
    let report: Report = match name {
        "pipeline" => pipeline(&m),
        "mvcc" => mvcc(&m),
        _ => return String::new(),
    };
    let figures = report.figures.iter().map(ToString::to_string);
    report.lines.into_iter().chain(figures).collect::<Vec<_>>().join("\n")
}
