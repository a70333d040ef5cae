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

/** The tried set of a first attempt: shared, never written (a request that fails gets its own). */
const NONE_TRIED: ReadonlySet<string> = new Set<string>();

export function createForwarder(deps: ForwardDeps): Handler {
  const strategy = deps.router.strategy;
  return async (ctx: RequestContext): Promise<void> => {
    const parsed = ctx.parsed;
    const model = parsed?.model ?? '';
    let tried: Set<string> | undefined;
    let bodies: Map<string, Buffer> | undefined;
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
        const request: RouteRequest = {
          id: ctx.id,
          model,
          clientIp: ctx.clientIp,
          stream: parsed?.stream ?? false,
          attempt,
          estimatedPromptTokens: parsed?.estimatedPromptTokens ?? 0,
          maxOutputTokens: parsed?.maxOutputTokens,
        };
        let endpoint: Endpoint;
        try {
          endpoint = deps.router.pick(request, tried ?? NONE_TRIED);
        } catch (err) {
          throw lastError ?? err;
        }
        ctx.attempts = attempt;
        ctx.endpoint = endpoint.name;
        const canRetry = (): boolean => {
          if (attempt >= deps.maxAttempts || ctx.clientGone.aborted) return false;
          const exclude = new Set(tried);
          exclude.add(endpoint.name);
          if (deps.pool.eligible(model === '' ? undefined : model, exclude).length === 0) return false;
          if (releaseRetry) return true;
          releaseRetry = deps.budget.tryRetry();
          if (!releaseRetry) {
            deps.telemetry.emit('retry.budget_exhausted', { id: ctx.id, endpoint: endpoint.name });
          }
          return releaseRetry !== undefined;
        };

        const release = deps.pool.track(endpoint);
        strategy.onStart?.(endpoint, request);
        const started = strategy.onResult ? deps.clock.now() : 0;
        let ok = false;
        try {
          // The client's bytes as-is, unless the endpoint renames the model (then re-serialised, once per name).
          const upstreamModel = model === '' ? model : endpoint.upstreamModel(model);
          let body = ctx.body;
          if (upstreamModel !== model && parsed) {
            bodies ??= new Map();
            body =
              bodies.get(upstreamModel) ??
              Buffer.from(JSON.stringify({ ...parsed.json, model: upstreamModel }));
            bodies.set(upstreamModel, body);
          }
          const verdict = await runAttempt(ctx, endpoint, body, deps, canRetry);
          if (verdict.kind === 'done') {
            ok = ctx.errorCode === undefined;
            return;
          }
          lastError = verdict.error;
          tried ??= new Set();
          tried.add(endpoint.name);
          if (!verdict.retry) throw verdict.error;
          deps.telemetry.emit('retry', { id: ctx.id, endpoint: endpoint.name, reason: verdict.error.code });
        } finally {
          release();
          if (strategy.onResult) {
            const durationMs = deps.clock.now() - started;
            const ttfbMs = ctx.firstByteAt === undefined ? undefined : ctx.firstByteAt - started;
            strategy.onResult(endpoint, request, { ok, durationMs, ttfbMs });
          }
        }
      }
    } finally {
      releaseRetry?.();
    }
  };
}
