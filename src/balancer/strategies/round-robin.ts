/**
 * round-robin — spreads requests evenly, one endpoint after the other.
 *
 * Rule: keep a counter; pick `candidates[counter % candidates.length]` and increment. Candidates arrive in
 * pool order, so with a stable set the sequence is A, B, C, A, B, C… When some endpoints are excluded
 * (unhealthy, already tried) the rotation continues over the rest.
 *
 * Use when: endpoints are identical and requests are similar in cost. It ignores weights and load; for
 * LLM traffic with very uneven request sizes prefer least-connections or power-of-two.
 *
 * Options: none.
 */
import type { StrategyDefinition } from '../strategy.js';
import { checkOptionKeys } from './support/options.js';

export const roundRobin: StrategyDefinition = {
  name: 'round-robin',
  summary: 'each endpoint in turn (ignores weights and load)',
  create(options) {
    rejectOptions('round-robin', options);
    let counter = 0;
    return {
      name: 'round-robin',
      pick(candidates) {
        const chosen = candidates[counter % candidates.length];
        counter = (counter + 1) % 0x7fffffff;
        return chosen;
      },
    };
  },
};

/** Throws when a strategy that takes no options is given some (kept for callers; see support/options.ts). */
export function rejectOptions(name: string, options: Readonly<Record<string, unknown>>): void {
  checkOptionKeys(name, options, []);
}
