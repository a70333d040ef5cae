/**
 * The bench's /proc readers: the machine-wide CPU sampler must see a busy CPU as busy, and a process tree's
 * CPU seconds must grow with the work it does.
 */
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { cpuSeconds, MachineCpuSampler, machineTicks } from '../../src/bench/proxy/proc-stats.js';

/** Burns `ms` of this process's own CPU time (not wall time, so a loaded machine cannot shorten it). */
function spin(ms: number): void {
  const start = process.cpuUsage();
  while (true) {
    const used = process.cpuUsage(start);
    if ((used.user + used.system) / 1000 >= ms) return;
  }
}

test('machineTicks counts busy time as part of the total', () => {
  const t = machineTicks();
  assert.ok(t.total > 0 && t.busy > 0 && t.busy <= t.total);
});

test('the machine sampler sees a spinning thread: at least half a core busy at the peak', async () => {
  const cores = availableParallelism();
  const sampler = new MachineCpuSampler(cores, 100);
  const cpu0 = cpuSeconds([process.pid]);
  for (let i = 0; i < 6; i++) {
    spin(100);
    // Let the sampler's timer run between spins.
    await new Promise((r) => setImmediate(r));
  }
  const load = sampler.stop();
  assert.equal(load.cores, cores);
  // Whatever else runs, this thread kept one CPU busy for most of the window (or others did instead).
  assert.ok(load.peakCores >= 0.5, `peak ${load.peakCores}`);
  assert.ok(load.meanCores > 0 && load.meanCores <= cores + 1e-9, `mean ${load.meanCores}`);
  assert.ok(load.peakCores <= cores + 1e-9);
  assert.ok(cpuSeconds([process.pid]) - cpu0 >= 0.3, 'our own CPU seconds grew with the spinning');
});
