(function () {
  'use strict';

  var DATA = JSON.parse(document.getElementById('stackviz-data').textContent);
  var STATUSES = DATA.statuses;
  var LABEL = {
    success: 'Passed', fail: 'Failed', skip: 'Skipped', xfail: 'Expected failure',
    uxsuccess: 'Unexpected success', exists: 'Listed', inprogress: 'In progress', unknown: 'Unknown'
  };
  var rootStyle = getComputedStyle(document.documentElement);
  var COLOR = STATUSES.map(function (s) {
    return rootStyle.getPropertyValue('--' + s).trim() || '#888888';
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

  // ---------------------------------------------------------------- helpers

  function $(id) { return document.getElementById(id); }

  var ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return ESC[c]; }); }

  // A dotted test name with its last part emphasised.
  // A dotted test name with its last part emphasised; with `wrap`, lines
  // may break after each dot.
  function nameHtml(n, wrap) {
    var k = n.lastIndexOf('.');
    var part = wrap ? function (x) { return esc(x).replace(/\./g, '.<wbr>'); } : esc;
    if (k <= 0 || k === n.length - 1) return part(n);
    return '<span class="ns">' + part(n.slice(0, k + 1)) + '</span>' + part(n.slice(k + 1));
  }

  // Two lines for narrow lists: `Class.method`, then the module path.
  function shortNameHtml(n) {
    var k = n.lastIndexOf('.'), j = k > 0 ? n.lastIndexOf('.', k - 1) : -1;
    if (j <= 0) return '<span class="nm-main">' + nameHtml(n) + '</span>';
    return '<span class="nm-main">' + esc(n.slice(j + 1, k + 1)) + '<b>' + esc(n.slice(k + 1)) + '</b></span>' +
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

  function dot(st) {
    return '<span class="dot" style="background:' + COLOR[st] + '" title="' + LABEL[STATUSES[st]] + '"></span>';
  }

  function laneName(s, i) { return s.lane[i] >= 0 ? s.lanes[s.lane[i]] : '—'; }

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

  function loadChunk(si, ci) {
    var key = si + '-' + ci;
    if (!chunkCache[key]) {
      chunkCache[key] = whenParsed().then(function () {
        var text = blocks['a-' + key];
        if (text == null) {
          var el = document.getElementById('a-' + key);
          if (!el) throw new Error('block a-' + key + ' is missing from this file');
          text = el.textContent;
        }
        if (typeof DecompressionStream !== 'function') {
          throw new Error('this browser has no DecompressionStream; use a current browser');
        }
        var bin = atob(text.trim());
        var bytes = new Uint8Array(bin.length);
        for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
        var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
        return new Response(stream).text();
      }).then(JSON.parse);
    }
    return chunkCache[key];
  }

  // [full id or null, tags, [[key, text, bytes cut], ...]]
  function loadTest(si, ti) {
    var s = DATA.streams[si];
    var ci = lowerBound(s.chunks, ti + 1) - 1;
    return loadChunk(si, ci).then(function (recs) { return recs[ti - s.chunks[ci]]; });
  }

  // The traceback and the skip reason first, the rest in stream order.
  function attachmentsHtml(atts) {
    if (!atts.length) return '<p class="muted">This test has no text attachments.</p>';
    var rank = function (a) { return a[0] === 'traceback' ? 0 : a[0] === 'reason' ? 1 : 2; };
    atts = atts.map(function (a, i) { return [rank(a), i, a]; })
      .sort(function (x, y) { return x[0] - y[0] || x[1] - y[1]; })
      .map(function (x) { return x[2]; });
    return atts.map(function (a) {
      var shown = utf8Length(a[1]);
      return '<section class="att"><h4>' + esc(a[0]) + '<small>' + fmtBytes(shown + a[2]) + '</small></h4>' +
        (a[2] ? '<div class="cut">… cut: ' + a[2] + ' bytes not shown</div>' : '') +
        '<pre>' + esc(a[1]) + '</pre></section>';
    }).join('');
  }

  function fillAttachments(el, si, ti, withMeta) {
    el.innerHTML = '<p class="muted">Loading…</p>';
    loadTest(si, ti).then(function (rec) {
      var h = '';
      if (withMeta) {
        var facts = '';
        if (rec[0]) facts += '<dt>Test id</dt><dd>' + esc(rec[0]) + '</dd>';
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

  // --------------------------------------------------------------- drawer

  function openTest(si, ti) {
    var s = DATA.streams[si], st = s.status[ti];
    $('drawer-title').innerHTML = nameHtml(s.names[ti], true);
    var at = s.at[ti];
    var facts =
      '<dt>Status</dt><dd><span class="pill">' + dot(st) + esc(LABEL[STATUSES[st]]) + '</span></dd>' +
      '<dt>Duration</dt><dd>' + fmtDur(s.duration[ti]) + '</dd>' +
      '<dt>Started</dt><dd>' + (at == null ? '—' : fmtClock(s.start + at) + ' (+' + (at / 1e6).toFixed(3) + ' s)') + '</dd>' +
      '<dt>Ended</dt><dd>' + (at == null ? '—' : fmtClock(s.start + at + s.span[ti])) + '</dd>' +
      '<dt>Lane</dt><dd>' + esc(laneName(s, ti)) + '</dd>';
    var body = $('drawer-body');
    body.innerHTML = '<dl class="facts">' + facts + '</dl><div class="att-body"></div>';
    fillAttachments(body.querySelector('.att-body'), si, ti, true);
    $('drawer').hidden = false;
    $('backdrop').hidden = false;
    body.scrollTop = 0;
    $('drawer-close').focus();
  }

  function closeDrawer() {
    $('drawer').hidden = true;
    $('backdrop').hidden = true;
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

  // ------------------------------------------------------------ timeline

  var STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5,
    1e6, 2e6, 5e6, 1e7, 15e6, 3e7, 6e7, 12e7, 3e8, 6e8, 9e8, 18e8, 36e8, 72e8, 108e8, 216e8, 432e8, 864e8];

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
    var w = c.clientWidth;
    c.style.height = h + 'px';
    var pw = Math.max(1, Math.round(w * dpr)), ph = Math.max(1, Math.round(h * dpr));
    if (c.width !== pw) c.width = pw;
    if (c.height !== ph) c.height = ph;
    var ctx = c.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    return { ctx: ctx, w: w, h: h };
  }

  function Timeline(view, panel) {
    var s = view.s, self = this;
    this.view = view;
    this.s = s;
    this.panel = panel;
    var nl = s.lanes.length;
    var per = [];
    for (var l = 0; l < nl; l++) per.push([]);
    var hi = -Infinity, lo = Infinity;
    for (var i = 0; i < s.names.length; i++) {
      var li = s.lane[i];
      if (li < 0) continue;
      per[li].push(i);
      if (s.at[i] < lo) lo = s.at[i];
      if (s.at[i] + s.span[i] > hi) hi = s.at[i] + s.span[i];
    }
    this.lanes = per.map(function (arr) {
      arr.sort(function (a, b) { return s.at[a] - s.at[b] || a - b; });
      var starts = new Float64Array(arr.length), maxSpan = 0;
      arr.forEach(function (i, j) { starts[j] = s.at[i]; if (s.span[i] > maxSpan) maxSpan = s.span[i]; });
      return { idx: arr, starts: starts, maxSpan: maxSpan, count: arr.length };
    });
    this.hasTests = hi > -Infinity;
    if (this.hasTests && hi - lo < 1000) hi = lo + 1000;
    this.tests = this.hasTests ? [lo, hi] : null;

    this.d = null;
    var D = DATA.dstat;
    if (D && s.start != null) {
      var t = new Float64Array(D.t.length);
      for (var k = 0; k < t.length; k++) t[k] = D.t[k] - s.start;
      var series = {};
      D.series.forEach(function (p) { series[p[0]] = p[1]; });
      this.d = { t: t, series: series, range: [t[0], t[t.length - 1]] };
    }
    var ext = this.tests ? this.tests.slice() : this.d ? this.d.range.slice() : [0, 1e6];
    if (this.d) { ext[0] = Math.min(ext[0], this.d.range[0]); ext[1] = Math.max(ext[1], this.d.range[1]); }
    if (ext[1] - ext[0] < 1000) ext[1] = ext[0] + 1000;
    var pad = (ext[1] - ext[0]) * 0.015;
    this.extent = [ext[0] - pad, ext[1] + pad];
    this.laneH = nl ? Math.max(3, Math.min(26, Math.floor(380 / nl))) : 0;
    this.hover = -1;
    this.cursor = null;
    this.queued = false;

    this.bars = panel.querySelector('canvas.bars');
    this.axis = panel.querySelector('canvas.axis');
    this.charts = [];
    panel.querySelectorAll('canvas[data-chart]').forEach(function (c) {
      var def = CHARTS.filter(function (d) { return d.key === c.getAttribute('data-chart'); })[0];
      var ch = { canvas: c, def: def, vals: panel.querySelector('.vals[data-chart="' + def.key + '"]') };
      if (!def.max) {
        var m = 0;
        def.series.forEach(function (sr) {
          var v = self.d.series[sr[0]];
          if (v) for (var j = 0; j < v.length; j++) if (v[j] != null && v[j] > m) m = v[j];
        });
        ch.max = m > 0 ? m * 1.08 : 1;
      } else ch.max = def.max;
      self.charts.push(ch);
    });
    this.range = panel.querySelector('.range');
    this.fit();

    var canvases = [this.bars, this.axis].concat(this.charts.map(function (c) { return c.canvas; }));
    var drag = null;
    canvases.forEach(function (c) {
      if (!c) return;
      c.addEventListener('pointerdown', function (e) {
        if (e.button !== 0) return;
        drag = { x: e.clientX, v0: self.v0, v1: self.v1, moved: false };
        c.setPointerCapture(e.pointerId);
      });
      c.addEventListener('pointermove', function (e) {
        var r = c.getBoundingClientRect(), x = e.clientX - r.left;
        if (drag) {
          var dx = e.clientX - drag.x;
          if (Math.abs(dx) > 3) drag.moved = true;
          if (drag.moved) {
            c.classList.add('dragging');
            var dt = dx / r.width * (drag.v1 - drag.v0);
            self.setView(drag.v0 - dt, drag.v1 - dt);
            hideTip();
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
        var wasClick = drag && !drag.moved;
        drag = null;
        if (wasClick && c === self.bars) {
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
          self.setView(self.v0 + shift, self.v1 + shift);
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
      else if (act === 'fit') self.fit();
      else if (act === 'all') self.setView(self.extent[0], self.extent[1]);
    });
  }

  Timeline.prototype.fit = function () {
    var r = this.tests || this.extent;
    var pad = (r[1] - r[0]) * 0.015;
    this.setView(r[0] - pad, r[1] + pad);
  };

  Timeline.prototype.setView = function (a, b) {
    var minSpan = 10, maxSpan = this.extent[1] - this.extent[0];
    var span = Math.min(maxSpan, Math.max(minSpan, b - a));
    var mid = (a + b) / 2;
    a = mid - span / 2;
    if (a < this.extent[0]) a = this.extent[0];
    if (a + span > this.extent[1]) a = this.extent[1] - span;
    this.v0 = a;
    this.v1 = a + span;
    this.schedule();
  };

  Timeline.prototype.zoomAt = function (frac, factor) {
    var at = this.v0 + frac * (this.v1 - this.v0);
    this.setView(at - (at - this.v0) * factor, at + (this.v1 - at) * factor);
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
    var lane = this.lanes[l], s = this.s;
    var k = width / (this.v1 - this.v0), t = this.v0 + x / k, tol = 3 / k;
    var best = -1, bestD = Infinity;
    for (var j = lowerBound(lane.starts, t - tol - lane.maxSpan); j < lane.count; j++) {
      var i = lane.idx[j], a = s.at[i];
      if (a > t + tol) break;
      var b = a + s.span[i];
      var d = t < a ? a - t : t > b ? t - b : 0;
      if (d <= tol && d < bestD) { best = i; bestD = d; if (d === 0 && s.span[i] > 0) break; }
    }
    return best;
  };

  Timeline.prototype.tipHtml = function (i) {
    var s = this.s, st = s.status[i];
    return '<div class="t-name">' + nameHtml(s.names[i], true) + '</div><div class="t-meta">' + dot(st) + ' ' +
      esc(LABEL[STATUSES[st]]) + ' · ' + fmtDur(s.duration[i]) + ' · starts +' + (s.at[i] / 1e6).toFixed(3) +
      ' s · ' + esc(laneName(s, i)) + '</div>';
  };

  Timeline.prototype.draw = function () {
    var s = this.s, v0 = this.v0, v1 = this.v1;
    if (this.range && s.start != null) {
      this.range.textContent = fmtTimeOfDay(s.start + v0) + ' – ' + fmtTimeOfDay(s.start + v1) + ' UTC';
    }
    var step = 0, ticks = [];
    if (this.axis) {
      var ax = sizeCanvas(this.axis, 26);
      step = tickStep(v1 - v0, ax.w);
      for (var t = Math.ceil(v0 / step) * step; t <= v1; t += step) ticks.push(t);
      var kx = ax.w / (v1 - v0), ctx = ax.ctx;
      ctx.fillStyle = '#cfd6df';
      ctx.fillRect(0, 0, ax.w, 1);
      ctx.font = '11px system-ui, sans-serif';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'top';
      ticks.forEach(function (t) {
        var x = Math.round((t - v0) * kx) + 0.5;
        ctx.fillStyle = '#cfd6df';
        ctx.fillRect(x - 0.5, 0, 1, 5);
        ctx.fillStyle = '#667285';
        var label = fmtTick(t, step);
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
    var s = this.s, lh = this.laneH, nl = this.lanes.length;
    var cv = sizeCanvas(this.bars, Math.max(1, nl * lh)), ctx = cv.ctx, w = cv.w;
    var v0 = this.v0, k = w / (this.v1 - v0);
    for (var l = 1; l < nl; l += 2) {
      ctx.fillStyle = '#f7f9fb';
      ctx.fillRect(0, l * lh, w, lh);
    }
    this.grid(ctx, ticks, w, nl * lh);
    var paths = STATUSES.map(function () { return new Path2D(); });
    var padY = lh > 10 ? 3 : lh > 5 ? 1 : 0;
    var tEnd = this.v1;
    for (l = 0; l < nl; l++) {
      var lane = this.lanes[l], y = l * lh + padY, h = lh - 2 * padY;
      for (var j = lowerBound(lane.starts, v0 - lane.maxSpan); j < lane.count; j++) {
        var i = lane.idx[j], a = s.at[i];
        if (a > tEnd) break;
        var b = a + s.span[i];
        if (b < v0) continue;
        var x0 = (a - v0) * k, x1 = (b - v0) * k;
        if (x1 - x0 > 3) x1 -= 1;
        if (x1 - x0 < 1) x1 = x0 + 1;
        if (x0 < -2) x0 = -2;
        if (x1 > w + 2) x1 = w + 2;
        paths[s.status[i]].rect(x0, y, x1 - x0, h);
      }
    }
    for (var st = 0; st < paths.length; st++) {
      ctx.fillStyle = COLOR[st];
      ctx.fill(paths[st]);
    }
    if (this.hover >= 0) {
      var hi = this.hover, hx0 = (s.at[hi] - v0) * k, hx1 = Math.max(hx0 + 1, (s.at[hi] + s.span[hi] - v0) * k);
      ctx.strokeStyle = '#1d2633';
      ctx.lineWidth = 1.5;
      ctx.strokeRect(hx0 - 1, s.lane[hi] * lh + Math.max(0, padY - 1), hx1 - hx0 + 2, lh - 2 * Math.max(0, padY - 1));
    }
    this.cursorLine(ctx, w, nl * lh);
  };

  Timeline.prototype.drawChart = function (ch, ticks) {
    var H = 72, cv = sizeCanvas(ch.canvas, H), ctx = cv.ctx, w = cv.w;
    var d = this.d, def = ch.def, v0 = this.v0, k = w / (this.v1 - v0);
    this.grid(ctx, ticks, w, H);
    ctx.fillStyle = '#e3e8ee';
    ctx.fillRect(0, H - 1, w, 1);
    var t = d.t, n = t.length;
    var j0 = Math.max(0, lowerBound(t, v0) - 1), j1 = Math.min(n - 1, lowerBound(t, this.v1));
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
        for (j = j0; j <= j1; j++) ctx.lineTo(X(j), Y(base[j - j0] + (v[j] || 0)));
        for (j = j1; j >= j0; j--) ctx.lineTo(X(j), Y(base[j - j0]));
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
        for (var j = j0; j <= j1; j++) {
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

  // ----------------------------------------------------------- test table

  function TestTable(view, root, allRows) {
    var s = view.s, self = this;
    this.view = view;
    this.s = s;
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
    this.rows = [];
    this.queued = false;
    root.querySelector('input[type=search]').addEventListener('input', function (e) {
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

  TestTable.prototype.sorted = function () {
    var s = this.s, n = s.names.length, key = this.sortKey;
    var idx = new Array(n);
    for (var i = 0; i < n; i++) idx[i] = i;
    var cmp;
    if (key === 'duration') cmp = function (a, b) { return s.duration[a] - s.duration[b] || a - b; };
    else if (key === 'name') cmp = function (a, b) { return s.names[a] < s.names[b] ? -1 : s.names[a] > s.names[b] ? 1 : a - b; };
    else if (key === 'start') cmp = function (a, b) {
      var x = s.at[a], y = s.at[b];
      if (x == null || y == null) return (x == null) - (y == null) || a - b;
      return x - y || a - b;
    };
    else if (key === 'lane') cmp = function (a, b) { return s.lane[a] - s.lane[b] || a - b; };
    if (cmp) idx.sort(cmp);
    if (this.desc) idx.reverse();
    return idx;
  };

  TestTable.prototype.refilter = function () {
    var s = this.s, q = this.q, st = this.status;
    if (q && !this.lower) this.lower = s.names.map(function (n) { return n.toLowerCase(); });
    var order = this.sorted(), rows = [];
    for (var j = 0; j < order.length; j++) {
      var i = order[j];
      if (st >= 0 && s.status[i] !== st) continue;
      if (q && this.lower[i].indexOf(q) < 0) continue;
      rows.push(i);
    }
    this.rows = rows;
    this.shownEl.setAttribute('data-shown', rows.length);
    this.shownEl.textContent = rows.length === s.names.length
      ? fmtCount(rows.length) + ' tests'
      : fmtCount(rows.length) + ' of ' + fmtCount(s.names.length) + ' tests';
    var self = this;
    this.root.querySelectorAll('.th button[data-sort]').forEach(function (b) {
      var on = b.getAttribute('data-sort') === self.sortKey;
      b.setAttribute('data-dir', on ? (self.desc ? 'desc' : 'asc') : '');
      b.querySelector('i').textContent = on ? (self.desc ? ' ▾' : ' ▴') : '';
    });
    if (!this.all) {
      this.space.style.height = rows.length * ROW_H + 'px';
      this.body.scrollTop = 0;
    }
    this.render();
  };

  TestTable.prototype.rowHtml = function (i, j) {
    var s = this.s, n = s.names[i], at = s.at[i];
    return '<div class="tr" data-row="' + i + '" data-test="' + esc(n) + '"' +
      (this.all ? '' : ' style="top:' + j * ROW_H + 'px"') + '>' + dot(s.status[i]) +
      '<span class="name" title="' + esc(n) + '">' + nameHtml(n) + '</span>' +
      '<span class="lane">' + esc(laneName(s, i)) + '</span>' +
      '<span class="num">' + (at == null ? '—' : '+' + (at / 1e6).toFixed(3) + ' s') + '</span>' +
      '<span class="num">' + fmtDur(s.duration[i]) + '</span></div>';
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

  // ----------------------------------------------------------- stream view

  function card(key, value, label, sub, cls) {
    return '<div class="card stat' + (cls ? ' ' + cls : '') + '" data-stat="' + key + '" data-value="' + esc(value) +
      '"><b>' + esc(value) + '</b><span>' + esc(label) + '</span>' + (sub ? '<small>' + esc(sub) + '</small>' : '') + '</div>';
  }

  function panel(cls, title, badge, tools, body) {
    return '<div class="panel ' + cls + '"><div class="panel-head"><h2>' + title +
      (badge == null ? '' : ' <span class="badge' + (badge.bad ? ' bad' : '') + '">' + fmtCount(badge.n) + '</span>') +
      '</h2>' + (tools || '') + '</div>' + body + '</div>';
  }

  function StreamView(si, el, allRows) {
    var s = DATA.streams[si], n = s.names.length;
    this.si = si;
    this.s = s;
    this.el = el;
    this.visible = false;
    var counts = STATUSES.map(function () { return 0; });
    for (var i = 0; i < n; i++) counts[s.status[i]] += 1;
    var by = {};
    STATUSES.forEach(function (st, k) { by[st] = counts[k]; });
    var passed = by.success + by.xfail, judged = passed + by.fail + by.uxsuccess;
    var wall = s.start != null && s.end != null ? (s.end - s.start) / 1e6 : null;
    var untimed = 0;
    for (i = 0; i < n; i++) if (s.at[i] == null) untimed += 1;

    var h = '<div class="stream-head"><h1>' + esc(s.name) + '</h1><p class="when">' +
      (s.start != null ? esc(fmtClock(s.start)) + ' → ' + esc(fmtClock(s.end)) : 'no timestamps') + '</p></div>';

    h += '<div class="cards">' +
      card('total', fmtCount(n), 'tests', untimed ? untimed + ' without timestamps' : '') +
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
    h += '<div class="counts-row"><div class="counts">' + chips + '</div><div class="statusbar">' + bar + '</div></div>';

    h += this.timelineHtml(counts, untimed);

    // Failures.
    var fl = s.failures.map(function (f) {
      var ti = f[0], lines = f[1];
      return '<li class="failure" data-test="' + esc(s.names[ti]) + '"><div class="f-head">' + dot(s.status[ti]) +
        '<a class="name-link" href="#" data-open="' + ti + '">' + nameHtml(s.names[ti], true) + '</a><span class="dur">' +
        fmtDur(s.duration[ti]) + '</span></div>' +
        (lines ? '<pre class="tb-last">' + esc(lines.join('\n')) + '</pre>' : '<p class="muted tb-none">No traceback.</p>') +
        '<button type="button" class="more" data-more="' + ti + '" aria-expanded="false">All attachments</button>' +
        '<div class="att-body" hidden></div></li>';
    }).join('');
    h += panel('failures', 'Failures', { n: s.failures.length, bad: s.failures.length > 0 }, '',
      s.failures.length ? '<ol class="list scroll">' + fl + '</ol>' : '<p class="empty">No failures.</p>');

    // Skips and the slowest tests.
    var sk = s.skips.map(function (p) {
      return '<li class="item skip" data-test="' + esc(s.names[p[0]]) + '"><div class="nm"><a class="name-link" href="#" data-open="' +
        p[0] + '" title="' + esc(s.names[p[0]]) + '">' + shortNameHtml(s.names[p[0]]) + '</a><span class="dur">' + fmtDur(s.duration[p[0]]) + '</span></div>' +
        (p[1] != null ? '<span class="reason">' + esc(p[1]) + '</span>' : '') + '</li>';
    }).join('');
    var idx = [];
    for (i = 0; i < n; i++) idx.push(i);
    idx.sort(function (a, b) { return s.duration[b] - s.duration[a] || a - b; });
    var slow = idx.slice(0, 20).map(function (ti, r) {
      return '<li class="item slow" data-test="' + esc(s.names[ti]) + '"><div class="nm"><span class="rank">' + (r + 1) + '</span>' +
        dot(s.status[ti]) + '<a class="name-link" href="#" data-open="' + ti + '" title="' + esc(s.names[ti]) + '">' + shortNameHtml(s.names[ti]) +
        '</a><span class="dur">' + fmtDur(s.duration[ti]) + '</span></div></li>';
    }).join('');
    h += '<div class="grid2">' +
      panel('skips', 'Skipped', { n: s.skips.length }, '',
        s.skips.length ? '<ol class="list scroll">' + sk + '</ol>' : '<p class="empty">No skips.</p>') +
      panel('slowest', 'Slowest tests', null, '',
        n ? '<ol class="list scroll">' + slow + '</ol>' : '<p class="empty">No tests.</p>') +
      '</div>';

    // All tests.
    var opts = '<option value="-1">All statuses</option>';
    STATUSES.forEach(function (st, k) {
      if (counts[k]) opts += '<option value="' + k + '">' + esc(LABEL[st]) + ' (' + fmtCount(counts[k]) + ')</option>';
    });
    var tools = '<div class="tbl-tools"><input type="search" placeholder="Filter by name…" aria-label="Filter by name">' +
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
        fillAttachments(body, si, +b.getAttribute('data-more'), false);
      }
    });

    var tl = el.querySelector('.timeline');
    this.timeline = tl && tl.querySelector('canvas.bars') ? new Timeline(this, tl) : null;
    this.table = new TestTable(this, el.querySelector('.tbl'), allRows);
  }

  StreamView.prototype.timelineHtml = function (counts, untimed) {
    var s = this.s, D = DATA.dstat, notes = [];
    var legend = '<div class="legend">' + STATUSES.map(function (st, k) {
      return counts[k] ? '<span>' + dot(k) + esc(LABEL[st]) + '</span>' : '';
    }).join('') + '</div>';
    var tools = '<div class="tools"><span class="range"></span>' +
      '<button class="btn" data-act="in" title="Zoom in">+</button>' +
      '<button class="btn" data-act="out" title="Zoom out">−</button>' +
      '<button class="btn" data-act="fit" title="Show all tests">Fit tests</button>';
    var timed = s.names.length - untimed;
    if (!timed && !(D && s.start != null)) {
      return panel('timeline', 'Timeline', null, legend,
        '<p class="empty">' + (s.names.length ? 'No test has timestamps, so there is nothing to place on a time axis.' : 'No tests.') + '</p>');
    }
    var laneH = s.lanes.length ? Math.max(3, Math.min(26, Math.floor(380 / s.lanes.length))) : 0;
    var perLane = s.lanes.map(function () { return 0; });
    for (var i = 0; i < s.lane.length; i++) if (s.lane[i] >= 0) perLane[s.lane[i]] += 1;
    var labels = s.lanes.map(function (name, l) {
      return '<div class="lane-label' + (laneH < 11 ? ' tiny' : '') + '" data-lane="' + esc(name) + '" data-tests="' + perLane[l] +
        '" style="height:' + laneH + 'px" title="' + esc(name) + ': ' + perLane[l] + ' tests">' + esc(name) + '</div>';
    }).join('');
    var grid = '<div class="tl"><div class="tl-labels">' + labels + '</div><div class="tl-plot"><canvas class="bars"></canvas></div>' +
      '<div></div><div class="tl-plot axis-cell"><canvas class="axis"></canvas></div>';
    if (D && s.start != null) {
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
      var lo = s.start, hi = s.end == null ? s.start : s.end;
      if (last < lo || first > hi) {
        notes.push('The dstat log' + (D.name ? ' (' + esc(D.name) + ')' : '') + ' covers ' + esc(fmtClock(first)) + ' → ' +
          esc(fmtClock(last)) + ', outside this run’s tests; “Whole range” shows both.');
      }
      if (first < lo || last > hi) tools += '<button class="btn" data-act="all" title="Show the tests and the whole dstat log">Whole range</button>';
    } else if (DATA.dstat_note) {
      notes.push('No machine-load charts: the dstat log could not be read (' + esc(DATA.dstat_note) + ').');
    } else if (D && s.start == null) {
      notes.push('No machine-load charts: this stream has no timestamps to line them up with.');
    }
    grid += '</div>';
    tools += '</div>';
    if (untimed) {
      notes.push(untimed === 1 ? 'One test has no timestamps and is not on the timeline.'
        : fmtCount(untimed) + ' tests have no timestamps and are not on the timeline.');
    }
    var hint = '<p class="hint">Scroll or use the buttons to zoom, drag to pan; hover a bar for its name and duration, click it for its details.</p>';
    return panel('timeline', 'Timeline', null, legend + tools, grid + hint +
      notes.map(function (t) { return '<p class="note">' + t + '</p>'; }).join(''));
  };

  StreamView.prototype.show = function () {
    this.visible = true;
    if (this.timeline) this.timeline.draw();
    this.table.render();
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
    if (!views[i]) views[i] = new StreamView(i, sections[i], p.rows === 'all');
    current = i;
    closeDrawer();
    hideTip();
    views[i].show();
    var t = parseInt(p.test, 10);
    if (t >= 0 && t < DATA.streams[i].names.length) openTest(i, t);
  }

  function setup() {
    $('generator').textContent = DATA.generator;
    var sel = $('stream-select');
    sel.innerHTML = DATA.streams.map(function (s, i) {
      return '<option value="' + i + '">' + esc(s.name + ' — ' + fmtCount(s.count) + ' tests') + '</option>';
    }).join('');
    $('picker').hidden = DATA.streams.length < 2;
    var main = $('streams');
    main.innerHTML = DATA.streams.length
      ? DATA.streams.map(function (s, i) {
        return '<section class="stream" data-stream="' + i + '" data-name="' + esc(s.name) + '" hidden></section>';
      }).join('')
      : '<p class="empty">This export has no streams.</p>';
    sel.addEventListener('change', function () {
      var p = hashParams();
      p.stream = sel.value;
      location.hash = Object.keys(p).map(function (k) {
        return encodeURIComponent(k) + (p[k] === '' ? '' : '=' + encodeURIComponent(p[k]));
      }).join('&');
    });
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', detachBlocks);
    else detachBlocks();
    window.addEventListener('hashchange', route);
    window.addEventListener('resize', function () { if (views[current]) views[current].show(); });
    document.addEventListener('keydown', function (e) { if (e.key === 'Escape') closeDrawer(); });
    $('drawer-close').addEventListener('click', closeDrawer);
    $('backdrop').addEventListener('click', closeDrawer);
    route();
  }

  setup();
})();
