/**
 * Edge cases of the HTTP/1.1 upstream pool, from a review (each regression test failed before its fix):
 * handler re-entrancy, pause/resume from anywhere, the idle connection after a paused last chunk, close()
 * bookkeeping, and parser strictness. Real sockets on port 0.
 */
import assert from 'node:assert/strict';
import type net from 'node:net';
import { after, describe, test } from 'node:test';
import { failureReason, isConnectFailure, preResponseError } from '../../src/proxy/classify.js';
import { UpstreamError, type UpstreamErrorCode } from '../../src/upstream/errors.js';
import type { H1Pool } from '../../src/upstream/h1-pool.js';
import type { UpstreamController, UpstreamHandler, UpstreamRequest } from '../../src/upstream/types.js';
import { closeAll, pool, rawServer, until } from './support.js';

type Err = Error & { code?: string };

interface Outcome {
  status: number;
  body: string;
  chunks: Buffer[];
  events: string[];
  ended: boolean;
  error: Err | undefined;
}

interface Hooks {
  start?: (c: UpstreamController) => void;
  head?: (c: UpstreamController) => void;
  data?: (c: UpstreamController, chunk: Buffer) => void;
}

function send(pool: H1Pool, request: Partial<UpstreamRequest>, hooks: Hooks = {}) {
  const outcome: Outcome = { status: 0, body: '', chunks: [], events: [], ended: false, error: undefined };
  let controller: UpstreamController | undefined;
  let resolve!: (o: Outcome) => void;
  const done = new Promise<Outcome>((r) => {
    resolve = r;
  });
  const over = () => outcome.ended || outcome.error !== undefined;
  const handler: UpstreamHandler = {
    onRequestStart: (c) => {
      controller = c;
      outcome.events.push('start');
      hooks.start?.(c);
    },
    onResponseStart: (c, status) => {
      outcome.events.push(over() ? 'head-after-end' : 'head');
      outcome.status = status;
      hooks.head?.(c);
    },
    onResponseData: (c, chunk) => {
      outcome.events.push(over() ? 'data-after-end' : 'data');
      outcome.body += chunk.toString('latin1');
      outcome.chunks.push(chunk);
      hooks.data?.(c, chunk);
    },
    onResponseEnd: () => {
      outcome.events.push(over() ? 'end-after-end' : 'end');
      outcome.ended = true;
      resolve(outcome);
    },
    onResponseError: (_c, error) => {
      outcome.events.push(over() ? 'error-after-end' : 'error');
      outcome.error ??= error as Err;
      resolve(outcome);
    },
  };
  pool.dispatch({ method: 'GET', path: '/', headers: {}, body: null, ...request }, handler);
  return { done, outcome, controller: () => controller! };
}

after(closeAll);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('H1Pool edge cases', () => {
  // ---------------------------------------------------------------------------------------------------
  // Regression: a pause on the callback that also completed the response left the idle connection deaf.
  // ---------------------------------------------------------------------------------------------------

  test('after a pause on the last Content-Length chunk, the idle connection still notices the endpoint closing it', async () => {
    const s = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi');
      setTimeout(() => socket.end(), 30); // the endpoint's idle timeout, in miniature
    });
    const p = pool(s.origin);
    // The attempt pauses whenever res.write() returns false, which can be on the last chunk.
    const first = await send(p, {}, { data: (c) => c.pause() }).done;
    assert.equal(first.body, 'hi');
    assert.equal(first.ended, true);
    await until(() => p.stats.connections === 0, 'the idle connection the endpoint closed left the pool');
    const second = await send(p, {}).done;
    assert.equal(second.error, undefined, 'the next request is not sent on the dead connection');
    assert.equal(second.body, 'hi');
  });

  test('bytes the endpoint sends on an idle connection after a paused last chunk never become the next answer', async () => {
    const s = await rawServer((socket, _request, n) => {
      if (n === 1 && s.connections() === 1) {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi');
        // Unsolicited bytes on the now-idle connection: it must be dropped, never reused.
        setTimeout(() => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale'), 20);
      } else {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh');
      }
    });
    const p = pool(s.origin);
    await send(p, {}, { data: (c) => c.pause() }).done;
    await sleep(80);
    const second = await send(p, {}).done;
    assert.equal(second.body, 'fresh');
    assert.equal(s.connections(), 2, 'the connection that got unsolicited bytes was not reused');
  });

  test('after a pause in onResponseStart of a 204, the idle connection keeps reading', async () => {
    const s = await rawServer((socket) => {
      socket.write('HTTP/1.1 204 No Content\r\n\r\n');
      setTimeout(() => socket.end(), 30);
    });
    const p = pool(s.origin);
    const first = await send(p, {}, { head: (c) => c.pause() }).done;
    assert.equal(first.ended, true);
    await until(() => p.stats.connections === 0, 'the idle connection the endpoint closed left the pool');
  });

  // ---------------------------------------------------------------------------------------------------
  // Regression: pause() outside a parser callback did not hold back the next read.
  // ---------------------------------------------------------------------------------------------------

  test('pause() called outside a callback (a timer) holds back bytes that arrive afterwards', async () => {
    let serverSocket: net.Socket | undefined;
    const s = await rawServer((socket) => {
      serverSocket = socket;
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n');
    });
    const p = pool(s.origin);
    const call = send(p, {});
    await until(() => call.outcome.body === 'a', 'the first chunk arrived');
    const c = call.controller();
    c.pause(); // e.g. from a 'drain'/timer handler, not from inside onResponseData
    assert.equal(c.paused, true);
    serverSocket!.write('1\r\nb\r\n');
    await sleep(60);
    assert.equal(call.outcome.body, 'a', 'nothing is delivered while paused');
    serverSocket!.write('0\r\n\r\n');
    c.resume();
    const outcome = await call.done;
    assert.equal(outcome.body, 'ab');
  });

  test('pause() in onRequestStart (before a connection is assigned) is honoured', async () => {
    const s = await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'));
    const p = pool(s.origin);
    const call = send(p, {}, { start: (c) => c.pause() });
    await until(() => s.connections() === 1, 'connected');
    await sleep(60);
    assert.deepEqual(call.outcome.events, ['start'], 'no response callback while paused');
    call.controller().resume();
    const outcome = await call.done;
    assert.equal(outcome.body, 'hi');
  });

  test('pause(); resume() inside onResponseData while draining held bytes does not reorder the stream', async () => {
    let serverSocket: net.Socket | undefined;
    const s = await rawServer((socket) => {
      serverSocket = socket;
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n1\r\nc\r\n');
    });
    const p = pool(s.origin);
    const call = send(
      p,
      {},
      {
        data: (c, chunk) => {
          const ch = chunk.toString();
          if (ch === 'a' || ch === 'c') c.pause();
          if (ch === 'b') {
            // A synchronous pause/resume pair (e.g. a write that returned false and a drain handled at once).
            c.pause();
            c.resume();
          }
        },
      },
    );
    await until(() => call.outcome.body === 'a', 'paused after a');
    call.controller().resume(); // delivers b (with its inner pause/resume) and c, pausing again after c
    await until(() => call.outcome.body === 'abc', 'b and c delivered');
    serverSocket!.write('1\r\nd\r\n0\r\n\r\n');
    await sleep(60);
    assert.equal(call.outcome.error, undefined, 'no parse error from bytes fed out of order');
    assert.equal(call.outcome.body, 'abc', 'nothing delivered while paused');
    const c = call.controller();
    const resumeAll = setInterval(() => c.resume(), 5);
    const outcome = await call.done;
    clearInterval(resumeAll);
    assert.equal(outcome.error, undefined);
    assert.equal(outcome.body, 'abcd');
  });

  // ---------------------------------------------------------------------------------------------------
  // Regression: close() twice left the first promise pending.
  // ---------------------------------------------------------------------------------------------------

  test('close() called twice while a request is in flight resolves both promises', async () => {
    const s = await rawServer((socket) => {
      setTimeout(() => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate'), 40);
    });
    const p = pool(s.origin);
    const call = send(p, {});
    const a = p.close();
    const b = p.close();
    const timeout = sleep(1_000).then(() => 'timeout');
    assert.equal(await Promise.race([b.then(() => 'closed'), timeout]), 'closed');
    assert.equal(
      await Promise.race([a.then(() => 'closed'), timeout]),
      'closed',
      'the first close() resolves',
    );
    assert.equal((await call.done).body, 'late');
  });

  // ---------------------------------------------------------------------------------------------------
  // Parser strictness.
  // ---------------------------------------------------------------------------------------------------

  test('a chunk-size line "1 2" (whitespace inside the size, no ";") is refused, not read as size 1', async () => {
    // RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF; chunk-ext starts with BWS ";". Another parser
    // reads this as 0x12 or refuses it: a framing disagreement is what response desync lives on.
    const s = await rawServer((socket) =>
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1 2\r\nx\r\n0\r\n\r\n'),
    );
    const outcome = await send(pool(s.origin), {}).done;
    assert.equal(outcome.error?.code, 'UPSTREAM_BAD_RESPONSE');
  });

  // ---------------------------------------------------------------------------------------------------
  // Pinned behaviour (passes today): handler re-entrancy and the shared read buffer.
  // ---------------------------------------------------------------------------------------------------

  test('abort from onRequestStart ends with one onResponseError and opens no connection', async () => {
    const s = await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'));
    const p = pool(s.origin);
    const reason = new Error('gone');
    const outcome = await send(p, {}, { start: (c) => c.abort(reason) }).done;
    assert.equal(outcome.error, reason);
    await sleep(30);
    assert.deepEqual(outcome.events, ['start', 'error']);
    assert.equal(s.connections(), 0);
    assert.deepEqual(p.stats, { connections: 0, idle: 0, pending: 0 });
  });

  test('abort from onResponseStart and from onResponseData: one ending, nothing after it, connection closed', async () => {
    const s = await rawServer((socket) =>
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n0\r\n\r\n'),
    );
    const p = pool(s.origin);
    const reason = new Error('cut');
    const inHead = await send(p, {}, { head: (c) => c.abort(reason) }).done;
    const inData = await send(p, {}, { data: (c) => c.abort(reason) }).done;
    await sleep(30);
    assert.deepEqual(inHead.events, ['start', 'head', 'error']);
    assert.deepEqual(inData.events, ['start', 'head', 'data', 'error']);
    assert.equal(inData.body, 'a');
    assert.deepEqual(p.stats, { connections: 0, idle: 0, pending: 0 });
  });

  test('abort while connecting ends once, and the pool forgets the connection', async () => {
    const s = await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'));
    const p = pool(s.origin);
    const call = send(p, {});
    call.controller().abort(new Error('early'));
    const outcome = await call.done;
    await sleep(30);
    assert.deepEqual(outcome.events, ['start', 'error']);
    assert.deepEqual(p.stats, { connections: 0, idle: 0, pending: 0 });
  });

  test('chunks kept by handlers on two connections are not overwritten by later reads (shared read buffer)', async () => {
    const s = await rawServer((socket, request) => {
      const tag = request.includes('/x') ? 'x' : 'y';
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
      let i = 0;
      const timer = setInterval(() => {
        if (i === 20) {
          clearInterval(timer);
          socket.write('0\r\n\r\n');
          return;
        }
        socket.write(`8\r\n${tag}${String(i++).padStart(7, '0')}\r\n`);
      }, 2);
    });
    const p = pool(s.origin);
    const [x, y] = await Promise.all([send(p, { path: '/x' }).done, send(p, { path: '/y' }).done]);
    for (const [o, tag] of [
      [x, 'x'],
      [y, 'y'],
    ] as const) {
      const kept = Buffer.concat(o.chunks).toString();
      assert.equal(kept, o.body, 'the kept chunks still hold what was delivered');
      assert.equal(
        kept,
        Array.from({ length: 20 }, (_, i) => `${tag}${String(i).padStart(7, '0')}`).join(''),
      );
    }
  });

  test('a held (paused) remainder that completes the response with Connection: close closes the connection', async () => {
    const s = await rawServer((socket) =>
      socket.write(
        'HTTP/1.1 200 OK\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n0\r\n\r\n',
      ),
    );
    const p = pool(s.origin);
    const call = send(p, {}, { data: (c) => c.pause() });
    await until(() => call.outcome.body === 'a', 'paused after a');
    const c = call.controller();
    const resumeAll = setInterval(() => c.resume(), 5);
    const outcome = await call.done;
    clearInterval(resumeAll);
    assert.equal(outcome.body, 'ab');
    assert.equal(outcome.ended, true);
    await until(() => p.stats.connections === 0, 'not kept');
  });

  test('CL+TE, duplicate differing Content-Length, and an oversized chunk size are handled strictly', async () => {
    const both = await rawServer((socket) =>
      socket.write(
        'HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n',
      ),
    );
    const p = pool(both.origin);
    const o1 = await send(p, {}).done;
    assert.equal(o1.body, 'hi');
    await until(() => p.stats.connections === 0, 'CL+TE: the connection is not reused');
    const dup = await rawServer((socket) =>
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nhi!'),
    );
    assert.equal((await send(pool(dup.origin), {}).done).error?.code, 'UPSTREAM_BAD_RESPONSE');
    const huge = await rawServer((socket) =>
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n'),
    );
    assert.equal((await send(pool(huge.origin), {}).done).error?.code, 'UPSTREAM_BAD_RESPONSE');
  });

  test("classify maps the client's errors as it mapped undici's", () => {
    const err = (code: UpstreamErrorCode) => new UpstreamError(code, code);
    assert.equal(
      isConnectFailure(err('UPSTREAM_CONNECT_TIMEOUT')),
      true,
      'connect timeout: retryable anywhere',
    );
    assert.equal(failureReason(err('UPSTREAM_CONNECT_TIMEOUT')), 'connect');
    assert.equal(failureReason(err('UPSTREAM_CLOSED')), 'reset', 'a cut connection is a reset, not re-sent');
    assert.equal(failureReason(err('UPSTREAM_BAD_RESPONSE')), 'bad_response');
    assert.equal(preResponseError(err('UPSTREAM_CLOSED'), 'e', false).retryable, false);
    assert.equal(preResponseError(err('UPSTREAM_CONNECT_TIMEOUT'), 'e', false).retryable, true);
  });
});
