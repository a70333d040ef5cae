/**
 * The SSE part of the proxy bench's report: the ramp and burst tables (each contender's median round by
 * TTFC p99), their rounds tables, and the SSE targets. TTFC p99 swings by an order of magnitude with the
 * machine's momentary load, so the TTFC target is the median over rounds of the per-round ratio to NGINX;
 * the completion and memory targets are limits, so they must hold in every round.
 */
import { CONTENDER_LABELS, type ContenderName } from './contenders.js';
import type { SseMeasurement } from './measure.js';
import type { ContenderReport, ProxyBenchReport } from './report.js';
import {
  clientCpu,
  find,
  fmt,
  machineCpu,
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
import { medianSseRound, pairedOrSingle, type Rounds, ttfcRatio } from './rounds.js';

export type SsePhase = 'sse' | 'burst';

/** A contender's rounds of an SSE phase (absent in reports written before SSE rounds existed). */
function roundsOf(c: ContenderReport, phase: SsePhase): Rounds<SseMeasurement> | undefined {
  return phase === 'sse' ? c.sseRounds : c.burstRounds;
}

/** The measured rounds of a phase with their index: every round, or the single measurement of an old report. */
function measured(c: ContenderReport, phase: SsePhase): { round: number; m: SseMeasurement }[] {
  const all = roundsOf(c, phase) ?? (c[phase] ? [c[phase]] : []);
  return all.flatMap((m, round) => (m ? [{ round, m }] : []));
}

/** Not every stream completed, in order. */
const incomplete = (m: SseMeasurement): boolean =>
  m.result.failed > 0 || m.result.completed < m.result.streams;

export function sseTable(report: ProxyBenchReport, phase: SsePhase): string {
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
      machineCpu(m),
      r && r.failures.length > 0 ? r.failures[0]!.replace(/\|/g, '/') : '',
    ];
  });
  const o = report.options;
  const n = roundCount(report, (c) => roundsOf(c, phase));
  const title =
    phase === 'sse'
      ? `### SSE ramp: ${o.streams} streams opened over ${o.rampSec} s`
      : `### SSE burst: ${o.burstStreams} streams opened within ${o.burstSec} s`;
  return `${title} (${o.chunks} chunks, ${o.chunkIntervalMs} ms apart${n > 1 ? `; ${n} rounds` : ''})

${table(['contender', 'complete, in order', 'TTFC p50 ms', 'TTFC p99 ms', 'TTFC max ms', 'TTFC p99 × NGINX', 'peak RSS MB', 'proxy CPU ms/stream', 'max open', 'client CPU %', `machine CPU cores, mean / peak (of ${report.machine.cpus})`, 'first failure'], rows)}${medianRoundNote(n, 'TTFC p99', phase === 'sse')}`;
}

/** Every round of an SSE phase: each contender's TTFC p99, and Fulcrum ÷ NGINX in that round. */
export function sseRoundsTable(report: ProxyBenchReport, phase: SsePhase): string | undefined {
  return roundsTable(report, {
    title: phase === 'sse' ? 'SSE ramp' : 'SSE burst',
    what: 'TTFC p99 ms',
    roundsOf: (c) => roundsOf(c, phase),
    value: (m) => m.result.ttfc.p99,
    digits: 1,
    median: medianSseRound,
    pair: { label: 'Fulcrum ÷ NGINX', base: 'nginx', f: ttfcRatio, target: phase === 'sse' },
    remark: (m) => (incomplete(m) ? `(${m.result.completed}/${m.result.streams} complete)` : undefined),
  });
}

/** After a limit's figure: the rounds that did not run, which the limit could not be checked in. */
function notRun(c: ContenderReport, phase: SsePhase): string {
  const all = roundsOf(c, phase) ?? [];
  const missing = all.flatMap((m, r) => (m ? [] : [String(r + 1)]));
  if (missing.length === 0) return '';
  return ` (round${missing.length > 1 ? 's' : ''} ${missing.join(', ')} did not run)`;
}

/** Every stream of the ramp completes, in order, in every round: else the worst round and which one. */
function completionRow(report: ProxyBenchReport, c: ContenderReport | undefined): string[] {
  const target = `all ${report.options.streams} streams complete, in order`;
  const rounds = c ? measured(c, 'sse') : [];
  if (!c || rounds.length === 0) return [target, NA, NA];
  const total = roundsOf(c, 'sse')?.length ?? 1;
  const bad = rounds.filter(({ m }) => incomplete(m));
  let cell: string;
  if (bad.length === 0) {
    const { streams } = rounds[0]!.m.result;
    cell =
      rounds.length > 1
        ? `${streams}/${streams} in each of ${rounds.length} rounds`
        : `${streams}/${streams}`;
  } else {
    // The worst round: fewest complete (the earliest among equals).
    const worst = bad.reduce((w, x) => (x.m.result.completed < w.m.result.completed ? x : w));
    const { completed, streams } = worst.m.result;
    cell =
      total > 1
        ? `${completed}/${streams} in round ${worst.round + 1} of ${total}`
        : `${completed}/${streams}`;
  }
  return [target, `${cell}${notRun(c, 'sse')}`, verdict(bad.length === 0)];
}

/** The largest peak RSS over the ramp's rounds: the limit must hold every time. */
function rssRow(c: ContenderReport | undefined): string[] {
  const target = `peak RSS ≤ ${TARGETS.rssBytes / 2 ** 20} MB`;
  const rounds = c ? measured(c, 'sse') : [];
  if (!c || rounds.length === 0) return [target, NA, NA];
  const peak = Math.max(...rounds.map(({ m }) => m.peakRssBytes));
  const of = rounds.length > 1 ? ` (largest of ${rounds.length} rounds)` : '';
  return [
    target,
    `${(peak / 2 ** 20).toFixed(0)} MB${of}${notRun(c, 'sse')}`,
    verdict(peak <= TARGETS.rssBytes),
  ];
}

/** TTFC p99 ÷ NGINX's: the median over rounds of the ratio within each round. */
function ttfcRow(c: ContenderReport | undefined, nginx: ContenderReport | undefined): string[] {
  const side = (x: ContenderReport | undefined) => ({ rounds: x?.sseRounds, single: x?.sse });
  const p = c && nginx ? pairedOrSingle(side(c), side(nginx), ttfcRatio) : undefined;
  return [
    `TTFC p99 ≤ ${TARGETS.ttfcVsNginx}× NGINX's`,
    p === undefined ? NA : `${p.value.toFixed(2)}×${pairedNote(p)}`,
    verdict(p === undefined ? undefined : p.value <= TARGETS.ttfcVsNginx),
  ];
}

/** The SSE rows of `name`'s targets table: completion, peak RSS, TTFC against NGINX. */
export function sseTargetRows(report: ProxyBenchReport, name: ContenderName): string[][] {
  const c = find(report, name);
  return [completionRow(report, c), rssRow(c), ttfcRow(c, find(report, 'nginx'))];
}
