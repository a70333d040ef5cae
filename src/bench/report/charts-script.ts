/**
 * The browser side of the HTML report, as a string inlined into the page: a tiny SVG line-chart drawer (no
 * library, no network) and the code that draws every chart from the embedded data. When every chart is
 * drawn it writes a marker (`#charts-status[data-rendered]`) that the headless-browser test looks for.
 */
export const CHARTS_SCRIPT = `
(function () {
  var NS = 'http://www.w3.org/2000/svg';
  var COLORS = ['#1f77b4','#d62728','#2ca02c','#ff7f0e','#9467bd','#8c564b','#e377c2','#7f7f7f','#bcbd22','#17becf'];
  var data = JSON.parse(document.getElementById('bench-data').textContent);
  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function nice(max) {
    if (!(max > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(max)));
    var m = max / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }
  function fmt(v) {
    if (v === 0) return '0';
    if (Math.abs(v) >= 1000) return (v / 1000).toFixed(v >= 10000 ? 0 : 1) + 'k';
    return Math.abs(v) < 1 ? v.toFixed(2) : String(Math.round(v * 10) / 10);
  }
  // series: [{ name, xs, ys }]; logX draws x on a log10 axis (latency CDFs span decades). Returns the
  // number of lines drawn.
  function lineChart(container, title, xLabel, yLabel, series, yMax, logX) {
    var W = 560, H = 300, L = 56, R = 12, T = 28, B = 42;
    var fig = document.createElement('figure');
    fig.className = 'chart';
    container.appendChild(fig);
    var svg = el('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img' }, fig);
    el('title', {}, svg).textContent = title;
    var xmax = 0, ymax = 0;
    series.forEach(function (s) {
      s.xs.forEach(function (x) { if (x > xmax) xmax = x; });
      s.ys.forEach(function (y) { if (y > ymax) ymax = y; });
    });
    ymax = yMax || nice(ymax);
    var sx, xticks = [];
    if (logX) {
      var xmin = Infinity;
      series.forEach(function (s) { s.xs.forEach(function (x) { if (x > 0 && x < xmin) xmin = x; }); });
      if (!isFinite(xmin)) xmin = 1;
      var lo = Math.floor(Math.log10(xmin)), hi = Math.max(lo + 1, Math.ceil(Math.log10(xmax || 1)));
      sx = function (x) { return L + ((Math.log10(Math.max(x, Math.pow(10, lo))) - lo) / (hi - lo)) * (W - L - R); };
      for (var d = lo; d <= hi; d++) xticks.push(Math.pow(10, d));
    } else {
      xmax = nice(xmax);
      sx = function (x) { return L + (x / xmax) * (W - L - R); };
      for (var i = 0; i <= 5; i++) xticks.push((xmax * i) / 5);
    }
    var sy = function (y) { return H - B - (y / ymax) * (H - T - B); };
    var axes = el('g', { class: 'axes' }, svg);
    xticks.forEach(function (xv) {
      el('line', { x1: sx(xv), x2: sx(xv), y1: T, y2: H - B, class: 'grid' }, axes);
      el('text', { x: sx(xv), y: H - B + 16, 'text-anchor': 'middle' }, axes).textContent = fmt(xv);
    });
    for (var j = 0; j <= 5; j++) {
      var yv = (ymax * j) / 5;
      el('line', { x1: L, x2: W - R, y1: sy(yv), y2: sy(yv), class: 'grid' }, axes);
      el('text', { x: L - 6, y: sy(yv) + 4, 'text-anchor': 'end' }, axes).textContent = fmt(yv);
    }
    el('text', { x: (L + W - R) / 2, y: H - 6, 'text-anchor': 'middle', class: 'label' }, axes).textContent = xLabel;
    el('text', { x: 14, y: (T + H - B) / 2, 'text-anchor': 'middle', class: 'label',
      transform: 'rotate(-90 14 ' + (T + H - B) / 2 + ')' }, axes).textContent = yLabel;
    el('text', { x: L, y: 18, class: 'title' }, svg).textContent = title;
    var drawn = 0;
    series.forEach(function (s, k) {
      if (s.xs.length === 0) return;
      var d = s.xs.map(function (x, j) { return (j ? 'L' : 'M') + sx(x).toFixed(1) + ' ' + sy(s.ys[j]).toFixed(1); }).join('');
      el('path', { d: d, fill: 'none', stroke: COLORS[k % COLORS.length], 'stroke-width': 1.6, class: 'series' }, svg)
        .appendChild(el('title', {})).textContent = s.name;
      drawn++;
    });
    var legend = document.createElement('figcaption');
    series.forEach(function (s, k) {
      var item = document.createElement('span');
      item.className = 'key';
      item.innerHTML = '<i style="background:' + COLORS[k % COLORS.length] + '"></i>';
      item.appendChild(document.createTextNode(s.name));
      legend.appendChild(item);
    });
    fig.appendChild(legend);
    return drawn;
  }
  var charts = 0, lines = 0;
  function add(container, title, xl, yl, series, yMax, logX) {
    lines += lineChart(container, title, xl, yl, series, yMax, logX);
    charts++;
  }
  var runs = data.runs;
  var lat = document.getElementById('latency-charts');
  add(lat, 'TTFT CDF', 'time to first token (ms, virtual, log scale)', 'fraction of requests',
    runs.map(function (r) { return { name: r.name, xs: r.ttftCdf.x, ys: r.ttftCdf.p }; }), 1, true);
  add(lat, 'End-to-end latency CDF', 'end-to-end latency (ms, virtual, log scale)', 'fraction of requests',
    runs.map(function (r) { return { name: r.name, xs: r.e2eCdf.x, ys: r.e2eCdf.p }; }), 1, true);
  var time = document.getElementById('time-charts');
  add(time, 'Output throughput over time', 'time (s, virtual)', 'output tokens/s',
    runs.map(function (r) { return { name: r.name, xs: r.series.t, ys: r.series.outputTokensPerS }; }));
  add(time, 'Errors over time', 'time (s, virtual)', 'errors/s',
    runs.map(function (r) { return { name: r.name, xs: r.series.t, ys: r.series.errorsPerS }; }));
  var ep = document.getElementById('endpoint-charts');
  runs.forEach(function (r) {
    var names = Object.keys(r.series.inflight);
    add(ep, 'Load per endpoint: ' + r.name, 'time (s, virtual)', 'requests in flight',
      names.map(function (n) { return { name: n, xs: r.series.t, ys: r.series.inflight[n] }; }));
  });
  var status = document.getElementById('charts-status');
  status.setAttribute('data-rendered', String(charts));
  status.setAttribute('data-lines', String(lines));
  status.textContent = charts + ' charts drawn';
})();
`;
