// The timing helpers themselves: a helper that swallowed failures would make every test using it blind.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { assertNotSlow, calmestOf, cpuWaitMs, mark, ownMs, stallMonitor, TooSlow } from './timing.js';

test('calmestOf retries only TooSlow, at most `tries` times, and fails when every try is slow', async () => {
  let calls = 0;
  const notes: string[] = [];
  await assert.rejects(
    calmestOf(
      3,
      () => {
        calls++;
        assertNotSlow(false, `slow ${calls}`);
      },
      (line) => notes.push(line),
    ),
    (err: Error) => err instanceof TooSlow && /all 3 tries/.test(err.message) && /slow 3/.test(err.message),
  );
  assert.equal(calls, 3);
  assert.equal(notes.length, 3);

  calls = 0;
  await assert.rejects(
    calmestOf(3, () => {
      calls++;
      assert.fail('wrong');
    }),
    /wrong/,
  );
  assert.equal(calls, 1, 'any other failure is final');

  calls = 0;
  const value = await calmestOf(3, (i) => {
    calls++;
    assertNotSlow(i >= 2, 'first try slow');
    return i * 10;
  });
  assert.deepEqual([value, calls], [20, 2]);
});

test('ownMs is wall time minus CPU wait, never more than wall time', () => {
  assert.equal(ownMs({ wallMs: 100, cpuWaitMs: 5 }, { wallMs: 160, cpuWaitMs: 25 }), 40);
  assert.equal(ownMs({ wallMs: 100, cpuWaitMs: 0 }, { wallMs: 110, cpuWaitMs: 50 }), 0);
  const wait0 = cpuWaitMs();
  assert.ok(wait0 >= 0 && cpuWaitMs() >= wait0, 'monotonic');
  const a = mark();
  const t0 = performance.now();
  while (performance.now() - t0 < 30); // 30 ms of work
  const own = ownMs(a, mark());
  assert.ok(own <= performance.now() - a.wallMs, `${own} ms`);
});

/** Milliseconds this thread has run on a CPU (schedstat's first field), or undefined. */
function onCpuMs(): number | undefined {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]) / 1e6;
  } catch {
    return undefined;
  }
}

test('stallMonitor sees a blocked event loop, and does not take our own work out of it', async () => {
  const monitor = stallMonitor(5);
  await new Promise((r) => setTimeout(r, 20));
  const cpu0 = onCpuMs();
  const t0 = performance.now();
  while (performance.now() - t0 < 80); // block the loop for 80 ms
  const cpu1 = onCpuMs();
  await new Promise((r) => setTimeout(r, 20));
  const { maxMs, maxOwnMs } = monitor.stop();
  assert.ok(maxMs >= 75, `wall ${maxMs}`);
  assert.ok(maxOwnMs <= maxMs);
  // Only time spent waiting for a CPU is taken out: the stall keeps at least the time we ran.
  if (cpu0 !== undefined && cpu1 !== undefined) {
    assert.ok(maxOwnMs >= cpu1 - cpu0 - 10, `own ${maxOwnMs} ms, ran ${cpu1 - cpu0} ms, wall ${maxMs} ms`);
  }
});
