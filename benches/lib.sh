# Shared by benches/run.sh and benches/postgres.sh (sourced, not run).
# Needs $RUNS and $DIR.

# measure SETUP_CMD RUN_CMD... → "seconds max_rss_kb": the median wall time
# of RUNS whole-process runs (SETUP_CMD before each) and that run's RSS;
# the spread (fastest–slowest) is left in $DIR/spread.out for `spread`.
measure() {
  local setup=$1; shift
  local runs=()
  for _ in $(seq "$RUNS"); do
    eval "$setup"
    /usr/bin/time -f "%e %M" -o "$DIR/time.out" "$@" >/dev/null 2>"$DIR/stderr.out" || { cat "$DIR/stderr.out"; exit 1; }
    runs+=("$(cat "$DIR/time.out")")
  done
  printf '%s\n' "${runs[@]}" | sort -n > "$DIR/runs.out"
  awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%s–%s", lo, hi}' "$DIR/runs.out" > "$DIR/spread.out"
  sed -n "$(( (RUNS + 1) / 2 ))p" "$DIR/runs.out"
}

# The fastest–slowest of the last `measure`.
spread() { cat "$DIR/spread.out"; }

ratio() { awk "BEGIN{printf \"%.2f\", $1 / $2}"; }
