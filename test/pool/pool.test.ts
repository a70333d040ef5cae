/** Unit tests for src/pool/pool.ts: eligibility, panic mode, updateHealth transitions, snapshot swaps. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import type { Endpoint } from '../../src/pool/endpoint.js';
import { Pool } from '../../src/pool/pool.js';
import { type EndpointChangeEvent, type HealthEvent, TelemetryBus } from '../../src/telemetry/events.js';

function setup() {
  const clock = new ManualClock(1_000);
  const bus = new TelemetryBus();
  const health: HealthEvent[] = [];
  const changes: EndpointChangeEvent[] = [];
  bus.on('health', (e) => health.push(e));
  bus.on('endpoint.change', (e) => changes.push(e));
  const pool = new Pool(
    [
      { name: 'a', url: 'http://10.0.0.1:8000', models: ['m'] },
      { name: 'b', url: 'http://10.0.0.2:8000', models: ['m', 'n'] },
    ],
    clock,
    bus,
  );
  const names = (list: Endpoint[]) => list.map((e) => e.name);
  return { clock, pool, health, changes, names };
}

describe('Pool.eligible', () => {
  it('filters by model, enabled, healthy, cool-down and exclusions', () => {
    const t = setup();
    assert.deepEqual(t.names(t.pool.eligible('m')), ['a', 'b']);
    assert.deepEqual(t.names(t.pool.eligible('n')), ['b']);
    assert.deepEqual(t.names(t.pool.eligible('m', new Set(['a']))), ['b']);
    t.pool.setEnabled('a', false);
    assert.deepEqual(t.names(t.pool.eligible('m')), ['b']);
    t.pool.setEnabled('a', true);
    t.pool.updateHealth('b', { healthy: false });
    assert.deepEqual(t.names(t.pool.eligible('m')), ['a']);
    t.pool.updateHealth('a', { cooldownUntil: t.clock.now() + 100 });
    assert.deepEqual(t.names(t.pool.eligible('m')), []);
    assert.deepEqual(t.pool.whyNoneEligible('m'), { unknownModel: false, retryAt: 1_100 });
    assert.deepEqual(t.pool.whyNoneEligible('zzz'), { unknownModel: true, retryAt: undefined });
    t.clock.advance(100);
    assert.deepEqual(t.names(t.pool.eligible('m')), ['a']);
  });

  it('panic mode: when every healthy candidate is ejected, all of them are returned', () => {
    const t = setup();
    t.pool.updateHealth('a', { ejectedUntil: t.clock.now() + 500 });
    assert.deepEqual(t.names(t.pool.eligible('m')), ['b']);
    t.pool.updateHealth('b', { ejectedUntil: t.clock.now() + 500 });
    assert.deepEqual(t.names(t.pool.eligible('m')), ['a', 'b']);
  });
});

describe('Pool.updateHealth', () => {
  it('emits each transition once and counts ejections', () => {
    const t = setup();
    t.pool.updateHealth('a', { healthy: false, reason: 'probe: status 500' });
    t.pool.updateHealth('a', { healthy: false, reason: 'again' });
    t.pool.updateHealth('a', { healthy: true });
    assert.deepEqual(
      t.health.map((e) => [e.kind, e.healthy]),
      [
        ['active', false],
        ['active', true],
      ],
    );
    assert.equal(t.pool.get('a')?.state.lastError, 'again', 'lastError follows the latest failure report');

    t.pool.updateHealth('b', { ejectedUntil: t.clock.now() + 300, reason: 'x' });
    assert.equal(t.pool.get('b')?.state.ejections, 1);
    assert.equal(t.health.at(-1)?.durationMs, 300);
    t.pool.updateHealth('b', { ejectedUntil: 0 });
    t.pool.updateHealth('b', { ejectedUntil: 0 });
    assert.deepEqual(
      t.health.slice(2).map((e) => e.kind),
      ['ejected', 'restored'],
    );
  });

  it('only lengthens a cool-down and ignores unknown names', () => {
    const t = setup();
    t.pool.updateHealth('a', { cooldownUntil: t.clock.now() + 500 });
    t.pool.updateHealth('a', { cooldownUntil: t.clock.now() + 100 });
    assert.equal(t.pool.get('a')?.state.cooldownUntil, 1_500);
    assert.equal(t.health.length, 1);
    t.pool.updateHealth('nobody', { healthy: false });
    assert.equal(t.health.length, 1);
  });
});

describe('Pool snapshots', () => {
  it('swaps the snapshot by reference; an old snapshot is unchanged', () => {
    const t = setup();
    const before = t.pool.endpoints;
    const seen: number[] = [];
    t.pool.onChange((s) => seen.push(s.length));
    t.pool.add({ name: 'c', url: 'http://10.0.0.3:8000' });
    assert.equal(before.length, 2);
    assert.ok(Object.isFrozen(t.pool.endpoints));
    assert.throws(() => t.pool.add({ name: 'c', url: 'http://10.0.0.4:8000' }), /already exists/);
    t.pool.remove('c');
    assert.equal(t.pool.remove('c'), false);
    assert.deepEqual(seen, [3, 2]);
    assert.deepEqual(
      t.changes.map((c) => `${c.endpoint}:${c.action}`),
      ['c:added', 'c:removed'],
    );
  });

  it('replaceAll keeps live state for unchanged name+URL and resets it otherwise', () => {
    const t = setup();
    const aState = t.pool.get('a')?.state;
    const bState = t.pool.get('b')?.state;
    t.pool.replaceAll([
      { name: 'a', url: 'http://10.0.0.1:8000/', models: ['m'], weight: 4 },
      { name: 'b', url: 'http://10.0.0.99:8000', models: ['m'] },
    ]);
    assert.equal(t.pool.get('a')?.state, aState);
    assert.equal(t.pool.get('a')?.weight, 4);
    assert.notEqual(t.pool.get('b')?.state, bState);
    assert.throws(
      () =>
        t.pool.replaceAll([
          { name: 'x', url: 'http://h:1' },
          { name: 'x', url: 'http://h:2' },
        ]),
      /duplicate endpoint name/,
    );
  });

  it('track() counts in-flight and total requests, untrack() ends the in-flight count', () => {
    const t = setup();
    const a = t.pool.get('a');
    assert.ok(a);
    t.pool.track(a);
    t.pool.track(a);
    assert.equal(a.state.inflight, 2);
    t.pool.untrack(a);
    assert.equal(a.state.inflight, 1);
    t.pool.untrack(a);
    assert.equal(a.state.inflight, 0);
    assert.equal(a.state.requests, 2);
  });
});
