//! Conformance suite: replays ../shared/etcdctl-golden (or `$ETCDPLAY_SHARED/etcdctl-golden`) through
//! the same code as `etcdplay golden`, scores it with the reference's own `compare.py`, prints the score,
//! and fails if fewer cases pass than the checked-in threshold (`tests/golden/threshold`).

use std::path::Path;
use std::process::Command;

fn score(line: &str) -> Option<(u32, u32, u32)> {
    let w: Vec<&str> = line.split_whitespace().collect();
    match w.as_slice() {
        [p, "passed,", f, "failed,", s, "skipped"] => Some((p.parse().ok()?, f.parse().ok()?, s.parse().ok()?)),
        _ => None,
    }
}

#[test]
fn golden_cases_score_at_least_the_threshold() {
    let Some(shared) = etcdplay_tests::shared_dir() else {
        println!("GOLDEN SKIPPED: no etcdctl-golden found (set ETCDPLAY_SHARED to the shared/ directory)");
        return;
    };
    let dir = shared.join("etcdctl-golden");
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{}/{name}: {e}", dir.display()))
    };
    let lines =
        etcdplay_core::golden::replay(&read("cluster.json"), &read("cases.jsonl"), 1).expect("reference parses");
    let help = etcdplay_core::golden::replay_help(&read("help.jsonl"), 1).expect("help parses");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let results = out.join("golden-results.jsonl");
    let help_results = out.join("golden-help-results.jsonl");
    std::fs::write(&results, lines.join("\n") + "\n").expect("write results");
    std::fs::write(&help_results, help.join("\n") + "\n").expect("write help results");
    let run = |extra: &[&str]| {
        let o = Command::new("python3")
            .arg(dir.join("compare.py"))
            .arg(&dir)
            .arg(&results)
            .args(extra)
            .output()
            .expect("python3 runs compare.py");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let cases = run(&["--max-diff", "400"]);
    let with_help = run(&["--max-diff", "0", "--help-results", help_results.to_str().expect("utf-8 path")]);
    println!("{cases}");
    let (passed, failed, skipped) = cases.lines().rev().find_map(score).expect("compare.py prints a score");
    let (all_passed, all_failed, _) = with_help.lines().rev().find_map(score).expect("score with help");
    println!("golden cases: {passed} passed, {failed} failed, {skipped} skipped");
    println!("golden help texts: {} passed, {} failed", all_passed - passed, all_failed - failed);
    let threshold: u32 = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("golden/threshold"))
        .expect("threshold file")
        .trim()
        .parse()
        .expect("threshold is a number");
    assert!(all_passed >= threshold, "golden score {all_passed} (cases + help) fell below the threshold {threshold}");
}
