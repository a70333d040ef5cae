import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { leastConnections } from '../../src/balancer/strategies/least-connections.js';
import { powerOfTwo } from '../../src/balancer/strategies/power-of-two.js';
import { random } from '../../src/balancer/strategies/random.js';
import { seededRandom } from '../../src/core/prng.js';
import { endpoints } from '../support/endpoints.js';
import { simulateLoad } from './load-sim.js';
import { assertShares, pickShares } from './shares.js';

const deps = (seed = 1) => ({ random: seededRandom(seed), now: () => 0 });
const make = (seed = 1) => leastConnections.create({}, deps(seed));
const TOL = 0.01; // > 6σ for 100k picks (σ ≤ 0.0016)

describe('least-connections', () => {
  it('always picks the endpoint with the fewest in-flight requests', () => {
    // Expected: b (inflight 1) every time.
    const all = endpoints(3, { inflight: [3, 1, 2] });
    assertShares(pickShares(make(), all, 100_000), { a: 0, b: 1, c: 0 }, 0);
  });

  it('compares in-flight relative to weight', () => {
    // a: 3/4 = 0.75 < b: 1/1 → always a, although a has more requests in flight.
    const all = endpoints(2, { weights: [4, 1], inflight: [3, 1] });
    assertShares(pickShares(make(), all, 100_000), { a: 1, b: 0 }, 0);
  });

  it('breaks ties uniformly at random', () => {
    // All idle: 1/3 each (a first-wins tie-break would give a everything).
    assertShares(pickShares(make(2), endpoints(3), 100_000), { a: 1 / 3, b: 1 / 3, c: 1 / 3 }, TOL);
    // Ties only among the least loaded: a and c (2/2 = 1/1) share; b (3/1) gets nothing.
    const mixed = endpoints(3, { weights: [2, 1, 1], inflight: [2, 3, 1] });
    assertShares(pickShares(make(3), mixed, 100_000), { a: 0.5, b: 0, c: 0.5 }, TOL);
  });

  it('keeps the busiest endpoint close to the mean under simulated load, better than power-of-two and random', (t) => {
    // 10 equal endpoints, ~50 requests in flight in total (5 each on average), exponential durations.
    // Least-connections sees every in-flight count, so the busiest endpoint should sit within ~1 request of
    // the mean; random placement is a balls-into-bins process whose maximum sits several requests above.
    const sim = { requests: 100_000, meanDuration: 50, seed: 11 };
    const lc = simulateLoad(make(), endpoints(10), sim);
    const p2 = simulateLoad(powerOfTwo.create({}, deps()), endpoints(10), sim);
    const rnd = simulateLoad(random.create({}, deps()), endpoints(10), sim);
    const excess = (r: typeof lc) => r.meanMaxLoad - r.meanLoad;
    t.diagnostic(
      `mean load ${lc.meanLoad.toFixed(2)}; mean max (peak): least-connections ${lc.meanMaxLoad.toFixed(2)} ` +
        `(${lc.peakLoad}), power-of-two ${p2.meanMaxLoad.toFixed(2)} (${p2.peakLoad}), ` +
        `random ${rnd.meanMaxLoad.toFixed(2)} (${rnd.peakLoad})`,
    );
    assert.ok(excess(lc) < 1, `least-connections excess ${excess(lc)}`);
    assert.ok(excess(lc) < excess(p2), 'least-connections should beat power-of-two with full information');
    assert.ok(excess(lc) < excess(rnd) / 3, 'least-connections should beat random by far');
  });

  it('shares traffic in proportion to weight under load', () => {
    // Weights 2, 1, 1: balancing inflight / weight makes a hold ~2× the requests of b or c, hence ~2× the
    // picks (equal mean durations): 1/2, 1/4, 1/4. Rounding at ~12 requests per unit weight costs ~1 %.
    const r = simulateLoad(make(), endpoints(3, { weights: [2, 1, 1] }), {
      requests: 100_000,
      meanDuration: 50,
      seed: 12,
    });
    assertShares(r.shares, { a: 0.5, b: 0.25, c: 0.25 }, 0.02);
  });
});
