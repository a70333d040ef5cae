/**
 * The one strategy registry, keyed by the name used in config. Adding a strategy = one file in
 * `strategies/` plus one line here.
 */

import { ipHash } from './strategies/ip-hash.js';
import { leastConnections } from './strategies/least-connections.js';
import { powerOfTwo } from './strategies/power-of-two.js';
import { random } from './strategies/random.js';
import { roundRobin } from './strategies/round-robin.js';
import { weightedRoundRobin } from './strategies/weighted-round-robin.js';
import type { Strategy, StrategyDefinition, StrategyDeps, StrategyOptions } from './strategy.js';

const definitions: readonly StrategyDefinition[] = [
  roundRobin,
  weightedRoundRobin,
  leastConnections,
  ipHash,
  random,
  powerOfTwo,
];

const byName = new Map(definitions.map((d) => [d.name, d]));

/** Registered strategy names, in registration order. */
export function strategyNames(): string[] {
  return definitions.map((d) => d.name);
}

/** All definitions, for `--help` and docs. */
export function strategyDefinitions(): readonly StrategyDefinition[] {
  return definitions;
}

/** Whether `name` is a registered strategy. */
export function hasStrategy(name: string): boolean {
  return byName.has(name);
}

/** Builds the named strategy. Throws with the list of valid names when `name` is unknown. */
export function createStrategy(name: string, options: StrategyOptions, deps: StrategyDeps): Strategy {
  const def = byName.get(name);
  if (!def) {
    throw new Error(`unknown strategy "${name}"; valid strategies: ${strategyNames().join(', ')}`);
  }
  return def.create(options, deps);
}
