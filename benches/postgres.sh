#!/usr/bin/env bash
# Benchmarks stockpile on a PostgreSQL server against the same commands on
# the SQLite file, on ../shared/bench/gen.py's data (200 depots interleaved).
#
#   benches/postgres.sh                 100k and 1M rows
#   ROWS="100000" benches/postgres.sh
#
# Starts a throwaway cluster of the system's PostgreSQL (initdb, pg_ctl; as
# the postgres user when run as root) in $BENCH_DIR/pg on 127.0.0.1 and a
# free port, with the server's default durability (fsync on), and stops it
# at the end. Each timing is the best of RUNS (default 3) whole-process
# runs, each import into a new empty database. Needs GNU time and psql.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-"100000 1000000"}
RUNS=${RUNS:-3}
DIR=${BENCH_DIR:-/tmp/stockpile-bench}
SHARED=../shared/bench
mkdir -p "$DIR"
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
BINDIR=$(dirname "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb | tail -1)")

cargo build --release --quiet --bin stockpile
BIN=$PWD/target/release/stockpile

# The cluster.
PGDIR=$DIR/pg
rm -rf "$PGDIR"; mkdir -p "$PGDIR"
as_pg() { if [ "$(id -u)" = 0 ]; then chown -R postgres "$PGDIR"; runuser -u postgres -- "$@"; else "$@"; fi; }
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg "$BINDIR/initdb" -D "$PGDIR/data" -U stockpile --auth=trust -E UTF8 >/dev/null
as_pg "$BINDIR/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -o "-p $PORT -k $PGDIR -c listen_addresses=127.0.0.1" -w start >/dev/null
trap 'as_pg "$BINDIR/pg_ctl" -D "$PGDIR/data" -m fast stop >/dev/null' EXIT
URL=postgresql://stockpile@127.0.0.1:$PORT/bench
PSQL="psql -q -h 127.0.0.1 -p $PORT -U stockpile -d postgres"
fresh_pg() { $PSQL -c "DROP DATABASE IF EXISTS bench" -c "CREATE DATABASE bench" >/dev/null 2>&1; }

# shellcheck source=benches/lib.sh
. benches/lib.sh
row() { printf '%-9s %-38s %8s %8s %8s\n' "$@"; }

echo "PostgreSQL $("$BINDIR/postgres" --version | awk '{print $3}'), $(nproc) cores"
row rows measure sqlite_s server_s ratio
for n in $ROWS; do
  python3 "$SHARED/gen.py" "$n" 1 > "$DIR/wide-$n.csv"
  python3 "$SHARED/nextweek.py" "$DIR/wide-$n.csv" "$DIR/wide2-$n.csv" 7 2
  FILE_DB=$DIR/pg-compare.db
  read -r fs _ < <(measure "rm -f $FILE_DB*" "$BIN" --db "$FILE_DB" import -q "$DIR/wide-$n.csv")
  read -r ps _ < <(measure fresh_pg "$BIN" --db "$URL" import -q "$DIR/wide-$n.csv")
  row "$n" "import, depots interleaved" "$fs" "$ps" "$(ratio "$ps" "$fs")"
  # Both now hold the first week; next week's export on top of it, once
  # each (it changes the database).
  /usr/bin/time -f "%e" -o "$DIR/f.out" "$BIN" --db "$FILE_DB" import -q "$DIR/wide2-$n.csv"
  /usr/bin/time -f "%e" -o "$DIR/p.out" "$BIN" --db "$URL" import -q "$DIR/wide2-$n.csv"
  row "$n" "next week (1% changed)" "$(cat "$DIR/f.out")" "$(cat "$DIR/p.out")" "$(ratio "$(cat "$DIR/p.out")" "$(cat "$DIR/f.out")")"
  for cmd in "report --by depot" "report --by owner" "deployable --within 48h" "types" "history" "history --by type" "changes" "watch" "check" "package check benches/packages/wide-brigade.toml"; do
    # shellcheck disable=SC2086
    read -r fs _ < <(measure : "$BIN" --db "$FILE_DB" $cmd)
    # shellcheck disable=SC2086
    read -r ps _ < <(measure : "$BIN" --db "$URL" $cmd)
    row "$n" "$cmd" "$fs" "$ps" "$(ratio "$ps" "$fs")"
  done
done
