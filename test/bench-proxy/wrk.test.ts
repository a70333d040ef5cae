/**
 * The wrk client against a real backend on port 0: its result is parsed into the bench's shape, and
 * non-200 answers count as errors, not throughput. Skipped loudly without wrk, except under CI.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type Backends, startBackends } from '../../src/bench/proxy/backend.js';
import { findWrk, runWrk } from '../../src/bench/proxy/wrk.js';

const available = findWrk() !== undefined;
if (!available) {
  const message = 'wrk is not installed: the wrk client test is SKIPPED (apt-get install wrk)';
  if (process.env.CI) throw new Error(message);
  console.error(`\n!!! ${message} !!!\n`);
}

describe('runWrk', { skip: !available }, () => {
  let backends: Backends;
  let failing: Server;
  before(async () => {
    backends = await startBackends({ count: 1 });
    failing = createServer((_req, res) => res.writeHead(500).end());
    await new Promise<void>((r) => failing.listen(0, '127.0.0.1', r));
  });
  after(async () => {
    await backends.close();
    failing.close();
  });

  test('measures throughput and latency against a backend', async () => {
    let started = false;
    const r = await runWrk({
      url: backends.urls[0]!,
      connections: 4,
      durationSec: 1,
      onStart: () => (started = true),
    });
    assert.ok(started);
    assert.equal(r.errors, 0, r.firstError);
    assert.ok(r.requests > 0 && r.throughput > 0);
    assert.ok(r.elapsedMs >= 900, `elapsed ${r.elapsedMs}`);
    assert.ok(r.latency.p50 > 0 && r.latency.p99 >= r.latency.p50 && r.latency.max >= r.latency.p99);
  });

  test('counts error statuses as errors, not requests', async () => {
    const url = `http://127.0.0.1:${(failing.address() as AddressInfo).port}`;
    const r = await runWrk({ url, connections: 2, durationSec: 1 });
    assert.equal(r.requests, 0);
    assert.ok(r.errors > 0);
    assert.match(r.firstError ?? '', /status/);
  });
});
