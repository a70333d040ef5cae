#!/usr/bin/env node
/**
 * How much does a proxy promote to V8's old generation per request? Starts the bench backends, runs
 * Fulcrum (or the minimal proxy) under `node --trace-gc-nvp`, drives it with wrk (closed loop, small POSTs)
 * and sums what the young-generation GCs report during the measured window.
 *
 *   npm run build && node scripts/gc-promotion.mjs [fulcrum|minimal] [seconds=5]
 *
 * Prints requests/s, scavenges and their total pause, mark-compacts, and bytes promoted and copied per
 * request. A proxy that keeps each request's objects alive past a scavenge shows up here long before it
 * shows up in a throughput number (docs/benchmarks.md, "Proxy overhead"). Needs wrk on PATH.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBackends, startProxy } from './proxies.mjs';

const [which = 'fulcrum', secondsArg = '5'] = process.argv.slice(2);
const seconds = Number(secondsArg);
if (!['fulcrum', 'minimal'].includes(which) || !(seconds > 0)) {
  console.error('usage: node scripts/gc-promotion.mjs [fulcrum|minimal] [seconds]');
  process.exit(2);
}
if (spawnSync('wrk', ['-v']).error) {
  console.error('wrk is not installed (apt-get install wrk)');
  process.exit(2);
}

const backends = await startBackends();
const urls = backends.urls;

let measuring = false;
const scavenges = { count: 0, pauseMs: 0, promoted: 0, copied: 0 };
let markCompacts = 0;
const onLine = (line) => {
  if (!measuring) return;
  if (/\bgc=s\b/.test(line)) {
    scavenges.count += 1;
    scavenges.pauseMs += Number(/\bpause=([\d.]+)/.exec(line)?.[1] ?? 0);
    scavenges.promoted += Number(/ promoted=(\d+)/.exec(line)?.[1] ?? 0);
    scavenges.copied += Number(/ new_space_survived=(\d+)/.exec(line)?.[1] ?? 0);
  } else if (/\bgc=(mc|mmc)\b/.test(line)) markCompacts += 1;
};
const proxy = await startProxy(which, urls, ['--trace-gc-nvp'], onLine);
const base = proxy.url;

const dir = mkdtempSync(join(tmpdir(), 'fulcrum-gc-'));
const script = join(dir, 'post.lua');
writeFileSync(
  script,
  `wrk.method = "POST"\nwrk.body = '{"model":"bench","messages":[{"role":"user","content":"hi"}],"max_tokens":8}'\nwrk.headers["Content-Type"] = "application/json"\n`,
);
/** Runs wrk without blocking this process, which must keep draining the proxy's trace output. */
const wrk = (s) =>
  new Promise((resolve) => {
    const child = spawn('wrk', ['-t1', '-c64', `-d${s}s`, '-s', script, `${base}/v1/chat/completions`]);
    let out = '';
    child.stdout.on('data', (b) => {
      out += b;
    });
    child.once('exit', () => resolve(out));
  });
await wrk(2); // warm-up, not counted
measuring = true;
const out = await wrk(seconds);
measuring = false;
await new Promise((r) => setTimeout(r, 200)); // trailing trace lines
const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
proxy.child.kill('SIGTERM');
backends.child.kill('SIGTERM');
if (requests === 0) {
  console.error(`wrk made no requests:\n${out}`);
  process.exit(1);
}
const perReq = (bytes) => `${Math.round(bytes / requests)} B/request`;
console.log(
  [
    `${which}: ${Math.round(requests / seconds)} req/s over ${seconds} s`,
    `scavenges ${scavenges.count} (pauses ${scavenges.pauseMs.toFixed(0)} ms), mark-compacts ${markCompacts}`,
    `promoted ${perReq(scavenges.promoted)}, survived a scavenge ${perReq(scavenges.copied)}`,
  ].join('\n'),
);
process.exit(0);
