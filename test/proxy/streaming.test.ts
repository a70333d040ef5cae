/**
 * After the commit point: SSE relayed unbuffered and in order, mid-stream death (S03), stalls (S05), client
 * disconnects in every phase (S10, S11) and slow readers (S12).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { afterEach, describe, test } from 'node:test';
import { rawClient, rawRequest } from '../protocol/support.js';
import { type Cluster, chat, startCluster } from '../support/cluster.js';
import { postJson, sleep, streamChat, waitFor } from '../support/http.js';

describe('streaming', () => {
  let c: Cluster | undefined;
  afterEach(async () => {
    await c?.close();
    c = undefined;
  });

  test('SSE is relayed chunk by chunk, unbuffered, with streaming headers', async () => {
    c = await startCluster([{ tokens: 10, intervalMs: 40 }]);
    const s = await streamChat(c.chatUrl, chat());
    assert.equal(s.status, 200);
    assert.equal(s.headers['x-accel-buffering'], 'no');
    assert.equal(s.headers['content-encoding'], undefined);
    assert.ok(s.done);
    assert.equal(s.events.length, 11);
    const contents = s.events.slice(0, 10).map((e) => JSON.parse(e).choices[0].delta.content.trim());
    assert.deepEqual(
      contents,
      Array.from({ length: 10 }, (_, i) => `t${i}`),
      'in order, none lost',
    );
    // Unbuffered: the events arrive spread over the backend's pacing, not all at the end.
    const spread = s.times[9]! - s.times[0]!;
    assert.ok(spread > 200, `events spread over ${spread.toFixed(0)} ms`);
  });

  for (const mode of ['fin', 'rst'] as const) {
    test(`S03: backend dies mid-stream (${mode}) → tokens once, one terminal error event, no [DONE], no replay`, async () => {
      c = await startCluster([{ tokens: 200, intervalMs: 5, closeAfter: 50, closeMode: mode }, {}], {
        strategy: { name: 'round-robin' },
      });
      const s = await streamChat(c.chatUrl, chat(), { headers: { 'x-request-id': `s03-${mode}` } });
      assert.equal(s.status, 200);
      assert.equal(s.done, false, 'no [DONE] after a cut');
      assert.equal(s.events.length, 51, '50 tokens then exactly one error event');
      const tokens = s.events.slice(0, 50).map((e) => JSON.parse(e).choices[0].delta.content.trim());
      assert.deepEqual(
        tokens,
        Array.from({ length: 50 }, (_, i) => `t${i}`),
      );
      const last = JSON.parse(s.events[50]!);
      assert.equal(last.error.code, 'upstream_stream_error');
      assert.equal(typeof last.error.message, 'string');
      assert.equal(c.fakes[1]!.requests.filter((r) => r.id === `s03-${mode}`).length, 0, 'B never saw it');
      await waitFor(() => c!.fulcrum.pool.get('a')!.state.inflight === 0, 1_000, 'in-flight back to 0');
    });
  }

  test('an SSE head reaches the client at once, before the first token (a long prefill is visibly accepted)', async () => {
    // The endpoint sends its head and then nothing: only the head can reach the client.
    c = await startCluster([{ tokens: 5, stallAfter: 0 }]);
    const client = rawClient(Number(new URL(c.chatUrl).port));
    client.socket.write(
      rawRequest('POST', '/v1/chat/completions', { body: JSON.stringify(chat({ stream: true })) }),
    );
    try {
      await waitFor(() => client.data().includes('\r\n\r\n'), 2_000);
      assert.match(client.data(), /^HTTP\/1\.1 200 /);
      assert.match(client.data(), /content-type: text\/event-stream/i);
    } finally {
      client.socket.destroy();
    }
  });

  test('S05: a stalled stream ends with an idle-timeout error event; the backend sees the close', async () => {
    c = await startCluster([{ tokens: 100, stallAfter: 10 }], { timeouts: { idleMs: 400 } });
    const t0 = performance.now();
    const s = await streamChat(c.chatUrl, chat());
    const took = performance.now() - t0;
    assert.equal(s.events.length, 11);
    assert.equal(JSON.parse(s.events[10]!).error.code, 'upstream_idle_timeout');
    assert.equal(s.done, false);
    assert.ok(took >= 380 && took < 2_000, `cut after the idle timeout (${took.toFixed(0)} ms)`);
    await c.fakes[0]!.waitFor(() => c!.fakes[0]!.requests[0]!.abortedAt !== undefined, 1_000);
  });

  test('S05 negative control: SSE comments keep a quiet stream alive', async () => {
    c = await startCluster([{ tokens: 100, stallAfter: 3, pingMs: 100 }], { timeouts: { idleMs: 400 } });
    const ac = new AbortController();
    const pending = streamChat(c.chatUrl, chat(), { signal: ac.signal });
    await sleep(1_200);
    assert.equal(c.fakes[0]!.requests[0]!.abortedAt, undefined, 'not cut while pings flow');
    ac.abort();
    await pending;
  });

  test('S10: client disconnect mid-stream cancels the upstream at once', async () => {
    c = await startCluster([{ tokens: 200, intervalMs: 10 }]);
    const s = await streamChat(c.chatUrl, chat(), { abortAfter: 20 });
    const rec = () => c!.fakes[0]!.requests[0]!;
    await waitFor(() => rec().abortedAt !== undefined, 2_000, 'backend observed the abort');
    const lag = rec().abortedAt! - s.abortedAt!;
    // Normally a few ms; the slack is for a loaded machine. Left running, the stream would go on ~1.8 s.
    assert.ok(lag < 500, `backend saw the close ${lag.toFixed(1)} ms after the client`);
    assert.ok(rec().chunksSent < 100, 'generation stopped early');
    await waitFor(() => c!.fulcrum.pool.get('a')!.state.inflight === 0, 500, 'in-flight released');
  });

  test('S11: client disconnect while waiting for the first token cancels the upstream', async () => {
    c = await startCluster([{ ttftMs: 5_000 }]);
    const ac = new AbortController();
    const pending = streamChat(c.chatUrl, chat(), { signal: ac.signal }).catch(() => undefined);
    await waitFor(() => c!.fakes[0]!.requests.length === 1, 2_000);
    await sleep(100);
    const t = performance.now();
    ac.abort();
    await pending;
    await waitFor(() => c!.fakes[0]!.requests[0]!.abortedAt !== undefined, 2_000, 'abort seen');
    // Normally a few ms; without the cancellation the upstream would hold on until its 5 s TTFT.
    assert.ok(c.fakes[0]!.requests[0]!.abortedAt! - t < 500);
  });

  test('S11: client disconnect during a long non-streaming request cancels the upstream', async () => {
    c = await startCluster([{ ttftMs: 5_000 }]);
    const ac = new AbortController();
    const pending = fetch(c.chatUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(chat()),
      signal: ac.signal,
    }).catch(() => undefined);
    await waitFor(() => c!.fakes[0]!.requests.length === 1, 2_000);
    const t = performance.now();
    ac.abort();
    await pending;
    await waitFor(() => c!.fakes[0]!.requests[0]!.abortedAt !== undefined, 2_000, 'abort seen');
    assert.ok(c.fakes[0]!.requests[0]!.abortedAt! - t < 500);
  });

  test('S12: a slow reader pauses the upstream instead of growing memory', async () => {
    // 6,000 chunks of ~8 KiB = ~48 MiB offered as fast as possible while the client reads nothing. Loopback
    // TCP buffers (several MiB per socket on Linux) absorb some; the rest must stay in the backend, unsent.
    c = await startCluster([{ tokens: 6_000, padBytes: 8_000 }]);
    const port = Number(new URL(c.fulcrum.url).port);
    const socket = net.connect(port, '127.0.0.1');
    const body = JSON.stringify(chat({ stream: true }));
    global.gc?.();
    const buffersBefore = process.memoryUsage().arrayBuffers;
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    socket.pause();
    const sent = () => c!.fakes[0]!.requests[0]?.chunksSent ?? 0;
    await waitFor(() => sent() > 0, 2_000);
    let last = -1;
    while (sent() !== last) {
      last = sent();
      await sleep(300);
    }
    assert.ok(last < 4_000, `upstream paused after ${last} chunks (of 6,000) while the client read nothing`);
    const growth = process.memoryUsage().arrayBuffers - buffersBefore;
    assert.ok(
      growth < 8 * 1024 * 1024,
      `buffered bytes in process grew by ${(growth / 1048576).toFixed(1)} MiB`,
    );
    socket.destroy();
    await waitFor(() => c!.fakes[0]!.requests[0]!.abortedAt !== undefined, 2_000, 'upstream cancelled');
  });

  test('S12: time paused for a slow reader does not count as upstream silence (idle timeout)', async () => {
    // The client reads nothing for 3× the idle timeout, so the upstream is held back that long; then it
    // reads everything. The stream must complete: the silence was ours, not the endpoint's.
    c = await startCluster([{ tokens: 4_000, padBytes: 8_000 }], { timeouts: { idleMs: 300 } });
    const port = Number(new URL(c.fulcrum.url).port);
    const socket = net.connect(port, '127.0.0.1');
    const body = JSON.stringify(chat({ stream: true }));
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    socket.pause();
    await waitFor(() => (c!.fakes[0]!.requests[0]?.chunksSent ?? 0) > 0, 2_000);
    await sleep(900);
    assert.ok((c.fakes[0]!.requests[0]!.chunksSent ?? 0) < 4_000, 'the upstream was held back');
    const received: Buffer[] = [];
    socket.on('data', (b: Buffer) => received.push(b));
    const ended = new Promise<void>((r) => socket.on('close', () => r()));
    socket.resume();
    await ended;
    const text = Buffer.concat(received).toString('latin1');
    assert.ok(text.includes('data: [DONE]'), 'the stream completed');
    assert.ok(!text.includes('upstream_idle_timeout'), 'no idle-timeout error event');
    assert.equal(c.fakes[0]!.requests[0]!.abortedAt, undefined);
  });

  test('S12: a client that stops reading is cut after the send timeout', async () => {
    c = await startCluster([{ tokens: 2_000, padBytes: 8_000 }], { listen: { sendTimeoutMs: 500 } });
    const port = Number(new URL(c.fulcrum.url).port);
    const socket = net.connect(port, '127.0.0.1');
    const body = JSON.stringify(chat({ stream: true }));
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    socket.pause();
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('error', () => {});
    await waitFor(() => c!.fakes[0]!.requests[0]?.abortedAt !== undefined, 5_000, 'upstream closed on stall');
    socket.resume();
    await closed;
  });

  test('in-flight counters return to zero after a mixed burst', async () => {
    c = await startCluster([
      { tokens: 20, intervalMs: 2 },
      { tokens: 20, intervalMs: 2, closeAfter: 5 },
    ]);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 2
          ? streamChat(c!.chatUrl, chat(), { abortAfter: i % 4 === 1 ? 3 : undefined })
          : postJson(c!.chatUrl, chat()),
      ),
    );
    await waitFor(() => c!.fulcrum.pool.endpoints.every((e) => e.state.inflight === 0), 2_000, 'inflight 0');
    await waitFor(() => c!.fulcrum.activeRequests() === 0, 2_000, 'no active requests');
  });
});
