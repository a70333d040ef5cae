/** The data plane's basic contract: routing, headers, local /v1/models, and validation errors (S23, S24). */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { type Cluster, chat, startCluster } from '../support/cluster.js';
import { getJson, postJson } from '../support/http.js';

describe('data plane basics', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster([{}, {}], { listen: { maxBodyBytes: 1024 * 1024 } });
  });
  after(() => c.close());

  test('non-streaming chat is proxied with Fulcrum headers', async () => {
    const res = await postJson(c.chatUrl, chat(), { 'x-request-id': 'req-abc' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-request-id'], 'req-abc');
    assert.equal(res.headers['x-fulcrum-attempts'], '1');
    const backend = res.headers['x-fulcrum-backend'];
    assert.ok(backend === 'a' || backend === 'b');
    assert.equal((res.json as { backend: string }).backend, backend);
    const seen = c.fakes.flatMap((f) => f.requests).find((r) => r.id === 'req-abc');
    assert.ok(seen, 'backend saw the propagated request id');
  });

  test('generates a request id when the client sends none or an invalid one', async () => {
    const res = await postJson(c.chatUrl, chat(), { 'x-request-id': 'bad id\twith spaces' });
    const id = res.headers['x-request-id'];
    assert.equal(typeof id, 'string');
    assert.notEqual(id, 'bad id\twith spaces');
    assert.match(id as string, /^[0-9a-f-]{36}$/);
  });

  test('round-robin alternates between the two endpoints', async () => {
    const names: string[] = [];
    for (let i = 0; i < 6; i++)
      names.push(String((await postJson(c.chatUrl, chat())).headers['x-fulcrum-backend']));
    for (let i = 1; i < names.length; i++) assert.notEqual(names[i], names[i - 1]);
  });

  test('/v1/models is answered locally with the union of discovered models', async () => {
    c.fakes[1]!.models = ['other-model'];
    const res = await getJson(`${c.fulcrum.url}/v1/models`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-fulcrum-backend'], 'fulcrum');
    const ids = (res.json as { data: Array<{ id: string }> }).data.map((m) => m.id);
    assert.ok(ids.includes('test-model'));
    const one = await getJson(`${c.fulcrum.url}/v1/models/test-model`);
    assert.equal(one.status, 200);
    assert.equal((one.json as { id: string }).id, 'test-model');
  });

  test('unknown model → 404 model_not_found, nothing forwarded', async () => {
    const before = c.fakes.reduce((n, f) => n + f.requests.length, 0);
    const res = await postJson(c.chatUrl, chat({ model: 'no-such-model' }));
    assert.equal(res.status, 404);
    const err = (res.json as { error: { code: string; type: string; param: string } }).error;
    assert.equal(err.code, 'model_not_found');
    assert.equal(err.type, 'invalid_request_error');
    assert.equal(err.param, 'model');
    assert.equal(
      c.fakes.reduce((n, f) => n + f.requests.length, 0),
      before,
    );
  });

  const badBodies: Array<[string, string, number, string]> = [
    ['truncated JSON', '{"model": "test-model", "messages": [', 400, 'invalid_json'],
    ['not an object', '[1,2,3]', 400, 'invalid_json'],
    ['empty body', '', 400, 'invalid_json'],
    ['missing model', JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }), 400, 'invalid_request'],
    ['stream is a string', JSON.stringify(chat({ stream: 'yes' })), 400, 'invalid_request'],
    ['messages not an array', JSON.stringify(chat({ messages: 'hello' })), 400, 'invalid_request'],
    [
      'deeply nested',
      `{"model":"test-model","messages":[{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}]}`,
      400,
      'invalid_json',
    ],
  ];
  for (const [name, body, status, code] of badBodies) {
    test(`bad input: ${name} → ${status} ${code}, nothing forwarded`, async () => {
      const before = c.fakes.reduce((n, f) => n + f.requests.length, 0);
      const res = await postJson(c.chatUrl, body);
      assert.equal(res.status, status);
      const err = (res.json as { error: { code: string; type: string; message: string } }).error;
      assert.equal(err.code, code);
      assert.equal(err.type, 'invalid_request_error');
      assert.ok(err.message.length > 0);
      assert.equal(
        c.fakes.reduce((n, f) => n + f.requests.length, 0),
        before,
      );
    });
  }

  test('wrong content type → 400', async () => {
    const res = await postJson(c.chatUrl, JSON.stringify(chat()), { 'content-type': 'text/plain' });
    assert.equal(res.status, 400);
  });

  test('S23: body over the limit → 413 before reading (Content-Length) and mid-stream (chunked)', async () => {
    const before = c.fakes.reduce((n, f) => n + f.requests.length, 0);
    const big = JSON.stringify(chat({ pad: 'x'.repeat(2 * 1024 * 1024) }));
    const res = await postJson(c.chatUrl, big);
    assert.equal(res.status, 413);
    assert.equal((res.json as { error: { code: string } }).error.code, 'payload_too_large');
    // Chunked: no Content-Length, the limit is crossed while reading.
    async function* chunks() {
      for (let i = 0; i < 40; i++) yield Buffer.alloc(64 * 1024, 0x20);
    }
    const res2 = await request(c.chatUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Readable.from(chunks()),
    }).catch((err: Error) => err);
    if (!(res2 instanceof Error)) {
      assert.equal(res2.statusCode, 413);
      await res2.body.text();
    }
    assert.equal(
      c.fakes.reduce((n, f) => n + f.requests.length, 0),
      before,
    );
  });

  test('unknown paths and methods are refused', async () => {
    assert.equal((await getJson(`${c.fulcrum.url}/admin/endpoints`)).status, 404);
    assert.equal((await getJson(`${c.fulcrum.url}//v1/chat/completions`)).status, 404);
    assert.equal((await getJson(`${c.fulcrum.url}/V1/models`)).status, 404);
    assert.equal((await getJson(`${c.fulcrum.url}/v1/../admin`)).status, 404);
    assert.equal((await getJson(`${c.fulcrum.url}/v1/%2e%2e/admin`)).status, 404);
    assert.equal((await getJson(c.chatUrl)).status, 405);
  });

  test('other /v1/* paths pass through', async () => {
    const res = await getJson(`${c.fulcrum.url}/v1/files?limit=2`);
    assert.equal(res.status, 200);
    const rec = c.fakes.flatMap((f) => f.requests).find((r) => r.url === '/v1/files?limit=2');
    assert.ok(rec, 'the query string was forwarded');
  });
});
