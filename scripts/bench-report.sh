#!/usr/bin/env bash
# How fast the --html report opens: generates a 1,000,000-test stream
# without attachments (32 workers), exports it with --html, and prints
# the time headless Chromium needs from navigation start to the first
# screen (the page's `data-first-screen` mark: the summary counts are
# drawn) and to the whole page (`data-ready`: timeline, panels and table
# drawn), how long the tests table takes to search and sort, the page's
# size against the gzip size of the
# exported raw+details data, and the export's CPU time beside the plain
# export's. Medians of RUNS runs (default 3).
#
# The browser is driven over the DevTools protocol on a pipe (python3,
# standard library only) and the marks are read in real time: with
# --virtual-time-budget, which --dump-dom needs, the page's clock stands
# still while its scripts run, so the marks would leave out their work.
# EXE=path measures another binary.
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
exe=$(realpath "${EXE:-target/release/stackviz-export}")
S="$work/report-$tests.subunit"
[ -s "$S" ] || "$PWD"/target/release/examples/gen_stream --tests "$tests" --workers 32 --seed 5 --no-attachments -o "$S" 2>/dev/null

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# timed CMD...: prints "cpu wall" in seconds.
timed() { /usr/bin/time -f '%U %S %e' -o "$work/.cpu" "$@" >/dev/null 2>&1; awk '{print $1 + $2, $3}' "$work/.cpu"; }

plain=(); html=(); plain_wall=(); html_wall=()
for _ in $(seq "$runs"); do
    rm -rf "$work/rp"; read -r c w < <(timed "$exe" -q -f "$S" "$work/rp"); plain+=("$c"); plain_wall+=("$w")
    rm -rf "$work/rh"; read -r c w < <(timed "$exe" -q -f "$S" --html "$work/rh"); html+=("$c"); html_wall+=("$w")
done
page=$(stat -c %s "$work/rh/index.html")
data=$(cat "$work"/rh/*_raw.json "$work"/rh/*_details.json | gzip -6 | wc -c)

# marks URL: prints "first ready" in ms since navigation start, then the
# ms a search, clearing it, a sort by duration and one by name took.
marks() {
    python3 - "$chromium" "$1" <<'PY'
import json, os, shutil, subprocess, sys, tempfile, time
chromium, url = sys.argv[1], sys.argv[2]
profile = tempfile.mkdtemp()
# The shell puts the pipes on the descriptors Chromium talks on: commands
# in on fd 3, replies out on fd 4, each message ended by a NUL byte.
p = subprocess.Popen(['sh', '-c', 'exec "$0" "$@" 3<&0 4>&1 </dev/null >/dev/null 2>/dev/null', chromium,
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-sync',
    '--disable-background-networking', '--disable-component-update', '--remote-debugging-pipe',
    '--window-size=1400,1000', '--user-data-dir=' + profile, 'about:blank'],
    stdin=subprocess.PIPE, stdout=subprocess.PIPE)
state = {'id': 0, 'session': None, 'buf': b''}
def call(method, params=None):
    state['id'] += 1
    msg = {'id': state['id'], 'method': method, 'params': params or {}}
    if state['session']:
        msg['sessionId'] = state['session']
    p.stdin.write(json.dumps(msg).encode() + b'\0')
    p.stdin.flush()
    while True:
        while b'\0' not in state['buf']:
            more = p.stdout.read1(65536)
            if not more:
                sys.exit('chromium closed the DevTools pipe')
            state['buf'] += more
        line, state['buf'] = state['buf'].split(b'\0', 1)
        reply = json.loads(line)
        if reply.get('id') == state['id']:
            if 'error' in reply:
                raise RuntimeError(reply['error'])
            return reply['result']
def attr(name):
    expr = "document.documentElement.getAttribute('%s')" % name
    return call('Runtime.evaluate', {'expression': expr, 'returnByValue': True})['result'].get('value')
target = call('Target.createTarget', {'url': 'about:blank'})['targetId']
state['session'] = call('Target.attachToTarget', {'targetId': target, 'flatten': True})['sessionId']
call('Page.navigate', {'url': url})
deadline, ready = time.time() + 300, None
while time.time() < deadline and not ready:
    time.sleep(0.05)
    try:
        ready = attr('data-ready')
    except RuntimeError:
        pass  # still the blank page being replaced
# Filter and sort as a user would (the table refilters synchronously):
# the first search builds the lower-case names, the first sort by a key
# its order; both are included.
probe = """(function () {
  var s = document.querySelector('section.stream:not([hidden])');
  var inp = s.querySelector('input[type=search]');
  function t(f) { var a = performance.now(); f(); return Math.round(performance.now() - a); }
  function type(q) { inp.value = q; inp.dispatchEvent(new Event('input')); }
  function sort(k) { s.querySelector('.th button[data-sort=' + k + ']').click(); }
  var r = [t(function () { type('test_'); }), t(function () { type(''); }),
           t(function () { sort('duration'); }), t(function () { sort('name'); })];
  return r.join(' ');
})()"""
ops = 'NaN NaN NaN NaN'
if ready:
    ops = call('Runtime.evaluate', {'expression': probe, 'returnByValue': True})['result'].get('value') or ops
print(attr('data-first-screen') or 'NaN', ready or 'NaN', ops)
p.kill()
p.wait()
# Chromium's helper processes may still be writing the profile briefly.
for _ in range(20):
    shutil.rmtree(profile, ignore_errors=True)
    if not os.path.exists(profile):
        break
    time.sleep(0.1)
PY
}

first=(); ready=(); search=(); clear=(); by_dur=(); by_name=()
for _ in $(seq "$runs"); do
    read -r f r q c d n < <(marks "file://$work/rh/index.html")
    first+=("$f"); ready+=("$r"); search+=("$q"); clear+=("$c"); by_dur+=("$d"); by_name+=("$n")
done

printf 'stream: %s tests, %s bytes\n' "$tests" "$(stat -L -c %s "$S")"
printf 'export CPU: plain %s s, --html %s s (%.2fx; target <= 1.5x); wall: plain %s s, --html %s s\n' \
    "$(median "${plain[@]}")" "$(median "${html[@]}")" "$(echo "$(median "${html[@]}") / $(median "${plain[@]}")" | bc -l)" \
    "$(median "${plain_wall[@]}")" "$(median "${html_wall[@]}")"
printf 'page: %s bytes = %.2fx the gzip size of raw+details (%s bytes; target <= 1.5x)\n' \
    "$page" "$(echo "$page / $data" | bc -l)" "$data"
printf 'first screen (summary counts) in Chromium: %s ms (runs: %s; target < 3000)\n' \
    "$(median "${first[@]}")" "${first[*]}"
printf 'whole page drawn (timeline, table, panels): %s ms (runs: %s)\n' \
    "$(median "${ready[@]}")" "${ready[*]}"
printf 'table: search %s ms, clear %s ms, sort by duration %s ms, by name %s ms (medians; target < 100 ms at 100k, < 500 ms at 1M)\n' \
    "$(median "${search[@]}")" "$(median "${clear[@]}")" "$(median "${by_dur[@]}")" "$(median "${by_name[@]}")"
