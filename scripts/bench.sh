#!/usr/bin/env bash
# Runs the criterion benchmarks against a throwaway PostGIS (the peer) and prints the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
source scripts/pg-env.sh
export SIGAP_TEST_TMP="$WORK/tmp"
cargo bench "$@" 2>&1 | tee "$WORK/bench.log"
echo "== ratios"
grep '^RATIO' "$WORK/bench.log" || true
