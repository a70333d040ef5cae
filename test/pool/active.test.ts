/**
 * Active health probes against real `node:http` servers on port 0: fall/rise hysteresis counted on the
 * server side, one telemetry event per transition, timeouts, refused connections, endpoints added and
 * removed while running, no overlapping probes, clean stop. Reliability scenario S16 is the end-to-end
 * version through the proxy.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, it } from 'node:test';
import { healthSchema } from '../../src/config/schema.js';
import { systemClock } from '../../src/core/clock.js';
import { seededRandom } from '../../src/core/prng.js';
import { ActiveHealth } from '../../src/pool/health/active.js';
import type { Schedule } from '../../src/pool/health/timers.js';
import { systemSchedule } from '../../src/pool/health/timers.js';
import { Pool } from '../../src/pool/pool.js';
import { type HealthEvent, TelemetryBus } from '../../src/telemetry/events.js';
import { deadUrl, startServer, type TestServer, waitFor } from './support.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** A /health endpoint whose status the test flips; counts probes per answered status. */
async function flippable(opts: { delayMs?: number } = {}) {
  const s = {
    status: 200,
    answered: new Map<number, number>(),
    total: 0,
    concurrent: 0,
    maxConcurrent: 0,
    auth: [] as (string | undefined)[],
    server: undefined as unknown as TestServer,
  };
  s.server = await startServer((req: IncomingMessage, res: ServerResponse) => {
    // Only probes are counted (ActiveHealth.start() also runs model discovery against /v1/models).
    if (req.url !== '/health') return void res.writeHead(404).end();
    s.auth.push(req.headers.authorization);
    s.concurrent += 1;
    s.maxConcurrent = Math.max(s.maxConcurrent, s.concurrent);
    const answer = () => {
      s.concurrent -= 1;
      const status = s.status;
      s.answered.set(status, (s.answered.get(status) ?? 0) + 1);
      s.total += 1;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'not ok');
    };
    if (opts.delayMs) setTimeout(answer, opts.delayMs);
    else answer();
  });
  cleanups.push(() => s.server.close());
  return s;
}

function setup(
  endpoints: { name: string; url: string; apiKey?: string }[],
  active: Record<string, unknown> = {},
  schedule: Schedule = systemSchedule,
) {
  const bus = new TelemetryBus();
  const events: HealthEvent[] = [];
  bus.on('health', (e) => events.push(e));
  const pool = new Pool(endpoints, systemClock, bus);
  const config = healthSchema.parse({
    active: { intervalMs: 50, timeoutMs: 1_000, fall: 3, rise: 2, ...active },
    modelRefreshMs: 0,
  });
  const health = new ActiveHealth(pool, config, systemClock, { random: seededRandom(7), schedule });
  cleanups.push(() => health.stop());
  const transitions = () =>
    events.filter((e) => e.kind === 'active').map((e) => `${e.endpoint}:${e.healthy}`);
  return { bus, pool, health, events, transitions };
}

describe('ActiveHealth hysteresis', () => {
  it('probeOnce: down after exactly `fall` bad probes, up after exactly `rise` good ones', async () => {
    const a = await flippable();
    const t = setup([{ name: 'a', url: a.server.url }]);
    a.status = 500;
    await t.health.probeOnce();
    await t.health.probeOnce();
    assert.equal(t.pool.get('a')?.state.healthy, true, 'still up after fall − 1 bad probes');
    await t.health.probeOnce();
    assert.equal(t.pool.get('a')?.state.healthy, false);
    assert.equal(t.pool.eligible('any').length, 0, 'a down endpoint is not eligible');
    assert.match(t.pool.get('a')?.state.lastError ?? '', /probe \/health: status 500/);
    a.status = 200;
    await t.health.probeOnce();
    assert.equal(t.pool.get('a')?.state.healthy, false, 'still down after rise − 1 good probes');
    await t.health.probeOnce();
    assert.equal(t.pool.get('a')?.state.healthy, true);
    assert.deepEqual(t.transitions(), ['a:false', 'a:true']);
    assert.equal(a.total, 5);
  });

  it('a good probe breaks a bad run (and vice versa)', async () => {
    const a = await flippable();
    const t = setup([{ name: 'a', url: a.server.url }]);
    for (let i = 0; i < 5; i++) {
      a.status = 503;
      await t.health.probeOnce();
      await t.health.probeOnce();
      a.status = 200;
      await t.health.probeOnce();
    }
    assert.deepEqual(t.transitions(), []);
  });

  it('running: marked down on the `fall`-th bad probe and up on the `rise`-th good one, each event once', async () => {
    const a = await flippable();
    const b = await flippable();
    const t = setup([
      { name: 'a', url: a.server.url },
      { name: 'b', url: b.server.url },
    ]);
    const badAtDown: number[] = [];
    const goodSinceFlipAtUp: number[] = [];
    let goodBeforeFlip = 0;
    t.health.start();
    await waitFor(() => a.total >= 2, 'a probed twice while healthy');
    assert.deepEqual(t.events, []);

    // Record the server-side counts at the moment each transition is published.
    t.bus.on('health', (e) => {
      if (e.endpoint === 'a' && !e.healthy) badAtDown.push(a.answered.get(500) ?? 0);
      if (e.endpoint === 'a' && e.healthy)
        goodSinceFlipAtUp.push((a.answered.get(200) ?? 0) - goodBeforeFlip);
    });
    const flippedAt = performance.now();
    a.status = 500;
    await waitFor(() => t.pool.get('a')?.state.healthy === false, 'a marked down');
    const detectionMs = performance.now() - flippedAt;
    assert.deepEqual(badAtDown, [3], 'down exactly on the 3rd bad probe');
    // fall × interval plus slack for a loaded CI machine; jitter only shortens waits. (The default interval,
    // 5 s, would take 15 s.)
    assert.ok(detectionMs < 3 * 50 + 1_000, `detected in ${detectionMs.toFixed(0)} ms`);

    goodBeforeFlip = a.answered.get(200) ?? 0;
    a.status = 200;
    await waitFor(() => t.pool.get('a')?.state.healthy === true, 'a marked up');
    assert.deepEqual(goodSinceFlipAtUp, [2], 'up exactly on the 2nd good probe');

    // Keep probing a while: no repeated transitions, b never affected.
    const after = a.total;
    await waitFor(() => a.total >= after + 4, 'four more probes of a');
    assert.deepEqual(t.transitions(), ['a:false', 'a:true']);
    assert.ok(b.total >= 4, 'b probed on its own schedule');
    assert.equal(t.pool.get('b')?.state.healthy, true);
  });
});

describe('ActiveHealth failures', () => {
  it('a server that never answers counts as bad after timeoutMs', async () => {
    const hung = await startServer(() => undefined); // accepts, never responds
    cleanups.push(() => hung.close());
    const t = setup([{ name: 'hung', url: hung.url }], { timeoutMs: 100, fall: 1 });
    const started = performance.now();
    await t.health.probeOnce();
    const took = performance.now() - started;
    assert.equal(t.pool.get('hung')?.state.healthy, false);
    assert.match(t.pool.get('hung')?.state.lastError ?? '', /timeout after 100 ms/);
    assert.ok(took >= 90 && took < 2_000, `probe took ${took.toFixed(0)} ms`);
  });

  it('a refused connection counts as bad', async () => {
    const t = setup([{ name: 'gone', url: await deadUrl() }], { fall: 1 });
    await t.health.probeOnce();
    assert.equal(t.pool.get('gone')?.state.healthy, false);
    assert.match(t.pool.get('gone')?.state.lastError ?? '', /ECONNREFUSED/);
  });

  it('non-2xx statuses (redirects, 404) count as bad', async () => {
    const s = await startServer((_req, res) => res.writeHead(302, { location: '/elsewhere' }).end());
    cleanups.push(() => s.close());
    const t = setup([{ name: 'r', url: s.url }], { fall: 1 });
    await t.health.probeOnce();
    assert.match(t.pool.get('r')?.state.lastError ?? '', /status 302/);
  });

  it('sends the api key as Bearer auth and never puts it in a reason', async () => {
    const a = await flippable();
    a.status = 500;
    const t = setup([{ name: 'a', url: `${a.server.url}/v1`, apiKey: 'sk-secret-123' }], { fall: 1 });
    await t.health.probeOnce();
    assert.deepEqual(a.auth, ['Bearer sk-secret-123']);
    assert.equal(a.answered.get(500), 1, 'probed <origin><basePath>/health (the /v1 suffix is dropped)');
    assert.ok(!JSON.stringify(t.events).includes('sk-secret'));
  });
});

describe('ActiveHealth scheduling', () => {
  it('picks up endpoints added at runtime and stops probing removed ones', async () => {
    const a = await flippable();
    const b = await flippable();
    const t = setup([{ name: 'a', url: a.server.url }]);
    t.health.start();
    await waitFor(() => a.total >= 2, 'a probed');
    assert.equal(b.total, 0);
    t.pool.add({ name: 'b', url: b.server.url });
    await waitFor(() => b.total >= 2, 'b probed after being added');
    b.status = 500;
    t.pool.remove('b');
    const bAtRemoval = b.total;
    // a's probes are the clock: after several more of them, b must have had at most the one in flight.
    const aAtRemoval = a.total;
    await waitFor(() => a.total >= aAtRemoval + 4, 'a keeps being probed');
    assert.ok(b.total <= bAtRemoval + 1, `b probed ${b.total - bAtRemoval} times after removal`);
    assert.deepEqual(t.transitions(), [], 'a removed endpoint is never marked down');

    // Re-added under the same name with its health still failing: a fresh incarnation, fresh counters.
    t.pool.add({ name: 'b', url: b.server.url });
    await waitFor(() => t.pool.get('b')?.state.healthy === false, 're-added b marked down');
    assert.deepEqual(t.transitions(), ['b:false']);
  });

  it('never overlaps probes of one endpoint, even when a probe outlasts the interval', async () => {
    const slow = await flippable({ delayMs: 120 });
    const t = setup([{ name: 'slow', url: slow.server.url }], { intervalMs: 50 });
    t.health.start();
    await waitFor(() => slow.total >= 4, 'four slow probes');
    assert.equal(slow.maxConcurrent, 1);
    // probeOnce while a scheduled probe is in flight joins it rather than starting another.
    await Promise.all([t.health.probeOnce(), t.health.probeOnce()]);
    assert.equal(slow.maxConcurrent, 1);
  });

  it('spreads the first probes and jitters later waits within the interval', async () => {
    const delays: number[] = [];
    const recording: Schedule = (fn, ms) => {
      delays.push(ms);
      return systemSchedule(fn, ms);
    };
    const a = await flippable();
    const t = setup(
      ['a', 'b', 'c', 'd'].map((name) => ({ name, url: a.server.url })),
      { intervalMs: 1_000 },
      recording,
    );
    t.health.start();
    assert.equal(delays.length, 4, 'one chain per endpoint');
    assert.ok(
      delays.every((d) => d >= 0 && d < 1_000),
      `first probes within one interval: ${delays}`,
    );
    assert.ok(new Set(delays.map(Math.round)).size === 4, 'not in lock-step');
    const probeStarted = performance.now();
    await t.health.probeOnce();
    const probeMs = performance.now() - probeStarted;
    const later = delays.slice(4);
    assert.ok(later.length >= 4);
    // Each wait is the interval shortened by the jitter (≤ 10 %) and by its probe's duration, which is at
    // most probeOnce's (measured, so that a slow machine widens the bound only by what it really took).
    assert.ok(
      later.every((d) => d <= 1_000 && d >= 900 - probeMs),
      `later waits shortened by at most 10% (minus ${probeMs.toFixed(1)} ms of probe time): ${later}`,
    );
  });

  it('stop() cancels every timer, aborts probes in flight and discards their verdict', async () => {
    const pending = new Set<() => void>();
    const tracking: Schedule = (fn, ms) => {
      const cancel = systemSchedule(() => {
        pending.delete(wrapped);
        fn();
      }, ms);
      const wrapped = () => {
        pending.delete(wrapped);
        cancel();
      };
      pending.add(wrapped);
      return wrapped;
    };
    const hung = await startServer(() => undefined);
    cleanups.push(() => hung.close());
    const a = await flippable();
    const t = setup(
      [
        { name: 'a', url: a.server.url },
        { name: 'hung', url: hung.url },
      ],
      { timeoutMs: 10_000, fall: 1 },
      tracking,
    );
    t.health.start();
    await waitFor(() => a.total >= 2, 'a probed');
    const started = performance.now();
    await t.health.stop();
    assert.ok(performance.now() - started < 2_000, 'the hung probe was aborted, not waited out');
    assert.equal(pending.size, 0, 'no timer left behind');
    assert.equal(t.pool.get('hung')?.state.healthy, true, 'an aborted probe is not a bad probe');
    await t.health.probeOnce(); // a no-op after stop
    assert.throws(() => t.health.start(), /stopped/);
  });

  it('does not probe when health.active.enabled is false', async () => {
    const a = await flippable();
    const pending: number[] = [];
    const t = setup([{ name: 'a', url: a.server.url }], { enabled: false }, (fn, ms) => {
      pending.push(ms);
      return systemSchedule(fn, ms);
    });
    t.health.start();
    assert.deepEqual(pending, []);
  });
});
