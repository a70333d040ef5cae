import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { weightedRoundRobin } from '../../src/balancer/strategies/weighted-round-robin.js';
import type { Strategy } from '../../src/balancer/strategy.js';
import { seededRandom } from '../../src/core/prng.js';
import type { Endpoint } from '../../src/pool/endpoint.js';
import { endpoints, routeRequest } from '../support/endpoints.js';

function make(): Strategy {
  return weightedRoundRobin.create({}, { random: seededRandom(1), now: () => 0 });
}

function sequence(s: Strategy, candidates: readonly Endpoint[], n: number): string {
  return Array.from({ length: n }, () => s.pick(candidates, routeRequest())!.name).join('');
}

function longestRun(seq: string, ch: string): number {
  let best = 0;
  let run = 0;
  for (const c of seq) {
    run = c === ch ? run + 1 : 0;
    best = Math.max(best, run);
  }
  return best;
}

describe('weighted-round-robin', () => {
  it('produces NGINX smooth sequence a a b a c a a for weights 5, 1, 1', () => {
    const s = make();
    const all = endpoints(3, { weights: [5, 1, 1] });
    // After each 7-pick cycle every score is back to 0, so the sequence repeats exactly.
    assert.equal(sequence(s, all, 21), 'aabacaa'.repeat(3));
  });

  it('interleaves: weights 3, 2 give a b a b a', () => {
    assert.equal(sequence(make(), endpoints(2, { weights: [3, 2] }), 5), 'ababa');
  });

  it('gives shares proportional to weight over 100k picks, never in bursts', () => {
    // Expected: over every Σw = 7 picks exactly 5 a, 1 b, 1 c, so the counts are n × w / 7 up to one cycle.
    const s = make();
    const all = endpoints(3, { weights: [5, 1, 1] });
    const seq = sequence(s, all, 100_000);
    for (const [name, w] of [
      ['a', 5],
      ['b', 1],
      ['c', 1],
    ] as const) {
      const count = seq.split(name).length - 1;
      assert.ok(Math.abs(count - (100_000 * w) / 7) <= 7, `${name}: ${count}`);
    }
    // The smooth pattern holds for the whole run, not just the start.
    assert.equal(seq, 'aabacaa'.repeat(Math.ceil(100_000 / 7)).slice(0, 100_000));
    // Longest burst: the a a ending one cycle meets the a a starting the next. Plain (non-smooth) WRR
    // would send a a a a a b c, runs of 5 and more as weights grow.
    assert.equal(longestRun(seq, 'a'), 4);
  });

  it('excluded candidates take no part, and rejoin without a catch-up burst', () => {
    const s = make();
    const all = endpoints(3, { weights: [5, 1, 1] });
    // c excluded: a and b share 5:1 exactly over 100 cycles of 6.
    const without = sequence(s, [all[0]!, all[1]!], 600);
    assert.equal(without.split('a').length - 1, 500);
    assert.equal(without.split('b').length - 1, 100);
    // c back: it gets its 1/7, one pick at a time.
    const back = sequence(s, all, 7000);
    assert.equal(back.split('c').length - 1, 1000);
    assert.equal(longestRun(back, 'c'), 1);
  });

  it('keeps state by endpoint name across Endpoint objects (weight-change snapshots)', () => {
    const s = make();
    const all = endpoints(3, { weights: [5, 1, 1] });
    const head = sequence(s, all, 3);
    // The pool replaces Endpoint objects on changes; same names, same weights → the sequence continues.
    const replaced = all.map((e) => e.withWeight(e.weight));
    s.rebuild?.(replaced);
    assert.equal(head + sequence(s, replaced, 11), 'aabacaa'.repeat(2));
  });

  it('rebuild drops the state of removed endpoints', () => {
    const s = make();
    const all = endpoints(3, { weights: [5, 1, 1] });
    assert.equal(sequence(s, all, 3), 'aab'); // scores now a=1, b=-4, c=3
    s.rebuild?.([all[0]!, all[1]!]);
    s.rebuild?.(all);
    // c restarts from 0: a=6,b=-3,c=1 → a; then a=4,b=-2,c=2 → a. Had c kept its 3, the 5th pick would be c.
    assert.equal(sequence(s, all, 2), 'aa');
  });
});
