#!/usr/bin/env bash
# Load-and-crash suite on both stores: tests/load/load.mjs drives `sigap serve` with autocannon,
# kills it (-9) mid-load and the bulk import mid-file, restarts, and checks every acknowledged write.
#   tests/load/run.sh small|full|rate BIN     (BIN: the sigap binary; SIGAP_TEST_PG: a PostGIS cluster)
# `make test` runs `small` with the debug binary, `make bench` runs `full` with the release binary.
# `rate` is the fixed-rate measurement alone (1,000 complaint POSTs/s for 60 s on each store, evenly
# spaced by oha, with the disk's fsync latency, CPU per request and intake batch sizes; BIN defaults
# to the release binary).
# Figures and server logs go to target/load-SIZE/ (figures-gpkg.json, figures-pg.json).
set -euo pipefail
SIZE=${1:-small}
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DEFAULT_BIN=target/debug/sigap
[[ "$SIZE" == rate ]] && DEFAULT_BIN=target/release/sigap
BIN="$(cd "$ROOT" && realpath "${2:-$DEFAULT_BIN}")"
: "${SIGAP_TEST_PG:?SIGAP_TEST_PG must point at a PostGIS cluster (scripts/pg-env.sh starts one)}"

# autocannon from the lock file, once (the stamp records the lock it was installed from).
lock="$HERE/package-lock.json"
stamp="$HERE/node_modules/.sigap-lock.sha256"
want="$(sha256sum "$lock" | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
fi

# oha from crates.io for `rate` (evenly spaced arrivals at a fixed rate; see ohaRate in load.mjs),
# into target/tools once per version: a release build of ~480 crates (minutes), so not for `small`.
OHA_VERSION=1.16.0
export SIGAP_OHA="${SIGAP_OHA:-${CARGO_TARGET_DIR:-$ROOT/target}/tools/bin/oha}"
if [[ "$SIZE" == rate ]] && ! "$SIGAP_OHA" --version 2>/dev/null | grep -qx "oha $OHA_VERSION"; then
  cargo install oha --version "$OHA_VERSION" --locked --root "$(dirname "$(dirname "$SIGAP_OHA")")"
fi

OUT="$ROOT/target/load-$SIZE"
mkdir -p "$OUT"
rc=0
for store in gpkg pg; do
  node "$HERE/load.mjs" --bin "$BIN" --store "$store" --size "$SIZE" --out "$OUT" || rc=1
done
exit $rc
