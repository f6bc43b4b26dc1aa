#!/usr/bin/env bash
# sigap's OGC API against pygeoapi (PyPI) serving the same GeoPackage: answers compared feature
# by feature and requests per second side by side, in one run (tests/ogc/bench.py prints the
# Markdown table the README quotes). Both servers on 127.0.0.1 only; bounded in time.
#   scripts/ogc-bench.sh [SECONDS]    (default 10 s per request and server)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_EACH=${1:-10}
cd "$ROOT"
cargo build --release --bin sigap >&2
PY="$(PY_SETUP_PYTHON=/usr/bin/python3 scripts/py-setup.sh pygeoapi)"
VENV="$(dirname "$(dirname "$PY")")"
if ! [[ -e /usr/lib/x86_64-linux-gnu/mod_spatialite.so ]]; then
  echo "ogc-bench: installing Debian's libsqlite3-mod-spatialite (pygeoapi's GeoPackage provider needs it)" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libsqlite3-mod-spatialite >/dev/null
fi
# autocannon from tests/load's lock file (as tests/load/run.sh installs it).
lock="$ROOT/tests/load/package-lock.json"
stamp="$ROOT/tests/load/node_modules/.sigap-lock.sha256"
want="$(sha256sum "$lock" | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  (cd "$ROOT/tests/load" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
fi

WORK="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
GPKG="$WORK/bench.gpkg"
target/release/sigap --database-url "$GPKG" init >/dev/null

SIGAP_PORT=18381
PGA_PORT=18382
RUST_LOG=warn target/release/sigap --database-url "$GPKG" serve --bind "127.0.0.1:$SIGAP_PORT" >"$WORK/sigap.log" 2>&1 &
pids+=($!)

cat >"$WORK/pygeoapi.yml" <<YAML
server:
  bind: {host: 127.0.0.1, port: $PGA_PORT}
  url: http://127.0.0.1:$PGA_PORT
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  languages: [en-US]
  limits: {default_items: 10, max_items: 10000}
  map: {url: 'http://127.0.0.1/{z}/{x}/{y}.png', attribution: none}
logging: {level: ERROR}
metadata:
  identification: {title: sigap peer, description: bench, keywords: [rw], keywords_type: theme, terms_of_service: none, url: 'http://127.0.0.1'}
  license: {name: MIT, url: 'http://127.0.0.1'}
  provider: {name: sigap, url: 'http://127.0.0.1'}
  contact: {name: bench, position: none, address: none, city: Jakarta, stateorprovince: DKI, postalcode: '10110', country: ID, phone: '0', fax: '0', email: 'bench@localhost', url: 'http://127.0.0.1', hours: none, instructions: none, role: pointOfContact}
resources:
  rw:
    type: collection
    title: rw
    description: RW boundaries (generated demo layer)
    keywords: [rw]
    extents:
      spatial: {bbox: [106.3, -6.4, 107.0, -5.1], crs: 'http://www.opengis.net/def/crs/OGC/1.3/CRS84'}
    providers:
      - type: feature
        name: SQLiteGPKG
        data: $GPKG
        id_field: kode
        table: rw
YAML
export PYGEOAPI_CONFIG="$WORK/pygeoapi.yml" PYGEOAPI_OPENAPI="$WORK/openapi.yml"
"$VENV/bin/pygeoapi" openapi generate "$PYGEOAPI_CONFIG" --output-file "$PYGEOAPI_OPENAPI" >/dev/null
# One sync worker: pygeoapi's GeoPackage provider runs SpatiaLite's AutoGPKGStart() (it writes
# virtual tables into the file) on every request, and with two workers on 2 cores a third to a
# half of the requests failed with InvalidPluginError (measured 2026-11-27); one worker serves
# all of them. Its req/s below count 2xx answers only, as sigap's do.
"$VENV/bin/gunicorn" -w 1 -b "127.0.0.1:$PGA_PORT" pygeoapi.flask_app:APP >"$WORK/pygeoapi.log" 2>&1 &
pids+=($!)

for url in "http://127.0.0.1:$SIGAP_PORT/healthz" "http://127.0.0.1:$PGA_PORT/"; do
  for _ in $(seq 1 100); do curl -fs -o /dev/null "$url" && break; sleep 0.2; done
done
echo "# OGC API – Features: sigap vs pygeoapi $("$VENV/bin/pip" show pygeoapi | sed -n 's/^Version: //p'), $(date -u +%Y-%m-%d), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
"$PY" -m pip show requests >/dev/null
"$PY" "$ROOT/tests/ogc/bench.py" "http://127.0.0.1:$SIGAP_PORT/ogc" "http://127.0.0.1:$PGA_PORT" "$ROOT/tests/load/node_modules/.bin/autocannon" "$SECONDS_EACH"
