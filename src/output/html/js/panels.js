// The panels that answer "why": scheduling (why was it slow), load
// attribution (what ran while the machine was busy) and failure groups
// (why did it fail).

// --------------------------------------------------------- scheduling

// Figures from the timed entries, per lane (worker). All times in µs.
function scheduling(m) {
  var lanes = m.laneIdx, at = m.at, span = m.span;
  var runStart = Infinity, runEnd = -Infinity, sum = 0, longest = 0, longestAt = -1, n = 0;
  var per = lanes.map(function (lane, l) {
    var w = { lane: l, name: m.lanes[l], count: lane.count, busy: 0, gaps: 0, gapSum: 0, gapMax: 0, first: NaN, last: NaN };
    var curA = NaN, curB = NaN;
    for (var j = 0; j < lane.count; j++) {
      var i = lane.idx[j], a = at[i], b = a + span[i];
      sum += span[i]; n += 1;
      if (span[i] > longest || longestAt < 0) { longest = span[i]; longestAt = i; }
      if (j === 0) { curA = a; curB = b; w.first = a; continue; }
      if (a > curB) {
        w.gaps += 1; w.gapSum += a - curB; if (a - curB > w.gapMax) w.gapMax = a - curB;
        w.busy += curB - curA; curA = a; curB = b;
      } else if (b > curB) curB = b;
    }
    if (lane.count) { w.busy += curB - curA; w.last = curB; }
    if (lane.count && w.first < runStart) runStart = w.first;
    if (lane.count && w.last > runEnd) runEnd = w.last;
    return w;
  });
  if (!n) return null;
  var wall = runEnd - runStart, W = per.filter(function (w) { return w.count; }).length;
  var ideal = Math.max(sum / W, longest);
  per.forEach(function (w) {
    w.idle = w.count ? wall - w.busy : wall;
    w.skew = w.count ? runEnd - w.last : wall;
  });
  // The long poles: the last-finishing worker's tail (what it ran after
  // the first worker had gone idle), then the longest tests overall.
  var lastLane = -1, firstIdle = Infinity;
  per.forEach(function (w) {
    if (!w.count) return;
    if (lastLane < 0 || w.last > per[lastLane].last) lastLane = w.lane;
    if (w.last < firstIdle) firstIdle = w.last;
  });
  var poles = [], seen = new Set(), lane = lanes[lastLane], tail = [], i;
  for (var j = lane.count - 1; j >= 0; j--) {
    var i = lane.idx[j], b = at[i] + span[i];
    if (b <= firstIdle) break;
    tail.push([i, b - Math.max(at[i], firstIdle)]);
  }
  tail.sort(function (x, y) { return y[1] - x[1] || x[0] - y[0]; });
  tail.slice(0, 5).forEach(function (p) { if (p[1] > 0) { poles.push({ i: p[0], why: 'tail' }); seen.add(p[0]); } });
  var spans = new Float64Array(m.n);
  for (i = 0; i < m.n; i++) spans[i] = isNaN(span[i]) || m.lane[i] < 0 || m.status[i] === ST.exists ? -1 : span[i];
  var longestFirst = topK(spans, m.n, 20, function (x) { return spans[x] >= 0; });
  for (j = 0; j < longestFirst.length && poles.length < 10; j++) {
    if (!seen.has(longestFirst[j])) { poles.push({ i: longestFirst[j], why: 'longest' }); seen.add(longestFirst[j]); }
  }
  return {
    start: runStart, end: runEnd, wall: wall, sum: sum, longest: longest, workers: W, ideal: ideal,
    shorter: wall > 0 ? Math.max(0, (wall - ideal) / wall) : 0, per: per, poles: poles, lastLane: lastLane, firstIdle: firstIdle
  };
}

function schedulingHtml(m, S) {
  if (!S) return panel('schedule', 'Scheduling', null, '', '<p class="empty">No timed tests on worker lanes.</p>');
  var s = function (us) { return fmtSec(us / 1e6); };
  var attr = function (k, v) { return ' data-' + k + '="' + (v / 1e6).toFixed(6) + '"'; };
  var byOverlap = !m.workers;
  var h = '<div class="sched-sum" data-workers="' + S.workers + '"' + attr('wall', S.wall) + attr('ideal', S.ideal) +
    attr('sum', S.sum) + attr('longest', S.longest) + ' data-shorter="' + S.shorter.toFixed(6) + '">' +
    '<p class="sched-line">Wall time <b>' + s(S.wall) + '</b>; with perfect balance over ' + S.workers +
    (byOverlap ? ' lanes' : ' workers') + ' it would be <b>' + s(S.ideal) + '</b> ' +
    '<span class="muted">(max(sum of durations ' + s(S.sum) + ' / ' + S.workers + ', longest test ' + s(S.longest) + '))</span>.</p>' +
    '<p class="sched-verdict">' + (S.shorter >= 0.0005 ? 'This run could have been <b>' + fmtPct(S.shorter) + '</b> shorter.'
      : 'This run was as short as its tests allow.') + '</p></div>';
  var maxWall = S.wall || 1;
  var rows = S.per.map(function (w) {
    return '<tr class="worker" data-worker="' + esc(w.name) + '" data-count="' + w.count + '"' + attr('busy', w.busy) +
      attr('idle', w.idle) + attr('skew', w.skew) + ' data-gaps="' + w.gaps + '"' + attr('gap-sum', w.gapSum) + attr('gap-max', w.gapMax) + '>' +
      '<th>' + esc(w.name) + (w.lane === S.lastLane ? ' <span class="badge bad" title="finished last">last</span>' : '') + '</th>' +
      '<td class="num">' + fmtCount(w.count) + '</td>' +
      '<td class="num">' + s(w.busy) + '</td><td class="num">' + s(w.idle) + '</td><td class="num">' + s(w.skew) + '</td>' +
      '<td class="num">' + fmtCount(w.gaps) + '</td><td class="num">' + s(w.gapSum) + '</td><td class="num">' + s(w.gapMax) + '</td>' +
      '<td class="busybar"><i style="width:' + (100 * w.busy / maxWall).toFixed(2) + '%"></i></td></tr>';
  }).join('');
  h += '<div class="sched-grid"><div class="scroll-x"><table class="sched"><thead><tr><th>Worker</th><th class="num">Tests</th>' +
    '<th class="num" title="time running tests">Busy</th><th class="num" title="wall time not running tests">Idle</th>' +
    '<th class="num" title="how long before the last worker it went idle">Finish skew</th>' +
    '<th class="num" title="pauses between consecutive tests (runner overhead, setup)">Gaps</th><th class="num">Gap time</th>' +
    '<th class="num">Longest gap</th><th>Busy share</th></tr></thead><tbody>' + rows + '</tbody></table></div>';
  var poles = S.poles.map(function (p, r) {
    var i = p.i;
    return '<li class="item pole" data-test="' + esc(m.names[i]) + '" data-why="' + p.why + '"><div class="nm"><span class="rank">' + (r + 1) + '</span>' +
      dot(m.status[i]) + '<a class="name-link" href="#" data-focus="' + i + '" title="Show on the timeline">' + shortNameHtml(m.names[i]) +
      '</a><span class="dur">' + fmtDur(m.duration[i]) + '</span></div><span class="reason">' +
      (p.why === 'tail' ? 'ran on ' + esc(laneName(m, i)) + ' after the first worker had gone idle' : 'among the longest tests (' + esc(laneName(m, i)) + ')') +
      '</span></li>';
  }).join('');
  h += '<div class="poles"><h3>Long poles <small class="muted">the tests that most determined the end time</small></h3><ol class="list">' + poles + '</ol></div></div>';
  return panel('schedule', 'Scheduling', null, '', h);
}

// ------------------------------------------------------- attribution

// Timed entries that ran in [a, b] (µs), those covering most of the
// window first: {count, top: [[entry, covered µs], ...] (at most `k`)}.
function testsIn(m, a, b, k) {
  var hits = [], cov = [];
  m.laneIdx.forEach(function (lane) {
    for (var j = lowerBound(lane.starts, a - lane.maxSpan); j < lane.count; j++) {
      var i = lane.idx[j], x = m.at[i];
      if (x > b) break;
      var y = x + m.span[i];
      if (y < a || (y === a && m.span[i] > 0)) continue;
      hits.push(i);
      cov.push(Math.max(0, Math.min(y, b) - Math.max(x, a)));
    }
  });
  // Ties (same coverage) go by start time, then stream order.
  var n = hits.length, at = m.at;
  var top = topK(Float64Array.from(cov), n, k, null, function (p, q) {
    return at[hits[p]] - at[hits[q]] || hits[p] - hits[q];
  }).map(function (j) { return [hits[j], cov[j]]; });
  return { count: n, top: top };
}

var ATTRIBUTION_ROWS = 200;

function attributionHtml(m, d, brush) {
  if (!brush) {
    return '<p class="empty">' + (d ? 'Drag across a load chart (or Shift-drag on the bars) to list the tests that ran in that window.'
      : 'Shift-drag on the bars to list the tests that ran in a window.') + '</p>';
  }
  var a = brush[0], b = brush[1], len = Math.max(1, b - a);
  var found = testsIn(m, a, b, ATTRIBUTION_ROWS), hits = found.top;
  var h = '<div class="attr-head" data-count="' + found.count + '"><b>' + fmtCount(found.count) + '</b> ' +
    (found.count === 1 ? 'test' : 'tests') + ' ran between +' + (a / 1e6).toFixed(3) + ' s and +' + (b / 1e6).toFixed(3) +
    ' s (' + fmtSec(len / 1e6) + ')' + (d ? '; load: ' + loadHtml(loadDuring(d, a, b)) : '') +
    ' <button type="button" class="btn" data-act="clear-brush">Clear</button></div>';
  if (!hits.length) return h;
  h += '<div class="th attr-row"><span></span><span>Name</span><span>Worker</span><span class="num">Start</span><span class="num">Duration</span><span class="num">Covers</span></div>';
  h += '<ol class="list attr scroll">' + hits.map(function (p) {
    var i = p[0];
    return '<li class="tr attr-row" data-row="' + i + '" data-test="' + esc(m.names[i]) + '" data-covered="' + (p[1] / 1e6).toFixed(6) + '">' +
      dot(m.status[i]) + '<span class="name" title="' + esc(m.names[i]) + '">' + nameHtml(m.names[i]) + '</span>' +
      '<span class="lane">' + esc(laneName(m, i)) + '</span><span class="num">+' + (m.at[i] / 1e6).toFixed(3) + ' s</span>' +
      '<span class="num">' + fmtDur(m.duration[i]) + '</span><span class="num">' + fmtPct(p[1] / len) + '</span></li>';
  }).join('') + '</ol>';
  if (found.count > ATTRIBUTION_ROWS) h += '<p class="note">The ' + ATTRIBUTION_ROWS + ' that cover most of the window are listed.</p>';
  return h;
}

function spikesHtml(d) {
  if (!d || !d.spikes.length) return '';
  var items = d.spikes.slice(0, 50).map(function (sp) {
    return '<button type="button" class="spike" data-kind="' + sp.kind + '" data-start="' + Math.round(sp.start) + '" data-end="' +
      Math.round(sp.end) + '"><span class="dot" style="background:' + SPIKE_COLOR[sp.kind] + '"></span>' +
      esc(SPIKE_LABEL[sp.kind]) + ' +' + (sp.start / 1e6).toFixed(0) + ' s</button>';
  }).join('');
  return '<div class="spikes" data-count="' + d.spikes.length + '"><span class="muted">Load spikes (I/O wait ≥ ' + SPIKE_IOWAIT +
    '%, CPU ≥ ' + SPIKE_CPU + '%, disk ≥ 4× its median):</span> ' + items +
    (d.spikes.length > 50 ? ' <span class="muted">and ' + (d.spikes.length - 50) + ' more</span>' : '') + '</div>';
}

// ---------------------------------------------------- failure groups

// Groups by the signature the exporter computed (exception type and the
// message with volatile parts normalised); failures without one share a
// group per exception line.
function failureGroups(m) {
  var groups = new Map();
  m.failures.forEach(function (e) {
    var f = m.failInfo.get(e) || {};
    var lines = f.lines || [];
    var key = f.sig || f.reason || lines[lines.length - 1] || '(no traceback)';
    var g = groups.get(key);
    if (!g) { g = { sig: key, members: [] }; groups.set(key, g); }
    g.members.push(e);
  });
  return Array.from(groups.values()).sort(function (x, y) {
    return y.members.length - x.members.length || x.members[0] - y.members[0];
  });
}

function failureGroupsHtml(m) {
  var groups = failureGroups(m);
  if (!groups.length) return '';
  var body = '<ol class="list groups">' + groups.map(function (g, gi) {
    var ex = g.members[0], f = m.failInfo.get(ex) || {};
    var members = g.members.slice(0, 50).map(function (e) {
      return '<li class="member" data-test="' + esc(m.names[e]) + '"><a class="name-link" href="#" data-open="' + e + '">' + nameHtml(m.names[e]) + '</a></li>';
    }).join('');
    return '<li class="group" data-sig="' + esc(g.sig) + '" data-count="' + g.members.length + '">' +
      '<div class="g-head"><span class="badge bad">' + fmtCount(g.members.length) + '</span><code class="sig">' + esc(g.sig) + '</code></div>' +
      '<div class="g-example">Example: <a class="name-link" href="#" data-open="' + ex + '">' + nameHtml(m.names[ex]) + '</a>' +
      (f.lines ? '<pre class="tb-last">' + esc(f.lines.join('\n')) + '</pre>' : '') +
      '<button type="button" class="more" data-more="' + ex + '" aria-expanded="false">Example traceback</button><div class="att-body" hidden></div></div>' +
      '<details' + (gi === 0 && g.members.length <= 10 ? ' open' : '') + '><summary>' + fmtCount(g.members.length) +
      (g.members.length === 1 ? ' test' : ' tests') + '</summary><ul class="members">' + members +
      (g.members.length > 50 ? '<li class="muted">and ' + fmtCount(g.members.length - 50) + ' more (filter the table by status)</li>' : '') +
      '</ul></details></li>';
  }).join('') + '</ol>';
  return panel('groups', 'Failure groups', { n: groups.length, bad: true }, '<span class="muted">by exception and normalised message</span>', body);
}
