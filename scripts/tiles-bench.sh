#!/usr/bin/env bash
# Tiles, sigap vs martin 1.14 side by side in one run over the same PostGIS (issue 17, part 9):
#   cold: the same distinct tiles z10–z16 over central Jakarta from a freshly started process of
#         each (empty caches), fetched one after another; total wall time of each;
#   warm: one kelurahan z14 tile at 50 connections for 10 s (autocannon): req/s and p99.
#   scripts/tiles-bench.sh [SIGAP_BIN [BASELINE_BIN]]   (SIGAP_TEST_PG: a PostGIS cluster; default the release binary)
# Prints `RATIO tiles …` lines like the criterion benches. martin comes from scripts/martin.sh.
# With BASELINE_BIN (another sigap build, e.g. main's) that one runs too, in the same run, so a
# change is shown as ratios measured under the same machine load (A/B), not as absolute times.
# The cold client keeps one connection open (as MapLibre does), so the time is the servers'.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$(realpath "${1:-$ROOT/${CARGO_TARGET_DIR:-target}/release/sigap}")"
BASE_BIN="${2:+$(realpath "$2")}"
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
wait_up() { for _ in $(seq 1 600); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.05; done; echo "no answer from $1" >&2; return 1; }
now_ms() { date +%s%3N; }
start_sigap() { # [binary]
  SP=$(port)
  (cd "$ROOT" && exec "${1:-$BIN}" --database-url "$DATABASE_URL" serve --bind "127.0.0.1:$SP") >/tmp/tiles-bench-sigap.$$.log 2>&1 &
  SPID=$!; PIDS+=("$SPID"); local t0; t0=$(now_ms); wait_up "http://127.0.0.1:$SP/healthz"; S_UP=$(( $(now_ms) - t0 ))
}
start_martin() {
  MP=$(port)
  "$MARTIN" --config "$ROOT/tiles/martin.yaml" --listen-addresses "127.0.0.1:$MP" >/tmp/tiles-bench-martin.$$.log 2>&1 &
  MPID=$!; PIDS+=("$MPID"); local t0; t0=$(now_ms); wait_up "http://127.0.0.1:$MP/catalog"; M_UP=$(( $(now_ms) - t0 ))
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
cold() { # port prefix suffix → ms for all tiles, one after another on one kept-alive connection
  local port=$1 prefix=$2 suffix=$3 paths=()
  for t in $TILES; do paths+=("$prefix/$t$suffix"); done
  python3 - "$port" "${paths[@]}" <<'PY'
import http.client, sys, time
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
t0 = time.perf_counter()
n = 0
for p in sys.argv[2:]:
    conn.request("GET", p)
    r = conn.getresponse()
    body = r.read()
    if r.status not in (200, 204):
        sys.exit(f"{p}: HTTP {r.status}")
    n += len(body)
print(f"{(time.perf_counter() - t0) * 1000:.0f} {n}")
PY
}
# Server CPU time (user + system, ms) of a process: req/s on a shared 2-core machine mostly
# measures the load generator and the neighbours, CPU per request measures the server.
cpu_ms() { awk '{ print ($14 + $15) * 10 }' "/proc/$1/stat"; }
# The warm client: autocannon (Node, one thread) by default. On 2 cores it takes about one of them
# and caps the req/s of both servers near the same figure; `TILES_CLIENT=oha` uses oha (Rust,
# multi-threaded, installed for the load suite's rate run into target/tools), which costs less
# CPU per request, so more of the machine is left to the server under test.
TILES_CLIENT="${TILES_CLIENT:-autocannon}"
OHA="${SIGAP_OHA:-$ROOT/${CARGO_TARGET_DIR:-target}/tools/bin/oha}"
if [[ "$TILES_CLIENT" == oha && ! -x "$OHA" ]]; then
  echo "TILES_CLIENT=oha: no oha at $OHA (tests/load/run.sh rate installs it, or set SIGAP_OHA)" >&2; exit 2
fi
warm() { # url pid → "req/s p99 non2xx cpu_us_per_request"
  local c0 c1 out
  c0=$(cpu_ms "$2")
  if [[ "$TILES_CLIENT" == oha ]]; then
    out=$("$OHA" -c 50 -z 10s --no-tui --output-format json "$1" 2>/dev/null)
    c1=$(cpu_ms "$2")
    python3 -c 'import json,sys; d=json.loads(sys.argv[1]); s=d["summary"]; codes=d["statusCodeDistribution"]; n=max(sum(codes.values()),1); print(round(s["requestsPerSec"]), round(d["latencyPercentiles"]["p99"]*1000, 2), sum(v for k,v in codes.items() if not k.startswith("2")), round((float(sys.argv[3])-float(sys.argv[2]))*1000/n, 1))' "$out" "$c0" "$c1"
    return
  fi
  out=$("$LOAD/node_modules/.bin/autocannon" -c 50 -d 10 -j "$1" 2>/dev/null)
  c1=$(cpu_ms "$2")
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); n=max(d["requests"]["total"],1); print(round(d["requests"]["average"]), d["latency"]["p99"], d["non2xx"], round((float(sys.argv[3])-float(sys.argv[2]))*1000/n, 1))' "$out" "$c0" "$c1"
}
# Over Monas (Gambir and its neighbours): a full tile, not an empty 204.
WARM_TILE="kelurahan/14/13053/8473"

echo "== tiles cold: $N distinct tiles z10–z16 from a fresh process of each, then warm: $WARM_TILE at 50 connections, 10 s"
bench_sigap() { # binary label → sets R_COLD, R_RPS (in this shell, so the exit trap stops the server)
  local bytes p99 err
  start_sigap "$1"
  read -r R_COLD bytes < <(cold "$SP" /tiles .mvt)
  [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SP/tiles/$WARM_TILE.mvt")" == 200 ]] || { echo "warm tile $WARM_TILE is empty" >&2; exit 1; }
  read -r R_RPS p99 err R_CPU < <(warm "http://127.0.0.1:$SP/tiles/$WARM_TILE.mvt" "$SPID")
  echo "$2 start ${S_UP} ms (to /healthz); cold ${R_COLD} ms (${bytes} B); warm ${R_RPS} req/s, p99 ${p99} ms, non-2xx ${err}, server CPU ${R_CPU} µs/request"
  stop "$SPID"
}
bench_sigap "$BIN" "sigap   "; S_COLD=$R_COLD S_RPS=$R_RPS S_CPU=$R_CPU
start_martin; read -r M_COLD M_BYTES < <(cold "$MP" "" "")
read -r M_RPS M_P99 M_ERR M_CPU < <(warm "http://127.0.0.1:$MP/$WARM_TILE" "$MPID")
echo "martin   start ${M_UP} ms (to /catalog); cold ${M_COLD} ms (${M_BYTES} B); warm ${M_RPS} req/s, p99 ${M_P99} ms, non-2xx ${M_ERR}, server CPU ${M_CPU} µs/request"
stop "$MPID"
B_COLD=0 B_RPS=0 B_CPU=0
if [[ -n "$BASE_BIN" ]]; then bench_sigap "$BASE_BIN" "baseline"; B_COLD=$R_COLD B_RPS=$R_RPS B_CPU=$R_CPU; fi
python3 - "$S_COLD" "$M_COLD" "$S_RPS" "$M_RPS" "$N" "$S_CPU" "$M_CPU" "$B_COLD" "$B_RPS" "$B_CPU" <<'PY'
import sys
sc, mc, sr, mr, n, scpu, mcpu, bc, br, bcpu = map(float, sys.argv[1:])
print(f"RATIO tiles cold {int(n)} tiles: martin/sigap time = {mc / sc:.2f}x (goal >= 2)")
print(f"RATIO tiles warm req/s: sigap/martin = {sr / mr:.2f}x (goal > 1); server CPU per request martin/sigap = {mcpu / scpu:.2f}x")
if bc and br:
    print(f"RATIO tiles baseline (same run): cold martin/baseline = {mc / bc:.2f}x, warm req/s baseline/martin = {br / mr:.2f}x, "
          f"CPU per request martin/baseline = {mcpu / bcpu:.2f}x; sigap vs baseline: cold {bc / sc:.2f}x faster, "
          f"warm {sr / br:.2f}x the req/s, {bcpu / scpu:.2f}x less CPU per request")
PY
