/**
 * The proxy bench's report: raw measurements per contender (the JSON file), and Markdown tables with the
 * ratios the performance issue asks for, all computed against baselines measured in the same run, plus a
 * verdict per target. A contender or phase that did not run shows as "n/a", never as a number.
 */
import { CONTENDER_LABELS, type ContenderName } from './contenders.js';
import type { RequestMeasurement, SseMeasurement } from './measure.js';
import type { Phase, ProxyBenchOptions } from './options.js';

/** Everything measured for one contender. */
export interface ContenderReport {
  name: ContenderName;
  available: boolean;
  /** Why the contender could not start. */
  reason?: string;
  /** RSS right after start-up, bytes. */
  idleRssBytes?: number;
  closed?: RequestMeasurement;
  open?: RequestMeasurement;
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
  return `### Small requests, closed loop: ${o.concurrency} connections, ${o.durationSec} s measured (client: ${client})

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
)}`;
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
  return `### Small requests, open loop at ${o.rate} req/s for ${o.rateDurationSec} s (latency from each request's scheduled time)

${table(['contender', 'req/s', 'p50 ms', 'p99 ms', 'added p99 ms vs direct', 'proxy CPU µs/req', 'errors', 'client CPU %', 'client lag max ms'], rows)}`;
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

/** A target's verdict for one contender: met, MISSED, or n/a when something it needs did not run. */
function verdict(ok: boolean | undefined): string {
  return ok === undefined ? NA : ok ? 'met' : '**MISSED**';
}

function targetsTable(report: ProxyBenchReport, name: ContenderName): string {
  const c = find(report, name);
  const direct = find(report, 'direct');
  const nginx = find(report, 'nginx');
  const minimal = find(report, 'minimal');
  const thr = ratio(c?.closed?.result.throughput, minimal?.closed?.result.throughput);
  const added =
    c?.open && direct?.open ? c.open.result.latency.p99 - direct.open.result.latency.p99 : undefined;
  const sse = c?.sse;
  const ttfc = ratio(sse?.result.ttfc.p99, nginx?.sse?.result.ttfc.p99);
  const rows = [
    [
      `throughput ≥ ${TARGETS.throughputVsMinimal}× minimal proxy`,
      name === 'minimal' ? '(the baseline itself)' : thr === undefined ? NA : `${thr.toFixed(2)}×`,
      name === 'minimal' ? NA : verdict(thr === undefined ? undefined : thr >= TARGETS.throughputVsMinimal),
    ],
    [
      `added p99 over direct ≤ ${TARGETS.addedP99Ms} ms at ${report.options.rate} req/s`,
      added === undefined ? NA : `${added.toFixed(2)} ms`,
      verdict(added === undefined ? undefined : added <= TARGETS.addedP99Ms),
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
  if (o.phases.includes('closed')) parts.push(closedTable(report));
  if (o.phases.includes('open')) parts.push(openTable(report));
  if (o.phases.includes('sse')) parts.push(sseTable(report, 'sse'));
  if (o.phases.includes('burst')) parts.push(sseTable(report, 'burst'));
  for (const name of ['fulcrum', 'minimal'] as const) {
    if (o.contenders.includes(name)) parts.push(targetsTable(report, name));
  }
  return `${parts.join('\n\n')}\n`;
}
