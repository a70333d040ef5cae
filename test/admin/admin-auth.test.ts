import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { Pool } from '../../src/pool/pool.js';
import { startAdminServer } from '../../src/server/admin.js';
import { bearerChecker, isLoopbackHost } from '../../src/server/admin-auth.js';
import { TelemetryBus } from '../../src/telemetry/events.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { type Harness, startHarness, TOKEN } from './harness.js';

describe('admin auth helpers', () => {
  it('recognises loopback addresses only', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) {
      assert.equal(isLoopbackHost(h), true, h);
    }
    for (const h of [
      '0.0.0.0',
      '::',
      '10.0.0.1',
      '192.168.1.1',
      'example.com',
      '::ffff:10.0.0.1',
      '128.0.0.1',
    ]) {
      assert.equal(isLoopbackHost(h), false, h);
    }
  });

  it('checks bearer tokens exactly', () => {
    const check = bearerChecker('s3cret-token-abcdefgh');
    assert.equal(check('Bearer s3cret-token-abcdefgh'), true);
    assert.equal(check('bearer s3cret-token-abcdefgh'), true, 'the scheme is case-insensitive');
    assert.equal(check(undefined), false);
    assert.equal(check(''), false);
    assert.equal(check('Bearer '), false);
    assert.equal(check('Bearer s3cret-token-abcdefg'), false, 'prefix');
    assert.equal(check('Bearer s3cret-token-abcdefghX'), false, 'longer');
    assert.equal(check('Basic s3cret-token-abcdefgh'), false, 'scheme');
    assert.equal(check('s3cret-token-abcdefgh'), false, 'no scheme');
    assert.equal(bearerChecker(undefined)(undefined), true, 'no token configured: open');
  });
});

describe('admin listener without a token', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('serves every route on loopback without credentials', async () => {
    assert.match(h.admin.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(h.admin.port > 0);
    for (const path of ['/healthz', '/readyz', '/metrics', '/admin/endpoints']) {
      const res = await h.call(path);
      assert.equal(res.status, 200, path);
      await res.arrayBuffer();
    }
  });

  it('refuses to start on a non-loopback address without a token, before listening', async () => {
    const bus = new TelemetryBus();
    const pool = new Pool([], new ManualClock(), bus);
    // Count servers created during the attempts: the refusal must come before any socket exists.
    const original = http.createServer;
    let created = 0;
    http.createServer = ((...args: Parameters<typeof http.createServer>) => {
      created += 1;
      return original(...args);
    }) as typeof http.createServer;
    try {
      for (const host of ['0.0.0.0', '::', '192.0.2.10']) {
        await assert.rejects(
          startAdminServer({
            config: { enabled: true, host, port: 0, token: undefined },
            pool,
            metrics: { render: () => '' },
            isReady: () => true,
            logger: createLogger({ level: 'silent' }),
          }),
          (err: Error) => {
            assert.match(err.message, /non-loopback address .* requires admin\.token/);
            return true;
          },
          host,
        );
      }
    } finally {
      http.createServer = original;
    }
    assert.equal(created, 0);
  });

  it('starts on a non-loopback address when a token is set', async () => {
    const bus = new TelemetryBus();
    const admin = await startAdminServer({
      config: { enabled: true, host: '0.0.0.0', port: 0, token: TOKEN },
      pool: new Pool([], new ManualClock(), bus),
      metrics: { render: () => '' },
      isReady: () => true,
      logger: createLogger({ level: 'silent' }),
    });
    try {
      const res = await fetch(`http://127.0.0.1:${admin.port}/admin/endpoints`);
      assert.equal(res.status, 401);
      await res.arrayBuffer();
    } finally {
      await admin.close();
    }
  });
});

describe('admin listener with a token', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ token: TOKEN });
  });
  after(() => h.close());

  const guarded: Array<[string, string]> = [
    ['GET', '/metrics'],
    ['GET', '/admin/endpoints'],
    ['GET', '/admin/info'],
    ['POST', '/admin/endpoints'],
    ['GET', '/admin/endpoints/gpu-1'],
    ['DELETE', '/admin/endpoints/gpu-1'],
    ['PATCH', '/admin/endpoints/gpu-1'],
    ['POST', '/admin/endpoints/gpu-1/drain'],
    ['POST', '/admin/endpoints/gpu-1/enable'],
    ['GET', '/no/such/route'],
  ];

  it('answers 401 in the OpenAI shape without a token or with a wrong one, and changes nothing', async () => {
    for (const [method, path] of guarded) {
      for (const authorization of [
        undefined,
        'Bearer wrong-token-0123456789',
        `Basic ${TOKEN}`,
        `Bearer ${TOKEN}x`,
      ]) {
        const headers: Record<string, string> = authorization ? { authorization } : {};
        const res = await h.call(path, {
          method,
          auth: false,
          headers,
          ...(method === 'GET' || method === 'DELETE' ? {} : { json: { weight: 5 } }),
        });
        assert.equal(res.status, 401, `${method} ${path} with ${authorization}`);
        assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="fulcrum-admin"');
        assert.equal(res.headers.get('access-control-allow-origin'), null);
        const body = await res.json();
        assert.deepEqual(body, {
          error: {
            message: 'Missing or invalid admin token.',
            type: 'authentication_error',
            param: null,
            code: 'unauthorized',
          },
        });
      }
    }
    assert.equal(h.pool.endpoints.length, 2, 'no endpoint was removed');
    assert.equal(h.pool.get('gpu-1')?.weight, 1, 'no weight was changed');
    assert.equal(h.pool.get('gpu-1')?.state.enabled, true, 'nothing was drained');
  });

  it('lets probes through without a token', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const res = await h.call(path, { auth: false });
      assert.equal(res.status, 200, path);
      await res.arrayBuffer();
    }
  });

  it('accepts the right token on every guarded route', async () => {
    const res = await h.call('/metrics');
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    const list = await h.call('/admin/endpoints');
    assert.equal(list.status, 200);
    assert.equal(((await list.json()) as { data: unknown[] }).data.length, 2);
    const missing = await h.call('/no/such/route');
    assert.equal(missing.status, 404, 'authorised callers see the real 404');
    await missing.arrayBuffer();
  });

  it('never reveals the token in responses or logs', async () => {
    const responses: string[] = [];
    for (const [method, path] of [...guarded, ['GET', '/healthz'] as [string, string]]) {
      for (const auth of [true, false]) {
        const res = await h.call(`${path}?token=${TOKEN}`, { method, auth });
        responses.push(JSON.stringify([...res.headers]) + (await res.text()));
      }
    }
    // The listener registers its token with the logger it was given: other components' lines are masked too.
    h.logger.error(`someone pasted the token ${TOKEN} into a message`, { nested: { value: TOKEN } });
    const all = responses.join('\n') + h.logs.join('');
    assert.ok(h.logs.length > 0, 'the listener did log');
    assert.ok(!all.includes(TOKEN), 'token leaked');
    assert.ok(!all.includes(TOKEN.slice(4)), 'token tail leaked');
  });
});
