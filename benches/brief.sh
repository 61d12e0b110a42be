#!/usr/bin/env bash
# The HTML brief at a force's scale (issue: a page that fits a screen):
# 100,000 holdings of ~200 depots and their next week, the brief written,
# then printed by headless Chromium on A4 and on Letter. Prints the page's
# bytes and the printed pages; the goal is at most 300 KB and 4 pages.
#
#   bash benches/brief.sh            # ../shared/bench/gen.py's data when
#                                    # present, else benches/generate.rs
#   ROWS=1000000 bash benches/brief.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-100000}
GEN=${GEN:-../shared/bench/gen.py}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cargo build --release --quiet --bins --example generate
sp="target/release/stockpile --db $dir/s.db --quiet"
if [ -f "$GEN" ]; then
  python3 "$GEN" "$ROWS" 1 >"$dir/w1.csv"
  python3 "$(dirname "$GEN")/nextweek.py" "$dir/w1.csv" "$dir/w2.csv" 7 1
  data="gen.py $ROWS rows and its next week"
else
  target/release/examples/generate --rows "$ROWS" --seed 1 --week 0 >"$dir/w1.csv"
  target/release/examples/generate --rows "$ROWS" --seed 1 --week 1 >"$dir/w2.csv"
  data="benches/generate.rs $ROWS rows, weeks 0 and 1"
fi
$sp import "$dir/w1.csv"
$sp import "$dir/w2.csv"
export STOCKPILE_TODAY=${STOCKPILE_TODAY:-2026-12-06}
$sp report --html "$dir/brief.html"
bytes=$(stat -c %s "$dir/brief.html")
echo "data: $data"
echo "brief: $bytes bytes (goal ≤ 300,000)"
for paper in A4 letter; do
  # The page sets no paper size (the printer's applies); set one here.
  sed "s/@page{/@page{size:$paper;/" "$dir/brief.html" >"$dir/brief-$paper.html"
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$dir/profile-$paper" --no-pdf-header-footer \
    --print-to-pdf="$dir/brief-$paper.pdf" "file://$dir/brief-$paper.html" 2>/dev/null
  pages=$(python3 -c "import re,sys; print(len(re.findall(rb'/Type\s*/Page[^s]', open(sys.argv[1],'rb').read())))" "$dir/brief-$paper.pdf")
  echo "printed on $paper: $pages pages (goal ≤ 4)"
done
