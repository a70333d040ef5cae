/**
 * Repeated, interleaved measurements. On a noisy machine the same proxy's throughput moves by tens of
 * percent from one minute to the next, and an SSE ramp's TTFC p99 by an order of magnitude, so one
 * contender's run compared with another's made a minute earlier says little. The bench therefore runs
 * every phase in rounds (`--rounds` for closed and open, `--sse-rounds` for sse and burst), every contender
 * once per round, and the report compares contenders *within* each round (paired ratios, which cancel the
 * machine's drift) before taking the median over rounds.
 */
import { percentile } from '../stats.js';
import type { PhaseMeasurement, RequestMeasurement, SseMeasurement } from './measure.js';

/** The order contenders run in round `round`: a rotation starting at index `round` mod k. */
export function roundOrder<T>(contenders: readonly T[], round: number): T[] {
  const k = contenders.length;
  return contenders.map((_, i) => contenders[(round + i) % k]!);
}

/** One contender's measurements of a phase, indexed by round; `null` for a round that failed. */
export type Rounds<T = RequestMeasurement> = ReadonlyArray<T | null>;

/** Median of a sample (the stats module's 50th percentile, so the mean of the middle two for an even count). */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/**
 * The round whose `key` is the median: a real measured round, never a synthetic average. For an even count,
 * the lower-middle one (by `key`). Rounds that failed (`null`) or whose key is not a finite number are left
 * out; undefined when none is left.
 */
export function medianRound<T>(
  rounds: ReadonlyArray<T | null | undefined>,
  key: (m: T) => number,
): T | undefined {
  const ok = rounds.filter((m): m is T => m !== null && m !== undefined && Number.isFinite(key(m)));
  if (ok.length === 0) return undefined;
  // Stable sort: among equal keys the earlier round wins, so the choice is deterministic.
  const sorted = [...ok].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** The closed-loop round to show in the tables: median throughput. */
export function medianClosedRound(rounds: Rounds): RequestMeasurement | undefined {
  return medianRound(rounds, (m) => m.result.throughput);
}

/** The open-loop round to show in the tables: median p99 latency. */
export function medianOpenRound(rounds: Rounds): RequestMeasurement | undefined {
  return medianRound(rounds, (m) => m.result.latency.p99);
}

/** The SSE (ramp or burst) round to show in the tables: median TTFC p99. */
export function medianSseRound(rounds: Rounds<SseMeasurement>): SseMeasurement | undefined {
  return medianRound(rounds, (m) => m.result.ttfc.p99);
}

/**
 * Stores round `round`'s measurement (`null` when it failed) at its index, so round r of every contender is
 * at index r (the report pairs by index); returns the median round by `pick` so far.
 */
export function recordRound<T extends PhaseMeasurement>(
  all: (T | null)[],
  round: number,
  m: T | null,
  pick: (rounds: Rounds<T>) => T | undefined,
): T | undefined {
  all[round] = m;
  return pick(all);
}

/** A figure comparing two contenders: the median over rounds of a per-round comparison. */
export interface Paired {
  value: number;
  /** Rounds that were paired; undefined when the figure compares single (non-round) measurements. */
  rounds?: number;
}

/**
 * The per-round values `f(a[r], b[r])` for every round r where both contenders have a measurement and the
 * value is finite (a round index missing from either side is skipped, never shifted onto another round).
 */
export function pairedValues<T>(
  a: Rounds<T>,
  b: Rounds<T>,
  f: (a: T, b: T) => number,
): (number | undefined)[] {
  const n = Math.max(a.length, b.length);
  const out: (number | undefined)[] = [];
  for (let r = 0; r < n; r++) {
    const x = a[r];
    const y = b[r];
    const v = x && y ? f(x, y) : undefined;
    out.push(v !== undefined && Number.isFinite(v) ? v : undefined);
  }
  return out;
}

/** Median over rounds of `f(a[r], b[r])`, pairing by round index; undefined when no round pairs. */
export function pairedMedian<T>(a: Rounds<T>, b: Rounds<T>, f: (a: T, b: T) => number): Paired | undefined {
  const values = pairedValues(a, b, f).filter((v): v is number => v !== undefined);
  const value = median(values);
  return value === undefined ? undefined : { value, rounds: values.length };
}

/**
 * `f` comparing two contenders: the median over rounds of the per-round values when both have rounds,
 * else (reports written before rounds existed) the value for their single measurements.
 */
export function pairedOrSingle<T>(
  a: { rounds?: Rounds<T>; single?: T },
  b: { rounds?: Rounds<T>; single?: T },
  f: (a: T, b: T) => number,
): Paired | undefined {
  if (a.rounds && b.rounds) return pairedMedian(a.rounds, b.rounds, f);
  const value = a.single && b.single ? f(a.single, b.single) : undefined;
  return value !== undefined && Number.isFinite(value) ? { value } : undefined;
}

/** `a` ÷ `b` throughput (Infinity → skipped by the pairing when `b` served nothing). */
export const throughputRatio = (a: RequestMeasurement, b: RequestMeasurement): number =>
  a.result.throughput / b.result.throughput;

/** p99 latency of `a` minus that of `b`, ms; NaN when either has none (a NaN p99 reads back from JSON as null). */
export function addedP99(a: RequestMeasurement, b: RequestMeasurement): number {
  const x = a.result.latency.p99;
  const y = b.result.latency.p99;
  return Number.isFinite(x) && Number.isFinite(y) ? x - y : Number.NaN;
}

/** TTFC p99 of `a` ÷ that of `b`; NaN when either has none (null from JSON) and Infinity → skipped when `b`'s is 0. */
export function ttfcRatio(a: SseMeasurement, b: SseMeasurement): number {
  const x = a.result.ttfc.p99;
  const y = b.result.ttfc.p99;
  return Number.isFinite(x) && Number.isFinite(y) ? x / y : Number.NaN;
}
