/**
 * A scriptable OpenAI-compatible backend for proxy tests (the "fake-llm" of the reliability plan): real
 * sockets, per-request behaviour chosen by the test (default script, or a JSON `x-fake` header that the
 * proxy forwards), and a record of every request and of every client abort it observed. The simulator in
 * src/sim is the realistic backend; this one is for exact, adversarial timing.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeScript {
  /** Answer this status with an OpenAI-style error body instead of a completion. */
  status?: number;
  /** `Retry-After` header for error statuses (seconds). */
  retryAfter?: number;
  /** Delay before the response head, ms. */
  ttftMs?: number;
  /** Streamed tokens (chunks) for `stream: true`, or tokens in a non-stream answer. Default 5. */
  tokens?: number;
  /** Delay between chunks, ms. Default 0. */
  intervalMs?: number;
  /** After N chunks, kill the connection (`fin` = end socket, `rst` = reset). */
  closeAfter?: number;
  closeMode?: 'fin' | 'rst';
  /** After N chunks, go silent (keep the socket open). */
  stallAfter?: number;
  /** Send SSE comment pings every N ms while stalled. */
  pingMs?: number;
  /** Read the request, then destroy the socket without any response. */
  resetBeforeHeaders?: boolean;
  /** Never answer (hold the socket). */
  hang?: boolean;
  /** Reply with non-HTTP bytes. */
  garbage?: boolean;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** Non-stream: announce this Content-Length but send half the body and close. */
  contentLengthLie?: boolean;
  /** Bytes per chunk payload padding (for backpressure tests). */
  padBytes?: number;
}

export interface FakeRequestRecord {
  id: string;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  arrivedAt: number;
  /** performance.now() when the backend saw the client (the proxy) go away early; undefined if it didn't. */
  abortedAt: number | undefined;
  /** Chunks written before the end or abort. */
  chunksSent: number;
  finished: boolean;
}

export interface FakeLlm {
  url: string;
  port: number;
  name: string;
  requests: FakeRequestRecord[];
  /** Default script for requests without an `x-fake` header. */
  script: FakeScript;
  /** Status of GET /health (default 200). */
  healthStatus: number;
  /** Models listed by GET /v1/models. */
  models: string[];
  /** The underlying server (e.g. to shorten `keepAliveTimeout`). */
  server: http.Server;
  /** Stops accepting (simulates a dead port); `start()` again on the same port is not guaranteed. */
  close(): Promise<void>;
  /** Resolves when `predicate` holds, polling every 5 ms, or rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
}

export async function startFakeLlm(name: string, script: FakeScript = {}): Promise<FakeLlm> {
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });
  const fake: FakeLlm = {
    server,
    url: '',
    port: 0,
    name,
    requests: [],
    script,
    healthStatus: 200,
    models: ['test-model'],
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
    waitFor: async (predicate, timeoutMs = 5_000) => {
      const deadline = performance.now() + timeoutMs;
      while (!predicate()) {
        if (performance.now() > deadline)
          throw new Error(`fake ${name}: condition not met in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
  };

  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 5_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = req.url ?? '/';
    if (url === '/health') {
      res.writeHead(fake.healthStatus, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    if (url === '/v1/models' && req.method === 'GET') {
      const data = fake.models.map((id) => ({ id, object: 'model', owned_by: name }));
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ object: 'list', data }));
      return;
    }
    const header = req.headers['x-fake'];
    const s: FakeScript =
      typeof header === 'string' ? { ...fake.script, ...JSON.parse(header) } : fake.script;
    const record: FakeRequestRecord = {
      id: String(req.headers['x-request-id'] ?? ''),
      method: req.method ?? '',
      url,
      headers: req.headers,
      body,
      arrivedAt: performance.now(),
      abortedAt: undefined,
      chunksSent: 0,
      finished: false,
    };
    fake.requests.push(record);
    res.on('close', () => {
      if (!res.writableFinished && record.abortedAt === undefined) record.abortedAt = performance.now();
    });
    const socket = req.socket;
    if (s.garbage) {
      socket.end('NOT-HTTP garbage \x00\x01\x02\r\n\r\n');
      return;
    }
    if (s.resetBeforeHeaders) {
      socket.resetAndDestroy();
      return;
    }
    if (s.hang) return;
    if (s.ttftMs) await sleep(s.ttftMs);
    if (res.destroyed) return;
    const extra = s.headers ?? {};
    if (s.status !== undefined && s.status >= 400) {
      const err = JSON.stringify({
        error: { message: `fake ${name} says ${s.status}`, type: 'x', param: null, code: null },
      });
      const h: Record<string, string> = { 'content-type': 'application/json', ...extra };
      if (s.retryAfter !== undefined) h['retry-after'] = String(s.retryAfter);
      res.writeHead(s.status, h).end(err);
      record.finished = true;
      return;
    }
    let json: { stream?: boolean; model?: string } = {};
    try {
      json = JSON.parse(body || '{}');
    } catch {}
    const tokens = s.tokens ?? 5;
    const pad = 'x'.repeat(s.padBytes ?? 0);
    if (!json.stream) {
      const text = Array.from({ length: tokens }, (_, i) => `t${i}`).join(' ');
      const out = JSON.stringify({
        id: `cmpl-${record.id}`,
        object: 'chat.completion',
        created: 0,
        model: json.model ?? 'test-model',
        backend: name,
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 1, completion_tokens: tokens, total_tokens: tokens + 1 },
      });
      if (s.contentLengthLie) {
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': String(out.length * 2),
          ...extra,
        });
        res.write(out);
        setTimeout(() => socket.destroy(), 20);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', ...extra }).end(out);
      record.finished = true;
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...extra });
    res.flushHeaders();
    for (let i = 0; i < tokens; i++) {
      if (res.destroyed) return;
      if (s.closeAfter !== undefined && i === s.closeAfter) {
        if (s.closeMode === 'rst') socket.resetAndDestroy();
        else socket.destroy();
        return;
      }
      if (s.stallAfter !== undefined && i === s.stallAfter) {
        if (s.pingMs) {
          const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write(': ping\n\n')), s.pingMs);
        }
        return;
      }
      const chunk = {
        id: `chunk-${record.id}`,
        object: 'chat.completion.chunk',
        created: 0,
        model: json.model ?? 'test-model',
        choices: [
          {
            index: 0,
            delta: i === 0 ? { role: 'assistant', content: `t${i}${pad}` } : { content: ` t${i}${pad}` },
            finish_reason: null,
          },
        ],
      };
      const ok = res.write(`data: ${JSON.stringify(chunk)}\n\n`);
      record.chunksSent += 1;
      if (!ok) await new Promise((r) => res.once('drain', r));
      if (s.intervalMs) await sleep(s.intervalMs);
    }
    if (res.destroyed) return;
    const last = {
      id: `chunk-${record.id}`,
      object: 'chat.completion.chunk',
      created: 0,
      model: json.model ?? 'test-model',
      choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
    };
    res.write(`data: ${JSON.stringify(last)}\n\n`);
    res.end('data: [DONE]\n\n');
    record.finished = true;
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  fake.port = (server.address() as AddressInfo).port;
  fake.url = `http://127.0.0.1:${fake.port}`;
  return fake;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
