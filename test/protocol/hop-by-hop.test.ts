/**
 * S27 — hop-by-hop headers are stripped in both directions (RFC 9110 §7.6.1), including any header named by
 * `Connection`; an endpoint's `apiKey` replaces the client's `Authorization`. Raw sockets on the client side,
 * since HTTP clients refuse to send most of these headers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type FulcrumHandle, startFulcrum } from '../../src/server/fulcrum.js';
import { chat } from '../support/cluster.js';
import { type FakeLlm, startFakeLlm } from '../support/fake-llm.js';
import { rawExchange, waitFor } from '../support/http.js';
import { parseResponses, rawRequest } from './support.js';

const CLIENT_HOP_BY_HOP = [
  'Connection: keep-alive, X-Secret',
  'X-Secret: 1',
  'Keep-Alive: timeout=30',
  'TE: trailers',
  'Upgrade: h2c',
  'Proxy-Authorization: Basic c2VjcmV0',
  'Proxy-Connection: keep-alive',
  'Trailer: X-Checksum',
];
const STRIPPED_UPSTREAM = [
  'connection',
  'x-secret',
  'keep-alive',
  'te',
  'upgrade',
  'proxy-authorization',
  'proxy-connection',
  'trailer',
  'transfer-encoding',
];

describe('S27 hop-by-hop headers', () => {
  let plain: FakeLlm;
  let keyed: FakeLlm;
  let fulcrum: FulcrumHandle;
  let port: number;
  before(async () => {
    const responseHeaders = {
      Connection: 'X-Foo',
      'X-Foo': 'bar',
      'Keep-Alive': 'timeout=1',
      Upgrade: 'h2c',
      'Proxy-Authenticate': 'Basic',
      'X-Kept': 'yes',
    };
    plain = await startFakeLlm('plain', { headers: responseHeaders });
    keyed = await startFakeLlm('keyed', { headers: responseHeaders });
    fulcrum = await startFulcrum({
      listen: { host: '127.0.0.1', port: 0 },
      admin: { enabled: false },
      logging: { level: 'silent' },
      health: { active: { enabled: false } },
      endpoints: [
        { name: 'plain', url: plain.url, models: ['plain-model'] },
        { name: 'keyed', url: keyed.url, models: ['keyed-model'], apiKey: 'sk-upstream-key' },
      ],
    });
    port = Number(new URL(fulcrum.url).port);
  });
  after(async () => {
    await fulcrum.close();
    await Promise.all([plain.close(), keyed.close()]);
  });

  async function send(model: string, stream: boolean, extra: string[] = []) {
    const body = JSON.stringify(chat({ model, stream }));
    const r = await rawExchange(
      port,
      rawRequest('POST', '/v1/chat/completions', {
        body,
        headers: [...CLIENT_HOP_BY_HOP, ...extra, 'Authorization: Bearer client-key'],
      }) + rawRequest('GET', '/v1/models', { headers: ['Connection: close'] }),
    );
    return parseResponses(r.data);
  }

  for (const stream of [false, true]) {
    test(`${stream ? 'streaming' : 'non-streaming'}: none cross in either direction`, async () => {
      const before = plain.requests.length;
      const responses = await send('plain-model', stream);
      // The second (pipelined) response proves the connection survived the client's hop-by-hop headers.
      assert.deepEqual(
        responses.map((r) => r.status),
        [200, 200],
      );
      const seen = plain.requests.slice(before);
      assert.equal(seen.length, 1);
      const upstream = seen[0]!.headers;
      for (const name of STRIPPED_UPSTREAM) {
        // Node's HTTP client adds its own `connection: keep-alive` for the pooled upstream connection.
        if (name === 'connection')
          assert.ok(upstream.connection === undefined || upstream.connection === 'keep-alive');
        else assert.equal(upstream[name], undefined, `upstream saw ${name}`);
      }
      assert.equal(
        upstream.authorization,
        'Bearer client-key',
        "without an apiKey the client's goes through",
      );

      const down = responses[0]!;
      assert.equal(down.headers['x-kept'], 'yes', 'ordinary response headers pass');
      assert.equal(down.headers['x-foo'], undefined, 'a header named by the upstream Connection is dropped');
      assert.equal(down.headers.upgrade, undefined);
      assert.equal(down.headers['proxy-authenticate'], undefined);
      // Connection/Keep-Alive the client sees are Fulcrum's own for this connection, not the upstream's.
      assert.equal(down.headers.connection, 'keep-alive');
      assert.notEqual(down.headers['keep-alive'], 'timeout=1');
      const keepAlives = down.headerLines.filter((l) => /^keep-alive:/i.test(l));
      assert.ok(keepAlives.length <= 1, keepAlives.join(' | '));
      if (stream) assert.ok(down.body.includes('data: [DONE]'));
      else assert.equal((JSON.parse(down.body) as { backend: string }).backend, 'plain');
    });
  }

  test("an endpoint apiKey replaces the client's Authorization", async () => {
    const before = keyed.requests.length;
    const responses = await send('keyed-model', false, ['X-Api-Key-Hint: none']);
    assert.equal(responses[0]!.status, 200);
    const upstream = keyed.requests.slice(before)[0]!.headers;
    assert.equal(upstream.authorization, 'Bearer sk-upstream-key');
    assert.equal(upstream['proxy-authorization'], undefined);
    assert.doesNotMatch(JSON.stringify(keyed.requests.slice(before)[0]!.headers), /client-key/);
  });

  test('post-conditions', async () => {
    const r = await rawExchange(
      port,
      rawRequest('POST', '/v1/chat/completions', {
        body: JSON.stringify(chat({ model: 'plain-model' })),
        headers: ['Connection: close'],
      }),
    );
    assert.equal(parseResponses(r.data)[0]?.status, 200);
    await waitFor(() => fulcrum.activeRequests() === 0, 2_000, 'activeRequests() back to 0');
    await waitFor(() => fulcrum.pool.endpoints.every((e) => e.state.inflight === 0), 2_000, 'inflight 0');
  });
});
