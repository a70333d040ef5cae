#!/usr/bin/env node
/**
 * Experiment, not a product feature: runs `fulcrum` as bin/fulcrum.js does, then registers ACCEPTORS (default
 * 7) duplicate descriptors of the data plane's listening socket with the same event loop. Node 20's libuv
 * accepts one connection per descriptor each time the poller reports it (libuv/libuv#3696), so with N+1
 * descriptors one pass of a busy loop can take up to N+1 waiting connections instead of one. It answers
 * "does the accept queue's wait shrink when the loop accepts more per pass?" (docs/benchmarks.md, runs 15
 * and 17).
 *
 *   ACCEPTORS=7 npm run bench:proxy -- --contenders nginx,fulcrum --phases sse \
 *     --fulcrum-launcher scripts/acceptors-experiment.mjs
 *
 * ACCEPTORS=0 runs the same launcher with no extra descriptor: the control arm of an A/B.
 *
 * How the duplicates are made: Node 20 can neither dup() a descriptor nor set SO_REUSEPORT, but a handle
 * sent over an IPC channel arrives as a new descriptor of the same socket. A helper process receives the
 * listening server and sends it straight back, ACCEPTORS times, then closes its own copies — a copy left
 * open in the helper would take connections from the same queue and never answer them.
 *
 * Two traps, both handled below: Node listens on every received handle again with its default backlog of
 * 511, which shrinks the shared socket's queue (the data plane's `listen.backlog` is restored afterwards);
 * and each received server's connections must be handed to the HTTP server, or nobody answers them.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';

const extra = Math.max(0, Number(process.env.ACCEPTORS ?? 7));
const helper = `process.on('message', (m, h) => {
  process.send('back', h, () => { h.close(); if (m === 'last') process.disconnect(); });
});`;

const listen = net.Server.prototype.listen;
let dataPlane;
net.Server.prototype.listen = function (...args) {
  // The data plane listens first (startFulcrum); the admin listener comes after it.
  if (!dataPlane) {
    dataPlane = this;
    const backlog = args[0]?.backlog ?? 511;
    this.once('listening', () => void duplicate(this, backlog));
  }
  return listen.apply(this, args);
};

function duplicate(server, backlog) {
  if (extra === 0) return;
  const child = spawn(process.execPath, ['-e', helper], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  let received = 0;
  const copies = [];
  child.on('message', (_msg, copy) => {
    copy.on('connection', (socket) => server.emit('connection', socket));
    copies.push(copy);
    received += 1;
    if (received === extra) {
      server._handle.listen(backlog);
      console.error(`[acceptors-experiment] ${extra} extra descriptors, backlog ${backlog}`);
    }
  });
  // Graceful shutdown stops accepting by closing the data plane's server: the copies must stop with it.
  const close = server.close;
  server.close = function (...args) {
    for (const c of copies) c.close();
    return close.apply(this, args);
  };
  for (let i = 0; i < extra; i++) child.send(i === extra - 1 ? 'last' : 'dup', server);
}

await import(new URL('../bin/fulcrum.js', import.meta.url).href);
