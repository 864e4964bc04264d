# Sourced by the other scripts: puts the project's tools first on PATH.
#   .tools/node_modules/.bin  wasm-opt from npm binaryen (never Debian's binaryen: its wasm-opt breaks the wasm)
#   ~/.cargo/bin              trunk and wasm-bindgen from `cargo install`
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
export PATH="$TOOLS/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
