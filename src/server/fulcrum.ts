/**
 * Assembles one Fulcrum instance: pool, strategy, health, upstream pools, pipeline, data-plane listener,
 * admin listener and telemetry exporters. This is the library entry point used by the CLI, the tests and the
 * bench: `startFulcrum(config)` returns a running instance with its URLs.
 */
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import { createStrategy } from '../balancer/registry.js';
import { Router } from '../balancer/router.js';
import { type Config, configSchema } from '../config/schema.js';
import { type Clock, systemClock } from '../core/clock.js';
import { deadlineListFor } from '../core/deadline-list.js';
import { type Random, systemRandom } from '../core/prng.js';
import { compose } from '../pipeline/compose.js';
import { ActiveHealth } from '../pool/health/active.js';
import { PassiveHealth } from '../pool/health/passive.js';
import { Pool } from '../pool/pool.js';
import { createForwarder } from '../proxy/forward.js';
import { LiveResponses } from '../proxy/live-responses.js';
import { RetryBudget } from '../proxy/retry-budget.js';
import { UpstreamPools } from '../proxy/upstream-pools.js';
import { TelemetryBus } from '../telemetry/events.js';
import { attachRequestLog, createLogger, type Logger } from '../telemetry/logger.js';
import { FulcrumMetrics } from '../telemetry/metrics.js';
import { startAdminServer } from './admin.js';
import { ClientIpResolver } from './client-ip.js';
import { createDataPlane } from './data-plane.js';

/** Config as written in YAML (defaults not yet applied). */
export type ConfigInput = z.input<typeof configSchema>;

export interface FulcrumOptions {
  /** Injected clock (tests). Default: the monotonic system clock. */
  clock?: Clock;
  /** Injected randomness for strategies (tests). Default `Math.random`. */
  random?: Random;
  /** Logger. Default: built from `config.logging`, writing to stderr. */
  logger?: Logger;
  /** Longest wait for model discovery before listening, ms. Default: `health.active.timeoutMs`. */
  discoveryWaitMs?: number;
}

/** A running instance. */
export interface FulcrumHandle {
  /** Data-plane base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** Admin base URL, when the admin listener is enabled. */
  readonly adminUrl: string | undefined;
  readonly config: Config;
  readonly pool: Pool;
  readonly telemetry: TelemetryBus;
  readonly metrics: FulcrumMetrics;
  /** Requests currently being served. */
  activeRequests(): number;
  /**
   * Graceful shutdown: stop accepting, close idle connections, let in-flight requests finish for up to
   * `graceMs` (default `shutdown.graceMs`), end the rest (streams get a terminal error event), then close.
   */
  shutdown(graceMs?: number): Promise<void>;
  /** Immediate close (tests): equivalent to `shutdown(0)`. */
  close(): Promise<void>;
}

export async function startFulcrum(
  input: ConfigInput | Config,
  options: FulcrumOptions = {},
): Promise<FulcrumHandle> {
  const config = configSchema.parse(input);
  const clock = options.clock ?? systemClock;
  const random = options.random ?? systemRandom;
  const logger =
    options.logger ??
    createLogger({
      ...config.logging,
      secrets: [config.admin.token, ...config.endpoints.map((e) => e.apiKey)],
    });
  const telemetry = new TelemetryBus();
  const pool = new Pool(config.endpoints, clock, telemetry);
  const strategy = createStrategy(config.strategy.name, config.strategy.options, {
    random,
    now: () => clock.now(),
  });
  const router = new Router(pool, strategy, clock);
  const metrics = new FulcrumMetrics(telemetry, pool, { clock });
  const detachRequestLog = config.logging.requests ? attachRequestLog(telemetry, logger) : () => {};
  const passive = new PassiveHealth(pool, config.health.passive, clock);
  const active = new ActiveHealth(pool, config.health, clock, { random });
  const upstreams = new UpstreamPools(config.timeouts);
  const unwatch = pool.onChange((snapshot) => upstreams.retain(new Set(snapshot.map((e) => e.origin))));
  const budget = new RetryBudget(config.retry.budgetPercent, config.retry.minConcurrentRetries);
  const live = new LiveResponses();
  let shuttingDown = false;

  const forwarder = createForwarder({
    router,
    pool,
    budget,
    maxAttempts: config.retry.maxAttempts,
    pools: upstreams,
    health: passive,
    telemetry,
    clock,
    retryOnStatus: new Set(config.retry.retryOnStatus),
    retryAfterSend: config.retry.retryAfterSend,
    sendTimeoutMs: config.listen.sendTimeoutMs,
    firstByteDeadlines: deadlineListFor(config.timeouts.firstByteMs, () => clock.now()),
    idleDeadlines: deadlineListFor(config.timeouts.idleMs, () => clock.now()),
    live,
    isShuttingDown: () => shuttingDown,
  });
  // The one visible middleware order. Auth, limits and cache stages go before the forwarder.
  const handler = compose([], forwarder);

  const dataPlane = createDataPlane({
    listen: config.listen,
    clock,
    telemetry,
    pool,
    budget,
    ipResolver: new ClientIpResolver(config.listen.trustedProxies),
    handler,
    isShuttingDown: () => shuttingDown,
    onInternalError: (err) => {
      metrics.countUncaughtError();
      logger.error('internal error while serving a request', { err: String(err) });
    },
  });

  // Learn the endpoints' models before taking traffic, but never wait long for a slow endpoint.
  const discoveryWaitMs = options.discoveryWaitMs ?? config.health.active.timeoutMs;
  await Promise.race([active.discoverNow(), new Promise((r) => setTimeout(r, discoveryWaitMs).unref())]);
  // Starts model discovery always, and active probes when `health.active.enabled`.
  active.start();

  const server = dataPlane.server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(
      { port: config.listen.port, host: config.listen.host, backlog: config.listen.backlog },
      () => {
        server.off('error', reject);
        resolve();
      },
    );
  });
  const address = server.address() as AddressInfo;
  const url = `http://${urlHost(address.address)}:${address.port}`;

  const admin = config.admin.enabled
    ? await startAdminServer({
        config: config.admin,
        pool,
        metrics,
        logger,
        isReady: () => !shuttingDown && pool.endpoints.some((e) => e.state.enabled && e.state.healthy),
        describe: () => ({ strategy: strategy.name, url, activeRequests: dataPlane.active() }),
      }).catch(async (err: unknown) => {
        server.close();
        await active.stop();
        throw err;
      })
    : undefined;

  let shutdownPromise: Promise<void> | undefined;
  async function shutdown(graceMs = config.shutdown.graceMs): Promise<void> {
    shutdownPromise ??= (async () => {
      shuttingDown = true;
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      // Connections that finish a response become idle; keep closing them while we wait.
      const sweeper = setInterval(() => server.closeIdleConnections(), 250);
      let deadlineTimer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'deadline'>((r) => {
        deadlineTimer = setTimeout(() => r('deadline'), graceMs);
      });
      const drained = await Promise.race([dataPlane.idle().then(() => 'idle' as const), deadline]);
      // A pending timer would keep the process alive for the rest of the grace period.
      clearTimeout(deadlineTimer);
      if (drained === 'deadline') {
        live.cutAll();
        await Promise.race([dataPlane.idle(), new Promise((r) => setTimeout(r, 1_000).unref())]);
      }
      clearInterval(sweeper);
      server.closeAllConnections();
      await closed;
      passive.stop();
      await Promise.all([active.stop(), admin?.close(), upstreams.close(true)]);
      router.close();
      unwatch();
      detachRequestLog();
      metrics.dispose();
    })();
    return shutdownPromise;
  }

  return {
    url,
    adminUrl: admin?.url,
    config,
    pool,
    telemetry,
    metrics,
    activeRequests: () => dataPlane.active(),
    shutdown,
    close: () => shutdown(0),
  };
}

function urlHost(address: string): string {
  if (address === '0.0.0.0' || address === '::') return '127.0.0.1';
  return address.includes(':') ? `[${address}]` : address;
}
