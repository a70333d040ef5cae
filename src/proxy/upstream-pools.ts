/**
 * One connection pool per endpoint origin, created on first use and closed when the endpoint leaves the
 * pool. `http:` origins use our HTTP/1.1 pool (`upstream/h1-pool.ts`: keep-alive reuse that honours the
 * server's `Keep-Alive: timeout` hint, connect timeouts, and a relay path with far less per-event work than
 * undici's, docs/benchmarks.md run 9); `https:` origins (hosted APIs) use undici, which brings TLS. The
 * first-byte and idle timeouts are the attempt's own (see `firstByteDeadlines` in attempt.ts).
 */
import { type Dispatcher, Pool } from 'undici';
import type { Endpoint } from '../pool/endpoint.js';
import { H1Pool } from '../upstream/h1-pool.js';
import type { Upstream, UpstreamHandler, UpstreamRequest } from '../upstream/types.js';

export interface UpstreamTimeouts {
  connectMs: number;
}

/** Idle keep-alive time when the endpoint gives no hint, and the cap on any hint. */
const KEEP_ALIVE_MS = 4_000;
const KEEP_ALIVE_MAX_MS = 60_000;

export class UpstreamPools {
  readonly #pools = new Map<string, Upstream>();

  constructor(private readonly timeouts: UpstreamTimeouts) {}

  /** The pool for an endpoint's origin. */
  get(endpoint: Endpoint): Upstream {
    let pool = this.#pools.get(endpoint.origin);
    if (!pool) {
      pool = endpoint.origin.startsWith('http:')
        ? new H1Pool(endpoint.origin, {
            connections: endpoint.maxConnections ?? null,
            connectTimeoutMs: this.timeouts.connectMs,
            keepAliveTimeoutMs: KEEP_ALIVE_MS,
            keepAliveMaxTimeoutMs: KEEP_ALIVE_MAX_MS,
          })
        : undiciUpstream(endpoint, this.timeouts);
      this.#pools.set(endpoint.origin, pool);
    }
    return pool;
  }

  /** Closes pools whose origin is no longer used by any endpoint (after a removal). */
  retain(origins: ReadonlySet<string>): void {
    for (const [origin, pool] of this.#pools) {
      if (origins.has(origin)) continue;
      this.#pools.delete(origin);
      // Let in-flight requests finish; idle sockets close now.
      pool.close().catch(() => {});
    }
  }

  /** Closes every pool; `force` aborts in-flight requests. */
  async close(force = false): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => (force ? p.destroy() : p.close()).catch(() => {})));
  }
}

/** An undici pool behind the {@link Upstream} interface (its handler API is a superset of ours). */
function undiciUpstream(endpoint: Endpoint, timeouts: UpstreamTimeouts): Upstream {
  const pool = new Pool(endpoint.origin, {
    connections: endpoint.maxConnections ?? null,
    pipelining: 1,
    connect: { timeout: timeouts.connectMs },
    // 0 = off: the attempt enforces both (attempt.ts), more cheaply than undici's parser timers.
    headersTimeout: 0,
    bodyTimeout: 0,
    keepAliveTimeout: KEEP_ALIVE_MS,
    keepAliveMaxTimeout: KEEP_ALIVE_MAX_MS,
  });
  // A pool-level error must never become an unhandled 'error' event.
  pool.on('connectionError', () => {});
  return {
    dispatch(request: UpstreamRequest, handler: UpstreamHandler): void {
      pool.dispatch(
        {
          path: request.path,
          method: request.method as Dispatcher.HttpMethod,
          headers: request.headers,
          body: request.body,
        },
        handler as unknown as Dispatcher.DispatchHandler,
      );
    },
    close: () => pool.close(),
    destroy: () => pool.destroy(),
  };
}
