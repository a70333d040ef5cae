/**
 * least-connections — sends each request to the endpoint with the fewest requests in flight for its weight.
 *
 * Rule: pick the candidate with the lowest `state.inflight / weight` (compared by cross-multiplication, as
 * NGINX's least_conn does, so equal ratios tie exactly); ties are broken uniformly at random with
 * `deps.random`, so idle endpoints share the first requests evenly instead of all landing on the first one.
 *
 * Use when: request cost varies a lot (LLM prompts and completions do) and this balancer sees all the
 * traffic to these endpoints, so its in-flight counts are the real load. It looks at every candidate on
 * every pick (O(n)); with many balancer replicas, each seeing only its own in-flight counts, they can herd
 * onto the same "least loaded" endpoint — power-of-two is more robust there.
 *
 * Options: none.
 */

import { randomInt } from '../../core/prng.js';
import type { StrategyDefinition } from '../strategy.js';
import { checkOptionKeys } from './support/options.js';
import { compareLoad } from './support/weight.js';

export const leastConnections: StrategyDefinition = {
  name: 'least-connections',
  summary: 'fewest in-flight requests per unit of weight, random among ties',
  create(options, deps) {
    checkOptionKeys('least-connections', options, []);
    return {
      name: 'least-connections',
      pick(candidates) {
        // Pass 1: the least-loaded candidate and how many tie with it.
        let best = candidates[0]!;
        let ties = 1;
        for (let i = 1; i < candidates.length; i++) {
          const c = candidates[i]!;
          const cmp = compareLoad(c, best);
          if (cmp < 0) {
            best = c;
            ties = 1;
          } else if (cmp === 0) {
            ties++;
          }
        }
        if (ties === 1) return best;
        // Pass 2: the k-th of the tied candidates, one random draw and no allocation.
        let k = randomInt(deps.random, ties);
        for (const c of candidates) {
          if (compareLoad(c, best) === 0 && k-- === 0) return c;
        }
        return best;
      },
    };
  },
};
