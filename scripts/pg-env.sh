# Sourced by test.sh and bench.sh: starts a throwaway PostGIS cluster on a private port and
# socket as the postgres user, exports SIGAP_TEST_PG, and stops it (removing its files) on exit.
PGBIN=/usr/lib/postgresql/15/bin
WORK=$(mktemp -d /tmp/sigap-test.XXXXXX)
PGDATA=$WORK/pg
PGSOCK=$WORK/sock
PGPORT=${SIGAP_TEST_PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
mkdir -p "$PGDATA" "$PGSOCK" "$WORK/tmp"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown -R postgres:postgres "$PGDATA" "$PGSOCK"
chmod 755 "$WORK"

cleanup() {
  as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== starting throwaway PostGIS on 127.0.0.1:$PGPORT"
as_pg "$PGBIN/initdb" -D "$PGDATA" --auth=trust --no-sync -U postgres >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -w -l "$PGSOCK/pg.log" \
  -o "-p $PGPORT -k $PGSOCK -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
psql -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "CREATE EXTENSION IF NOT EXISTS postgis" postgres >/dev/null
# Test databases are created from template1, so PostGIS is there already.
psql -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "CREATE EXTENSION IF NOT EXISTS postgis" template1 >/dev/null

export SIGAP_TEST_PG="postgres://postgres@127.0.0.1:$PGPORT/postgres"
