/**
 * S13 (slow request body) and S25 (slowloris headers) with short deadlines so the test stays quick:
 * `headersTimeoutMs` 1 s, `bodyTimeoutMs` 500 ms.
 *
 * - The body deadline runs from the moment the head was parsed to the end of the body: 408 at 500 ms
 *   (src/server/h1/connection.ts).
 * - The head deadline runs from a connection's opening, or from the first byte of each later request, to
 *   the end of the head: a slow head is answered with 408 at 1 s; a connection that never sends a byte is
 *   closed.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { type Cluster, chat, startCluster } from '../support/cluster.js';
import { postJson, waitFor } from '../support/http.js';
import { assertHealthy, forwarded, parseResponses, portOf, type RawClient, rawClient } from './support.js';

const HEADERS_TIMEOUT = 1_000;
const BODY_TIMEOUT = 500;
/** Scheduling slack on a shared 2-core machine. */
const MARGIN = 700;
/** Slack after the body deadline: generous for a loaded machine. */
const BODY_SLACK = 600;

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

describe('S13/S25 slow clients', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster([{}], {
      listen: { headersTimeoutMs: HEADERS_TIMEOUT, bodyTimeoutMs: BODY_TIMEOUT },
    });
  });
  after(() => c.close());

  test('S13: a body trickling at 1 byte/s → 408 at the body deadline, nothing forwarded', async (t) => {
    const before = forwarded(c);
    const client = rawClient(portOf(c));
    const head =
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
      'Content-Length: 100000\r\n\r\n';
    const sentAt = performance.now();
    client.socket.write(head);
    const drip = setInterval(() => client.socket.write('{'), 1_000);
    client.socket.write('{');
    try {
      const closedAt = await client.closed;
      const responses = parseResponses(client.data());
      assert.deepEqual(
        responses.map((r) => r.status),
        [408],
      );
      assert.equal(
        (JSON.parse(responses[0]!.body) as { error: { code: string } }).error.code,
        'request_timeout',
      );
      assert.equal(responses[0]!.headers.connection, 'close');
      const elapsed = closedAt - sentAt;
      t.diagnostic(`closed after ${elapsed.toFixed(0)} ms`);
      assert.ok(
        elapsed >= BODY_TIMEOUT - 50 && elapsed <= BODY_TIMEOUT + BODY_SLACK,
        `closed after ${elapsed} ms`,
      );
    } finally {
      clearInterval(drip);
    }
    assert.equal(forwarded(c) - before, 0);
  });

  test('S13: a chunked body that stops mid-way → 408 at the body deadline', async () => {
    const before = forwarded(c);
    const client = rawClient(portOf(c));
    const sentAt = performance.now();
    client.socket.write(
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Transfer-Encoding: chunked\r\n\r\n5\r\n{"mod\r\n',
    );
    const closedAt = await client.closed;
    assert.deepEqual(
      parseResponses(client.data()).map((r) => r.status),
      [408],
    );
    const elapsed = closedAt - sentAt;
    assert.ok(
      elapsed >= BODY_TIMEOUT - 50 && elapsed <= BODY_TIMEOUT + BODY_SLACK,
      `closed after ${elapsed} ms`,
    );
    assert.equal(forwarded(c) - before, 0);
  });

  test('S25: 50 slowloris sockets are each cut at the head deadline; a legitimate request still works', async (t) => {
    const fdsBefore = openFds();
    const before = forwarded(c);
    const clients: Array<RawClient & { startedAt: number }> = [];
    const head = 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Slow: ';
    for (let i = 0; i < 50; i++) {
      const client = rawClient(portOf(c));
      clients.push({ ...client, startedAt: performance.now() });
      client.socket.write(head);
    }
    // One header byte per 200 ms per socket: never idle, never complete.
    const drip = setInterval(() => {
      for (const cl of clients) if (cl.closedAt() === undefined) cl.socket.write('a');
    }, 200);
    try {
      // A legitimate request in the middle of the attack is served normally.
      const t0 = performance.now();
      const ok = await postJson(c.chatUrl, chat());
      const legitMs = performance.now() - t0;
      assert.equal(ok.status, 200);
      // Normally a few ms; an attack that held it up would hold it until the slowloris sockets are cut (≥ 1 s).
      assert.ok(legitMs < HEADERS_TIMEOUT - 200, `legitimate request took ${legitMs} ms`);

      const closedAt = await Promise.all(clients.map((cl) => cl.closed));
      const lifetimes = clients.map((cl, i) => closedAt[i]! - cl.startedAt);
      t.diagnostic(
        `legitimate request ${legitMs.toFixed(0)} ms; slowloris sockets closed after ` +
          `${Math.min(...lifetimes).toFixed(0)}–${Math.max(...lifetimes).toFixed(0)} ms`,
      );
      for (const [i, cl] of clients.entries()) {
        const lived = closedAt[i]! - cl.startedAt;
        assert.ok(
          lived >= HEADERS_TIMEOUT - 100 && lived <= HEADERS_TIMEOUT + MARGIN,
          `socket ${i} closed after ${lived} ms`,
        );
        assert.match(cl.data(), /^HTTP\/1\.1 408 /, 'answered 408 before closing');
      }
    } finally {
      clearInterval(drip);
    }
    assert.equal(forwarded(c) - before, 1, 'only the legitimate request reached the backend');
    // Every socket of the attack is gone on both sides (this process hosts client and server); the server
    // side closes once the client's FIN arrives.
    await waitFor(() => Math.abs(openFds() - fdsBefore) <= 10, 2_000, `fds back to ${fdsBefore} ± 10`);
  });

  test('S25: a connection that never sends a byte is closed by the head deadline too', async () => {
    const client = rawClient(portOf(c));
    const openedAt = performance.now();
    const closedAt = await client.closed;
    const lived = closedAt - openedAt;
    assert.ok(
      lived >= HEADERS_TIMEOUT - 100 && lived <= HEADERS_TIMEOUT + MARGIN,
      `closed after ${lived} ms`,
    );
  });

  test('post-conditions', async () => {
    await assertHealthy(c);
  });
});
