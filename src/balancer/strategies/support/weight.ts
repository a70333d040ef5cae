/**
 * Weight and load arithmetic shared by the weighted strategies, so that they all read `endpoint.weight` and
 * `endpoint.state.inflight` the same way.
 */

import type { Random } from '../../../core/prng.js';
import type { Endpoint } from '../../../pool/endpoint.js';

/**
 * The endpoint's weight, or 1 when it is not a positive finite number. Config guarantees an integer in
 * [1, 1000]; the fallback only keeps a hand-built Endpoint from producing NaN or Infinity on the hot path.
 */
export function weightOf(endpoint: Endpoint): number {
  const w = endpoint.weight;
  return w > 0 && Number.isFinite(w) ? w : 1;
}

/**
 * Compares `inflight / weight` of two endpoints without dividing (NGINX least_conn's cross-multiplication):
 * negative when `a` is less loaded than `b` for its weight, 0 on a tie, positive otherwise.
 */
export function compareLoad(a: Endpoint, b: Endpoint): number {
  return a.state.inflight * weightOf(b) - b.state.inflight * weightOf(a);
}

/**
 * Index of one candidate drawn with probability proportional to its weight, skipping index `skip` (-1 skips
 * none). Uses exactly one `random()` call and allocates nothing. `candidates` must have an index other than
 * `skip`.
 */
export function weightedIndex(candidates: readonly Endpoint[], random: Random, skip = -1): number {
  let total = 0;
  for (let i = 0; i < candidates.length; i++) if (i !== skip) total += weightOf(candidates[i]!);
  let x = random() * total;
  let last = -1;
  for (let i = 0; i < candidates.length; i++) {
    if (i === skip) continue;
    last = i;
    x -= weightOf(candidates[i]!);
    if (x < 0) return i;
  }
  // Only reached through float rounding when random() is just below 1.
  return last;
}
