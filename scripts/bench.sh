#!/usr/bin/env bash
# Times the release binary on a generated tempest-like stream M (9,700 tests,
# 6 workers, ~50 MB) and on M three times over, in both formats, with and
# without -z, and measures the three targets side by side in the same run:
#   1. export of M without -z vs python-subunit's `subunit-stats < M` (>= 15x)
#   2. export of M with -z vs `gzip -6 -c M` (<= 0.8x the time)
#   3. peak RSS on M (<= 48 MiB) and on 3xM (<= 1.25x that)
# Medians of RUNS runs (default 5). Usage: scripts/bench.sh [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-bench-out}
runs=${RUNS:-5}
mkdir -p "$work"

cargo build --release --quiet --bin stackviz-export --example gen_stream
exe=target/release/stackviz-export
gen=target/release/examples/gen_stream

M="$work/M.subunit"
M3="$work/M3.subunit"
[ -s "$M" ] || "$gen" --tests 9700 --workers 6 --seed 2 -o "$M" 2>/dev/null
[ -s "$M3" ] || cat "$M" "$M" "$M" > "$M3"

have_time=0
if [ -x /usr/bin/time ]; then have_time=1; fi

# median of the arguments
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# run_timed CMD...: prints "seconds max_rss_kib" of one run
run_timed() {
    if [ "$have_time" = 1 ]; then
        /usr/bin/time -f '%e %M' -o "$work/.time" "$@" >/dev/null 2>&1
        cat "$work/.time"
    else
        local t0 t1
        t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
        echo "$(echo "$t1 - $t0" | bc) 0"
    fi
}

# measure NAME CMD...: sets MED_S and MED_RSS
measure() {
    local ts=() rs=() out
    for _ in $(seq "$runs"); do
        rm -rf "$work/out"
        out=$(run_timed "$@")
        ts+=("${out% *}"); rs+=("${out#* }")
    done
    MED_S=$(median "${ts[@]}")
    MED_RSS=$(median "${rs[@]}")
}

size_m=$(stat -c %s "$M")
size_m3=$(stat -c %s "$M3")
printf 'stream M: %s bytes; 3xM: %s bytes; %s runs each, medians\n\n' "$size_m" "$size_m3" "$runs"
printf '%-28s %9s %10s %10s\n' "run" "time (s)" "MB/s" "RSS (MiB)"

declare -A T R
for fmt in tempest artifacts; do
    for z in "" "-z"; do
        for input in M M3; do
            path=$M; size=$size_m
            if [ "$input" = M3 ]; then path=$M3; size=$size_m3; fi
            measure "$exe" -q --format "$fmt" $z -f "$path" "$work/out"
            key="$fmt${z}/$input"
            T[$key]=$MED_S; R[$key]=$MED_RSS
            printf '%-28s %9s %10.0f %10.1f\n' "$key" "$MED_S" \
                "$(echo "$size / 1000000 / $MED_S" | bc -l)" "$(echo "$MED_RSS / 1024" | bc -l)"
        done
    done
done

echo
measure gzip -6 -c "$M"
gzip_s=$MED_S
printf '%-28s %9s %10.0f\n' "gzip -6 -c M" "$gzip_s" "$(echo "$size_m / 1000000 / $gzip_s" | bc -l)"

stats_s=""
venv="$work/venv"
if [ ! -x "$venv/bin/subunit-stats" ]; then
    if python3 -m venv "$venv" >/dev/null 2>&1 && "$venv/bin/pip" install -q python-subunit >/dev/null 2>&1; then
        echo "(installed python-subunit into $venv for subunit-stats)"
    else
        echo "(could not install python-subunit: the subunit-stats comparison is skipped)"
    fi
fi
if [ -x "$venv/bin/subunit-stats" ]; then
    ts=()
    for _ in $(seq "$runs"); do
        t0=$(date +%s.%N); "$venv/bin/subunit-stats" < "$M" >/dev/null 2>&1 || true; t1=$(date +%s.%N)
        ts+=("$(echo "$t1 - $t0" | bc)")
    done
    stats_s=$(median "${ts[@]}")
    printf '%-28s %9s %10.0f\n' "subunit-stats < M" "$stats_s" "$(echo "$size_m / 1000000 / $stats_s" | bc -l)"
fi

echo
echo "targets:"
for fmt in tempest artifacts; do
    if [ -n "$stats_s" ]; then
        printf '  %-9s 1. speed-up over subunit-stats: %.1fx (target >= 15x)\n' "$fmt" \
            "$(echo "$stats_s / ${T[$fmt/M]}" | bc -l)"
    fi
    printf '  %-9s 2. -z time / gzip -6 time:       %.2fx (target <= 0.8x)\n' "$fmt" \
        "$(echo "${T[$fmt-z/M]} / $gzip_s" | bc -l)"
    printf '  %-9s 3. peak RSS on M: %.1f MiB (target <= 48); 3xM / M: %.2fx (target <= 1.25x)\n' "$fmt" \
        "$(echo "${R[$fmt/M]} / 1024" | bc -l)" "$(echo "${R[$fmt/M3]} / ${R[$fmt/M]}" | bc -l)"
done

# --- CI side outputs: each of --junit/--ctrf/--markdown/--trace, then all
# four, vs the plain export of M, measured side by side (target: all four
# within 1.3x of plain). Kept as its own block so it merges cleanly.
ci="$work/ci"
mkdir -p "$ci"
echo
printf '%-28s %9s %10s %10s\n' "side outputs on M" "time (s)" "x plain" "RSS (MiB)"
measure "$exe" -q -f "$M" "$work/out"
ci_plain=$MED_S
printf '%-28s %9s %10.2f %10.1f\n' "plain" "$MED_S" 1 "$(echo "$MED_RSS / 1024" | bc -l)"
for side in "--junit $ci/junit.xml" "--ctrf $ci/ctrf.json" "--markdown $ci/summary.md" "--trace $ci/trace.json" \
    "--junit $ci/junit.xml --ctrf $ci/ctrf.json --markdown $ci/summary.md --trace $ci/trace.json"; do
    # shellcheck disable=SC2086
    measure "$exe" -q $side -f "$M" "$work/out"
    label=$(echo "$side" | sed "s| $ci/[^ ]*||g")
    [ "${#label}" -gt 28 ] && label="all four"
    printf '%-28s %9s %10.2f %10.1f\n' "$label" "$MED_S" "$(echo "$MED_S / $ci_plain" | bc -l)" \
        "$(echo "$MED_RSS / 1024" | bc -l)"
done
printf '  all four side outputs / plain: %.2fx (target <= 1.3x)\n' "$(echo "$MED_S / $ci_plain" | bc -l)"
# --html on M: CPU time (user + system) beside the plain export, runs
# interleaved so both see the same machine load (target: <= 1.5x).
if [ "$have_time" = 1 ]; then
    echo
    plain=(); html=()
    for _ in $(seq "$runs"); do
        rm -rf "$work/out"
        /usr/bin/time -f '%U %S' -o "$work/.cpu" "$exe" -q -f "$M" "$work/out" >/dev/null 2>&1
        plain+=("$(awk '{print $1 + $2}' "$work/.cpu")")
        rm -rf "$work/out"
        /usr/bin/time -f '%U %S' -o "$work/.cpu" "$exe" -q -f "$M" --html "$work/out" >/dev/null 2>&1
        html+=("$(awk '{print $1 + $2}' "$work/.cpu")")
    done
    p=$(median "${plain[@]}"); h=$(median "${html[@]}")
    printf '%-28s %9s CPU s\n' "tempest/M" "$p" "tempest --html/M" "$h"
    printf '  --html CPU / plain CPU on M: %.2fx (target <= 1.5x)\n' "$(echo "$h / $p" | bc -l)"
fi
