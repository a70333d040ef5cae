/**
 * Passive health (outlier ejection) with a ManualClock and manual timers: thresholds, doubling, cap,
 * probation, ejection-count reset, max-percent and never-all, 429 cool-downs. Unit tests: no sockets.
 * The end-to-end version through the proxy is reliability scenario S14.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { passiveHealthSchema } from '../../src/config/schema.js';
import { ManualClock } from '../../src/core/clock.js';
import { MAX_RETRY_AFTER_MS, PassiveHealth } from '../../src/pool/health/passive.js';
import { Pool } from '../../src/pool/pool.js';
import { type HealthEvent, TelemetryBus } from '../../src/telemetry/events.js';
import { ManualSchedule } from './support.js';

const BASE = 1_000;

function setup(names: string[], overrides: Record<string, unknown> = {}) {
  const clock = new ManualClock(10_000);
  const bus = new TelemetryBus();
  const events: HealthEvent[] = [];
  bus.on('health', (e) => events.push(e));
  const pool = new Pool(
    names.map((name, i) => ({ name, url: `http://10.0.0.${i + 1}:8000`, models: ['m'] })),
    clock,
    bus,
  );
  const config = passiveHealthSchema.parse({
    consecutiveFailures: 5,
    baseEjectionMs: BASE,
    maxEjectionMs: 8 * BASE,
    maxEjectionPercent: 50,
    cooldownMs: 2_000,
    ...overrides,
  });
  const timers = new ManualSchedule();
  const passive = new PassiveHealth(pool, config, clock, { schedule: timers.schedule });
  const ep = (name: string) => {
    const e = pool.get(name);
    assert.ok(e, `endpoint ${name}`);
    return e;
  };
  const fail = (name: string, n = 1) => {
    for (let i = 0; i < n; i++) passive.recordFailure(ep(name), 'status_500');
  };
  const ejected = (name: string) => ep(name).state.ejectedUntil > clock.now();
  const kinds = () => events.map((e) => `${e.endpoint}:${e.kind}`);
  return { clock, pool, passive, timers, events, ep, fail, ejected, kinds };
}

describe('PassiveHealth ejection', () => {
  it('ejects on exactly the Nth consecutive failure, for baseEjectionMs', () => {
    const t = setup(['a', 'b']);
    t.fail('a', 4);
    assert.equal(t.ejected('a'), false, 'not ejected after 4 of 5 failures');
    assert.equal(t.ep('a').state.consecutiveFailures, 4);
    t.fail('a');
    assert.equal(t.ejected('a'), true);
    assert.equal(t.ep('a').state.ejectedUntil, t.clock.now() + BASE);
    assert.deepEqual(t.kinds(), ['a:ejected']);
    assert.equal(t.events[0]?.durationMs, BASE);
    assert.match(t.events[0]?.reason ?? '', /5 consecutive failures, last: status_500/);
    assert.equal(t.ep('a').state.failures, 5);
    assert.deepEqual(
      t.pool.eligible('m').map((e) => e.name),
      ['b'],
      'an ejected endpoint takes no new requests',
    );
  });

  it('a success resets the run', () => {
    const t = setup(['a', 'b']);
    t.fail('a', 4);
    t.passive.recordSuccess(t.ep('a'));
    assert.equal(t.ep('a').state.consecutiveFailures, 0);
    t.fail('a', 4);
    assert.equal(t.ejected('a'), false);
    t.fail('a');
    assert.equal(t.ejected('a'), true);
  });

  it('failures reported while ejected do not lengthen the ejection', () => {
    const t = setup(['a', 'b']);
    t.fail('a', 5);
    const until = t.ep('a').state.ejectedUntil;
    t.clock.advance(100);
    t.fail('a', 10);
    assert.equal(t.ep('a').state.ejectedUntil, until);
    assert.equal(t.ep('a').state.ejections, 1);
    assert.deepEqual(t.kinds(), ['a:ejected']);
  });

  it('notices the end by timer, then probation: one failure re-ejects for double, capped at max', () => {
    const t = setup(['a', 'b']);
    t.fail('a', 5);
    assert.deepEqual(t.timers.delays(), [BASE]);
    // Timers can fire a hair early: the check re-arms instead of missing the transition.
    t.clock.advance(BASE - 0.5);
    t.timers.fireAll();
    assert.deepEqual(t.kinds(), ['a:ejected']);
    t.clock.advance(1);
    t.timers.fireAll();
    assert.deepEqual(t.kinds(), ['a:ejected', 'a:restored']);
    assert.equal(t.ep('a').state.ejectedUntil, 0);

    const durations: number[] = [];
    for (let i = 0; i < 4; i++) {
      t.fail('a'); // on probation: a single failure is enough
      assert.equal(t.ejected('a'), true, `re-ejected on probation (round ${i})`);
      const ms = t.ep('a').state.ejectedUntil - t.clock.now();
      durations.push(ms);
      t.clock.advance(ms);
      t.timers.fireAll();
      assert.equal(t.ejected('a'), false);
    }
    // 2×, 4×, 8× base, then capped at maxEjectionMs = 8× base.
    assert.deepEqual(durations, [2 * BASE, 4 * BASE, 8 * BASE, 8 * BASE]);
    assert.equal(t.ep('a').state.ejections, 5);
    assert.equal(t.kinds().filter((k) => k === 'a:restored').length, 5, 'each restore emitted once');
  });

  it('notices the end on the next report when no timer fired', () => {
    const t = setup(['a', 'b']);
    t.fail('a', 5);
    t.clock.advance(BASE);
    t.passive.recordSuccess(t.ep('a'));
    assert.deepEqual(t.kinds(), ['a:ejected', 'a:restored']);
    t.timers.fireAll(); // the stale timer must not emit a second 'restored'
    assert.deepEqual(t.kinds(), ['a:ejected', 'a:restored']);
  });

  it('a success on probation ends it: the next ejection needs the full run again, for double time', () => {
    const t = setup(['a', 'b']);
    t.fail('a', 5);
    t.clock.advance(BASE);
    t.timers.fireAll();
    t.passive.recordSuccess(t.ep('a'));
    t.fail('a', 4);
    assert.equal(t.ejected('a'), false, 'probation ended by the success');
    t.fail('a');
    assert.equal(t.ep('a').state.ejectedUntil - t.clock.now(), 2 * BASE);
  });

  it('forgets past ejections after a long healthy period (10 × base by default)', () => {
    const t = setup(['a', 'b']);
    t.fail('a', 5);
    t.clock.advance(BASE);
    t.passive.recordSuccess(t.ep('a'));
    assert.equal(t.ep('a').state.ejections, 1);
    t.clock.advance(10 * BASE - 1);
    t.passive.recordSuccess(t.ep('a'));
    assert.equal(t.ep('a').state.ejections, 1, 'not yet');
    t.clock.advance(1);
    t.passive.recordSuccess(t.ep('a'));
    assert.equal(t.ep('a').state.ejections, 0);
    t.fail('a', 5);
    assert.equal(t.ep('a').state.ejectedUntil - t.clock.now(), BASE, 'back to the base duration');
  });
});

describe('PassiveHealth limits', () => {
  it('never ejects beyond maxEjectionPercent of the snapshot; a blocked ejection retries later', () => {
    const t = setup(['a', 'b', 'c', 'd']); // 50% of 4 = 2
    t.fail('a', 5);
    t.fail('b', 5);
    t.fail('c', 5);
    assert.deepEqual(
      ['a', 'b', 'c'].map((n) => t.ejected(n)),
      [true, true, false],
    );
    t.clock.advance(BASE);
    t.timers.fireAll(); // a and b come back
    t.fail('c');
    assert.equal(t.ejected('c'), true, 'the next failure ejects once there is room');
  });

  it('rounds down: 50% of 3 endpoints allows one ejection', () => {
    const t = setup(['a', 'b', 'c']);
    t.fail('a', 5);
    t.fail('b', 5);
    assert.deepEqual([t.ejected('a'), t.ejected('b')], [true, false]);
  });

  it('never ejects the last usable endpoint, even at 100%', () => {
    const t = setup(['a', 'b'], { maxEjectionPercent: 100 });
    t.fail('a', 5);
    t.fail('b', 50);
    assert.deepEqual([t.ejected('a'), t.ejected('b')], [true, false]);
    assert.deepEqual(
      t.pool.eligible('m').map((e) => e.name),
      ['b'],
    );

    const solo = setup(['only'], { maxEjectionPercent: 100 });
    solo.fail('only', 50);
    assert.equal(solo.ejected('only'), false);
    assert.deepEqual(solo.events, []);
  });

  it('does not count drained or actively-down endpoints as the remaining capacity', () => {
    const t = setup(['a', 'b'], { maxEjectionPercent: 100 });
    t.pool.setEnabled('b', false);
    t.fail('a', 5);
    assert.equal(t.ejected('a'), false, 'b is draining, so a is the last usable endpoint');
    t.pool.setEnabled('b', true);
    t.pool.updateHealth('b', { healthy: false, reason: 'probe' });
    t.fail('a');
    assert.equal(t.ejected('a'), false, 'b is down');
    t.pool.updateHealth('b', { healthy: true });
    t.fail('a');
    assert.equal(t.ejected('a'), true);
  });

  it('ignores reports about an endpoint that left the pool or was replaced under its name', () => {
    const t = setup(['a', 'b', 'c']);
    const old = t.ep('a');
    t.pool.replaceAll([
      { name: 'a', url: 'http://10.0.0.9:8000', models: ['m'] },
      { name: 'b', url: 'http://10.0.0.2:8000', models: ['m'] },
      { name: 'c', url: 'http://10.0.0.3:8000', models: ['m'] },
    ]);
    for (let i = 0; i < 5; i++) t.passive.recordFailure(old, 'reset');
    assert.equal(t.ejected('a'), false);
    assert.equal(t.ep('a').state.consecutiveFailures, 0);
    assert.deepEqual(t.events, []);
  });

  it('does nothing to routing when disabled', () => {
    const t = setup(['a', 'b'], { enabled: false });
    t.fail('a', 20);
    t.passive.recordRateLimited(t.ep('a'), 1_000);
    assert.deepEqual(t.events, []);
    assert.equal(t.ep('a').state.failures, 20, 'totals are still counted');
    assert.equal(t.pool.eligible('m').length, 2);
  });

  it('stop() cancels pending timers', () => {
    const t = setup(['a', 'b']);
    t.fail('a', 5);
    assert.equal(t.timers.size, 1);
    t.passive.stop();
    assert.equal(t.timers.size, 0);
  });
});

describe('PassiveHealth 429 cool-down', () => {
  it('honours Retry-After, caps it, and defaults to cooldownMs', () => {
    const t = setup(['a', 'b']);
    const now = t.clock.now();
    t.passive.recordRateLimited(t.ep('a'), 7_000);
    assert.equal(t.ep('a').state.cooldownUntil, now + 7_000);
    assert.deepEqual(
      t.pool.eligible('m').map((e) => e.name),
      ['b'],
    );
    t.clock.advance(7_000);
    assert.equal(t.pool.eligible('m').length, 2, 'back after Retry-After');

    t.passive.recordRateLimited(t.ep('a'), undefined);
    assert.equal(t.ep('a').state.cooldownUntil, t.clock.now() + 2_000, 'cooldownMs without Retry-After');
    t.passive.recordRateLimited(t.ep('b'), 3_600_000);
    assert.equal(t.ep('b').state.cooldownUntil, t.clock.now() + MAX_RETRY_AFTER_MS, 'capped');
    t.passive.recordRateLimited(t.ep('b'), Number.NaN);
    assert.equal(t.ep('b').state.cooldownUntil, t.clock.now() + MAX_RETRY_AFTER_MS, 'never shortened');
    assert.deepEqual(t.kinds(), ['a:cooldown', 'a:cooldown', 'b:cooldown']);
    assert.equal(t.events[0]?.durationMs, 7_000);
  });

  it('a 429 is not a failure and does not break the failure run', () => {
    const t = setup(['a', 'b']);
    for (let i = 0; i < 20; i++) t.passive.recordRateLimited(t.ep('a'), 0);
    assert.equal(t.ep('a').state.consecutiveFailures, 0);
    assert.equal(t.ep('a').state.failures, 0);
    assert.equal(t.ejected('a'), false);
    t.fail('a', 4);
    t.passive.recordRateLimited(t.ep('a'), 0);
    t.fail('a');
    assert.equal(t.ejected('a'), true, 'ejected on the 5th failure, the 429 in between ignored');
  });

  it('client errors (reported as successes) never eject', () => {
    const t = setup(['a', 'b']);
    for (let i = 0; i < 100; i++) {
      t.fail('a', 4);
      t.passive.recordSuccess(t.ep('a')); // e.g. a 400 between the upstream faults
    }
    assert.equal(t.ejected('a'), false);
    assert.deepEqual(t.events, []);
  });
});
