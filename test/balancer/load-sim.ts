/**
 * A small discrete-event load model for the load-aware strategies' distribution tests. One request arrives
 * per tick; the picked endpoint holds it for an exponentially distributed number of ticks (mean
 * `meanDuration`), so by Little's law about `meanDuration` requests are in flight in total. After every pick
 * we record how loaded the most loaded endpoint is (in-flight / weight), which is what a load balancer is
 * for: keeping that maximum close to the mean.
 */
import type { Strategy } from '../../src/balancer/strategy.js';
import { seededRandom } from '../../src/core/prng.js';
import type { Endpoint } from '../../src/pool/endpoint.js';
import { routeRequest } from '../support/endpoints.js';

export interface LoadSimOptions {
  /** Ticks (= requests) to simulate. */
  requests: number;
  /** Mean request duration in ticks. */
  meanDuration: number;
  /** Seed for the workload (durations), separate from the strategy's own randomness. */
  seed: number;
  /** Ticks ignored at the start while the system fills up. Default 5 × meanDuration. */
  warmup?: number;
}

export interface LoadSimResult {
  /** Time-average of max(inflight / weight) over endpoints, sampled after each pick. */
  meanMaxLoad: number;
  /** Time-average of Σ inflight / Σ weight: the perfectly balanced level. */
  meanLoad: number;
  /** Largest max(inflight / weight) seen. */
  peakLoad: number;
  /** Share of picks per endpoint name. */
  shares: Map<string, number>;
}

/** Runs `strategy` over `all` (all candidates every time, in-flight counts reset to 0 first). */
export function simulateLoad(
  strategy: Strategy,
  all: readonly Endpoint[],
  opts: LoadSimOptions,
): LoadSimResult {
  const rnd = seededRandom(opts.seed);
  const warmup = opts.warmup ?? 5 * opts.meanDuration;
  const horizon = opts.meanDuration * 30;
  // Ring buffer of departures: slot t holds the endpoints whose request ends at tick t (mod horizon).
  const departures: Endpoint[][] = Array.from({ length: horizon }, () => []);
  for (const e of all) e.state.inflight = 0;
  strategy.rebuild?.(all);
  const totalWeight = all.reduce((s, e) => s + e.weight, 0);
  const picks = new Map<string, number>();
  let sumMax = 0;
  let sumMean = 0;
  let peak = 0;
  let inflight = 0;
  const request = routeRequest();
  for (let t = 0; t < opts.requests + warmup; t++) {
    const slot = departures[t % horizon]!;
    for (const e of slot) e.state.inflight--;
    inflight -= slot.length;
    slot.length = 0;

    const chosen = strategy.pick(all, request)!;
    chosen.state.inflight++;
    inflight++;
    const duration = Math.min(horizon - 1, Math.max(1, Math.round(-Math.log(1 - rnd()) * opts.meanDuration)));
    departures[(t + duration) % horizon]!.push(chosen);
    if (t < warmup) continue;

    picks.set(chosen.name, (picks.get(chosen.name) ?? 0) + 1);
    let max = 0;
    for (const e of all) max = Math.max(max, e.state.inflight / e.weight);
    sumMax += max;
    sumMean += inflight / totalWeight;
    peak = Math.max(peak, max);
  }
  for (const e of all) e.state.inflight = 0;
  const shares = new Map([...picks].map(([k, v]) => [k, v / opts.requests]));
  return { meanMaxLoad: sumMax / opts.requests, meanLoad: sumMean / opts.requests, peakLoad: peak, shares };
}
