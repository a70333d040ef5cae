import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { powerOfTwo } from '../../src/balancer/strategies/power-of-two.js';
import { random } from '../../src/balancer/strategies/random.js';
import { seededRandom } from '../../src/core/prng.js';
import { endpoints } from '../support/endpoints.js';
import { simulateLoad } from './load-sim.js';
import { assertShares, pickShares } from './shares.js';

const deps = (seed = 1) => ({ random: seededRandom(seed), now: () => 0 });
const uniform = (seed = 1) => powerOfTwo.create({ weightedSampling: false }, deps(seed));
const weighted = (seed = 1) => powerOfTwo.create({}, deps(seed));
const TOL = 0.01; // > 6σ for 100k picks (σ ≤ 0.0016)

describe('power-of-two', () => {
  it('keeps the less loaded of two distinct random candidates', () => {
    // inflight 0, 1, 2; the 3 unordered pairs are equally likely. a wins {a,b} and {a,c}, b wins {b,c}, c
    // never wins: 2/3, 1/3, 0. (Sampling with replacement would let c win c-c draws: 1/9.)
    const all = endpoints(3, { inflight: [0, 1, 2] });
    assertShares(pickShares(uniform(), all, 100_000), { a: 2 / 3, b: 1 / 3, c: 0 }, TOL);
    assertShares(pickShares(weighted(2), all, 100_000), { a: 2 / 3, b: 1 / 3, c: 0 }, TOL);
  });

  it('never picks the busier of two candidates (the two draws are distinct)', () => {
    const all = endpoints(2, { inflight: [0, 1] });
    assertShares(pickShares(uniform(), all, 100_000), { a: 1, b: 0 }, 0);
    assertShares(pickShares(weighted(), all, 100_000), { a: 1, b: 0 }, 0);
  });

  it('with weighted sampling (default), idle shares follow weights', () => {
    // Idle → every comparison ties → the first draw wins, drawn with probability w / Σw: 2/4, 1/4, 1/4.
    const all = endpoints(3, { weights: [2, 1, 1] });
    assertShares(pickShares(weighted(3), all, 100_000), { a: 0.5, b: 0.25, c: 0.25 }, TOL);
  });

  it('with uniform sampling, idle shares are uniform: weights act only through load', () => {
    const all = endpoints(3, { weights: [2, 1, 1] });
    assertShares(pickShares(uniform(4), all, 100_000), { a: 1 / 3, b: 1 / 3, c: 1 / 3 }, TOL);
  });

  it('compares in-flight relative to weight', () => {
    // a: 3/4 < b: 1/1, so a wins every a-b pair: a always.
    const all = endpoints(2, { weights: [4, 1], inflight: [3, 1] });
    assertShares(pickShares(uniform(), all, 100_000), { a: 1, b: 0 }, 0);
  });

  it('cuts the maximum load far below random placement under simulated load', (t) => {
    // 10 equal endpoints, ~5 requests each on average. Random placement's busiest endpoint runs several
    // requests above the mean; two choices bring that excess down by well over half (the classic result is
    // an exponential improvement: log log n vs log n / log log n).
    const sim = { requests: 100_000, meanDuration: 50, seed: 21 };
    const p2 = simulateLoad(uniform(), endpoints(10), sim);
    const rnd = simulateLoad(random.create({}, deps()), endpoints(10), sim);
    t.diagnostic(
      `mean load ${p2.meanLoad.toFixed(2)}; mean max: power-of-two ${p2.meanMaxLoad.toFixed(2)} ` +
        `(peak ${p2.peakLoad}), random ${rnd.meanMaxLoad.toFixed(2)} (peak ${rnd.peakLoad})`,
    );
    assert.ok(p2.meanMaxLoad - p2.meanLoad < (rnd.meanMaxLoad - rnd.meanLoad) / 2);
    assert.ok(p2.peakLoad < rnd.peakLoad);
  });

  it('shares traffic in proportion to weight under load', () => {
    // Weights 2, 1, 1 → 1/2, 1/4, 1/4 of picks once load builds up (both sampling modes).
    for (const make of [weighted, uniform]) {
      const r = simulateLoad(make(5), endpoints(3, { weights: [2, 1, 1] }), {
        requests: 100_000,
        meanDuration: 50,
        seed: 22,
      });
      assertShares(r.shares, { a: 0.5, b: 0.25, c: 0.25 }, 0.02);
    }
  });

  it('validates weightedSampling', () => {
    assert.throws(
      () => powerOfTwo.create({ weightedSampling: 'yes' }, deps()),
      /strategy "power-of-two": option "weightedSampling" must be true or false \(got "yes"\)/,
    );
  });
});
