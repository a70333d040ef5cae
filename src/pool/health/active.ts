/**
 * Active health: every `intervalMs`, GET `<origin><basePath><path>` on each endpoint of the current pool
 * snapshot. A 2xx answer within `timeoutMs` is a good probe; any other status, a network error or a timeout
 * is a bad one. Hysteresis as in HAProxy: `fall` consecutive bad probes mark a healthy endpoint down,
 * `rise` consecutive good ones mark a down endpoint up; the verdict goes into the pool through
 * `pool.updateHealth`, which emits each transition once.
 *
 * Scheduling: one timer chain per endpoint, keyed by its live state object (an endpoint re-added under the
 * same name with another URL starts afresh). The first probe comes after a random share of the interval so
 * that endpoints (and replicas) do not probe in lock-step; each later wait is the interval shortened by up
 * to `jitter` (shortening only, so "down within fall × intervalMs of the fault" stays true), measured from
 * the previous probe's start. A probe never overlaps the next for the same endpoint: a slow one delays its
 * successor. Endpoints added or removed at runtime are picked up through `pool.onChange`.
 *
 * `ActiveHealth` also owns model discovery (`models.ts`), so a server wires health with one object:
 * `start()`, `await discoverNow()` (bounded by `timeoutMs`) at boot, `stop()` at shutdown.
 */
import { Agent, type Dispatcher } from 'undici';
import type { Config } from '../../config/schema.js';
import type { Clock } from '../../core/clock.js';
import { type Random, systemRandom } from '../../core/prng.js';
import type { Endpoint, EndpointState } from '../endpoint.js';
import type { Pool } from '../pool.js';
import { healthGet, unlimitedController } from './http-get.js';
import { ModelDiscovery } from './models.js';
import { type Schedule, systemSchedule } from './timers.js';

export interface ActiveHealthOptions {
  /** Timer source. Default: real `setTimeout`, unref'd so probes never keep the process alive. */
  schedule?: Schedule;
  /** Randomness for the schedule jitter. Default `Math.random`. */
  random?: Random;
  /** Largest share of `intervalMs` by which a wait is randomly shortened, in [0, 1). Default 0.1. */
  jitter?: number;
  /** HTTP dispatcher for probes and discovery. Default: an undici Agent owned and closed by this instance. */
  dispatcher?: Dispatcher;
}

/** Probe bookkeeping for one endpoint incarnation. */
interface Track {
  readonly name: string;
  readonly state: EndpointState;
  good: number;
  bad: number;
  inflight: Promise<void> | undefined;
  cancelTimer: (() => void) | undefined;
}

export class ActiveHealth {
  /** Model discovery, started and stopped with the probes. */
  readonly models: ModelDiscovery;
  readonly #config: Config['health']['active'];
  readonly #schedule: Schedule;
  readonly #random: Random;
  readonly #jitter: number;
  readonly #ownsDispatcher: boolean;
  readonly #dispatcher: Dispatcher;
  readonly #tracks = new Map<EndpointState, Track>();
  readonly #inflight = new Set<Promise<void>>();
  /** Aborts every probe in flight on stop(); one listener per in-flight probe, so no listener cap. */
  readonly #abort = unlimitedController();
  #running = false;
  #stopped = false;
  #unsubscribe: (() => void) | undefined;

  constructor(
    private readonly pool: Pool,
    config: Config['health'],
    private readonly clock: Clock,
    options: ActiveHealthOptions = {},
  ) {
    this.#config = config.active;
    this.#schedule = options.schedule ?? systemSchedule;
    this.#random = options.random ?? systemRandom;
    this.#jitter = Math.min(Math.max(options.jitter ?? 0.1, 0), 0.99);
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher = options.dispatcher ?? newAgent(this.#config.timeoutMs);
    this.models = new ModelDiscovery(pool, config, {
      schedule: this.#schedule,
      dispatcher: this.#dispatcher,
    });
  }

  /**
   * Starts probing (when `health.active.enabled`) and model discovery. Idempotent. An instance is not
   * restartable after `stop()` (its connections are closed): build a new one.
   */
  start(): void {
    if (this.#stopped) throw new Error('ActiveHealth was stopped; create a new instance');
    if (this.#running) return;
    this.#running = true;
    this.models.start();
    if (!this.#config.enabled) return;
    this.#unsubscribe = this.pool.onChange((snapshot) => this.#sync(snapshot));
    this.#sync(this.pool.endpoints);
  }

  /** Stops both loops, aborts probes in flight and waits for them; pending results are discarded. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#running = false;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    for (const track of this.#tracks.values()) {
      track.cancelTimer?.();
      track.cancelTimer = undefined;
    }
    this.#abort.abort();
    await Promise.all([...this.#inflight, this.models.stop()]);
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  /** Model discovery for every endpoint without declared models; see `ModelDiscovery.discoverNow`. */
  discoverNow(): Promise<void> {
    return this.models.discoverNow();
  }

  /**
   * Probes every endpoint of the current snapshot once, now (joining a probe already in flight rather than
   * overlapping it), and resolves when all verdicts are in. Each call counts as one probe toward rise/fall.
   * Works whether or not `start()` was called; does nothing after `stop()`.
   */
  async probeOnce(): Promise<void> {
    if (this.#stopped) return;
    this.#prune(this.pool.endpoints);
    await Promise.all(this.pool.endpoints.map((e) => this.#probe(this.#track(e), e)));
  }

  #sync(snapshot: readonly Endpoint[]): void {
    this.#prune(snapshot);
    if (!this.#running) return;
    for (const e of snapshot) {
      const track = this.#track(e);
      if (!track.cancelTimer && !track.inflight) {
        this.#arm(track, this.#random() * this.#config.intervalMs);
      }
    }
  }

  /** Forgets endpoints that left the pool; a probe of theirs still in flight is discarded on return. */
  #prune(snapshot: readonly Endpoint[]): void {
    const live = new Set(snapshot.map((e) => e.state));
    for (const [state, track] of this.#tracks) {
      if (live.has(state)) continue;
      track.cancelTimer?.();
      this.#tracks.delete(state);
    }
  }

  #track(endpoint: Endpoint): Track {
    let track = this.#tracks.get(endpoint.state);
    if (!track) {
      track = {
        name: endpoint.name,
        state: endpoint.state,
        good: 0,
        bad: 0,
        inflight: undefined,
        cancelTimer: undefined,
      };
      this.#tracks.set(endpoint.state, track);
    }
    return track;
  }

  /** The endpoint a track belongs to, if it is still in the pool (weight changes keep the state). */
  #current(track: Track): Endpoint | undefined {
    const e = this.pool.get(track.name);
    return e && e.state === track.state && this.#tracks.get(e.state) === track ? e : undefined;
  }

  #arm(track: Track, delayMs: number): void {
    track.cancelTimer?.();
    track.cancelTimer = this.#schedule(() => {
      track.cancelTimer = undefined;
      const e = this.#current(track);
      if (e && this.#running) void this.#probe(track, e);
    }, delayMs);
  }

  #probe(track: Track, endpoint: Endpoint): Promise<void> {
    if (track.inflight) return track.inflight;
    const startedAt = this.clock.now();
    const run = this.#runProbe(track, endpoint).finally(() => {
      track.inflight = undefined;
      this.#inflight.delete(run);
      if (!this.#running || !this.#current(track)) return;
      const wait = this.#config.intervalMs * (1 - this.#jitter * this.#random());
      this.#arm(track, Math.max(0, wait - (this.clock.now() - startedAt)));
    });
    track.inflight = run;
    this.#inflight.add(run);
    return run;
  }

  async #runProbe(track: Track, endpoint: Endpoint): Promise<void> {
    const result = await healthGet(endpoint.origin + endpoint.basePath + this.#config.path, {
      dispatcher: this.#dispatcher,
      timeoutMs: this.#config.timeoutMs,
      apiKey: endpoint.apiKey,
      maxBodyBytes: 0,
      signal: this.#abort.signal,
    });
    // Removed meanwhile, or shutting down: this verdict belongs to nobody.
    if (!this.#current(track) || (!result.ok && result.aborted)) return;
    const state = track.state;
    if (result.ok) {
      track.good += 1;
      track.bad = 0;
      if (!state.healthy && track.good >= this.#config.rise) {
        this.pool.updateHealth(track.name, { healthy: true, reason: `probe ${this.#config.path}: ok` });
      }
    } else {
      track.bad += 1;
      track.good = 0;
      if (state.healthy && track.bad >= this.#config.fall) {
        const reason = `probe ${this.#config.path}: ${result.reason}`;
        this.pool.updateHealth(track.name, { healthy: false, reason });
      }
    }
  }
}

/** A dedicated pool for health traffic, so probes never queue behind (or are limited with) proxied requests. */
function newAgent(timeoutMs: number): Agent {
  return new Agent({ connect: { timeout: timeoutMs } });
}
