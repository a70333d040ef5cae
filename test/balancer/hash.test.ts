import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { murmur3 } from '../../src/balancer/strategies/support/hash.js';

describe('murmur3 (x86, 32-bit, UTF-8)', () => {
  it('matches published test vectors', () => {
    // From the SMHasher-derived vectors (stackoverflow.com/questions/14747343) and the boost.hash2 and
    // mmh3 test suites; the last two are multi-byte UTF-8.
    const vectors: [string, number, number][] = [
      ['', 0, 0],
      ['', 1, 0x514e28b7],
      ['', 42, 0x087fcd5c],
      ['R', 0, 0x79b365c1],
      ['hello', 0, 0x248bfa47],
      ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
      ['Turn me into a hash', 1234, 4138100590],
      ['Life, the Universe, and Everything.', 42, 458076548],
      ['ππππππππ', 0x9747b28c, 0xd58063c1],
    ];
    for (const [key, seed, want] of vectors) assert.equal(murmur3(key, seed), want, JSON.stringify(key));
  });

  it('hashes non-ASCII as UTF-8 and long keys past the initial buffer', () => {
    // 'é' is C3 A9 in UTF-8: different from Latin-1 E9 or UTF-16 E9 00.
    assert.notEqual(murmur3('é'), murmur3('\u00e9\u0000'));
    const long = 'x'.repeat(10_000);
    assert.equal(murmur3(long), murmur3(long));
    assert.notEqual(murmur3(long), murmur3(`${long}y`));
  });
});
