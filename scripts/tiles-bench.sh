#!/usr/bin/env bash
# Tiles, sigap vs martin 1.14 side by side in one run over the same PostGIS (issue 17, part 9):
#   cold: the same distinct tiles z10–z16 over central Jakarta from a freshly started process of
#         each (empty caches), fetched one after another; total wall time of each;
#   warm: one kelurahan z14 tile at 50 connections for 10 s (autocannon): req/s and p99.
#   scripts/tiles-bench.sh [SIGAP_BIN]   (SIGAP_TEST_PG: a PostGIS cluster; default the release binary)
# Prints `RATIO tiles …` lines like the criterion benches. martin comes from scripts/martin.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$(realpath "${1:-$ROOT/${CARGO_TARGET_DIR:-target}/release/sigap}")"
: "${SIGAP_TEST_PG:?SIGAP_TEST_PG must point at a PostGIS cluster (scripts/pg-env.sh starts one)}"
MARTIN="$("$ROOT/scripts/martin.sh")"
LOAD="$ROOT/tests/load"
if [[ ! -x "$LOAD/node_modules/.bin/autocannon" ]]; then (cd "$LOAD" && npm ci --no-audit --no-fund --loglevel=error); fi

DB="sigap_tiles_bench_$$"
BASE_PG="${SIGAP_TEST_PG%/*}"
export DATABASE_URL="$BASE_PG/$DB"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  psql "$SIGAP_TEST_PG" -qc "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
}
trap cleanup EXIT
psql "$SIGAP_TEST_PG" -qc "CREATE DATABASE $DB" >/dev/null
echo "== tiles: sigap init on PostGIS ($DB)"
"$BIN" --database-url "$DATABASE_URL" init >/dev/null 2>&1
psql "$DATABASE_URL" -q -f "$ROOT/tiles/martin.sql" >/dev/null

port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 1 300); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }
start_sigap() {
  SP=$(port)
  (cd "$ROOT" && exec "$BIN" --database-url "$DATABASE_URL" serve --bind "127.0.0.1:$SP") >/tmp/tiles-bench-sigap.$$.log 2>&1 &
  SPID=$!; PIDS+=("$SPID"); wait_up "http://127.0.0.1:$SP/healthz"
}
start_martin() {
  MP=$(port)
  "$MARTIN" --config "$ROOT/tiles/martin.yaml" --listen-addresses "127.0.0.1:$MP" >/tmp/tiles-bench-martin.$$.log 2>&1 &
  MPID=$!; PIDS+=("$MPID"); wait_up "http://127.0.0.1:$MP/catalog"
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# The same tile list for both: every kota/kecamatan/kelurahan/rw tile over central Jakarta
# (106.78–106.88 E, 6.22–6.14 S) at the zooms where the map draws that level.
TILES="$(python3 - <<'PY'
import math
def tile(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    r = math.radians(lat)
    y = int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n)
    return x, y
ranges = {"kota": (10, 12), "kecamatan": (11, 13), "kelurahan": (12, 15), "rw": (14, 16)}
out = []
for layer, (z0, z1) in ranges.items():
    for z in range(z0, z1 + 1):
        (x0, y0), (x1, y1) = tile(106.80, -6.14, z), tile(106.86, -6.20, z)
        out += [f"{layer}/{z}/{x}/{y}" for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
print(" ".join(out))
PY
)"
N=$(wc -w <<<"$TILES")
cold() { # base suffix → ms for all tiles, one after another, fresh connection reuse by curl
  local base=$1 suffix=$2 urls=()
  for t in $TILES; do urls+=("$base/$t$suffix"); done
  python3 - "${urls[@]}" <<'PY'
import sys, time, urllib.request
t0 = time.perf_counter()
n = 0
for u in sys.argv[1:]:
    with urllib.request.urlopen(u) as r:
        n += len(r.read())
print(f"{(time.perf_counter() - t0) * 1000:.0f} {n}")
PY
}
warm() { # url → "req/s p99"
  "$LOAD/node_modules/.bin/autocannon" -c 50 -d 10 -j "$1" 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(round(d["requests"]["average"]), d["latency"]["p99"], d["non2xx"])'
}
# Over Monas (Gambir and its neighbours): a full tile, not an empty 204.
WARM_TILE="kelurahan/14/13053/8473"

echo "== tiles cold: $N distinct tiles z10–z16 from a fresh process of each"
start_sigap; read -r S_COLD S_BYTES < <(cold "http://127.0.0.1:$SP/tiles" .mvt); echo "sigap  ${S_COLD} ms (${S_BYTES} B)"
echo "== tiles warm: $WARM_TILE at 50 connections, 10 s"
[[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SP/tiles/$WARM_TILE.mvt")" == 200 ]] || { echo "warm tile $WARM_TILE is empty" >&2; exit 1; }
read -r S_RPS S_P99 S_ERR < <(warm "http://127.0.0.1:$SP/tiles/$WARM_TILE.mvt"); echo "sigap  ${S_RPS} req/s, p99 ${S_P99} ms, non-2xx ${S_ERR}"
stop "$SPID"
start_martin; read -r M_COLD M_BYTES < <(cold "http://127.0.0.1:$MP" ""); echo "martin ${M_COLD} ms (${M_BYTES} B)"
read -r M_RPS M_P99 M_ERR < <(warm "http://127.0.0.1:$MP/$WARM_TILE"); echo "martin ${M_RPS} req/s, p99 ${M_P99} ms, non-2xx ${M_ERR}"
stop "$MPID"
python3 - "$S_COLD" "$M_COLD" "$S_RPS" "$M_RPS" "$N" <<'PY'
import sys
sc, mc, sr, mr, n = map(float, sys.argv[1:])
print(f"RATIO tiles cold {int(n)} tiles: martin/sigap time = {mc / sc:.2f}x (goal >= 2)")
print(f"RATIO tiles warm req/s: sigap/martin = {sr / mr:.2f}x (goal > 1)")
PY
