#!/usr/bin/env node
/**
 * Experiment, not a product feature: N Fulcrum instances in ONE process, one per worker thread (the main
 * thread is one of them), all accepting on one listening socket. Each instance has its own pool, health and
 * metrics (nothing is shared; the admin listener is off), so it only answers "would more event loops in the
 * process help the data plane?". docs/benchmarks.md (run 8) records what it measured.
 *
 *   npm run bench:proxy -- --contenders nginx,fulcrum --phases sse --fulcrum-launcher scripts/threads-experiment.mjs
 *   FULCRUM_THREADS=3 node scripts/threads-experiment.mjs serve --backend URL ... --port 0
 *
 * The workers listen on the main thread's socket by file descriptor (`listen({ fd })`): every event loop
 * polls the same socket and the kernel hands each connection to one of them.
 */
import net from 'node:net';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const root = new URL('../dist/src/', import.meta.url);
const { startFulcrum } = await import(new URL('server/fulcrum.js', root).href);
const { parseServeArgs } = await import(new URL('config/flags.js', root).href);
const { loadConfig } = await import(new URL('config/load.js', root).href);

const argv = process.argv.slice(2);
const flags = parseServeArgs(argv[0] === 'serve' ? argv.slice(1) : argv).flags;
const loaded = await loadConfig({ flags });
const config = { ...loaded, admin: { ...loaded.admin, enabled: false } };
const threads = Math.max(1, Number(process.env.FULCRUM_THREADS ?? 2));

if (isMainThread) {
  const listen = net.Server.prototype.listen;
  let server;
  net.Server.prototype.listen = function (...args) {
    server = this;
    return listen.apply(this, args);
  };
  const handle = await startFulcrum(config);
  net.Server.prototype.listen = listen;
  const fd = server._handle.fd;
  for (let i = 1; i < threads; i++) {
    const worker = new Worker(new URL(import.meta.url), { workerData: { fd }, argv });
    await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  }
  console.log(`Fulcrum listening on ${handle.url} (${threads} threads, experiment)`);
  process.once('SIGTERM', () => process.exit(0));
} else {
  const listen = net.Server.prototype.listen;
  // Whatever address the data plane asks for, listen on the main thread's socket instead.
  net.Server.prototype.listen = function (...args) {
    const callback = args.find((a) => typeof a === 'function');
    return listen.call(this, { fd: workerData.fd }, callback);
  };
  await startFulcrum(config);
  parentPort.postMessage('listening');
}
