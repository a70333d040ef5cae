#!/usr/bin/env node
/**
 * Splits the client's time to first chunk for each ramp of a TTFC dump (FULCRUM_BENCH_TTFC_DUMP) into what
 * scripts/stream-timing-launcher.mjs saw inside Fulcrum: accept → request handler, and handler → first
 * byte sent. What is left of the client's figure passed before Fulcrum accepted the connection (in the
 * kernel's accept queue) or in the client itself. Prints p50 / p90 / p99 in ms per ramp.
 *
 *   node scripts/ttfc-split.mjs DUMP STREAM_LOG
 */
import { readFileSync } from 'node:fs';
import { readTtfcDump } from './ttfc-dump.mjs';

const [dumpFile, logFile] = process.argv.slice(2);
if (!dumpFile || !logFile) {
  console.error('usage: node scripts/ttfc-split.mjs DUMP STREAM_LOG');
  process.exit(2);
}
const ramps = readTtfcDump(dumpFile).map(({ epoch, streams }) => ({
  epoch,
  end: epoch + Math.max(...streams.map((s) => s[0])),
  ttfc: streams.map((s) => s[1]),
}));
const log = readFileSync(logFile, 'utf8')
  .trim()
  .split('\n')
  .map((l) => l.split(' '))
  .map(([kind, at, ms]) => ({ kind, at: Number(at), ms: Number(ms) }));

const pct = (values, p) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.floor(s.length * p))];
};
const summary = (values) => [0.5, 0.9, 0.99].map((p) => pct(values, p).toFixed(1)).join(' / ');

for (const [i, ramp] of ramps.entries()) {
  const inRamp = (kind) =>
    log.filter((e) => e.kind === kind && e.at >= ramp.epoch - 50 && e.at <= ramp.end + 1000).map((e) => e.ms);
  const accept = inRamp('A');
  const handler = inRamp('T');
  console.log(`ramp ${i + 1} (${ramp.ttfc.length} streams), p50 / p90 / p99 ms`);
  console.log(`  client time to first chunk:      ${summary(ramp.ttfc)}`);
  console.log(`  accept → request handler:        ${summary(accept)} (${accept.length} connections)`);
  console.log(`  handler → first byte sent:       ${summary(handler)} (${handler.length} streams)`);
}
