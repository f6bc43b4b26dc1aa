#!/usr/bin/env bash
# Runs every test of sigap on a fresh Debian machine: installs what the tests need (PostGIS,
# GDAL's ogrinfo, Chromium, npm packages), starts a throwaway PostGIS cluster on a private
# port and socket, runs the Rust tests against both stores and the browser test, and stops
# the cluster on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# Cargo's build directory: CARGO_TARGET_DIR when set (relative to this checkout, as cargo reads it), else ./target.
TARGET_DIR="$(realpath -m "${CARGO_TARGET_DIR:-target}")"

scripts/install-deps.sh
# martin (tiles/ served from PostGIS, compared in tests/tiles_martin.rs) is built here, once and
# cached, with its own message, so no test builds it silently for ~20 minutes.
if MARTIN="$(scripts/martin.sh --check 2>/dev/null)"; then
  echo "== martin: cached at $MARTIN"
else
  echo "== martin: not cached yet; building it now (about 20 minutes on 2 cores, once)"
  scripts/martin.sh >/dev/null
fi
source scripts/pg-env.sh
export SIGAP_TEST_TMP="$WORK/tmp"
export SIGAP_ROOT="$ROOT"

echo "== cargo clippy (warnings are errors; print lints keep display in the CLI)"
cargo clippy --all-targets -- -D warnings

echo "== cargo test (GeoPackage and PostGIS)"
cargo test --lib --bins --tests --no-fail-fast -- --test-threads=2
cargo test --doc

if [ -x tests/browser/run.sh ]; then
  echo "== browser test (headless Chromium)"
  scripts/web-setup.sh
  tests/browser/run.sh "$TARGET_DIR/debug/sigap"
fi
# --- load-and-crash suite (small: debug binary, both stores; tests/load/run.sh) ---
echo "== load-and-crash suite (small)"
cargo build --bin sigap
tests/load/run.sh small "$TARGET_DIR/debug/sigap"
# --- end load-and-crash suite ---

for extra in tests/*.sh; do
  [ -e "$extra" ] || continue
  echo "== $extra"
  "$extra"
done
echo "== all tests passed"
