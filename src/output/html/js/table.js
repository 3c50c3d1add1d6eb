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
  this.hay = null;
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

// The tests in ascending order of `key`, ties in stream order. The order
// by name comes from the exporter (a million names sorted as strings
// here took 2–3 s); numbers are radix-sorted (a comparator sort of a
// million took half a second).
TestTable.prototype.order = function (key) {
  if (this.orders[key]) return this.orders[key];
  var m = this.m, reps = m.reps, n = reps.length, idx, i, k;
  if (key === 'name') {
    var all = m.byName;
    idx = new Int32Array(n);
    for (i = 0, k = 0; i < all.length; i++) if (m.isRep[all[i]]) idx[k++] = all[i];
  } else if (key === 'order') idx = reps;
  else {
    var vals = new Float64Array(n), at = m.at;
    for (i = 0; i < n; i++) {
      var e = reps[i];
      // Duration by its µs (whole numbers; seconds are µs / 1e6).
      vals[i] = key === 'duration' ? (isNaN(m.span[e]) ? 0 : m.span[e]) : key === 'lane' ? m.lane[e] : isNaN(at[e]) ? Infinity : at[e];
    }
    var pos = radixOrder(vals);
    idx = new Int32Array(n);
    for (i = 0; i < n; i++) idx[i] = reps[pos[i]];
  }
  this.orders[key] = idx;
  return idx;
};

// The positions of `vals` (no NaN) in ascending order of value, ties in
// position order: a stable least-significant-digit radix sort, 16 bits a
// pass. Whole numbers within 2^32 of each other (µs, lanes) take two
// passes; others are sorted on their 64 bits, turned so that they order
// as unsigned integers (negative numbers: all bits flipped; others: the
// sign bit set).
function radixOrder(vals) {
  var n = vals.length, i, lo = Infinity, hi = -Infinity, whole = true;
  for (i = 0; i < n; i++) {
    var v = vals[i];
    if (v === Infinity) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    if (v !== Math.floor(v)) whole = false;
  }
  var words;
  if (whole && !(hi - lo >= 4294967295)) {
    var w = new Uint32Array(n);
    for (i = 0; i < n; i++) w[i] = vals[i] === Infinity ? 4294967295 : vals[i] - lo;
    words = [w];
  } else {
    var f = new Float64Array(n);
    for (i = 0; i < n; i++) f[i] = vals[i] + 0; // -0 sorts with 0
    var u = new Uint32Array(f.buffer), wh = new Uint32Array(n), wl = new Uint32Array(n);
    for (i = 0; i < n; i++) {
      var h = u[2 * i + 1], l = u[2 * i];
      if (h & 0x80000000) { wh[i] = ~h >>> 0; wl[i] = ~l >>> 0; } else { wh[i] = (h | 0x80000000) >>> 0; wl[i] = l; }
    }
    words = [wl, wh];
  }
  var idx = new Int32Array(n), tmp = new Int32Array(n), count = new Int32Array(65537);
  for (i = 0; i < n; i++) idx[i] = i;
  for (var d = 0; d < 2 * words.length; d++) {
    var word = words[d >> 1], shift = d & 1 ? 16 : 0;
    count.fill(0);
    for (i = 0; i < n; i++) count[((word[i] >>> shift) & 0xffff) + 1]++;
    // One digit for all: this pass would not move anything.
    if (n && count[((word[0] >>> shift) & 0xffff) + 1] === n) continue;
    for (i = 1; i < 65537; i++) count[i] += count[i - 1];
    for (i = 0; i < n; i++) { var p = idx[i]; tmp[count[(word[p] >>> shift) & 0xffff]++] = p; }
    var t = idx; idx = tmp; tmp = t;
  }
  return idx;
}

// The tests whose shown name contains `q` (lower case), as flags by
// entry. The names block's text, lower-cased once, is searched as one
// string (a native search over it instead of a million), unless
// lower-casing depends on what is around a letter (a final Σ) or changes
// lengths, or names show ids: then name by name.
TestTable.prototype.matches = function (q) {
  var m = this.m, reps = m.reps, n = reps.length, i, hit = new Uint8Array(m.n);
  if (this.hay == null) {
    this.hay = '';
    var text = m.nameText;
    if (m.names === m.baseNames && text != null && text.indexOf('\u03a3') < 0) {
      var lower = text.toLowerCase();
      if (lower.length === text.length) this.hay = lower;
    }
    if (!this.hay) {
      this.lower = new Array(m.n);
      for (i = 0; i < n; i++) this.lower[reps[i]] = m.names[reps[i]].toLowerCase();
    }
  }
  if (!this.hay) {
    for (i = 0; i < n; i++) if (this.lower[reps[i]].indexOf(q) >= 0) hit[reps[i]] = 1;
    return hit;
  }
  // Matches found in name order; one that runs into the next name is
  // none (the names are not separated).
  var hay = this.hay, at = m.nameAt, by = m.byName, k = 0, p = hay.indexOf(q);
  while (p >= 0) {
    while (at[k + 1] <= p) k++;
    if (p + q.length <= at[k + 1]) {
      hit[by[k]] = 1;
      p = hay.indexOf(q, at[k + 1]);
    } else p = hay.indexOf(q, p + 1);
  }
  return hit;
};

TestTable.prototype.refilter = function () {
  var m = this.m, q = this.q, st = this.status;
  var hit = q ? this.matches(q) : null;
  var order = this.order(this.sortKey), n = order.length, rows = new Int32Array(n), c = 0;
  for (var j = 0; j < n; j++) {
    var k = this.desc ? order[n - 1 - j] : order[j];
    if (st >= 0 && m.status[k] !== st) continue;
    if (hit && !hit[k]) continue;
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
