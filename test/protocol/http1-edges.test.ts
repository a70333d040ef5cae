/**
 * HTTP/1.1 behaviours of the data plane's own server (src/server/h1/) that no other protocol test pins
 * down: `Expect: 100-continue`, HTTP/1.0 clients (no chunked coding, close-delimited answers), the
 * refusals of versions and expectations we do not support, and the head deadline restarting for each
 * request on a kept-alive connection.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Cluster, chat, startCluster } from '../support/cluster.js';
import { rawExchange, sleep } from '../support/http.js';
import { assertHealthy, forwarded, parseResponses, portOf, rawClient, rawRequest } from './support.js';

describe('HTTP/1.1 edges of the data plane server', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster([{}], { listen: { headersTimeoutMs: 600 } });
  });
  after(() => c.close());

  test('Expect: 100-continue gets `100 Continue` before the body is sent, then the answer', async () => {
    const body = JSON.stringify(chat());
    const head = rawRequest('POST', '/v1/chat/completions', { headers: ['Expect: 100-continue'] }).replace(
      '\r\n\r\n',
      `\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
    );
    const client = rawClient(portOf(c));
    client.socket.write(head);
    const deadline = Date.now() + 2_000;
    while (!client.data().includes('\r\n\r\n') && Date.now() < deadline) await sleep(5);
    assert.match(client.data(), /^HTTP\/1\.1 100 Continue\r\n\r\n$/, 'nothing but the go-ahead yet');
    client.socket.write(body);
    while (!client.data().includes('chat.completion') && Date.now() < deadline) await sleep(5);
    client.socket.end();
    const [answer] = parseResponses(client.data().slice('HTTP/1.1 100 Continue\r\n\r\n'.length));
    assert.equal(answer?.status, 200);
    assert.equal((JSON.parse(answer!.body) as { object: string }).object, 'chat.completion');
  });

  test('an HTTP/1.0 stream is sent close-delimited, never chunked, and complete', async () => {
    const body = JSON.stringify(chat({ stream: true }));
    const r = await rawExchange(
      portOf(c),
      rawRequest('POST', '/v1/chat/completions', { body, version: '1.0' }),
    );
    assert.equal(r.closed, true, 'the end of the body is the end of the connection');
    const [answer] = parseResponses(r.data);
    assert.equal(answer?.status, 200);
    assert.equal(answer!.headers['transfer-encoding'], undefined);
    assert.equal(answer!.headers.connection, 'close');
    assert.ok(answer!.body.trimEnd().endsWith('data: [DONE]'), answer!.body.slice(-80));
  });

  test('an HTTP/1.0 request asking for keep-alive keeps its connection when the length is known', async () => {
    // /v1/models is answered by Fulcrum with a Content-Length; a body of unknown length (a chunked
    // upstream answer) would have to be delimited by closing, keep-alive or not.
    const one = rawRequest('GET', '/v1/models', { version: '1.0', headers: ['Connection: keep-alive'] });
    const r = await rawExchange(portOf(c), one + one.replace('keep-alive', 'close'));
    const answers = parseResponses(r.data);
    assert.deepEqual(
      answers.map((a) => [a.status, a.headers.connection]),
      [
        [200, 'keep-alive'],
        [200, 'close'],
      ],
    );
    assert.equal(r.closed, true);
  });

  test('HTTP/2.0 → 505 and an unknown expectation → 417, each in OpenAI’s shape, nothing forwarded', async () => {
    const before = forwarded(c);
    for (const [raw, status] of [
      [rawRequest('GET', '/v1/models', { version: '2.0' }), 505],
      [rawRequest('POST', '/v1/chat/completions', { headers: ['Expect: teapot'], body: '{}' }), 417],
    ] as const) {
      const r = await rawExchange(portOf(c), raw);
      const [answer] = parseResponses(r.data);
      assert.equal(answer?.status, status);
      assert.equal(r.closed, true);
      assert.equal((JSON.parse(answer!.body) as { error: { code: string } }).error.code, 'invalid_request');
    }
    assert.equal(forwarded(c), before);
  });

  test('the head deadline starts again with each request on a kept-alive connection', async () => {
    const client = rawClient(portOf(c));
    client.socket.write(rawRequest('GET', '/v1/models'));
    await sleep(400);
    // Well past the first request's deadline had it kept running, this one is still answered.
    await sleep(400);
    client.socket.write(rawRequest('GET', '/v1/models', { headers: ['Connection: close'] }));
    await client.closed;
    assert.deepEqual(
      parseResponses(client.data()).map((a) => a.status),
      [200, 200],
    );
  });

  test('post-conditions', async () => {
    await assertHealthy(c);
  });
});
