/**
 * Health through the proxy: passive ejection with growing back-off and never ejecting everything (S14), and
 * active probes with rise/fall (S16), each transition visible once in metrics and the admin API.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { type Cluster, chat, startCluster } from '../support/cluster.js';
import { getJson, postJson, sleep, waitFor } from '../support/http.js';

function metricValue(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

describe('health through the proxy', () => {
  let c: Cluster | undefined;
  afterEach(async () => {
    await c?.close();
    c = undefined;
  });

  test('S14: 5 consecutive failures eject; the next ejection lasts twice as long; never everything', async () => {
    c = await startCluster([{ status: 500 }, {}], {
      health: { passive: { consecutiveFailures: 5, baseEjectionMs: 600, maxEjectionPercent: 50 } },
    });
    const a = c.fakes[0]!;
    // Sequential traffic: every request gets 200 (A's 500s are retried on B).
    for (let i = 0; i < 20; i++) assert.equal((await postJson(c.chatUrl, chat())).status, 200);
    assert.equal(a.requests.length, 5, 'A ejected on its 5th consecutive failure');
    const ejected = c.fulcrum.pool.get('a')!.state;
    assert.equal(ejected.ejections, 1);
    // While ejected: no requests reach A.
    for (let i = 0; i < 10; i++) await postJson(c.chatUrl, chat());
    assert.equal(a.requests.length, 5);
    // After the ejection ends, one probe request fails and re-ejects at once, for twice as long.
    await sleep(700);
    const probingFrom = performance.now();
    for (let i = 0; i < 6; i++) await postJson(c.chatUrl, chat());
    const probingTo = performance.now();
    assert.equal(a.requests.length, 6, 'exactly one probe reached A after the first ejection');
    assert.equal(ejected.ejections, 2);
    // Re-ejected by a failure inside [probingFrom, probingTo] for 2 × 600 ms (timed around the requests rather
    // than "time left" after them, which a slow machine shortens).
    assert.ok(
      ejected.ejectedUntil >= probingFrom + 1_200 && ejected.ejectedUntil <= probingTo + 1_200,
      `second ejection twice as long as the first (ends ${(ejected.ejectedUntil - probingFrom).toFixed(0)} ms ` +
        `after the probing began, which took ${(probingTo - probingFrom).toFixed(0)} ms)`,
    );

    // Both failing: Fulcrum still routes and relays upstream errors rather than "no backend".
    c.fakes[1]!.script = { status: 500 };
    const statuses = new Set<number>();
    for (let i = 0; i < 15; i++) statuses.add((await postJson(c.chatUrl, chat())).status);
    assert.deepEqual([...statuses], [500], 'upstream errors, never 503 no_endpoint_available');
  });

  test('S16: active probes mark an endpoint down after `fall` and up after `rise`, once each', async () => {
    c = await startCluster([{}, {}], {
      admin: { enabled: true, host: '127.0.0.1', port: 0 },
      health: { active: { enabled: true, intervalMs: 100, timeoutMs: 80, fall: 3, rise: 2 } },
    });
    const a = c.fakes[0]!;
    const pool = c.fulcrum.pool;
    await sleep(250);
    const flippedAt = performance.now();
    a.healthStatus = 500;
    await waitFor(() => !pool.get('a')!.state.healthy, 2_000, 'A marked down');
    const downAfter = performance.now() - flippedAt;
    // fall × interval (jitter only shortens waits) plus slack for a loaded machine; a config that did not
    // reach the checker (default interval 5 s, fall 3) would take seconds.
    assert.ok(downAfter <= 3 * 100 + 700, `down ${downAfter.toFixed(0)} ms after the flip`);
    const before = a.requests.length;
    for (let i = 0; i < 10; i++) {
      const res = await postJson(c.chatUrl, chat());
      assert.equal(res.headers['x-fulcrum-backend'], 'b');
    }
    assert.equal(a.requests.length, before, 'no request routed to A while down');
    const admin = await getJson(`${c.fulcrum.adminUrl}/admin/endpoints`);
    const listed = (admin.json as { data: Array<{ name: string; healthy: boolean }> }).data;
    assert.equal(listed.find((e) => e.name === 'a')?.healthy, false);

    a.healthStatus = 200;
    await waitFor(() => pool.get('a')!.state.healthy, 2_000, 'A marked up again');
    const metrics = (await getJson(`${c.fulcrum.adminUrl}/metrics`)).text;
    assert.equal(metricValue(metrics, 'fulcrum_health_transitions_total', 'endpoint="a",kind="active"'), 2);
    assert.equal(metricValue(metrics, 'fulcrum_health_transitions_total', 'endpoint="b",kind="active"'), 0);
  });
});
