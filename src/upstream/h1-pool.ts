/**
 * A keep-alive HTTP/1.1 connection pool for one `http:` origin, the proxy's upstream client.
 *
 * Idle connections are reused last-in first-out (the warmest socket, and the coldest ones age out). A
 * connection is reused only while the endpoint would still keep it: our keep-alive timeout, or the
 * endpoint's `Keep-Alive: timeout=N` hint less a safety margin, whichever is shorter — reusing a socket the
 * server is closing at that moment loses the request (reliability plan S19). Idle connections that the
 * server closes are dropped at once. With `connections` set, requests beyond it wait in order.
 */
import { IntrusiveList } from '../core/intrusive-list.js';
import { Connection, type ConnectionOwner } from './connection.js';
import { UpstreamError } from './errors.js';
import { Exchange, type ExchangeQueue } from './exchange.js';
import type { Upstream, UpstreamHandler, UpstreamRequest } from './types.js';

export interface H1PoolOptions {
  /** Most connections open at once; null = no limit. */
  connections: number | null;
  /** TCP connect timeout, ms; 0 = none. */
  connectTimeoutMs: number;
  /** How long an idle connection is kept when the endpoint gives no hint, ms (4,000). */
  keepAliveTimeoutMs?: number;
  /** Upper bound on any idle time, hint included, ms (60,000). */
  keepAliveMaxTimeoutMs?: number;
  /** Taken off the endpoint's hint, so we stop reusing before it closes, ms (2,000). */
  keepAliveThresholdMs?: number;
  /** Monotonic clock, ms (injected by tests). */
  now?: () => number;
}

/** Counts for tests and telemetry. */
export interface H1PoolStats {
  connections: number;
  idle: number;
  pending: number;
}

const SAFE_PATH = /^[^\s\x00-\x1f\x7f]+$/;
const UNSAFE_VALUE = /[\r\n\0]/;

export class H1Pool implements Upstream, ConnectionOwner, ExchangeQueue {
  readonly #host: string;
  readonly #port: number;
  readonly #hostHeader: string;
  readonly #max: number;
  readonly #connectTimeoutMs: number;
  readonly #keepAliveMs: number;
  readonly #keepAliveMaxMs: number;
  readonly #thresholdMs: number;
  readonly #now: () => number;
  /**
   * Every open connection (to destroy them all); idle ones are also in #idle. An intrusive list, not a Set:
   * with one connection per stream, a Set's add and delete per stream is the churn docs/architecture.md's
   * hot-path rules forbid.
   */
  readonly #open = new IntrusiveList<Connection>();
  /**
   * Idle connections, oldest first. One that closes stays here, dead, until it is popped or swept: finding
   * it on every close made thousands of streams ending together quadratic.
   */
  #idle: Connection[] = [];
  readonly #queue = new IntrusiveList<Exchange>();
  #sweep: NodeJS.Timeout | undefined;
  #closing = false;
  #closed: (() => void) | undefined;
  #closedPromise: Promise<void> | undefined;

  constructor(origin: string, options: H1PoolOptions) {
    const url = new URL(origin);
    if (url.protocol !== 'http:') throw new TypeError(`H1Pool serves http: origins, not ${url.protocol}`);
    this.#host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.#port = url.port === '' ? 80 : Number(url.port);
    this.#hostHeader = url.host;
    this.#max = options.connections ?? Number.POSITIVE_INFINITY;
    this.#connectTimeoutMs = options.connectTimeoutMs;
    this.#keepAliveMs = options.keepAliveTimeoutMs ?? 4_000;
    this.#keepAliveMaxMs = options.keepAliveMaxTimeoutMs ?? 60_000;
    this.#thresholdMs = options.keepAliveThresholdMs ?? 2_000;
    this.#now = options.now ?? performance.now.bind(performance);
  }

  get stats(): H1PoolStats {
    const idle = this.#idle.filter((c) => !c.dead).length;
    return { connections: this.#open.size, idle, pending: this.#queue.size };
  }

  dispatch(request: UpstreamRequest, handler: UpstreamHandler): void {
    let payload: Buffer | UpstreamError;
    try {
      payload = this.#closing
        ? new UpstreamError('UPSTREAM_POOL_DESTROYED', 'The endpoint was removed.')
        : serialize(request, this.#hostHeader);
    } catch (err) {
      payload =
        err instanceof UpstreamError ? err : new UpstreamError('UPSTREAM_INVALID_REQUEST', String(err));
    }
    const exchange = new Exchange(
      payload instanceof Buffer ? payload : Buffer.alloc(0),
      request.method !== 'HEAD',
      handler,
      this,
    );
    handler.onRequestStart(exchange);
    if (exchange.done) return;
    if (payload instanceof UpstreamError) {
      exchange.fail(payload);
      return;
    }
    const conn = this.#takeIdle();
    if (conn) conn.run(exchange);
    else if (this.#open.size < this.#max) this.#connect().run(exchange);
    else this.#queue.append(exchange);
  }

  /** Finishes in-flight and queued requests, then closes every connection. */
  close(): Promise<void> {
    this.#closing = true;
    if (!this.#closedPromise) {
      this.#closedPromise = new Promise((resolve) => {
        this.#closed = resolve;
      });
      for (const conn of this.#idle.splice(0)) conn.destroy();
      if (this.#open.size === 0) this.#closed?.();
    }
    return this.#closedPromise;
  }

  /** Aborts everything now. */
  destroy(): Promise<void> {
    this.#closing = true;
    const error = new UpstreamError('UPSTREAM_POOL_DESTROYED', 'The endpoint was removed.');
    for (let ex = this.#queue.head; ex; ex = this.#queue.head) ex.abort(error);
    for (const conn of this.#open.drain()) conn.destroy(error);
    return Promise.resolve();
  }

  // ExchangeQueue

  unqueue(exchange: Exchange): void {
    this.#queue.unlink(exchange);
  }

  // ConnectionOwner

  released(conn: Connection): void {
    const next = this.#queue.head;
    if (next) {
      this.#queue.unlink(next);
      conn.run(next);
      return;
    }
    const keepMs = this.#keepFor(conn.keepAliveHintMs);
    if (this.#closing || keepMs <= 0) {
      conn.destroy();
      return;
    }
    conn.expiresAt = this.#now() + keepMs;
    this.#idle.push(conn);
    if (!this.#sweep) {
      this.#sweep = setInterval(this.#sweepIdle, 1_000);
      this.#sweep.unref();
    }
  }

  closed(conn: Connection): void {
    this.#open.unlink(conn);
    const next = this.#queue.head;
    if (next && this.#open.size < this.#max) {
      this.#queue.unlink(next);
      this.#connect().run(next);
    }
    if (this.#open.size === 0) {
      this.#idle.length = 0;
      if (this.#sweep) clearInterval(this.#sweep);
      this.#sweep = undefined;
      if (this.#closing) this.#closed?.();
    }
  }

  #connect(): Connection {
    const conn = new Connection(this, {
      host: this.#host,
      port: this.#port,
      connectTimeoutMs: this.#connectTimeoutMs,
    });
    this.#open.append(conn);
    return conn;
  }

  #takeIdle(): Connection | undefined {
    const now = this.#now();
    for (let conn = this.#idle.pop(); conn; conn = this.#idle.pop()) {
      if (!conn.dead && now < conn.expiresAt) return conn;
      conn.destroy();
    }
    return undefined;
  }

  #keepFor(hintMs: number | undefined): number {
    const ms = hintMs === undefined ? this.#keepAliveMs : hintMs - this.#thresholdMs;
    return Math.min(ms, this.#keepAliveMaxMs);
  }

  readonly #sweepIdle = (): void => {
    const now = this.#now();
    // Expiries are not in order (each endpoint answer may carry its own hint): look at every idle one.
    const keep: Connection[] = [];
    for (const conn of this.#idle) {
      if (conn.dead) continue;
      if (conn.expiresAt <= now) conn.destroy();
      else keep.push(conn);
    }
    this.#idle = keep;
  };
}

/** The request head and body as one buffer, for one socket write. */
function serialize(request: UpstreamRequest, hostHeader: string): Buffer {
  if (!SAFE_PATH.test(request.path))
    throw new UpstreamError('UPSTREAM_INVALID_REQUEST', 'Invalid request path.');
  let head = `${request.method} ${request.path} HTTP/1.1\r\nhost: ${hostHeader}\r\n`;
  const headers = request.headers;
  for (const name in headers) {
    const value = headers[name]!;
    if (typeof value === 'string') head += line(name, value);
    else for (const v of value) head += line(name, v);
  }
  head += '\r\n';
  const body = request.body;
  const out = Buffer.allocUnsafe(head.length + (body?.length ?? 0));
  out.write(head, 0, 'latin1');
  if (body) body.copy(out, head.length);
  return out;
}

function line(name: string, value: string): string {
  if (UNSAFE_VALUE.test(value) || UNSAFE_VALUE.test(name))
    throw new UpstreamError('UPSTREAM_INVALID_REQUEST', `Invalid value for request header ${name}.`);
  return `${name}: ${value}\r\n`;
}
