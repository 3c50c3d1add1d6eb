#!/usr/bin/env bash
# How fast the --html report opens: generates a 1,000,000-test stream
# without attachments (32 workers), exports it with --html, and prints
# the time headless Chromium needs from navigation start to the first
# screen (the page's `data-ready` mark, set once the summary, timeline
# and table are drawn), the page's size against the gzip size of the
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

cargo build --release --quiet --bin stackviz-export --example gen_stream
exe=target/release/stackviz-export
S="$work/report-$tests.subunit"
[ -s "$S" ] || target/release/examples/gen_stream --tests "$tests" --workers 32 --seed 5 --no-attachments -o "$S" 2>/dev/null

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
cpu() { /usr/bin/time -f '%U %S' -o "$work/.cpu" "$@" >/dev/null 2>&1; awk '{print $1 + $2}' "$work/.cpu"; }

plain=(); html=()
for _ in $(seq "$runs"); do
    rm -rf "$work/rp"; plain+=("$(cpu "$exe" -q -f "$S" "$work/rp")")
    rm -rf "$work/rh"; html+=("$(cpu "$exe" -q -f "$S" --html "$work/rh")")
done
page=$(stat -c %s "$work/rh/index.html")
data=$(cat "$work"/rh/*_raw.json "$work"/rh/*_details.json | gzip -6 | wc -c)

ready=()
for _ in $(seq "$runs"); do
    profile=$(mktemp -d)
    ms=$("$chromium" --headless --no-sandbox --disable-gpu --no-first-run --disable-sync \
        --disable-background-networking --user-data-dir="$profile" --virtual-time-budget=60000 \
        --window-size=1400,1000 --dump-dom "file://$PWD/$work/rh/index.html" 2>/dev/null |
        grep -o '<html[^>]*data-ready="[0-9]*"' | grep -o '[0-9]*"$' | tr -d '"')
    rm -rf "$profile"
    ready+=("${ms:-NaN}")
done

printf 'stream: %s tests, %s bytes\n' "$tests" "$(stat -c %s "$S")"
printf 'export CPU: plain %s s, --html %s s (%.2fx; target <= 1.5x)\n' \
    "$(median "${plain[@]}")" "$(median "${html[@]}")" "$(echo "$(median "${html[@]}") / $(median "${plain[@]}")" | bc -l)"
printf 'page: %s bytes = %.2fx the gzip size of raw+details (%s bytes; target <= 1.5x)\n' \
    "$page" "$(echo "$page / $data" | bc -l)" "$data"
printf 'first screen in Chromium: %s ms (median of %s: %s; target < 3000)\n' \
    "$(median "${ready[@]}")" "$runs" "${ready[*]}"
