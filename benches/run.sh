#!/usr/bin/env bash
# Benchmarks stockpile against the sqlite3 shell on generated exports.
#
#   benches/run.sh            100k and 1M rows, both generators
#   ROWS="100000" benches/run.sh
#   WIDE_ONLY=1 benches/run.sh   only ../shared/bench/gen.py's wide data
#   IDENTICAL=0 benches/run.sh   without the file of one line repeated
#   ROWS=" " WIDE_ONLY=1 benches/run.sh   that file alone
#
# Two generators: this project's (benches/generate.rs: depots hold few
# types, rows grouped by depot) and ../shared/bench/gen.py (200 depots, 300
# types, 31 owners, rows in random depot order, as a force-wide export sorted
# by anything but depot arrives), the latter imported both as written
# (interleaved) and sorted by depot (grouped).
#
# Each timing is the median of RUNS (default 3) whole-process runs, with
# their spread where it matters; peak RSS is from /usr/bin/time. Needs
# sqlite3 and GNU time; installs them with apt-get
# when missing. Work files go to $BENCH_DIR (default /tmp/stockpile-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-"100000 1000000"}
RUNS=${RUNS:-3}
DIR=${BENCH_DIR:-/tmp/stockpile-bench}
mkdir -p "$DIR"

need() { command -v "$1" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }
need sqlite3 sqlite3
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

cargo build --release --quiet --bin stockpile --example generate
BIN=$PWD/target/release/stockpile
GEN=$PWD/target/release/examples/generate

# shellcheck source=benches/lib.sh
. benches/lib.sh

printf '%-9s %-46s %9s %9s %s\n' rows measure seconds rss_MB note

SHARED=../shared/bench
if [ -f "$SHARED/gen.py" ]; then
for n in $ROWS; do
  python3 "$SHARED/gen.py" "$n" 1 > "$DIR/wide-$n.csv"
  { head -1 "$DIR/wide-$n.csv"; tail -n +2 "$DIR/wide-$n.csv" | sort -t, -k1,1 -s; } > "$DIR/grouped-$n.csv"
  python3 "$SHARED/nextweek.py" "$DIR/wide-$n.csv" "$DIR/wide2-$n.csv" 7 2
  mb=$(du -m "$DIR/wide-$n.csv" | cut -f1)
  cat > "$DIR/wref.sql" <<SQL
PRAGMA journal_mode=WAL;
CREATE TABLE holding (depot TEXT, as_of TEXT, nsn TEXT, type TEXT, category TEXT, serial TEXT,
  quantity INTEGER, status TEXT, owner TEXT, notice_hours INTEGER, lot TEXT, expires TEXT,
  last_inspected TEXT, remarks TEXT);
.import --csv --skip 1 $DIR/wide-$n.csv holding
CREATE INDEX holding_depot ON holding(depot, as_of);
SQL
  read -r ts ms < <(measure "rm -f $DIR/wref.db*" sh -c "sqlite3 $DIR/wref.db < $DIR/wref.sql")
  printf '%-9s %-46s %9s %9s %s\n' "$n" "gen.py: sqlite3 .import, index after" "$ts" "$((ms / 1024))" "${mb} MB file"
  for order in wide grouped; do
    read -r t m < <(measure "rm -f $DIR/g.db*" "$BIN" --db "$DIR/g.db" -q import "$DIR/$order-$n.csv")
    label=$([ "$order" = wide ] && echo "depots interleaved" || echo "grouped by depot")
    printf '%-9s %-46s %9s %9s %s\n' "$n" "gen.py: stockpile import, $label" "$t" "$((m / 1024))" "ratio to sqlite3: $(ratio "$t" "$ts") (runs $(spread) s)"
    [ "$order" = wide ] && t_first=$t
  done
  rm -f "$DIR"/g.db*; "$BIN" --db "$DIR/g.db" -q import "$DIR/wide-$n.csv"; cp "$DIR/g.db" "$DIR/gbase.db"
  read -r t2 m2 < <(measure "cp $DIR/gbase.db $DIR/g.db; rm -f $DIR/g.db-wal $DIR/g.db-shm" "$BIN" --db "$DIR/g.db" -q import "$DIR/wide2-$n.csv")
  printf '%-9s %-46s %9s %9s %s\n' "$n" "gen.py: next week (1% changed)" "$t2" "$((m2 / 1024))" "ratio to the interleaved first import: $(ratio "$t2" "$t_first") (runs $(spread) s)"
  for cmd in "report --by depot" "report --by type" "report --by owner" "report --owner POL" \
             "deployable --within 48h" "deployable --within 48h --by owner" "depots" "types" \
             "history" "history --by type" "history --by owner" "changes" "watch" \
             "package check benches/packages/wide-brigade.toml" \
             "package check fixtures/packages/armoured-brigade-set.toml" "check"; do
    # shellcheck disable=SC2086
    read -r tr mr < <(measure ":" "$BIN" --db "$DIR/g.db" $cmd --format json)
    printf '%-9s %-46s %9s %9s %s\n' "$n" "gen.py: $cmd" "$tr" "$((mr / 1024))" "(runs $(spread) s)"
  done
  # Thirteen weekly snapshots (the base moved back 12 weeks, then a week
  # at a time with 1 % changed each): the period rates month by month
  # (SPEC §13) and the trend, each from one pass over the versions.
  if [ "${WEEKS:-1}" = 1 ]; then
    rm -f "$DIR"/r.db*
    python3 "$SHARED/nextweek.py" "$DIR/wide-$n.csv" "$DIR/wk0.csv" -84 100
    "$BIN" --db "$DIR/r.db" -q import "$DIR/wk0.csv"
    for week in $(seq 1 12); do
      python3 "$SHARED/nextweek.py" "$DIR/wk$((week - 1)).csv" "$DIR/wk$week.csv" 7 "$week"
      "$BIN" --db "$DIR/r.db" -q import "$DIR/wk$week.csv"
      rm -f "$DIR/wk$((week - 1)).csv"
    done
    rm -f "$DIR/wk12.csv"
    for cmd in "rates --monthly" "rates --monthly --by depot" "history"; do
      # shellcheck disable=SC2086
      read -r tr mr < <(STOCKPILE_TODAY=2026-12-06 measure ":" "$BIN" --db "$DIR/r.db" $cmd --format json)
      printf '%-9s %-46s %9s %9s\n' "$n" "gen.py, 13 weekly snapshots: $cmd" "$tr" "$((mr / 1024))"
    done
  fi
done
fi

# Hostile input: one line repeated (the k-th copy of a line once tried
# every occurrence number before it). Linear means 1M copies cost about
# ten times 100k.
if [ "${IDENTICAL:-1}" = 1 ]; then
  for n in 100000 1000000; do
    { echo "depot,as_of,type,category,status,quantity"
      awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) print "DE-AUG-01,2026-12-01,LEOPARD-2A6,MBT,FMC,1" }'
    } > "$DIR/same-$n.csv"
    read -r t m < <(measure "rm -f $DIR/i.db*" "$BIN" --db "$DIR/i.db" -q import "$DIR/same-$n.csv")
    printf '%-9s %-46s %9s %9s %s
' "$n" "one line repeated: import" "$t" "$((m / 1024))" "(runs $(spread) s)"
    [ "$n" = 100000 ] && t_same=$t
  done
  printf '%-9s %-46s %9s\n' "" "one line repeated: 1M / 100k" "$(ratio "$t" "$t_same")"
  rm -f "$DIR"/same-*.csv "$DIR"/i.db*
fi
[ "${WIDE_ONLY:-0}" = 1 ] && exit 0

for n in $ROWS; do
  "$GEN" --rows "$n" --week 0 > "$DIR/w0-$n.csv"
  "$GEN" --rows "$n" --week 1 > "$DIR/w1-$n.csv"
  mb=$(du -m "$DIR/w0-$n.csv" | cut -f1)

  cat > "$DIR/ref.sql" <<EOF
PRAGMA journal_mode=WAL;
CREATE TABLE holding (depot TEXT, as_of TEXT, type TEXT, category TEXT, nsn TEXT, serial TEXT,
  quantity INTEGER, status TEXT, owner TEXT, notice_hours INTEGER, lot TEXT, expires TEXT,
  last_inspected TEXT, remarks TEXT);
CREATE INDEX holding_depot ON holding(depot, as_of);
.import --csv --skip 1 $DIR/w0-$n.csv holding
EOF
  read -r ts ms < <(measure "rm -f $DIR/ref.db*" sh -c "sqlite3 $DIR/ref.db < $DIR/ref.sql")
  printf '%-9s %-46s %9s %9s %s\n' "$n" "sqlite3 .import (typed, 1 index, no checks)" "$ts" "$((ms / 1024))" "${mb} MB file"

  read -r t0 m0 < <(measure "rm -f $DIR/s.db*" "$BIN" --db "$DIR/s.db" -q import "$DIR/w0-$n.csv")
  printf '%-9s %-46s %9s %9s %s\n' "$n" "stockpile import, empty db" "$t0" "$((m0 / 1024))" "ratio to sqlite3: $(ratio "$t0" "$ts")"

  rm -f "$DIR"/s.db*; "$BIN" --db "$DIR/s.db" -q import "$DIR/w0-$n.csv"; cp "$DIR/s.db" "$DIR/base.db"
  read -r t1 m1 < <(measure "cp $DIR/base.db $DIR/s.db; rm -f $DIR/s.db-wal $DIR/s.db-shm" "$BIN" --db "$DIR/s.db" -q import "$DIR/w1-$n.csv")
  printf '%-9s %-46s %9s %9s %s\n' "$n" "stockpile import, next week (1% changed)" "$t1" "$((m1 / 1024))" "ratio to first: $(ratio "$t1" "$t0")"

  for cmd in "report --by depot" "report --by type" "deployable --within 48h"; do
    # shellcheck disable=SC2086
    read -r tr mr < <(measure ":" "$BIN" --db "$DIR/s.db" $cmd --format json)
    printf '%-9s %-46s %9s %9s\n' "$n" "$cmd" "$tr" "$((mr / 1024))"
  done
  read -r ta ma < <(measure ":" "$BIN" --db "$DIR/s.db" report --as-of 2026-01-05 --format json)
  printf '%-9s %-46s %9s %9s\n' "$n" "report --as-of (a past date)" "$ta" "$((ma / 1024))"

  # Memory's worst case: the whole file is one depot's snapshot, so all of
  # its diff state is held at once.
  "$GEN" --rows "$n" --depots 1 --week 0 > "$DIR/one0.csv"
  "$GEN" --rows "$n" --depots 1 --week 1 > "$DIR/one1.csv"
  read -r to mo < <(measure "rm -f $DIR/o.db*" "$BIN" --db "$DIR/o.db" -q import "$DIR/one0.csv")
  printf '%-9s %-46s %9s %9s\n' "$n" "one depot's snapshot: import" "$to" "$((mo / 1024))"
  rm -f "$DIR"/o.db*; "$BIN" --db "$DIR/o.db" -q import "$DIR/one0.csv"; cp "$DIR/o.db" "$DIR/obase.db"
  read -r to1 mo1 < <(measure "cp $DIR/obase.db $DIR/o.db; rm -f $DIR/o.db-wal $DIR/o.db-shm" "$BIN" --db "$DIR/o.db" -q import "$DIR/one1.csv")
  printf '%-9s %-46s %9s %9s\n' "$n" "one depot's snapshot: next week" "$to1" "$((mo1 / 1024))"

  # Storage: 13 weekly exports of the same state, 1 % changing each week.
  if [ "${STORAGE:-1}" = 1 ]; then
    rm -f "$DIR"/w.db*
    "$BIN" --db "$DIR/w.db" -q import "$DIR/w0-$n.csv"
    one=$(sqlite3 "$DIR/w.db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null; du -k "$DIR/w.db" | cut -f1)
    for week in $(seq 1 12); do
      "$GEN" --rows "$n" --week "$week" > "$DIR/wk.csv"
      "$BIN" --db "$DIR/w.db" -q import "$DIR/wk.csv"
    done
    sqlite3 "$DIR/w.db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
    all=$(du -k "$DIR/w.db" | cut -f1)
    printf '%-9s %-46s %9s %9s %s\n' "$n" "storage: 13 weekly snapshots vs 1 (MB)" "$((all / 1024))" "$((one / 1024))" "ratio: $(ratio "$all" "$one")"
  fi
done
