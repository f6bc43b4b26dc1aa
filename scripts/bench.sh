#!/usr/bin/env bash
# Runs the criterion benchmarks against a throwaway PostGIS (the peer) and prints the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
source scripts/pg-env.sh
export SIGAP_TEST_TMP="$WORK/tmp"
# Every bench in benches/, recipients too (1,194,633 generated households imported into each store:
# several minutes; SIGAP_RECIPIENTS_SIZES / SIGAP_RECIPIENTS_STORES narrow it).
cargo bench "$@" 2>&1 | tee "$WORK/bench.log"
echo "== ratios"
grep '^RATIO' "$WORK/bench.log" || true
echo "== recipients at scale (issue 12)"
grep '^RECIPIENTS' "$WORK/bench.log" || true

# --- load-and-crash suite (full: release binary, both stores; figures in target/load-full/) ---
echo "== load-and-crash suite (full)"
cargo build --release --bin sigap
tests/load/run.sh full "$(realpath -m "${CARGO_TARGET_DIR:-target}")/release/sigap"
# 1,000/s for 60 s with evenly spaced arrivals (oha, installed into target/tools on first use):
# the figure issue 9 sets its p99 target on.
tests/load/run.sh rate "$(realpath -m "${CARGO_TARGET_DIR:-target}")/release/sigap"
# --- end load-and-crash suite ---

# --- tiles: sigap vs martin 1.14 over the same PostGIS, cold and warm (issue 17) ---
echo "== tiles vs martin"
scripts/tiles-bench.sh "$(realpath -m "${CARGO_TARGET_DIR:-target}")/release/sigap"
# The same with oha as the warm client (autocannon's one thread caps both servers on 2 cores).
TILES_CLIENT=oha scripts/tiles-bench.sh "$(realpath -m "${CARGO_TARGET_DIR:-target}")/release/sigap"
# --- end tiles vs martin ---

# --- OGC API – Features against pygeoapi on the same GeoPackage (table quoted in the README) ---
echo "== OGC API vs pygeoapi"
scripts/ogc-bench.sh 10
# --- end OGC API vs pygeoapi ---
