/**
 * What the proxy bench's report modules share: the targets, number formatting, Markdown tables, and the
 * rounds tables (every round of a phase, each contender's figure and Fulcrum against a baseline).
 */
import { CONTENDER_LABELS, type ContenderName } from './contenders.js';
import type { RequestMeasurement, SseMeasurement } from './measure.js';
import type { ContenderReport, ProxyBenchReport } from './report.js';
import { median, type Paired, pairedValues, type Rounds } from './rounds.js';

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

export const NA = 'n/a';

export function fmt(n: number | undefined, digits = 1): string {
  return n === undefined || !Number.isFinite(n) ? NA : n.toFixed(digits);
}

export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

/** The available contender `name`, if it is in the report. */
export function find(report: ProxyBenchReport, name: ContenderName): ContenderReport | undefined {
  return report.contenders.find((c) => c.name === name && c.available);
}

export function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => ' --- ').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** The load generator's CPU use in the window, % of one core: near 100 means the client was the limit. */
export function clientCpu(m: RequestMeasurement | SseMeasurement | undefined): string {
  if (!m || m.clientCpuSec === undefined) return NA;
  return fmt((100 * m.clientCpuSec) / (m.result.elapsedMs / 1000), 0);
}

/**
 * The whole machine's CPU use in the window, in cores, mean / busiest 0.5 s: a peak near the machine's core
 * count means the contender, backends and client together saturated it, and latencies include waiting for
 * a CPU.
 */
export function machineCpu(m: RequestMeasurement | SseMeasurement | undefined): string {
  if (!m?.machine) return NA;
  return `${fmt(m.machine.meanCores, 2)} / ${fmt(m.machine.peakCores, 2)}`;
}

/** A target's verdict for one contender: met, MISSED, or n/a when something it needs did not run. */
export function verdict(ok: boolean | undefined): string {
  return ok === undefined ? NA : ok ? 'met' : '**MISSED**';
}

/** After a paired figure in a targets table: how many rounds it is the median of. */
export function pairedNote(p: Paired): string {
  return p.rounds !== undefined && p.rounds > 1 ? ` (median of ${p.rounds} paired rounds)` : '';
}

/** How many rounds of a phase the report holds (0 in reports written before rounds existed). */
export function roundCount<T>(
  report: ProxyBenchReport,
  roundsOf: (c: ContenderReport) => Rounds<T> | undefined,
): number {
  return Math.max(0, ...report.contenders.map((c) => roundsOf(c)?.length ?? 0));
}

/**
 * Under a phase table that shows one round of `n` (by `by`); empty for one round. `targeted`: a target
 * compares contenders on this phase (else only the rounds table does).
 */
export function medianRoundNote(n: number, by: string, targeted = true): string {
  if (n <= 1) return '';
  const within = targeted ? 'the targets below compare' : 'the rounds table below compares';
  return `\n\nEach row is the contender's median round of ${n} (by ${by}), so the comparisons in this table are between rounds measured at different times; ${within} contenders within each round.`;
}

/** What {@link roundsTable} shows for one phase. */
export interface RoundsTableSpec<T> {
  /** The phase, in the title: "closed loop", "SSE ramp". */
  title: string;
  /** The figure, in the title: "req/s", "TTFC p99 ms". */
  what: string;
  roundsOf: (c: ContenderReport) => Rounds<T> | undefined;
  /** The figure for one round, and its decimals. */
  value: (m: T) => number;
  digits: number;
  /** The contender's median round (the one its phase table shows). */
  median: (rounds: Rounds<T>) => T | undefined;
  /** The last column: Fulcrum against `base` in each round (2 decimals); `target` when a target uses its median. */
  pair: { label: string; base: ContenderName; f: (a: T, b: T) => number; target: boolean };
  /** Appended to a round's cell when that round needs a remark (e.g. streams that did not complete). */
  remark?: (m: T) => string | undefined;
}

/**
 * Every round of a phase: each contender's figure, and Fulcrum against its baseline in that round, then
 * the medians. Undefined with fewer than two rounds.
 */
export function roundsTable<T>(report: ProxyBenchReport, spec: RoundsTableSpec<T>): string | undefined {
  const n = roundCount(report, spec.roundsOf);
  if (n <= 1) return undefined;
  const roundsOf = (c: ContenderReport | undefined) => (c ? spec.roundsOf(c) : undefined);
  const shown = report.contenders.filter((c) => c.available && spec.roundsOf(c));
  const fulcrum = roundsOf(find(report, 'fulcrum'));
  const base = roundsOf(find(report, spec.pair.base));
  const pairs = fulcrum && base ? pairedValues(fulcrum, base, spec.pair.f) : undefined;
  const rows: string[][] = [];
  for (let r = 0; r < n; r++) {
    const cells = shown.map((c) => {
      const m = spec.roundsOf(c)![r];
      if (!m) return 'failed';
      const remark = spec.remark?.(m);
      return `${fmt(spec.value(m), spec.digits)}${remark ? ` ${remark}` : ''}`;
    });
    rows.push([String(r + 1), ...cells, ...(pairs ? [fmt(pairs[r], 2)] : [])]);
  }
  // Each contender's median round (the one in the phase table); the paired column's median is a target's figure.
  const medians = shown.map((c) => {
    const m = spec.median(spec.roundsOf(c)!);
    return m ? fmt(spec.value(m), spec.digits) : NA;
  });
  const pairedMedianCell = pairs ? [fmt(median(pairs.filter((v) => v !== undefined)), 2)] : [];
  rows.push(['median', ...medians, ...pairedMedianCell]);
  const header = [
    'round',
    ...shown.map((c) => CONTENDER_LABELS[c.name]),
    ...(pairs ? [spec.pair.label] : []),
  ];
  const note = pairs
    ? `\n\nLast row: each contender's median round (as in the table above); in the last column, the median of the per-round values${spec.pair.target ? ', which is the figure the targets use' : ''}.`
    : '';
  return `### Rounds, ${spec.title}: ${spec.what} per round (round r starts with the r-th contender, in the order above)

${table(header, rows)}${note}`;
}
