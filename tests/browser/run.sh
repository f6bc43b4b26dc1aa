#!/usr/bin/env bash
# Browser and tile-decoding tests against a real sigap on a throwaway GeoPackage.
#   tests/browser/run.sh path/to/sigap
# Screenshots go to out/browser/. Exits non-zero when a test fails.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 <path-to-sigap-binary>" >&2
  exit 2
fi
SIGAP="$(realpath "$1")"
[[ -x "$SIGAP" ]] || { echo "browser: $SIGAP is not an executable" >&2; exit 2; }
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$ROOT/out/browser"

if [[ ! -x /usr/bin/chromium ]]; then
  echo "browser: installing Debian's chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
"$ROOT/scripts/web-setup.sh"

TMP="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

DB="$TMP/t.gpkg"
echo "browser: sigap init ($DB)"
if ! "$SIGAP" --database-url "$DB" init >"$TMP/init.log" 2>&1; then
  tail -n 40 "$TMP/init.log" >&2
  exit 1
fi
# `token create` prints the token on stdout; take the last word in case it adds a label.
TOKEN="$("$SIGAP" --database-url "$DB" token create --role planner | awk 'NF { t = $NF } END { print t }')"
[[ -n "$TOKEN" ]] || { echo "browser: token create printed no token" >&2; exit 1; }
# An admin token for the site layers the map shows (KSBB sites are created by citata/admin).
ADMIN_TOKEN="$("$SIGAP" --database-url "$DB" token create --role admin | awk 'NF { t = $NF } END { print t }')"

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
# Run from the repository root so sigap finds web/ (and web/node_modules) beside it.
(cd "$ROOT" && exec "$SIGAP" --database-url "$DB" serve --bind "127.0.0.1:$PORT") >"$TMP/serve.log" 2>&1 &
SERVER_PID=$!

for _ in $(seq 1 300); do
  if curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "browser: sigap serve exited" >&2
    tail -n 40 "$TMP/serve.log" >&2
    exit 1
  fi
  sleep 0.2
done
curl -fsS -o /dev/null "$BASE/healthz" || { echo "browser: $BASE/healthz never answered" >&2; tail -n 40 "$TMP/serve.log" >&2; exit 1; }
echo "browser: sigap serving on $BASE"

mkdir -p "$OUT"
status=0
# Every domain page adds its own `<page>.test.js` here; SIGAP_BIN and SIGAP_DB let a test make the
# tokens of the roles its page needs (`sigap token create --role … --unit …`).
(cd "$ROOT/tests/browser" && BASE_URL="$BASE" SIGAP_TOKEN="$TOKEN" SIGAP_ADMIN_TOKEN="$ADMIN_TOKEN" OUT_DIR="$OUT" \
  SIGAP_BIN="$SIGAP" SIGAP_DB="$DB" \
  node --test --test-concurrency=1 tiles.test.js map.test.js $(cd "$ROOT/tests/browser" && ls *.test.js | grep -vx -e tiles.test.js -e map.test.js)) || status=$?
if [[ $status -ne 0 ]]; then
  echo "browser: tests failed; last server log lines:" >&2
  tail -n 30 "$TMP/serve.log" >&2
fi
echo "browser: screenshots in $OUT"
exit "$status"
