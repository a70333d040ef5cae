/**
 * The proxy bench's report: raw measurements per contender (the JSON file), and Markdown tables with the
 * ratios the performance issue asks for, all computed against baselines measured in the same run, plus a
 * verdict per target. A contender or phase that did not run shows as "n/a", never as a number.
 *
 * The request phases run in interleaved rounds (see rounds.ts): the phase tables show each contender's
 * median round, the rounds tables every round, and the targets compare contenders round by round (the
 * median of paired per-round ratios), which cancels the machine's drift between rounds.
 */
import { CONTENDER_LABELS, type ContenderName } from './contenders.js';
import type { RequestMeasurement, SseMeasurement } from './measure.js';
import type { Phase, ProxyBenchOptions } from './options.js';
import {
  addedP99,
  median,
  medianClosedRound,
  medianOpenRound,
  type Paired,
  pairedMedian,
  pairedValues,
  type Rounds,
  throughputRatio,
} from './rounds.js';

/** Everything measured for one contender. */
export interface ContenderReport {
  name: ContenderName;
  available: boolean;
  /** Why the contender could not start. */
  reason?: string;
  /** RSS right after start-up, bytes. */
  idleRssBytes?: number;
  /** Closed loop: the median round by throughput (a measured round, not an average). */
  closed?: RequestMeasurement;
  /** Open loop: the median round by p99 latency (for an even count of rounds, the lower-middle one). */
  open?: RequestMeasurement;
  /** Every closed-loop round, in round order; null where that round failed (see `errors`). */
  closedRounds?: (RequestMeasurement | null)[];
  /** Every open-loop round, in round order; null where that round failed. */
  openRounds?: (RequestMeasurement | null)[];
  sse?: SseMeasurement;
  burst?: SseMeasurement;
  /** Phases that failed to run, with the error. */
  errors: Partial<Record<Phase, string>>;
}

/** Where and when the run happened. */
export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  kernel: string;
  node: string;
  nginx: string;
  wrk: string;
  /** 1/5/15-minute load averages before and after the run. */
  loadBefore: number[];
  loadAfter: number[];
}

/** The whole run: what `<out>.json` holds. */
export interface ProxyBenchReport {
  startedAt: string;
  finishedAt: string;
  command: string;
  options: ProxyBenchOptions;
  machine: MachineInfo;
  contenders: ContenderReport[];
}

/** Limits from the performance issue. */
export const TARGETS = {
  /** Fulcrum throughput ≥ this × the minimal proxy's. */
  throughputVsMinimal: 0.9,
  /** Added p99 over direct at the open-loop rate, ms. */
  addedP99Ms: 2,
  /** Peak RSS during the SSE ramp, bytes. */
  rssBytes: 300 * 1024 * 1024,
  /** TTFC p99 ≤ this × NGINX's. */
  ttfcVsNginx: 2,
} as const;

const NA = 'n/a';

function fmt(n: number | undefined, digits = 1): string {
  return n === undefined || !Number.isFinite(n) ? NA : n.toFixed(digits);
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

/** CPU microseconds per successful request (undefined without a proxy process or requests). */
export function cpuPerRequestUs(m: RequestMeasurement | undefined, name: ContenderName): number | undefined {
  if (!m || name === 'direct' || m.result.requests === 0) return undefined;
  return (m.proxyCpuSec / m.result.requests) * 1e6;
}

function find(report: ProxyBenchReport, name: ContenderName): ContenderReport | undefined {
  return report.contenders.find((c) => c.name === name && c.available);
}

/** A contender's rounds of a request phase (absent in reports written before rounds existed). */
function roundsOf(c: ContenderReport | undefined, phase: 'closed' | 'open'): Rounds | undefined {
  return phase === 'closed' ? c?.closedRounds : c?.openRounds;
}

/** How many rounds of `phase` the report holds (0 in reports written before rounds existed). */
function roundCount(report: ProxyBenchReport, phase: 'closed' | 'open'): number {
  return Math.max(0, ...report.contenders.map((c) => roundsOf(c, phase)?.length ?? 0));
}

/**
 * `f(c, base)` for a request phase: the median over rounds of the per-round values when both contenders
 * have rounds, else (reports written before rounds existed) the value for the single measurements.
 */
function paired(
  c: ContenderReport | undefined,
  base: ContenderReport | undefined,
  phase: 'closed' | 'open',
  f: (a: RequestMeasurement, b: RequestMeasurement) => number,
): Paired | undefined {
  const a = roundsOf(c, phase);
  const b = roundsOf(base, phase);
  if (a && b) return pairedMedian(a, b, f);
  const x = c?.[phase];
  const y = base?.[phase];
  const value = x && y ? f(x, y) : undefined;
  return value !== undefined && Number.isFinite(value) ? { value } : undefined;
}

function pairedNote(p: Paired): string {
  return p.rounds !== undefined && p.rounds > 1 ? ` (median of ${p.rounds} paired rounds)` : '';
}

/** Under a phase table when it shows one round of several. */
function medianRoundNote(report: ProxyBenchReport, phase: 'closed' | 'open'): string {
  const n = roundCount(report, phase);
  if (n <= 1) return '';
  const by = phase === 'closed' ? 'req/s' : 'p99';
  return `\n\nEach row is the contender's median round of ${n} (by ${by}), so the comparisons in this table are between rounds measured at different times; the targets below compare contenders within each round.`;
}

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => ' --- ').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** The load generator's CPU use in the window, % of one core: near 100 means the client was the limit. */
function clientCpu(m: RequestMeasurement | SseMeasurement | undefined): string {
  if (!m || m.clientCpuSec === undefined) return NA;
  return fmt((100 * m.clientCpuSec) / (m.result.elapsedMs / 1000), 0);
}

function closedTable(report: ProxyBenchReport): string {
  const direct = find(report, 'direct')?.closed;
  const nginx = find(report, 'nginx')?.closed;
  const minimal = find(report, 'minimal')?.closed;
  const rows = report.contenders.map((c) => {
    const m = c.closed;
    const cpu = cpuPerRequestUs(m, c.name);
    return [
      CONTENDER_LABELS[c.name],
      m ? fmt(m.result.throughput, 0) : c.available ? NA : `not available: ${c.reason ?? c.errors.closed}`,
      fmt(ratio(m?.result.throughput, direct?.result.throughput), 2),
      fmt(ratio(m?.result.throughput, nginx?.result.throughput), 2),
      fmt(ratio(m?.result.throughput, minimal?.result.throughput), 2),
      fmt(m?.result.latency.p50, 2),
      fmt(m?.result.latency.p99, 2),
      fmt(cpu, 0),
      fmt(ratio(cpu, cpuPerRequestUs(nginx, 'nginx')), 2),
      fmt(ratio(cpu, cpuPerRequestUs(minimal, 'minimal')), 2),
      m ? fmt((m.backendCpuSec / Math.max(1, m.result.requests)) * 1e6, 0) : NA,
      clientCpu(m),
      m ? String(m.result.errors) : NA,
    ];
  });
  const client = report.contenders.find((c) => c.closed)?.closed?.client ?? 'n/a';
  const o = report.options;
  const n = roundCount(report, 'closed');
  return `### Small requests, closed loop: ${o.concurrency} connections, ${o.durationSec} s measured${n > 1 ? `, ${n} rounds` : ''} (client: ${client})

${table(
  [
    'contender',
    'req/s',
    '× direct',
    '× NGINX',
    '× minimal',
    'p50 ms',
    'p99 ms',
    'proxy CPU µs/req',
    'CPU × NGINX',
    'CPU × minimal',
    'backend CPU µs/req',
    'client CPU %',
    'errors',
  ],
  rows,
)}${medianRoundNote(report, 'closed')}`;
}

function openTable(report: ProxyBenchReport): string {
  const direct = find(report, 'direct')?.open;
  const rows = report.contenders.map((c) => {
    const m = c.open;
    return [
      CONTENDER_LABELS[c.name],
      m ? fmt(m.result.throughput, 0) : c.available ? NA : 'not available',
      fmt(m?.result.latency.p50, 2),
      fmt(m?.result.latency.p99, 2),
      c.name === 'direct'
        ? '—'
        : fmt(m && direct ? m.result.latency.p99 - direct.result.latency.p99 : undefined, 2),
      fmt(cpuPerRequestUs(m, c.name), 0),
      m ? String(m.result.errors) : NA,
      clientCpu(m),
      fmt(m?.result.maxSendLagMs, 1),
    ];
  });
  const o = report.options;
  const n = roundCount(report, 'open');
  return `### Small requests, open loop at ${o.rate} req/s for ${o.rateDurationSec} s${n > 1 ? `, ${n} rounds` : ''} (latency from each request's scheduled time)

${table(['contender', 'req/s', 'p50 ms', 'p99 ms', 'added p99 ms vs direct', 'proxy CPU µs/req', 'errors', 'client CPU %', 'client lag max ms'], rows)}${medianRoundNote(report, 'open')}`;
}

function sseTable(report: ProxyBenchReport, phase: 'sse' | 'burst'): string {
  const nginx = find(report, 'nginx')?.[phase];
  const rows = report.contenders.map((c) => {
    const m = c[phase];
    const r = m?.result;
    return [
      CONTENDER_LABELS[c.name],
      r ? `${r.completed}/${r.streams}` : c.available ? NA : 'not available',
      fmt(r?.ttfc.p50, 1),
      fmt(r?.ttfc.p99, 1),
      fmt(r?.ttfc.max, 1),
      fmt(ratio(r?.ttfc.p99, nginx?.result.ttfc.p99), 2),
      c.name === 'direct' || !m ? NA : fmt(m.peakRssBytes / 2 ** 20, 0),
      c.name === 'direct' || !m ? NA : fmt((m.proxyCpuSec / Math.max(1, r!.streams)) * 1000, 2),
      r ? String(r.maxOpen) : NA,
      clientCpu(m),
      r && r.failures.length > 0 ? r.failures[0]!.replace(/\|/g, '/') : '',
    ];
  });
  const o = report.options;
  const title =
    phase === 'sse'
      ? `### SSE ramp: ${o.streams} streams opened over ${o.rampSec} s`
      : `### SSE burst: ${o.burstStreams} streams opened within ${o.burstSec} s`;
  return `${title} (${o.chunks} chunks, ${o.chunkIntervalMs} ms apart)

${table(['contender', 'complete, in order', 'TTFC p50 ms', 'TTFC p99 ms', 'TTFC max ms', 'TTFC p99 × NGINX', 'peak RSS MB', 'proxy CPU ms/stream', 'max open', 'client CPU %', 'first failure'], rows)}`;
}

/**
 * Every round of a request phase: each contender's req/s (closed) or p99 (open), and Fulcrum against its
 * baseline in that round (÷ minimal, or added p99 over direct). Undefined with fewer than two rounds.
 */
function roundsTable(report: ProxyBenchReport, phase: 'closed' | 'open'): string | undefined {
  const n = roundCount(report, phase);
  if (n <= 1) return undefined;
  const shown = report.contenders.filter((c) => c.available && roundsOf(c, phase));
  const value = (m: RequestMeasurement) => (phase === 'closed' ? m.result.throughput : m.result.latency.p99);
  const digits = phase === 'closed' ? 0 : 2;
  const fulcrum = roundsOf(find(report, 'fulcrum'), phase);
  const base = roundsOf(find(report, phase === 'closed' ? 'minimal' : 'direct'), phase);
  const f = phase === 'closed' ? throughputRatio : addedP99;
  const pairs = fulcrum && base ? pairedValues(fulcrum, base, f) : undefined;
  const rows: string[][] = [];
  for (let r = 0; r < n; r++) {
    const cells = shown.map((c) => {
      const m = roundsOf(c, phase)![r];
      return m ? fmt(value(m), digits) : 'failed';
    });
    rows.push([String(r + 1), ...cells, ...(pairs ? [fmt(pairs[r], 2)] : [])]);
  }
  // Each contender's median round (the one in the table above); the paired column's median is the target's figure.
  const medianOf = phase === 'closed' ? medianClosedRound : medianOpenRound;
  const medians = shown.map((c) => {
    const m = medianOf(roundsOf(c, phase)!);
    return m ? fmt(value(m), digits) : NA;
  });
  const pairedMedianCell = pairs ? [fmt(median(pairs.filter((v) => v !== undefined)), 2)] : [];
  rows.push(['median', ...medians, ...pairedMedianCell]);
  const what = phase === 'closed' ? 'req/s' : 'p99 ms';
  const header = [
    'round',
    ...shown.map((c) => CONTENDER_LABELS[c.name]),
    ...(pairs ? [phase === 'closed' ? 'Fulcrum ÷ minimal' : 'Fulcrum added p99 ms'] : []),
  ];
  const title = phase === 'closed' ? 'Rounds, closed loop' : 'Rounds, open loop';
  const note = pairs
    ? `\n\nLast row: each contender's median round (as in the table above); in the last column, the median of the per-round values, which is the figure the targets use.`
    : '';
  return `### ${title}: ${what} per round (round r starts with the r-th contender, in the order above)

${table(header, rows)}${note}`;
}

/** A target's verdict for one contender: met, MISSED, or n/a when something it needs did not run. */
function verdict(ok: boolean | undefined): string {
  return ok === undefined ? NA : ok ? 'met' : '**MISSED**';
}

function targetsTable(report: ProxyBenchReport, name: ContenderName): string {
  const c = find(report, name);
  const direct = find(report, 'direct');
  const nginx = find(report, 'nginx');
  const minimal = find(report, 'minimal');
  const thr = paired(c, minimal, 'closed', throughputRatio);
  const added = paired(c, direct, 'open', addedP99);
  const sse = c?.sse;
  const ttfc = ratio(sse?.result.ttfc.p99, nginx?.sse?.result.ttfc.p99);
  const rows = [
    [
      `throughput ≥ ${TARGETS.throughputVsMinimal}× minimal proxy`,
      name === 'minimal'
        ? '(the baseline itself)'
        : thr === undefined
          ? NA
          : `${thr.value.toFixed(2)}×${pairedNote(thr)}`,
      name === 'minimal'
        ? NA
        : verdict(thr === undefined ? undefined : thr.value >= TARGETS.throughputVsMinimal),
    ],
    [
      `added p99 over direct ≤ ${TARGETS.addedP99Ms} ms at ${report.options.rate} req/s`,
      added === undefined ? NA : `${added.value.toFixed(2)} ms${pairedNote(added)}`,
      verdict(added === undefined ? undefined : added.value <= TARGETS.addedP99Ms),
    ],
    [
      `all ${report.options.streams} streams complete, in order`,
      sse ? `${sse.result.completed}/${sse.result.streams}` : NA,
      verdict(sse ? sse.result.failed === 0 : undefined),
    ],
    [
      `peak RSS ≤ ${TARGETS.rssBytes / 2 ** 20} MB`,
      sse ? `${(sse.peakRssBytes / 2 ** 20).toFixed(0)} MB` : NA,
      verdict(sse ? sse.peakRssBytes <= TARGETS.rssBytes : undefined),
    ],
    [
      `TTFC p99 ≤ ${TARGETS.ttfcVsNginx}× NGINX's`,
      ttfc === undefined ? NA : `${ttfc.toFixed(2)}×`,
      verdict(ttfc === undefined ? undefined : ttfc <= TARGETS.ttfcVsNginx),
    ],
  ];
  return `### Targets: ${CONTENDER_LABELS[name]}

${table(['target', 'measured', 'verdict'], rows)}`;
}

/** The Markdown report: machine, then one table per phase, then the targets for Fulcrum and the minimal proxy. */
export function toMarkdown(report: ProxyBenchReport): string {
  const m = report.machine;
  const o = report.options;
  const sections = [
    `Command: \`${report.command}\`  `,
    `Run: ${report.startedAt} → ${report.finishedAt}  `,
    `Machine: ${m.cpus} CPUs (${m.cpuModel}), Linux ${m.kernel}, Node ${m.node}, ${m.nginx}, ${m.wrk}  `,
    `Load average (1/5/15 min) before: ${m.loadBefore.join(' ')}, after: ${m.loadAfter.join(' ')}  `,
    `Backends: 3 Node servers in one process; NGINX worker_processes ${o.nginxWorkers}; Fulcrum maxConnections per endpoint: ${o.fulcrumMaxConnections ?? 'default'}`,
  ].join('\n');
  const unavailable = report.contenders
    .filter((c) => !c.available)
    .map((c) => `- ${CONTENDER_LABELS[c.name]}: not available — ${c.reason ?? 'unknown'}`);
  const phaseErrors = report.contenders.flatMap((c) =>
    Object.entries(c.errors).map(([p, e]) => `- ${CONTENDER_LABELS[c.name]}, phase ${p}: ${e}`),
  );
  const parts = [sections];
  if (unavailable.length + phaseErrors.length > 0) parts.push([...unavailable, ...phaseErrors].join('\n'));
  for (const phase of ['closed', 'open'] as const) {
    if (!o.phases.includes(phase)) continue;
    parts.push(phase === 'closed' ? closedTable(report) : openTable(report));
    const rounds = roundsTable(report, phase);
    if (rounds) parts.push(rounds);
  }
  if (o.phases.includes('sse')) parts.push(sseTable(report, 'sse'));
  if (o.phases.includes('burst')) parts.push(sseTable(report, 'burst'));
  for (const name of ['fulcrum', 'minimal'] as const) {
    if (o.contenders.includes(name)) parts.push(targetsTable(report, name));
  }
  return `${parts.join('\n\n')}\n`;
}
