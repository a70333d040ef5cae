/** Seeded samplers for the synthetic workloads. All take an injected `Random`. */
import type { Random } from '../../core/prng.js';

/** An exponential variate with the given mean (inter-arrival gaps of a Poisson process). */
export function exponential(random: Random, mean: number): number {
  return -Math.log(1 - random()) * mean;
}

/** A standard normal variate (Box–Muller). */
export function normal(random: Random): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A lognormal integer with the given median and log-space sigma, clamped to [min, max]. */
export function lognormalInt(
  random: Random,
  median: number,
  sigma: number,
  min: number,
  max: number,
): number {
  const x = Math.round(median * Math.exp(sigma * normal(random)));
  return Math.min(max, Math.max(min, x));
}

/** A uniform integer in [min, max]. */
export function uniformInt(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** Zipf-distributed index in [0, n) with exponent `s` (s = 0 is uniform). */
export function zipf(random: Random, n: number, s: number): number {
  let total = 0;
  for (let k = 1; k <= n; k++) total += 1 / k ** s;
  let u = random() * total;
  for (let k = 1; k <= n; k++) {
    u -= 1 / k ** s;
    if (u <= 0) return k - 1;
  }
  return n - 1;
}
