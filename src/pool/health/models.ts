/**
 * Model discovery: for endpoints that declare no models, GET `<origin><basePath>/v1/models` (OpenAI shape,
 * `{ "data": [{ "id": "…" }, …] }`) and push the ids into the pool as `discoveredModels`. Until an endpoint
 * has answered once, the pool treats it as serving any model.
 *
 * When: `discoverNow()` (the server awaits it at boot; it resolves within about `health.active.timeoutMs`),
 * then every `health.modelRefreshMs` (0 = only at start), and at once for endpoints added at runtime.
 * Safety: the body is capped (default 1 MiB) and validated; any failure — status, network, timeout, size,
 * shape — keeps the previous list, so a flaky `/v1/models` never empties an endpoint's model set. The last
 * failure per endpoint is kept for the admin API (`lastError`).
 */
import { Agent, type Dispatcher } from 'undici';
import { z } from 'zod';
import type { Config } from '../../config/schema.js';
import type { Endpoint, EndpointState } from '../endpoint.js';
import type { Pool } from '../pool.js';
import { healthGet, unlimitedController } from './http-get.js';
import { type Schedule, systemSchedule } from './timers.js';

export interface ModelDiscoveryOptions {
  /** Timer source. Default: real `setTimeout`, unref'd. */
  schedule?: Schedule;
  /** HTTP dispatcher. Default: an undici Agent owned and closed by this instance. */
  dispatcher?: Dispatcher;
  /** Largest accepted `/v1/models` body in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
}

/** What we need from the OpenAI list shape; other fields (object, owned_by, …) are ignored. */
const modelListSchema = z.object({
  data: z.array(z.object({ id: z.string().min(1).max(256) })).max(10_000),
});

export class ModelDiscovery {
  readonly #timeoutMs: number;
  readonly #refreshMs: number;
  readonly #maxBodyBytes: number;
  readonly #schedule: Schedule;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  /** Aborts every probe in flight on stop(); one listener per in-flight probe, so no listener cap. */
  readonly #abort = unlimitedController();
  /** Endpoint incarnations already queried at least once (so onChange only queries new ones). */
  readonly #seen = new WeakSet<EndpointState>();
  readonly #inflight = new Map<EndpointState, Promise<void>>();
  readonly #errors = new Map<string, string>();
  #running = false;
  #stopped = false;
  #cancelTimer: (() => void) | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(
    private readonly pool: Pool,
    config: Config['health'],
    options: ModelDiscoveryOptions = {},
  ) {
    this.#timeoutMs = config.active.timeoutMs;
    this.#refreshMs = config.modelRefreshMs;
    this.#maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
    this.#schedule = options.schedule ?? systemSchedule;
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher = options.dispatcher ?? new Agent({ connect: { timeout: this.#timeoutMs } });
  }

  /**
   * Queries endpoints not queried yet, then new ones as they are added, and refreshes every
   * `modelRefreshMs`. Idempotent.
   */
  start(): void {
    if (this.#stopped) throw new Error('ModelDiscovery was stopped; create a new instance');
    if (this.#running) return;
    this.#running = true;
    this.#unsubscribe = this.pool.onChange((snapshot) => this.#discoverUnseen(snapshot));
    // Endpoints that `discoverNow()` has not covered yet (normally none: the server calls it first).
    this.#discoverUnseen(this.pool.endpoints);
    if (this.#refreshMs > 0) this.#arm();
  }

  /** Stops refreshing, aborts queries in flight and waits for them. Not restartable. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#running = false;
    this.#unsubscribe?.();
    this.#cancelTimer?.();
    this.#abort.abort();
    await Promise.all(this.#inflight.values());
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  /**
   * Queries every endpoint of the current snapshot that declares no models, concurrently, and resolves when
   * all have answered or failed (each bounded by `timeoutMs`). Never rejects.
   */
  discoverNow(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return this.#discover(this.pool.endpoints);
  }

  /** The last discovery failure for an endpoint (cleared by a success), for the admin API and tests. */
  lastError(name: string): string | undefined {
    return this.#errors.get(name);
  }

  #arm(): void {
    this.#cancelTimer = this.#schedule(() => {
      this.#cancelTimer = undefined;
      if (!this.#running) return;
      // Re-arm only after this round finished, so rounds never overlap.
      void this.discoverNow().then(() => {
        if (this.#running) this.#arm();
      });
    }, this.#refreshMs);
  }

  #discoverUnseen(snapshot: readonly Endpoint[]): void {
    const fresh = snapshot.filter((e) => !this.#seen.has(e.state));
    if (fresh.length > 0) void this.#discover(fresh);
  }

  async #discover(endpoints: readonly Endpoint[]): Promise<void> {
    await Promise.all(endpoints.filter((e) => !e.declaredModels).map((e) => this.#discoverOne(e)));
  }

  #discoverOne(endpoint: Endpoint): Promise<void> {
    const state = endpoint.state;
    this.#seen.add(state);
    const running = this.#inflight.get(state);
    if (running) return running;
    const run = this.#query(endpoint).finally(() => this.#inflight.delete(state));
    this.#inflight.set(state, run);
    return run;
  }

  async #query(endpoint: Endpoint): Promise<void> {
    const result = await healthGet(`${endpoint.origin}${endpoint.basePath}/v1/models`, {
      dispatcher: this.#dispatcher,
      timeoutMs: this.#timeoutMs,
      apiKey: endpoint.apiKey,
      maxBodyBytes: this.#maxBodyBytes,
      signal: this.#abort.signal,
    });
    if (!result.ok && result.aborted) return;
    // The endpoint may have been removed (or replaced under its name) while we waited.
    if (this.pool.get(endpoint.name)?.state !== endpoint.state) return;
    const models = result.ok ? parseModelList(result.body) : { error: result.reason };
    if ('error' in models) {
      this.#errors.set(endpoint.name, `GET /v1/models: ${models.error}`);
      return;
    }
    this.#errors.delete(endpoint.name);
    this.pool.updateHealth(endpoint.name, { discoveredModels: models.ids });
  }
}

/** Parses and validates an OpenAI model list body. */
export function parseModelList(body: Buffer): { ids: ReadonlySet<string> } | { error: string } {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return { error: 'body is not JSON' };
  }
  const parsed = modelListSchema.safeParse(json);
  if (!parsed.success) return { error: 'body is not an OpenAI model list ({"data":[{"id":…}]})' };
  return { ids: new Set(parsed.data.data.map((m) => m.id)) };
}
