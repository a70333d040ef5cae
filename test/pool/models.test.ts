/**
 * Model discovery against real `node:http` servers on port 0: lists appear in the pool, declared models
 * are never queried, bad or oversized bodies and errors keep the previous list, refresh and runtime adds.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { healthSchema } from '../../src/config/schema.js';
import { systemClock } from '../../src/core/clock.js';
import { ModelDiscovery, parseModelList } from '../../src/pool/health/models.js';
import { Pool } from '../../src/pool/pool.js';
import { TelemetryBus } from '../../src/telemetry/events.js';
import { startServer, waitFor } from './support.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** An upstream whose `/v1/models` answer the test sets (status + raw body). */
async function upstream() {
  const s = {
    status: 200,
    body: JSON.stringify({ object: 'list', data: [{ id: 'llama', object: 'model', owned_by: 'vllm' }] }),
    hits: 0,
    /** Send without Content-Length (chunked), so only the streaming size check can catch a big body. */
    chunked: false,
    auth: [] as (string | undefined)[],
    url: '',
  };
  const server = await startServer((req, res) => {
    if (req.url !== '/v1/models') return void res.writeHead(404).end();
    s.hits += 1;
    s.auth.push(req.headers.authorization);
    res.writeHead(s.status, { 'content-type': 'application/json' });
    if (!s.chunked) return void res.end(s.body);
    for (let i = 0; i < s.body.length; i += 1_000) res.write(s.body.slice(i, i + 1_000));
    res.end();
  });
  s.url = server.url;
  cleanups.push(() => server.close());
  return s;
}

function setup(
  endpoints: { name: string; url: string; models?: string[]; apiKey?: string }[],
  modelRefreshMs = 0,
  maxBodyBytes?: number,
) {
  const pool = new Pool(endpoints, systemClock, new TelemetryBus());
  const config = healthSchema.parse({ active: { timeoutMs: 1_000 }, modelRefreshMs });
  const discovery = new ModelDiscovery(pool, config, maxBodyBytes ? { maxBodyBytes } : {});
  cleanups.push(() => discovery.stop());
  const models = (name: string) => {
    const m = pool.get(name)?.state.discoveredModels;
    return m ? [...m].sort() : undefined;
  };
  return { pool, discovery, models };
}

describe('ModelDiscovery', () => {
  it('discovers models at start and the pool routes by them', async () => {
    const u = await upstream();
    u.body = JSON.stringify({ data: [{ id: 'b-model' }, { id: 'a-model' }] });
    const t = setup([{ name: 'u', url: `${u.url}/v1`, apiKey: 'sk-up' }]);
    assert.equal(t.pool.eligible('anything').length, 1, 'unknown list: serves anything until discovered');
    await t.discovery.discoverNow();
    assert.deepEqual(t.models('u'), ['a-model', 'b-model']);
    assert.deepEqual(t.pool.models(), ['a-model', 'b-model']);
    assert.equal(t.pool.eligible('a-model').length, 1);
    assert.equal(t.pool.eligible('anything').length, 0);
    assert.deepEqual(u.auth, ['Bearer sk-up']);
    assert.equal(t.discovery.lastError('u'), undefined);
  });

  it('never queries endpoints with declared models', async () => {
    const u = await upstream();
    const t = setup([{ name: 'd', url: u.url, models: ['declared'] }]);
    await t.discovery.discoverNow();
    assert.equal(u.hits, 0);
    assert.equal(t.models('d'), undefined);
  });

  it('keeps the previous list when the answer is bad, and says why', async () => {
    const u = await upstream();
    const t = setup([{ name: 'u', url: u.url }], 0, 4_096);
    await t.discovery.discoverNow();
    assert.deepEqual(t.models('u'), ['llama']);

    const bad: [number, string, RegExp][] = [
      [200, '{"data": "nope"}', /not an OpenAI model list/],
      [200, '{"data": [{"id": 42}]}', /not an OpenAI model list/],
      [200, '{"data": [{"id": "x"}', /not JSON/],
      [200, 'null', /not an OpenAI model list/],
      [500, '{"data": [{"id": "from-an-error-page"}]}', /status 500/],
      [200, JSON.stringify({ data: [{ id: 'x'.repeat(200) }], pad: 'y'.repeat(8_000) }), /larger than 4096/],
    ];
    for (const [status, body, why] of bad) {
      u.status = status;
      u.body = body;
      const hits = u.hits;
      await t.discovery.discoverNow();
      assert.equal(u.hits, hits + 1);
      assert.deepEqual(t.models('u'), ['llama'], `kept after ${status} ${body.slice(0, 30)}`);
      assert.match(t.discovery.lastError('u') ?? '', why);
    }
    u.status = 200;
    u.body = JSON.stringify({ data: [] });
    await t.discovery.discoverNow();
    assert.deepEqual(t.models('u'), [], 'an empty list is a valid answer');
    assert.equal(t.discovery.lastError('u'), undefined);
  });

  it('refuses a body beyond the 1 MiB default, with or without Content-Length', async () => {
    const u = await upstream();
    u.body = JSON.stringify({ data: [{ id: 'big' }], pad: 'z'.repeat(2 * 1024 * 1024) });
    const t = setup([{ name: 'u', url: u.url }]);
    for (const chunked of [false, true]) {
      u.chunked = chunked;
      await t.discovery.discoverNow();
      assert.equal(t.models('u'), undefined);
      assert.match(t.discovery.lastError('u') ?? '', /larger than 1048576/, `chunked: ${chunked}`);
    }
    u.chunked = true;
    u.body = JSON.stringify({ data: [{ id: 'chunked-ok' }], pad: 'z'.repeat(100_000) });
    await t.discovery.discoverNow();
    assert.deepEqual(t.models('u'), ['chunked-ok'], 'a chunked body under the limit is read whole');
  });

  it('a failure before any success leaves the endpoint serving any model', async () => {
    const u = await upstream();
    u.status = 503;
    const t = setup([{ name: 'u', url: u.url }]);
    await t.discovery.discoverNow();
    assert.equal(t.models('u'), undefined);
    assert.equal(t.pool.eligible('whatever').length, 1);
  });

  it('refreshes every modelRefreshMs', async () => {
    const u = await upstream();
    const t = setup([{ name: 'u', url: u.url }], 50);
    await t.discovery.discoverNow();
    t.discovery.start();
    u.body = JSON.stringify({ data: [{ id: 'new-model' }] });
    await waitFor(() => t.models('u')?.[0] === 'new-model', 'refreshed list');
  });

  it('start() alone queries the endpoints that discoverNow() has not covered', async () => {
    const u = await upstream();
    const t = setup([{ name: 'u', url: u.url }], 0);
    t.discovery.start();
    await waitFor(() => t.models('u') !== undefined, 'u discovered');
    assert.equal(u.hits, 1);
  });

  it('queries endpoints added at runtime at once, even with refresh off', async () => {
    const u = await upstream();
    const v = await upstream();
    v.body = JSON.stringify({ data: [{ id: 'v-model' }] });
    const t = setup([{ name: 'u', url: u.url }], 0);
    t.discovery.start();
    await t.discovery.discoverNow();
    t.pool.add({ name: 'v', url: v.url });
    await waitFor(() => t.models('v') !== undefined, 'v discovered');
    assert.deepEqual(t.models('v'), ['v-model']);
    t.pool.setWeight('v', 3); // same endpoint, new snapshot: not queried again
    assert.equal(v.hits, 1);
    assert.equal(u.hits, 1);
  });
});

describe('parseModelList', () => {
  it('accepts the OpenAI shape, ignores extra fields, rejects others', () => {
    const ok = parseModelList(
      Buffer.from('{"object":"list","data":[{"id":"a","x":1},{"id":"a"},{"id":"b"}]}'),
    );
    assert.ok('ids' in ok);
    assert.deepEqual([...ok.ids], ['a', 'b']);
    for (const body of ['[]', '{}', '{"data":[{}]}', '{"data":[{"id":""}]}', '', '{"models":["a"]}']) {
      assert.ok('error' in parseModelList(Buffer.from(body)), body);
    }
  });
});
