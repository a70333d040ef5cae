#!/usr/bin/env node
/**
 * Experiment, not a product feature: the least CPU one Node event loop can spend per proxied stream. It
 * takes `fulcrum serve`'s arguments (only `--backend`, `--port`, `--host` are read) but relays TCP bytes
 * without parsing HTTP at all: accept, connect to the next backend round robin, copy bytes both ways, close
 * when either side ends. Whatever a Node HTTP proxy spends above this is HTTP work (parsers, request and
 * response objects, headers); whatever this spends above NGINX is Node's sockets and event loop. It answers
 * "how far below the minimal proxy could an HTTP server of our own take Fulcrum?" (docs/benchmarks.md,
 * run 18).
 *
 *   npm run bench:proxy -- --contenders nginx,minimal,fulcrum --phases sse --sse-rounds 1 --chunks 1 \
 *     --fulcrum-launcher scripts/l4-floor-experiment.mjs
 *
 * The bench's "fulcrum" row is then this relay. Its client sends one request per connection, so a byte
 * relay answers it correctly; it is not a proxy for anything else (no backpressure, no errors, no limits).
 */
import net from 'node:net';

const args = process.argv.slice(2);
const backends = [];
let port = 0;
let host = '127.0.0.1';
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--backend') backends.push(new URL(args[++i]));
  else if (args[i] === '--port') port = Number(args[++i]);
  else if (args[i] === '--host') host = args[++i];
}
if (backends.length === 0) throw new Error('usage: l4-floor-experiment.mjs serve --backend URL…');

// One read buffer for every upstream socket, as Fulcrum's upstream connections use (onread mode).
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
let next = 0;

const server = net.createServer({ noDelay: true }, (client) => {
  const target = backends[next++ % backends.length];
  const upstream = net.connect({
    host: target.hostname,
    port: Number(target.port),
    noDelay: true,
    onread: {
      buffer: READ_BUFFER,
      callback: (nread, buf) => {
        client.write(Buffer.from(buf.subarray(0, nread)));
        return true;
      },
    },
  });
  client.on('data', (chunk) => upstream.write(chunk));
  client.on('end', () => upstream.end());
  upstream.on('end', () => client.end());
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
});
server.listen({ port, host, backlog: 4096 }, () => {
  console.log(`l4 floor relay listening on http://${host}:${server.address().port}`);
});
process.once('SIGTERM', () => process.exit(0));
