/**
 * The Markdown summary: one row per contender with each metric and, when there is a baseline, its ratio
 * to the baseline's value (×1.00 = same; for latencies lower is better, for throughput higher is better).
 */
import type { Summary } from '../stats.js';
import type { Report } from './report.js';

interface Column {
  title: string;
  value: (s: Summary) => number;
  format: (v: number) => string;
}

const ms = (v: number) =>
  Number.isFinite(v) ? (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`) : '–';
const num = (digits: number) => (v: number) => (Number.isFinite(v) ? v.toFixed(digits) : '–');
const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)} %` : '–');

/** The comparison table's columns. */
export const COLUMNS: readonly Column[] = [
  { title: 'TTFT p50', value: (s) => s.ttftMs.p50, format: ms },
  { title: 'TTFT p90', value: (s) => s.ttftMs.p90, format: ms },
  { title: 'TTFT p99', value: (s) => s.ttftMs.p99, format: ms },
  { title: 'ITL mean', value: (s) => s.tpotMs.mean, format: ms },
  { title: 'ITL p99', value: (s) => s.itlMs.p99, format: ms },
  { title: 'E2E p50', value: (s) => s.e2eMs.p50, format: ms },
  { title: 'E2E p99', value: (s) => s.e2eMs.p99, format: ms },
  { title: 'req/s', value: (s) => s.throughput.requestsPerS, format: num(2) },
  { title: 'out tok/s', value: (s) => s.throughput.outputTokensPerS, format: num(0) },
  { title: 'goodput', value: (s) => s.goodput.fraction, format: pct },
  { title: 'cache hit', value: (s) => s.tokens.cacheHitRate, format: pct },
  { title: 'imbalance', value: (s) => s.imbalance.requests, format: num(2) },
  { title: 'errors', value: (s) => s.requests.failed, format: num(0) },
];

function ratio(v: number, base: number): string {
  if (!Number.isFinite(v) || !Number.isFinite(base) || base === 0) return '';
  return ` (×${(v / base).toFixed(2)})`;
}

/** The comparison table alone. */
export function comparisonTable(report: Report): string {
  const base = report.runs.find((r) => r.result.name === report.baseline)?.summary;
  const head = `| contender | ${COLUMNS.map((c) => c.title).join(' | ')} |`;
  const rule = `|---|${COLUMNS.map(() => '---:').join('|')}|`;
  const rows = report.runs.map((run) => {
    const cells = COLUMNS.map((c) => {
      const v = c.value(run.summary);
      const showRatio = base && run.result.name !== report.baseline && c.title !== 'errors';
      return c.format(v) + (showRatio ? ratio(v, c.value(base)) : '');
    });
    const name = run.result.name === report.baseline ? `**${run.result.name}** (baseline)` : run.result.name;
    return `| ${name} | ${cells.join(' | ')} |`;
  });
  return [head, rule, ...rows].join('\n');
}

/** The full Markdown summary. */
export function renderMarkdown(report: Report): string {
  const first = report.runs[0]?.result;
  const lines = [`# ${report.title}`, ''];
  if (first) {
    const l = first.load;
    const loadText =
      l.mode === 'closed'
        ? `closed loop, ${l.users} users`
        : l.mode === 'poisson'
          ? `open loop, Poisson ${l.rate} req/s`
          : `open loop at trace times, rate ×${l.rateScale ?? 1}${l.jitterMs ? `, jitter ${l.jitterMs} ms` : ''}`;
    const slo = report.runs[0]!.summary.goodput.slo;
    lines.push(
      `- Workload: \`${first.workload}\`, ${first.api} API; ${loadText}; time scale ×${l.timeScale} (latencies in virtual time)`,
      `- Measured: ${report.runs[0]!.summary.requests.measured} requests per contender after a ${l.warmupS} s warm-up`,
      `- Goodput SLO: TTFT ≤ ${slo.ttftMs} ms and mean ITL ≤ ${slo.itlMs} ms${slo.e2eMs ? ` and E2E ≤ ${slo.e2eMs} ms` : ''}`,
      `- Command: \`${report.command}\``,
      '',
    );
  }
  lines.push(comparisonTable(report), '');
  const withEndpoints = report.runs.filter((r) => r.summary.endpoints.length > 0);
  if (withEndpoints.length) {
    lines.push('Share of requests / tokens per endpoint:', '');
    for (const r of withEndpoints) {
      const shares = r.summary.endpoints.map(
        (e) => `${e.name} ${pct(e.requestShare)} / ${pct(e.tokenShare)}`,
      );
      lines.push(
        `- ${r.result.name}: ${shares.join(', ')} (token imbalance ${num(2)(r.summary.imbalance.tokens)})`,
      );
    }
    lines.push('');
  }
  const errorRuns = report.runs.filter((r) => Object.keys(r.summary.errors).length > 0);
  if (errorRuns.length) {
    lines.push('Errors by kind:', '');
    for (const r of errorRuns) {
      const kinds = Object.entries(r.summary.errors).map(([k, n]) => `${k} ${n}`);
      lines.push(`- ${r.result.name}: ${kinds.join(', ')}`);
    }
    lines.push('');
  }
  const lagged = report.runs.filter((r) => r.summary.client.lagP99WallMs > 50);
  for (const r of lagged) {
    lines.push(
      `> Warning: ${r.result.name}: the client sent late (p99 lag ${r.summary.client.lagP99WallMs.toFixed(0)} ms wall); the bench may be the bottleneck.`,
      '',
    );
  }
  return lines.join('\n');
}
