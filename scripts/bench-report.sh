#!/usr/bin/env bash
# How fast the --html report opens: generates a 1,000,000-test stream
# without attachments (32 workers), exports it with --html, and prints
# the time headless Chromium needs from navigation start to the first
# screen (the page's `data-first-screen` mark: the summary counts are
# drawn) and to the whole page (`data-ready`: timeline, panels and table
# drawn), the page's size against the gzip size of the
# exported raw+details data, and the export's CPU time beside the plain
# export's. Medians of RUNS runs (default 3).
# Usage: scripts/bench-report.sh [WORKDIR] [TESTS]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-bench-out}
tests=${2:-1000000}
runs=${RUNS:-3}
chromium=${STACKVIZ_CHROMIUM:-/usr/bin/chromium}
mkdir -p "$work"
work=$(cd "$work" && pwd)

cargo build --release --quiet --bin stackviz-export --example gen_stream
exe=$PWD/target/release/stackviz-export
S="$work/report-$tests.subunit"
[ -s "$S" ] || "$PWD"/target/release/examples/gen_stream --tests "$tests" --workers 32 --seed 5 --no-attachments -o "$S" 2>/dev/null

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
cpu() { /usr/bin/time -f '%U %S' -o "$work/.cpu" "$@" >/dev/null 2>&1; awk '{print $1 + $2}' "$work/.cpu"; }

plain=(); html=()
for _ in $(seq "$runs"); do
    rm -rf "$work/rp"; plain+=("$(cpu "$exe" -q -f "$S" "$work/rp")")
    rm -rf "$work/rh"; html+=("$(cpu "$exe" -q -f "$S" --html "$work/rh")")
done
page=$(stat -c %s "$work/rh/index.html")
data=$(cat "$work"/rh/*_raw.json "$work"/rh/*_details.json | gzip -6 | wc -c)

first=(); ready=()
for _ in $(seq "$runs"); do
    profile=$(mktemp -d)
    tag=$("$chromium" --headless --no-sandbox --disable-gpu --no-first-run --disable-sync \
        --disable-background-networking --user-data-dir="$profile" --virtual-time-budget=60000 \
        --window-size=1400,1000 --dump-dom "file://$work/rh/index.html" 2>/dev/null | grep -o '<html[^>]*>' | head -1)
    rm -rf "$profile"
    f=$(echo "$tag" | grep -o 'data-first-screen="[0-9]*"' | grep -o '[0-9]*')
    r=$(echo "$tag" | grep -o 'data-ready="[0-9]*"' | grep -o '[0-9]*')
    first+=("${f:-NaN}"); ready+=("${r:-NaN}")
done

printf 'stream: %s tests, %s bytes\n' "$tests" "$(stat -L -c %s "$S")"
printf 'export CPU: plain %s s, --html %s s (%.2fx; target <= 1.5x)\n' \
    "$(median "${plain[@]}")" "$(median "${html[@]}")" "$(echo "$(median "${html[@]}") / $(median "${plain[@]}")" | bc -l)"
printf 'page: %s bytes = %.2fx the gzip size of raw+details (%s bytes; target <= 1.5x)\n' \
    "$page" "$(echo "$page / $data" | bc -l)" "$data"
printf 'first screen (summary counts) in Chromium: %s ms (runs: %s; target < 3000)\n' \
    "$(median "${first[@]}")" "${first[*]}"
printf 'whole page drawn (timeline, table, panels): %s ms (runs: %s)\n' \
    "$(median "${ready[@]}")" "${ready[*]}"
