// Issue 3: every fault in the simulator's fault table, observed on the wire.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { test } from 'node:test';
import OpenAI from 'openai';
import { parseFault, parseWindow, type SimHandle, startSim } from '../../src/sim/index.js';
import type { SimRequestRecord } from '../../src/sim/records.js';

interface RawResult {
  data: string;
  /** How the server left the connection: FIN, RST, or still open when we gave up. */
  end: 'fin' | 'rst' | 'open';
  ms: number;
}

/** Sends one HTTP/1.1 request on a fresh socket and reports exactly what came back and how it ended. */
function raw(port: number, path: string, body: unknown, headers: Record<string, string> = {}, waitMs = 3000) {
  return new Promise<RawResult>((resolve, reject) => {
    const t0 = performance.now();
    const payload = JSON.stringify(body);
    const socket = connect(port, '127.0.0.1');
    let data = '';
    const done = (end: RawResult['end']) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ data, end, ms: performance.now() - t0 });
    };
    const timer = setTimeout(() => done('open'), waitMs);
    socket.on('data', (d) => {
      data += d.toString('latin1');
    });
    socket.on('end', () => done('fin'));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET') done('rst');
      else {
        clearTimeout(timer);
        reject(err);
      }
    });
    const extra = Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.write(
      `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(payload)}\r\n${extra}\r\n${payload}`,
    );
  });
}

const chat = (stream: boolean, maxTokens = 50) => ({
  messages: [{ role: 'user', content: 'tell me a story' }],
  max_tokens: maxTokens,
  ignore_eos: true,
  stream,
});
const contentChunks = (data: string) =>
  data.split('\n').filter((l) => l.includes('"content":"') && !l.includes('"content":""')).length;

async function withSim(fn: (sim: SimHandle) => Promise<void>, opts: Parameters<typeof startSim>[0] = {}) {
  const sim = await startSim({ timeScale: 10, ...opts });
  try {
    await fn(sim);
  } finally {
    await sim.close();
  }
}

function nextEnd(sim: SimHandle): Promise<SimRequestRecord> {
  return once(sim.events, 'request:end').then(([r]) => r as SimRequestRecord);
}

test('status faults: 429/500/503 with Retry-After and an OpenAI error body', () =>
  withSim(async (sim) => {
    for (const status of [429, 500, 503]) {
      const r = await fetch(`${sim.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-sim-fault': `status=${status};retry-after=2` },
        body: JSON.stringify(chat(false)),
      });
      assert.equal(r.status, status);
      assert.equal(r.headers.get('retry-after'), '2');
      const body = (await r.json()) as { error: { code: number } };
      assert.equal(body.error.code, status);
    }
    assert.equal(sim.stats().faults, 3);
  }));

test('reset-before-headers: RST and not one byte', () =>
  withSim(async (sim) => {
    const r = await raw(sim.port, '/v1/chat/completions', chat(true), {
      'x-sim-fault': 'reset-before-headers',
    });
    assert.equal(r.end, 'rst');
    assert.equal(r.data, '');
  }));

test('close-after=N: N tokens then FIN (default) or RST, without [DONE]; the engine request is cancelled', () =>
  withSim(async (sim) => {
    const ended = nextEnd(sim);
    const fin = await raw(sim.port, '/v1/chat/completions', chat(true), { 'x-sim-fault': 'close-after=3' });
    assert.equal(fin.end, 'fin');
    assert.match(fin.data, /^HTTP\/1\.1 200/);
    assert.equal(contentChunks(fin.data), 3);
    assert.ok(!fin.data.includes('[DONE]'));
    const rec = await ended;
    assert.equal(rec.outcome, 'fault');
    assert.equal(sim.stats().running, 0);
    const rst = await raw(sim.port, '/v1/chat/completions', chat(true), {
      'x-sim-fault': 'close-after=3;mode=rst',
    });
    assert.equal(rst.end, 'rst');
    assert.equal(contentChunks(rst.data), 3);
    // Not streaming: the connection closes after N tokens' worth of work, before any header.
    const whole = await raw(sim.port, '/v1/chat/completions', chat(false), {
      'x-sim-fault': 'close-after=3',
    });
    assert.deepEqual([whole.end, whole.data], ['fin', '']);
  }));

test('stall-after=N: N tokens, then silence on an open connection', () =>
  withSim(async (sim) => {
    const ended = nextEnd(sim);
    const r = await raw(
      sim.port,
      '/v1/chat/completions',
      chat(true),
      { 'x-sim-fault': 'stall-after=2' },
      800,
    );
    assert.equal(r.end, 'open');
    assert.equal(contentChunks(r.data), 2);
    assert.ok(!r.data.includes('finish_reason":"length'));
    const rec = await ended; // our socket.destroy() is the client giving up
    assert.equal(rec.outcome, 'fault');
  }));

test('garbage: bytes that are not HTTP; clients fail to parse', () =>
  withSim(async (sim) => {
    const r = await raw(sim.port, '/v1/chat/completions', chat(false), { 'x-sim-fault': 'garbage' });
    assert.ok(!r.data.startsWith('HTTP/'));
    assert.ok(r.data.length > 0);
    const client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'x', maxRetries: 0 });
    await assert.rejects(
      client.chat.completions.create(
        { model: 'meta-llama/Llama-3.1-8B-Instruct', messages: [{ role: 'user', content: 'x' }] },
        { headers: { 'x-sim-fault': 'garbage' } },
      ),
    );
  }));

test('bad-sse: a malformed event mid-stream breaks the SDK stream', () =>
  withSim(async (sim) => {
    const r = await raw(sim.port, '/v1/chat/completions', chat(true), { 'x-sim-fault': 'bad-sse=2' });
    assert.equal(contentChunks(r.data), 2);
    assert.ok(r.data.includes('data: {"id": "broken"'));
    const client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const stream = await client.chat.completions.create(
      { model: 'meta-llama/Llama-3.1-8B-Instruct', messages: [{ role: 'user', content: 'x' }], stream: true },
      { headers: { 'x-sim-fault': 'bad-sse=1' } },
    );
    await assert.rejects(async () => {
      for await (const _ of stream);
    });
  }));

test('slow-headers=MS: nothing before MS wall milliseconds', () =>
  withSim(async (sim) => {
    const t0 = performance.now();
    const r = await fetch(`${sim.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-sim-fault': 'slow-headers=300' },
      body: JSON.stringify(chat(false, 2)),
    });
    assert.ok(performance.now() - t0 >= 295);
    assert.equal(r.status, 200);
    await r.json();
  }));

test('content-length-lie: the body is shorter than announced, then the connection closes', () =>
  withSim(async (sim) => {
    const r = await raw(sim.port, '/v1/chat/completions', chat(false, 5), {
      'x-sim-fault': 'content-length-lie',
    });
    const [head = '', body = ''] = r.data.split('\r\n\r\n');
    const announced = Number(/content-length: (\d+)/i.exec(head)?.[1]);
    assert.ok(announced > Buffer.byteLength(body, 'latin1'));
    assert.notEqual(r.end, 'open');
    const res = await fetch(`${sim.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-sim-fault': 'content-length-lie' },
      body: JSON.stringify(chat(false, 5)),
    });
    await assert.rejects(res.text());
  }));

test('refuse=MS: connections are refused for MS, then accepted again', () =>
  withSim(async (sim) => {
    const r = await raw(sim.port, '/v1/chat/completions', chat(false), { 'x-sim-fault': 'refuse=400' });
    assert.equal(r.end, 'rst');
    await assert.rejects(fetch(`${sim.url}/health`), (e: Error & { cause?: { code?: string } }) => {
      return e.cause?.code === 'ECONNREFUSED';
    });
    await new Promise((r2) => setTimeout(r2, 500));
    assert.equal((await fetch(`${sim.url}/health`)).status, 200);
  }));

test('crash: every connection is reset and the listener is gone', () =>
  withSim(async (sim) => {
    let crashed = 0;
    sim.events.on('crash', () => crashed++);
    const inflight = raw(sim.port, '/v1/chat/completions', chat(true, 2000));
    await once(sim.events, 'request:start');
    const r = await raw(sim.port, '/v1/chat/completions', chat(false), { 'x-sim-fault': 'crash' });
    assert.equal(r.end, 'rst');
    assert.equal((await inflight).end, 'rst');
    assert.equal(crashed, 1);
    await assert.rejects(fetch(`${sim.url}/health`));
  }));

test('a short keep-alive timeout closes idle connections', () =>
  withSim(
    async (sim) => {
      const socket = connect(sim.port, '127.0.0.1');
      socket.write('GET /health HTTP/1.1\r\nhost: x\r\n\r\n');
      const t0 = performance.now();
      socket.resume();
      await once(socket, 'end');
      const idle = performance.now() - t0;
      assert.ok(idle < 2000, `closed after ${idle} ms`);
      socket.destroy();
    },
    { keepAliveTimeoutMs: 100 },
  ));

test('rate: a seeded share of requests gets a fault from the list; x-sim-fault: none opts out', () =>
  withSim(
    async (sim) => {
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) {
        const r = await fetch(`${sim.url}/v1/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ prompt: 'x', max_tokens: 1 }),
        });
        statuses.push(r.status);
        await r.arrayBuffer();
      }
      const faults = statuses.filter((s) => s === 503).length;
      assert.ok(faults > 8 && faults < 32, `${faults}/40 faults at rate 0.5`);
      const r = await fetch(`${sim.url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-sim-fault': 'none' },
        body: JSON.stringify({ prompt: 'x', max_tokens: 1 }),
      });
      assert.equal(r.status, 200);
    },
    { faults: { rate: 0.5, faults: [parseFault('status=503')] } },
  ));

test('schedule: a window applies its fault only inside it', () =>
  withSim(
    async (sim) => {
      const post = () =>
        fetch(`${sim.url}/v1/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ prompt: 'x', max_tokens: 1 }),
        });
      const inside = await post();
      assert.equal(inside.status, 500);
      await inside.arrayBuffer();
      await new Promise((r) => setTimeout(r, 450));
      const afterwards = await post();
      assert.equal(afterwards.status, 200);
      await afterwards.arrayBuffer();
    },
    { faults: { schedule: [parseWindow('0-0.4:status=500')] } },
  ));

test('a bad x-sim-fault header is a 400 that names the valid faults', () =>
  withSim(async (sim) => {
    const r = await fetch(`${sim.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-sim-fault': 'explode' },
      body: '{}',
    });
    assert.equal(r.status, 400);
    assert.match(await r.text(), /close-after/);
  }));

test('a client that goes away cancels its engine request at once (recorded with its x-request-id)', () =>
  withSim(async (sim) => {
    const controller = new AbortController();
    const res = await fetch(`${sim.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'gone-1' },
      body: JSON.stringify(chat(true, 5000)),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    assert.equal(sim.stats().running, 1);
    assert.ok(sim.stats().kvUsage > 0);
    const ended = nextEnd(sim);
    controller.abort();
    const rec = await ended;
    assert.equal(rec.requestId, 'gone-1');
    assert.equal(rec.outcome, 'aborted');
    assert.ok(rec.completionTokens < 5000);
    const s = sim.stats();
    assert.equal(s.running, 0);
    assert.equal(s.kvUsage, 0);
    assert.equal(s.aborted, 1);
  }));
