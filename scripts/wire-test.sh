#!/usr/bin/env bash
# The wire tests: `etcdplay serve` driven by programs nobody here wrote.
#   1. every etcdctl reference case, run by the REAL etcdctl 3.4 against the served cluster, scored by
#      the reference's compare.py; fails below the checked-in threshold (tests/golden/wire/THRESHOLD);
#   2. a differential run: the same seeded commands against a real 3-member etcd and against serve;
#   3. npm etcd3 (over @grpc/grpc-js) doing put/get/txn/watch/lease.
# ETCDPLAY_DIFF_SEED and ETCDPLAY_DIFF_COMMANDS change the differential run (default: seed 7, 300).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
shared="${ETCDPLAY_SHARED:-$ROOT/../shared}"
cargo build -q -p etcdplay
bin="$ROOT/target/debug/etcdplay"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

if [[ -f "$shared/etcdctl-golden/cases.jsonl" ]]; then
  python3 tests/golden/wire/run_golden.py "$bin" "$shared/etcdctl-golden" "$out/results.jsonl" | tee "$out/golden.log" || true
  score="$(tail -1 "$out/golden.log")"
  passed="${score%% passed*}"
  want="$(cat tests/golden/wire/THRESHOLD)"
  if ! [[ "$passed" =~ ^[0-9]+$ ]] || ((passed < want)); then
    echo "wire-test: real etcdctl against serve scored '$score', below the threshold of $want passed" >&2
    exit 1
  fi
  echo "wire-test: real etcdctl against serve: $score (threshold $want)"
else
  echo "wire-test: GOLDEN SKIPPED: no etcdctl-golden in $shared (set ETCDPLAY_SHARED)"
fi
python3 tests/golden/wire/differential.py "$bin" --seed "${ETCDPLAY_DIFF_SEED:-7}" --commands "${ETCDPLAY_DIFF_COMMANDS:-300}"
node tests/wire/client-etcd3.mjs "$bin"
