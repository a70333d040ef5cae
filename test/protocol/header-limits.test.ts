/**
 * S30 — header size and count limits, URL length, and the underscore-header policy.
 *
 * - Head larger than `listen.maxHeaderBytes` (16 KiB default): 431.
 * - More than `MAX_REQUEST_HEADERS` (100) fields: 431. (node:http alone would accept 2,000 short headers,
 *   which fit in 16 KiB, and silently drop any beyond `maxHeadersCount`.)
 * - Request target over `MAX_URL_BYTES` (8 KiB): 414.
 * All three are the data plane's request parser (src/server/h1/request-parser.ts).
 * - Header names with `_`: dropped before the upstream (NGINX's default). CGI/WSGI servers map `-` and `_` to
 *   the same variable, so `X_Forwarded_For` could impersonate the `X-Forwarded-For` Fulcrum writes. We keep
 *   the request (Envoy's REJECT_REQUEST would break clients that send harmless ones).
 * Every rejection closes the connection and nothing reaches a backend.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_REQUEST_HEADERS, MAX_URL_BYTES } from '../../src/server/request-limits.js';
import { type Cluster, chat, startCluster } from '../support/cluster.js';
import { rawExchange } from '../support/http.js';
import { assertHealthy, forwarded, parseResponses, portOf, rawRequest } from './support.js';

const BODY = JSON.stringify(chat());
/** Fields `rawRequest` writes itself for a body: Host, Content-Type, Content-Length. */
const OWN_FIELDS = 3;

function chatWith(headers: string[], target = '/v1/chat/completions'): string {
  return rawRequest('POST', target, { body: BODY, headers });
}

function filler(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `x-h${i}: v`);
}

describe('S30 header limits', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster([{}]);
  });
  after(() => c.close());

  async function expectRejected(bytes: string, status: number): Promise<void> {
    const before = forwarded(c);
    const r = await rawExchange(portOf(c), bytes + rawRequest('GET', '/v1/files?after=1'));
    const responses = parseResponses(r.data);
    assert.deepEqual(
      responses.map((x) => x.status),
      [status],
      r.data.slice(0, 200),
    );
    assert.equal(responses[0]!.headers.connection, 'close');
    assert.equal(
      (JSON.parse(responses[0]!.body) as { error: { type: string } }).error.type,
      'invalid_request_error',
    );
    assert.equal(r.closed, true);
    assert.equal(forwarded(c) - before, 0, 'backend received nothing');
  }

  async function expectServed(bytes: string): Promise<void> {
    const r = await rawExchange(portOf(c), bytes);
    assert.deepEqual(
      parseResponses(r.data).map((x) => x.status),
      [200],
    );
  }

  test('a 64 KiB header → 431', async () => {
    await expectRejected(chatWith([`x-big: ${'a'.repeat(64 * 1024)}`]), 431);
  });

  test('2,000 small headers (under the byte limit) → 431', async () => {
    await expectRejected(chatWith(Array.from({ length: 2_000 }, () => 'a: v')), 431);
  });

  test(`exactly ${MAX_REQUEST_HEADERS} fields pass, one more → 431`, async () => {
    await expectServed(chatWith([...filler(MAX_REQUEST_HEADERS - OWN_FIELDS - 1), 'Connection: close']));
    await expectRejected(chatWith(filler(MAX_REQUEST_HEADERS - OWN_FIELDS + 1)), 431);
  });

  test('a 10 KB URL → 414; a target of exactly the limit is served', async () => {
    await expectRejected(chatWith([], `/v1/chat/completions?q=${'q'.repeat(10_000)}`), 414);
    const base = '/v1/chat/completions?q=';
    await expectServed(chatWith(['Connection: close'], base + 'q'.repeat(MAX_URL_BYTES - base.length)));
  });

  test('underscore headers are dropped before the upstream; dashed ones pass', async () => {
    const before = c.fakes[0]!.requests.length;
    await expectServed(
      chatWith(['X_Forwarded_For: 6.6.6.6', 'X_Api_Key: spoof', 'X-Api-Key: kept', 'Connection: close']),
    );
    const seen = c.fakes[0]!.requests.slice(before);
    assert.equal(seen.length, 1);
    const names = Object.keys(seen[0]!.headers);
    assert.deepEqual(
      names.filter((n) => n.includes('_')),
      [],
    );
    assert.equal(seen[0]!.headers['x-api-key'], 'kept');
    assert.equal(seen[0]!.headers['x-forwarded-for'], '127.0.0.1');
  });

  test('post-conditions', async () => {
    await assertHealthy(c);
  });
});
