/**
 * S24 (unit) — the nesting-depth guard that keeps hostile bodies away from JSON.parse. It skips strings with
 * `indexOf`, so escapes must be handled exactly: a bracket inside a string never counts, an escaped quote
 * never ends one. Checked against a byte-by-byte reference on seeded random JSON-ish inputs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { randomInt, seededRandom } from '../../src/core/prng.js';
import { exceedsDepth } from '../../src/server/parse-request.js';
import { mark, ownMs } from '../support/timing.js';

/** The straightforward scanner: one byte at a time, a backslash skips the next byte inside strings. */
function reference(body: Buffer, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

const check = (text: string, max: number) => exceedsDepth(Buffer.from(text), max);

describe('exceedsDepth', () => {
  test('depth limit is inclusive', () => {
    assert.equal(check(`${'['.repeat(4)}${']'.repeat(4)}`, 4), false);
    assert.equal(check(`${'['.repeat(5)}${']'.repeat(5)}`, 4), true);
    assert.equal(check('{"a":{"b":[1,{"c":[]}]}}', 5), false);
    assert.equal(check('{"a":{"b":[1,{"c":[[]]}]}}', 5), true);
  });

  test('brackets inside strings do not count', () => {
    assert.equal(check(`{"a":"${'['.repeat(100)}"}`, 2), false);
    assert.equal(check(`{"a":"\\"${'{'.repeat(100)}"}`, 2), false, 'after an escaped quote');
  });

  test('escaped quotes and runs of backslashes', () => {
    // "\\" ends the string, so the brackets after it count.
    assert.equal(check('{"a":"\\\\",[[[[[]]]]]}', 3), true);
    // "\\\"[[[[[" is still inside the string.
    assert.equal(check('{"a":"\\\\\\"[[[[[["}', 3), false);
    assert.equal(check('{"a":"x\\\\\\\\"}', 1), false);
  });

  test('an unterminated string stops the scan (JSON.parse will reject the body)', () => {
    assert.equal(check(`{"a":"${'['.repeat(200)}`, 4), false);
  });

  test('a 10k-deep body is caught, a 10 MB string is cheap', () => {
    assert.equal(check(`{"m":${'['.repeat(10_000)}${']'.repeat(10_000)}}`, 128), true);
    const huge = Buffer.from(JSON.stringify({ model: 'm', messages: 'x'.repeat(10 * 1024 * 1024) }));
    // The byte-by-byte reference takes ~15 ms here; the string skip ~1 ms. Best of three, each without the
    // time this thread waited for a CPU: contention and a GC pause only add time, a slow scan is slow every time.
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = mark();
      assert.equal(exceedsDepth(huge, 128), false);
      times.push(ownMs(t0, mark()));
    }
    const ms = Math.min(...times);
    assert.ok(ms < 10, `${ms.toFixed(1)} ms for 10 MB (${times.map((x) => x.toFixed(1)).join(', ')})`);
  });

  test('agrees with the byte-by-byte reference on 20,000 random inputs', () => {
    const random = seededRandom(2024);
    const alphabet = ['[', ']', '{', '}', '"', '\\', 'a', ',', ':', ' ', '\\"', '\\\\'];
    for (let n = 0; n < 20_000; n++) {
      const length = 1 + randomInt(random, 40);
      let text = '';
      for (let i = 0; i < length; i++) text += alphabet[randomInt(random, alphabet.length)];
      const max = 1 + randomInt(random, 4);
      const body = Buffer.from(text);
      assert.equal(exceedsDepth(body, max), reference(body, max), `${JSON.stringify(text)} max ${max}`);
    }
  });
});
