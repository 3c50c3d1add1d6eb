(function () {
  'use strict';

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
// exclude positions. Sorting
// a typed copy finds the threshold fast, so a million values take well
// under 100 ms.
function topK(vals, n, k, keep, tie) {
  var copy = new Float64Array(n), c = 0, i;
  for (i = 0; i < n; i++) if (!keep || keep(i)) copy[c++] = vals[i];
  if (!c) return [];
  var sorted = copy.subarray(0, c).sort();
  var cut = sorted[Math.max(0, c - k)], out = [];
  for (i = 0; i < n; i++) if (vals[i] >= cut && (!keep || keep(i))) out.push(i);
  out.sort(function (a, b) { return vals[b] - vals[a] || (tie ? tie(a, b) : 0) || a - b; });
  return out.length > k ? out.slice(0, k) : out;
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
  location.hash.replace(/^#/, '').split('&').forEach(function (kv) {
    if (!kv) return;
    var i = kv.indexOf('=');
    var k = decodeURIComponent(i < 0 ? kv : kv.slice(0, i));
    out[k] = i < 0 ? '' : decodeURIComponent(kv.slice(i + 1));
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

// Page data → one model per stream: typed arrays per entry, the entries
// merged into tests by id, lanes indexed by start time, and the
// attachment blocks, decoded only when a test is opened.

// Entries by id: `exists` listings and a reporter's doubles are merged into
// one test with its final outcome. A later verdict replaces an earlier one
// (a rerun that passed after a failure), except that a `success` never
// replaces a `skip` or `xfail`: a skipped test cannot pass in the same run,
// so that is a reporter's second entry for the same test.
function finalEntry(status, cur, e) {
  if (cur < 0) return e;
  var a = STATUSES[status[cur]], b = STATUSES[status[e]];
  if (b === 'exists') return a === 'exists' ? e : cur;
  if (b === 'success' && (a === 'skip' || a === 'xfail')) return cur;
  return e;
}

// The columnar blocks of a stream (written by src/output/html): each is
// gzip, then base64. The arrays block, little-endian:
//   "SVC1", u32 n, u32 name bytes, u32 id-extra bytes,
//   u8 status[n], u8 id kind[n], u8 final[n], pad to 8, i32 lane[n],
//   pad to 8, f64 at[n] (µs from the stream's start; NaN without
//   timestamps), f64 span[n] (µs), u32 name length[n], u32 id-extra
//   length[n] (both in UTF-16 units).
// The names block: every name in UTF-8, one after another; the extras
// block likewise (absent when no id differs from its name). Id kind 0: the
// id is the name; 1: the name followed by the extra (the `[…]` part the
// JSON name drops); 2: the extra is the whole id. `final` marks the entry
// that holds its test's outcome (the exporter merges entries by id).
function decodeColumns(raw) {
  var text = function (id) {
    return id ? blockText(id).then(gunzipBase64).then(function (b) { return new TextDecoder().decode(b); }) : Promise.resolve('');
  };
  return Promise.all([blockText(raw.columns).then(gunzipBase64), text(raw.names_block), text(raw.extras_block)]).then(function (parts) {
    var buf = parts[0], dv = new DataView(buf);
    if (buf.byteLength < 16 || dv.getUint32(0, true) !== 0x31435653) throw new Error('the test data block is damaged');
    var n = dv.getUint32(4, true);
    var off = 16, al = function () { off = (off + 7) & ~7; };
    var status = new Uint8Array(buf, off, n); off += n;
    var kind = new Uint8Array(buf, off, n); off += n;
    var fin = new Uint8Array(buf, off, n); off += n; al();
    var lane = new Int32Array(buf, off, n); off += 4 * n; al();
    var at = new Float64Array(buf, off, n); off += 8 * n;
    var span = new Float64Array(buf, off, n); off += 8 * n;
    var nlen = new Uint32Array(buf, off, n); off += 4 * n;
    var xlen = new Uint32Array(buf, off, n);
    var names = new Array(n), all = parts[1], extra = parts[2], ids = null, p = 0, q = 0, i;
    for (i = 0; i < n; i++) { names[i] = all.slice(p, p + nlen[i]); p += nlen[i]; }
    if (extra) {
      ids = [];
      for (i = 0; i < n; i++) {
        if (!kind[i]) continue;
        var x = extra.slice(q, q + xlen[i]);
        q += xlen[i];
        ids.push([i, kind[i] === 1 ? names[i] + x : x]);
      }
    }
    var duration = new Float64Array(n);
    for (i = 0; i < n; i++) duration[i] = isNaN(span[i]) ? 0 : span[i] / 1e6;
    var out = {};
    Object.keys(raw).forEach(function (k) { out[k] = raw[k]; });
    out.names = names; out.status = status; out.lane = lane; out.at = at; out.span = span;
    out.duration = duration; out.ids = ids; out.final = fin;
    return out;
  });
}

// A stream's model, decoding its columnar block first when it has one.
function loadStream(si) {
  var raw = DATA.streams[si];
  return raw.columns ? decodeColumns(raw).then(prepareStream) : Promise.resolve(prepareStream(raw));
}

function prepareStream(raw) {
  var n = raw.names.length, i;
  var m = {
    name: raw.name, count: raw.count, start: raw.start, end: raw.end, total: raw.total,
    workers: raw.workers, lanes: raw.lanes, chunks: raw.chunks, n: n
  };
  m.status = raw.status instanceof Uint8Array ? raw.status : Uint8Array.from(raw.status);
  m.lane = raw.lane instanceof Int32Array ? raw.lane : Int32Array.from(raw.lane);
  m.duration = raw.duration instanceof Float64Array ? raw.duration : Float64Array.from(raw.duration);
  if (raw.at instanceof Float64Array) {
    m.at = raw.at;
    m.span = raw.span;
  } else {
    m.at = new Float64Array(n);
    m.span = new Float64Array(n);
    for (i = 0; i < n; i++) {
      var a = raw.at[i];
      m.at[i] = a == null ? NaN : a;
      m.span[i] = a == null ? NaN : raw.span[i];
    }
  }
  // Raw ids where they differ from the name (e.g. parameters the JSON
  // name drops): [[entry, id], ...].
  m.ids = null;
  if (raw.ids && raw.ids.length) {
    m.ids = new Array(n);
    raw.ids.forEach(function (p) { m.ids[p[0]] = p[1]; });
  }
  var names = raw.names;
  if (m.ids) {
    // Show the raw id where stripping it made different tests look alike.
    var first = new Map(), clash = new Set();
    for (i = 0; i < n; i++) {
      var key = m.ids[i] || names[i], seen = first.get(names[i]);
      if (seen === undefined) first.set(names[i], key); else if (seen !== key) clash.add(names[i]);
    }
    if (clash.size) {
      names = names.slice();
      for (i = 0; i < n; i++) if (m.ids[i] && clash.has(names[i])) names[i] = m.ids[i];
    }
  }
  m.names = names;
  m.rawNames = raw.names;

  // Tests: one per id, represented by its final entry (marked by the
  // exporter; pages without the marks merge here by the same rule).
  var testOf = null, reps = [], multi = 0;
  if (raw.final) {
    for (i = 0; i < n; i++) if (raw.final[i]) reps.push(i);
    multi = n - reps.length;
  } else {
    var byKey = new Map();
    testOf = new Int32Array(n);
    for (i = 0; i < n; i++) {
      var k = (m.ids && m.ids[i]) || raw.names[i];
      var t = byKey.get(k);
      if (t === undefined) { t = reps.length; byKey.set(k, t); reps.push(i); } else {
        reps[t] = finalEntry(m.status, reps[t], i);
        multi += 1;
      }
      testOf[i] = t;
    }
  }
  m.testOf = testOf;
  m.reps = Int32Array.from(reps);
  m.merged = multi;
  m.isRep = new Uint8Array(n);
  for (i = 0; i < m.reps.length; i++) m.isRep[m.reps[i]] = 1;
  m.counts = STATUSES.map(function () { return 0; });
  for (i = 0; i < m.reps.length; i++) m.counts[m.status[m.reps[i]]] += 1;

  // Failures: [entry, last lines, exception line, signature]; skips:
  // [entry, reason]. Only final outcomes are listed.
  m.failInfo = new Map();
  raw.failures.forEach(function (f) {
    m.failInfo.set(f[0], { lines: f[1], reason: f[2] || null, sig: f[3] || null });
  });
  m.failures = raw.failures.map(function (f) { return f[0]; }).filter(function (e) { return m.isRep[e]; });
  m.skipReason = new Map();
  raw.skips.forEach(function (p) { m.skipReason.set(p[0], p[1]); });
  m.skips = raw.skips.map(function (p) { return p[0]; }).filter(function (e) { return m.isRep[e]; });
  for (i = 0; i < m.reps.length; i++) {
    var r = m.reps[i];
    if (STATUSES[m.status[r]] === 'skip' && !m.skipReason.has(r)) m.skips.push(r);
  }
  m.skips.sort(function (x, y) { return x - y; });

  // Timed entries per lane, by start.
  var nl = m.lanes.length, per = [];
  for (var l = 0; l < nl; l++) per.push([]);
  var lo = Infinity, hi = -Infinity;
  for (i = 0; i < n; i++) {
    var li = m.lane[i];
    // Listings are not runs: they stay off the timeline.
    if (li < 0 || li >= nl || isNaN(m.at[i]) || m.status[i] === ST.exists) continue;
    per[li].push(i);
    if (m.at[i] < lo) lo = m.at[i];
    if (m.at[i] + m.span[i] > hi) hi = m.at[i] + m.span[i];
  }
  m.laneIdx = per.map(function (arr) {
    var sorted = true;
    for (var j = 1; j < arr.length && sorted; j++) sorted = m.at[arr[j - 1]] <= m.at[arr[j]];
    if (!sorted) arr.sort(function (x, y) { return m.at[x] - m.at[y] || x - y; });
    var idx = Int32Array.from(arr), starts = new Float64Array(idx.length), maxSpan = 0;
    for (j = 0; j < idx.length; j++) {
      starts[j] = m.at[idx[j]];
      if (m.span[idx[j]] > maxSpan) maxSpan = m.span[idx[j]];
    }
    return { idx: idx, starts: starts, maxSpan: maxSpan, count: idx.length };
  });
  m.timed = hi > -Infinity ? [lo, hi] : null;
  var untimed = 0;
  for (i = 0; i < m.reps.length; i++) if (isNaN(m.at[m.reps[i]])) untimed += 1;
  m.untimed = untimed;
  return m;
}

// The entries (attempts and listings) merged into entry e's test.
function attemptsOf(m, e) {
  if (!m.merged) return [e];
  var key = function (i) { return (m.ids && m.ids[i]) || m.rawNames[i]; }, k = key(e), out = [];
  for (var i = 0; i < m.n; i++) if (key(i) === k) out.push(i);
  return out;
}

function laneName(m, i) { return m.lane[i] >= 0 ? m.lanes[m.lane[i]] : '—'; }

// --------------------------------------------------------- attachments

var chunkCache = {};
// The attachment blocks' text, taken out of the document once it is
// parsed so the live DOM stays small.
var blocks = {};

function detachBlocks() {
  var els = document.querySelectorAll('script[type="application/octet-stream"]');
  for (var i = 0; i < els.length; i++) {
    blocks[els[i].id] = els[i].textContent;
    els[i].remove();
  }
}

function whenParsed() {
  if (document.readyState !== 'loading') return Promise.resolve();
  return new Promise(function (ok) { document.addEventListener('DOMContentLoaded', ok); });
}

// Base64 text of a gzip member → its bytes, decompressed.
function gunzipBase64(text) {
  if (typeof DecompressionStream !== 'function') {
    return Promise.reject(new Error('this browser has no DecompressionStream; use a current browser'));
  }
  var bin = atob(text.trim());
  var bytes = new Uint8Array(bin.length);
  for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Response(stream).arrayBuffer();
}

function blockText(id) {
  return whenParsed().then(function () {
    var text = blocks[id];
    if (text == null) {
      var el = document.getElementById(id);
      if (!el) throw new Error('block ' + id + ' is missing from this file');
      text = el.textContent;
    }
    return text;
  });
}

function loadChunk(si, ci) {
  var key = si + '-' + ci;
  if (!chunkCache[key]) {
    chunkCache[key] = blockText('a-' + key).then(gunzipBase64).then(function (buf) {
      return JSON.parse(new TextDecoder().decode(buf));
    });
  }
  return chunkCache[key];
}

// [full id or null, tags, [[key, text, bytes cut], ...]]
function loadTest(m, si, ti) {
  var ci = lowerBound(m.chunks, ti + 1) - 1;
  return loadChunk(si, ci).then(function (recs) { return recs[ti - m.chunks[ci]]; });
}

var TRACEBACK_RE = /Traceback \(most recent call last\)|^\s+File "[^"]+", line \d+/m;
var REASON_KEYS = /^(reason|skip[ _-]?reason|tapcomment|message|skip)$/i;

// The traceback first (whatever its attachment is called), then the skip
// reason, the rest in stream order.
function attachmentsHtml(atts) {
  if (!atts.length) return '<p class="muted">This test has no text attachments.</p>';
  var rank = function (a) {
    return a[0] === 'traceback' || TRACEBACK_RE.test(a[1]) ? 0 : REASON_KEYS.test(a[0]) ? 1 : 2;
  };
  atts = atts.map(function (a, i) { return [rank(a), i, a]; })
    .sort(function (x, y) { return x[0] - y[0] || x[1] - y[1]; })
    .map(function (x) { return x[2]; });
  return atts.map(function (a) {
    var shown = utf8Length(a[1]);
    return '<section class="att" data-key="' + esc(a[0]) + '"><h4>' + esc(a[0]) + '<small>' + fmtBytes(shown + a[2]) + '</small></h4>' +
      (a[2] ? '<div class="cut">… cut: ' + a[2] + ' bytes not shown</div>' : '') +
      '<pre>' + esc(a[1]) + '</pre></section>';
  }).join('');
}

function fillAttachments(el, m, si, ti, withMeta) {
  el.innerHTML = '<p class="muted">Loading…</p>';
  loadTest(m, si, ti).then(function (rec) {
    var h = '';
    if (withMeta) {
      var facts = '';
      var id = (m.ids && m.ids[ti]) || rec[0];
      if (id && id !== m.names[ti]) facts += '<dt>Test id</dt><dd>' + esc(id) + '</dd>';
      facts += '<dt>Tags</dt><dd>' + (rec[1].length ? rec[1].map(function (t) {
        return '<span class="tag">' + esc(t) + '</span>';
      }).join('') : '<span class="muted">none</span>') + '</dd>';
      h += '<dl class="facts">' + facts + '</dl>';
    }
    el.innerHTML = h + attachmentsHtml(rec[2]);
  }, function (err) {
    el.innerHTML = '<p class="muted">The attachments could not be shown: ' + esc(err.message) + '</p>';
  });
}

// The timeline: one lane per worker on a canvas, the dstat charts on the
// same time axis below it. Only what is in view is drawn; bars narrower
// than a pixel are aggregated per pixel column (the most severe status in
// the column wins), so a million tests pan and zoom smoothly.
// Dragging on the bars or the axis pans; dragging on a chart (or with
// Shift on the bars) brushes a window: the tests that ran in it are listed.

var STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5,
  1e6, 2e6, 5e6, 1e7, 15e6, 3e7, 6e7, 12e7, 3e8, 6e8, 9e8, 18e8, 36e8, 72e8, 108e8, 216e8, 432e8, 864e8];

// Load spikes: thresholds on the dstat samples.
var SPIKE_IOWAIT = 20;      // % CPU in I/O wait
var SPIKE_CPU = 95;         // % CPU busy (user + system)
var SPIKE_DISK_MIN = 20 * 1048576; // B/s, and 4× the log's median
var SPIKE_COLOR = { iowait: '#e0b12f', cpu: '#d64545', disk: '#2f9e5b' };
var SPIKE_LABEL = { iowait: 'I/O wait', cpu: 'CPU busy', disk: 'disk' };

function tickStep(span, width) {
  var raw = span / Math.max(2, Math.floor(width / 110));
  for (var i = 0; i < STEPS.length; i++) if (STEPS[i] >= raw) return STEPS[i];
  return Math.ceil(raw / 864e8) * 864e8;
}

function fmtTick(t, step) {
  var sign = t < 0 ? '−' : '';
  t = Math.abs(t);
  if (step < 1e6) {
    var dec = Math.min(6, Math.max(0, Math.ceil(-Math.log10(step / 1e6) - 1e-9)));
    return sign + (t / 1e6).toFixed(dec) + 's';
  }
  var sec = Math.round(t / 1e6), h = Math.floor(sec / 3600), m = Math.floor(sec % 3600 / 60), ss = sec % 60;
  if (h) return sign + h + 'h' + (m || ss ? pad(m) + 'm' : '') + (ss ? pad(ss) + 's' : '');
  if (m) return sign + m + 'm' + (ss ? pad(ss) + 's' : '');
  return sign + ss + 's';
}

function sizeCanvas(c, h) {
  var dpr = window.devicePixelRatio || 1;
  var w = c.clientWidth || 800;
  c.style.height = h + 'px';
  var pw = Math.max(1, Math.round(w * dpr)), ph = Math.max(1, Math.round(h * dpr));
  if (c.width !== pw) c.width = pw;
  if (c.height !== ph) c.height = ph;
  var ctx = c.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return { ctx: ctx, w: w, h: h };
}

// The dstat log on a stream's clock (µs from its first test), with sums
// and spike runs worked out once.
function streamDstat(m) {
  var D = DATA.dstat;
  if (!D || m.start == null) return null;
  var n = D.t.length, t = new Float64Array(n);
  for (var k = 0; k < n; k++) t[k] = D.t[k] - m.start;
  var series = {};
  D.series.forEach(function (p) { series[p[0]] = p[1]; });
  var d = { t: t, series: series, range: [t[0], t[n - 1]] };
  var get = function (key, j) { var v = series[key]; return v && v[j] != null ? v[j] : null; };
  var disk = [];
  for (k = 0; k < n; k++) {
    var r = get('read', k), w = get('writ', k);
    if (r != null || w != null) disk.push((r || 0) + (w || 0));
  }
  disk.sort(function (a, b) { return a - b; });
  var diskLimit = disk.length ? Math.max(SPIKE_DISK_MIN, 4 * disk[disk.length >> 1]) : Infinity;
  var runs = [], open = null;
  for (k = 0; k < n; k++) {
    var kind = null, wai = get('wai', k), busy = (get('usr', k) || 0) + (get('sys', k) || 0);
    var dk = (get('read', k) || 0) + (get('writ', k) || 0);
    if (wai != null && wai >= SPIKE_IOWAIT) kind = 'iowait';
    else if (busy >= SPIKE_CPU) kind = 'cpu';
    else if (dk >= diskLimit) kind = 'disk';
    var step = k + 1 < n ? t[k + 1] - t[k] : k > 0 ? t[k] - t[k - 1] : 1e6;
    if (kind && open && open.kind === kind && k === open.last + 1) {
      open.end = t[k] + step / 2; open.last = k;
    } else if (kind) {
      open = { kind: kind, start: t[k] - step / 2, end: t[k] + step / 2, last: k, first: k };
      runs.push(open);
    } else open = null;
  }
  d.spikes = runs;
  return d;
}

// Mean load in [a, b] (µs): CPU busy %, I/O wait %, memory used; the
// nearest sample when none falls inside.
function loadDuring(d, a, b) {
  if (!d || !d.t.length) return null;
  var t = d.t, j0 = lowerBound(t, a), j1 = lowerBound(t, b + 1e-9);
  if (j1 <= j0) {
    var mid = (a + b) / 2, j = lowerBound(t, mid);
    if (j >= t.length || (j > 0 && mid - t[j - 1] < t[j] - mid)) j -= 1;
    if (Math.abs(t[j] - mid) > 10e6 + (b - a)) return null;
    j0 = j; j1 = j + 1;
  }
  var mean = function (f) {
    var s = 0, c = 0;
    for (var j = j0; j < j1; j++) { var v = f(j); if (v != null) { s += v; c += 1; } }
    return c ? s / c : null;
  };
  var S = d.series;
  return {
    samples: j1 - j0,
    cpu: S.usr || S.sys ? mean(function (j) {
      var u = S.usr ? S.usr[j] : null, y = S.sys ? S.sys[j] : null;
      return u == null && y == null ? null : (u || 0) + (y || 0);
    }) : null,
    wai: S.wai ? mean(function (j) { return S.wai[j]; }) : null,
    used: S.used ? mean(function (j) { return S.used[j]; }) : null
  };
}

function loadHtml(L) {
  if (!L) return '<span class="muted">no dstat samples near this time</span>';
  var part = function (k, label, v, shown) {
    return '<span class="load" data-load="' + k + '" data-value="' + v.toFixed(3) + '">' + label + ' <b>' + shown + '</b></span>';
  };
  var out = [];
  if (L.cpu != null) out.push(part('cpu', 'CPU', L.cpu, L.cpu.toFixed(1) + '%'));
  if (L.wai != null) out.push(part('wai', 'I/O wait', L.wai, L.wai.toFixed(1) + '%'));
  if (L.used != null) out.push(part('used', 'memory', L.used, fmtBytes(L.used)));
  return out.join(' · ') + ' <small class="muted">(mean of ' + L.samples + (L.samples === 1 ? ' sample' : ' samples') + ')</small>';
}

function Timeline(view, panel) {
  var m = view.m, self = this;
  this.view = view;
  this.m = m;
  this.panel = panel;
  this.lanes = m.laneIdx;
  this.tests = m.timed;
  if (this.tests && this.tests[1] - this.tests[0] < 1000) this.tests = [this.tests[0], this.tests[0] + 1000];
  this.d = view.dstat;
  var ext = this.tests ? this.tests.slice() : this.d ? this.d.range.slice() : [0, 1e6];
  if (this.d) { ext[0] = Math.min(ext[0], this.d.range[0]); ext[1] = Math.max(ext[1], this.d.range[1]); }
  if (ext[1] - ext[0] < 1000) ext[1] = ext[0] + 1000;
  var padding = (ext[1] - ext[0]) * 0.015;
  this.extent = [ext[0] - padding, ext[1] + padding];
  var nl = this.lanes.length;
  this.laneH = nl ? Math.max(3, Math.min(26, Math.floor(380 / nl))) : 0;
  this.hover = -1;
  this.selected = -1;
  this.brush = null;
  this.cursor = null;
  this.queued = false;
  this.onBrush = null;

  this.bars = panel.querySelector('canvas.bars');
  this.axis = panel.querySelector('canvas.axis');
  this.charts = [];
  panel.querySelectorAll('canvas[data-chart]').forEach(function (c) {
    var def = CHARTS.filter(function (d) { return d.key === c.getAttribute('data-chart'); })[0];
    var ch = { canvas: c, def: def, vals: panel.querySelector('.vals[data-chart="' + def.key + '"]') };
    if (!def.max) {
      var mx = 0;
      def.series.forEach(function (sr) {
        var v = self.d.series[sr[0]];
        if (v) for (var j = 0; j < v.length; j++) if (v[j] != null && v[j] > mx) mx = v[j];
      });
      ch.max = mx > 0 ? mx * 1.08 : 1;
    } else ch.max = def.max;
    self.charts.push(ch);
  });
  this.range = panel.querySelector('.range');
  this.fit(false);

  var canvases = [this.bars, this.axis].concat(this.charts.map(function (c) { return c.canvas; }));
  var drag = null;
  var timeAt = function (c, clientX) {
    var r = c.getBoundingClientRect();
    return self.v0 + (clientX - r.left) / r.width * (self.v1 - self.v0);
  };
  canvases.forEach(function (c) {
    if (!c) return;
    var isChart = c.hasAttribute('data-chart');
    c.addEventListener('pointerdown', function (e) {
      if (e.button !== 0) return;
      drag = { x: e.clientX, v0: self.v0, v1: self.v1, moved: false, brush: isChart || e.shiftKey, t0: timeAt(c, e.clientX) };
      c.setPointerCapture(e.pointerId);
    });
    c.addEventListener('pointermove', function (e) {
      var r = c.getBoundingClientRect(), x = e.clientX - r.left;
      if (drag) {
        var dx = e.clientX - drag.x;
        if (Math.abs(dx) > 3) drag.moved = true;
        if (drag.moved) {
          hideTip();
          if (drag.brush) {
            var t1 = timeAt(c, e.clientX);
            self.setBrush(Math.min(drag.t0, t1), Math.max(drag.t0, t1), false);
          } else {
            c.classList.add('dragging');
            var dt = dx / r.width * (drag.v1 - drag.v0);
            self.setView(drag.v0 - dt, drag.v1 - dt, true);
          }
          return;
        }
      }
      self.cursor = self.v0 + x / r.width * (self.v1 - self.v0);
      if (c === self.bars) {
        var i = self.hit(x, e.clientY - r.top, r.width);
        self.hover = i;
        c.classList.toggle('over', i >= 0);
        if (i >= 0) showTip(self.tipHtml(i), e.clientX, e.clientY); else hideTip();
      }
      self.schedule();
    });
    c.addEventListener('pointerup', function (e) {
      c.classList.remove('dragging');
      var d = drag;
      drag = null;
      if (!d) return;
      if (d.moved && d.brush && self.brush) { self.setBrush(self.brush[0], self.brush[1], true); return; }
      if (!d.moved && c === self.bars) {
        var r = c.getBoundingClientRect();
        var i = self.hit(e.clientX - r.left, e.clientY - r.top, r.width);
        if (i >= 0) { hideTip(); openTest(view.si, i); }
      }
    });
    c.addEventListener('pointerleave', function () {
      if (drag) return;
      self.cursor = null;
      self.hover = -1;
      hideTip();
      self.schedule();
    });
    c.addEventListener('wheel', function (e) {
      e.preventDefault();
      var r = c.getBoundingClientRect();
      var unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? r.height : 1;
      var dx = e.deltaX * unit, dy = e.deltaY * unit;
      var span = self.v1 - self.v0;
      if (Math.abs(dx) > Math.abs(dy)) {
        var shift = dx / r.width * span;
        self.setView(self.v0 + shift, self.v1 + shift, true);
      } else {
        self.zoomAt((e.clientX - r.left) / r.width, Math.exp(dy * 0.0015));
      }
    }, { passive: false });
  });
  panel.querySelector('.tools').addEventListener('click', function (e) {
    var b = e.target.closest('button[data-act]');
    if (!b) return;
    var act = b.getAttribute('data-act');
    if (act === 'in') self.zoomAt(0.5, 0.5);
    else if (act === 'out') self.zoomAt(0.5, 2);
    else if (act === 'fit') self.fit(true);
    else if (act === 'all') self.setView(self.extent[0], self.extent[1], true);
  });
}

Timeline.prototype.fit = function (user) {
  var r = this.tests || this.extent;
  var p = (r[1] - r[0]) * 0.015;
  this.setView(r[0] - p, r[1] + p, user);
};

Timeline.prototype.setView = function (a, b, user) {
  var minSpan = 10, maxSpan = this.extent[1] - this.extent[0];
  var span = Math.min(maxSpan, Math.max(minSpan, b - a));
  var mid = (a + b) / 2;
  a = mid - span / 2;
  if (a < this.extent[0]) a = this.extent[0];
  if (a + span > this.extent[1]) a = this.extent[1] - span;
  this.v0 = a;
  this.v1 = a + span;
  this.panel.setAttribute('data-v0', String(Math.round(this.v0)));
  this.panel.setAttribute('data-v1', String(Math.round(this.v1)));
  if (user) setHash({ win: fmtWindow(this.v0, this.v1) });
  this.schedule();
};

Timeline.prototype.zoomAt = function (frac, factor) {
  var at = this.v0 + frac * (this.v1 - this.v0);
  this.setView(at - (at - this.v0) * factor, at + (this.v1 - at) * factor, true);
};

// Brushes [a, b] (µs); `done` when the drag ended (lists the tests).
Timeline.prototype.setBrush = function (a, b, done) {
  this.brush = a == null ? null : [a, b];
  if (this.brush) {
    this.panel.setAttribute('data-brush', Math.round(a) + ',' + Math.round(b));
  } else this.panel.removeAttribute('data-brush');
  if (done) {
    setHash({ brush: this.brush ? fmtWindow(a, b) : null });
    if (this.onBrush) this.onBrush(this.brush);
  }
  this.schedule();
};

Timeline.prototype.select = function (i) {
  this.selected = i;
  if (i >= 0) this.panel.setAttribute('data-selected', String(i)); else this.panel.removeAttribute('data-selected');
  this.schedule();
};

// Shows entry i with some room around it, selected.
Timeline.prototype.focus = function (i) {
  var a = this.m.at[i];
  if (isNaN(a)) return;
  var sp = Math.max(this.m.span[i], 1000), room = Math.max(sp * 1.5, (this.v1 - this.v0) * 0.02);
  this.setView(a - room, a + sp + room, true);
  this.select(i);
  this.panel.scrollIntoView({ block: 'nearest' });
};

Timeline.prototype.schedule = function () {
  if (this.queued || !this.view.visible) return;
  this.queued = true;
  var self = this;
  nextFrame(function () { self.queued = false; self.draw(); });
};

Timeline.prototype.hit = function (x, y, width) {
  var l = Math.floor(y / this.laneH);
  if (l < 0 || l >= this.lanes.length) return -1;
  var lane = this.lanes[l], m = this.m;
  var k = width / (this.v1 - this.v0), t = this.v0 + x / k, tol = 3 / k;
  var best = -1, bestD = Infinity;
  for (var j = lowerBound(lane.starts, t - tol - lane.maxSpan); j < lane.count; j++) {
    var i = lane.idx[j], a = m.at[i];
    if (a > t + tol) break;
    var b = a + m.span[i];
    var d = t < a ? a - t : t > b ? t - b : 0;
    if (d <= tol && d < bestD) { best = i; bestD = d; if (d === 0 && m.span[i] > 0) break; }
  }
  return best;
};

Timeline.prototype.tipHtml = function (i) {
  var m = this.m, st = m.status[i];
  return '<div class="t-name">' + nameHtml(m.names[i], true) + '</div><div class="t-meta">' + dot(st) + ' ' +
    esc(LABEL[STATUSES[st]]) + ' · ' + fmtDur(m.duration[i]) + ' · starts +' + (m.at[i] / 1e6).toFixed(3) +
    ' s · ' + esc(laneName(m, i)) + '</div>';
};

Timeline.prototype.draw = function () {
  var m = this.m, v0 = this.v0, v1 = this.v1;
  if (this.range && m.start != null) {
    this.range.textContent = fmtTimeOfDay(m.start + v0) + ' – ' + fmtTimeOfDay(m.start + v1) + ' UTC';
  }
  var step = 0, ticks = [];
  if (this.axis) {
    var ax = sizeCanvas(this.axis, 26);
    step = tickStep(v1 - v0, ax.w);
    for (var t = Math.ceil(v0 / step) * step; t <= v1; t += step) ticks.push(t);
    var kx = ax.w / (v1 - v0), ctx = ax.ctx;
    ctx.fillStyle = '#cfd6df';
    ctx.fillRect(0, 0, ax.w, 1);
    if (this.d) {
      this.d.spikes.forEach(function (sp) {
        if (sp.end < v0 || sp.start > v1) return;
        var x0 = Math.max(0, (sp.start - v0) * kx), x1 = Math.min(ax.w, (sp.end - v0) * kx);
        ctx.fillStyle = SPIKE_COLOR[sp.kind];
        ctx.fillRect(x0, 0, Math.max(2, x1 - x0), 4);
      });
    }
    ctx.font = '11px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ticks.forEach(function (tk) {
      var x = Math.round((tk - v0) * kx) + 0.5;
      ctx.fillStyle = '#cfd6df';
      ctx.fillRect(x - 0.5, 0, 1, 5);
      ctx.fillStyle = '#667285';
      var label = fmtTick(tk, step);
      var w = ctx.measureText(label).width / 2;
      ctx.fillText(label, Math.min(ax.w - w, Math.max(w, x)), 8);
    });
  }
  if (this.bars) this.drawBars(ticks);
  for (var c = 0; c < this.charts.length; c++) this.drawChart(this.charts[c], ticks);
};

Timeline.prototype.grid = function (ctx, ticks, w, h) {
  var k = w / (this.v1 - this.v0), v0 = this.v0;
  ctx.fillStyle = '#eceff3';
  ticks.forEach(function (t) { ctx.fillRect(Math.round((t - v0) * k), 0, 1, h); });
};

// The brushed window and the selected test's span, over any canvas.
Timeline.prototype.marks = function (ctx, w, h, under) {
  var k = w / (this.v1 - this.v0), v0 = this.v0, m = this.m;
  if (this.brush) {
    var b0 = (this.brush[0] - v0) * k, b1 = (this.brush[1] - v0) * k;
    ctx.fillStyle = under ? 'rgba(47, 111, 222, .10)' : 'rgba(47, 111, 222, .55)';
    if (under) ctx.fillRect(b0, 0, Math.max(1, b1 - b0), h);
    else { ctx.fillRect(b0, 0, 1, h); ctx.fillRect(b1, 0, 1, h); }
  }
  if (this.selected >= 0 && !isNaN(m.at[this.selected])) {
    var s0 = (m.at[this.selected] - v0) * k, s1 = (m.at[this.selected] + m.span[this.selected] - v0) * k;
    ctx.fillStyle = under ? 'rgba(29, 38, 51, .09)' : 'rgba(29, 38, 51, .6)';
    if (under) ctx.fillRect(s0, 0, Math.max(1, s1 - s0), h);
    else { ctx.fillRect(s0, 0, 1, h); ctx.fillRect(Math.max(s0 + 1, s1), 0, 1, h); }
  }
};

Timeline.prototype.cursorLine = function (ctx, w, h) {
  if (this.cursor == null) return;
  var x = Math.round((this.cursor - this.v0) / (this.v1 - this.v0) * w) + 0.5;
  ctx.strokeStyle = 'rgba(29, 38, 51, .45)';
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(x, 0);
  ctx.lineTo(x, h);
  ctx.stroke();
};

Timeline.prototype.drawBars = function (ticks) {
  var m = this.m, lh = this.laneH, nl = this.lanes.length;
  var cv = sizeCanvas(this.bars, Math.max(1, nl * lh)), ctx = cv.ctx, w = cv.w;
  var v0 = this.v0, v1 = this.v1, k = w / (v1 - v0), l;
  for (l = 1; l < nl; l += 2) {
    ctx.fillStyle = '#f7f9fb';
    ctx.fillRect(0, l * lh, w, lh);
  }
  this.grid(ctx, ticks, w, nl * lh);
  this.marks(ctx, w, nl * lh, true);
  var paths = STATUSES.map(function () { return new Path2D(); });
  var padY = lh > 10 ? 3 : lh > 5 ? 1 : 0;
  var cols = Math.ceil(w) + 1, col = new Int8Array(cols), at = m.at, span = m.span, status = m.status;
  var drawn = 0, lod = 0;
  for (l = 0; l < nl; l++) {
    var lane = this.lanes[l], y = l * lh + padY, h = lh - 2 * padY, used = false;
    for (var j = lowerBound(lane.starts, v0 - lane.maxSpan); j < lane.count; j++) {
      var i = lane.idx[j], a = at[i];
      if (a > v1) break;
      var b = a + span[i];
      if (b < v0) continue;
      var x0 = (a - v0) * k, x1 = (b - v0) * k;
      if (x1 - x0 < 1) {
        // Narrower than a pixel: one column per pixel, most severe wins.
        var c = x0 < 0 ? 0 : x0 | 0, sv = SEVERITY[status[i]] + 1;
        if (c < cols && col[c] < sv) { col[c] = sv; used = true; }
        lod += 1;
        continue;
      }
      if (x1 - x0 > 3) x1 -= 1;
      if (x0 < -2) x0 = -2;
      if (x1 > w + 2) x1 = w + 2;
      paths[status[i]].rect(x0, y, x1 - x0, h);
      drawn += 1;
    }
    if (used) {
      for (c = 0; c < cols; c++) {
        if (!col[c]) continue;
        var sev = col[c] - 1, c1 = c;
        while (c1 + 1 < cols && col[c1 + 1] === col[c]) { col[c1 + 1] = 0; c1 += 1; }
        col[c] = 0;
        paths[SEVERITY.indexOf(sev)].rect(c, y, c1 - c + 1, h);
      }
    }
  }
  for (var st = 0; st < paths.length; st++) {
    ctx.fillStyle = COLOR[st];
    ctx.fill(paths[st]);
  }
  this.bars.setAttribute('data-drawn', String(drawn));
  this.bars.setAttribute('data-aggregated', String(lod));
  var self = this;
  [this.hover, this.selected].forEach(function (hi, n) {
    if (hi < 0 || isNaN(at[hi]) || m.lane[hi] < 0) return;
    var hx0 = (at[hi] - v0) * k, hx1 = Math.max(hx0 + 1, (at[hi] + span[hi] - v0) * k);
    ctx.strokeStyle = n ? '#2f6fde' : '#1d2633';
    ctx.lineWidth = n ? 2 : 1.5;
    ctx.strokeRect(hx0 - 1, m.lane[hi] * lh + Math.max(0, padY - 1), hx1 - hx0 + 2, lh - 2 * Math.max(0, padY - 1));
  });
  self.marks(ctx, w, nl * lh, false);
  this.cursorLine(ctx, w, nl * lh);
};

Timeline.prototype.drawChart = function (ch, ticks) {
  var H = 72, cv = sizeCanvas(ch.canvas, H), ctx = cv.ctx, w = cv.w;
  var d = this.d, def = ch.def, v0 = this.v0, k = w / (this.v1 - v0);
  this.grid(ctx, ticks, w, H);
  this.marks(ctx, w, H, true);
  ctx.fillStyle = '#e3e8ee';
  ctx.fillRect(0, H - 1, w, 1);
  var t = d.t, n = t.length;
  var j0 = Math.max(0, lowerBound(t, v0) - 1), j1 = Math.min(n - 1, lowerBound(t, this.v1));
  // Many samples per pixel: draw every `every`-th (the log is already
  // averaged to at most 20,000 points).
  var every = Math.max(1, Math.floor((j1 - j0) / (2 * w)));
  var top = 6, scale = (H - top - 2) / ch.max;
  function Y(v) { return H - 1 - v * scale; }
  function X(j) { return (t[j] - v0) * k; }
  ctx.font = '10.5px system-ui, sans-serif';
  ctx.textBaseline = 'top';
  ctx.textAlign = 'left';
  var inView = n > 0 && t[n - 1] >= v0 && t[0] <= this.v1;
  if (!inView) {
    ctx.fillStyle = '#98a2b3';
    ctx.textAlign = 'center';
    ctx.fillText('no dstat samples in this time range', w / 2, H / 2 - 6);
  } else if (def.stacked) {
    var base = new Float64Array(j1 - j0 + 1);
    def.series.forEach(function (sr) {
      var v = d.series[sr[0]];
      if (!v || !sr[2]) return;
      ctx.beginPath();
      var j;
      for (j = j0; j <= j1; j += every) ctx.lineTo(X(j), Y(base[j - j0] + (v[j] || 0)));
      for (j -= every; j >= j0; j -= every) ctx.lineTo(X(j), Y(base[j - j0]));
      ctx.closePath();
      ctx.fillStyle = sr[2];
      ctx.globalAlpha = 0.8;
      ctx.fill();
      ctx.globalAlpha = 1;
      for (j = j0; j <= j1; j++) base[j - j0] += v[j] || 0;
    });
  } else {
    def.series.forEach(function (sr) {
      var v = d.series[sr[0]];
      if (!v) return;
      ctx.beginPath();
      var open = false, firstX = 0, lastX = 0;
      for (var j = j0; j <= j1; j += every) {
        if (v[j] == null) { open = false; continue; }
        var x = X(j), y = Y(v[j]);
        if (!open) { ctx.moveTo(x, y); firstX = x; open = true; } else ctx.lineTo(x, y);
        lastX = x;
      }
      ctx.strokeStyle = sr[2];
      ctx.lineWidth = 1.5;
      ctx.lineJoin = 'round';
      ctx.stroke();
      if (def.area && open) {
        ctx.lineTo(lastX, H - 1);
        ctx.lineTo(firstX, H - 1);
        ctx.closePath();
        ctx.fillStyle = sr[2];
        ctx.globalAlpha = 0.15;
        ctx.fill();
        ctx.globalAlpha = 1;
      }
    });
  }
  ctx.fillStyle = '#98a2b3';
  ctx.textAlign = 'left';
  ctx.fillText(def.bytes ? fmtBytes(ch.max) + (def.rate ? '/s' : '') : ch.max + '%', 4, 1);
  this.marks(ctx, w, H, false);
  this.cursorLine(ctx, w, H);
  this.readout(ch);
};

Timeline.prototype.readout = function (ch) {
  if (!ch.vals) return;
  var d = this.d, def = ch.def, j = -1;
  if (this.cursor != null && d.t.length) {
    j = lowerBound(d.t, this.cursor);
    if (j >= d.t.length || (j > 0 && this.cursor - d.t[j - 1] < d.t[j] - this.cursor)) j -= 1;
    if (Math.abs(d.t[j] - this.cursor) > 5e6 && (this.cursor < d.range[0] || this.cursor > d.range[1])) j = -1;
  }
  ch.vals.querySelectorAll('[data-v]').forEach(function (el) {
    var v = d.series[el.getAttribute('data-v')];
    if (j < 0 || !v || v[j] == null) { el.textContent = ''; return; }
    el.textContent = def.bytes ? fmtBytes(v[j]) + (def.rate ? '/s' : '') : v[j].toFixed(1) + '%';
  });
};

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

// The tests table: one row per test (its final entry), virtualised (only
// the rows in view are in the DOM), with sort orders computed once per key.

function TestTable(view, root, allRows) {
  var m = view.m, self = this;
  this.view = view;
  this.m = m;
  this.all = allRows;
  this.body = root.querySelector('.tbl-body');
  this.space = root.querySelector('.tbl-space');
  this.shownEl = root.querySelector('.shown');
  this.root = root;
  this.q = '';
  this.status = -1;
  this.sortKey = 'order';
  this.desc = false;
  this.lower = null;
  this.orders = {};
  this.rows = new Int32Array(0);
  this.queued = false;
  this.input = root.querySelector('input[type=search]');
  this.input.addEventListener('input', function (e) {
    self.q = e.target.value.trim().toLowerCase();
    self.refilter();
  });
  root.querySelector('select.status').addEventListener('change', function (e) {
    self.status = +e.target.value;
    self.refilter();
  });
  root.querySelector('.th').addEventListener('click', function (e) {
    var b = e.target.closest('button[data-sort]');
    if (!b) return;
    var key = b.getAttribute('data-sort');
    if (key === self.sortKey) self.desc = !self.desc;
    else { self.sortKey = key; self.desc = key === 'duration'; }
    self.refilter();
  });
  this.body.addEventListener('scroll', function () {
    if (self.all || self.queued) return;
    self.queued = true;
    nextFrame(function () { self.queued = false; self.render(); });
  });
  this.refilter();
}

// The tests in ascending order of `key`, ties in stream order.
TestTable.prototype.order = function (key) {
  if (this.orders[key]) return this.orders[key];
  var m = this.m, reps = m.reps, n = reps.length, idx;
  if (key === 'name') {
    // Sorting strings directly is much faster than a comparator.
    var keyed = new Array(n);
    for (var i = 0; i < n; i++) keyed[i] = m.names[reps[i]];
    var byName = new Map();
    for (i = 0; i < n; i++) {
      var list = byName.get(keyed[i]);
      if (list) list.push(reps[i]); else byName.set(keyed[i], [reps[i]]);
    }
    var uniq = Array.from(byName.keys()).sort();
    idx = new Int32Array(n);
    var k = 0;
    for (i = 0; i < uniq.length; i++) { var l = byName.get(uniq[i]); for (var j = 0; j < l.length; j++) idx[k++] = l[j]; }
  } else {
    var vals = new Float64Array(n), at = m.at;
    for (i = 0; i < n; i++) {
      var e = reps[i];
      vals[i] = key === 'duration' ? m.duration[e] : key === 'lane' ? m.lane[e] : key === 'start' ? (isNaN(at[e]) ? Infinity : at[e]) : i;
    }
    var pos = new Int32Array(n);
    for (i = 0; i < n; i++) pos[i] = i;
    if (key !== 'order') pos.sort(function (a, b) { return vals[a] - vals[b] || a - b; });
    idx = new Int32Array(n);
    for (i = 0; i < n; i++) idx[i] = reps[pos[i]];
  }
  this.orders[key] = idx;
  return idx;
};

TestTable.prototype.refilter = function () {
  var m = this.m, q = this.q, st = this.status, i;
  if (q && !this.lower) {
    this.lower = new Array(m.n);
    for (i = 0; i < m.n; i++) if (m.isRep[i]) this.lower[i] = m.names[i].toLowerCase();
  }
  var order = this.order(this.sortKey), n = order.length, rows = new Int32Array(n), c = 0;
  for (var j = 0; j < n; j++) {
    var k = this.desc ? order[n - 1 - j] : order[j];
    if (st >= 0 && m.status[k] !== st) continue;
    if (q && this.lower[k].indexOf(q) < 0) continue;
    rows[c++] = k;
  }
  this.rows = rows.subarray(0, c);
  this.shownEl.setAttribute('data-shown', c);
  this.shownEl.textContent = c === n ? fmtCount(c) + ' tests' : fmtCount(c) + ' of ' + fmtCount(n) + ' tests';
  var self = this;
  this.root.querySelectorAll('.th button[data-sort]').forEach(function (b) {
    var on = b.getAttribute('data-sort') === self.sortKey;
    b.setAttribute('data-dir', on ? (self.desc ? 'desc' : 'asc') : '');
    b.querySelector('i').textContent = on ? (self.desc ? ' ▾' : ' ▴') : '';
  });
  if (!this.all) {
    this.space.style.height = c * ROW_H + 'px';
    this.body.scrollTop = 0;
  }
  this.render();
};

TestTable.prototype.rowHtml = function (i, j) {
  var m = this.m, n = m.names[i], at = m.at[i];
  return '<div class="tr" data-row="' + i + '" data-test="' + esc(n) + '"' +
    (this.all ? '' : ' style="top:' + j * ROW_H + 'px"') + '>' + dot(m.status[i]) +
    '<span class="name" title="' + esc(n) + '">' + nameHtml(n) + '</span>' +
    '<span class="lane">' + esc(laneName(m, i)) + '</span>' +
    '<span class="num">' + (isNaN(at) ? '—' : '+' + (at / 1e6).toFixed(3) + ' s') + '</span>' +
    '<span class="num">' + fmtDur(m.duration[i]) + '</span></div>';
};

TestTable.prototype.render = function () {
  var rows = this.rows, first = 0, last = rows.length, html = [];
  if (!this.all) {
    var top = this.body.scrollTop, h = this.body.clientHeight || 520;
    first = Math.max(0, Math.floor(top / ROW_H) - 10);
    last = Math.min(rows.length, Math.ceil((top + h) / ROW_H) + 10);
  }
  for (var j = first; j < last; j++) html.push(this.rowHtml(rows[j], j));
  if (!rows.length) html.push('<p class="empty">No test matches.</p>');
  this.space.innerHTML = html.join('');
};

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

function StreamView(si, el, allRows, m) {
  var n = m.reps.length, self = this, i;
  this.si = si;
  this.m = m;
  this.el = el;
  this.visible = false;
  this.dstat = streamDstat(m);
  this.failCursor = -1;
  var counts = m.counts, by = {};
  STATUSES.forEach(function (st, k) { by[st] = counts[k]; });
  var passed = by.success + by.xfail, judged = passed + by.fail + by.uxsuccess;
  var wall = m.start != null && m.end != null ? (m.end - m.start) / 1e6 : null;

  var h = '<div class="stream-head"><h1>' + esc(m.name) + '</h1><p class="when">' +
    (m.start != null ? esc(fmtClock(m.start)) + ' → ' + esc(fmtClock(m.end)) : 'no timestamps') + '</p></div>';

  var totalSub = [];
  if (m.merged) totalSub.push(fmtCount(m.n) + ' entries, merged by test id');
  if (m.untimed) totalSub.push(fmtCount(m.untimed) + ' without timestamps');
  h += '<div class="cards">' +
    card('total', fmtCount(n), 'tests', totalSub.join('; ')) +
    card('pass-rate', judged ? (100 * passed / judged).toFixed(1) + '%' : '—', 'pass rate',
      judged ? fmtCount(passed) + ' of ' + fmtCount(judged) + ' with a verdict' : 'no test with a verdict',
      judged ? (passed === judged ? 'good' : 'bad') : '') +
    card('wall', fmtSec(wall), 'wall time', m.start != null ? fmtTimeOfDay(m.start) + ' → ' + fmtTimeOfDay(m.end) + ' UTC' : '') +
    card('sum', fmtSec(m.total), 'sum of durations', wall ? '×' + (m.total / wall).toFixed(1) + ' parallelism' : '') +
    card('workers', m.workers ? String(m.workers) : '—', 'workers',
      m.workers ? '' : 'no worker tags; ' + m.lanes.length + (m.lanes.length === 1 ? ' lane' : ' lanes') + ' by overlap') +
    '</div>';

  var chips = '', bar = '';
  STATUSES.forEach(function (st, k) {
    if (!counts[k] && k > 2) return;
    chips += '<span class="count" data-status="' + st + '" data-count="' + counts[k] + '">' + dot(k) +
      esc(LABEL[st]) + ' <b>' + fmtCount(counts[k]) + '</b></span>';
    if (counts[k]) bar += '<i style="flex:' + counts[k] + ';background:' + COLOR[k] + '" title="' + esc(LABEL[st]) + ': ' + counts[k] + '"></i>';
  });
  h += '<div class="counts-row"><div class="counts">' + chips + '</div><div class="statusbar">' + bar + '</div></div>';

  h += this.timelineHtml(counts);
  if (m.timed) {
    h += panel('attribution', 'Load attribution', null, '<span class="muted">which tests ran in a window</span>',
      '<div class="attr-body">' + attributionHtml(m, this.dstat, null) + '</div>');
  }
  this.sched = scheduling(m);
  if (m.timed) h += schedulingHtml(m, this.sched);

  // Failures: the exception line as the summary, then the traceback's end.
  h += failureGroupsHtml(m);
  var fl = m.failures.map(function (ti) {
    var f = m.failInfo.get(ti) || {}, lines = f.lines;
    return '<li class="failure" data-test="' + esc(m.names[ti]) + '" data-entry="' + ti + '"><div class="f-head">' + dot(m.status[ti]) +
      '<a class="name-link" href="#" data-open="' + ti + '">' + nameHtml(m.names[ti], true) + '</a><span class="dur">' +
      fmtDur(m.duration[ti]) + '</span></div>' +
      (f.reason ? '<p class="f-reason">' + esc(f.reason) + '</p>' : '') +
      (lines ? '<pre class="tb-last">' + esc(lines.join('\n')) + '</pre>' : '<p class="muted tb-none">No traceback.</p>') +
      '<button type="button" class="more" data-more="' + ti + '" aria-expanded="false">All attachments</button>' +
      '<div class="att-body" hidden></div></li>';
  }).join('');
  h += panel('failures', 'Failures', { n: m.failures.length, bad: m.failures.length > 0 },
    m.failures.length ? '<span class="muted">j / k: next / previous</span>' : '',
    m.failures.length ? '<ol class="list scroll">' + fl + '</ol>' : '<p class="empty">No failures.</p>');

  // Skips and the slowest tests (listings have no duration to speak of).
  var sk = m.skips.map(function (e) {
    var r = m.skipReason.get(e);
    return '<li class="item skip" data-test="' + esc(m.names[e]) + '"><div class="nm"><a class="name-link" href="#" data-open="' +
      e + '" title="' + esc(m.names[e]) + '">' + shortNameHtml(m.names[e]) + '</a><span class="dur">' + fmtDur(m.duration[e]) + '</span></div>' +
      (r != null ? '<span class="reason">' + esc(r) + '</span>' : '') + '</li>';
  }).join('');
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
      m.skips.length ? '<ol class="list scroll">' + sk + '</ol>' : '<p class="empty">No skips.</p>') +
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
  var laneH = m.lanes.length ? Math.max(3, Math.min(26, Math.floor(380 / m.lanes.length))) : 0;
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
      sections[i].innerHTML = '<p class="empty loading">Reading ' + fmtCount(DATA.streams[i].count) + ' entries…</p>';
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
})();
