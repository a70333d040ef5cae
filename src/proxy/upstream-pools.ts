/**
 * One undici connection pool per endpoint origin, created on first use and closed when the endpoint
 * leaves the pool. undici gives us keep-alive reuse (honouring the server's `Keep-Alive: timeout` hint, so
 * we don't reuse a socket the server is about to close) and connect timeouts. The first-byte and idle
 * timeouts are the attempt's own (see `firstByteDeadlines` in attempt.ts for why not undici's).
 */
import { Pool } from 'undici';
import type { Endpoint } from '../pool/endpoint.js';

export interface UpstreamTimeouts {
  connectMs: number;
}

export class UpstreamPools {
  readonly #pools = new Map<string, Pool>();

  constructor(private readonly timeouts: UpstreamTimeouts) {}

  /** The pool for an endpoint's origin. */
  get(endpoint: Endpoint): Pool {
    let pool = this.#pools.get(endpoint.origin);
    if (!pool) {
      pool = new Pool(endpoint.origin, {
        connections: endpoint.maxConnections ?? null,
        pipelining: 1,
        connect: { timeout: this.timeouts.connectMs },
        // 0 = off: the attempt enforces both (attempt.ts), more cheaply than undici's parser timers.
        headersTimeout: 0,
        bodyTimeout: 0,
        keepAliveTimeout: 4_000,
        keepAliveMaxTimeout: 60_000,
      });
      // A pool-level error must never become an unhandled 'error' event.
      pool.on('connectionError', () => {});
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
