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
