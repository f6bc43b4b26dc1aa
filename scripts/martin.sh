#!/usr/bin/env bash
# Installs martin 1.14.0 (tile server for PostGIS deployments) into a cache once; prints its path.
# A cold build takes ~20 minutes on 2 cores, so an existing binary is never rebuilt.
# Default features need the internet (`rendering` clones from GitHub, `webui` runs npm): off.
# `scripts/martin.sh --check` prints the path and succeeds only when it is already installed.
set -euo pipefail
ROOT_DIR=${SIGAP_MARTIN_ROOT:-/root/.cache/sigap/martin}
BIN="$ROOT_DIR/bin/martin"
if [ -x "$BIN" ] && "$BIN" --version 2>/dev/null | grep -q '1\.14\.0'; then
  echo "$BIN"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  exit 1
fi
echo "== installing martin 1.14.0 into $ROOT_DIR (about 20 minutes on 2 cores)" >&2
cargo install --root "$ROOT_DIR" martin@1.14.0 --locked --no-default-features --features postgres,mbtiles,pmtiles >&2
echo "$BIN"
