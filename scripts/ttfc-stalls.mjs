#!/usr/bin/env node
/**
 * Lines up slow first chunks with stalls. Reads a TTFC dump (FULCRUM_BENCH_TTFC_DUMP=FILE: per ramp, its
 * start as epoch ms, then each stream's start in ms into the ramp and its TTFC) and the pause logs written
 * under FULCRUM_BENCH_PAUSE_LOG=PREFIX (PREFIX.<role>.<pid>: `<epoch ms> <kind> <ms>` lines from the bench's
 * client, backends and, with scripts/pause-launcher.mjs, Fulcrum). For each ramp in the dump it prints the
 * 100 ms windows where more than 5 streams took over `slowMs` to their first chunk, and every pause of at
 * least `pauseMs` in any process during the ramp, in ms into the ramp.
 *
 *   node scripts/ttfc-stalls.mjs DUMP PREFIX [slowMs=15] [pauseMs=5]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readTtfcDump } from './ttfc-dump.mjs';

const [dumpFile, prefix, slowArg = '15', pauseArg = '5'] = process.argv.slice(2);
if (!dumpFile || !prefix) {
  console.error('usage: node scripts/ttfc-stalls.mjs DUMP PAUSE_LOG_PREFIX [slowMs] [pauseMs]');
  process.exit(2);
}
const slowMs = Number(slowArg);
const pauseMs = Number(pauseArg);

const ramps = readTtfcDump(dumpFile);

const pauses = [];
const dir = dirname(prefix);
for (const f of readdirSync(dir).filter((n) => n.startsWith(`${basename(prefix)}.`))) {
  const role = f.slice(basename(prefix).length + 1).replace(/\.\d+$/, '');
  for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
    const [t, kind, ms] = line.split(' ');
    if (kind) pauses.push({ t: Number(t), kind, ms: Number(ms), role });
  }
}
pauses.sort((x, y) => x.t - y.t);

for (const [n, ramp] of ramps.entries()) {
  const ttfc = ramp.streams.map((s) => s[1]).sort((x, y) => x - y);
  const p99 = ttfc[Math.min(ttfc.length - 1, Math.floor(ttfc.length * 0.99))];
  console.log(`ramp ${n + 1}: ${ttfc.length} streams, TTFC p99 ${p99?.toFixed(1)} ms`);
  const windows = new Map();
  for (const [start, ms] of ramp.streams) {
    const w = windows.get(Math.floor(start / 100)) ?? { streams: 0, slow: 0, max: 0 };
    w.streams += 1;
    if (ms > slowMs) w.slow += 1;
    w.max = Math.max(w.max, ms);
    windows.set(Math.floor(start / 100), w);
  }
  const slow = [...windows].filter(([, w]) => w.slow > 5);
  console.log(
    `  windows with >5 streams over ${slowMs} ms: ` +
      (slow.map(([i, w]) => `${i * 100}ms ${w.slow}/${w.streams} (max ${w.max.toFixed(0)})`).join(', ') ||
        'none'),
  );
  const last = Math.max(...ramp.streams.map((s) => s[0]));
  const during = pauses.filter((p) => p.t >= ramp.epoch && p.t <= ramp.epoch + last && p.ms >= pauseMs);
  console.log(
    `  pauses ≥ ${pauseMs} ms: ` +
      (during
        .map((p) => `${(p.t - ramp.epoch).toFixed(0)}ms ${p.role} ${p.kind} ${p.ms.toFixed(0)}`)
        .join(', ') || 'none'),
  );
}
