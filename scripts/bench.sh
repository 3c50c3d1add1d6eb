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
