/**
 * One upstream attempt: send the request to one endpoint and, if the answer is worth relaying, relay it.
 *
 * Before the commit point (no byte sent to the client) a failure returns to the retry loop with a verdict.
 * The commit point is the moment we send the response head. After it there is no retry: an SSE stream cut by
 * the endpoint ends with one terminal `data: {"error":…}` event and no `[DONE]`; a plain body is cut short
 * (the connection closes) so the truncation is visible.
 *
 * The attempt is an upstream handler (`upstream/types.ts`) rather than a request with a body stream:
 * upstream chunks go straight to the client socket, and backpressure is the handler pausing and resuming
 * the upstream connection. This is the hot path of every request, so it avoids per-request streams,
 * promises and AbortSignals: it reports to its owner (the retry loop) by calling it. The handler is itself
 * the registration in the shutdown list (a `LiveResponse`), so an open stream holds no entry for that. It
 * lives in attempt-handler.ts.
 */
import type { Clock } from '../core/clock.js';
import type { DeadlineList } from '../core/deadline-list.js';
import type { FulcrumError } from '../core/errors.js';
import type { RequestContext } from '../pipeline/context.js';
import type { Endpoint } from '../pool/endpoint.js';
import type { TelemetryBus } from '../telemetry/events.js';
import { AttemptHandler } from './attempt-handler.js';
import { upstreamRequestHeaders } from './headers.js';
import type { LiveResponses } from './live-responses.js';
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
  /**
   * The upstream's time to response headers (`timeouts.firstByteMs`) and longest silence between body
   * chunks (`timeouts.idleMs`); undefined = none. Kept here rather than as undici's headersTimeout and
   * bodyTimeout: with two different values undici's parser drops and creates a timer at each switch
   * between them, twice per request; a shared list costs one small object. Owning the idle deadline also
   * lets it stop while the client, not the endpoint, is the slow side.
   */
  firstByteDeadlines: DeadlineList | undefined;
  idleDeadlines: DeadlineList | undefined;
  /** Responses in flight, which graceful shutdown cuts at its deadline. */
  live: LiveResponses;
  /** True once shutdown began: responses carry `Connection: close`. */
  isShuttingDown(): boolean;
}

/** How an attempt ended, for the retry loop. */
export type AttemptVerdict = { kind: 'done' } | { kind: 'failed'; error: FulcrumError; retry: boolean };

/** The retry loop, as an attempt sees it. */
export interface AttemptOwner {
  /**
   * Asked when a retryable status arrives: could the loop try elsewhere? If not, that response is relayed
   * to the client as-is.
   */
  canRetry(): boolean;
  /** The commit point was passed: nothing will be sent upstream again for this request. */
  committed(): void;
  /** How the attempt ended; called once, never from inside the attempt's own call stack. */
  attemptEnded(verdict: AttemptVerdict): void;
}

/** Runs one attempt on `endpoint` with `body`; its verdict goes to `owner.attemptEnded`. */
export function runAttempt(
  ctx: RequestContext,
  endpoint: Endpoint,
  body: Buffer,
  deps: AttemptDeps,
  owner: AttemptOwner,
): void {
  const handler = new AttemptHandler(ctx, endpoint, deps, owner);
  try {
    deps.pools.get(endpoint).dispatch(
      {
        path: endpoint.basePath + ctx.path + ctx.search,
        method: ctx.method,
        headers: upstreamRequestHeaders(ctx.headers, {
          requestId: ctx.id,
          peerIp: ctx.peerIp,
          proto: 'http',
          apiKey: endpoint.apiKey,
          contentLength: body.length,
          stream: ctx.stream,
        }),
        body: body.length > 0 ? body : null,
      },
      handler,
    );
  } catch (err) {
    // The upstream clients report their failures to the handler, never by throwing, so this is a bug of
    // ours (building the request, or the pool): a 500 counted as internal, not a fault of the endpoint.
    handler.couldNotStart(err);
  }
}
