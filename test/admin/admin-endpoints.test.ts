import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ADMIN_MAX_BODY_BYTES } from '../../src/server/admin.js';
import { DEFAULT_SPECS, type Harness, SECRET_KEY, startHarness, TOKEN } from './harness.js';

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string };
}

async function errorOf(res: Response): Promise<ErrorBody['error']> {
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const body = (await res.json()) as ErrorBody;
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
  return body.error;
}

describe('admin endpoint API', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ token: TOKEN });
  });
  after(() => h.close());
  beforeEach(() => {
    // Every test starts from the same two endpoints in their default state.
    h.pool.replaceAll(DEFAULT_SPECS);
    for (const e of h.pool.endpoints) h.pool.setEnabled(e.name, true);
  });

  it('GET /admin/endpoints lists state and load, never the apiKey', async () => {
    h.pool.track(h.pool.get('gpu-2')!);
    const res = await h.call('/admin/endpoints');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const text = await res.text();
    assert.ok(!text.includes(SECRET_KEY), 'apiKey leaked');
    assert.ok(!text.includes('CANARY'), 'apiKey fragment leaked');
    const { data } = JSON.parse(text) as { data: Array<Record<string, unknown>> };
    assert.deepEqual(
      data.map((e) => e.name),
      ['gpu-1', 'gpu-2'],
    );
    assert.equal(data[0]!.hasApiKey, true);
    assert.equal(data[0]!.apiKey, undefined);
    assert.equal(data[1]!.url, 'http://127.0.0.1:8002', '/v1 suffix normalised away');
    assert.equal(data[1]!.weight, 2);
    assert.equal(data[1]!.inflight, 1);
    assert.equal(data[1]!.healthy, true);
    assert.equal(data[1]!.enabled, true);
    h.pool.untrack(h.pool.get('gpu-2')!);
  });

  it('GET /admin/endpoints/:name shows one endpoint or 404s', async () => {
    const ok = await h.call('/admin/endpoints/gpu-1');
    assert.equal(ok.status, 200);
    const text = await ok.text();
    assert.equal(JSON.parse(text).name, 'gpu-1');
    assert.ok(!text.includes(SECRET_KEY));
    const missing = await h.call('/admin/endpoints/nope');
    assert.equal(missing.status, 404);
    const err = await errorOf(missing);
    assert.equal(err.code, 'not_found');
    assert.match(err.message, /No endpoint named "nope"/);
  });

  it('POST /admin/endpoints adds an endpoint to the live pool (201)', async () => {
    const res = await h.call('/admin/endpoints', {
      method: 'POST',
      json: {
        name: 'gpu-3',
        url: 'http://127.0.0.1:8003',
        weight: 4,
        models: ['qwen'],
        apiKey: 'sk-new-CANARYkey123456',
      },
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('location'), '/admin/endpoints/gpu-3');
    const text = await res.text();
    assert.ok(!text.includes('sk-new-CANARYkey123456'), 'the new apiKey is not echoed');
    const body = JSON.parse(text);
    assert.equal(body.name, 'gpu-3');
    assert.equal(body.weight, 4);
    const e = h.pool.get('gpu-3');
    assert.ok(e, 'endpoint is in the pool');
    assert.equal(e.apiKey, 'sk-new-CANARYkey123456', 'the pool has the credential');
    assert.deepEqual(
      h.pool.eligible('qwen').map((x) => x.name),
      ['gpu-2', 'gpu-3'],
    );
    assert.ok(!h.logs.join('').includes('sk-new-CANARYkey123456'));
  });

  it('POST defaults the weight from the schema', async () => {
    const res = await h.call('/admin/endpoints', {
      method: 'POST',
      json: { name: 'plain', url: 'https://api.example.com' },
    });
    assert.equal(res.status, 201);
    await res.arrayBuffer();
    assert.equal(h.pool.get('plain')?.weight, 1);
  });

  it('POST rejects bad input with a precise 400 and leaves the pool alone', async () => {
    const cases: Array<[unknown, RegExp, string | null]> = [
      [{ name: 'x', url: 'http://h', colour: 'red' }, /Unrecognized key: "colour"/, 'colour'],
      [{ name: 'x', url: 'ftp://h' }, /url: must be an http:\/\/ or https:\/\/ URL/, 'url'],
      [{ name: 'x', url: 'not a url' }, /url: must be an http/, 'url'],
      [{ name: 'bad name!', url: 'http://h' }, /name: use letters, digits/, 'name'],
      [{ name: 'x', url: 'http://h', weight: 0 }, /weight: Too small/, 'weight'],
      [{ url: 'http://h' }, /name: Invalid input: expected string/, 'name'],
      [[1, 2], /expected object/, null],
    ];
    for (const [json, message, param] of cases) {
      const res = await h.call('/admin/endpoints', { method: 'POST', json });
      assert.equal(res.status, 400, JSON.stringify(json));
      const err = await errorOf(res);
      assert.equal(err.code, 'invalid_request');
      assert.equal(err.type, 'invalid_request_error');
      assert.match(err.message, message);
      assert.equal(err.param, param);
    }
    const res = await h.call('/admin/endpoints', {
      method: 'POST',
      json: { name: 'x', url: 'http://h', apiKey: 12345678901234 },
    });
    const err = await errorOf(res);
    assert.ok(!err.message.includes('12345678901234'), 'input values are not echoed');
    assert.equal(h.pool.endpoints.length, 2);
  });

  it('POST rejects malformed JSON (400), wrong content type (415) and oversized bodies (413)', async () => {
    const bad = await h.call('/admin/endpoints', {
      method: 'POST',
      body: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(bad.status, 400);
    assert.equal((await errorOf(bad)).code, 'invalid_json');

    const form = await h.call('/admin/endpoints', {
      method: 'POST',
      body: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(form.status, 415);
    assert.equal((await errorOf(form)).code, 'unsupported_media_type');

    const huge = JSON.stringify({ name: 'big', url: 'http://h', models: ['m'.repeat(ADMIN_MAX_BODY_BYTES)] });
    const big = await h.call('/admin/endpoints', {
      method: 'POST',
      body: huge,
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(big.status, 413);
    assert.equal((await errorOf(big)).code, 'payload_too_large');
    assert.equal(h.pool.get('big'), undefined);
  });

  it('a streamed body without Content-Length is still capped at 64 KiB', async () => {
    const url = new URL('/admin/endpoints', h.admin.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      // Chunked: the server cannot know the size up front and must count as it reads.
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      let sent = 0;
      const pump = (): void => {
        while (sent < 10 && req.write(chunk)) sent += 1;
        if (sent < 10) req.once('drain', pump);
        else req.end();
      };
      pump();
    });
    assert.equal(status, 413);
  });

  it('POST with an existing name is a 409', async () => {
    const res = await h.call('/admin/endpoints', {
      method: 'POST',
      json: { name: 'gpu-1', url: 'http://127.0.0.1:9' },
    });
    assert.equal(res.status, 409);
    const err = await errorOf(res);
    assert.match(err.message, /already exists/);
    assert.equal(err.param, 'name');
    assert.equal(h.pool.get('gpu-1')?.url, 'http://127.0.0.1:8001', 'the existing endpoint is untouched');
  });

  it('DELETE removes an endpoint (200) or 404s', async () => {
    const res = await h.call('/admin/endpoints/gpu-1', { method: 'DELETE' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { name: 'gpu-1', deleted: true });
    assert.equal(h.pool.get('gpu-1'), undefined);
    assert.deepEqual(
      h.pool.eligible('llama').map((e) => e.name),
      ['gpu-2'],
    );
    const again = await h.call('/admin/endpoints/gpu-1', { method: 'DELETE' });
    assert.equal(again.status, 404);
    assert.equal((await errorOf(again)).code, 'not_found');
  });

  it('drain and enable flip operator intent in the pool and return the new state', async () => {
    const drained = await h.call('/admin/endpoints/gpu-2/drain', { method: 'POST' });
    assert.equal(drained.status, 200);
    assert.equal(((await drained.json()) as { enabled: boolean }).enabled, false);
    assert.equal(h.pool.get('gpu-2')?.state.enabled, false);
    assert.deepEqual(
      h.pool.eligible('llama').map((e) => e.name),
      ['gpu-1'],
    );
    const enabled = await h.call('/admin/endpoints/gpu-2/enable', { method: 'POST' });
    assert.equal(enabled.status, 200);
    assert.equal(((await enabled.json()) as { enabled: boolean }).enabled, true);
    assert.equal(h.pool.get('gpu-2')?.state.enabled, true);
    const missing = await h.call('/admin/endpoints/ghost/drain', { method: 'POST' });
    assert.equal(missing.status, 404);
    await missing.arrayBuffer();
  });

  it('PATCH changes the weight (200) and validates it (400)', async () => {
    const res = await h.call('/admin/endpoints/gpu-1', { method: 'PATCH', json: { weight: 9 } });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { weight: number }).weight, 9);
    assert.equal(h.pool.get('gpu-1')?.weight, 9);
    assert.equal(h.pool.get('gpu-1')?.apiKey, SECRET_KEY, 'the credential survives the rebuild');
    for (const json of [{}, { weight: 0 }, { weight: 1.5 }, { weight: 'heavy' }, { weight: 2, name: 'x' }]) {
      const bad = await h.call('/admin/endpoints/gpu-1', { method: 'PATCH', json });
      assert.equal(bad.status, 400, JSON.stringify(json));
      assert.equal((await errorOf(bad)).code, 'invalid_request');
    }
    assert.equal(h.pool.get('gpu-1')?.weight, 9);
    const missing = await h.call('/admin/endpoints/ghost', { method: 'PATCH', json: { weight: 2 } });
    assert.equal(missing.status, 404);
    await missing.arrayBuffer();
  });

  it('runtime changes show up in /metrics at the next scrape', async () => {
    await (await h.call('/admin/endpoints/gpu-1', { method: 'PATCH', json: { weight: 5 } })).arrayBuffer();
    await (await h.call('/admin/endpoints/gpu-2/drain', { method: 'POST' })).arrayBuffer();
    const text = await (await h.call('/metrics')).text();
    assert.match(text, /^fulcrum_endpoint_weight\{endpoint="gpu-1"\} 5$/m);
    assert.match(text, /^fulcrum_endpoint_enabled\{endpoint="gpu-2"\} 0$/m);
  });

  it('unknown routes are 404 and wrong methods 405 with Allow, in the OpenAI shape', async () => {
    const nf = await h.call('/admin/nothing');
    assert.equal(nf.status, 404);
    assert.equal((await errorOf(nf)).code, 'not_found');
    const cases: Array<[string, string, string]> = [
      ['PUT', '/admin/endpoints', 'GET, POST, HEAD'],
      ['POST', '/metrics', 'GET, HEAD'],
      ['GET', '/admin/endpoints/gpu-1/drain', 'POST'],
      ['POST', '/admin/endpoints/gpu-1', 'GET, DELETE, PATCH, HEAD'],
      ['OPTIONS', '/admin/endpoints', 'GET, POST, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await h.call(path, { method });
      assert.equal(res.status, 405, `${method} ${path}`);
      assert.equal(res.headers.get('allow'), allow);
      assert.equal(res.headers.get('access-control-allow-origin'), null, 'no CORS, even on preflight');
      assert.equal((await errorOf(res)).code, 'method_not_allowed');
    }
  });

  it('rejects malformed percent-encoding in a name', async () => {
    const res = await h.call('/admin/endpoints/%E0%A4%A');
    assert.equal(res.status, 400);
    assert.equal((await errorOf(res)).code, 'invalid_request');
  });

  it('sends no CORS headers on any answer', async () => {
    const res = await h.call('/admin/endpoints', { headers: { origin: 'https://evil.example' } });
    for (const [name] of res.headers) assert.ok(!name.startsWith('access-control-'), name);
    await res.arrayBuffer();
  });
});
