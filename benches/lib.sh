# Shared by benches/run.sh and benches/postgres.sh (sourced, not run).
# Needs $RUNS and $DIR.

# measure SETUP_CMD RUN_CMD... → "seconds max_rss_kb": the lowest wall time
# of RUNS whole-process runs (SETUP_CMD before each), and that run's RSS.
measure() {
  local setup=$1; shift
  local best="" rss=""
  for _ in $(seq "$RUNS"); do
    eval "$setup"
    /usr/bin/time -f "%e %M" -o "$DIR/time.out" "$@" >/dev/null 2>"$DIR/stderr.out" || { cat "$DIR/stderr.out"; exit 1; }
    read -r t m < "$DIR/time.out"
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; rss=$m; fi
  done
  echo "$best $rss"
}

ratio() { awk "BEGIN{printf \"%.2f\", $1 / $2}"; }
