/**
 * Arrival schedules. Workload times are *virtual* ms (engine time). Two knobs change them:
 * - `rateScale` multiplies the offered rate (divides every arrival time), in virtual time;
 * - `timeScale` compresses virtual time into wall time, and must equal the simulator's `timeScale` so
 *   that the engine and the arrivals run at the same speed (see docs/bench.md, "Time scale").
 * Trace timestamps are often bucketed (Mooncake's are whole ms, many requests share one); `jitterMs` spreads
 * each arrival uniformly over [t, t + jitterMs) so that a bucket does not arrive as one burst.
 */
import type { Random } from '../../core/prng.js';
import type { BenchRequest } from '../workload.js';
import { exponential } from '../workloads/sampling.js';

/** How arrival times are chosen. */
export type ArrivalMode =
  /** The workload's own times (trace timestamps or the generator's schedule). */
  | { kind: 'trace'; rateScale?: number; jitterMs?: number }
  /** Poisson arrivals at `rate` virtual req/s, keeping the workload's order. */
  | { kind: 'poisson'; rate: number };

/** Virtual arrival times (ms) for `requests` under `mode`, in request order. */
export function arrivalTimes(requests: readonly BenchRequest[], mode: ArrivalMode, random: Random): number[] {
  if (mode.kind === 'poisson') {
    if (!(mode.rate > 0)) throw new Error('poisson arrivals need a rate > 0');
    let t = 0;
    return requests.map((_, k) => {
      if (k > 0) t += exponential(random, 1000 / mode.rate);
      return t;
    });
  }
  const scale = mode.rateScale ?? 1;
  if (!(scale > 0)) throw new Error('rate scale must be > 0');
  const jitter = mode.jitterMs ?? 0;
  // Jitter may reorder neighbours; `selectRequests` orders the sends by time.
  return requests.map((r) => (r.atMs + (jitter > 0 ? random() * jitter : 0)) / scale);
}

/**
 * Which requests take part: those arriving before `warmupMs + durationMs` (virtual), at most `maxRequests`.
 * Returns indices into `requests` sorted by arrival time.
 */
export function selectRequests(
  times: readonly number[],
  limits: { durationMs?: number; warmupMs?: number; maxRequests?: number },
): number[] {
  const order = times.map((_, k) => k).sort((a, b) => times[a]! - times[b]! || a - b);
  const end = limits.durationMs === undefined ? Infinity : (limits.warmupMs ?? 0) + limits.durationMs;
  const kept = order.filter((k) => times[k]! < end);
  return limits.maxRequests === undefined ? kept : kept.slice(0, limits.maxRequests);
}
