import { describe, it } from 'node:test';
import { random } from '../../src/balancer/strategies/random.js';
import { seededRandom } from '../../src/core/prng.js';
import { endpoints } from '../support/endpoints.js';
import { assertShares, pickShares } from './shares.js';

const make = (seed = 1) => random.create({}, { random: seededRandom(seed), now: () => 0 });
// Tolerance: with 100k picks a share p has standard deviation √(p(1-p)/n) ≤ 0.0016; ±0.01 is > 6σ, yet
// an unweighted pick (1/3 instead of 5/7) or an off-by-one in the interval walk is caught.
const TOL = 0.01;

describe('random', () => {
  it('is uniform with equal weights', () => {
    // Expected: 1/4 each.
    assertShares(pickShares(make(), endpoints(4), 100_000), { a: 0.25, b: 0.25, c: 0.25, d: 0.25 }, TOL);
  });

  it('applies weights: 5, 1, 1 → 5/7, 1/7, 1/7', () => {
    const all = endpoints(3, { weights: [5, 1, 1] });
    assertShares(pickShares(make(2), all, 100_000), { a: 5 / 7, b: 1 / 7, c: 1 / 7 }, TOL);
  });

  it('redistributes an excluded endpoint share in proportion to weight', () => {
    // b (weight 1) excluded: a and c share 5:1 → 5/6, 1/6.
    const [a, , c] = endpoints(3, { weights: [5, 1, 1] });
    assertShares(pickShares(make(3), [a!, c!], 100_000), { a: 5 / 6, b: 0, c: 1 / 6 }, TOL);
  });

  it('ignores load', () => {
    // Busy or idle, shares follow weights only: 1/2 each.
    const all = endpoints(2, { inflight: [100, 0] });
    assertShares(pickShares(make(4), all, 100_000), { a: 0.5, b: 0.5 }, TOL);
  });
});
