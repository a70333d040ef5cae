/**
 * S35 (path subset; there are no API keys yet) — path and method confusion. A variant of an API path is
 * either exactly that route or refused (404/405); it is never forwarded as something else, and the upstream
 * always receives the method and path Fulcrum routed. Routes match exact, un-normalised paths
 * (src/server/routes.ts), so `//v1`, dot segments, encoded dots, case and `;params` all get 404. Other `/v1/*`
 * paths pass through, but not a case variant of a route Fulcrum owns (`/v1/Chat/Completions` used to pass
 * through un-validated to upstreams that match paths case-insensitively).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Cluster, chat, startCluster } from '../support/cluster.js';
import { rawExchange } from '../support/http.js';
import { assertHealthy, forwarded, parseResponses, portOf, rawRequest } from './support.js';

const BODY = JSON.stringify(chat());

/** Variants of POST /v1/chat/completions that must not be served as anything. */
const REFUSED: Array<[string, number]> = [
  ['//v1/chat/completions', 404],
  ['/v1//chat/completions', 404],
  ['/v1/./chat/completions', 404],
  ['/v1/../v1/chat/completions', 404],
  ['/v1/%2e%2e/admin', 404],
  ['/%2e%2e/admin', 404],
  ['/v1/files/..%2f..%2fadmin', 404],
  ['/V1/chat/completions', 404],
  ['/v1/Chat/Completions', 404],
  ['/v1/EMBEDDINGS', 404],
  ['/v1/Models/test-model', 404],
  ['/v1/chat/completions/', 404],
  ['/v1/chat/completions;param', 404],
  ['/v1/chat;x/completions', 404],
  ['/v1/chat%2Fcompletions', 404],
  ['/v1/%63hat/completions', 404],
  ['/v1\\chat\\completions', 404],
  ['/v1/chat/completions%00', 404],
  ['http://evil.test/v1/chat/completions', 404],
  ['*', 404],
];

describe('S35 path matrix', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster([{}]);
  });
  after(() => c.close());

  async function exchange(bytes: string): Promise<{ statuses: number[]; forwarded: number }> {
    const before = forwarded(c);
    const r = await rawExchange(portOf(c), bytes);
    return { statuses: parseResponses(r.data).map((x) => x.status), forwarded: forwarded(c) - before };
  }

  for (const [target, status] of REFUSED) {
    test(`POST ${target} → ${status}, not forwarded`, async () => {
      const r = await exchange(rawRequest('POST', target, { body: BODY, headers: ['Connection: close'] }));
      assert.deepEqual(r, { statuses: [status], forwarded: 0 });
    });
  }

  test('a query string keeps the exact route (forwarded as /v1/chat/completions)', async () => {
    const before = c.fakes[0]!.requests.length;
    const r = await exchange(
      rawRequest('POST', '/v1/chat/completions?x=1', { body: BODY, headers: ['Connection: close'] }),
    );
    assert.deepEqual(r, { statuses: [200], forwarded: 1 });
    assert.equal(c.fakes[0]!.requests[before]!.url, '/v1/chat/completions?x=1');
  });

  test('X-HTTP-Method-Override does not change what the upstream runs', async () => {
    const before = c.fakes[0]!.requests.length;
    for (const name of ['X-HTTP-Method-Override', 'X-HTTP-Method', 'X-Method-Override']) {
      const r = await exchange(
        rawRequest('POST', '/v1/files', { body: '{}', headers: [`${name}: DELETE`, 'Connection: close'] }),
      );
      assert.deepEqual(r, { statuses: [200], forwarded: 1 });
    }
    for (const seen of c.fakes[0]!.requests.slice(before)) {
      assert.equal(seen.method, 'POST');
      assert.equal(seen.url, '/v1/files');
      assert.deepEqual(
        Object.keys(seen.headers).filter((n) => n.includes('method')),
        [],
      );
    }
  });

  const methods: Array<[string, string, number]> = [
    ['HEAD', '/v1/chat/completions', 405],
    ['OPTIONS', '/v1/chat/completions', 405],
    ['GET', '/v1/chat/completions', 405],
    ['PUT', '/v1/chat/completions', 405],
    ['HEAD', '/v1/models', 405],
    ['OPTIONS', '/v1/files', 405],
    ['TRACE', '/v1/files', 405],
    ['PATCH', '/v1/files', 405],
  ];
  for (const [method, target, status] of methods) {
    test(`${method} ${target} → ${status}, not forwarded`, async () => {
      const before = forwarded(c);
      // Status line only: a HEAD answer has a Content-Length but no body.
      const r = await rawExchange(portOf(c), rawRequest(method, target, { headers: ['Connection: close'] }));
      assert.match(r.data, new RegExp(`^HTTP/1\\.1 ${status} `));
      assert.equal(forwarded(c) - before, 0);
    });
  }

  test('CONNECT and an unknown method close the connection without a crash', async () => {
    const before = forwarded(c);
    const connect = await rawExchange(
      portOf(c),
      'CONNECT evil.test:443 HTTP/1.1\r\nHost: evil.test:443\r\n\r\n',
    );
    assert.equal(connect.closed, true);
    assert.doesNotMatch(connect.data, /^HTTP\/1\.1 2/);
    const bogus = await rawExchange(portOf(c), 'BREW /v1/files HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(bogus.data, /^HTTP\/1\.1 400 /);
    assert.equal(forwarded(c) - before, 0);
  });

  test('post-conditions', async () => {
    await assertHealthy(c);
  });
});
