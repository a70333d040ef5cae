import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runClosedLoop } from '../../src/bench/load/closed-loop.js';
import { runOpenLoop } from '../../src/bench/load/open-loop.js';
import { arrivalTimes, selectRequests } from '../../src/bench/load/schedule.js';
import type { BenchRequest } from '../../src/bench/workload.js';
import { seededRandom } from '../../src/core/prng.js';
import { waitFor } from '../support/http.js';
import { cpuWaitMs } from '../support/timing.js';

const reqs = (times: number[]): BenchRequest[] =>
  times.map((atMs, index) => ({ index, atMs, messages: [], inputTokens: 1, outputTokens: 1 }));

test('trace arrivals: rate scale divides times; jitter stays within [t, t + jitter)', () => {
  const r = reqs([0, 1000, 1000, 4000]);
  assert.deepEqual(arrivalTimes(r, { kind: 'trace', rateScale: 2 }, seededRandom(1)), [0, 500, 500, 2000]);
  const jittered = arrivalTimes(r, { kind: 'trace', jitterMs: 100 }, seededRandom(1));
  jittered.forEach((t, k) => {
    assert.ok(t >= r[k]!.atMs && t < r[k]!.atMs + 100);
  });
  assert.notEqual(jittered[1], jittered[2]);
  assert.throws(() => arrivalTimes(r, { kind: 'trace', rateScale: 0 }, seededRandom(1)), /rate scale/);
});

test('poisson arrivals: mean gap 1/rate, seeded', () => {
  const r = reqs(new Array(20_000).fill(0));
  const t = arrivalTimes(r, { kind: 'poisson', rate: 5 }, seededRandom(9));
  const meanGap = t.at(-1)! / (t.length - 1);
  assert.ok(Math.abs(meanGap - 200) < 6, `mean gap ${meanGap}`);
  assert.deepEqual(t.slice(0, 5), arrivalTimes(r, { kind: 'poisson', rate: 5 }, seededRandom(9)).slice(0, 5));
});

test('selection: duration counts after the warm-up, request limit, time order', () => {
  const times = [300, 100, 5000, 2000, 2999];
  assert.deepEqual(selectRequests(times, {}), [1, 0, 3, 4, 2]);
  assert.deepEqual(selectRequests(times, { warmupMs: 1000, durationMs: 2000 }), [1, 0, 3, 4]);
  assert.deepEqual(selectRequests(times, { maxRequests: 2 }), [1, 0]);
});

test('open loop sends each request at its time without waiting for earlier ones', async () => {
  const offsets = [0, 0, 40, 80];
  const sent: { slot: number; at: number; lag: number; waited: number }[] = [];
  const releases: (() => void)[] = [];
  const waited0 = cpuWaitMs();
  const start = performance.now();
  const done = runOpenLoop(
    offsets,
    ({ slot, lagMs }) => {
      sent.push({ slot, at: performance.now() - start, lag: lagMs, waited: cpuWaitMs() - waited0 });
      // No send finishes until all have been sent: an open loop must not wait for them.
      return new Promise<void>((resolve) => releases.push(resolve));
    },
    { startWall: start },
  );
  // No send ever completes before the last is sent, so waiting for the fourth cannot hide a loop that waits
  // for earlier sends: it would never get there. (A fixed sleep here fails when a loaded machine runs the
  // slot timers late.)
  await waitFor(() => sent.length === offsets.length, 5_000, 'all four sends');
  assert.deepEqual(
    sent.map((s) => s.slot),
    [0, 1, 2, 3],
  );
  sent.forEach((s, k) => {
    assert.ok(s.at >= offsets[k]! - 1.5, `slot ${k} sent early at ${s.at}`);
    // The lag is the lateness against the slot's own offset (a lag measured from the start or from the
    // previous slot would be off by 40 ms). One tick computes it once for all the slots it sends, so time
    // this thread spent waiting for a CPU (seen: 14 ms between two sends of one tick) is allowed on top.
    assert.ok(
      s.lag >= 0 && Math.abs(s.at - offsets[k]! - s.lag) < 2 + s.waited,
      `slot ${k} lag ${s.lag} vs ${s.at} (${s.waited.toFixed(1)} ms waiting for a CPU)`,
    );
  });
  for (const release of releases) release();
  await done;
});

test('open loop stops sending on abort', async () => {
  const controller = new AbortController();
  const sent: number[] = [];
  const done = runOpenLoop(
    [0, 200],
    async ({ slot }) => {
      sent.push(slot);
    },
    { signal: controller.signal },
  );
  await new Promise((r) => setImmediate(r));
  controller.abort();
  await done;
  assert.deepEqual(sent, [0]);
});

test('open loop with an already-aborted signal sends nothing and returns', async () => {
  const sent: number[] = [];
  await runOpenLoop(
    [0, 1],
    async ({ slot }) => {
      sent.push(slot);
    },
    { signal: AbortSignal.abort() },
  );
  assert.deepEqual(sent, []);
});

test('closed loop keeps exactly N requests in flight', async () => {
  let inflight = 0;
  let peak = 0;
  let count = 0;
  await runClosedLoop(50, 4, async () => {
    inflight++;
    count++;
    peak = Math.max(peak, inflight);
    await new Promise((r) => setImmediate(r));
    inflight--;
  });
  assert.equal(count, 50);
  assert.equal(peak, 4);
});
