/**
 * The attempt's upstream handler: the state machine of one try on one endpoint, from the wait for a
 * response head, through the commit point, to the end of the relay (see attempt.ts for the rules it
 * follows). Every callback of the upstream client, the client response and the deadlines lands here.
 */
import { errors } from 'undici';
import type { Deadline } from '../core/deadline-list.js';
import { asFulcrumError, FulcrumError } from '../core/errors.js';
import type { RequestContext } from '../pipeline/context.js';
import type { Endpoint } from '../pool/endpoint.js';
import type { DataPlaneResponse } from '../server/h1/response.js';
import { sseErrorEvent } from '../server/openai-error.js';
import type { AttemptOutcome } from '../telemetry/events.js';
import type { UpstreamController, UpstreamHandler, UpstreamHeaders } from '../upstream/types.js';
import type { AttemptDeps, AttemptOwner, AttemptVerdict } from './attempt.js';
import { failureReason, midStreamError, preResponseError } from './classify.js';
import { downstreamResponseHeaders, isEventStream, parseRetryAfterMs } from './headers.js';
import { LiveResponse } from './live-responses.js';
import { SseFramer } from './sse-framer.js';

const DONE: AttemptVerdict = { kind: 'done' };

/** Why we aborted the upstream ourselves (so its error callback is not mistaken for an endpoint fault). */
class Cut extends Error {
  constructor(readonly why: 'client_gone' | 'client_stalled' | 'shutdown') {
    super(why);
  }
}

type Phase = 'waiting' | 'discarding' | 'relaying' | 'done';

export class AttemptHandler extends LiveResponse implements UpstreamHandler {
  #phase: Phase = 'waiting';
  #controller: UpstreamController | undefined;
  #cut: Cut | undefined;
  #framer: SseFramer | undefined;
  #sse = false;
  #stallTimer: NodeJS.Timeout | undefined;
  /** The response the paused relay waits on for 'drain'. */
  #drainSource: DataPlaneResponse | undefined;
  #outcome: AttemptOutcome = 'success';
  #status: number | undefined;
  #reason: string | undefined;
  #settled = false;
  #firstByte: Deadline | undefined;
  #idle: Deadline | undefined;
  /** A timeout that fired before undici handed us the controller. */
  #pendingTimeout: Error | undefined;
  readonly #started: number;
  readonly #onClose = (): void => {
    if (!this.ctx.res.writableFinished) this.#abort(new Cut('client_gone'));
  };
  /** Made on the first pause: most clients never make the relay wait. */
  #onDrain: (() => void) | undefined;
  /** Both upstream deadlines (never armed at once): first byte while waiting, idle once headers came. */
  readonly #onDeadline = (): void =>
    this.#timedOut(
      this.#phase === 'waiting' ? new errors.HeadersTimeoutError() : new errors.BodyTimeoutError(),
    );

  constructor(
    private readonly ctx: RequestContext,
    private readonly endpoint: Endpoint,
    private readonly deps: AttemptDeps,
    private readonly owner: AttemptOwner,
  ) {
    super();
    this.#started = deps.clock.now();
    ctx.res.on('close', this.#onClose);
    deps.live.add(this);
    this.#firstByte = deps.firstByteDeadlines?.add(this.#onDeadline);
  }

  onRequestStart(controller: UpstreamController): void {
    this.#controller = controller;
    // The client may have left while the request waited for a pooled connection: send nothing.
    if (this.#cut) controller.abort(this.#cut);
    else if (this.ctx.clientAborted) this.#abort(new Cut('client_gone'));
    else if (this.#pendingTimeout) controller.abort(this.#pendingTimeout);
  }

  onResponseStart(_c: UpstreamController, status: number, headers: UpstreamHeaders): void {
    if (status < 200 || this.#phase !== 'waiting') return; // 1xx informational heads are not the answer
    const { endpoint, deps } = this;
    this.#status = status;
    // Headers arrived: from now on the upstream may not fall silent for longer than the idle timeout.
    this.#cancelDeadlines();
    if (deps.idleDeadlines) this.#idle = deps.idleDeadlines.add(this.#onDeadline);
    if (status === 429) {
      this.#outcome = 'rate_limited';
      this.#reason = 'status_429';
      deps.health.recordRateLimited(endpoint, parseRetryAfterMs(headers['retry-after']));
    } else if (status >= 500) {
      this.#outcome = 'failure';
      this.#reason = `status_${status}`;
      deps.health.recordFailure(endpoint, this.#reason);
    } else {
      this.#outcome = status >= 400 ? 'client_error' : 'success';
    }

    if (deps.retryOnStatus.has(status) && this.owner.canRetry()) {
      // Not relayed: the client never sees this endpoint's refusal if another endpoint answers. The body is
      // read and dropped so the connection stays reusable.
      this.#phase = 'discarding';
      const error = new FulcrumError('upstream_error', `Endpoint ${endpoint.name} answered ${status}.`);
      this.#settle({ kind: 'failed', error, retry: true });
      return;
    }

    // Commit point: from here on the client has our answer and nothing is retried.
    const sse = isEventStream(headers['content-type']);
    const out = downstreamResponseHeaders(headers, sse);
    out['x-request-id'] = this.ctx.id;
    out['x-fulcrum-backend'] = endpoint.name;
    out['x-fulcrum-attempts'] = String(this.ctx.attempts);
    if (sse) {
      out['x-accel-buffering'] = 'no';
      if (out['cache-control'] === undefined) out['cache-control'] = 'no-cache, no-transform';
      this.#framer = new SseFramer();
    }
    if (deps.isShuttingDown()) out.connection = 'close';
    this.#sse = sse;
    const res = this.ctx.res;
    try {
      res.writeHead(status, out);
    } catch (err) {
      // A head Node refuses to send (e.g. a header value it considers invalid): nothing reached the client.
      this.#outcome = 'failure';
      this.#reason = 'bad_response';
      deps.health.recordFailure(endpoint, this.#reason);
      this.#phase = 'done';
      this.#cleanup();
      this.#controller?.abort(new Cut('client_gone'));
      const error = new FulcrumError(
        'upstream_bad_response',
        `Endpoint ${endpoint.name} sent an invalid response head.`,
        {
          cause: err,
          retryable: false,
        },
      );
      this.#settle({ kind: 'failed', error, retry: false });
      return;
    }
    this.#phase = 'relaying';
    this.ctx.status = status;
    this.owner.committed();
    // An SSE head goes out at once (engines send it before the first token, and a client waiting on a long
    // prefill should know it was accepted) — but after the current parse, so that when the first event came
    // in the same read, head and event share one write instead of costing a syscall each.
    if (sse) queueMicrotask(() => res.flushHeaders());
  }

  onResponseData(controller: UpstreamController, chunk: Buffer): void {
    if (this.#idle) this.deps.idleDeadlines!.refresh(this.#idle);
    if (this.#phase !== 'relaying') return;
    const out = this.#framer ? this.#framer.push(chunk) : chunk;
    if (out === undefined) return;
    // Time to the first body byte: for a stream, its first event (engines send the head before any token).
    this.ctx.firstByteAt ??= this.deps.clock.now();
    const res = this.ctx.res;
    // A stream's event must leave now; a plain body's chunks wait for the end of the microtask, and leave
    // with the end of the response in one write when they arrive together (as small answers do).
    if (this.#sse ? res.writeNow(out) : res.write(out)) return;
    // The client is slower than the endpoint: hold the endpoint back instead of buffering. The upstream's
    // silence is ours while paused, so its idle deadline stops until the client drains.
    controller.pause();
    if (this.#idle) this.deps.idleDeadlines!.cancel(this.#idle);
    this.#drainSource = res;
    this.#onDrain ??= () => this.#drained();
    res.once('drain', this.#onDrain);
    if (this.deps.sendTimeoutMs > 0 && !this.#stallTimer) {
      this.#stallTimer = setTimeout(() => this.#abort(new Cut('client_stalled')), this.deps.sendTimeoutMs);
    }
  }

  /** The client caught up: the paused relay goes on. */
  #drained(): void {
    if (this.#stallTimer) clearTimeout(this.#stallTimer);
    this.#stallTimer = undefined;
    if (this.#idle && this.#phase === 'relaying') this.deps.idleDeadlines!.refresh(this.#idle);
    this.#controller?.resume();
  }

  onResponseEnd(): void {
    if (this.#phase === 'discarding') {
      this.#phase = 'done';
      this.#cleanup();
      return;
    }
    if (this.#phase !== 'relaying') return;
    const res = this.ctx.res;
    const rest = this.#framer?.flush();
    this.ctx.firstByteAt ??= this.deps.clock.now();
    if (rest) res.write(rest);
    res.end();
    if (this.#outcome === 'success' || this.#outcome === 'client_error')
      this.deps.health.recordSuccess(this.endpoint);
    this.#finish();
  }

  onResponseError(_c: UpstreamController, err: Error): void {
    this.failed(err);
  }

  /**
   * The request could not even be handed to the upstream client (a bug of ours, not the endpoint's): the
   * attempt ends with an internal error, nothing retried, no health recorded.
   */
  couldNotStart(err: unknown): void {
    if (this.#phase === 'done') return;
    this.#outcome = 'failure';
    this.#reason = 'internal';
    this.#phase = 'done';
    this.#cleanup();
    this.#controller?.abort(new Cut('client_gone'));
    this.#settle({ kind: 'failed', error: asFulcrumError(err), retry: false });
  }

  /** The exchange failed: what that means depends on how far it got. */
  failed(err: Error): void {
    const phase = this.#phase;
    if (phase === 'done') return;
    if (phase === 'discarding') {
      this.#phase = 'done';
      this.#cleanup();
      return;
    }
    const cut = this.#cut ?? (this.ctx.clientAborted ? new Cut('client_gone') : undefined);
    if (cut?.why === 'shutdown' && phase === 'waiting') {
      // Nothing was sent yet: the client gets a clean 503 rather than a dropped connection.
      this.#phase = 'done';
      this.#cleanup();
      const error = new FulcrumError('shutting_down', 'The load balancer is shutting down.', {
        retryAfterSec: 1,
      });
      this.#settle({ kind: 'failed', error, retry: false });
      return;
    }
    if (cut) {
      if (cut.why !== 'shutdown') {
        this.#outcome = 'cancelled';
        this.#reason = cut.why;
      }
      if (phase === 'relaying' && cut.why === 'client_stalled') this.ctx.res.destroy();
      this.#finish();
      return;
    }
    this.#outcome = 'failure';
    this.#reason = failureReason(err);
    this.deps.health.recordFailure(this.endpoint, this.#reason);
    if (phase === 'waiting') {
      const error = preResponseError(err, this.endpoint.name, this.deps.retryAfterSend);
      this.#phase = 'done';
      this.#cleanup();
      this.#settle({ kind: 'failed', error, retry: error.retryable && this.owner.canRetry() });
      return;
    }
    // After the commit point: end the stream visibly.
    const error = midStreamError(err, this.endpoint.name);
    this.ctx.errorCode = error.code;
    this.#endWithError(error);
    this.#finish();
  }

  /** @internal LiveResponse: graceful shutdown's deadline came. */
  cutForShutdown(): void {
    if (this.#phase !== 'waiting' && this.#phase !== 'relaying') return;
    if (this.#phase === 'relaying') {
      this.ctx.errorCode = 'shutting_down';
      this.#endWithError(
        new FulcrumError('shutting_down', 'The load balancer is shutting down; the response was cut.'),
      );
    }
    this.#abort(new Cut('shutdown'));
  }

  /** A terminal SSE error event (streams) or a cut connection (plain bodies): never a complete-looking end. */
  #endWithError(error: FulcrumError): void {
    const res = this.ctx.res;
    if (this.#sse && !res.writableEnded && !res.destroyed) res.end(sseErrorEvent(error));
    else res.destroy();
  }

  /** An upstream timeout: abort with undici's own error, so classification is the same as undici's. */
  #timedOut(err: Error): void {
    if (this.#phase === 'done') return;
    if (this.#controller && !this.#controller.aborted) this.#controller.abort(err);
    else this.#pendingTimeout ??= err;
  }

  #cancelDeadlines(): void {
    if (this.#firstByte) this.deps.firstByteDeadlines!.cancel(this.#firstByte);
    if (this.#idle) this.deps.idleDeadlines!.cancel(this.#idle);
    this.#firstByte = this.#idle = undefined;
  }

  #abort(cut: Cut): void {
    this.#cut ??= cut;
    if (this.#controller && !this.#controller.aborted) this.#controller.abort(cut);
  }

  /** The attempt is over for good: telemetry, cleanup, and the verdict if not given yet. */
  #finish(): void {
    this.#phase = 'done';
    this.#cleanup();
    this.#settle(DONE);
  }

  #settle(verdict: AttemptVerdict): void {
    if (this.#settled) return;
    this.#settled = true;
    this.deps.telemetry.emit('attempt.end', {
      id: this.ctx.id,
      endpoint: this.endpoint.name,
      outcome: this.#outcome,
      status: this.#status,
      reason: this.#reason,
      durationMs: this.deps.clock.now() - this.#started,
    });
    // Never from inside the upstream client's callback: a retry dispatches a new exchange, and the loop
    // would otherwise run it while the failed one is still unwinding.
    const owner = this.owner;
    queueMicrotask(() => owner.attemptEnded(verdict));
  }

  #cleanup(): void {
    this.#cancelDeadlines();
    if (this.#stallTimer) clearTimeout(this.#stallTimer);
    this.#stallTimer = undefined;
    this.ctx.res.off('close', this.#onClose);
    if (this.#onDrain) this.#drainSource?.off('drain', this.#onDrain);
    this.#drainSource = undefined;
    this.deps.live.delete(this);
  }
}
