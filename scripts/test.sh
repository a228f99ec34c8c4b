#!/usr/bin/env bash
# One command: install what the tests need via apt when missing (Chromium, CJK fonts, PostgreSQL,
# Java for Spark), then run ruff and the whole suite on SQLite and again on a throw-away PostgreSQL server.
# The engine's tests use no database, so the PostgreSQL pass leaves them out.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || need_apt+=(fonts-noto-cjk)
# WeasyPrint (benefits statements as PDF) draws text with Pango.
ldconfig -p | grep -q libpangoft2-1.0 || need_apt+=(libpango-1.0-0 libpangoft2-1.0-0)
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jre-headless)
[ -x /usr/lib/postgresql/15/bin/initdb ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

bash scripts/bootstrap.sh

echo "== ruff"
.venv/bin/ruff check sunshine benchmarks tests conftest.py

echo "== makemigrations --check"
SUNSHINE_DATA_DIR=$(mktemp -d) .venv/bin/sunshine makemigrations --check --dry-run >/dev/null

# A private PostgreSQL on a loopback port, removed afterwards.
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PGDIR=$(mktemp -d /tmp/sunshine-pg.XXXXXX)
PGPORT=${SUNSHINE_TEST_PG_PORT:-54329}
stop_pg() { runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate -w stop >/dev/null 2>&1 || true; rm -rf "$PGDIR"; }
trap stop_pg EXIT
start_pg() {
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$PGDIR"
    runuser -u postgres -- "$PGBIN/initdb" -D "$PGDIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w \
      -o "-p $PGPORT -c listen_addresses=127.0.0.1 -k $PGDIR -c fsync=off -c full_page_writes=off" start >/dev/null
  else
    stop_pg() { "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate -w stop >/dev/null 2>&1 || true; rm -rf "$PGDIR"; }
    "$PGBIN/initdb" -D "$PGDIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
    "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w \
      -o "-p $PGPORT -c listen_addresses=127.0.0.1 -k $PGDIR -c fsync=off -c full_page_writes=off" start >/dev/null
  fi
}

# Spark binds to the machine's external address unless told otherwise.
export SPARK_LOCAL_IP=${SPARK_LOCAL_IP:-127.0.0.1}

# The two databases' runs go side by side (the machine has two cores), each with its own data directory and
# test-results folder; the PostgreSQL run's output is printed when it is done.
mkdir -p "$root/var/test" "$root/var/test-pg"
start_pg
echo "== pytest on SQLite and on PostgreSQL, side by side"
pg_log="$root/var/test-pg/pytest.log"
( SUNSHINE_DATA_DIR="$root/var/test-pg" DATABASE_URL="postgresql://postgres@127.0.0.1:$PGPORT/postgres" \
    .venv/bin/pytest -q --durations=15 --ignore=sunshine/engine/tests --output=var/test-results-pg "$@" >"$pg_log" 2>&1 ) &
pg_pid=$!
sqlite_status=0
SUNSHINE_DATA_DIR="$root/var/test" env -u DATABASE_URL .venv/bin/pytest -q --durations=15 "$@" || sqlite_status=$?
pg_status=0
wait "$pg_pid" || pg_status=$?
echo "== pytest on PostgreSQL (output)"
cat "$pg_log"
echo "== SQLite: exit $sqlite_status · PostgreSQL: exit $pg_status"
[ "$sqlite_status" = 0 ] && [ "$pg_status" = 0 ]
