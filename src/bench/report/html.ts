/**
 * The self-contained HTML report: the comparison table, TTFT and end-to-end latency CDFs per contender,
 * throughput and errors over time, and in-flight load per endpoint over time. Charts are SVG drawn by an
 * inline script from data embedded in the page, so the file works offline: no CDN, no external request.
 */

import { CHARTS_SCRIPT } from './charts-script.js';
import { COLUMNS } from './markdown.js';
import type { Report, ReportRun } from './report.js';

/** At most this many points per CDF line (quantiles), to keep the file small. */
const CDF_POINTS = 200;

/** Quantile points of a sample: x values with their cumulative fractions. */
export function cdfPoints(values: readonly number[], points = CDF_POINTS): { x: number[]; p: number[] } {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return { x: [], p: [] };
  const n = Math.min(points, sorted.length);
  const x: number[] = [];
  const p: number[] = [];
  for (let k = 1; k <= n; k++) {
    const idx = Math.ceil((k / n) * sorted.length) - 1;
    x.push(Math.round(sorted[idx]! * 10) / 10);
    p.push((idx + 1) / sorted.length);
  }
  // The curve starts at the smallest value with fraction 0 (a log axis has no 0).
  return { x: [x[0]!, ...x], p: [0, ...p] };
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function chartData(run: ReportRun) {
  const ok = run.result.records.filter((r) => !r.warmup && !r.error);
  return {
    name: run.result.name,
    ttftCdf: cdfPoints(ok.flatMap((r) => (r.ttftMs === undefined ? [] : [r.ttftMs]))),
    e2eCdf: cdfPoints(ok.map((r) => r.e2eMs)),
    series: run.series,
  };
}

function table(report: Report): string {
  const base = report.runs.find((r) => r.result.name === report.baseline)?.summary;
  const head = `<tr><th>contender</th>${COLUMNS.map((c) => `<th>${c.title}</th>`).join('')}</tr>`;
  const rows = report.runs.map((run) => {
    const cells = COLUMNS.map((c) => {
      const v = c.value(run.summary);
      const b = base ? c.value(base) : Number.NaN;
      const r =
        base && run.result.name !== report.baseline && Number.isFinite(v) && b
          ? ` <small>×${(v / b).toFixed(2)}</small>`
          : '';
      return `<td>${escapeHtml(c.format(v))}${r}</td>`;
    });
    const name =
      escapeHtml(run.result.name) + (run.result.name === report.baseline ? ' <small>(baseline)</small>' : '');
    return `<tr><th>${name}</th>${cells.join('')}</tr>`;
  });
  return `<table>${head}${rows.join('')}</table>`;
}

/** The report page. */
export function renderHtml(report: Report): string {
  const data = { title: report.title, runs: report.runs.map(chartData) };
  const json = JSON.stringify(data, (_k, v) =>
    typeof v === 'number' && !Number.isFinite(v) ? null : v,
  ).replace(/</g, '\\u003c');
  const first = report.runs[0]?.result;
  const setup = escapeHtml(JSON.stringify(report.setup, null, 2));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(report.title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
th:first-child { text-align: left; }
small { color: #666; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
figure.chart { margin: 0; border: 1px solid #eee; padding: 4px; }
svg text { font-size: 11px; fill: #444; }
svg text.title { font-size: 13px; font-weight: 600; fill: #222; }
svg line.grid { stroke: #eee; }
figcaption { font-size: 12px; max-width: 560px; }
.key { margin-right: 10px; white-space: nowrap; }
.key i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
pre { background: #f6f6f6; padding: 8px; overflow: auto; }
</style>
</head>
<body>
<h1>${escapeHtml(report.title)}</h1>
<p>Workload <code>${escapeHtml(first?.workload ?? '')}</code>, time scale ×${first?.load.timeScale ?? 1}: all latencies are in
virtual (engine) time. Generated ${escapeHtml(report.createdAt)} by <code>${escapeHtml(report.command)}</code>.</p>
${table(report)}
<h2>Latency</h2><div class="charts" id="latency-charts"></div>
<h2>Throughput and errors over time</h2><div class="charts" id="time-charts"></div>
<h2>Load per endpoint over time</h2><div class="charts" id="endpoint-charts"></div>
<p id="charts-status">charts not drawn (JavaScript disabled?)</p>
<h2>Setup</h2><pre>${setup}</pre>
<script type="application/json" id="bench-data">${json}</script>
<script>${CHARTS_SCRIPT}</script>
</body>
</html>
`;
}
