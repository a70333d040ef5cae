#!/usr/bin/env node
/**
 * Diagnostics, not a product feature: runs `fulcrum` as bin/fulcrum.js does and, with
 * FULCRUM_BENCH_STREAM_LOG=FILE, appends where each stream's first chunk spent its time inside Fulcrum:
 *
 *   A <accepted, epoch ms> <ms from accept to the request handler>
 *   T <handler start, epoch ms> <ms from the handler to the first body byte sent>   (streams only)
 *
 * from Node's `net.server.socket` and `http.server.request.start` diagnostics channels and Fulcrum's own
 * `fulcrum:request.end`. Since the data plane runs its own HTTP/1.1 server instead of node:http
 * (src/server/h1/), `http.server.request.start` no longer fires there, so only the `T` lines are written. Together with a TTFC dump, scripts/ttfc-split.mjs shows how much of the client's
 * time to first chunk passed before Fulcrum accepted the connection (docs/benchmarks.md, run 15):
 *
 *   FULCRUM_BENCH_STREAM_LOG=/tmp/s FULCRUM_BENCH_TTFC_DUMP=/tmp/ttfc npm run bench:proxy -- \
 *     --contenders fulcrum --phases sse --fulcrum-launcher scripts/stream-timing-launcher.mjs
 *   node scripts/ttfc-split.mjs /tmp/ttfc /tmp/s
 */
import diagnostics from 'node:diagnostics_channel';
import { appendFileSync } from 'node:fs';

const file = process.env.FULCRUM_BENCH_STREAM_LOG;
if (file) {
  const lines = [];
  const accepted = Symbol('accepted');
  const now = () => performance.timeOrigin + performance.now();
  diagnostics.subscribe('net.server.socket', ({ socket }) => {
    socket[accepted] = now();
  });
  diagnostics.subscribe('http.server.request.start', ({ request }) => {
    const at = request.socket[accepted];
    if (at === undefined) return;
    request.socket[accepted] = undefined; // the first request on a connection only
    lines.push(`A ${at.toFixed(1)} ${(now() - at).toFixed(2)}`);
  });
  diagnostics.subscribe('fulcrum:request.end', (e) => {
    if (e.stream && e.ttfbMs !== undefined)
      lines.push(`T ${(now() - e.durationMs).toFixed(1)} ${e.ttfbMs.toFixed(2)}`);
  });
  const flush = () => {
    if (lines.length > 0) appendFileSync(file, `${lines.splice(0).join('\n')}\n`);
  };
  setInterval(flush, 1000).unref();
  process.once('exit', flush);
}
await import(new URL('../bin/fulcrum.js', import.meta.url).href);
