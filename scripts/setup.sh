#!/usr/bin/env bash
# Installs what building and testing etcdplay needs. Idempotent: each step checks first, so a warm run
# takes about a second. Works on a fresh Debian bookworm with rustup, cargo, node, npm and python3.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

TRUNK_VERSION=0.21.14
BINARYEN_VERSION=132.0.0
# wasm-bindgen-cli must match the wasm-bindgen library exactly; Cargo.lock is the source of truth.
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
if [[ -z "$WASM_BINDGEN_VERSION" ]]; then
  echo "setup: no wasm-bindgen in Cargo.lock" >&2
  exit 1
fi

say() { echo "setup: $*"; }

# Rust target for the page.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# Chromium and chromedriver from Debian, for the browser test.
if [[ ! -x /usr/bin/chromium ]]; then
  say "installing chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends chromium chromium-driver
fi

# protoc (etcd's protos are compiled at build time, for `etcdplay serve`), and the real etcd 3.4 and
# etcdctl the wire tests use as the oracle.
need_apt=()
command -v protoc >/dev/null || need_apt+=(protobuf-compiler)
# protoc's own well-known types (google/protobuf/descriptor.proto), which etcd's protos import: only a
# recommendation of protobuf-compiler, so --no-install-recommends leaves them out.
[[ -f /usr/include/google/protobuf/descriptor.proto ]] || need_apt+=(libprotobuf-dev)
[[ -x /usr/bin/etcd ]] || need_apt+=(etcd-server)
[[ -x /usr/bin/etcdctl ]] || need_apt+=(etcd-client)
if ((${#need_apt[@]})); then
  say "installing ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${need_apt[@]}"
fi

# Trunk (0.22 needs a newer rustc than we pin to).
if [[ "$(trunk --version 2>/dev/null || true)" != "trunk $TRUNK_VERSION" ]]; then
  say "installing trunk $TRUNK_VERSION (takes ~13 min cold)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

# wasm-bindgen-cli; `--locked` fails for this crate (a locked dependency left the index).
if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# wasm-opt from npm's binaryen (the JS build), into .tools/.
if [[ "$(wasm-opt --version 2>/dev/null || true)" != *"version ${BINARYEN_VERSION%%.*}"* ]]; then
  say "installing binaryen $BINARYEN_VERSION into .tools"
  mkdir -p "$TOOLS"
  npm install --prefix "$TOOLS" --no-save --no-audit --no-fund "binaryen@$BINARYEN_VERSION"
fi

# playwright-core for the browser test, exactly as locked in tests/browser/package-lock.json.
want_playwright="$(node -p "require('./tests/browser/package.json').devDependencies['playwright-core']")"
have_playwright="$(node -p "require('./tests/browser/node_modules/playwright-core/package.json').version" 2>/dev/null || true)"
if [[ "$have_playwright" != "$want_playwright" ]]; then
  say "installing playwright-core $want_playwright for the browser test"
  (cd tests/browser && npm ci --no-audit --no-fund)
fi

# npm etcd3 (a client library nobody here wrote) for the wire test, exactly as locked.
want_etcd3="$(node -p "require('./tests/wire/package.json').devDependencies.etcd3")"
have_etcd3="$(node -p "require('./tests/wire/node_modules/etcd3/package.json').version" 2>/dev/null || true)"
if [[ "$have_etcd3" != "$want_etcd3" ]]; then
  say "installing etcd3 $want_etcd3 for the wire test"
  (cd tests/wire && npm ci --no-audit --no-fund)
fi
