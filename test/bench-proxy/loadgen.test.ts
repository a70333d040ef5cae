/**
 * The load generator's checks, without sockets: SSE order and completeness verification, and percentiles.
 * These decide whether the bench reports a stream as complete, so each failure mode must be caught.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sseChunk } from '../../src/bench/proxy/backend.js';
import { StreamChecker } from '../../src/bench/proxy/sse-client.js';
import { percentile, distribution as summarize } from '../../src/bench/stats.js';

function parts(...texts: string[]): Buffer[] {
  return texts.map((t) => Buffer.from(t));
}

/** Feeds `pieces` to a checker as the client does: the first failure, or the verdict at the end. */
async function readStream(
  pieces: Buffer[],
  chunks: number,
  onFirst: () => void,
): Promise<string | undefined> {
  const checker = new StreamChecker(chunks, onFirst);
  for (const piece of pieces) {
    const failure = checker.push(piece);
    if (failure !== undefined) return failure;
  }
  return checker.end();
}

const DONE = 'data: [DONE]\n\n';

test('a complete, ordered stream passes even when split mid-event', async () => {
  const whole = sseChunk(0) + sseChunk(1) + sseChunk(2) + DONE;
  let first = 0;
  // Split at awkward places: inside the JSON and between the two newlines.
  const cut = [17, sseChunk(0).length - 1, sseChunk(0).length + 40];
  const pieces = [
    whole.slice(0, cut[0]),
    whole.slice(cut[0], cut[1]),
    whole.slice(cut[1], cut[2]),
    whole.slice(cut[2]),
  ];
  assert.equal(await readStream(parts(...pieces), 3, () => first++), undefined);
  assert.equal(first, 1);
});

test('out-of-order, missing, extra and unterminated streams are failures', async () => {
  assert.match(
    (await readStream(parts(sseChunk(0), sseChunk(2), sseChunk(1), DONE), 3, () => {})) ?? '',
    /chunk 2 arrived when 1/,
  );
  assert.match((await readStream(parts(sseChunk(0), sseChunk(1), DONE), 3, () => {})) ?? '', /got 2\/3/);
  assert.match(
    (await readStream(parts(sseChunk(0), sseChunk(1), sseChunk(2)), 3, () => {})) ?? '',
    /without \[DONE\]/,
  );
  assert.match(
    (await readStream(parts(sseChunk(0), DONE, sseChunk(1)), 1, () => {})) ?? '',
    /after \[DONE\]/,
  );
  assert.match((await readStream(parts('data: {"x":1}\n\n', DONE), 1, () => {})) ?? '', /unparseable/);
});

test('percentiles interpolate linearly over all samples (as the rest of the bench and NumPy do)', () => {
  const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted on purpose
  const s = summarize(samples);
  assert.equal(s.count, 100);
  assert.equal(s.p50, 50.5);
  assert.ok(Math.abs(s.p99 - 99.01) < 1e-9);
  assert.equal(s.max, 100);
  assert.equal(s.mean, 50.5);
  assert.equal(percentile([7], 99), 7);
  assert.ok(Number.isNaN(summarize([]).p99));
});
