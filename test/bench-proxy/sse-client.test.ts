/**
 * The bench's SSE client on real sockets: it must report a complete stream as complete and every broken
 * one (bad status, out of order, cut, refused) as failed, since the bench's "all streams complete" target
 * rests on it.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { sseChunk, startBackends } from '../../src/bench/proxy/backend.js';
import { openStream, StreamTarget } from '../../src/bench/proxy/sse-client.js';

const REQUEST = {
  path: '/v1/chat/completions',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'x' }], stream: true }),
};

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

test('a stream from the bench backend is complete; time to first chunk is reported once', async () => {
  const backends = await startBackends({ count: 1, chunks: 5, intervalMs: 5 });
  const target = new StreamTarget(backends.urls[0]!, REQUEST);
  try {
    let firsts = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, () => openStream(target, 5, () => firsts++)),
    );
    assert.deepEqual(results, Array(20).fill(undefined));
    assert.equal(firsts, 20);
    // Expecting more chunks than the backend sends is a failure, not a pass.
    assert.match((await openStream(target, 6, () => {})) ?? '', /got 5\/6/);
  } finally {
    target.closeAll();
    await backends.close();
  }
});

test('out-of-order events, a cut stream, a bad status and a refused connection are failures', async () => {
  const { url, server } = await serve((req, res) => {
    req.resume();
    res.writeHead(req.url === '/bad' ? 503 : 200, { 'content-type': 'text/event-stream' });
    if (req.url === '/swap') res.end(sseChunk(1) + sseChunk(0) + 'data: [DONE]\n\n');
    else if (req.url === '/cut') {
      res.write(sseChunk(0));
      setTimeout(() => res.socket?.destroy(), 20);
    } else res.end('{"error":{}}');
  });
  const at = (path: string) => new StreamTarget(url, { ...REQUEST, path });
  try {
    assert.match((await openStream(at('/swap'), 2, () => {})) ?? '', /chunk 1 arrived when 0 was expected/);
    assert.match((await openStream(at('/cut'), 2, () => {})) ?? '', /closed/);
    assert.equal(await openStream(at('/bad'), 2, () => {}), 'status 503');
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
  // Nobody listens there any more: refused.
  assert.match((await openStream(at('/'), 2, () => {})) ?? '', /ECONNREFUSED/);
});
