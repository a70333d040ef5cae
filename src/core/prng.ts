/**
 * Injected randomness. A `Random` returns a float in [0, 1) like `Math.random`. Strategies, the simulator and
 * the bench take one so that a seed reproduces a run exactly.
 */
export type Random = () => number;

/** The process's default randomness. */
export const systemRandom: Random = Math.random;

/**
 * A small seeded PRNG (mulberry32): 32-bit state, period 2^32, good enough for load-balancing choices and
 * workload generation; not for anything security-related.
 */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniformly random integer in [0, n). */
export function randomInt(random: Random, n: number): number {
  return Math.floor(random() * n);
}
