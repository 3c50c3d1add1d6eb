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
#   7. export --html M:     CPU <= 1.5x export M
#   8. export M + all side outputs (--junit --ctrf --markdown --trace):
#                           CPU <= 1.3x export M
#
# subunit-stats comes from python-subunit: $STACKVIZ_TOOLS_VENV (default
# .tools/venv, see scripts/setup-test-tools.sh) when it has it, else a venv
# this script makes in WORKDIR. Without it, targets 1 and 2 are skipped.
#
# Usage: scripts/bench.sh [WORKDIR]      (RUNS=N, RUNS_BIG=N, EXE=path)
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
row "export F x1000" "$runs" "$(q "$exe" -q "${F_ARGS[@]}" "$out")"
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
for r in $(seq "$max_runs"); do
    printf '\rround %d/%d' "$r" "$max_runs" >&2
    for name in "${ROWS[@]}"; do
        [ "$r" -le "${ROWS_RUNS[$name]}" ] || continue
        rm -rf "$out"
        cmdfile="$work/.cmd.$(echo "$name" | tr -c 'A-Za-z0-9\n' _)"
        /usr/bin/time -f '%e %U %S %M' -o "$work/.time" bash "$cmdfile" >/dev/null 2>"$work/.stderr" || {
            echo >&2; echo "failed: $name" >&2; cat "$work/.stderr" >&2; exit 1; }
        read -r e u s m < "$work/.time"
        SW[$name]+="$e "
        SC[$name]+="$(echo "$u + $s" | bc) "
        SR[$name]+="$m "
    done
done
echo >&2
rm -rf "$out"

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
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
    printf '%-28s %9.2f %9.2f %10.1f\n' "$name" "${CPU[$name]}" "${WALL[$name]}" \
        "$(echo "${RSS[$name]} / 1024" | bc -l)"
done

# ---- targets ----------------------------------------------------------------
echo
echo "targets (judged by CPU time; wall ratio in brackets):"
# verdict OK: prints PASS or FAIL (and counts it: verdicts run in subshells)
: > "$work/.fails"
verdict() {
    if [ "$1" = 1 ]; then echo PASS; else echo x >> "$work/.fails"; echo FAIL; fi
}
le() { [ "$(echo "$1 <= $2" | bc -l)" = 1 ] && echo 1 || echo 0; }
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
printf '7. export --html M / export M:       %5.2fx CPU [%5.2fx wall]         target <= 1.5x %s\n' \
    "$x" "$xw" "$(verdict "$(le "$x" 1.5)")"
x=$(ratio "$(cpu "export M + all side outputs")" "$(cpu "export M")")
xw=$(ratio "$(wall "export M + all side outputs")" "$(wall "export M")")
printf '8. side outputs / plain:            %5.2fx CPU [%5.2fx wall]         target <= 1.3x %s\n' \
    "$x" "$xw" "$(verdict "$(le "$x" 1.3)")"
echo
echo "$(wc -l < "$work/.fails") target check(s) failed"

# run_timed CMD...: runs CMD once; prints "wall cpu" in seconds.
run_timed() {
    /usr/bin/time -f '%e %U %S' -o "$work/.rt" "$@" >/dev/null 2>&1
    awk '{printf "%s %.2f\n", $1, $2 + $3}' "$work/.rt"
}

# --- History store (--history) ------------------------------------------------
# A store of HISTORY_RUNS (default 1,000) earlier runs with M's 9,700 tests
# (about 10M test-run rows), built once by examples/gen_history through the
# same code as an export. Then: the export of M with --history into a fresh
# copy of it vs without (target: at most +0.2 s), the time to read the history
# of every test and classify a run (the rolling table, not the rows), and the
# store's bytes per test-run row (target: under 60). Skip with HISTORY=0.
if [ "${HISTORY:-1}" = 1 ]; then
    echo
    echo "history store:"
    cargo build --release --quiet --example gen_history
    ghist=target/release/examples/gen_history
    H="$work/history-${HISTORY_RUNS:-1000}.db"
    rm -rf "$work/m-names"
    "$exe" -q -f "$M" "$work/m-names"
    [ -s "$H" ] || "$ghist" --runs "${HISTORY_RUNS:-1000}" --names-from "$work/m-names" -o "$H"
    plain=(); with=()
    for _ in $(seq "$runs"); do
        rm -rf "$work/out"; cp "$H" "$work/h.db"; rm -f "$work/h.db-wal" "$work/h.db-shm"
        out=$(run_timed "$exe" -q -f "$M" "$work/out"); plain+=("${out% *}")
        rm -rf "$work/out"
        out=$(run_timed "$exe" -q --history "$work/h.db" -f "$M" "$work/out"); with+=("${out% *}")
    done
    p=$(median "${plain[@]}"); w=$(median "${with[@]}")
    printf '  export of M: %s s; with --history into the store: %s s (+%.2f s, target <= 0.2)\n' \
        "$p" "$w" "$(echo "$w - $p" | bc -l)"
    "$ghist" --read --names-from "$work/m-names" -o "$work/h.db" | sed 's/^/  /'
    rm -f "$work/h.db" "$work/h.db-wal" "$work/h.db-shm"
fi

# --- History on a PostgreSQL server -----------------------------------------
# A server already holding 1,000 runs of M's tests (~9.7M test_runs rows: M
# exported once, 999 more runs filled in with SQL), then: the time --history
# adds to exporting M (median of RUNS exports, each a new run), 4 exports of
# M at once (all must be stored, once each), and bytes per test-run row.
# Runs only with STACKVIZ_BENCH_PG_URL set to an empty database it may fill,
# e.g. after `eval "$(bash scripts/pg-test-cluster.sh start)"`:
#   STACKVIZ_BENCH_PG_URL=$STACKVIZ_TEST_PG_URL scripts/bench.sh
if [ -n "${STACKVIZ_BENCH_PG_URL:-}" ]; then
    pg=$STACKVIZ_BENCH_PG_URL
    bin=target/release/stackviz-export
    d="$work/pg"
    rm -rf "$d"; mkdir -p "$d"
    cp "$M" "$d/seed.subunit"
    "$bin" "$d/o" -q --history "$pg" -f "$d/seed.subunit"
    psql -q -v ON_ERROR_STOP=1 "$pg" <<'SQL'
INSERT INTO runs (uuid, skips, fails, passes, run_time, run_at)
  SELECT md5(g::text)::uuid::text, 0, 0, 9700, 1000, now() - make_interval(hours => g)
  FROM generate_series(1, 999) g;
INSERT INTO stackviz_runs (run_id, run_key, job, provider, description)
  SELECT r.id, 'bench:' || r.id, 'bench', 'bench', 'bench'
  FROM runs r LEFT JOIN stackviz_runs s ON s.run_id = r.id WHERE s.run_id IS NULL;
INSERT INTO test_runs (test_id, run_id, status, start_time, stop_time,
                       start_time_microsecond, stop_time_microsecond)
  SELECT t.id, s.run_id, 'success', date_trunc('second', r.run_at),
         date_trunc('second', r.run_at), 0, 500000
  FROM stackviz_runs s JOIN runs r ON r.id = s.run_id CROSS JOIN tests t
  WHERE s.job = 'bench';
VACUUM ANALYZE;
SQL
    rows=$(psql -tA "$pg" -c "SELECT count(*) FROM test_runs")
    per_row=$(psql -tA "$pg" -c "SELECT round(pg_total_relation_size('test_runs')::numeric / count(*), 1) FROM test_runs")
    plain=(); with=()
    for i in $(seq "$runs"); do
        cp "$M" "$d/m$i.subunit"
        t0=$(date +%s.%N); "$bin" "$d/p$i" -q -f "$d/m$i.subunit"; t1=$(date +%s.%N)
        plain+=("$(echo "$t1 - $t0" | bc)")
        t0=$(date +%s.%N); "$bin" "$d/h$i" -q --history "$pg" -f "$d/m$i.subunit"; t1=$(date +%s.%N)
        with+=("$(echo "$t1 - $t0" | bc)")
    done
    before=$(psql -tA "$pg" -c "SELECT count(*) FROM runs")
    pids=()
    for k in 1 2 3 4; do
        cp "$M" "$d/c$k.subunit"
        "$bin" "$d/c$k" -q --history "$pg" -f "$d/c$k.subunit" & pids+=($!)
    done
    ok=0; for p in "${pids[@]}"; do wait "$p" && ok=$((ok + 1)); done
    after=$(psql -tA "$pg" -c "SELECT count(*) FROM runs")
    echo
    echo "history on PostgreSQL: $rows test_runs rows, $per_row bytes per row (table + indexes)"
    printf '  export M: %s s; with --history: %s s; added: %.3f s (target <= 0.5 s)\n' \
        "$(median "${plain[@]}")" "$(median "${with[@]}")" \
        "$(echo "$(median "${with[@]}") - $(median "${plain[@]}")" | bc -l)"
    echo "  4 concurrent exports: $ok succeeded, runs $before -> $after (target: +4)"
fi
