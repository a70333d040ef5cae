/**
 * Fixtures for strategy unit tests: Endpoint objects with a chosen weight and in-flight count, and
 * RouteRequests. No sockets: the URLs are never dialled.
 */
import type { RouteRequest } from '../../src/balancer/strategy.js';
import { Endpoint } from '../../src/pool/endpoint.js';

/** What a test may set on an endpoint. */
export interface EndpointFixture {
  /** Default 1. */
  weight?: number;
  /** Initial `state.inflight`. Default 0. */
  inflight?: number;
  /** Declared models. Default: none declared (serves any model). */
  models?: readonly string[];
}

/** One endpoint named `name`, at a unique fake URL. */
export function endpoint(name: string, fixture: EndpointFixture = {}): Endpoint {
  const e = new Endpoint({
    name,
    url: `http://${name.replace(/[^A-Za-z0-9-]/g, '-')}.upstream.invalid:8000`,
    weight: fixture.weight ?? 1,
    models: fixture.models,
  });
  e.state.inflight = fixture.inflight ?? 0;
  return e;
}

/**
 * Endpoints named from `names`, or `a`, `b`, `c`… when given a count; `weights` and `inflight` are applied by
 * position. `endpoints(3, { weights: [5, 1, 1] })` → a(5), b(1), c(1).
 */
export function endpoints(
  names: number | readonly string[],
  per: { weights?: readonly number[]; inflight?: readonly number[] } = {},
): Endpoint[] {
  const list =
    typeof names === 'number' ? Array.from({ length: names }, (_, i) => defaultName(i)) : [...names];
  return list.map((name, i) => endpoint(name, { weight: per.weights?.[i], inflight: per.inflight?.[i] }));
}

/** `a`…`z`, then `e26`, `e27`… */
function defaultName(i: number): string {
  return i < 26 ? String.fromCharCode(97 + i) : `e${i}`;
}

/** A RouteRequest with harmless defaults; override what the test is about. */
export function routeRequest(overrides: Partial<RouteRequest> = {}): RouteRequest {
  return {
    id: 'req-1',
    model: 'test-model',
    clientIp: '203.0.113.7',
    stream: false,
    attempt: 1,
    estimatedPromptTokens: 100,
    maxOutputTokens: undefined,
    ...overrides,
  };
}

/** Counts picks per endpoint name. */
export function tally(names: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  return counts;
}
