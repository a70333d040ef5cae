import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { roundRobin } from '../../src/balancer/strategies/round-robin.js';
import { seededRandom } from '../../src/core/prng.js';
import { endpoints, routeRequest } from '../support/endpoints.js';

const deps = { random: seededRandom(1), now: () => 0 };

describe('round-robin', () => {
  it('cycles through the candidates in pool order', () => {
    const s = roundRobin.create({}, deps);
    const all = endpoints(3);
    const seq = Array.from({ length: 7 }, () => s.pick(all, routeRequest())!.name).join('');
    assert.equal(seq, 'abcabca');
  });

  it('gives equal shares over 100k picks, whatever the weights', () => {
    // Expected: each of 3 endpoints exactly 1/3 of picks (±1 for the incomplete last cycle); weights ignored.
    const s = roundRobin.create({}, deps);
    const all = endpoints(3, { weights: [5, 1, 1] });
    const counts = new Map<string, number>();
    for (let i = 0; i < 100_000; i++) {
      const name = s.pick(all, routeRequest())!.name;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    for (const e of all)
      assert.ok(Math.abs(counts.get(e.name)! - 100_000 / 3) <= 1, `${e.name}: ${counts.get(e.name)}`);
  });

  it('continues over the remaining candidates when some are excluded', () => {
    const s = roundRobin.create({}, deps);
    const [a, , c] = endpoints(3);
    const seq = Array.from({ length: 4 }, () => s.pick([a!, c!], routeRequest())!.name).join('');
    assert.equal(seq, 'acac');
  });
});
