// Shared constants and helpers: formatting, names, the URL fragment.
// The page's script is these files concatenated in order inside one
// function scope (see src/output/html), with no build step and no library.

var DATA = JSON.parse(document.getElementById('stackviz-data').textContent);
var STATUSES = DATA.statuses;
var ST = {};
STATUSES.forEach(function (s, k) { ST[s] = k; });
var LABEL = {
  success: 'Passed', fail: 'Failed', skip: 'Skipped', xfail: 'Expected failure',
  uxsuccess: 'Unexpected success', exists: 'Listed', inprogress: 'In progress', unknown: 'Unknown'
};
var rootStyle = getComputedStyle(document.documentElement);
var COLOR = STATUSES.map(function (s) {
  return rootStyle.getPropertyValue('--' + s).trim() || '#888888';
});
// Which status wins when bars narrower than a pixel share one column.
var SEVERITY = STATUSES.map(function (s) {
  return { fail: 7, uxsuccess: 6, inprogress: 5, unknown: 4, xfail: 3, skip: 2, success: 1, exists: 0 }[s] || 0;
});
var ROW_H = 28;
var CHARTS = [
  { key: 'cpu', title: 'CPU', max: 100, stacked: true, series: [
    ['usr', 'user', '#4f86e0'], ['sys', 'system', '#d64545'], ['wai', 'I/O wait', '#e0b12f'], ['idl', 'idle', null]] },
  { key: 'memory', title: 'Memory used', area: true, bytes: true, series: [['used', 'used', '#8b6cc1']] },
  { key: 'disk', title: 'Disk', bytes: true, rate: true, series: [['read', 'read', '#2f9e5b'], ['writ', 'write', '#e8833a']] },
  { key: 'network', title: 'Network', bytes: true, rate: true, series: [['recv', 'recv', '#2f6fde'], ['send', 'send', '#d64590']] }
];

var views = [];
var current = -1;

function $(id) { return document.getElementById(id); }

var ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return ESC[c]; }); }

// Where a test name's last part starts, and the separator before it:
// pytest-style ids (`tests/test_x.py::Class::test_y[1.5]`) split at `::`,
// dotted ids at the last dot; never inside a `[parameter]` part.
function splitName(n) {
  var b = n.indexOf('[');
  var head = b > 0 ? n.slice(0, b) : n;
  var sep = head.indexOf('::') >= 0 ? '::' : '.';
  var k = head.lastIndexOf(sep);
  if (k <= 0 || k + sep.length >= n.length) return null;
  return { sep: sep, at: k, leaf: k + sep.length, head: head };
}

// A test name with its last part emphasised; with `wrap`, lines may
// break after each separator.
function nameHtml(n, wrap) {
  var p = splitName(n);
  var part = wrap ? function (x) { return esc(x).replace(/(\.|::|\/)/g, '$1<wbr>'); } : esc;
  if (!p) return part(n);
  return '<span class="ns">' + part(n.slice(0, p.leaf)) + '</span>' + part(n.slice(p.leaf));
}

// Two lines for narrow lists: `Class.method` (or `Class::test`), then the
// module path (or file).
function shortNameHtml(n) {
  var p = splitName(n);
  if (!p) return '<span class="nm-main">' + nameHtml(n) + '</span>';
  var k = p.at, j = p.head.lastIndexOf(p.sep, k - 1);
  if (j <= 0) {
    return '<span class="nm-main"><b>' + esc(n.slice(p.leaf)) + '</b></span>' +
      '<span class="nm-path">' + esc(n.slice(0, k)) + '</span>';
  }
  return '<span class="nm-main">' + esc(n.slice(j + p.sep.length, p.leaf)) + '<b>' + esc(n.slice(p.leaf)) + '</b></span>' +
    '<span class="nm-path">' + esc(n.slice(0, j)) + '</span>';
}

// Pixels per timeline lane: 26 down to 3 as lanes grow, then less than a
// pixel so that thousands of worker lanes still fit a canvas (8,000 px).
function laneHeight(nl) {
  return nl ? Math.min(Math.max(3, Math.min(26, Math.floor(380 / nl))), 8000 / nl) : 0;
}

function pad(n) { return (n < 10 ? '0' : '') + n; }

function fmtSec(s) {
  if (s == null || !isFinite(s)) return '—';
  var a = Math.abs(s), sign = s < 0 ? '−' : '';
  if (a === 0) return '0 s';
  if (a < 1) return sign + (a * 1000).toFixed(a < 0.01 ? 2 : a < 0.1 ? 1 : 0) + ' ms';
  if (a < 60) return sign + a.toFixed(a < 10 ? 2 : 1) + ' s';
  var m = Math.floor(a / 60), sec = Math.round(a - m * 60);
  if (sec === 60) { m += 1; sec = 0; }
  if (m < 60) return sign + m + 'm ' + pad(sec) + 's';
  return sign + Math.floor(m / 60) + 'h ' + pad(m % 60) + 'm';
}

function fmtDur(s) { return s.toFixed(3) + ' s'; }

function fmtClock(us) {
  if (us == null) return '—';
  return new Date(us / 1000).toISOString().replace('T', ' ').replace('Z', ' UTC');
}

function fmtTimeOfDay(us) { return new Date(us / 1000).toISOString().slice(11, 23); }

function fmtBytes(v) {
  if (v == null || !isFinite(v)) return '—';
  var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) { v /= 1024; u += 1; }
  return (u === 0 || Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1)) + ' ' + units[u];
}

function fmtCount(n) { return n.toLocaleString('en-US'); }

function fmtPct(x) { return (100 * x).toFixed(1) + '%'; }

// Runs `fn` once, at the next animation frame or, where frames do not
// come (a hidden or headless page), after 50 ms.
function nextFrame(fn) {
  var done = false;
  var once = function () { if (!done) { done = true; fn(); } };
  requestAnimationFrame(once);
  setTimeout(once, 50);
}

function lowerBound(arr, x) {
  var lo = 0, hi = arr.length;
  while (lo < hi) {
    var mid = (lo + hi) >> 1;
    if (arr[mid] < x) lo = mid + 1; else hi = mid;
  }
  return lo;
}

// Positions of the k largest of vals[0..n) (a Float64Array), largest
// first, ties by `tie(a, b)` or else in position order; `keep(i)` may
// exclude positions. One pass that keeps the best k in order: a value
// enters only when it beats the k-th, which for a million values happens
// a few hundred times.
function topK(vals, n, k, keep, tie) {
  var best = [], i, j;
  var before = function (a, b) {
    return vals[a] > vals[b] || (vals[a] === vals[b] && ((tie ? tie(a, b) : 0) || a - b) < 0);
  };
  if (k <= 0) return best;
  for (i = 0; i < n; i++) {
    var v = vals[i];
    if (v !== v || (best.length === k && v < vals[best[k - 1]])) continue;
    if (keep && !keep(i)) continue;
    if (best.length === k && !before(i, best[k - 1])) continue;
    var lo = 0, hi = best.length;
    while (lo < hi) {
      j = (lo + hi) >> 1;
      if (before(i, best[j])) hi = j; else lo = j + 1;
    }
    best.splice(lo, 0, i);
    if (best.length > k) best.pop();
  }
  return best;
}

function utf8Length(s) {
  var n = 0;
  for (var i = 0; i < s.length; i++) {
    var c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00) { n += 4; i += 1; }
    else n += 3;
  }
  return n;
}

// ---------------------------------------------------------- URL fragment
// `#stream=1&test=42&win=12.5,80&brush=20,30`: the stream shown, the test
// whose details are open, the timeline's window and the brushed window
// (seconds from the stream's first test). A link restores that view.

function hashParams() {
  var out = {};
  // A link cut short in a chat can end inside a %-escape: such a pair is
  // left out rather than stopping the page from drawing.
  var decode = function (s) {
    try { return decodeURIComponent(s); } catch (e) { return null; }
  };
  location.hash.replace(/^#/, '').split('&').forEach(function (kv) {
    if (!kv) return;
    var i = kv.indexOf('=');
    var k = decode(i < 0 ? kv : kv.slice(0, i));
    var v = i < 0 ? '' : decode(kv.slice(i + 1));
    if (k !== null && v !== null) out[k] = v;
  });
  return out;
}

function hashString(p) {
  return Object.keys(p).filter(function (k) { return p[k] != null; }).map(function (k) {
    return encodeURIComponent(k) + (p[k] === '' ? '' : '=' + encodeURIComponent(p[k]).replace(/%2C/g, ','));
  }).join('&');
}

// Updates some fragment keys without a new history entry or a reroute.
var hashTimer = null;
function setHash(changes) {
  var p = hashParams();
  Object.keys(changes).forEach(function (k) { p[k] = changes[k]; });
  var h = hashString(p);
  clearTimeout(hashTimer);
  hashTimer = setTimeout(function () {
    if (location.hash.replace(/^#/, '') === h) return;
    try { history.replaceState(null, '', h ? '#' + h : location.pathname + location.search); } catch (e) { /* file:// in some browsers */ }
  }, 150);
}

// `a,b` in seconds → [a, b] in µs, or null.
function parseWindow(v) {
  if (!v) return null;
  var p = v.split(',').map(Number);
  if (p.length !== 2 || !isFinite(p[0]) || !isFinite(p[1]) || p[1] <= p[0]) return null;
  return [p[0] * 1e6, p[1] * 1e6];
}

function fmtWindow(a, b) {
  var d = Math.max(0, Math.min(6, Math.ceil(3 - Math.log10(Math.max(1e-6, (b - a) / 1e6)))));
  return (a / 1e6).toFixed(d) + ',' + (b / 1e6).toFixed(d);
}

function dot(st) {
  return '<span class="dot" style="background:' + COLOR[st] + '" title="' + LABEL[STATUSES[st]] + '"></span>';
}

function card(key, value, label, sub, cls) {
  return '<div class="card stat' + (cls ? ' ' + cls : '') + '" data-stat="' + key + '" data-value="' + esc(value) +
    '"><b>' + esc(value) + '</b><span>' + esc(label) + '</span>' + (sub ? '<small>' + esc(sub) + '</small>' : '') + '</div>';
}

function panel(cls, title, badge, tools, body) {
  return '<div class="panel ' + cls + '"><div class="panel-head"><h2>' + title +
    (badge == null ? '' : ' <span class="badge' + (badge.bad ? ' bad' : '') + '">' + fmtCount(badge.n) + '</span>') +
    '</h2>' + (tools || '') + '</div>' + body + '</div>';
}
