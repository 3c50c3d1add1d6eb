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
