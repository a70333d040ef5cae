/** Graceful shutdown (S33): stop accepting, let streams finish, end the rest with an error event, exit 0. */
import assert from 'node:assert/strict';
import net from 'node:net';
import { afterEach, describe, test } from 'node:test';
import { startCliServe } from '../support/cli-process.js';
import { type Cluster, chat, startCluster } from '../support/cluster.js';
import { startFakeLlm } from '../support/fake-llm.js';
import { streamChat, waitFor } from '../support/http.js';

function connectRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', () => resolve(true));
  });
}

describe('graceful shutdown', () => {
  let c: Cluster | undefined;
  afterEach(async () => {
    await c?.close();
    c = undefined;
  });

  test('S33: in-flight streams finish with [DONE]; new connections are refused at once', async () => {
    c = await startCluster([{ tokens: 20, intervalMs: 40 }]);
    const port = Number(new URL(c.fulcrum.url).port);
    let finished = 0;
    const streams = Array.from({ length: 20 }, () =>
      streamChat(c!.chatUrl, chat()).finally(() => {
        finished += 1;
      }),
    );
    await waitFor(() => c!.fakes[0]!.requests.length === 20, 3_000, 'all streams started');
    const t0 = performance.now();
    const done = c.fulcrum.shutdown(5_000);
    assert.ok(await connectRefused(port), 'listener closed');
    // "At once": refused while the streams (800 ms of tokens each) are still running, not after the drain.
    // Judged by order rather than by a wall-clock bound, which a loaded machine can stretch.
    assert.equal(finished, 0, `refused only after ${finished} streams had ended`);
    const results = await Promise.all(streams);
    for (const r of results) {
      assert.equal(r.status, 200);
      assert.ok(r.done, 'every stream ended with [DONE]');
      assert.equal(r.events.length, 21);
    }
    await done;
    assert.ok(performance.now() - t0 < 3_000, 'shutdown finished once the streams were done');
  });

  test('S33: streams still running at the deadline end with a terminal error event', async () => {
    c = await startCluster([{ tokens: 1_000, intervalMs: 20 }]);
    const streams = Array.from({ length: 5 }, () => streamChat(c!.chatUrl, chat()));
    await waitFor(() => c!.fakes[0]!.requests.length === 5, 3_000);
    const t0 = performance.now();
    await c.fulcrum.shutdown(400);
    const took = performance.now() - t0;
    assert.ok(took >= 380 && took < 2_000, `shutdown took ${took.toFixed(0)} ms`);
    for (const r of await Promise.all(streams)) {
      assert.equal(r.done, false);
      const last = JSON.parse(r.events.at(-1)!);
      assert.equal(last.error.code, 'shutting_down');
    }
    await waitFor(
      () => c!.fakes[0]!.requests.every((r) => r.abortedAt !== undefined),
      2_000,
      'upstreams cancelled',
    );
  });

  test('S33: `fulcrum serve` drains on SIGTERM and exits 0', async () => {
    const fake = await startFakeLlm('a', { tokens: 30, intervalMs: 30 });
    try {
      const cli = await startCliServe([
        '--backend',
        fake.url,
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        '--admin-port',
        '0',
      ]);
      const stream = streamChat(`${cli.url}/v1/chat/completions`, chat());
      await fake.waitFor(() => fake.requests.length === 1);
      cli.child.kill('SIGTERM');
      const result = await stream;
      assert.ok(result.done, 'the in-flight stream completed');
      const drainedAt = performance.now();
      assert.equal(await cli.exited, 0, cli.output());
      // Regression: a pending grace-period timer kept the process alive for the whole 30 s default.
      const lingered = performance.now() - drainedAt;
      assert.ok(lingered < 5_000, `exited ${lingered.toFixed(0)} ms after the last stream ended`);
    } finally {
      await fake.close();
    }
  });
});
