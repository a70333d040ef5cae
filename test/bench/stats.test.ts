import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RequestRecord, RunResult } from '../../src/bench/record.js';
import { distribution, meetsSlo, percentile, summarise } from '../../src/bench/stats.js';
import { timeseries } from '../../src/bench/timeseries.js';

function rec(p: Partial<RequestRecord> & { index: number }): RequestRecord {
  return {
    atMs: p.index * 100,
    sentMs: p.index * 100,
    warmup: false,
    itlMs: [],
    e2eMs: 1000,
    inputTokens: 100,
    outputTokensRequested: 10,
    lagWallMs: 0,
    ...p,
  };
}

function run(records: RequestRecord[], endpoints: string[] = []): RunResult {
  return {
    name: 'x',
    target: 'http://x',
    workload: 'w',
    api: 'chat',
    load: { mode: 'trace', timeScale: 1, warmupS: 0 },
    slo: { ttftMs: 500, itlMs: 50 },
    endpoints,
    startedAt: '',
    wallS: 1,
    records,
    interrupted: false,
  };
}

test('percentiles interpolate linearly (NumPy default)', () => {
  const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.equal(percentile(xs, 50), 5.5);
  assert.equal(percentile(xs, 90), 9.1);
  assert.ok(Math.abs(percentile(xs, 99) - 9.91) < 1e-12);
  assert.equal(percentile([7], 99), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
  const d = distribution([10, 0, 5]);
  assert.deepEqual([d.count, d.mean, d.p50, d.max], [3, 5, 5, 10]);
});

test('summary: throughput window, goodput, cache hit rate, shares, imbalance, errors, warm-up excluded', () => {
  const records = [
    rec({ index: 0, warmup: true, ttftMs: 9999, endpoint: 'a', promptTokens: 1000, completionTokens: 10 }),
    // Good: TTFT 100, mean ITL 20.
    rec({
      index: 1,
      ttftMs: 100,
      tpotMs: 20,
      itlMs: [20, 20],
      e2eMs: 140,
      endpoint: 'a',
      promptTokens: 100,
      completionTokens: 3,
      cachedTokens: 50,
    }),
    // Too slow to first token.
    rec({
      index: 2,
      ttftMs: 600,
      tpotMs: 10,
      itlMs: [10],
      e2eMs: 610,
      endpoint: 'a',
      promptTokens: 100,
      completionTokens: 2,
      cachedTokens: 0,
    }),
    // ITL too slow.
    rec({
      index: 3,
      ttftMs: 100,
      tpotMs: 80,
      itlMs: [80],
      e2eMs: 180,
      endpoint: 'b',
      promptTokens: 200,
      completionTokens: 2,
      cachedTokens: 150,
    }),
    rec({ index: 4, e2eMs: 5, error: { kind: 'http_503', message: '' } }),
  ];
  const s = summarise(run(records, ['a', 'b', 'c']));
  assert.deepEqual(s.requests, { sent: 5, measured: 4, ok: 3, failed: 1, warmup: 1 });
  // Window: first measured send (100 ms) to last completion (200 + 610 = 810 ms).
  assert.ok(Math.abs(s.windowS - 0.71) < 1e-9, String(s.windowS));
  assert.ok(Math.abs(s.throughput.requestsPerS - 3 / 0.71) < 1e-9);
  assert.ok(Math.abs(s.throughput.outputTokensPerS - 7 / 0.71) < 1e-9);
  assert.equal(s.goodput.fraction, 1 / 4);
  assert.equal(s.tokens.cacheHitRate, 200 / 400);
  assert.equal(s.ttftMs.count, 3);
  assert.equal(s.ttftMs.p50, 100);
  assert.equal(s.itlMs.count, 4);
  assert.deepEqual(s.errors, { http_503: 1 });
  assert.deepEqual(
    s.endpoints.map((e) => [e.name, e.requests]),
    [
      ['a', 2],
      ['b', 1],
      ['c', 0],
    ],
  );
  // Requests: max 2 / mean 1 = 2.
  assert.equal(s.imbalance.requests, 2);
  // Tokens: a 205, b 202, c 0 → max / mean = 205 / 135.67.
  assert.ok(Math.abs(s.imbalance.tokens - 205 / (407 / 3)) < 1e-9);
  assert.equal(s.tokens.shortOutputs, 3);
});

test('SLO: failures never count as good, e2e bound optional', () => {
  assert.equal(meetsSlo(rec({ index: 0, ttftMs: 10, tpotMs: 1 }), {}), true);
  assert.equal(meetsSlo(rec({ index: 0, ttftMs: 2001 }), {}), false);
  assert.equal(meetsSlo(rec({ index: 0, ttftMs: 10, tpotMs: 101 }), {}), false);
  assert.equal(meetsSlo(rec({ index: 0, ttftMs: 10, e2eMs: 900 }), { e2eMs: 800 }), false);
  assert.equal(meetsSlo(rec({ index: 0, ttftMs: 10, error: { kind: 'x', message: '' } }), {}), false);
});

test('time series: completions per bucket and in-flight overlap per endpoint', () => {
  // Two requests on "a": [0, 1000) and [500, 1000); buckets of 100 ms over 1000 ms.
  const records = [
    rec({ index: 0, sentMs: 0, e2eMs: 1000, endpoint: 'a', completionTokens: 10 }),
    rec({ index: 1, sentMs: 500, e2eMs: 500, endpoint: 'a', completionTokens: 10 }),
  ];
  const s = timeseries(run(records, ['a', 'b']), 10);
  assert.ok(Math.abs(s.bucketS - 0.1) < 1e-12);
  assert.deepEqual(s.inflight.b, new Array(10).fill(0));
  assert.deepEqual(
    s.inflight.a!.map((v) => Math.round(v * 100) / 100),
    [1, 1, 1, 1, 1, 2, 2, 2, 2, 2],
  );
  assert.equal(s.requestsPerS.reduce((x, y) => x + y, 0) * 0.1, 2);
  assert.equal(s.requestsPerS[9], 20);
});
