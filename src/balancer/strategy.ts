/**
 * The strategy contract. A strategy is one small, pure object that picks one endpoint among the eligible
 * candidates. The pool has already filtered them (healthy, enabled, serving the model, not yet tried for
 * this request), so a strategy never re-implements health filtering. It never throws on the hot path;
 * returning `undefined` means "none of these" (the router then answers 503).
 *
 * Strategies are registered by their config name in `registry.ts`; the file name matches the name.
 */
import type { Random } from '../core/prng.js';
import type { Endpoint } from '../pool/endpoint.js';

/** What a strategy may know about the request being routed. */
export interface RouteRequest {
  /** The request id (`x-request-id`). */
  readonly id: string;
  /** Client-visible model name. */
  readonly model: string;
  /** The client address, after trusted-proxy resolution of `X-Forwarded-For`. */
  readonly clientIp: string;
  readonly stream: boolean;
  /** 1 for the first attempt, 2 for the first retry… */
  readonly attempt: number;
  /** Rough prompt size in tokens (bytes / 4), for token-aware strategies. */
  readonly estimatedPromptTokens: number;
  /** Requested output tokens (`max_tokens` / `max_completion_tokens`), when given. */
  readonly maxOutputTokens: number | undefined;
}

/** How an attempt ended, as the proxy reports it to `onResult`. */
export interface AttemptResult {
  /** `success` includes client errors (4xx): the endpoint did its job. */
  readonly ok: boolean;
  /** Wall time of the attempt in ms. */
  readonly durationMs: number;
  /** Time to the first upstream byte in ms, when known. */
  readonly ttfbMs: number | undefined;
}

export interface Strategy {
  /** The config name. */
  readonly name: string;
  /** Picks one of `candidates` (never empty), or `undefined` to refuse all of them. */
  pick(candidates: readonly Endpoint[], request: RouteRequest): Endpoint | undefined;
  /** Called when the picked endpoint starts serving the request. */
  onStart?(endpoint: Endpoint, request: RouteRequest): void;
  /** Called once per attempt when it ends, whatever the outcome. */
  onResult?(endpoint: Endpoint, request: RouteRequest, result: AttemptResult): void;
  /** Called with the full endpoint set at start and whenever it changes (rebuild rings, weight tables). */
  rebuild?(endpoints: readonly Endpoint[]): void;
}

/** What the runtime injects into every strategy. */
export interface StrategyDeps {
  /** Randomness source; seeded in tests. */
  readonly random: Random;
  /** Monotonic clock in ms. */
  readonly now: () => number;
}

/** Strategy-specific options from config (`strategy.options`), already parsed YAML. */
export type StrategyOptions = Readonly<Record<string, unknown>>;

export interface StrategyDefinition {
  /** The config name, equal to the file name. */
  readonly name: string;
  /** One line for `--help` and docs. */
  readonly summary: string;
  /** Validates `options` (throwing an Error with a precise message) and builds the strategy. */
  create(options: StrategyOptions, deps: StrategyDeps): Strategy;
}
