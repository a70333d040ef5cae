/**
 * The HTTP/1.1 upstream pool against real servers on port 0: keep-alive reuse and its limits, the
 * connection cap, backpressure, and every way an endpoint can end an exchange badly.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type net from 'node:net';
import { after, describe, test } from 'node:test';
import type { H1Pool } from '../../src/upstream/h1-pool.js';
import type { UpstreamController, UpstreamHandler, UpstreamRequest } from '../../src/upstream/types.js';
import { closeAll, httpServer, pool, rawServer, until } from './support.js';

interface Outcome {
  status: number;
  headers: Record<string, unknown>;
  body: string;
  ended: boolean;
  error: (Error & { code?: string; syscall?: string }) | undefined;
}

interface Call {
  done: Promise<Outcome>;
  outcome: Outcome;
  controller: () => UpstreamController;
}

function send(
  pool: H1Pool,
  request: Partial<UpstreamRequest>,
  onData?: (c: UpstreamController) => void,
): Call {
  const outcome: Outcome = { status: 0, headers: {}, body: '', ended: false, error: undefined };
  let controller: UpstreamController | undefined;
  let resolve!: (o: Outcome) => void;
  const done = new Promise<Outcome>((r) => {
    resolve = r;
  });
  const handler: UpstreamHandler = {
    onRequestStart: (c) => {
      controller = c;
    },
    onResponseStart: (_c, status, headers) => {
      outcome.status = status;
      outcome.headers = headers;
    },
    onResponseData: (c, chunk) => {
      outcome.body += chunk.toString();
      onData?.(c);
    },
    onResponseEnd: () => {
      assert.equal(outcome.ended || outcome.error !== undefined, false, 'one ending only');
      outcome.ended = true;
      resolve(outcome);
    },
    onResponseError: (_c, error) => {
      assert.equal(outcome.ended || outcome.error !== undefined, false, 'one ending only');
      outcome.error = error;
      resolve(outcome);
    },
  };
  pool.dispatch({ method: 'GET', path: '/', headers: {}, body: null, ...request }, handler);
  return { done, outcome, controller: () => controller! };
}

after(closeAll);

describe('H1Pool', () => {
  test('sends the head and body as given, and reuses the kept-alive connection', async () => {
    const seen: Array<{ method: string; url: string; host: string; type: string; body: string }> = [];
    const s = await httpServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        seen.push({
          method: req.method!,
          url: req.url!,
          host: req.headers.host!,
          type: String(req.headers['x-multi']),
          body,
        });
        res.end(`answer ${seen.length}`);
      });
    });
    const p = pool(s.origin);
    const body = Buffer.from('{"model":"m"}');
    const first = await send(p, {
      method: 'POST',
      path: '/v1/chat/completions?x=1',
      headers: { 'content-length': String(body.length), 'x-multi': ['a', 'b'] },
      body,
    }).done;
    assert.equal(first.status, 200);
    assert.equal(first.body, 'answer 1');
    const second = await send(p, { path: '/again' }).done;
    assert.equal(second.body, 'answer 2');
    assert.deepEqual(seen[0], {
      method: 'POST',
      url: '/v1/chat/completions?x=1',
      host: new URL(s.origin).host,
      type: 'a, b',
      body: '{"model":"m"}',
    });
    assert.equal(s.connections(), 1, 'the second request reused the connection');
    assert.deepEqual(p.stats, { connections: 1, idle: 1, pending: 0 });
  });

  test('a Keep-Alive hint shorter than the safety margin means no reuse', async () => {
    const s = await httpServer((_req, res) => res.end('ok'));
    s.server.keepAliveTimeout = 1_000; // Node sends `Keep-Alive: timeout=1`
    const p = pool(s.origin);
    assert.equal((await send(p, {}).done).body, 'ok');
    assert.equal((await send(p, {}).done).body, 'ok');
    assert.equal(s.connections(), 2);
  });

  test('an idle connection the endpoint closes is dropped, and the next request gets a new one', async () => {
    const s = await httpServer((_req, res) => res.end('ok'));
    const p = pool(s.origin);
    await send(p, {}).done;
    assert.equal(p.stats.idle, 1);
    for (const socket of s.sockets) socket.destroy();
    await until(() => p.stats.connections === 0, 'the closed idle connection left the pool');
    const again = await send(p, {}).done;
    assert.equal(again.body, 'ok');
    assert.equal(s.connections(), 2);
  });

  test('a connection cap queues requests in order; an aborted queued request never leaves', async () => {
    const paths: string[] = [];
    const s = await httpServer((req, res) => {
      paths.push(req.url!);
      setTimeout(() => res.end(req.url), 30);
    });
    const p = pool(s.origin, 1);
    const a = send(p, { path: '/a' });
    const b = send(p, { path: '/b' });
    const c = send(p, { path: '/c' });
    assert.deepEqual(p.stats, { connections: 1, idle: 0, pending: 2 });
    const reason = new Error('client left');
    b.controller().abort(reason);
    assert.equal(b.controller().aborted, true);
    assert.equal((await b.done).error, reason);
    assert.equal((await a.done).body, '/a');
    assert.equal((await c.done).body, '/c');
    assert.deepEqual(paths, ['/a', '/c']);
    assert.equal(s.connections(), 1);
  });

  test('pause holds the response back and resume delivers the rest, in order', async () => {
    let serverSocket: net.Socket | undefined;
    const { origin } = await rawServer((socket) => {
      serverSocket = socket;
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n');
    });
    const p = pool(origin);
    const call = send(p, {}, (c) => c.pause());
    await until(() => call.outcome.body === 'a', 'the first chunk arrived');
    serverSocket!.write('1\r\nc\r\n0\r\n\r\n');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(call.outcome.body, 'a', 'nothing is delivered while paused');
    const c = call.controller();
    const resumeAll = setInterval(() => c.resume(), 5);
    const outcome = await call.done;
    clearInterval(resumeAll);
    assert.equal(outcome.body, 'abc');
    assert.equal(outcome.ended, true);
    assert.equal(p.stats.idle, 1, 'the connection is reusable after a paused response');
  });

  test('a malformed response fails with UPSTREAM_BAD_RESPONSE and closes the connection', async () => {
    const { origin } = await rawServer((socket) => socket.write('HTTP/1.1 200 OK\nContent-Length: 2\n\nhi'));
    const p = pool(origin);
    const outcome = await send(p, {}).done;
    assert.equal(outcome.error?.code, 'UPSTREAM_BAD_RESPONSE');
    assert.equal(p.stats.connections, 0);
  });

  test('bytes past the end of a response mean the connection is not reused', async () => {
    const { origin } = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiEXTRA');
    });
    const p = pool(origin);
    const outcome = await send(p, {}).done;
    assert.equal(outcome.body, 'hi');
    assert.deepEqual(p.stats, { connections: 0, idle: 0, pending: 0 });
  });

  test('an endpoint closing before or during the answer fails with UPSTREAM_CLOSED', async () => {
    const { origin: before } = await rawServer((socket) => socket.end());
    const { origin: during } = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
      socket.end();
    });
    const a = await send(pool(before), {}).done;
    assert.equal(a.error?.code, 'UPSTREAM_CLOSED');
    const b = await send(pool(during), {}).done;
    assert.equal(b.status, 200);
    assert.equal(b.body, 'abc');
    assert.equal(b.error?.code, 'UPSTREAM_CLOSED');
  });

  test('a body that runs until close completes at EOF', async () => {
    const { origin } = await rawServer((socket) => socket.end('HTTP/1.0 200 OK\r\n\r\nall of it'));
    const outcome = await send(pool(origin), {}).done;
    assert.equal(outcome.ended, true);
    assert.equal(outcome.body, 'all of it');
  });

  test('HEAD answers have no body, and the connection is reused', async () => {
    const s = await httpServer((_req, res) => {
      res.setHeader('content-length', '5');
      res.end();
    });
    const p = pool(s.origin);
    const head = await send(p, { method: 'HEAD' }).done;
    assert.equal(head.ended, true);
    assert.equal(head.headers['content-length'], '5');
    await send(p, { method: 'HEAD' }).done;
    assert.equal(s.connections(), 1);
  });

  test('a refused connection fails with the connect error', async () => {
    const s = await httpServer(() => {});
    const origin = s.origin;
    s.server.close();
    await once(s.server, 'close');
    const outcome = await send(pool(origin), {}).done;
    assert.equal(outcome.error?.code, 'ECONNREFUSED');
    assert.equal(outcome.error?.syscall, 'connect');
  });

  test('a header value with a line break is refused before anything is sent', async () => {
    const s = await httpServer((_req, res) => res.end());
    const outcome = await send(pool(s.origin), { headers: { 'x-evil': 'a\r\nx-injected: 1' } }).done;
    assert.equal(outcome.error?.code, 'UPSTREAM_INVALID_REQUEST');
    assert.equal(s.connections(), 0);
  });

  test('close() lets in-flight requests finish; destroy() fails them', async () => {
    const s = await httpServer((_req, res) => setTimeout(() => res.end('late'), 50));
    const gentle = pool(s.origin);
    const call = send(gentle, {});
    await until(() => gentle.stats.connections === 1, 'connected');
    await gentle.close();
    assert.equal(call.outcome.body, 'late', 'close() resolved after the answer');
    assert.equal((await send(gentle, {}).done).error?.code, 'UPSTREAM_POOL_DESTROYED');

    const rough = pool(s.origin);
    const cut = send(rough, {});
    await until(() => rough.stats.connections === 1, 'connected');
    await rough.destroy();
    assert.equal((await cut.done).error?.code, 'UPSTREAM_POOL_DESTROYED');
  });
});
