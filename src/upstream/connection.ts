/**
 * One keep-alive TCP connection to an endpoint, running one exchange at a time (no pipelining).
 *
 * Reads use Node's `onread` mode: the kernel's bytes land in one buffer shared by every upstream socket and
 * reach the parser synchronously, with no `'data'`/`'readable'` event, no stream buffering and no
 * allocation per read. Sharing is safe because the callback runs to completion before libuv reads the next
 * socket, and nothing keeps a view of the buffer past it: body bytes are copied out for the handler, and
 * bytes left unparsed while the handler holds the response back are copied aside until it resumes.
 *
 * The socket's listeners are functions shared by every connection, which find theirs through a symbol on
 * the socket: a connection lives as long as the streams it carries, and six closures of its own cost about
 * 300 bytes per connection (docs/architecture.md, hot-path rules).
 */
import net from 'node:net';
import { ListNode } from '../core/intrusive-list.js';
import { UpstreamError } from './errors.js';
import type { Exchange, ExchangeRunner } from './exchange.js';
import { type ResponseHeaders, ResponseParser, type ResponseSink } from './response-parser.js';

const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
const EMPTY = Buffer.alloc(0);

/** What a connection tells its pool. */
export interface ConnectionOwner {
  /** The exchange completed and the connection can carry another (keep-alive). */
  released(conn: Connection): void;
  /** The connection is closed (counted once). */
  closed(conn: Connection): void;
}

export interface ConnectionOptions {
  host: string;
  port: number;
  connectTimeoutMs: number;
}

export class Connection extends ListNode implements ResponseSink, ExchangeRunner {
  readonly socket: net.Socket;
  readonly #parser: ResponseParser;
  #exchange: Exchange | undefined;
  /** Unparsed bytes from the last read, kept while the exchange is paused. */
  #held: Buffer | undefined;
  #readPaused = false;
  /** The socket is not reading (paused by us, or #onRead returned false); restarted only by resume(). */
  #readStopped = false;
  /** Inside #feed: a resume from a handler callback only clears #readPaused, and the feed goes on. */
  #feeding = false;
  #dead = false;
  #connectTimer: NodeJS.Timeout | undefined;
  /** When an idle keep-alive connection stops being reusable (pool clock, ms). */
  expiresAt = 0;
  /** The endpoint's keep-alive hint from the last response, ms (read by the pool on release). */
  get keepAliveHintMs(): number | undefined {
    return this.#parser.keepAliveHintMs;
  }

  constructor(
    private readonly owner: ConnectionOwner,
    options: ConnectionOptions,
  ) {
    super();
    this.#parser = new ResponseParser(this);
    const socket = net.connect({
      host: options.host,
      port: options.port,
      noDelay: true,
      onread: { buffer: READ_BUFFER, callback: onSocketRead },
    });
    this.socket = socket;
    (socket as OwnedSocket)[OWNER] = this;
    if (options.connectTimeoutMs > 0) {
      // A closure only until the connection is up: the timer is cleared then.
      this.#connectTimer = setTimeout(() => this.#connectTimedOut(), options.connectTimeoutMs);
    }
    socket.once('connect', onSocketConnect);
    socket.on('error', onSocketError);
    socket.on('end', onSocketEnd);
    socket.on('close', onSocketClose);
  }

  /** Whether the connection is closed or closing. */
  get dead(): boolean {
    return this.#dead;
  }

  /** Sends `exchange`'s request on this connection. */
  run(exchange: Exchange): void {
    this.#exchange = exchange;
    this.#readPaused = false;
    this.#held = undefined;
    this.#parser.reset(exchange.expectBody);
    exchange.assign(this);
    // Written at once even while connecting: Node queues it until the connection is up.
    this.socket.write(exchange.payload);
    exchange.payload = EMPTY;
    // A pause from onRequestStart, before a connection was assigned, holds from the first byte.
    if (exchange.paused) this.pauseReading();
    else this.#restartReading();
  }

  /** Closes the connection now; an exchange still running fails with `error`. */
  destroy(error?: Error): void {
    if (this.#dead) return;
    this.#dead = true;
    if (this.#connectTimer) clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    this.socket.destroy();
    this.owner.closed(this);
    const exchange = this.#exchange;
    this.#exchange = undefined;
    if (error) exchange?.fail(error);
  }

  /** Stops the socket reading now (in `onread` mode `pause()` stops the handle at once). */
  #stopReading(): void {
    if (this.#readStopped || this.#dead) return;
    this.#readStopped = true;
    this.socket.pause();
  }

  #restartReading(): void {
    if (!this.#readStopped || this.#dead) return;
    this.#readStopped = false;
    this.socket.resume();
  }

  // ExchangeRunner

  /** Holds the response back: parsing stops after the current callback and the socket stops reading. */
  pauseReading(): void {
    this.#readPaused = true;
    this.#parser.stop();
    this.#stopReading();
  }

  resumeReading(): void {
    if (!this.#readPaused || this.#dead) return;
    this.#readPaused = false;
    if (this.#feeding) return; // the feed running below us sees the flag and parses on
    const held = this.#held;
    this.#held = undefined;
    if (held) this.#feed(held, 0, held.length);
    // Also when the exchange just completed from the held bytes: an idle connection must see the
    // endpoint's close, and the next exchange's answer.
    if (!this.#readPaused && !this.#held) this.#restartReading();
  }

  abandon(): void {
    this.#exchange = undefined;
    this.#parser.stop();
    this.destroy();
  }

  // ResponseSink (called by the parser, inside #feed)

  head(status: number, headers: ResponseHeaders): void {
    this.#exchange?.head(status, headers);
  }

  body(chunk: Buffer): void {
    // A copy: `chunk` is a view of the shared read buffer, and the handler may keep what it gets.
    if (chunk.length > 0) this.#exchange?.data(Buffer.from(chunk));
  }

  complete(): void {
    this.#exchange?.end();
  }

  // Socket events

  /** @internal The socket read `nread` bytes into `buf` (the shared read buffer). */
  onRead(nread: number, buf: Buffer): boolean {
    if (!this.#exchange) {
      // Bytes no request asked for: the connection's state is unknown, so it is not reused.
      this.destroy();
      return false;
    }
    if (this.#readPaused || this.#held) {
      // Read before a pause took effect: keep the bytes, after any held ones, for resume().
      const bytes = buf.subarray(0, nread);
      this.#held = this.#held ? Buffer.concat([this.#held, bytes]) : Buffer.from(bytes);
      this.#readStopped = true;
      return false;
    }
    this.#feed(buf, 0, nread);
    if (this.#readPaused && !this.#dead) {
      this.#readStopped = true;
      return false;
    }
    // A handler may have paused and resumed within this read, which stopped the socket.
    this.#restartReading();
    return true;
  }

  #feed(buf: Buffer, start: number, end: number): void {
    this.#feeding = true;
    try {
      this.#parse(buf, start, end);
    } finally {
      this.#feeding = false;
    }
  }

  #parse(buf: Buffer, start: number, end: number): void {
    let at = start;
    const parser = this.#parser;
    for (;;) {
      try {
        at = parser.execute(buf, at, end);
      } catch (err) {
        // A malformed response, or a handler that threw: either way this exchange and connection are over.
        this.#fail(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (this.#dead || !this.#exchange) return;
      if (parser.done) {
        this.#exchange = undefined;
        // A pause belonged to the finished exchange: an idle connection must keep reading, to notice the
        // endpoint closing it (and any bytes nobody asked for).
        this.#readPaused = false;
        // Bytes past the response's end mean the endpoint answered more than was asked: do not reuse.
        if (parser.keepAlive && at === end) {
          this.#restartReading();
          this.owner.released(this);
        } else {
          this.destroy();
        }
        return;
      }
      if (at >= end) return;
      if (this.#readPaused) {
        this.#held = Buffer.from(buf.subarray(at, end));
        return;
      }
    }
  }

  #fail(error: Error): void {
    this.destroy(error);
  }

  /** @internal */
  onConnect(): void {
    if (this.#connectTimer) clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
  }

  #connectTimedOut(): void {
    this.#connectTimer = undefined;
    this.#fail(new UpstreamError('UPSTREAM_CONNECT_TIMEOUT', 'Connecting to the endpoint timed out.'));
  }

  /** @internal */
  onError(err: Error): void {
    this.#fail(err);
  }

  /** @internal */
  onEnd(): void {
    const exchange = this.#exchange;
    if (exchange && !this.#held) {
      try {
        this.#parser.finish(); // completes a body that runs until close
      } catch (err) {
        this.#fail(err as Error);
        return;
      }
      this.#exchange = undefined;
    }
    this.#closed();
  }

  /** @internal */
  onClose(): void {
    this.#closed();
  }

  /** The socket is done: an exchange still running was cut (the error is built only then: stacks cost). */
  #closed(): void {
    if (this.#exchange)
      this.#fail(new UpstreamError('UPSTREAM_CLOSED', 'The endpoint closed the connection mid-response.'));
    else this.destroy();
  }
}

const OWNER = Symbol('fulcrum.upstreamConnection');
type OwnedSocket = net.Socket & { [OWNER]: Connection };

// Node calls the `onread` callback and the listeners with the socket as `this`.
function onSocketRead(this: net.Socket, nread: number, buf: Buffer): boolean {
  return (this as OwnedSocket)[OWNER].onRead(nread, buf);
}
function onSocketConnect(this: net.Socket): void {
  (this as OwnedSocket)[OWNER].onConnect();
}
function onSocketError(this: net.Socket, err: Error): void {
  (this as OwnedSocket)[OWNER].onError(err);
}
function onSocketEnd(this: net.Socket): void {
  (this as OwnedSocket)[OWNER].onEnd();
}
function onSocketClose(this: net.Socket): void {
  (this as OwnedSocket)[OWNER].onClose();
}
