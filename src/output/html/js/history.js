// Run history (--history, --baseline): a strip of each test's last runs in
// its details, and a panel with the new, flaky and known failures, the
// slower, fixed, added and removed tests. The data is history.json's,
// in its own block; without it both hooks add nothing.

var HISTORY = (function () {
  var el = document.getElementById('stackviz-history');
  if (!el || !el.textContent) return null;
  var byIndex = {};
  JSON.parse(el.textContent).streams.forEach(function (s) { byIndex[s.index] = s; });
  return byIndex;
})();

// The name the store keys a test by: the id without its first `[…]` group
// (from the first `[` to the last `]` on that line) unless the id starts
// with it, as history::run::subunit2sql_name does. (A store shortens names
// over 256 characters, history::run::shortened; those tests find no strip.)
function historyName(id) {
  var lineStart = 0, lines = id.split('\n');
  for (var k = 0; k < lines.length; k++) {
    var line = lines[k], open = line.indexOf('['), close = line.lastIndexOf(']');
    if (open >= 0 && close > open) {
      var a = lineStart + open, b = lineStart + close + 1;
      return a > 0 ? id.slice(0, a) + id.slice(b) : id;
    }
    lineStart += line.length + 1;
  }
  return id;
}

// The stream's history, with a lazily built map from store names to the
// page's entries (each test's final entry).
function streamHistory(si, m) {
  var h = HISTORY && HISTORY[si];
  if (!h) return null;
  if (!h.entryOf) {
    h.entryOf = new Map();
    for (var r = 0; r < m.reps.length; r++) h.entryOf.set(historyName(m.names[m.reps[r]]), m.reps[r]);
  }
  return h;
}

// One cell per run, oldest first: colour by status, height by duration.
function historyStripHtml(points) {
  var max = 0;
  points.forEach(function (p) { if (p[1] != null && p[1] > max) max = p[1]; });
  return points.map(function (p, k) {
    var st = ST[p[0]] != null ? ST[p[0]] : ST.unknown;
    var h = p[1] == null || !max ? 4 : Math.max(4, Math.round(22 * p[1] / max));
    var now = k === points.length - 1 && p[2];
    return '<span class="hs-run" data-status="' + esc(p[0]) + '" data-seconds="' + (p[1] == null ? '' : p[1].toFixed(6)) + '"' +
      (now ? ' data-current="1"' : '') + ' title="' + esc((now ? 'this run: ' : '') + LABEL[p[0]] + ', ' + fmtSec(p[1])) +
      '" style="display:inline-block;width:9px;margin-right:2px;vertical-align:bottom;height:' + h + 'px;background:' + COLOR[st] +
      (now ? ';outline:1px solid #333;outline-offset:1px' : '') + '"></span>';
  }).join('');
}

// Hook for the details drawer: a <dt>/<dd> pair, or ''.
function historyFactsHtml(si, m, ti) {
  var h = streamHistory(si, m);
  if (!h) return '';
  var earlier = h.marks.strips[historyName(m.names[ti])] || [];
  var st = STATUSES[m.status[ti]];
  var points = earlier.map(function (p) { return [p[0], p[1], false]; });
  if (st === 'success' || st === 'fail' || st === 'xfail' || st === 'uxsuccess') {
    var pass = st === 'success' || st === 'xfail';
    points.push([pass ? 'success' : 'fail', m.duration[ti], true]);
  }
  if (!points.length) return '';
  return '<dt>History</dt><dd class="history-strip" data-runs="' + points.length + '">' + historyStripHtml(points) +
    ' <small class="muted">' + (earlier.length ? earlier.length + ' earlier run' + (earlier.length === 1 ? '' : 's') + ', oldest first'
      : 'no earlier runs') + '</small></dd>';
}

// Hook for the stream's page: the history panel, or ''.
function historyPanelHtml(si, m) {
  var h = streamHistory(si, m);
  if (!h) return '';
  var mk = h.marks;
  var link = function (name, extra) {
    var e = h.entryOf.get(name);
    var label = e == null ? nameHtml(name) : '<a class="name-link" href="#" data-open="' + e + '">' + nameHtml(name) + '</a>';
    return '<li class="h-item" data-test="' + esc(name) + '">' + label + (extra || '') + '</li>';
  };
  var list = function (kind, title, names, bad, extra) {
    if (!names.length) return '';
    return '<div class="h-list" data-kind="' + kind + '" data-count="' + names.length + '"><h3>' + title +
      ' <span class="badge' + (bad ? ' bad' : '') + '">' + fmtCount(names.length) + '</span></h3><ul class="list">' +
      names.slice(0, 200).map(function (n, k) { return link(n, extra && extra(k)); }).join('') +
      (names.length > 200 ? '<li class="muted">and ' + fmtCount(names.length - 200) + ' more</li>' : '') + '</ul></div>';
  };
  var slowNames = mk.slower.map(function (s) { return s.name; });
  var slowInfo = function (k) {
    var s = mk.slower[k];
    return ' <span class="dur" data-seconds="' + s.seconds.toFixed(6) + '" data-median="' + s.median.toFixed(6) + '"' +
      (s.factor == null ? '' : ' data-factor="' + s.factor.toFixed(3) + '"') + '>' + fmtSec(s.seconds) + ' (median ' +
      fmtSec(s.median) + (s.factor == null ? '' : ', ' + s.factor.toFixed(1) + '×') + ')</span>';
  };
  var body = list('new', 'New failures', mk.new, true) + list('flaky', 'Flaky', mk.flaky, true) +
    list('known', 'Known failures', mk.known, false) + list('slower', 'Slower', slowNames, false, slowInfo) +
    list('fixed', 'Fixed', mk.fixed, false) + list('added', 'Added', mk.added, false) + list('removed', 'Removed', mk.removed, false);
  var against = mk.previous ? '<span class="muted h-previous">compared with ' + esc(mk.previous) + '</span>' : '';
  return panel('history', 'History', null, against,
    body || '<p class="empty">No new, flaky or known failures; nothing slower, fixed, added or removed.</p>');
}
