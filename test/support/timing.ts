/**
 * Timing checks that survive a loaded machine without going blind.
 *
 * CI runs two test files at once on two cores, next to child processes (simulators, NGINX, wrk) and whatever
 * else shares the host, so a wall-clock upper bound can fail only because this process was waiting for a CPU.
 * Two tools, both of which leave a real regression failing:
 *
 * - `cpuWaitMs()`: how long this thread has been runnable but not running (Linux schedstat). Subtracting the
 *   wait inside an interval from its wall time gives what the interval would have taken on an idle machine;
 *   time spent blocked (timers, I/O) is not "waiting for a CPU" and still counts. Where schedstat is missing
 *   it reads 0, and the checks are plain wall-clock checks again.
 * - `calmestOf()`: repeats a measurement only when it failed an upper bound that contention can explain
 *   (`TooSlow`, thrown by `assertNotSlow`). Contention only ever adds time, so a regression fails every try,
 *   while a burst of load from elsewhere rarely hits them all. Any other failure (a wrong count, a result
 *   that came too early) fails at once.
 */
import { readFileSync } from 'node:fs';

let schedstat = true;

/** Milliseconds the calling thread has spent runnable but waiting for a CPU; 0 where that is not known. */
export function cpuWaitMs(): number {
  if (!schedstat) return 0;
  try {
    // "<ns on cpu> <ns waiting on a run queue> <timeslices>"
    const waitNs = Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[1]);
    if (Number.isFinite(waitNs)) return waitNs / 1e6;
  } catch {
    // Not Linux, or no schedstat: fall through.
  }
  schedstat = false;
  return 0;
}

/** A point in time, in wall ms and in ms this thread has waited for a CPU. */
export interface Mark {
  wallMs: number;
  cpuWaitMs: number;
}

export function mark(): Mark {
  return { wallMs: performance.now(), cpuWaitMs: cpuWaitMs() };
}

/** Wall ms from `from` to `to`, minus the time this thread waited for a CPU in between (never below 0). */
export function ownMs(from: Mark, to: Mark): number {
  return Math.max(0, to.wallMs - from.wallMs - (to.cpuWaitMs - from.cpuWaitMs));
}

/** An upper bound that CPU contention can break: a failure is worth another try (see `calmestOf`). */
export class TooSlow extends Error {
  override name = 'TooSlow';
}

export function assertNotSlow(ok: boolean, message: string): void {
  if (!ok) throw new TooSlow(message);
}

/**
 * Runs `attempt` until it passes, at most `tries` times; only `TooSlow` failures are retried, and the last one
 * is rethrown with the earlier ones listed. `note` receives a line per failed try (e.g. `t.diagnostic`).
 */
export async function calmestOf<T>(
  tries: number,
  attempt: (i: number) => Promise<T> | T,
  note: (line: string) => void = () => {},
): Promise<T> {
  const failures: string[] = [];
  for (let i = 1; ; i++) {
    try {
      return await attempt(i);
    } catch (err) {
      if (!(err instanceof TooSlow)) throw err;
      failures.push(`try ${i}: ${err.message}`);
      note(`try ${i} of ${tries} too slow: ${err.message}`);
      if (i >= tries) throw new TooSlow(`too slow in all ${tries} tries:\n${failures.join('\n')}`);
    }
  }
}

/**
 * Measures event-loop stalls like `monitorEventLoopDelay`, from a 5 ms interval timer, and also with the time
 * this thread waited for a CPU during each stall taken out. `stop()` returns the largest of each, in ms.
 */
export function stallMonitor(resolutionMs = 5): { stop(): { maxMs: number; maxOwnMs: number } } {
  let last = mark();
  let maxMs = 0;
  let maxOwnMs = 0;
  const tick = () => {
    const now = mark();
    maxMs = Math.max(maxMs, now.wallMs - last.wallMs - resolutionMs);
    maxOwnMs = Math.max(maxOwnMs, ownMs(last, now) - resolutionMs);
    last = now;
  };
  const timer = setInterval(tick, resolutionMs);
  return {
    stop() {
      clearInterval(timer);
      tick(); // a stall since the last tick
      return { maxMs, maxOwnMs };
    },
  };
}
