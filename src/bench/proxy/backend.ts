/**
 * The bench's fast backends: tiny OpenAI-shaped servers that answer as cheaply as Node allows, so that what
 * the bench measures is the proxy in front of them. A non-streaming request gets a small chat.completion;
 * a streaming one gets `chunks` SSE chunks `intervalMs` apart (the first at once), each carrying its
 * sequence number so the client can check order, then `data: [DONE]`.
 *
 * Run as its own process so the backends do not share an event loop with what they are measuring:
 *   node --import tsx src/bench/proxy/backend.ts --count 3 --chunks 40 --interval-ms 200
 * prints `backends ready <url> <url> <url>` on stdout.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_LISTEN_BACKLOG } from '../../server/listen-backlog.js';
import { writeEvent } from './fast-write.js';
import { startPauseLog } from './pause-log.js';

/** Options for {@link startBackends}. */
export interface BackendOptions {
  /** Number of backend servers, each on its own port; default 3. */
  count?: number;
  /** SSE chunks per streamed answer (before `[DONE]`); default 40. */
  chunks?: number;
  /** Milliseconds between SSE chunks; default 200. */
  intervalMs?: number;
}

/** Running backends. */
export interface Backends {
  urls: string[];
  close(): Promise<void>;
}

/** The printed line the bench waits for. */
export const BACKENDS_READY = /^backends ready ((?:http:\/\/\S+ ?)+)$/;

const COMPLETION = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 0,
  model: 'bench',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 8, completion_tokens: 1, total_tokens: 9 },
});

/** One SSE event whose delta content is `t<seq> `: the client checks the numbers arrive 0, 1, 2, … */
export function sseChunk(seq: number): string {
  return `data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":0,"model":"bench","choices":[{"index":0,"delta":{"content":"t${seq} "},"finish_reason":null}]}\n\n`;
}

function handler(index: number, chunks: number, intervalMs: number) {
  // The same events for every stream, encoded once: the backends should cost as little as they can, since
  // they share the machine with the proxy under test. Each is written in one syscall (`writeEvent`).
  const events = Array.from({ length: chunks }, (_, seq) => Buffer.from(sseChunk(seq), 'latin1'));
  return (req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      let stream = false;
      if (parts.length > 0) {
        try {
          stream =
            (JSON.parse(Buffer.concat(parts).toString('utf8')) as { stream?: unknown }).stream === true;
        } catch {
          res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"bad json"}}');
          return;
        }
      }
      if (!stream) {
        res
          .writeHead(200, { 'content-type': 'application/json', 'x-backend': String(index) })
          .end(COMPLETION);
        return;
      }
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        'x-backend': String(index),
      });
      let seq = 0;
      writeEvent(res, events[seq++]!);
      const timer = setInterval(() => {
        if (seq < chunks) {
          writeEvent(res, events[seq++]!);
          return;
        }
        clearInterval(timer);
        res.end('data: [DONE]\n\n');
      }, intervalMs);
      res.on('close', () => clearInterval(timer));
    });
  };
}

/** Starts `count` backends on 127.0.0.1, each on a free port. */
export async function startBackends(options: BackendOptions = {}): Promise<Backends> {
  const { count = 3, chunks = 40, intervalMs = 200 } = options;
  const servers: Server[] = [];
  for (let i = 0; i < count; i++) {
    const server = createServer(handler(i, chunks, intervalMs));
    // Proxies keep upstream connections idle for a while; closing them first would race with reuse.
    server.keepAliveTimeout = 120_000;
    server.headersTimeout = 130_000;
    servers.push(server);
    // A deep backlog keeps the backends from being what limits a connection burst.
    await new Promise<void>((resolve) =>
      server.listen({ port: 0, host: '127.0.0.1', backlog: DEFAULT_LISTEN_BACKLOG }, resolve),
    );
  }
  return {
    urls: servers.map((s) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`),
    close: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.closeAllConnections();
              s.close(() => resolve());
            }),
        ),
      );
    },
  };
}

async function main(): Promise<void> {
  startPauseLog('backend');
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '3' },
      chunks: { type: 'string', default: '40' },
      'interval-ms': { type: 'string', default: '200' },
    },
  });
  const backends = await startBackends({
    count: Number(values.count),
    chunks: Number(values.chunks),
    intervalMs: Number(values['interval-ms']),
  });
  console.log(`backends ready ${backends.urls.join(' ')}`);
  process.once('SIGTERM', () => void backends.close().then(() => process.exit(0)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) void main();
