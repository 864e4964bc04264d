#!/usr/bin/env bash
# Runs every test: setup, lint, native tests, the release page build and the browser test.
# Exits non-zero on the first failure; prints how long each phase took and how big the wasm is.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

SUMMARY=()
phase() {
  local name="$1"
  shift
  echo
  echo "=== $name: $*"
  local start=$SECONDS
  "$@"
  SUMMARY+=("$(printf '%-14s %4ds' "$name" $((SECONDS - start)))")
}
summary() {
  echo
  echo "=== phase timings"
  printf '  %s\n' "${SUMMARY[@]}"
}
trap 'status=$?; summary; if ((status)); then echo "test.sh: FAILED (exit $status)"; fi' EXIT

lint() {
  cargo fmt --all -- --check
  cargo clippy --workspace --all-targets -- -D warnings
  cargo clippy -p etcdplay-app --target wasm32-unknown-unknown -- -D warnings
}

wasm_size() {
  local wasm
  wasm="$(ls dist/*.wasm)"
  local raw gz
  raw=$(stat -c %s "$wasm")
  gz=$(gzip -9 -c "$wasm" | wc -c)
  printf 'wasm: %s  %d bytes raw (%d KiB), %d bytes gzip -9 (%d KiB)\n' \
    "$(basename "$wasm")" "$raw" $((raw / 1024)) "$gz" $((gz / 1024))
}

phase setup bash scripts/setup.sh
phase lint lint
phase cargo-test cargo test --workspace
phase trunk-build trunk build --release --offline
wasm_size
phase browser-test node tests/browser/e2e.mjs
echo
echo "test.sh: all tests passed"
