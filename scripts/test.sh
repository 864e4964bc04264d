#!/usr/bin/env bash
# Runs every test: setup, lint, native tests, the release page build and the browser test.
# Exits non-zero on the first failure; prints how long each phase took and how big the wasm is.
# ETCDPLAY_LINT=0 skips the lint phase (fmt + clippy) for a quick local run; CI always lints.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

SUMMARY=()
phase() {
  local name="$1"
  shift
  echo
  echo "=== $name: $*"
  local start=$SECONDS rc=0
  # `|| rc=$?` keeps the timing of a failed phase; the functions below chain their steps with && because
  # errexit does not apply inside a command whose status is tested.
  "$@" || rc=$?
  SUMMARY+=("$(printf '%-14s %4ds%s' "$name" $((SECONDS - start)) "$( ((rc)) && echo "  FAILED (exit $rc)")")")
  return "$rc"
}
summary() {
  echo
  echo "=== phase timings"
  printf '  %s\n' "${SUMMARY[@]}"
}
trap 'status=$?; summary; if ((status)); then echo "test.sh: FAILED (exit $status)"; fi' EXIT

lint() {
  cargo fmt --all -- --check &&
    cargo clippy --workspace --all-targets -- -D warnings &&
    cargo clippy -p etcdplay-app --target wasm32-unknown-unknown -- -D warnings
}

wasm_size() {
  local wasm raw gz
  wasm="$(ls dist/*.wasm)"
  raw=$(stat -c %s "$wasm")
  gz=$(gzip -9 -c "$wasm" | wc -c)
  printf 'wasm: %s  %d bytes raw (%d KiB), %d bytes gzip -9 (%d KiB)\n' \
    "$(basename "$wasm")" "$raw" $((raw / 1024)) "$gz" $((gz / 1024))
}

phase setup bash scripts/setup.sh
if [[ "${ETCDPLAY_LINT:-1}" != 0 ]]; then
  phase lint lint
fi
phase cargo-test cargo test --workspace --no-fail-fast
phase wire-test bash scripts/wire-test.sh
phase trunk-build trunk build --release --offline
wasm_size
phase browser-test node tests/browser/e2e.mjs
phase live-test node tests/browser/live.mjs target/debug/etcdplay
echo
echo "test.sh: all tests passed"
