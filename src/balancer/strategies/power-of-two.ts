/**
 * power-of-two — "the power of two random choices" (Mitzenmacher): sample two endpoints, keep the less
 * loaded one.
 *
 * Rule: draw two distinct candidates at random; return the one with the lower `state.inflight / weight`
 * (compared by cross-multiplication), the first drawn on a tie. With one candidate, return it. By default
 * the draw is weighted by `weight` (the second draw excludes the first), so weights count even when
 * everything is idle and every comparison ties; with `weightedSampling: false` both draws are uniform and
 * weights act only through the load comparison.
 *
 * Use when: the general default for LLM traffic with a load signal. Random sampling keeps it cheap (O(1)
 * comparisons) and avoids the herding of least-connections when several balancer replicas each see only
 * their own in-flight counts, while the comparison cuts the maximum load exponentially compared with
 * random (O(log log n) instead of O(log n / log log n) excess in the classic balls-into-bins result).
 *
 * Options:
 * - `weightedSampling` (boolean, default true): draw the two candidates with probability proportional to
 *   weight; false draws them uniformly.
 */

import { randomInt } from '../../core/prng.js';
import type { StrategyDefinition } from '../strategy.js';
import { booleanOption, checkOptionKeys } from './support/options.js';
import { compareLoad, weightedIndex } from './support/weight.js';

export const powerOfTwo: StrategyDefinition = {
  name: 'power-of-two',
  summary: 'two random candidates, the one with fewer in-flight requests per weight',
  create(options, deps) {
    checkOptionKeys('power-of-two', options, ['weightedSampling']);
    const weighted = booleanOption('power-of-two', options, 'weightedSampling', true);
    return {
      name: 'power-of-two',
      pick(candidates) {
        const n = candidates.length;
        if (n === 1) return candidates[0];
        let i: number;
        let j: number;
        if (weighted) {
          i = weightedIndex(candidates, deps.random);
          j = weightedIndex(candidates, deps.random, i);
        } else {
          i = randomInt(deps.random, n);
          // Draw from the n - 1 others and shift past i: distinct and uniform without retrying.
          j = randomInt(deps.random, n - 1);
          if (j >= i) j++;
        }
        const first = candidates[i]!;
        const second = candidates[j]!;
        return compareLoad(second, first) < 0 ? second : first;
      },
    };
  },
};
