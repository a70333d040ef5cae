/**
 * Regression (found by the bench under load): every probe in flight listens on the checker's stop signal,
 * so with more than 10 endpoints probing at once Node printed MaxListenersExceededWarning.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { configSchema } from '../../src/config/schema.js';
import { systemClock } from '../../src/core/clock.js';
import { ActiveHealth } from '../../src/pool/health/active.js';
import { Pool } from '../../src/pool/pool.js';
import { TelemetryBus } from '../../src/telemetry/events.js';

test('15 endpoints with probes in flight at once raise no listener warning', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on('warning', onWarning);
  let pending = 0;
  // /health answers only after 300 ms, so all probes overlap.
  const server = createServer((_req, res) => {
    pending++;
    setTimeout(() => {
      pending--;
      res.writeHead(200).end('{"data":[{"id":"m"}]}');
    }, 300);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const specs = Array.from({ length: 15 }, (_, i) => ({ name: `e${i}`, url, models: ['m'] }));
  const pool = new Pool(specs, systemClock, new TelemetryBus());
  const config = configSchema.parse({ health: { active: { intervalMs: 50, timeoutMs: 1_000 } } }).health;
  const health = new ActiveHealth(pool, config, systemClock, { jitter: 0 });
  try {
    await health.probeOnce();
    health.start();
    const deadline = performance.now() + 2_000;
    while (pending < 15 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(pending >= 11, `probes overlapped (${pending} in flight)`);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(
      warnings.filter((w) => w === 'MaxListenersExceededWarning'),
      [],
    );
  } finally {
    process.off('warning', onWarning);
    await health.stop();
    server.closeAllConnections();
    server.close();
  }
});
