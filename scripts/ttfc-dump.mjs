/**
 * Reads a TTFC dump written by the bench's load generator under FULCRUM_BENCH_TTFC_DUMP=FILE
 * (src/bench/proxy/loadgen.ts): per ramp, a `# ramp start, epoch ms: <ms>` line, then one line per stream
 * with its start in ms into the ramp and its time to first chunk in ms. Shared by ttfc-stalls.mjs and
 * ttfc-split.mjs.
 */
import { readFileSync } from 'node:fs';

/** The dump's ramps: `{ epoch, streams: [[startMs, ttfcMs], …] }`, in file order. */
export function readTtfcDump(file) {
  return readFileSync(file, 'utf8')
    .split(/^# ramp start, epoch ms: /m)
    .filter((r) => r.trim())
    .map((r) => {
      const [head, ...rows] = r.trim().split('\n');
      return { epoch: Number(head), streams: rows.map((l) => l.trim().split(/\s+/).map(Number)) };
    });
}
