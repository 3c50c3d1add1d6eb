#!/usr/bin/env bash
# Measures the release binary against the performance targets, side by side
# in one run. Every row is run RUNS times (default 5), the rows interleaved
# round by round so that the load of a shared machine hits them alike; the
# medians of wall time, CPU time (user+sys) and peak RSS are printed. The
# targets are judged by CPU time, which is steady under load; wall time is
# shown beside it.
#
# Inputs, generated once into WORKDIR with examples/gen_stream.rs:
#   M      tempest-like stream, 9,700 tests, 6 workers, ~50 MB
#   U3     3xM with unique names (29,100 distinct tests)
#   T      300,000 tiny tests, no attachments, ~100 MB
#   T1M    1,000,000 tiny tests (peak RSS only; fewer runs)
#   B      one test with one 200 MB log attachment
#   F      1,000 small streams, 9,700 tests in all (the size of M)
#
# Targets:
#   1. export M:            CPU <= 1/16 of `subunit-stats < M`
#   2. export T:            CPU <= 1/12 of `subunit-stats < T`
#   3. export B:            peak RSS <= 64 MiB
#   4. memory per test:     RSS(M) <= 24 MiB; RSS(U3) <= RSS(M) + 16 MiB;
#                           RSS(T1M) <= 400 MiB
#   5. export -f x1000 (F): CPU <= 1.5x export M
#   6. export -z M:         .gz sizes <= 1.10x `gzip -6` of the plain files;
#                           CPU <= 0.6x that `gzip -6` alone
#   7. export --html M:     CPU <= 1.5x export M (strict) and <= 2x (the report's bound)
#   8. export M + all side outputs (--junit --ctrf --markdown --trace):
#                           CPU <= 1.3x export M
#   history (--history, SQLite and PostgreSQL): see the block at the end.
#
# CPU and wall times come from scripts/rusage.py (to the microsecond; GNU
# time rounds CPU time to 10 ms, a tenth of an export of M), peak RSS from
# GNU time.
#
# subunit-stats comes from python-subunit: $STACKVIZ_TOOLS_VENV (default
# .tools/venv, see scripts/setup-test-tools.sh) when it has it, else a venv
# this script makes in WORKDIR. Without it, targets 1 and 2 are skipped.
#
# Usage: scripts/bench.sh [WORKDIR]      (RUNS=N, RUNS_BIG=N, EXE=path,
#        HISTORY=0|1|only, HISTORY_RUNS=N, STACKVIZ_BENCH_PG_URL=URL,
#        EXE_BEFORE=path)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-bench-out}
runs=${RUNS:-5}
runs_big=${RUNS_BIG:-3}
mkdir -p "$work"
work=$(cd "$work" && pwd)

if [ ! -x /usr/bin/time ]; then
    echo "bench.sh needs GNU time at /usr/bin/time (apt-get install time)" >&2
    exit 1
fi

if [ -z "${EXE:-}" ]; then
    cargo build --release --quiet --bin stackviz-export --example gen_stream
    EXE=target/release/stackviz-export
fi
exe=$(realpath "$EXE")
gen=target/release/examples/gen_stream
[ -x "$gen" ] || cargo build --release --quiet --example gen_stream

# ---- inputs ---------------------------------------------------------------
M="$work/M.subunit"
U3="$work/U3.subunit"
T="$work/T.subunit"
T1M="$work/T1M.subunit"
B="$work/B.subunit"
F="$work/F"
[ -s "$M" ] || "$gen" --tests 9700 --workers 6 --seed 2 -o "$M" 2>/dev/null
if [ "${HISTORY:-1}" != only ]; then
[ -s "$U3" ] || "$gen" --tests 29100 --workers 6 --seed 2 -o "$U3" 2>/dev/null
[ -s "$T" ] || "$gen" --tests 300000 --workers 6 --seed 3 --no-attachments -o "$T" 2>/dev/null
[ -s "$T1M" ] || "$gen" --tests 1000000 --workers 6 --seed 3 --no-attachments -o "$T1M" 2>/dev/null
[ -s "$B" ] || "$gen" --tests 1 --workers 1 --seed 4 --log-prob 1 --fail-rate 0 \
    --skip-rate 0 --log-bytes 200000000 -o "$B" 2>/dev/null
if [ ! -f "$F/.complete" ]; then
    rm -rf "$F"; mkdir -p "$F"
    # 700 streams of 10 tests and 300 of 9: 9,700 tests, as in M.
    for i in $(seq 0 999); do
        n=10; [ "$i" -ge 700 ] && n=9
        "$gen" --tests "$n" --workers 6 --seed $((1000 + i)) \
            -o "$F/$(printf 's%04d' "$i").subunit" 2>/dev/null
    done
    rm -f "$F"/*.meta.json
    touch "$F/.complete"
fi
F_ARGS=()
for f in "$F"/*.subunit; do F_ARGS+=(-f "$f"); done
fi

# Shared by the targets and the history block.
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
: > "$work/.fails"
verdict() {
    if [ "$1" = 1 ]; then echo PASS; else echo x >> "$work/.fails"; echo FAIL; fi
}
le() { [ "$(echo "$1 <= $2" | bc -l)" = 1 ] && echo 1 || echo 0; }
if [ "${HISTORY:-1}" != only ]; then
# ---- subunit-stats --------------------------------------------------------
tools_venv=${STACKVIZ_TOOLS_VENV:-.tools/venv}
stats_exe=""
if [ -x "$tools_venv/bin/subunit-stats" ]; then
    stats_exe=$(realpath "$tools_venv/bin/subunit-stats")
else
    venv="$work/venv"
    if [ ! -x "$venv/bin/subunit-stats" ]; then
        if python3 -m venv "$venv" >/dev/null 2>&1 &&
            "$venv/bin/pip" install -q python-subunit >/dev/null 2>&1; then
            echo "(installed python-subunit into $venv for subunit-stats)"
        fi
    fi
    [ -x "$venv/bin/subunit-stats" ] && stats_exe="$venv/bin/subunit-stats"
fi
[ -n "$stats_exe" ] || echo "(no python-subunit: targets 1 and 2 are skipped)"

# ---- measuring --------------------------------------------------------------
out="$work/out"
declare -A CMD WALL CPU RSS ROWS_RUNS
ROWS=()
# row NAME RUNS CMD...: registers a command (run with bash -c, stdout dropped)
row() {
    local name=$1 n=$2
    shift 2
    ROWS+=("$name")
    ROWS_RUNS[$name]=$n
    CMD[$name]="$*"
}

q() { printf '%q ' "$@"; }

row "export M" "$runs" "$(q "$exe" -q -f "$M" "$out")"
row "export M artifacts" "$runs" "$(q "$exe" -q --format artifacts -f "$M" "$out")"
row "export U3" "$runs" "$(q "$exe" -q -f "$U3" "$out")"
row "export T" "$runs" "$(q "$exe" -q -f "$T" "$out")"
row "export T1M" "$runs_big" "$(q "$exe" -q -f "$T1M" "$out")"
row "export B" "$runs_big" "$(q "$exe" -q -f "$B" "$out")"
# F writes 3,000 files. On a journal-less ext4 (as on the build machine),
# creating a file scans past every inode freed in the last 5 s (305 s while
# its inode-table block is dirty), so deleting the previous run's 3,000
# files just before a run made that kernel scan most of the row's CPU. Each
# run writes into a directory of its own instead; they are removed at the end.
fkept="$work/f-kept"
rm -rf "$fkept"; mkdir -p "$fkept"
row "export F x1000" "$runs" "d=\$(mktemp -d -p $(q "$fkept")) && $(q "$exe" -q "${F_ARGS[@]}") \"\$d/out\""
row "export -z M" "$runs" "$(q "$exe" -q -z -f "$M" "$out")"
row "export --html M" "$runs" "$(q "$exe" -q --html -f "$M" "$out")"
# CI side outputs, each alone and all four together (written into $out).
for side in junit ctrf markdown trace; do
    row "export --$side M" "$runs" "$(q "$exe" -q "--$side" "$out/side.$side" -f "$M" "$out")"
done
row "export M + all side outputs" "$runs" "$(q "$exe" -q --junit "$out/s.xml" --ctrf "$out/s.json" \
    --markdown "$out/s.md" --trace "$out/s.trace" -f "$M" "$out")"
# gzip -6 of the plain data files an export of M writes; their sizes
# against the .gz files of `export -z` for target 6.
plain="$work/plain-M"
rm -rf "$plain" "$out"
"$exe" -q -f "$M" "$plain"
rm -f "$plain/config.json"
gzip6_bytes=0
for f in "$plain"/*.json; do
    gzip6_bytes=$((gzip6_bytes + $(gzip -6 -c "$f" | wc -c)))
done
"$exe" -q -z -f "$M" "$out"
z_bytes=$(cat "$out"/*.gz | wc -c)
rm -rf "$out"
row "gzip -6 plain files of M" "$runs" \
    "for f in $(q "$plain"/*.json); do gzip -6 -c \"\$f\" >/dev/null; done"
if [ -n "$stats_exe" ]; then
    # subunit-stats exits 1 when the stream has failures.
    row "subunit-stats < M" "$runs" "$(q "$stats_exe") < $(q "$M") || true"
    row "subunit-stats < T" "$runs" "$(q "$stats_exe") < $(q "$T") || true"
fi

# Each command goes to a file (the 1,000-file command line is long).
for name in "${ROWS[@]}"; do
    printf '%s\n' "${CMD[$name]}" > "$work/.cmd.$(echo "$name" | tr -c 'A-Za-z0-9\n' _)"
done

declare -A SW SC SR
max_runs=$runs
[ "$runs_big" -gt "$max_runs" ] && max_runs=$runs_big
nrows=${#ROWS[@]}
for r in $(seq "$max_runs"); do
    printf '\rround %d/%d' "$r" "$max_runs" >&2
    # Each round starts at another row: the first row after the long
    # Python runs measured slow (its reads and page clearing cost more
    # kernel time), and that should not always be the same row.
    for k in $(seq 0 $((nrows - 1))); do
        name=${ROWS[$(( (k + (r - 1) * 7) % nrows ))]}
        [ "$r" -le "${ROWS_RUNS[$name]}" ] || continue
        rm -rf "$out"
        cmdfile="$work/.cmd.$(echo "$name" | tr -c 'A-Za-z0-9\n' _)"
        python3 scripts/rusage.py -o "$work/.time" /usr/bin/time -f '%M' -o "$work/.rss" \
            bash "$cmdfile" >/dev/null 2>"$work/.stderr" || {
            echo >&2; echo "failed: $name" >&2; cat "$work/.stderr" >&2; exit 1; }
        read -r e u s < "$work/.time"
        read -r m < "$work/.rss"
        SW[$name]+="$e "
        SC[$name]+="$(echo "$u + $s" | bc) "
        SR[$name]+="$m "
    done
done
echo >&2
rm -rf "$out" "$fkept"

for name in "${ROWS[@]}"; do
    # shellcheck disable=SC2086
    WALL[$name]=$(median ${SW[$name]})
    # shellcheck disable=SC2086
    CPU[$name]=$(median ${SC[$name]})
    # shellcheck disable=SC2086
    RSS[$name]=$(median ${SR[$name]})
done

mb() { echo "scale=1; $(stat -c %s "$1") / 1000000" | bc; }
printf 'inputs: M %s MB, U3 %s MB, T %s MB, T1M %s MB, B %s MB, F %s MB in 1000 files\n' \
    "$(mb "$M")" "$(mb "$U3")" "$(mb "$T")" "$(mb "$T1M")" "$(mb "$B")" \
    "$(echo "scale=1; $(cat "$F"/*.subunit | wc -c) / 1000000" | bc)"
printf 'medians of %s interleaved runs (%s for T1M and B); %s cores; load %s\n\n' \
    "$runs" "$runs_big" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-28s %9s %9s %10s\n' "row" "CPU (s)" "wall (s)" "RSS (MiB)"
for name in "${ROWS[@]}"; do
    printf '%-28s %9.3f %9.3f %10.1f\n' "$name" "${CPU[$name]}" "${WALL[$name]}" \
        "$(echo "${RSS[$name]} / 1024" | bc -l)"
done

# ---- targets ----------------------------------------------------------------
echo
echo "targets (judged by CPU time; wall ratio in brackets):"
ratio() { echo "scale=4; $1 / $2" | bc -l; }
cpu() { echo "${CPU[$1]}"; }
wall() { echo "${WALL[$1]}"; }
rss_mib() { echo "scale=1; ${RSS[$1]} / 1024" | bc -l; }

if [ -n "$stats_exe" ]; then
    x=$(ratio "$(cpu "subunit-stats < M")" "$(cpu "export M")")
    xw=$(ratio "$(wall "subunit-stats < M")" "$(wall "export M")")
    printf '1. export M vs subunit-stats < M:   %6.1fx less CPU [%5.1fx wall]  target >= 16x  %s\n' \
        "$x" "$xw" "$(verdict "$(le 16 "$x")")"
    x=$(ratio "$(cpu "subunit-stats < T")" "$(cpu "export T")")
    xw=$(ratio "$(wall "subunit-stats < T")" "$(wall "export T")")
    printf '2. export T vs subunit-stats < T:   %6.1fx less CPU [%5.1fx wall]  target >= 12x  %s\n' \
        "$x" "$xw" "$(verdict "$(le 12 "$x")")"
    printf '   tiny tests per CPU second: %.0f\n' "$(echo "300000 / $(cpu "export T")" | bc -l)"
else
    echo "1., 2. skipped: no subunit-stats"
fi
printf '3. peak RSS, one 200 MB attachment: %6.1f MiB                      target <= 64   %s\n' \
    "$(rss_mib "export B")" "$(verdict "$(le "$(rss_mib "export B")" 64)")"
ok=$(( $(le "$(rss_mib "export M")" 24) && $(le "$(rss_mib "export U3")" "$(echo "$(rss_mib "export M") + 16" | bc -l)") && $(le "$(rss_mib "export T1M")" 400) ))
printf '4. peak RSS M %.1f MiB (<= 24), U3 %.1f MiB (<= M + 16), T1M %.1f MiB (<= 400)  %s\n' \
    "$(rss_mib "export M")" "$(rss_mib "export U3")" "$(rss_mib "export T1M")" "$(verdict "$ok")"
printf '   per test beyond M: (U3 - M) / 19,400 tests = %.0f bytes; T1M: %.0f bytes/test\n' \
    "$(echo "(${RSS["export U3"]} - ${RSS["export M"]}) * 1024 / 19400" | bc -l)" \
    "$(echo "${RSS["export T1M"]} * 1024 / 1000000" | bc -l)"
x=$(ratio "$(cpu "export F x1000")" "$(cpu "export M")")
xw=$(ratio "$(wall "export F x1000")" "$(wall "export M")")
printf '5. export of 1,000 files / export M: %5.2fx CPU [%5.2fx wall]         target <= 1.5x %s\n' \
    "$x" "$xw" "$(verdict "$(le "$x" 1.5)")"
xs=$(ratio "$z_bytes" "$gzip6_bytes")
x=$(ratio "$(cpu "export -z M")" "$(cpu "gzip -6 plain files of M")")
xw=$(ratio "$(wall "export -z M")" "$(wall "gzip -6 plain files of M")")
printf '6. -z size / gzip -6 size:           %5.2fx (%s vs %s bytes)   target <= 1.10x %s\n' \
    "$xs" "$z_bytes" "$gzip6_bytes" "$(verdict "$(le "$xs" 1.10)")"
printf '   export -z M / gzip -6 alone:      %5.2fx CPU [%5.2fx wall]         target <= 0.6x %s\n' \
    "$x" "$xw" "$(verdict "$(le "$x" 0.6)")"
x=$(ratio "$(cpu "export --html M")" "$(cpu "export M")")
xw=$(ratio "$(wall "export --html M")" "$(wall "export M")")
printf '7. export --html M / export M:       %5.2fx CPU [%5.2fx wall]  target <= 1.5x %s; report bound <= 2x %s\n' \
    "$x" "$xw" "$(verdict "$(le "$x" 1.5)")" "$(verdict "$(le "$x" 2)")"
x=$(ratio "$(cpu "export M + all side outputs")" "$(cpu "export M")")
xw=$(ratio "$(wall "export M + all side outputs")" "$(wall "export M")")
printf '8. side outputs / plain:            %5.2fx CPU [%5.2fx wall]         target <= 1.3x %s\n' \
    "$x" "$xw" "$(verdict "$(le "$x" 1.3)")"
echo
echo "$(wc -l < "$work/.fails") target check(s) failed"
fi

# --- History (--history): SQLite, and PostgreSQL when a server is given ---------
# A store of HISTORY_RUNS (default 1,000) earlier runs of M's 9,700 tests
# (about 10M test-run rows), built once by examples/gen_history through the
# same code as an export (the SQLite file is kept in WORKDIR, keyed by the
# run count; a server database is filled when it holds fewer runs). Then,
# per backend:
#   a. ingest: export M with --history into the store vs without, RUNS times
#      interleaved, each export a new run of the same job (so the previous
#      run is read as in CI). Targets: the added time <= 0.2 s (SQLite, by
#      CPU: all its work is in the process) and <= 0.5 s (PostgreSQL, by
#      wall time: most of the work is the server's). With EXE_BEFORE=path
#      (an earlier build) each round also exports with that binary, so a
#      change is judged side by side on a busy machine.
#   b. read: the history of a 10k-test run (rolling table, previous run)
#      and its classification, <= 0.2 s (SQLite by CPU, PostgreSQL by wall).
#   c. size: bytes per test-run row (SQLite: whole file, target < 60;
#      PostgreSQL: test_runs with its indexes, reported).
#   d. PostgreSQL only: 4 exports at once all succeed, each run stored once.
# HISTORY=0 skips it. The server part runs with STACKVIZ_BENCH_PG_URL set to
# a database it may fill, e.g. `createdb stackviz_bench` and
#   STACKVIZ_BENCH_PG_URL=postgresql://localhost/stackviz_bench scripts/bench.sh
if [ "${HISTORY:-1}" != 0 ]; then
    hruns=${HISTORY_RUNS:-1000}
    echo
    echo "history ($hruns earlier runs of M's tests):"
    cargo build --release --quiet --example gen_history
    ghist=$(realpath target/release/examples/gen_history)
    hd="$work/history"
    mkdir -p "$hd"
    rm -rf "$hd/m-names"
    "$exe" -q -f "$M" "$hd/m-names"
    # time_cmd CMD...: runs CMD once; prints "wall cpu" in seconds.
    time_cmd() {
        /usr/bin/time -f '%e %U %S' -o "$hd/.t" "$@" >/dev/null 2>"$hd/.err" || {
            echo "failed: $*" >&2; cat "$hd/.err" >&2; return 1; }
        awk '{printf "%s %.2f\n", $1, $2 + $3}' "$hd/.t"
    }
    # ingest STORE LABEL: a. for one backend; sets ADD_WALL, ADD_CPU.
    ingest() {
        local store=$1 label=$2 pw=() pc=() hw=() hc=() bw=() bc=() i t
        for i in $(seq "$runs"); do
            if [ -n "${EXE_BEFORE:-}" ]; then
                cp "$M" "$hd/$label-b$i-$$.subunit"
                rm -rf "$hd/o"
                t=$(JOB_NAME=file_M.subunit time_cmd "$EXE_BEFORE" -q -e --history "$store" \
                    -f "$hd/$label-b$i-$$.subunit" "$hd/o"); bw+=("${t% *}"); bc+=("${t#* }")
                rm -f "$hd/$label-b$i-$$.subunit"
            fi
            # A new run each time (its own provider), of the job the
            # generated runs belong to.
            cp "$M" "$hd/$label-$i-$$.subunit"
            rm -rf "$hd/o"
            t=$(time_cmd "$exe" -q -f "$hd/$label-$i-$$.subunit" "$hd/o"); pw+=("${t% *}"); pc+=("${t#* }")
            rm -rf "$hd/o"
            t=$(JOB_NAME=file_M.subunit time_cmd "$exe" -q -e --history "$store" \
                -f "$hd/$label-$i-$$.subunit" "$hd/o"); hw+=("${t% *}"); hc+=("${t#* }")
            rm -f "$hd/$label-$i-$$.subunit"
        done
        rm -rf "$hd/o"
        local mw mc ww wc
        mw=$(median "${pw[@]}"); mc=$(median "${pc[@]}")
        ww=$(median "${hw[@]}"); wc=$(median "${hc[@]}")
        ADD_WALL=$(echo "$ww - $mw" | bc -l); ADD_CPU=$(echo "$wc - $mc" | bc -l)
        printf '  export M: CPU %.2f s, wall %.2f s; with --history: CPU %.2f s, wall %.2f s\n' \
            "$mc" "$mw" "$wc" "$ww"
        if [ -n "${EXE_BEFORE:-}" ]; then
            printf '  EXE_BEFORE with --history: CPU %.2f s (adds %.3f), wall %.2f s (adds %.3f)\n' \
                "$(median "${bc[@]}")" "$(echo "$(median "${bc[@]}") - $mc" | bc -l)" \
                "$(median "${bw[@]}")" "$(echo "$(median "${bw[@]}") - $mw" | bc -l)"
        fi
    }
    # read_values STORE: b. and c.; sets READ_SECS, PER_ROW.
    read_values() {
        "$ghist" --read --names-from "$hd/m-names" -o "$1" > "$hd/.read"
        grep -v '^values:' "$hd/.read" | sed 's/^/  /'
        READ_SECS=$(sed -n 's/^values: read_secs=\([0-9.]*\).*/\1/p' "$hd/.read")
        READ_CPU=$(sed -n 's/.*read_cpu=\([0-9.]*\).*/\1/p' "$hd/.read")
        PER_ROW=$(sed -n 's/.*bytes_per_row=\([0-9.]*\).*/\1/p' "$hd/.read")
    }

    echo " SQLite:"
    H="$hd/store-v2-$hruns.db"
    if [ ! -s "$H" ]; then
        rm -f "$H" "$H-wal" "$H-shm"
        t0=$(date +%s)
        "$ghist" --runs "$hruns" --names-from "$hd/m-names" -o "$H.part" 2>/dev/null
        mv "$H.part" "$H"
        echo "  (generated the store in $(( $(date +%s) - t0 )) s)"
    fi
    ingest "$H" sqlite
    printf '  a. ingest adds %.3f s CPU (%.3f s wall)              target <= 0.2 s  %s\n' \
        "$ADD_CPU" "$ADD_WALL" "$(verdict "$(le "$ADD_CPU" 0.2)")"
    read_values "$H"
    printf '  b. history of a 10k-test run: %.3f s CPU (%.3f s wall)  target <= 0.2 s  %s\n' \
        "$READ_CPU" "$READ_SECS" "$(verdict "$(le "$READ_CPU" 0.2)")"
    printf '  c. %.1f bytes per test-run row (whole file)        target < 60     %s\n' \
        "$PER_ROW" "$(verdict "$(le "$PER_ROW" 59.99)")"

    if [ -n "${STACKVIZ_BENCH_PG_URL:-}" ]; then
        pg=$STACKVIZ_BENCH_PG_URL
        echo " PostgreSQL:"
        have=$(psql -tA "$pg" -c "SELECT count(*) FROM runs" 2>/dev/null || echo 0)
        if [ "$have" -lt "$hruns" ]; then
            t0=$(date +%s)
            "$ghist" --runs $((hruns - have)) --names-from "$hd/m-names" -o "$pg" 2>/dev/null
            # Compact the per-test tables (the generator's batches of runs
            # leave many row versions) and refresh the planner's statistics.
            psql -q "$pg" -c "VACUUM FULL tests" -c "VACUUM FULL stackviz_test_summary" \
                -c "VACUUM ANALYZE"
            echo "  (generated $((hruns - have)) runs in $(( $(date +%s) - t0 )) s)"
        fi
        ingest "$pg" pg
        printf '  a. ingest adds %.3f s wall (%.3f s CPU here)        target <= 0.5 s  %s\n' \
            "$ADD_WALL" "$ADD_CPU" "$(verdict "$(le "$ADD_WALL" 0.5)")"
        read_values "$pg"
        printf '  b. history of a 10k-test run: %.3f s wall (%.3f s CPU here)  target <= 0.2 s  %s\n' \
            "$READ_SECS" "$READ_CPU" "$(verdict "$(le "$READ_SECS" 0.2)")"
        printf '  c. %.1f bytes per test-run row (test_runs and its indexes)\n' "$PER_ROW"
        before=$(psql -tA "$pg" -c "SELECT count(*) FROM runs")
        pids=(); files=()
        for k in 1 2 3 4; do
            f="$hd/c$k-$$.subunit"; files+=("$f"); cp "$M" "$f"
            rm -rf "$hd/c$k"
            JOB_NAME=file_M.subunit "$exe" -q -e --history "$pg" -f "$f" "$hd/c$k" 2>"$hd/c$k.err" &
            pids+=($!)
        done
        ok=0; for p in "${pids[@]}"; do wait "$p" && ok=$((ok + 1)); done
        after=$(psql -tA "$pg" -c "SELECT count(*) FROM runs")
        once=$(psql -tA "$pg" -c "SELECT count(*) FROM (SELECT provider FROM stackviz_runs \
            WHERE provider LIKE 'file_c_-$$.subunit' GROUP BY provider HAVING count(*) = 1) x")
        printf '  d. 4 exports at once: %d succeeded, runs %d -> %d, %d stored once  target 4, +4, 4  %s\n' \
            "$ok" "$before" "$after" "$once" \
            "$(verdict "$([ "$ok" = 4 ] && [ $((after - before)) = 4 ] && [ "$once" = 4 ] && echo 1 || echo 0)")"
        rm -rf "${files[@]}" "$hd"/c?
    else
        echo " PostgreSQL: skipped (set STACKVIZ_BENCH_PG_URL)"
    fi
    echo
    echo "$(wc -l < "$work/.fails") target check(s) failed in all"
fi
