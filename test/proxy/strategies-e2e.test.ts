/**
 * Every registered strategy balancing real OpenAI-compatible servers through the proxy, plus the features
 * that make hosted APIs work as endpoints (model rewrite, injected API key) and runtime changes through the
 * admin API.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { strategyNames } from '../../src/balancer/registry.js';
import { seededRandom } from '../../src/core/prng.js';
import { type Cluster, chat, startCluster } from '../support/cluster.js';
import { getJson, postJson } from '../support/http.js';

describe('strategies end to end', () => {
  let c: Cluster | undefined;
  afterEach(async () => {
    await c?.close();
    c = undefined;
  });

  for (const name of strategyNames()) {
    test(`${name}: spreads requests over three live endpoints`, async () => {
      // Seeded, so that the result cannot depend on luck (with Math.random, 60 uniform picks leave one of three
      // endpoints under 5 about once in 350,000 runs).
      c = await startCluster([{}, {}, {}], { strategy: { name } }, { random: seededRandom(60) });
      const counts = new Map<string, number>();
      for (let i = 0; i < 60; i++) {
        const res = await postJson(c.chatUrl, chat());
        assert.equal(res.status, 200);
        const backend = String(res.headers['x-fulcrum-backend']);
        counts.set(backend, (counts.get(backend) ?? 0) + 1);
      }
      if (name === 'ip-hash') {
        // One client address: ip-hash must be sticky.
        assert.equal(counts.size, 1, 'all requests from one client went to one endpoint');
      } else {
        assert.equal(counts.size, 3, `all endpoints used: ${JSON.stringify([...counts])}`);
        for (const n of counts.values())
          assert.ok(n >= 5, `no endpoint starved: ${JSON.stringify([...counts])}`);
      }
    });
  }

  test('ip-hash spreads different clients (via a trusted proxy) and keeps each one sticky', async () => {
    c = await startCluster([{}, {}, {}], {
      strategy: { name: 'ip-hash' },
      listen: { trustedProxies: ['127.0.0.1'] },
    });
    const seen = new Map<string, string>();
    for (let i = 0; i < 60; i++) {
      const ip = `10.0.${i % 30}.${(i * 7) % 250}`;
      const res = await postJson(c.chatUrl, chat(), { 'x-forwarded-for': ip });
      const backend = String(res.headers['x-fulcrum-backend']);
      if (seen.has(ip)) assert.equal(seen.get(ip), backend, 'sticky per client');
      seen.set(ip, backend);
    }
    assert.equal(new Set(seen.values()).size, 3);
  });

  test('weighted-round-robin follows weights 3:1', async () => {
    c = await startCluster([{}, {}], { strategy: { name: 'weighted-round-robin' } });
    c.fulcrum.pool.setWeight('a', 3);
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 40; i++) {
      const res = await postJson(c.chatUrl, chat());
      counts[String(res.headers['x-fulcrum-backend']) as 'a' | 'b'] += 1;
    }
    assert.deepEqual(counts, { a: 30, b: 10 });
  });

  test('model rewrite and API key injection for hosted endpoints', async () => {
    c = await startCluster([{}], {});
    c.fulcrum.pool.remove('a');
    c.fulcrum.pool.add({
      name: 'hosted',
      url: `${c.fakes[0]!.url}/v1`,
      apiKey: 'sk-upstream-secret-123456',
      models: ['gpt-4o-mini'],
      modelMap: { 'gpt-4o-mini': 'llama-3.1-8b' },
    });
    const res = await postJson(c.chatUrl, chat({ model: 'gpt-4o-mini' }), {
      authorization: 'Bearer client-key',
    });
    assert.equal(res.status, 200);
    const rec = c.fakes[0]!.requests.at(-1)!;
    assert.equal(rec.url, '/v1/chat/completions', 'a /v1 suffix on the endpoint URL is not doubled');
    assert.equal(JSON.parse(rec.body).model, 'llama-3.1-8b');
    assert.equal(rec.headers.authorization, 'Bearer sk-upstream-secret-123456');
    const models = await getJson(`${c.fulcrum.url}/v1/models`);
    assert.ok(models.text.includes('gpt-4o-mini'));
    assert.ok(!models.text.includes('sk-upstream'), 'the key never appears');
  });

  test('admin API: add, drain, re-enable and remove endpoints at runtime', async () => {
    c = await startCluster([{}, {}], { admin: { enabled: true, host: '127.0.0.1', port: 0 } });
    const admin = c.fulcrum.adminUrl!;
    const add = await postJson(`${admin}/admin/endpoints`, { name: 'c', url: c.fakes[1]!.url, weight: 1 });
    assert.equal(add.status, 201);
    const names = new Set<string>();
    for (let i = 0; i < 9; i++)
      names.add(String((await postJson(c.chatUrl, chat())).headers['x-fulcrum-backend']));
    assert.deepEqual([...names].sort(), ['a', 'b', 'c']);

    assert.equal((await postJson(`${admin}/admin/endpoints/a/drain`, {})).status, 200);
    for (let i = 0; i < 6; i++) {
      assert.notEqual((await postJson(c.chatUrl, chat())).headers['x-fulcrum-backend'], 'a');
    }
    assert.equal((await postJson(`${admin}/admin/endpoints/a/enable`, {})).status, 200);
    const del = await fetch(`${admin}/admin/endpoints/b`, { method: 'DELETE' });
    assert.equal(del.status, 200);
    const after = new Set<string>();
    for (let i = 0; i < 6; i++)
      after.add(String((await postJson(c.chatUrl, chat())).headers['x-fulcrum-backend']));
    assert.deepEqual([...after].sort(), ['a', 'c']);
  });
});
