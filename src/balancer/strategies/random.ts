/**
 * random — picks a candidate at random, with probability proportional to its weight.
 *
 * Rule: draw x uniformly in [0, Σ weight of the candidates) with `deps.random` and return the candidate
 * whose cumulative-weight interval contains x. Weights apply: with weights 5, 1, 1 the shares are 5/7, 1/7,
 * 1/7; with equal weights it is uniform. Excluded endpoints simply are not candidates, so their share goes
 * to the rest in proportion to weight.
 *
 * Use when: you want the simplest stateless spread, e.g. many balancer replicas that should not coordinate,
 * or as a baseline in benchmarks. It ignores load, so short-term imbalance is larger than with power-of-two
 * (which adds one comparison for a large gain).
 *
 * Options: none.
 */
import type { StrategyDefinition } from '../strategy.js';
import { checkOptionKeys } from './support/options.js';
import { weightedIndex } from './support/weight.js';

export const random: StrategyDefinition = {
  name: 'random',
  summary: 'random, weighted by weight',
  create(options, deps) {
    checkOptionKeys('random', options, []);
    return {
      name: 'random',
      pick(candidates) {
        if (candidates.length === 1) return candidates[0];
        return candidates[weightedIndex(candidates, deps.random)];
      },
    };
  },
};
