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
  this.laneH = laneHeight(nl);
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
