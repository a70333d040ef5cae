/**
 * Retries and failover before the commit point: S01 (connect failure), S02 (503/429 + Retry-After), S06
 * (first-byte timeout), S09 (reset after send), S15 (client errors), the attempts limit and the retry budget.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { afterEach, describe, test } from 'node:test';
import { type Cluster, chat, startCluster } from '../support/cluster.js';
import { postJson, streamChat } from '../support/http.js';

/** A port on 127.0.0.1 with nothing listening. */
async function deadPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('failover before the commit point', () => {
  let c: Cluster | undefined;
  afterEach(async () => {
    await c?.close();
    c = undefined;
  });

  test('S01: a refused connection fails over to the healthy endpoint, streaming and not', async () => {
    c = await startCluster([{}], {
      health: { passive: { consecutiveFailures: 1000 } },
    });
    const port = await deadPort();
    c.fulcrum.pool.add({ name: 'dead', url: `http://127.0.0.1:${port}`, models: ['test-model'] });
    for (let i = 0; i < 10; i++) {
      const res = await postJson(c.chatUrl, chat());
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-fulcrum-backend'], 'a');
      const s = await streamChat(c.chatUrl, chat());
      assert.equal(s.status, 200);
      assert.ok(s.done);
      assert.equal(s.headers['x-fulcrum-backend'], 'a');
    }
    // Round-robin sends every other first attempt to the dead port: those show 2 attempts.
    const dead = c.fulcrum.pool.get('dead')!;
    assert.ok(dead.state.failures + dead.state.requests > 0);
  });

  test('S01: after N consecutive connect failures the dead endpoint is ejected and gets no attempts', async () => {
    c = await startCluster([{}], { health: { passive: { consecutiveFailures: 3, baseEjectionMs: 60_000 } } });
    const port = await deadPort();
    c.fulcrum.pool.add({ name: 'dead', url: `http://127.0.0.1:${port}`, models: ['test-model'] });
    for (let i = 0; i < 20; i++) assert.equal((await postJson(c.chatUrl, chat())).status, 200);
    const dead = c.fulcrum.pool.get('dead')!;
    assert.equal(dead.state.requests, 3, 'exactly 3 attempts reached the dead endpoint before ejection');
    assert.ok(dead.state.ejectedUntil > 0);
  });

  test('S02: 503 is retried elsewhere; the client never sees it', async () => {
    c = await startCluster([{ status: 503 }, {}]);
    for (let i = 0; i < 6; i++) {
      const res = await postJson(c.chatUrl, chat());
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-fulcrum-backend'], 'b');
    }
    const a = c.fakes[0]!.requests.length;
    assert.ok(a >= 1 && a <= 6, 'each request made at most one attempt on a');
    // A retry sends the client's body again, whole: it is released only at the commit point.
    for (const r of [...c.fakes[0]!.requests, ...c.fakes[1]!.requests]) {
      assert.deepEqual(JSON.parse(r.body), chat());
    }
  });

  test('S02: a 429 with Retry-After cools the endpoint down for that long', async () => {
    c = await startCluster([{ status: 429, retryAfter: 2 }, {}]);
    let firstSent = 0;
    let firstAnswered = 0;
    for (let i = 0; i < 10; i++) {
      if (i === 0) firstSent = performance.now();
      const res = await postJson(c.chatUrl, chat());
      if (i === 0) firstAnswered = performance.now();
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-fulcrum-backend'], 'b');
    }
    assert.equal(c.fakes[0]!.requests.length, 1, 'a got one request, then was cooling down');
    // The 429 arrived during the first request, so the cool-down ends 2 s after a moment inside it (timed
    // around that request, not from the end of the loop, which a slow machine can stretch past a second).
    const until = c.fulcrum.pool.get('a')!.state.cooldownUntil;
    assert.ok(
      until >= firstSent + 2_000 && until <= firstAnswered + 2_000,
      `cool-down honours Retry-After (ends ${(until - firstSent).toFixed(0)} ms after the first request was sent, ` +
        `which took ${(firstAnswered - firstSent).toFixed(0)} ms)`,
    );
  });

  test('a 429 on the only endpoint reaches the client as 429 with Retry-After', async () => {
    c = await startCluster([{ status: 429, retryAfter: 7 }]);
    const res = await postJson(c.chatUrl, chat());
    assert.equal(res.status, 429);
    assert.equal(res.headers['retry-after'], '7');
    const again = await postJson(c.chatUrl, chat());
    assert.equal(again.status, 503, 'while cooling down, no endpoint is eligible');
    assert.ok(Number(again.headers['retry-after']) >= 1);
    assert.equal((again.json as { error: { code: string } }).error.code, 'no_endpoint_available');
  });

  test('S15: client errors are relayed as-is, not retried, not counted against the endpoint', async () => {
    c = await startCluster([{ status: 400 }, { status: 400 }]);
    for (let i = 0; i < 20; i++) {
      const res = await postJson(c.chatUrl, chat());
      assert.equal(res.status, 400);
      assert.equal(res.headers['x-fulcrum-attempts'], '1');
      assert.match(res.text, /fake [ab] says 400/);
    }
    const cluster: Cluster = c;
    for (const name of ['a', 'b']) {
      const st = cluster.fulcrum.pool.get(name)!.state;
      assert.equal(st.ejectedUntil, 0);
      assert.equal(st.cooldownUntil, 0);
      assert.equal(st.consecutiveFailures, 0);
    }
  });

  test('S09: a reset after the request was sent is not re-sent by default (502, one attempt)', async () => {
    c = await startCluster([{ resetBeforeHeaders: true }, {}], { strategy: { name: 'round-robin' } });
    const res = await postJson(c.chatUrl, chat(), { 'x-request-id': 's09-default' });
    assert.equal(res.status, 502);
    assert.equal(res.headers['x-fulcrum-attempts'], '1');
    assert.equal((res.json as { error: { code: string } }).error.code, 'upstream_reset');
    assert.equal(c.fakes[1]!.requests.filter((r) => r.id === 's09-default').length, 0);
  });

  test('S09: with retryAfterSend the reset request is re-sent once to another endpoint', async () => {
    c = await startCluster([{ resetBeforeHeaders: true }, {}], { retry: { retryAfterSend: true } });
    const res = await postJson(c.chatUrl, chat(), { 'x-request-id': 's09-optin' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-fulcrum-attempts'], '2');
    const resent = c.fakes[1]!.requests.filter((r) => r.id === 's09-optin');
    assert.equal(resent.length, 1);
    assert.deepEqual(JSON.parse(resent[0]!.body), chat());
  });

  test('S06: first-byte timeout → 504 by default, and the endpoint sees the abort', async () => {
    c = await startCluster([{ hang: true }, {}], { timeouts: { firstByteMs: 300 } });
    const t0 = performance.now();
    const res = await postJson(c.chatUrl, chat({ stream: true }), { 'x-request-id': 's06' });
    const took = performance.now() - t0;
    assert.equal(res.status, 504);
    assert.ok(took >= 280 && took < 1_500, `answered at the timeout (${took.toFixed(0)} ms)`);
    assert.equal(c.fakes[1]!.requests.filter((r) => r.id === 's06').length, 0, 'B received nothing');
    await c.fakes[0]!.waitFor(() => c!.fakes[0]!.requests[0]?.abortedAt !== undefined, 2_000);
  });

  test('S06: with retryAfterSend a first-byte timeout fails over', async () => {
    c = await startCluster([{ hang: true }, {}], {
      timeouts: { firstByteMs: 300 },
      retry: { retryAfterSend: true },
    });
    const s = await streamChat(c.chatUrl, chat());
    assert.equal(s.status, 200);
    assert.equal(s.headers['x-fulcrum-backend'], 'b');
    assert.ok(s.done);
  });

  test('maxAttempts bounds the tries; the last upstream error is returned', async () => {
    c = await startCluster([{ status: 500 }, { status: 500 }, { status: 500 }], {
      retry: { maxAttempts: 2 },
      health: { passive: { consecutiveFailures: 1000 } },
    });
    const res = await postJson(c.chatUrl, chat());
    assert.equal(res.status, 500, 'the last attempt’s answer is relayed');
    assert.equal(res.headers['x-fulcrum-attempts'], '2');
    assert.equal(
      c.fakes.reduce((n, f) => n + f.requests.length, 0),
      2,
    );
  });

  test('S18: the retry budget caps retries when every endpoint fails', async () => {
    c = await startCluster(
      [
        { status: 503, ttftMs: 50 },
        { status: 503, ttftMs: 50 },
      ],
      {
        retry: { budgetPercent: 20, minConcurrentRetries: 1 },
        health: { passive: { consecutiveFailures: 1000 } },
      },
    );
    let exhausted = 0;
    c.fulcrum.telemetry.on('retry.budget_exhausted', () => exhausted++);
    const results = await Promise.all(Array.from({ length: 20 }, () => postJson(c!.chatUrl, chat())));
    assert.ok(results.every((r) => r.status === 503));
    const attempts = c.fakes.reduce((n, f) => n + f.requests.length, 0);
    // 20 in flight × 20 % = 4 concurrent retries allowed, so well under 2 attempts per request.
    assert.ok(attempts <= 20 + 4, `attempts ${attempts} ≤ requests + budget`);
    assert.ok(exhausted > 0, 'the budget refused some retries');
  });
});
