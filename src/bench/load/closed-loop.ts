/**
 * Closed-loop load: `users` virtual users, each sending its next request as soon as its previous one ended.
 * Reported as such, because a closed loop lowers the offered load whenever the server slows down, which
 * hides queueing; use it to find a system's saturation throughput, not to judge latency.
 */

/**
 * Runs `count` sends over `users` concurrent loops; each call gets the next slot in order. Stops starting
 * new sends when `signal` aborts or `shouldStop()` returns true (duration limits), and resolves when all
 * users are idle.
 */
export async function runClosedLoop(
  count: number,
  users: number,
  send: (slot: number) => Promise<void>,
  options: { signal?: AbortSignal; shouldStop?: () => boolean } = {},
): Promise<void> {
  if (!(users >= 1)) throw new Error('closed loop needs at least 1 user');
  let next = 0;
  const user = async () => {
    while (next < count && !options.signal?.aborted && !options.shouldStop?.()) {
      await send(next++);
    }
  };
  await Promise.all(Array.from({ length: Math.min(users, count) }, user));
}
