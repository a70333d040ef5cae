/**
 * The proxy bench's report: raw measurements per contender (the JSON file), and Markdown tables with the
 * ratios the performance issue asks for, all computed against baselines measured in the same run, plus a
 * verdict per target. A contender or phase that did not run shows as "n/a", never as a number.
 *
 * Every phase runs in interleaved rounds (see rounds.ts): the phase tables show each contender's median
 * round, the rounds tables every round, and the targets compare contenders round by round (the median of
 * paired per-round ratios), which cancels the machine's drift between rounds. The SSE tables and targets
 * are in report-sse.ts.
 */
import { CONTENDER_LABELS, type ContenderName } from './contenders.js';
import type { RequestMeasurement, SseMeasurement } from './measure.js';
import type { Phase, ProxyBenchOptions } from './options.js';
import {
  clientCpu,
  find,
  fmt,
  medianRoundNote,
  NA,
  pairedNote,
  ratio,
  roundCount,
  roundsTable,
  TARGETS,
  table,
  verdict,
} from './report-common.js';
import { sseRoundsTable, sseTable, sseTargetRows } from './report-sse.js';
import {
  addedP99,
  medianClosedRound,
  medianOpenRound,
  type Paired,
  pairedOrSingle,
  type Rounds,
  throughputRatio,
} from './rounds.js';

export { TARGETS } from './report-common.js';

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
  /** SSE ramp: the median round by TTFC p99 (a measured round; for an even count, the lower-middle one). */
  sse?: SseMeasurement;
  /** SSE burst: the median round by TTFC p99, as `sse`. */
  burst?: SseMeasurement;
  /** Every SSE ramp round, in round order; null where that round failed. Absent in older reports. */
  sseRounds?: (SseMeasurement | null)[];
  /** Every SSE burst round, in round order; null where that round failed. Absent in older reports. */
  burstRounds?: (SseMeasurement | null)[];
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

/** CPU microseconds per successful request (undefined without a proxy process or requests). */
export function cpuPerRequestUs(m: RequestMeasurement | undefined, name: ContenderName): number | undefined {
  if (!m || name === 'direct' || m.result.requests === 0) return undefined;
  return (m.proxyCpuSec / m.result.requests) * 1e6;
}

/** A contender's rounds of a request phase (absent in reports written before rounds existed). */
function roundsOf(c: ContenderReport | undefined, phase: 'closed' | 'open'): Rounds | undefined {
  return phase === 'closed' ? c?.closedRounds : c?.openRounds;
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
  const side = (x: ContenderReport | undefined) => ({ rounds: roundsOf(x, phase), single: x?.[phase] });
  return pairedOrSingle(side(c), side(base), f);
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
  const n = roundCount(report, (c) => c.closedRounds);
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
)}${medianRoundNote(n, 'req/s')}`;
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
  const n = roundCount(report, (c) => c.openRounds);
  return `### Small requests, open loop at ${o.rate} req/s for ${o.rateDurationSec} s${n > 1 ? `, ${n} rounds` : ''} (latency from each request's scheduled time)

${table(['contender', 'req/s', 'p50 ms', 'p99 ms', 'added p99 ms vs direct', 'proxy CPU µs/req', 'errors', 'client CPU %', 'client lag max ms'], rows)}${medianRoundNote(n, 'p99')}`;
}

/** Every round of a request phase: req/s (closed) or p99 (open), Fulcrum ÷ minimal or added p99 over direct. */
function requestRoundsTable(report: ProxyBenchReport, phase: 'closed' | 'open'): string | undefined {
  const closed = phase === 'closed';
  return roundsTable(report, {
    title: closed ? 'closed loop' : 'open loop',
    what: closed ? 'req/s' : 'p99 ms',
    roundsOf: (c) => roundsOf(c, phase),
    value: (m) => (closed ? m.result.throughput : m.result.latency.p99),
    digits: closed ? 0 : 2,
    median: closed ? medianClosedRound : medianOpenRound,
    pair: closed
      ? { label: 'Fulcrum ÷ minimal', base: 'minimal', f: throughputRatio, target: true }
      : { label: 'Fulcrum added p99 ms', base: 'direct', f: addedP99, target: true },
  });
}

function targetsTable(report: ProxyBenchReport, name: ContenderName): string {
  const c = find(report, name);
  const thr = paired(c, find(report, 'minimal'), 'closed', throughputRatio);
  const added = paired(c, find(report, 'direct'), 'open', addedP99);
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
    ...sseTargetRows(report, name),
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
    `Backends: 3 Node servers in one process; NGINX worker_processes ${o.nginxWorkers}; Fulcrum maxConnections per endpoint: ${o.fulcrumMaxConnections ?? 'default'}${o.fulcrumLauncher ? `; Fulcrum launched by ${o.fulcrumLauncher} (experiment)` : ''}`,
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
    const rounds = requestRoundsTable(report, phase);
    if (rounds) parts.push(rounds);
  }
  for (const phase of ['sse', 'burst'] as const) {
    if (!o.phases.includes(phase)) continue;
    parts.push(sseTable(report, phase));
    const rounds = sseRoundsTable(report, phase);
    if (rounds) parts.push(rounds);
  }
  for (const name of ['fulcrum', 'minimal'] as const) {
    if (o.contenders.includes(name)) parts.push(targetsTable(report, name));
  }
  return `${parts.join('\n\n')}\n`;
}
