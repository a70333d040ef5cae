/**
 * Route + retry: the pipeline's terminal stage. Picks an endpoint, runs an attempt, and on a failure before
 * the commit point tries another endpoint — within `maxAttempts`, never the same endpoint twice, and only
 * while the global retry budget allows. The last upstream error is what the client sees when every try
 * failed.
 *
 * One `Forwarding` object per request drives the loop from the attempt's callbacks rather than an async
 * function: a stream keeps its forwarding state for its whole life, and a suspended async function (its
 * generator, register file, promises and the closures around them) held about 1.5 KB of that per open
 * stream (docs/benchmarks.md, run 21).
 */
import type { Router } from '../balancer/router.js';
import type { RouteRequest, Strategy } from '../balancer/strategy.js';
import { FulcrumError } from '../core/errors.js';
import type { Handler, RequestContext } from '../pipeline/context.js';
import type { Endpoint } from '../pool/endpoint.js';
import type { Pool } from '../pool/pool.js';
import { type AttemptDeps, type AttemptOwner, type AttemptVerdict, runAttempt } from './attempt.js';
import type { RetryBudget } from './retry-budget.js';

export interface ForwardDeps extends AttemptDeps {
  router: Router;
  pool: Pool;
  budget: RetryBudget;
  /** Total attempts per request, the first included. */
  maxAttempts: number;
}

/** The tried set of a first attempt: shared, never written (a request that fails gets its own). */
const NONE_TRIED: ReadonlySet<string> = new Set<string>();

export function createForwarder(deps: ForwardDeps): Handler {
  const strategy = deps.router.strategy;
  return (ctx: RequestContext): Promise<void> =>
    new Promise<void>((resolve, reject) => new Forwarding(ctx, deps, strategy, resolve, reject).next());
}

class Forwarding implements AttemptOwner {
  #attempt = 0;
  /** Endpoints already tried (made on the first failure). */
  #tried: Set<string> | undefined;
  /** The body re-serialised per upstream model name, for endpoints that rename the model. */
  #bodies: Map<string, Buffer> | undefined;
  /** Whether this request holds one of the retry budget's retries. */
  #retrying = false;
  #lastError: FulcrumError | undefined;
  /** The endpoint of the attempt in progress (tracked in the pool), and what its strategy was told. */
  #endpoint: Endpoint | undefined;
  #request: RouteRequest | undefined;
  #startedAt = 0;
  #over = false;

  constructor(
    private readonly ctx: RequestContext,
    private readonly deps: ForwardDeps,
    private readonly strategy: Strategy,
    private readonly resolve: () => void,
    private readonly reject: (err: unknown) => void,
  ) {}

  /** Starts the next attempt, or ends the request when none may start. */
  next(): void {
    try {
      this.#startAttempt();
    } catch (err) {
      this.#end(err);
    }
  }

  #startAttempt(): void {
    const { ctx, deps } = this;
    if (ctx.clientAborted) {
      this.#end(undefined);
      return;
    }
    if (deps.live.stopped) {
      throw (
        this.#lastError ??
        new FulcrumError('shutting_down', 'The load balancer is shutting down.', { retryAfterSec: 1 })
      );
    }
    const parsed = ctx.parsed;
    const attempt = ++this.#attempt;
    const request: RouteRequest = {
      id: ctx.id,
      model: ctx.model,
      clientIp: ctx.clientIp,
      stream: ctx.stream,
      attempt,
      estimatedPromptTokens: parsed?.estimatedPromptTokens ?? 0,
      maxOutputTokens: parsed?.maxOutputTokens,
    };
    let endpoint: Endpoint;
    try {
      endpoint = deps.router.pick(request, this.#tried ?? NONE_TRIED);
    } catch (err) {
      throw this.#lastError ?? err;
    }
    ctx.attempts = attempt;
    ctx.endpoint = endpoint.name;
    this.#endpoint = endpoint;
    this.#request = request;
    deps.pool.track(endpoint);
    try {
      this.strategy.onStart?.(endpoint, request);
      this.#startedAt = this.strategy.onResult ? deps.clock.now() : 0;
      runAttempt(ctx, endpoint, this.#bodyFor(endpoint), deps, this);
    } catch (err) {
      // A bug (a strategy's, or ours: the attempt reports its own failures): the in-flight count must not leak.
      this.#attemptOver(false);
      throw err;
    }
  }

  /** The client's bytes as-is, unless the endpoint renames the model (then re-serialised, once per name). */
  #bodyFor(endpoint: Endpoint): Buffer {
    const { ctx } = this;
    const model = ctx.model;
    const upstreamModel = model === '' ? model : endpoint.upstreamModel(model);
    const parsed = ctx.parsed;
    if (upstreamModel === model || !parsed) return ctx.body;
    this.#bodies ??= new Map();
    let body = this.#bodies.get(upstreamModel);
    if (!body) {
      body = Buffer.from(JSON.stringify({ ...parsed.json, model: upstreamModel }));
      this.#bodies.set(upstreamModel, body);
    }
    return body;
  }

  // AttemptOwner

  canRetry(): boolean {
    const { ctx, deps } = this;
    const endpoint = this.#endpoint;
    if (!endpoint || this.#attempt >= deps.maxAttempts || ctx.clientAborted) return false;
    const exclude = new Set(this.#tried);
    exclude.add(endpoint.name);
    if (deps.pool.eligible(ctx.model === '' ? undefined : ctx.model, exclude).length === 0) return false;
    if (this.#retrying) return true;
    this.#retrying = deps.budget.tryRetry();
    if (!this.#retrying) {
      deps.telemetry.emit('retry.budget_exhausted', { id: ctx.id, endpoint: endpoint.name });
    }
    return this.#retrying;
  }

  committed(): void {
    // Nothing is sent again from here on: the bodies go (a stream lasts minutes; its prompt need not).
    this.#bodies = undefined;
    this.ctx.releaseBody();
  }

  attemptEnded(verdict: AttemptVerdict): void {
    // Runs from a microtask: whatever throws here (a strategy's onResult, say) must end the request, not
    // escape as an uncaught exception.
    try {
      this.#afterAttempt(verdict);
    } catch (err) {
      this.#attemptOver(false);
      this.#end(err);
    }
  }

  #afterAttempt(verdict: AttemptVerdict): void {
    const endpoint = this.#endpoint;
    if (!endpoint || this.#over) return;
    if (verdict.kind === 'done') {
      this.#attemptOver(this.ctx.errorCode === undefined);
      this.#end(undefined);
      return;
    }
    this.#lastError = verdict.error;
    this.#tried ??= new Set();
    this.#tried.add(endpoint.name);
    this.#attemptOver(false);
    if (!verdict.retry) {
      this.#end(verdict.error);
      return;
    }
    this.deps.telemetry.emit('retry', {
      id: this.ctx.id,
      endpoint: endpoint.name,
      reason: verdict.error.code,
    });
    this.next();
  }

  /** The attempt in progress is over: its endpoint's in-flight count and the strategy learn it. */
  #attemptOver(ok: boolean): void {
    const endpoint = this.#endpoint;
    const request = this.#request;
    if (!endpoint || !request) return;
    this.#endpoint = this.#request = undefined;
    this.deps.pool.untrack(endpoint);
    const onResult = this.strategy.onResult;
    if (onResult) {
      const now = this.deps.clock.now();
      const started = this.#startedAt;
      const firstByteAt = this.ctx.firstByteAt;
      onResult.call(this.strategy, endpoint, request, {
        ok,
        durationMs: now - started,
        ttfbMs: firstByteAt === undefined ? undefined : firstByteAt - started,
      });
    }
  }

  /** The request is over: the retry it held goes back, and the pipeline learns the outcome. */
  #end(err: unknown): void {
    if (this.#over) return;
    this.#over = true;
    this.#bodies = undefined;
    if (this.#retrying) {
      this.#retrying = false;
      this.deps.budget.releaseRetry();
    }
    if (err === undefined) this.resolve();
    else this.reject(err);
  }
}
