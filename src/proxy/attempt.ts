/**
 * One upstream attempt: send the request to one endpoint and, if the answer is worth relaying, relay it.
 *
 * Before the commit point (no byte sent to the client) a failure returns to the retry loop with a verdict.
 * The commit point is the moment we send the response head. After it there is no retry: an SSE stream cut by
 * the endpoint ends with one terminal `data: {"error":…}` event and no `[DONE]`; a plain body is cut short
 * (the connection closes) so the truncation is visible.
 */
import type { Dispatcher } from 'undici';
import type { Clock } from '../core/clock.js';
import { FulcrumError } from '../core/errors.js';
import type { RequestContext } from '../pipeline/context.js';
import type { Endpoint } from '../pool/endpoint.js';
import type { AttemptOutcome, TelemetryBus } from '../telemetry/events.js';
import { failureReason, preResponseError } from './classify.js';
import {
  downstreamResponseHeaders,
  isEventStream,
  parseRetryAfterMs,
  upstreamRequestHeaders,
} from './headers.js';
import { relayBody } from './relay.js';
import type { UpstreamPools } from './upstream-pools.js';

/** Where passive health learns about outcomes (implemented by pool/health/passive.ts). */
export interface HealthRecorder {
  recordSuccess(endpoint: Endpoint): void;
  recordFailure(endpoint: Endpoint, reason: string): void;
  recordRateLimited(endpoint: Endpoint, retryAfterMs: number | undefined): void;
}

export interface AttemptDeps {
  pools: UpstreamPools;
  health: HealthRecorder;
  telemetry: TelemetryBus;
  clock: Clock;
  /** Statuses retried on another endpoint before the commit point. */
  retryOnStatus: ReadonlySet<number>;
  /** Re-send requests that may have reached the endpoint (reset, first-byte timeout). */
  retryAfterSend: boolean;
  /** Client write-stall limit, ms. */
  sendTimeoutMs: number;
  /** Aborted when graceful shutdown's deadline passes: committed streams end with an error event. */
  hardStop: AbortSignal;
  /** True once shutdown began: responses carry `Connection: close`. */
  isShuttingDown(): boolean;
}

/** How an attempt ended, for the retry loop. */
export type AttemptVerdict = { kind: 'done' } | { kind: 'failed'; error: FulcrumError; retry: boolean };

/**
 * Runs one attempt on `endpoint` with `body`. `canRetry()` is asked, when a retryable status arrives,
 * whether the loop could try elsewhere; if not, that response is relayed to the client as-is.
 */
export async function runAttempt(
  ctx: RequestContext,
  endpoint: Endpoint,
  body: Buffer,
  deps: AttemptDeps,
  canRetry: () => boolean,
): Promise<AttemptVerdict> {
  const started = deps.clock.now();
  const abort = new AbortController();
  const onClientGone = () => abort.abort();
  ctx.clientGone.addEventListener('abort', onClientGone, { once: true });
  const stream = ctx.parsed?.stream === true;
  let outcome: AttemptOutcome = 'success';
  let status: number | undefined;
  let reason: string | undefined;

  try {
    let response: Dispatcher.ResponseData;
    try {
      response = await deps.pools.get(endpoint).request({
        path: endpoint.basePath + ctx.path + ctx.search,
        method: ctx.method as Dispatcher.HttpMethod,
        headers: upstreamRequestHeaders(ctx.req.headers, {
          requestId: ctx.id,
          peerIp: ctx.peerIp,
          proto: 'http',
          apiKey: endpoint.apiKey,
          contentLength: body.length,
          stream,
        }),
        body: body.length > 0 ? body : null,
        signal: abort.signal,
      });
    } catch (err) {
      if (ctx.clientGone.aborted) {
        outcome = 'cancelled';
        reason = 'client_gone';
        return { kind: 'done' };
      }
      reason = failureReason(err);
      outcome = 'failure';
      deps.health.recordFailure(endpoint, reason);
      const error = preResponseError(err, endpoint.name, deps.retryAfterSend);
      return { kind: 'failed', error, retry: error.retryable && canRetry() };
    }

    status = response.statusCode;
    const retryAfterMs = status === 429 ? parseRetryAfterMs(response.headers['retry-after']) : undefined;
    if (status === 429) {
      outcome = 'rate_limited';
      reason = 'status_429';
      deps.health.recordRateLimited(endpoint, retryAfterMs);
    } else if (status >= 500) {
      outcome = 'failure';
      reason = `status_${status}`;
      deps.health.recordFailure(endpoint, reason);
    } else {
      outcome = status >= 400 ? 'client_error' : 'success';
    }

    if (deps.retryOnStatus.has(status) && canRetry()) {
      // Not relayed: the client never sees this endpoint's refusal if another endpoint answers.
      response.body.dump().catch(() => {});
      const error = new FulcrumError('upstream_error', `Endpoint ${endpoint.name} answered ${status}.`);
      return { kind: 'failed', error, retry: true };
    }

    // Commit point: from here on the client has our answer and nothing is retried.
    const sse = isEventStream(response.headers['content-type']);
    const headers = downstreamResponseHeaders(response.headers, sse);
    headers['x-request-id'] = ctx.id;
    headers['x-fulcrum-backend'] = endpoint.name;
    headers['x-fulcrum-attempts'] = String(ctx.attempts);
    if (sse) {
      headers['x-accel-buffering'] = 'no';
      if (headers['cache-control'] === undefined) headers['cache-control'] = 'no-cache, no-transform';
    }
    if (deps.isShuttingDown()) headers.connection = 'close';
    if (ctx.clientGone.aborted) {
      response.body.destroy();
      outcome = 'cancelled';
      reason = 'client_gone';
      return { kind: 'done' };
    }
    ctx.res.writeHead(status, headers);
    ctx.status = status;
    if (sse) ctx.res.flushHeaders();

    const end = await relayBody(ctx, response.body, {
      sse,
      endpoint: endpoint.name,
      abort,
      sendTimeoutMs: deps.sendTimeoutMs,
      hardStop: deps.hardStop,
      now: () => deps.clock.now(),
    });
    if (end.kind === 'upstream_error') {
      outcome = 'failure';
      reason = failureReason(end.cause);
      ctx.errorCode = end.error.code;
      deps.health.recordFailure(endpoint, reason);
    } else if (end.kind === 'client_gone') {
      outcome = 'cancelled';
      reason = 'client_gone';
    } else if (end.kind === 'shutdown') {
      ctx.errorCode = 'shutting_down';
    } else if (outcome === 'success' || outcome === 'client_error') {
      deps.health.recordSuccess(endpoint);
    }
    return { kind: 'done' };
  } finally {
    ctx.clientGone.removeEventListener('abort', onClientGone);
    deps.telemetry.emit('attempt.end', {
      id: ctx.id,
      endpoint: endpoint.name,
      outcome,
      status,
      reason,
      durationMs: deps.clock.now() - started,
    });
  }
}
