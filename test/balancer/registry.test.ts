import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createStrategy, hasStrategy, strategyNames } from '../../src/balancer/registry.js';
import { seededRandom } from '../../src/core/prng.js';

const deps = { random: seededRandom(1), now: () => 0 };
const CLASSIC = [
  'round-robin',
  'weighted-round-robin',
  'least-connections',
  'ip-hash',
  'random',
  'power-of-two',
];

describe('strategy registry', () => {
  it('registers the six classic strategies', () => {
    for (const name of CLASSIC) {
      assert.ok(hasStrategy(name), name);
      assert.equal(createStrategy(name, {}, deps).name, name);
    }
  });

  it('rejects an unknown name, listing every valid one', () => {
    assert.throws(
      () => createStrategy('nope', {}, deps),
      (err: Error) =>
        err.message.startsWith('unknown strategy "nope"; valid strategies: ') &&
        strategyNames().every((n) => err.message.includes(n)),
    );
  });

  it('passes options through to the strategy', () => {
    assert.throws(() => createStrategy('ip-hash', { virtualNodes: -1 }, deps), /virtualNodes/);
    assert.throws(() => createStrategy('round-robin', { x: 1 }, deps), /takes no options \(got: x\)/);
  });
});
