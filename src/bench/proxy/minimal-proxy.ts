/**
 * The bench's reference point: the least a Node reverse proxy can do — node:http in, one undici Pool per
 * backend out, round robin, bodies streamed through, no features. It marks what one Node event loop can
 * do, so Fulcrum's overhead is measured against it rather than against an idealised number.
 *
 *   node --import tsx src/bench/proxy/minimal-proxy.ts PORT BACKEND_URL...   (PORT 0 picks a free one)
 * prints `minimal proxy listening on http://127.0.0.1:<port>`.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { DEFAULT_LISTEN_BACKLOG } from '../../server/listen-backlog.js';

// Hop-by-hop headers describe one connection, not the message, so they must not be forwarded.
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te']);

function endToEnd(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>) {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP.has(k)) out[k] = v;
  return out;
}

/** Starts the minimal proxy on 127.0.0.1:`port` in front of `backends` (base URLs). */
export async function startMinimalProxy(port: number, backends: string[]): Promise<Server> {
  // Unlimited connections per backend: each open SSE stream holds one.
  const pools = backends.map((url) => new Pool(url, { connections: null, pipelining: 1 }));
  let next = 0;
  const server = createServer((req, res) => {
    const pool = pools[next++ % pools.length]!;
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    pool.stream(
      {
        path: req.url ?? '/',
        method: req.method as 'GET',
        headers: endToEnd(req.headers),
        body: hasBody ? req : null,
      },
      ({ statusCode, headers }) => res.writeHead(statusCode, endToEnd(headers)),
      (err) => {
        if (!err) return;
        if (res.headersSent) res.destroy(err);
        else
          res
            .writeHead(502, { 'content-type': 'application/json' })
            .end('{"error":{"message":"bad gateway"}}');
      },
    );
  });
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 130_000;
  server.on('close', () => void Promise.all(pools.map((p) => p.close())));
  // The accept queue Fulcrum listens with by default, and the NGINX contender too (src/bench/nginx.ts).
  await new Promise<void>((resolve) =>
    server.listen({ port, host: '127.0.0.1', backlog: DEFAULT_LISTEN_BACKLOG }, resolve),
  );
  return server;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [port = '0', ...backends] = process.argv.slice(2);
  const server = await startMinimalProxy(Number(port), backends);
  console.log(`minimal proxy listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  process.once('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections());
}
