#!/usr/bin/env bash
# Builds the page and serves it at http://127.0.0.1:8080, rebuilding on change.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
echo "serve: http://127.0.0.1:8080/"
exec trunk serve --release --offline --address 127.0.0.1 --port 8080
