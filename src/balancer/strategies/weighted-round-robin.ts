/**
 * weighted-round-robin — spreads requests in proportion to `weight`, interleaved rather than in bursts.
 *
 * Rule (NGINX's smooth weighted round robin, ngx_http_upstream_get_peer): each endpoint keeps a `current`
 * score, starting at 0. On every pick, each candidate's `current += weight`; the candidate with the highest
 * `current` wins (ties → earliest in pool order); the winner's `current -= total weight of the candidates`.
 * Over any run of Σw picks with a stable set, each endpoint is picked exactly `weight` times, and the picks
 * are spread out: weights 5, 1, 1 give a a b a c a a, not a a a a a b c.
 *
 * Candidates excluded from a pick (unhealthy, draining, already tried by this request) take no part in it:
 * they neither gain nor lose score, so the rotation continues smoothly over the rest. State is kept per
 * endpoint *name* (a weight change makes a new Endpoint object with the same name); `rebuild()` drops the
 * state of endpoints that left the pool, and newcomers start at 0. Unlike NGINX there is no separate
 * "effective weight" that shrinks on failures: passive health already removes failing endpoints.
 *
 * Use when: endpoints differ in capacity (e.g. 2 GPUs vs 8) and requests are similar in cost. It ignores
 * live load; for uneven LLM requests prefer least-connections or power-of-two, which also honour weights.
 *
 * Options: none.
 */
import type { StrategyDefinition } from '../strategy.js';
import { checkOptionKeys } from './support/options.js';
import { weightOf } from './support/weight.js';

/** One endpoint's smooth-WRR score; an object so that a pick updates it without re-inserting in the Map. */
interface Score {
  current: number;
}

export const weightedRoundRobin: StrategyDefinition = {
  name: 'weighted-round-robin',
  summary: 'smooth weighted round robin (NGINX): shares proportional to weight, interleaved',
  create(options) {
    checkOptionKeys('weighted-round-robin', options, []);
    const scores = new Map<string, Score>();
    return {
      name: 'weighted-round-robin',
      pick(candidates) {
        // With one candidate the rule adds and subtracts the same weight: no state change.
        if (candidates.length === 1) return candidates[0];
        let best = candidates[0]!;
        let bestScore: Score | undefined;
        let total = 0;
        for (const c of candidates) {
          let score = scores.get(c.name);
          if (!score) {
            score = { current: 0 };
            scores.set(c.name, score);
          }
          const w = weightOf(c);
          score.current += w;
          total += w;
          if (!bestScore || score.current > bestScore.current) {
            best = c;
            bestScore = score;
          }
        }
        bestScore!.current -= total;
        return best;
      },
      rebuild(endpoints) {
        const present = new Set(endpoints.map((e) => e.name));
        for (const name of scores.keys()) if (!present.has(name)) scores.delete(name);
      },
    };
  },
};
