/**
 * Relays an upstream response body to the client after the commit point, chunk by chunk and unbuffered,
 * with backpressure end to end: when the client's socket is full we pause the upstream (so a slow reader
 * holds back the endpoint instead of growing our memory), and a client that reads nothing for
 * `sendTimeoutMs` is cut. SSE bodies stay on event boundaries (see sse-framer.ts).
 */
import type { Readable } from 'node:stream';
import { FulcrumError } from '../core/errors.js';
import type { RequestContext } from '../pipeline/context.js';
import { sseErrorEvent } from '../server/openai-error.js';
import { midStreamError } from './classify.js';
import { SseFramer } from './sse-framer.js';

export interface RelayOptions {
  /** The body is Server-Sent Events. */
  sse: boolean;
  /** Endpoint name, for error messages. */
  endpoint: string;
  /** Aborts the upstream request. */
  abort: AbortController;
  /** Longest time the client may leave our writes unread. */
  sendTimeoutMs: number;
  /** Shutdown deadline passed: end the response now. */
  hardStop: AbortSignal;
  /** The clock, to stamp the first body byte. */
  now: () => number;
}

export type RelayEnd =
  | { kind: 'complete' }
  | { kind: 'client_gone' }
  | { kind: 'shutdown' }
  | { kind: 'upstream_error'; error: FulcrumError; cause: unknown };

export function relayBody(ctx: RequestContext, body: Readable, options: RelayOptions): Promise<RelayEnd> {
  const res = ctx.res;
  const framer = options.sse ? new SseFramer() : undefined;
  return new Promise<RelayEnd>((resolve) => {
    let done = false;
    let stallTimer: NodeJS.Timeout | undefined;

    const finish = (end: RelayEnd): void => {
      if (done) return;
      done = true;
      if (stallTimer) clearTimeout(stallTimer);
      body.off('data', onData);
      body.off('end', onEnd);
      res.off('drain', onDrain);
      res.off('close', onClose);
      options.hardStop.removeEventListener('abort', onHardStop);
      // Keep an error listener: a late upstream error must never become an uncaught exception.
      body.on('error', () => {});
      body.off('error', onError);
      resolve(end);
    };
    const stopUpstream = (): void => {
      options.abort.abort();
      body.destroy();
    };
    const onData = (chunk: Buffer): void => {
      const out = framer ? framer.push(chunk) : chunk;
      if (out === undefined) return;
      // Time to the first body byte: for a stream, the first event (engines send the head before any token).
      ctx.firstByteAt ??= options.now();
      if (res.write(out)) return;
      body.pause();
      if (options.sendTimeoutMs > 0) stallTimer = setTimeout(onStall, options.sendTimeoutMs);
    };
    const onDrain = (): void => {
      if (stallTimer) clearTimeout(stallTimer);
      stallTimer = undefined;
      body.resume();
    };
    const onEnd = (): void => {
      const rest = framer?.flush();
      ctx.firstByteAt ??= options.now();
      if (rest) res.write(rest);
      res.end();
      finish({ kind: 'complete' });
    };
    const onError = (err: unknown): void => {
      if (ctx.clientGone.aborted || res.destroyed) {
        finish({ kind: 'client_gone' });
        return;
      }
      const error = midStreamError(err, options.endpoint);
      if (options.sse && !res.writableEnded) res.end(sseErrorEvent(error));
      else res.destroy();
      finish({ kind: 'upstream_error', error, cause: err });
    };
    const onClose = (): void => {
      if (res.writableFinished) return;
      stopUpstream();
      finish({ kind: 'client_gone' });
    };
    const onStall = (): void => {
      // The client stopped reading: its fault, not the endpoint's. Free both sides.
      stopUpstream();
      res.destroy();
      finish({ kind: 'client_gone' });
    };
    const onHardStop = (): void => {
      stopUpstream();
      const error = new FulcrumError(
        'shutting_down',
        'The load balancer is shutting down; the response was cut.',
      );
      if (options.sse && !res.writableEnded) res.end(sseErrorEvent(error));
      else res.destroy();
      finish({ kind: 'shutdown' });
    };

    if (options.hardStop.aborted) {
      onHardStop();
      return;
    }
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('error', onError);
    res.on('drain', onDrain);
    res.on('close', onClose);
    options.hardStop.addEventListener('abort', onHardStop, { once: true });
  });
}
