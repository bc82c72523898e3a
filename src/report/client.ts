/**
 * The page's own script (runs in the browser, after uPlot): draws every chart of the embedded data
 * block, the phase marks and horizontal lines over them, and sets `data-charts-drawn` on <body>
 * once every chart has drawn (the browser test and the open-time benchmark wait for it). Kept as
 * plain ES2017 text: it is inlined into the report as is.
 */
export const CLIENT_JS = String.raw`(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('sb-data').textContent);
  var drawn = {};
  var nDrawn = 0;
  var dpr = window.devicePixelRatio || 1;

  function clock(s) {
    var t = Math.round(s), h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), r = t % 60;
    var mm = h > 0 && m < 10 ? '0' + m : String(m);
    return (h > 0 ? h + ':' : '') + mm + ':' + (r < 10 ? '0' : '') + r;
  }
  function percentile(x) {
    var p = 100 - 100 * Math.pow(10, -x);
    return p >= 99.99 ? p.toPrecision(8).replace(/0+$/, '') : p.toFixed(2).replace(/\.?0+$/, '');
  }
  function ninesTick(x) {
    var k = Math.round(x);
    if (Math.abs(x - k) > 1e-9) return '';
    if (k === 0) return '0';
    if (k === 1) return '90';
    return '99' + (k > 2 ? '.' + new Array(k - 1).join('9') : '');
  }
  function num(v) {
    if (v === null || v === undefined) return '–';
    var a = Math.abs(v);
    return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
  }
  function overlay(u, spec) {
    var ctx = u.ctx, b = u.bbox;
    ctx.save();
    ctx.font = Math.round(11 * dpr) + 'px system-ui, sans-serif';
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    var labelEnd = -Infinity, row = 0;
    (spec.marks || []).forEach(function (m) {
      var x = Math.round(u.valToPos(m.x, 'x', true)) + 0.5;
      if (x < b.left - 1 || x > b.left + b.width + 1) return;
      // marks closer than their labels (a short warmup before an hour): the next label goes a row down
      row = x + 4 * dpr < labelEnd ? row + 1 : 0;
      ctx.strokeStyle = 'rgba(0,0,0,0.45)';
      ctx.setLineDash([3 * dpr, 3 * dpr]);
      ctx.lineWidth = dpr;
      ctx.beginPath(); ctx.moveTo(x, b.top); ctx.lineTo(x, b.top + b.height); ctx.stroke();
      ctx.fillStyle = '#333';
      ctx.fillText(m.label, x + 4 * dpr, b.top + (12 + 13 * row) * dpr);
      labelEnd = Math.max(row === 0 ? -Infinity : labelEnd, x + 4 * dpr + ctx.measureText(m.label).width + 6 * dpr);
    });
    (spec.whiskers || []).forEach(function (w) {
      var xs = u.data[0], lo = u.data[w.low + 1], hi = u.data[w.high + 1];
      ctx.strokeStyle = w.color;
      ctx.fillStyle = w.color;
      ctx.setLineDash([]);
      ctx.lineWidth = 1.5 * dpr;
      for (var i = 0; i < xs.length; i++) {
        if (lo[i] === null || lo[i] === undefined) continue;
        var x = Math.round(u.valToPos(xs[i], 'x', true)) + 0.5;
        var y0 = u.valToPos(lo[i], 'y', true), cap = 5 * dpr;
        var open = hi[i] === null || hi[i] === undefined;
        var y1 = open ? Math.max(b.top, y0 - 24 * dpr) : u.valToPos(hi[i], 'y', true);
        ctx.beginPath(); ctx.moveTo(x, y0); ctx.lineTo(x, y1); ctx.stroke();
        ctx.beginPath(); ctx.moveTo(x - cap, y0); ctx.lineTo(x + cap, y0); ctx.stroke();
        if (open) {
          ctx.beginPath(); ctx.moveTo(x - cap, y1 + cap); ctx.lineTo(x, y1); ctx.lineTo(x + cap, y1 + cap); ctx.stroke();
        } else {
          ctx.beginPath(); ctx.moveTo(x - cap, y1); ctx.lineTo(x + cap, y1); ctx.stroke();
        }
      }
    });
    (spec.hlines || []).forEach(function (h) {
      var y = Math.round(u.valToPos(h.y, 'y', true)) + 0.5;
      if (y < b.top - 1 || y > b.top + b.height + 1) return;
      ctx.strokeStyle = '#c00';
      ctx.setLineDash([6 * dpr, 4 * dpr]);
      ctx.lineWidth = 1.5 * dpr;
      ctx.beginPath(); ctx.moveTo(b.left, y); ctx.lineTo(b.left + b.width, y); ctx.stroke();
      ctx.fillStyle = '#c00';
      ctx.fillText(h.label, b.left + 4 * dpr, y - 4 * dpr);
    });
    ctx.restore();
  }
  function make(spec, width) {
    var kind = spec.x.kind;
    var xAxis = { label: spec.x.label, stroke: '#333', grid: { stroke: 'rgba(0,0,0,0.08)' } };
    var xScale = { time: false };
    var xValue = function (u, v) { return v === null || v === undefined ? '–' : String(v); };
    if (kind === 'seconds') {
      // whole seconds only: a short run must not repeat one label at fractional ticks
      xAxis.incrs = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400];
      xAxis.values = function (u, splits) { return splits.map(clock); };
      xValue = function (u, v) { return v === null || v === undefined ? '–' : clock(v); };
    } else if (kind === 'nines') {
      xScale.range = function (u, min, max) { return [0, Math.max(1, Math.ceil(max - 1e-9))]; };
      xAxis.splits = function (u, i, min, max) { var s = []; for (var k = Math.ceil(min); k <= max + 1e-9; k++) s.push(k); return s; };
      xAxis.values = function (u, splits) { return splits.map(ninesTick); };
      xValue = function (u, v) { return v === null || v === undefined ? '–' : 'p' + percentile(v); };
    } else if (kind === 'date') {
      xScale.time = true;
      // nights: a lone night still gets a day of room either side
      xScale.range = function (u, min, max) { return min === max ? [min - 86400, max + 86400] : [min - (max - min) * 0.05, max + (max - min) * 0.05]; };
      xValue = function (u, v) { return v === null || v === undefined ? '–' : new Date(v * 1000).toISOString().replace('T', ' ').slice(0, 16); };
    } else {
      // sparse points (capacity steps, rounds) keep clear of the plot's edges
      xScale.range = function (u, min, max) { var pad = max > min ? (max - min) * 0.05 : Math.max(1, Math.abs(max) * 0.05); return [min >= 0 ? Math.max(0, min - pad) : min - pad, max + pad]; };
      xAxis.incrs = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000];
    }
    var yScale = spec.y.log ? { distr: 3, log: 10 } : { range: function (u, min, max) { return [0, max > 0 ? max * 1.08 : 1]; } };
    var series = [{ label: spec.x.label, value: xValue }].concat(spec.series.map(function (s) {
      return {
        label: s.label, stroke: s.color, width: s.width || 1.5, dash: s.dash || undefined, spanGaps: !!s.spanGaps,
        // uPlot's default shows points only where they are sparse (a lone second stays visible)
        points: s.points || s.pointsOnly ? { show: true, size: s.pointsOnly ? 10 : 7, fill: s.color } : undefined,
        paths: s.pointsOnly ? function () { return null; } : undefined,
        value: function (u, v) { return num(v); },
      };
    }));
    return {
      width: width, height: 280,
      scales: { x: xScale, y: yScale },
      axes: [xAxis, { label: spec.y.label, stroke: '#333', size: 64, grid: { stroke: 'rgba(0,0,0,0.08)' } }],
      series: series,
      cursor: { drag: { x: true, y: false } },
      hooks: {
        draw: [function (u) {
          overlay(u, spec);
          if (!drawn[spec.id]) {
            drawn[spec.id] = true;
            nDrawn++;
            document.body.setAttribute('data-charts-drawn', String(nDrawn));
          }
        }],
      },
    };
  }
  var plots = [];
  data.charts.forEach(function (spec) {
    var fig = document.querySelector('[data-chart="' + spec.id + '"]');
    var el = fig.querySelector('.plot');
    var width = Math.max(320, Math.floor(el.getBoundingClientRect().width));
    plots.push({ el: el, u: new uPlot(make(spec, width), spec.data, el) });
  });
  document.body.setAttribute('data-charts', String(data.charts.length));
  var resizing = 0;
  window.addEventListener('resize', function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () {
      plots.forEach(function (p) { p.u.setSize({ width: Math.max(320, Math.floor(p.el.getBoundingClientRect().width)), height: 280 }); });
    }, 100);
  });
})();
`;
