#!/bin/sh
# Redraws docs/brief.png and docs/closure.png from the shipped fixtures in
# headless Chromium: the brief as a browser shows it (SPEC §11's map, and
# the packages' closure charts); and docs/brief-force.png and
# docs/brief-phone.png, the first screen of the brief of a force (100,000
# holdings of ~200 depots, benches/generate.rs) on a 1366 px desktop and a
# 390 px phone. Run from the project root.
set -eu
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cargo build --release --quiet --bins --example generate
sp="target/release/stockpile --db $dir/s.db --quiet"
export STOCKPILE_TODAY=2026-12-06
$sp import fixtures/exports/ >/dev/null
$sp requirements import fixtures/requirements.csv >/dev/null
$sp report --html "$dir/brief.html" --packages fixtures/packages \
    --movement fixtures/movement.toml --to AA-EAST 2>/dev/null
# The packages' section alone, on a page of its own, for the second picture.
python3 - "$dir" <<'PY'
import sys
d = sys.argv[1]
s = open(d + "/brief.html", encoding="utf-8").read()
head = s[: s.index("<body>") + 6]
a = s.index("<section><h2>Force packages")
b = s.index("</section>", a) + len("</section>")
open(d + "/closure.html", "w", encoding="utf-8").write(head + s[a:b] + "</body></html>")
PY
shot() {
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --user-data-dir="$dir/profile" --window-size="$3" \
        --screenshot="$2" "file://$dir/$1" 2>/dev/null
}
shot brief.html docs/brief.png 1100,1350
shot closure.html docs/closure.png 1100,1180
# A force's brief.
force="target/release/stockpile --db $dir/force.db --quiet"
target/release/examples/generate --rows 100000 --seed 1 --week 0 >"$dir/w0.csv"
target/release/examples/generate --rows 100000 --seed 1 --week 1 >"$dir/w1.csv"
$force import "$dir/w0.csv" "$dir/w1.csv"
# (The generator's data is of January 2026: judged a few days later.)
STOCKPILE_TODAY=2026-01-12 $force report --html "$dir/force.html"
shot force.html docs/brief-force.png 1366,900
shot force.html docs/brief-phone.png 390,844
echo "wrote docs/brief.png, docs/closure.png, docs/brief-force.png and docs/brief-phone.png"
