/**
 * A tiny OpenAI-compatible streaming server with exact timing, for checking the bench's own measurements:
 * the first token is written `ttftMs` after the request arrives and token i at `ttftMs + i·itlMs`, each
 * timer set against the request's arrival so that timer slack never accumulates. Times are virtual and
 * divided by `timeScale`. Answers `x-fulcrum-backend: <name>`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FixedServer {
  url: string;
  /** Requests received. */
  count(): number;
  close(): Promise<void>;
}

export async function startFixedServer(options: {
  ttftMs: number;
  itlMs: number;
  timeScale?: number;
  name?: string;
  /** Answer this status instead of streaming. */
  failWith?: number;
}): Promise<FixedServer> {
  const k = options.timeScale ?? 1;
  let count = 0;
  const server: Server = createServer((req, res) => {
    const arrived = performance.now();
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"object":"list","data":[]}');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      count++;
      if (options.failWith) {
        res
          .writeHead(options.failWith, { 'content-type': 'application/json' })
          .end('{"error":{"message":"no"}}');
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        max_tokens: number;
        messages?: unknown;
      };
      const n = body.max_tokens;
      const prompt = Math.ceil(Buffer.concat(chunks).length / 4);
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'x-fulcrum-backend': options.name ?? 'fixed-0',
      });
      res.flushHeaders();
      let sent = 0;
      const sendNext = () => {
        if (res.destroyed) return;
        const chunk = body.messages
          ? { choices: [{ index: 0, delta: { content: 'tok ' } }] }
          : { choices: [{ index: 0, text: 'tok ' }] };
        res.write(`data: ${JSON.stringify(chunk)}\n\n`);
        sent++;
        if (sent < n) {
          const due = arrived + (options.ttftMs + sent * options.itlMs) / k;
          setTimeout(sendNext, Math.max(0, due - performance.now()));
          return;
        }
        const usage = {
          prompt_tokens: prompt,
          completion_tokens: n,
          prompt_tokens_details: { cached_tokens: 0 },
        };
        res.write(`data: ${JSON.stringify({ choices: [], usage })}\n\n`);
        res.end('data: [DONE]\n\n');
      };
      setTimeout(sendNext, Math.max(0, arrived + options.ttftMs / k - performance.now()));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    count: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
