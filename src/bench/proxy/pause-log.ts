/**
 * Diagnostics for the bench's Node processes (the load generator and the backends, and Fulcrum itself when
 * run through scripts/pause-launcher.mjs): with `FULCRUM_BENCH_PAUSE_LOG=PREFIX` set, each process appends
 * its garbage-collection pauses and event-loop stalls to `PREFIX.<role>.<pid>` as lines of
 * `<epoch ms> <kind> <ms>`, so slow first chunks in a `FULCRUM_BENCH_TTFC_DUMP` can be lined up with the
 * process that stalled (scripts/ttfc-stalls.mjs). Off (and free) when the variable is unset.
 */
import { appendFileSync } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';

/** Starts logging this process's pauses when FULCRUM_BENCH_PAUSE_LOG is set; returns a flush function. */
export function startPauseLog(role: string): () => void {
  const prefix = process.env.FULCRUM_BENCH_PAUSE_LOG;
  if (!prefix) return () => {};
  const file = `${prefix}.${role}.${process.pid}`;
  const origin = performance.timeOrigin;
  const lines: string[] = [];
  const gcKinds: Record<number, string> = { 1: 'scavenge', 2: 'mark-compact', 4: 'incremental', 8: 'weak' };
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as { detail?: { kind?: number } }).detail?.kind ?? 0;
      lines.push(`${(origin + e.startTime).toFixed(1)} gc-${gcKinds[kind] ?? kind} ${e.duration.toFixed(2)}`);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  // A 5 ms tick that arrives late measures how long the event loop was blocked, whatever blocked it.
  let expected = performance.now() + 5;
  const timer = setInterval(() => {
    const now = performance.now();
    const late = now - expected;
    if (late > 5) lines.push(`${(origin + now - late).toFixed(1)} stall ${late.toFixed(2)}`);
    expected = now + 5;
  }, 5);
  timer.unref();
  const flush = (): void => {
    if (lines.length === 0) return;
    appendFileSync(file, `${lines.join('\n')}\n`);
    lines.length = 0;
  };
  const flusher = setInterval(flush, 2000);
  flusher.unref();
  process.once('exit', flush);
  return flush;
}
