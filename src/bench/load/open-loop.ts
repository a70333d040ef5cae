/**
 * Open-loop replay: every request is sent at its scheduled wall time whether or not earlier ones have
 * finished, as real users do. A closed loop would wait, and so hide exactly the queueing a load balancer
 * is meant to avoid. The dispatcher wakes on a timer, sends everything that is due, and records how late
 * each send was (`lagMs`): a large lag means the client itself is the bottleneck, and the run says so.
 */
import { type Clock, systemClock } from '../../core/clock.js';

/** One due send. */
export interface Dispatch {
  /** Position in the schedule. */
  slot: number;
  /** Wall ms the send was late by. */
  lagMs: number;
}

/**
 * Calls `send(slot, lag)` for each slot at `startWall + wallOffsets[slot]` (offsets sorted ascending), calls
 * `onAllSent` after the last send, and resolves when every returned promise has settled. Stops sending (but waits for in-flight ones) when
 * `signal` aborts.
 */
export async function runOpenLoop(
  wallOffsets: readonly number[],
  send: (d: Dispatch) => Promise<void>,
  options: { signal?: AbortSignal; clock?: Clock; startWall?: number; onAllSent?: () => void } = {},
): Promise<void> {
  const clock = options.clock ?? systemClock;
  const start = options.startWall ?? clock.now();
  const inflight = new Set<Promise<void>>();
  let next = 0;
  if (options.signal?.aborted) return;
  await new Promise<void>((resolve) => {
    const onAbort = () => {
      next = wallOffsets.length;
      resolve();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const tick = () => {
      // An abort has already resolved the promise (onAbort).
      if (options.signal?.aborted) return;
      const now = clock.now() - start;
      while (next < wallOffsets.length && wallOffsets[next]! <= now) {
        const slot = next++;
        const p = send({ slot, lagMs: now - wallOffsets[slot]! }).finally(() => inflight.delete(p));
        inflight.add(p);
      }
      if (next >= wallOffsets.length) {
        options.signal?.removeEventListener('abort', onAbort);
        options.onAllSent?.();
        resolve();
        return;
      }
      // Wake a little early is impossible with setTimeout; waking late by ≤1 ms is the usual timer slack.
      setTimeout(tick, Math.max(0, wallOffsets[next]! - (clock.now() - start)));
    };
    tick();
  });
  await Promise.allSettled([...inflight]);
}
