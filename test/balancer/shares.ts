/** Pick-share counting for distribution tests. */
import assert from 'node:assert/strict';
import type { Strategy } from '../../src/balancer/strategy.js';
import type { Endpoint } from '../../src/pool/endpoint.js';
import { routeRequest } from '../support/endpoints.js';

/** Share of `n` picks that went to each endpoint name (0 for candidates never picked). */
export function pickShares(
  strategy: Strategy,
  candidates: readonly Endpoint[],
  n: number,
): Map<string, number> {
  const counts = new Map<string, number>(candidates.map((e) => [e.name, 0]));
  const request = routeRequest();
  for (let i = 0; i < n; i++) {
    const name = strategy.pick(candidates, request)!.name;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return new Map([...counts].map(([k, v]) => [k, v / n]));
}

/** Asserts every share is within `tolerance` (absolute) of the expected one. */
export function assertShares(
  actual: ReadonlyMap<string, number>,
  expected: Readonly<Record<string, number>>,
  tolerance: number,
): void {
  for (const [name, want] of Object.entries(expected)) {
    const got = actual.get(name) ?? 0;
    assert.ok(
      Math.abs(got - want) <= tolerance,
      `${name}: share ${got.toFixed(4)}, expected ${want.toFixed(4)} ± ${tolerance}`,
    );
  }
}
