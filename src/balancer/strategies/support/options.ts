/**
 * Validation of `strategy.options` from config. A typo must fail at start-up with the strategy's name, the
 * offending key and what would have been accepted, never be silently ignored.
 */
import type { StrategyOptions } from '../../strategy.js';

/** Throws when `options` has a key outside `allowed`, listing the valid ones (or saying there are none). */
export function checkOptionKeys(
  strategy: string,
  options: StrategyOptions,
  allowed: readonly string[],
): void {
  const unknown = Object.keys(options).filter((k) => !allowed.includes(k));
  if (unknown.length === 0) return;
  if (allowed.length === 0) {
    throw new Error(`strategy "${strategy}" takes no options (got: ${unknown.join(', ')})`);
  }
  throw new Error(
    `strategy "${strategy}": unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}; valid options: ${allowed.join(', ')}`,
  );
}

/** Reads an integer option in [min, max], `fallback` when absent. */
export function integerOption(
  strategy: string,
  options: StrategyOptions,
  key: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = options[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(
      `strategy "${strategy}": option "${key}" must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`,
    );
  }
  return value;
}

/** Reads a boolean option, `fallback` when absent. */
export function booleanOption(
  strategy: string,
  options: StrategyOptions,
  key: string,
  fallback: boolean,
): boolean {
  const value = options[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new Error(
      `strategy "${strategy}": option "${key}" must be true or false (got ${JSON.stringify(value)})`,
    );
  }
  return value;
}
