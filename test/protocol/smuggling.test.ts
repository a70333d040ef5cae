/**
 * S26 — request smuggling matrix. Each vector is a chat request with ambiguous framing followed by a
 * pipelined `GET /v1/files` (a pass-through route, so a smuggled request would reach a backend and show up in
 * its records). Pass: one 400 (501 for a transfer coding we do not implement), the connection closed, the
 * smuggled request never processed, the backends received nothing.
 *
 * Every vector is refused by the data plane's own request parser (src/server/h1/request-parser.ts), which
 * is as strict as llhttp and answers in OpenAI's error shape. The last column of each vector records who
 * refused it when the data plane ran on node:http (until docs/benchmarks.md run 19): `node` for llhttp
 * itself, `fulcrum` for the checks Fulcrum added on top (`Transfer-Encoding: gzip[, chunked]` and
 * `Transfer-Encoding` in HTTP/1.0, which llhttp accepted; a duplicated or missing `Host`). The expected
 * statuses did not change with the new server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Cluster, chat, startCluster } from '../support/cluster.js';
import { rawExchange } from '../support/http.js';
import { assertHealthy, forwarded, parseResponses, portOf } from './support.js';

const BODY = JSON.stringify(chat());
const LEN = Buffer.byteLength(BODY);
const CHUNKED = `${LEN.toString(16)}\r\n${BODY}\r\n0\r\n\r\n`;
const HEAD = 'POST /v1/chat/completions HTTP/1.1\r\nHost: fulcrum.test\r\nContent-Type: application/json\r\n';
const SMUGGLED = 'GET /v1/files?smuggled=1 HTTP/1.1\r\nHost: fulcrum.test\r\n\r\n';

/** [name, raw request, expected status, who refused it on node:http]. */
const VECTORS: Array<[string, string, 400 | 501, 'node' | 'fulcrum']> = [
  [
    'TE chunked + Content-Length',
    `${HEAD}Transfer-Encoding: chunked\r\nContent-Length: ${LEN}\r\n\r\n${CHUNKED}`,
    400,
    'node',
  ],
  ['TE: chunked, chunked', `${HEAD}Transfer-Encoding: chunked, chunked\r\n\r\n${CHUNKED}`, 400, 'node'],
  ['TE: chunked, gzip', `${HEAD}Transfer-Encoding: chunked, gzip\r\n\r\n${CHUNKED}`, 400, 'node'],
  ['TE: gzip', `${HEAD}Transfer-Encoding: gzip\r\n\r\n${BODY}`, 501, 'fulcrum'],
  ['TE: gzip, chunked', `${HEAD}Transfer-Encoding: gzip, chunked\r\n\r\n${CHUNKED}`, 501, 'fulcrum'],
  [
    'TE: identity',
    `${HEAD}Transfer-Encoding: identity\r\nContent-Length: ${LEN}\r\n\r\n${BODY}`,
    400,
    'node',
  ],
  [
    'TE: chunked + TE: x (two fields)',
    `${HEAD}Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n${CHUNKED}`,
    400,
    'node',
  ],
  [
    'TE on HTTP/1.0',
    `${HEAD.replace('HTTP/1.1', 'HTTP/1.0')}Transfer-Encoding: chunked\r\n\r\n${CHUNKED}`,
    400,
    'fulcrum',
  ],
  [
    'two differing Content-Length',
    `${HEAD}Content-Length: ${LEN}\r\nContent-Length: ${LEN + 1}\r\n\r\n${BODY}`,
    400,
    'node',
  ],
  [
    'two equal Content-Length',
    `${HEAD}Content-Length: ${LEN}\r\nContent-Length: ${LEN}\r\n\r\n${BODY}`,
    400,
    'node',
  ],
  ['Content-Length list', `${HEAD}Content-Length: ${LEN}, ${LEN}\r\n\r\n${BODY}`, 400, 'node'],
  ['empty Content-Length', `${HEAD}Content-Length:\r\n\r\n${BODY}`, 400, 'node'],
  ['signed Content-Length', `${HEAD}Content-Length: +${LEN}\r\n\r\n${BODY}`, 400, 'node'],
  ['space before colon', `${HEAD}Content-Length : ${LEN}\r\n\r\n${BODY}`, 400, 'node'],
  ['leading space before header', `${HEAD} Content-Length: ${LEN}\r\n\r\n${BODY}`, 400, 'node'],
  ['bare CR line ending', `${HEAD}Content-Length: ${LEN}\rX-A: b\r\n\r\n${BODY}`, 400, 'node'],
  [
    'bare LF line endings',
    `${HEAD}Content-Length: ${LEN}\r\n`.replaceAll('\r\n', '\n') + `\n${BODY}`,
    400,
    'node',
  ],
  ['empty header name', `${HEAD}: value\r\nContent-Length: ${LEN}\r\n\r\n${BODY}`, 400, 'node'],
  ['obs-fold', `${HEAD}X-A: a\r\n b\r\nContent-Length: ${LEN}\r\n\r\n${BODY}`, 400, 'node'],
  ['obs-fold Transfer-Encoding', `${HEAD}Transfer-Encoding:\r\n chunked\r\n\r\n${CHUNKED}`, 400, 'node'],
  ['NUL in a header value', `${HEAD}X-A: a\x00b\r\nContent-Length: ${LEN}\r\n\r\n${BODY}`, 400, 'node'],
  [
    'oversized chunk size',
    `${HEAD}Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\n${BODY}\r\n0\r\n\r\n`,
    400,
    'node',
  ],
  [
    'chunk data longer than its size',
    `${HEAD}Transfer-Encoding: chunked\r\n\r\n5\r\n${BODY}\r\n0\r\n\r\n`,
    400,
    'node',
  ],
  [
    'huge chunk extension (20 KB)',
    `${HEAD}Transfer-Encoding: chunked\r\n\r\n${LEN.toString(16)};${'a'.repeat(20_000)}\r\n${BODY}\r\n0\r\n\r\n`,
    400,
    'node',
  ],
  ['duplicated Host', `${HEAD}Host: other.test\r\nContent-Length: ${LEN}\r\n\r\n${BODY}`, 400, 'fulcrum'],
  [
    'HTTP/1.1 without Host',
    `POST /v1/chat/completions HTTP/1.1\r\nContent-Length: ${LEN}\r\n\r\n${BODY}`,
    400,
    'fulcrum',
  ],
];

describe('S26 request smuggling', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster([{}]);
  });
  after(() => c.close());

  test('control: a well-framed chunked request and its pipelined follower are both served', async () => {
    // Proves the harness would see a smuggled request: here the second request is legitimate.
    const before = forwarded(c);
    const r = await rawExchange(
      portOf(c),
      `${HEAD}Transfer-Encoding: chunked\r\n\r\n${CHUNKED}${SMUGGLED.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n')}`,
    );
    assert.deepEqual(
      parseResponses(r.data).map((x) => x.status),
      [200, 200],
    );
    assert.equal(forwarded(c) - before, 2);
  });

  for (const [name, bytes, expected, by] of VECTORS) {
    test(`${name} → ${expected} (on node:http: ${by}), closed, follower never processed`, async () => {
      const before = forwarded(c);
      const r = await rawExchange(portOf(c), bytes + SMUGGLED);
      const responses = parseResponses(r.data);
      assert.equal(r.closed, true, 'connection closed');
      assert.deepEqual(
        responses.map((x) => x.status),
        [expected],
        `exactly one answer: ${r.data.slice(0, 200)}`,
      );
      assert.equal(responses[0]!.headers.connection, 'close');
      const err = JSON.parse(responses[0]!.body) as { error: { type: string } };
      assert.equal(err.error.type, 'invalid_request_error');
      assert.equal(forwarded(c) - before, 0, 'backend received nothing');
    });
  }

  test('a body carrying a whole second request is forwarded as one request, re-framed', async () => {
    // Chunked from the client, length-delimited upstream: the embedded request must stay body bytes.
    const inner = 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}';
    const payload = `0\r\n\r\n${inner}`;
    const frame = (s: string) => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n0\r\n\r\n`;
    const before = c.fakes[0]!.requests.length;
    // Pass-through route with a non-JSON body: forwarded byte for byte.
    const passthrough =
      'POST /v1/files HTTP/1.1\r\nHost: fulcrum.test\r\nContent-Type: text/plain\r\n' +
      `Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n${frame(payload)}`;
    const r1 = parseResponses((await rawExchange(portOf(c), passthrough)).data);
    assert.deepEqual(
      r1.map((x) => x.status),
      [200],
    );
    // Inference route: the same text inside a JSON string (how a real prompt would carry it).
    const json = JSON.stringify(chat({ messages: [{ role: 'user', content: payload }] }));
    const inference = `${HEAD}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n${frame(json)}`;
    const r2 = parseResponses((await rawExchange(portOf(c), inference)).data);
    assert.deepEqual(
      r2.map((x) => x.status),
      [200],
    );
    await assertHealthy(c);
    const seen = c.fakes[0]!.requests.slice(before);
    // Two requests above plus the health check's one; nothing parsed out of the bodies.
    assert.deepEqual(
      seen.map((s) => s.url),
      ['/v1/files', '/v1/chat/completions', '/v1/chat/completions'],
    );
    assert.equal(seen[0]!.body, payload);
    assert.equal(seen[0]!.headers['content-length'], String(Buffer.byteLength(payload)));
    assert.equal(seen[0]!.headers['transfer-encoding'], undefined);
    assert.equal(JSON.parse(seen[1]!.body).messages[0].content, payload);
    assert.equal(seen[1]!.headers['content-length'], String(Buffer.byteLength(seen[1]!.body)));
    assert.equal(seen[1]!.headers['transfer-encoding'], undefined);
  });

  test('post-conditions', async () => {
    await assertHealthy(c);
  });
});
