// One stream's page, the details drawer, the URL fragment and the keyboard.

// --------------------------------------------------------------- drawer

var drawerOpen = null; // [stream, entry]
var loading = {};

function openTest(si, ti) {
  var v = views[si], m = v.m, st = m.status[ti];
  $('drawer-title').innerHTML = nameHtml(m.names[ti], true);
  var at = m.at[ti], timed = !isNaN(at);
  var facts =
    '<dt>Status</dt><dd><span class="pill">' + dot(st) + esc(LABEL[STATUSES[st]]) + '</span></dd>' +
    '<dt>Duration</dt><dd>' + fmtDur(m.duration[ti]) + '</dd>' +
    '<dt>Started</dt><dd>' + (!timed ? '—' : fmtClock(m.start + at) + ' (+' + (at / 1e6).toFixed(3) + ' s)') + '</dd>' +
    '<dt>Ended</dt><dd>' + (!timed ? '—' : fmtClock(m.start + at + m.span[ti])) + '</dd>' +
    '<dt>Lane</dt><dd>' + esc(laneName(m, ti)) + '</dd>';
  var f = m.failInfo.get(ti);
  if (f && f.reason) facts += '<dt>Failure</dt><dd class="f-reason">' + esc(f.reason) + '</dd>';
  if (m.skipReason.get(ti)) facts += '<dt>Reason</dt><dd class="skip-reason">' + esc(m.skipReason.get(ti)) + '</dd>';
  if (timed && v.dstat) {
    facts += '<dt>Load</dt><dd class="test-load">' + loadHtml(loadDuring(v.dstat, at, at + m.span[ti])) + '</dd>';
  }
  facts += historyFactsHtml(si, m, ti);
  var tries = attemptsOf(m, ti);
  if (tries.length > 1) {
    facts += '<dt>Entries</dt><dd class="attempts" data-count="' + tries.length + '">' + tries.map(function (e) {
      return '<a href="#" class="att-link' + (e === ti ? ' on' : '') + '" data-open="' + e + '">' + dot(m.status[e]) +
        esc(LABEL[STATUSES[m.status[e]]]) + (isNaN(m.at[e]) ? '' : ' +' + (m.at[e] / 1e6).toFixed(3) + ' s') + '</a>';
    }).join(' ') + ' <small class="muted">(the same test id; the page counts its final outcome)</small></dd>';
  }
  var body = $('drawer-body');
  body.innerHTML = '<dl class="facts">' + facts + '</dl><div class="att-body"></div>';
  fillAttachments(body.querySelector('.att-body'), m, si, ti, true);
  $('drawer').hidden = false;
  $('drawer').setAttribute('data-test', String(ti));
  $('backdrop').hidden = false;
  body.scrollTop = 0;
  drawerOpen = [si, ti];
  if (v.timeline) v.timeline.select(ti);
  setHash({ test: String(ti) });
  $('drawer-close').focus();
}

function closeDrawer() {
  if ($('drawer').hidden) return;
  $('drawer').hidden = true;
  $('backdrop').hidden = true;
  drawerOpen = null;
  setHash({ test: null });
}

// ------------------------------------------------------------- tooltip

function showTip(html, x, y) {
  var tip = $('tip');
  tip.innerHTML = html;
  tip.hidden = false;
  var w = tip.offsetWidth, h = tip.offsetHeight;
  var left = x + 14, top = y + 16;
  if (left + w > window.innerWidth - 8) left = Math.max(8, x - w - 14);
  if (top + h > window.innerHeight - 8) top = Math.max(8, y - h - 12);
  tip.style.left = left + 'px';
  tip.style.top = top + 'px';
}

function hideTip() { $('tip').hidden = true; }

// ----------------------------------------------------------- stream view

// The head, cards and counts of a stream: all from the page's JSON (tests
// by status, merged by id), so they show before the columns are decoded.
function summaryHtml(s, counts, untimed) {
  var by = {}, n = 0;
  STATUSES.forEach(function (st, k) { by[st] = counts[k]; n += counts[k]; });
  var passed = by.success + by.xfail, judged = passed + by.fail + by.uxsuccess;
  var wall = s.start != null && s.end != null ? (s.end - s.start) / 1e6 : null;
  var h = '<div class="stream-head"><h1>' + esc(s.name) + '</h1><p class="when">' +
    (s.start != null ? esc(fmtClock(s.start)) + ' → ' + esc(fmtClock(s.end)) : 'no timestamps') + '</p></div>';
  var totalSub = [];
  if (s.count !== n) totalSub.push(fmtCount(s.count) + ' entries, merged by test id');
  if (untimed) totalSub.push(fmtCount(untimed) + ' without timestamps');
  h += '<div class="cards">' +
    card('total', fmtCount(n), 'tests', totalSub.join('; ')) +
    card('pass-rate', judged ? (100 * passed / judged).toFixed(1) + '%' : '—', 'pass rate',
      judged ? fmtCount(passed) + ' of ' + fmtCount(judged) + ' with a verdict' : 'no test with a verdict',
      judged ? (passed === judged ? 'good' : 'bad') : '') +
    card('wall', fmtSec(wall), 'wall time', s.start != null ? fmtTimeOfDay(s.start) + ' → ' + fmtTimeOfDay(s.end) + ' UTC' : '') +
    card('sum', fmtSec(s.total), 'sum of durations', wall ? '×' + (s.total / wall).toFixed(1) + ' parallelism' : '') +
    card('workers', s.workers ? String(s.workers) : '—', 'workers',
      s.workers ? '' : 'no worker tags; ' + s.lanes.length + (s.lanes.length === 1 ? ' lane' : ' lanes') + ' by overlap') +
    '</div>';
  var chips = '', bar = '';
  STATUSES.forEach(function (st, k) {
    if (!counts[k] && k > 2) return;
    chips += '<span class="count" data-status="' + st + '" data-count="' + counts[k] + '">' + dot(k) +
      esc(LABEL[st]) + ' <b>' + fmtCount(counts[k]) + '</b></span>';
    if (counts[k]) bar += '<i style="flex:' + counts[k] + ';background:' + COLOR[k] + '" title="' + esc(LABEL[st]) + ': ' + counts[k] + '"></i>';
  });
  return h + '<div class="counts-row"><div class="counts">' + chips + '</div><div class="statusbar">' + bar + '</div></div>';
}

function StreamView(si, el, allRows, m) {
  var n = m.reps.length, self = this, i;
  this.si = si;
  this.m = m;
  this.el = el;
  this.visible = false;
  this.dstat = streamDstat(m);
  this.failCursor = -1;
  var counts = m.counts;
  var h = summaryHtml(m, counts, m.untimed);
  h += this.timelineHtml(counts);
  if (m.timed) {
    h += panel('attribution', 'Load attribution', null, '<span class="muted">which tests ran in a window</span>',
      '<div class="attr-body">' + attributionHtml(m, this.dstat, null) + '</div>');
  }
  this.sched = scheduling(m);
  if (m.timed) h += schedulingHtml(m, this.sched);

  // Failures: the exception line as the summary, then the traceback's end.
  h += historyPanelHtml(si, m);
  h += failureGroupsHtml(m);
  var failItem = function (ti) {
    var f = m.failInfo.get(ti) || {}, lines = f.lines;
    return '<li class="failure" data-test="' + esc(m.names[ti]) + '" data-entry="' + ti + '"><div class="f-head">' + dot(m.status[ti]) +
      '<a class="name-link" href="#" data-open="' + ti + '">' + nameHtml(m.names[ti], true) + '</a><span class="dur">' +
      fmtDur(m.duration[ti]) + '</span></div>' +
      (f.reason ? '<p class="f-reason">' + esc(f.reason) + '</p>' : '') +
      (lines ? '<pre class="tb-last">' + esc(lines.join('\n')) + '</pre>' : '<p class="muted tb-none">No traceback.</p>') +
      '<button type="button" class="more" data-more="' + ti + '" aria-expanded="false">All attachments</button>' +
      '<div class="att-body" hidden></div></li>';
  };
  this.lists = {
    failures: { items: m.failures, item: failItem, shown: 0 },
    skips: { items: m.skips, item: null, shown: 0 }
  };
  h += panel('failures', 'Failures', { n: m.failures.length, bad: m.failures.length > 0 },
    m.failures.length ? '<span class="muted">j / k: next / previous</span>' : '',
    m.failures.length ? this.listHtml('failures') : '<p class="empty">No failures.</p>');

  // Skips and the slowest tests (listings have no duration to speak of).
  this.lists.skips.item = function (e) {
    var r = m.skipReason.get(e);
    return '<li class="item skip" data-test="' + esc(m.names[e]) + '"><div class="nm"><a class="name-link" href="#" data-open="' +
      e + '" title="' + esc(m.names[e]) + '">' + shortNameHtml(m.names[e]) + '</a><span class="dur">' + fmtDur(m.duration[e]) + '</span></div>' +
      (r != null ? '<span class="reason">' + esc(r) + '</span>' : '') + '</li>';
  };
  var slowest = [];
  for (i = 0; i < n; i++) {
    var e = m.reps[i];
    if (STATUSES[m.status[e]] === 'exists') continue;
    if (slowest.length < 20 || m.duration[e] > m.duration[slowest[19]]) {
      slowest.push(e);
      slowest.sort(function (a, b) { return m.duration[b] - m.duration[a] || a - b; });
      if (slowest.length > 20) slowest.pop();
    }
  }
  var slow = slowest.map(function (ti, r) {
    return '<li class="item slow" data-test="' + esc(m.names[ti]) + '"><div class="nm"><span class="rank">' + (r + 1) + '</span>' +
      dot(m.status[ti]) + '<a class="name-link" href="#" data-open="' + ti + '" title="' + esc(m.names[ti]) + '">' + shortNameHtml(m.names[ti]) +
      '</a><span class="dur">' + fmtDur(m.duration[ti]) + '</span></div></li>';
  }).join('');
  h += '<div class="grid2">' +
    panel('skips', 'Skipped', { n: m.skips.length }, '',
      m.skips.length ? this.listHtml('skips') : '<p class="empty">No skips.</p>') +
    panel('slowest', 'Slowest tests', null, '',
      slowest.length ? '<ol class="list scroll">' + slow + '</ol>' : '<p class="empty">No tests.</p>') +
    '</div>';

  // All tests.
  var opts = '<option value="-1">All statuses</option>';
  STATUSES.forEach(function (st, k) {
    if (counts[k]) opts += '<option value="' + k + '">' + esc(LABEL[st]) + ' (' + fmtCount(counts[k]) + ')</option>';
  });
  var tools = '<div class="tbl-tools"><input type="search" placeholder="Filter by name… ( / )" aria-label="Filter by name">' +
    '<select class="status" aria-label="Filter by status">' + opts + '</select><span class="shown"></span></div>';
  var head = '<div class="th"><span></span><button data-sort="name">Name<i></i></button>' +
    '<button data-sort="lane">Lane<i></i></button><button class="num" data-sort="start">Start<i></i></button>' +
    '<button class="num" data-sort="duration">Duration<i></i></button></div>';
  h += '<div class="panel tests tbl" data-total="' + n + '"><div class="panel-head"><h2>All tests</h2>' + tools + '</div>' + head +
    '<div class="tbl-body' + (allRows ? ' all' : '') + '"><div class="tbl-space"></div></div></div>';

  el.innerHTML = h;

  el.addEventListener('click', function (e) {
    var a = e.target.closest('[data-open]');
    if (a) { e.preventDefault(); openTest(si, +a.getAttribute('data-open')); return; }
    var f = e.target.closest('[data-focus]');
    if (f) {
      e.preventDefault();
      if (self.timeline) self.timeline.focus(+f.getAttribute('data-focus'));
      return;
    }
    var sp = e.target.closest('button.spike');
    if (sp && self.timeline) {
      var a0 = +sp.getAttribute('data-start'), a1 = +sp.getAttribute('data-end'), room = Math.max(30e6, (a1 - a0) * 2);
      self.timeline.setView(a0 - room, a1 + room, true);
      self.timeline.setBrush(a0, a1, true);
      return;
    }
    var lm = e.target.closest('button.list-more');
    if (lm) { self.showMore(lm.getAttribute('data-list'), LIST_STEP); return; }
    var clr = e.target.closest('button[data-act="clear-brush"]');
    if (clr && self.timeline) { self.timeline.setBrush(null, null, true); return; }
    var row = e.target.closest('.tr');
    if (row) openTest(si, +row.getAttribute('data-row'));
  });
  el.addEventListener('click', function (e) {
    var b = e.target.closest('button[data-more]');
    if (!b) return;
    var body = b.nextElementSibling, open = body.hidden;
    body.hidden = !open;
    b.setAttribute('aria-expanded', String(open));
    if (open && !body.filled) {
      body.filled = true;
      fillAttachments(body, m, si, +b.getAttribute('data-more'), false);
    }
  });

  el.querySelectorAll('ol[data-list]').forEach(function (ol) {
    ol.addEventListener('scroll', function () {
      if (ol.scrollTop + ol.clientHeight > ol.scrollHeight - 200) self.showMore(ol.getAttribute('data-list'), LIST_STEP);
    });
  });

  var tl = el.querySelector('.timeline');
  this.timeline = tl && tl.querySelector('canvas.bars') ? new Timeline(this, tl) : null;
  if (this.timeline) {
    var attr = el.querySelector('.attribution .attr-body');
    this.timeline.onBrush = function (brush) {
      attr.innerHTML = attributionHtml(m, self.dstat, brush);
    };
  }
  this.table = new TestTable(this, el.querySelector('.tbl'), allRows);
}

// Long lists (failures, skips) start with their first LIST_STEP items;
// more are added from a button or when the list is scrolled to its end,
// so a run with 50,000 failures does not build them all up front.
var LIST_STEP = 200;

StreamView.prototype.listHtml = function (key) {
  var L = this.lists[key];
  L.shown = Math.min(L.items.length, LIST_STEP);
  return '<ol class="list scroll" data-list="' + key + '">' + L.items.slice(0, L.shown).map(L.item).join('') + '</ol>' +
    '<button type="button" class="btn list-more" data-list="' + key + '"' + (L.shown < L.items.length ? '' : ' hidden') + '>' +
    this.moreLabel(L) + '</button>';
};

StreamView.prototype.moreLabel = function (L) {
  var left = L.items.length - L.shown;
  return 'Show ' + fmtCount(Math.min(left, LIST_STEP)) + ' more (' + fmtCount(left) + ' not shown)';
};

// Adds up to `count` items to list `key`.
StreamView.prototype.showMore = function (key, count) {
  var L = this.lists[key], to = Math.min(L.items.length, L.shown + count);
  if (to <= L.shown) return;
  var ol = this.el.querySelector('ol[data-list="' + key + '"]');
  ol.insertAdjacentHTML('beforeend', L.items.slice(L.shown, to).map(L.item).join(''));
  L.shown = to;
  var b = this.el.querySelector('button.list-more[data-list="' + key + '"]');
  b.hidden = to >= L.items.length;
  b.textContent = this.moreLabel(L);
};

StreamView.prototype.timelineHtml = function (counts) {
  var m = this.m, D = DATA.dstat, notes = [];
  var legend = '<div class="legend">' + STATUSES.map(function (st, k) {
    return counts[k] ? '<span>' + dot(k) + esc(LABEL[st]) + '</span>' : '';
  }).join('') + '</div>';
  var tools = '<div class="tools"><span class="range"></span>' +
    '<button class="btn" data-act="in" title="Zoom in">+</button>' +
    '<button class="btn" data-act="out" title="Zoom out">−</button>' +
    '<button class="btn" data-act="fit" title="Show all tests">Fit tests</button>';
  if (!m.timed && !(D && m.start != null)) {
    return panel('timeline', 'Timeline', null, legend,
      '<p class="empty">' + (m.n ? 'No test has timestamps, so there is nothing to place on a time axis.' : 'No tests.') + '</p>');
  }
  var laneH = laneHeight(m.lanes.length);
  var labels = m.lanes.map(function (name, l) {
    var c = m.laneIdx[l].count;
    return '<div class="lane-label' + (laneH < 11 ? ' tiny' : '') + '" data-lane="' + esc(name) + '" data-tests="' + c +
      '" style="height:' + laneH + 'px" title="' + esc(name) + ': ' + c + ' tests">' + esc(name) + '</div>';
  }).join('');
  var grid = '<div class="tl"><div class="tl-labels">' + labels + '</div><div class="tl-plot"><canvas class="bars"></canvas></div>' +
    '<div></div><div class="tl-plot axis-cell"><canvas class="axis"></canvas></div>';
  if (D && m.start != null) {
    var keys = {};
    D.series.forEach(function (p) { keys[p[0]] = true; });
    var charts = CHARTS.filter(function (c) { return c.series.some(function (sr) { return keys[sr[0]]; }); });
    grid += '<div class="dstat" data-points="' + D.points + '" data-charts="' + charts.length + '" style="display:contents">';
    charts.forEach(function (c) {
      var vals = c.series.filter(function (sr) { return keys[sr[0]]; }).map(function (sr) {
        return '<i>' + (sr[2] ? '<span class="dot" style="background:' + sr[2] + ';width:8px;height:8px"></span> ' : '') +
          esc(sr[1]) + ' <span data-v="' + sr[0] + '"></span></i>';
      }).join('<br>');
      grid += '<div class="chart-label"><b>' + esc(c.title) + '</b><span class="vals" data-chart="' + c.key + '">' + vals + '</span></div>' +
        '<div class="tl-plot chart-cell"><canvas data-chart="' + c.key + '"></canvas></div>';
    });
    grid += '</div>';
    var first = D.t[0], last = D.t[D.t.length - 1];
    var lo = m.start, hi = m.end == null ? m.start : m.end;
    if (last < lo || first > hi) {
      notes.push('The dstat log' + (D.name ? ' (' + esc(D.name) + ')' : '') + ' covers ' + esc(fmtClock(first)) + ' → ' +
        esc(fmtClock(last)) + ', outside this run’s tests; “Whole range” shows both.');
    }
    if (first < lo || last > hi) tools += '<button class="btn" data-act="all" title="Show the tests and the whole dstat log">Whole range</button>';
  } else if (DATA.dstat_note) {
    notes.push('No machine-load charts: the dstat log could not be read (' + esc(DATA.dstat_note) + ').');
  } else if (D && m.start == null) {
    notes.push('No machine-load charts: this stream has no timestamps to line them up with.');
  }
  grid += '</div>';
  tools += '</div>';
  var untimedEntries = 0;
  for (var i = 0; i < m.n; i++) if (isNaN(m.at[i]) && STATUSES[m.status[i]] !== 'exists') untimedEntries += 1;
  if (untimedEntries) {
    notes.push(untimedEntries === 1 ? 'One test has no timestamps and is not on the timeline.'
      : fmtCount(untimedEntries) + ' tests have no timestamps and are not on the timeline.');
  }
  var hint = '<p class="hint">Scroll or use the buttons to zoom, drag to pan; ' + (D ? 'drag across a load chart' : 'Shift-drag') +
    ' to see which tests ran then; hover a bar for its name, click it for its details.</p>';
  return panel('timeline', 'Timeline', null, legend + tools, grid + spikesHtml(this.dstat) + hint +
    notes.map(function (t) { return '<p class="note">' + t + '</p>'; }).join(''));
};

StreamView.prototype.show = function () {
  this.visible = true;
  if (this.timeline) this.timeline.draw();
  this.table.render();
};

// Opens the next (+1) or previous (−1) failure.
StreamView.prototype.stepFailure = function (dir) {
  var f = this.m.failures;
  if (!f.length) return;
  var cur = drawerOpen && drawerOpen[0] === this.si ? f.indexOf(drawerOpen[1]) : -1;
  var k = cur < 0 ? (dir > 0 ? 0 : f.length - 1) : Math.min(f.length - 1, Math.max(0, cur + dir));
  if (k >= this.lists.failures.shown) this.showMore('failures', k + 1 - this.lists.failures.shown);
  var li = this.el.querySelector('.failure[data-entry="' + f[k] + '"]');
  this.el.querySelectorAll('.failure.current').forEach(function (x) { x.classList.remove('current'); });
  if (li) { li.classList.add('current'); li.scrollIntoView({ block: 'nearest' }); }
  openTest(this.si, f[k]);
};

// ---------------------------------------------------------------- setup

function route() {
  var p = hashParams(), n = DATA.streams.length;
  if (!n) return;
  var i = parseInt(p.stream, 10);
  if (!(i >= 0 && i < n)) i = 0;
  var sections = document.querySelectorAll('section.stream');
  for (var j = 0; j < sections.length; j++) {
    sections[j].hidden = j !== i;
    if (views[j]) views[j].visible = j === i;
  }
  $('stream-select').value = String(i);
  current = i;
  if (!views[i]) {
    var rows = p.rows === 'all';
    if (!loading[i]) {
      var raw = DATA.streams[i];
      sections[i].innerHTML = summaryHtml(raw, raw.counts, 0) +
        '<p class="empty loading">Reading ' + fmtCount(raw.count) + ' entries…</p>';
      document.documentElement.setAttribute('data-first-screen', String(Math.round(performance.now())));
      loading[i] = loadStream(i).then(function (m) {
        views[i] = new StreamView(i, sections[i], rows, m);
        if (current === i) route();
      }, function (err) {
        sections[i].innerHTML = '<p class="empty">This stream could not be shown: ' + esc(err.message) + '</p>';
      });
    }
    return;
  }
  var v = views[i];
  $('drawer').hidden = true;
  $('backdrop').hidden = true;
  drawerOpen = null;
  hideTip();
  if (v.timeline) {
    var win = parseWindow(p.win), brush = parseWindow(p.brush);
    if (win) v.timeline.setView(win[0], win[1], false);
    v.timeline.setBrush(brush ? brush[0] : null, brush ? brush[1] : null, false);
    if (v.timeline.onBrush) v.timeline.onBrush(v.timeline.brush);
    v.timeline.select(-1);
  }
  v.show();
  var t = parseInt(p.test, 10);
  if (t >= 0 && t < v.m.n) openTest(i, t);
  document.documentElement.setAttribute('data-ready', String(Math.round(performance.now())));
  // The ids are wanted when a test is opened: decode them while idle.
  if (window.requestIdleCallback) requestIdleCallback(function () { loadIds(v.m); });
}

function setup() {
  $('generator').textContent = DATA.generator;
  var sel = $('stream-select');
  sel.innerHTML = DATA.streams.map(function (s, i) {
    return '<option value="' + i + '">' + esc(s.name + ' — ' + fmtCount(s.count) + ' entries') + '</option>';
  }).join('');
  $('picker').hidden = DATA.streams.length < 2;
  var main = $('streams');
  main.innerHTML = DATA.streams.length
    ? DATA.streams.map(function (s, i) {
      return '<section class="stream" data-stream="' + i + '" data-name="' + esc(s.name) + '" hidden></section>';
    }).join('')
    : '<p class="empty">This export has no streams.</p>';
  sel.addEventListener('change', function () {
    location.hash = hashString({ stream: sel.value });
  });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', detachBlocks);
  else detachBlocks();
  window.addEventListener('hashchange', route);
  window.addEventListener('resize', function () { if (views[current]) views[current].show(); });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') { closeDrawer(); return; }
    var tag = e.target && e.target.tagName;
    if (e.ctrlKey || e.metaKey || e.altKey || tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA') return;
    var v = views[current];
    if (!v) return;
    if (e.key === '/') {
      e.preventDefault();
      closeDrawer();
      v.table.input.focus();
      v.table.input.select();
    } else if (e.key === 'j' || e.key === 'k') {
      e.preventDefault();
      v.stepFailure(e.key === 'j' ? 1 : -1);
    }
  });
  $('drawer-close').addEventListener('click', closeDrawer);
  $('backdrop').addEventListener('click', closeDrawer);
  route();
}

setup();
