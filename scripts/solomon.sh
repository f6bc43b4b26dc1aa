#!/usr/bin/env bash
# The full Solomon VRPTW table of issue 16: every instance of the 56-instance set (or SOLOMON_DIR)
# solved by `sigap solomon` (release build), checked by the independent checker, compared with
# bks.csv, per instance and per family, for both search modes.
#
# Measure on a QUIET machine: the issue's protocol is two uncontended cores per instance. Runs
# one instance at a time. Environment:
#   SOLOMON_DIR          instances + bks.csv (default ../shared/data/vrp-solomon56, else data/testdata/vrp-sample)
#   SOLOMON_GENERATIONS  reproducible mode work budget (default 2000; half of it minimises routes)
#   SOLOMON_CAP          reproducible mode safety cap in seconds (default 60; a run it stops is marked)
#   SOLOMON_SECONDS      quality mode seconds per instance (default 10)
#   SOLOMON_MODES        "reproducible quality" (default both)
#   SOLOMON_OUT          output folder (default var/solomon): table-<mode>.md, routes/<mode>/NAME.routes
set -euo pipefail
cd "$(dirname "$0")/.."

dir="${SOLOMON_DIR:-}"
if [ -z "$dir" ]; then
  for d in ../shared/data/vrp-solomon56 /work/shared/data/vrp-solomon56 data/testdata/vrp-sample; do
    if [ -f "$d/bks.csv" ]; then dir="$d"; break; fi
  done
fi
[ -f "$dir/bks.csv" ] || { echo "no instances: set SOLOMON_DIR to a folder with bks.csv and NAME.txt files" >&2; exit 2; }

out="${SOLOMON_OUT:-var/solomon}"
mkdir -p "$out"
cargo build --release --bin sigap
bin="${CARGO_TARGET_DIR:-target}/release/sigap"

for mode in ${SOLOMON_MODES:-reproducible quality}; do
  case "$mode" in
    reproducible) args=(--generations "${SOLOMON_GENERATIONS:-2000}" --seconds "${SOLOMON_CAP:-60}") ;;
    quality) args=(--seconds "${SOLOMON_SECONDS:-10}") ;;
    *) echo "unknown mode $mode (reproducible or quality)" >&2; exit 2 ;;
  esac
  echo "== $mode: $dir ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  # The command fails when a solution fails the checker: keep the table and report it.
  status=0
  "$bin" solomon "$dir" --mode "$mode" "${args[@]}" --out "$out/routes/$mode" > "$out/table-$mode.md" || status=$?
  {
    echo
    echo "Machine: $(nproc) cores, load average after the run $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ), $(git rev-parse --short HEAD)"
  } >> "$out/table-$mode.md"
  [ "$status" -eq 0 ] || echo "$mode: some solutions failed the checker (see $out/table-$mode.md)" >&2
  echo "$out/table-$mode.md" >&2
done
