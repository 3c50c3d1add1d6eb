// Page data → one model per stream: typed arrays per entry, the entries
// merged into tests by id, lanes indexed by start time, and the
// attachment blocks, decoded only when a test is opened.

// The columnar blocks of a stream (written by src/output/html/columns.rs):
// each is one or more lines of base64, each line a gzip member (see
// src/output/html/pack.rs). The arrays block, little-endian:
//   "SVC2", u32 n, u32 name bytes, u32 id-extra bytes,
//   u8 status[n], u8 id kind[n], u8 final[n], pad to 8, i32 lane[n],
//   pad to 8, f64 at[n] (µs from the stream's start; NaN without
//   timestamps), f64 span[n] (µs), u32 name length[n], u32 id-extra
//   length[n] (both in UTF-16 units), u32 by name[n]: the entries in the
//   order of the names shown, as the default string sort orders them
//   (UTF-16 code units), ties in stream order.
// The names block: every name in UTF-8, one after another in that
// order (sorted names compress to less than half); the extras
// block likewise (absent when every id is its name), with each lower-case
// UUID packed as a 0 byte and its 16 bytes, and a literal 0 or 1 byte
// written as 1 and the byte (see unpackUuids). Id kind, low two bits:
// 0 the id is the name, 1 the name followed by the extra (the `[…]` part
// the JSON name drops), 2 the extra is the whole id; bit 2: show the id
// (dropping that part made different tests look alike). `final` marks the
// entry that holds its test's outcome: the exporter merges entries by id
// (listings, reruns, a reporter's doubles).

function textOf(id, unpack) {
  if (!id) return Promise.resolve('');
  return blockText(id).then(gunzipBase64).then(function (b) {
    return new TextDecoder().decode(unpack ? unpack(new Uint8Array(b)) : b);
  });
}

// The id extras' bytes with their UUIDs back as text.
var HEX = [];
for (var h = 0; h < 256; h++) HEX.push([48 + (h >> 4) + (h >= 160 ? 39 : 0), 48 + (h & 15) + ((h & 15) >= 10 ? 39 : 0)]);
function unpackUuids(b) {
  var n = b.length, out = new Uint8Array(n + (n >> 1) + 64), o = 0, i = 0;
  while (i < n) {
    if (o + 40 > out.length) { var more = new Uint8Array(out.length * 2); more.set(out); out = more; }
    var c = b[i];
    if (c > 1) { out[o++] = c; i++; continue; }
    if (c === 1) { out[o++] = b[i + 1]; i += 2; continue; }
    for (var k = 0; k < 16; k++) {
      if (k === 4 || k === 6 || k === 8 || k === 10) out[o++] = 45;
      var d = HEX[b[i + 1 + k]];
      out[o++] = d[0]; out[o++] = d[1];
    }
    i += 17;
  }
  return out.subarray(0, o);
}

// The arrays and the names; the id extras are decoded later, when needed
// (see loadIds).
function decodeColumns(raw) {
  return Promise.all([blockText(raw.columns).then(gunzipBase64), textOf(raw.names_block)]).then(function (parts) {
    var buf = parts[0], dv = new DataView(buf);
    if (buf.byteLength < 16 || dv.getUint32(0, true) !== 0x32435653) throw new Error('the test data block is damaged');
    var n = dv.getUint32(4, true);
    var off = 16, al = function () { off = (off + 7) & ~7; };
    var c = { n: n };
    c.status = new Uint8Array(buf, off, n); off += n;
    c.kind = new Uint8Array(buf, off, n); off += n;
    c.final = new Uint8Array(buf, off, n); off += n; al();
    c.lane = new Int32Array(buf, off, n); off += 4 * n; al();
    c.at = new Float64Array(buf, off, n); off += 8 * n;
    c.span = new Float64Array(buf, off, n); off += 8 * n;
    var nlen = new Uint32Array(buf, off, n); off += 4 * n;
    c.xlen = new Uint32Array(buf, off, n); off += 4 * n;
    var byName = new Int32Array(buf, off, n);
    var names = new Array(n), all = parts[1], p = 0, at = new Float64Array(n + 1);
    for (var k = 0; k < n; k++) { var i = byName[k]; at[k] = p; names[i] = all.slice(p, p + nlen[i]); p += nlen[i]; }
    at[n] = p;
    c.byName = byName;
    // The names as one string (the slices share it) and where the k-th in
    // name order starts: the table's search scans it.
    c.nameText = all;
    c.nameAt = at;
    c.names = names;
    return c;
  });
}

// A stream's model. The ids are decoded up front only when the page
// needs them to draw: when names are shown as ids, or entries were merged.
function loadStream(si) {
  var raw = DATA.streams[si];
  return decodeColumns(raw).then(function (c) {
    var m = prepareStream(raw, c);
    return m.needIds ? loadIds(m).then(function () { return m; }) : m;
  });
}

// Decodes the id extras once; resolves when idOf gives full ids.
function loadIds(m) {
  if (!m.idsLoaded) {
    m.idsLoaded = textOf(m.extrasBlock, unpackUuids).then(function (text) {
      m.extra = m.extrasBlock ? text : null;
      // Show the raw id where the exporter says the name hides a difference.
      var shown = null;
      for (var i = 0; m.extra && i < m.n; i++) {
        if (!(m.kind[i] & 4)) continue;
        if (!shown) shown = m.names.slice();
        shown[i] = idOf(m, i);
      }
      if (shown) m.names = shown;
    });
  }
  return m.idsLoaded;
}

function prepareStream(raw, c) {
  var n = c.n, i;
  var m = {
    name: raw.name, count: raw.count, start: raw.start, end: raw.end, total: raw.total,
    workers: raw.workers, lanes: raw.lanes, chunks: raw.chunks, n: n,
    status: c.status, lane: c.lane, at: c.at, span: c.span, kind: c.kind,
    names: c.names, baseNames: c.names, extra: null, extrasBlock: raw.extras_block, xlen: c.xlen, extraAt: null,
    idsLoaded: null, byName: c.byName, nameText: c.nameText, nameAt: c.nameAt
  };
  m.duration = new Float64Array(n);
  for (i = 0; i < n; i++) m.duration[i] = isNaN(c.span[i]) ? 0 : c.span[i] / 1e6;

  // Tests: one per id, represented by its final entry.
  var reps = [];
  for (i = 0; i < n; i++) if (c.final[i]) reps.push(i);
  m.reps = Int32Array.from(reps);
  m.merged = n - reps.length;
  m.isRep = c.final;
  var clash = false;
  for (i = 0; i < n && !clash; i++) clash = (c.kind[i] & 4) !== 0;
  m.needIds = !!m.extrasBlock && (clash || m.merged > 0);
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
    var sorted = true, j;
    for (j = 1; j < arr.length && sorted; j++) sorted = m.at[arr[j - 1]] <= m.at[arr[j]];
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

// Entry i's test id (the extras' offsets are summed on first use).
function idOf(m, i) {
  var k = m.kind[i] & 3;
  if (!k || !m.extra) return m.baseNames[i];
  if (!m.extraAt) {
    m.extraAt = new Float64Array(m.n);
    for (var j = 0, p = 0; j < m.n; j++) { m.extraAt[j] = p; if (m.kind[j] & 3) p += m.xlen[j]; }
  }
  var x = m.extra.slice(m.extraAt[i], m.extraAt[i] + m.xlen[i]);
  return k === 1 ? m.baseNames[i] + x : x;
}

// The entries (attempts and listings) merged into entry e's test.
function attemptsOf(m, e) {
  if (!m.merged) return [e];
  var k = idOf(m, e), out = [];
  for (var i = 0; i < m.n; i++) if (m.baseNames[i] === m.baseNames[e] || (m.kind[i] & 3) === 2) { if (idOf(m, i) === k) out.push(i); }
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

// The arrays and names blocks come first, followed by an empty element
// `#columns-end`: they can be decoded while the browser still parses the
// id and attachment blocks behind them.
var columnsParsed = null;
function whenColumns() {
  if (!columnsParsed) {
    columnsParsed = new Promise(function (ok) {
      if (document.readyState !== 'loading' || $('columns-end')) { ok(); return; }
      var seen = new MutationObserver(function () {
        if ($('columns-end')) { seen.disconnect(); ok(); }
      });
      seen.observe(document.body, { childList: true });
      whenParsed().then(function () { seen.disconnect(); ok(); });
    });
  }
  return columnsParsed;
}

// A block's text → its bytes, decompressed. The text is one or more
// lines, each the base64 of a gzip member; their bytes are joined.
function gunzipBase64(text) {
  if (typeof DecompressionStream !== 'function') {
    return Promise.reject(new Error('this browser has no DecompressionStream; use a current browser'));
  }
  var lines = text.trim().split('\n');
  if (lines.length === 1) return gunzipMember(lines[0]);
  return Promise.all(lines.map(gunzipMember)).then(function (parts) {
    var n = 0, at = 0;
    parts.forEach(function (p) { n += p.byteLength; });
    var all = new Uint8Array(n);
    parts.forEach(function (p) { all.set(new Uint8Array(p), at); at += p.byteLength; });
    return all.buffer;
  });
}

function gunzipMember(b64) {
  var bytes;
  if (typeof Uint8Array.fromBase64 === 'function') bytes = Uint8Array.fromBase64(b64);
  else {
    var bin = atob(b64);
    bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  }
  var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Response(stream).arrayBuffer();
}

function blockText(id) {
  return (/^[cn]-/.test(id) ? whenColumns() : whenParsed()).then(function () {
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

// [full id or null, tags, [[key, text, bytes cut], ...]]; the exporter
// writes the attachments as an object {key: text} when none was cut.
function loadTest(m, si, ti) {
  var ci = lowerBound(m.chunks, ti + 1) - 1;
  return loadChunk(si, ci).then(function (recs) {
    var rec = recs[ti - m.chunks[ci]], atts = rec[2];
    if (!Array.isArray(atts)) rec[2] = Object.keys(atts).map(function (k) { return [k, atts[k], 0]; });
    return rec;
  });
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
  Promise.all([loadTest(m, si, ti), loadIds(m)]).then(function (got) {
    var rec = got[0];
    var h = '';
    if (withMeta) {
      var facts = '';
      var id = idOf(m, ti);
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
