/**
 * Route + retry: the pipeline's terminal stage. Picks an endpoint, runs an attempt, and on a failure before
 * the commit point tries another endpoint — within `maxAttempts`, never the same endpoint twice, and only
 * while the global retry budget allows. The last upstream error is what the client sees when every try
 * failed.
 */
import type { Router } from '../balancer/router.js';
import type { RouteRequest } from '../balancer/strategy.js';
import { FulcrumError } from '../core/errors.js';
import type { Handler, RequestContext } from '../pipeline/context.js';
import type { Endpoint } from '../pool/endpoint.js';
import type { Pool } from '../pool/pool.js';
import { type AttemptDeps, runAttempt } from './attempt.js';
import type { RetryBudget } from './retry-budget.js';

export interface ForwardDeps extends AttemptDeps {
  router: Router;
  pool: Pool;
  budget: RetryBudget;
  /** Total attempts per request, the first included. */
  maxAttempts: number;
}

export function createForwarder(deps: ForwardDeps): Handler {
  const strategy = deps.router.strategy;
  return async (ctx: RequestContext): Promise<void> => {
    const parsed = ctx.parsed;
    const model = parsed?.model ?? '';
    const base: Omit<RouteRequest, 'attempt'> = {
      id: ctx.id,
      model,
      clientIp: ctx.clientIp,
      stream: parsed?.stream ?? false,
      estimatedPromptTokens: parsed?.estimatedPromptTokens ?? 0,
      maxOutputTokens: parsed?.maxOutputTokens,
    };
    const tried = new Set<string>();
    const bodies = new Map<string, Buffer>();
    let releaseRetry: (() => void) | undefined;
    let lastError: FulcrumError | undefined;

    try {
      for (let attempt = 1; ; attempt++) {
        if (ctx.clientGone.aborted) return;
        if (deps.live.stopped) {
          throw (
            lastError ??
            new FulcrumError('shutting_down', 'The load balancer is shutting down.', { retryAfterSec: 1 })
          );
        }
        const request: RouteRequest = { ...base, attempt };
        let endpoint: Endpoint;
        try {
          endpoint = deps.router.pick(request, tried);
        } catch (err) {
          throw lastError ?? err;
        }
        ctx.attempts = attempt;
        ctx.endpoint = endpoint.name;
        const canRetry = (): boolean => {
          if (attempt >= deps.maxAttempts || ctx.clientGone.aborted) return false;
          const others = deps.pool.eligible(
            model === '' ? undefined : model,
            new Set([...tried, endpoint.name]),
          );
          if (others.length === 0) return false;
          if (releaseRetry) return true;
          releaseRetry = deps.budget.tryRetry();
          if (!releaseRetry)
            deps.telemetry.emit('retry.budget_exhausted', { id: ctx.id, endpoint: endpoint.name });
          return releaseRetry !== undefined;
        };

        const release = deps.pool.track(endpoint);
        strategy.onStart?.(endpoint, request);
        const started = deps.clock.now();
        let ok = false;
        try {
          const verdict = await runAttempt(ctx, endpoint, bodyFor(ctx, endpoint, bodies), deps, canRetry);
          if (verdict.kind === 'done') {
            ok = ctx.errorCode === undefined;
            return;
          }
          lastError = verdict.error;
          tried.add(endpoint.name);
          if (!verdict.retry) throw verdict.error;
          deps.telemetry.emit('retry', { id: ctx.id, endpoint: endpoint.name, reason: verdict.error.code });
        } finally {
          release();
          const durationMs = deps.clock.now() - started;
          const ttfbMs = ctx.firstByteAt === undefined ? undefined : ctx.firstByteAt - started;
          strategy.onResult?.(endpoint, request, { ok, durationMs, ttfbMs });
        }
      }
    } finally {
      releaseRetry?.();
    }
  };
}

/**
 * The body to send to `endpoint`: the client's bytes as-is, or re-serialised with the endpoint's model name
 * when it rewrites models. Cached per upstream model for the request's retries.
 */
function bodyFor(ctx: RequestContext, endpoint: Endpoint, cache: Map<string, Buffer>): Buffer {
  const parsed = ctx.parsed;
  if (!parsed || parsed.model === '') return ctx.body;
  const upstreamModel = endpoint.upstreamModel(parsed.model);
  if (upstreamModel === parsed.model) return ctx.body;
  let body = cache.get(upstreamModel);
  if (!body) {
    body = Buffer.from(JSON.stringify({ ...parsed.json, model: upstreamModel }));
    cache.set(upstreamModel, body);
  }
  return body;
}
