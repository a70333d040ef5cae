/**
 * Repeated, interleaved measurements of the request phases. On a noisy machine the same proxy's
 * throughput moves by tens of percent from one minute to the next, so one contender's run compared with
 * another's made a minute earlier says little. The bench therefore runs the closed and open phases in
 * rounds, every contender once per round, and the report compares contenders *within* each round (paired
 * ratios, which cancel the machine's drift) before taking the median over rounds.
 */
import { percentile } from '../stats.js';
import type { RequestMeasurement } from './measure.js';

/** The order contenders run in round `round`: a rotation starting at index `round` mod k. */
export function roundOrder<T>(contenders: readonly T[], round: number): T[] {
  const k = contenders.length;
  return contenders.map((_, i) => contenders[(round + i) % k]!);
}

/** One contender's measurements of a request phase, indexed by round; `null` for a round that failed. */
export type Rounds = ReadonlyArray<RequestMeasurement | null>;

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
export function pairedValues(
  a: Rounds,
  b: Rounds,
  f: (a: RequestMeasurement, b: RequestMeasurement) => number,
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
export function pairedMedian(
  a: Rounds,
  b: Rounds,
  f: (a: RequestMeasurement, b: RequestMeasurement) => number,
): Paired | undefined {
  const values = pairedValues(a, b, f).filter((v): v is number => v !== undefined);
  const value = median(values);
  return value === undefined ? undefined : { value, rounds: values.length };
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
