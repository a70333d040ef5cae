/** Servers on port 0 and pools for the upstream client's tests; `after(closeAll)` closes them all. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { H1Pool } from '../../src/upstream/h1-pool.js';

const closers: Array<() => void> = [];

export function closeAll(): void {
  for (const close of closers.splice(0)) close();
}

/** A pool for `origin`, destroyed by {@link closeAll}. */
export function pool(origin: string, connections: number | null = null): H1Pool {
  const p = new H1Pool(origin, { connections, connectTimeoutMs: 2_000 });
  closers.push(() => void p.destroy());
  return p;
}

/** Polls `check` every 10 ms for up to 2 s. */
export async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), what);
}

/** A raw TCP server: `reply(socket, request, n)` for the n-th request (1-based) on that socket. */
export async function rawServer(reply: (socket: net.Socket, request: string, n: number) => void) {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    let got = '';
    let n = 0;
    socket.on('data', (d) => {
      got += d.toString('latin1');
      for (let end = got.indexOf('\r\n\r\n'); end !== -1; end = got.indexOf('\r\n\r\n')) {
        const request = got.slice(0, end);
        got = got.slice(end + 4);
        reply(socket, request, ++n);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return {
    origin: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    connections: () => connections,
  };
}

/** A node:http server that counts TCP connections and keeps its sockets (to cut them). */
export async function httpServer(handler: http.RequestListener) {
  const server = http.createServer(handler);
  const sockets = new Set<net.Socket>();
  let connections = 0;
  server.on('connection', (s) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => {
    server.closeAllConnections();
    server.close();
  });
  const port = (server.address() as net.AddressInfo).port;
  return { server, sockets, origin: `http://127.0.0.1:${port}`, connections: () => connections };
}
