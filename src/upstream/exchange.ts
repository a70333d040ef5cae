/**
 * One request through the HTTP/1.1 pool, from dispatch to its end: the controller its handler holds, and
 * the node the pool queues while no connection is free. It guarantees the handler contract of
 * `types.ts` — one ending, never a callback after it — whatever order the socket, the parser, the
 * handler's own abort and the pool's shutdown happen in.
 */
import { ListNode } from '../core/intrusive-list.js';
import type { UpstreamController, UpstreamHandler, UpstreamHeaders } from './types.js';

/** What an exchange needs from the connection running it. */
export interface ExchangeRunner {
  pauseReading(): void;
  resumeReading(): void;
  /** The exchange was aborted: the connection is not reusable. */
  abandon(): void;
}

/** What an exchange needs from its pool while it waits for a connection. */
export interface ExchangeQueue {
  unqueue(exchange: Exchange): void;
}

export class Exchange extends ListNode implements UpstreamController {
  #runner: ExchangeRunner | undefined;
  #done = false;
  aborted = false;
  paused = false;

  constructor(
    /** The serialized request; dropped once written (a long stream should not keep its prompt alive). */
    public payload: Buffer,
    /** False for HEAD: the answer has no body whatever its headers say. */
    readonly expectBody: boolean,
    readonly handler: UpstreamHandler,
    private readonly queue: ExchangeQueue,
  ) {
    super();
  }

  get done(): boolean {
    return this.#done;
  }

  /** A connection took the exchange. */
  assign(runner: ExchangeRunner): void {
    this.#runner = runner;
  }

  pause(): void {
    if (this.#done || this.paused) return;
    this.paused = true;
    this.#runner?.pauseReading();
  }

  resume(): void {
    if (this.#done || !this.paused) return;
    this.paused = false;
    this.#runner?.resumeReading();
  }

  abort(reason: Error): void {
    if (this.#done) return;
    this.aborted = true;
    if (this.linked) this.queue.unqueue(this);
    const runner = this.#runner;
    this.#runner = undefined;
    runner?.abandon();
    this.fail(reason);
  }

  // Called by the connection; each reaches the handler only while the exchange is live.

  head(status: number, headers: UpstreamHeaders): void {
    if (!this.#done) this.handler.onResponseStart(this, status, headers);
  }

  data(chunk: Buffer): void {
    if (!this.#done) this.handler.onResponseData(this, chunk);
  }

  end(): void {
    if (this.#done) return;
    this.#done = true;
    this.#runner = undefined;
    this.handler.onResponseEnd(this);
  }

  fail(error: Error): void {
    if (this.#done) return;
    this.#done = true;
    this.#runner = undefined;
    try {
      this.handler.onResponseError(this, error);
    } catch {
      // A handler that throws while handling an error has nothing left to tell; the request is over.
    }
  }
}
