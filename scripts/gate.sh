#!/usr/bin/env bash
# The no-behaviour-change gate for refactors (issue 14): writes everything observable that a move must
# keep byte-identical into DIR, with the timing parts of `sim`'s lines cut off. Compare two runs with
# `diff -r BEFORE AFTER`.
#   bash scripts/gate.sh DIR [SEEDS]   (SEEDS: robustness seeds, 200 by default)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
out="${1:?usage: gate.sh DIR [SEEDS]}"
seeds="${2:-200}"
shared="${ETCDPLAY_SHARED:-$ROOT/../shared}"
mkdir -p "$out"
cargo build --release -q -p etcdplay --bin etcdplay
bin="${CARGO_TARGET_DIR:-$ROOT/target}/release/etcdplay"
# Every seed's verdict, op and fault counts, simulated time and trace fingerprint (not the wall time).
"$bin" sim --seeds "$seeds" --no-shrink | sed -E 's/ \[[0-9]+\/[0-9]+ in [0-9.]+ s\]$//; /^time: /d' >"$out/sim.txt"
for f in tests/scenarios/*.txt; do
  "$bin" script "$f" >"$out/scenario-$(basename "$f")" 2>&1 || echo "exit $?" >>"$out/scenario-$(basename "$f")"
done
if [[ -d "$shared/etcdctl-golden" ]]; then
  "$bin" golden "$shared/etcdctl-golden" --help-out "$out/golden-help.txt" >"$out/golden.txt" 2>&1 || echo "exit $?" >>"$out/golden.txt"
fi
"$bin" golden tests/golden/recorded >"$out/recorded.txt" 2>&1 || echo "exit $?" >>"$out/recorded.txt"
echo "gate: $(wc -l <"$out/sim.txt") sim lines, $(ls "$out" | wc -l) files in $out"
