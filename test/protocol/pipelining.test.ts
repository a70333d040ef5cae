/**
 * S29 — HTTP/1.1 pipelining on one raw socket. Responses come back in request order with the right bodies.
 * Pipelined requests are run one at a time per connection (Node alone would dispatch them all at once and
 * queue only the responses): a request behind a stream reaches the backend only after the stream ended. A
 * malformed request in the pipe is answered with 400 after the responses ahead of it, then the connection
 * closes and nothing behind it is forwarded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Cluster, startCluster } from '../support/cluster.js';
import type { FakeRequestRecord } from '../support/fake-llm.js';
import { rawExchange } from '../support/http.js';
import { assertHealthy, forwarded, parseResponses, portOf, rawChat, rawRequest } from './support.js';

const CLOSE = 'Connection: close';

describe('S29 pipelining', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster([{}], { listen: { maxBodyBytes: 4096 } });
  });
  after(() => c.close());

  test('three requests in one write → three responses in order, each with its own body', async () => {
    const before = forwarded(c);
    // Later requests answer faster, so concurrent processing would finish them first.
    const bytes =
      rawChat('p1', {}, ['X-Fake: {"ttftMs":120,"tokens":1}']) +
      rawChat('p2', {}, ['X-Fake: {"ttftMs":60,"tokens":2}']) +
      rawChat('p3', {}, ['X-Fake: {"tokens":3}', CLOSE]);
    const r = await rawExchange(portOf(c), bytes);
    const responses = parseResponses(r.data);
    assert.deepEqual(
      responses.map((x) => [x.status, x.headers['x-request-id']]),
      [
        [200, 'p1'],
        [200, 'p2'],
        [200, 'p3'],
      ],
    );
    const bodies = responses.map(
      (x) => JSON.parse(x.body) as { id: string; usage: { completion_tokens: number } },
    );
    assert.deepEqual(
      bodies.map((b) => [b.id, b.usage.completion_tokens]),
      [
        ['cmpl-p1', 1],
        ['cmpl-p2', 2],
        ['cmpl-p3', 3],
      ],
    );
    assert.equal(r.closed, true);
    const order = c.fakes[0]!.requests.slice(before).map((x) => x.id);
    assert.deepEqual(order, ['p1', 'p2', 'p3'], 'forwarded one after the other, in order');
  });

  test('a request pipelined behind a stream is forwarded only after the stream ended', async () => {
    const fake = c.fakes[0]!;
    // Record, at each arrival, whether every earlier request had finished (event-based, no timing).
    const allDoneAtArrival: boolean[] = [];
    const records = fake.requests;
    const push = records.push.bind(records);
    records.push = (...items: FakeRequestRecord[]) => {
      for (const _ of items) allDoneAtArrival.push(records.every((x) => x.finished));
      return push(...items);
    };
    try {
      const bytes =
        rawChat('s1', { stream: true }, ['X-Fake: {"tokens":6,"intervalMs":40}']) +
        rawChat('s2', {}, [CLOSE]);
      const r = await rawExchange(portOf(c), bytes);
      const responses = parseResponses(r.data);
      assert.deepEqual(
        responses.map((x) => [x.status, x.headers['x-request-id']]),
        [
          [200, 's1'],
          [200, 's2'],
        ],
      );
      assert.match(responses[0]!.headers['content-type'] ?? '', /^text\/event-stream/);
      assert.ok(responses[0]!.body.endsWith('data: [DONE]\n\n'), 'the stream is complete');
      assert.equal((JSON.parse(responses[1]!.body) as { id: string }).id, 'cmpl-s2');
      assert.deepEqual(allDoneAtArrival, [true, true], 's2 arrived after s1 had finished');
    } finally {
      records.push = push;
    }
  });

  test('valid, malformed, valid → 200, then 400 and close; the third is never forwarded', async () => {
    const before = forwarded(c);
    const malformed =
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!';
    // The first is still waiting for its backend when the second fails to parse.
    const bytes = rawChat('m1', {}, ['X-Fake: {"ttftMs":150}']) + malformed + rawChat('m3');
    const r = await rawExchange(portOf(c), bytes);
    const responses = parseResponses(r.data);
    assert.deepEqual(
      responses.map((x) => x.status),
      [200, 400],
    );
    assert.equal(responses[0]!.headers['x-request-id'], 'm1');
    assert.equal((JSON.parse(responses[0]!.body) as { id: string }).id, 'cmpl-m1', 'the 200 is whole');
    assert.equal(responses[1]!.headers.connection, 'close');
    assert.equal(r.closed, true);
    assert.deepEqual(
      c.fakes[0]!.requests.slice(before).map((x) => x.id),
      ['m1'],
    );
  });

  test('behind a 404 the pipe goes on; behind a 413 (body not read) it stops', async () => {
    const before = forwarded(c);
    const r1 = await rawExchange(portOf(c), rawRequest('GET', '/nope') + rawChat('after-404', {}, [CLOSE]));
    assert.deepEqual(
      parseResponses(r1.data).map((x) => x.status),
      [404, 200],
    );
    const big = JSON.stringify({ model: 'test-model', pad: 'x'.repeat(8000) });
    const r2 = await rawExchange(
      portOf(c),
      rawRequest('POST', '/v1/chat/completions', { body: big }) + rawChat('after-413'),
    );
    const responses = parseResponses(r2.data);
    assert.deepEqual(
      responses.map((x) => x.status),
      [413],
    );
    assert.equal(r2.closed, true);
    assert.deepEqual(
      c.fakes[0]!.requests.slice(before).map((x) => x.id),
      ['after-404'],
    );
  });

  test('post-conditions', async () => {
    await assertHealthy(c);
  });
});
