/**
 * The simulator as a library: `startSim(options)` starts a simulated OpenAI-compatible LLM server on a port
 * and returns its URL, a `close()`, live `stats()` and request events. Tests, the demo (`fulcrum serve` with
 * no config) and the bench all start their backends this way; `fulcrum sim` is a thin CLI over it.
 */
import type { EventEmitter } from 'node:events';
import { seededRandom } from '../core/prng.js';
import { StepEngine } from './engine.js';
import type { SimEngine } from './engine-types.js';
import type { FaultPlan } from './faults.js';
import { FixedEngine } from './fixed-engine.js';
import type { EngineFlavor } from './metrics.js';
import { DEFAULT_PROFILE, resolveParams, type SimParams } from './profiles.js';
import { type DriverLag, RealtimeDriver } from './realtime.js';
import { RequestLog, type SimEvents, type SimRequestRecord } from './records.js';
import { SimServer } from './server.js';

export type { Fault, FaultPlan, FaultWindow } from './faults.js';
export { parseFault, parseWindow } from './faults.js';
export type { EngineFlavor } from './metrics.js';
export { ENGINES } from './metrics.js';
export { PROFILES, profileNames, resolveParams } from './profiles.js';
export type { SimRequestRecord } from './records.js';

/** Options of `startSim`. All optional. */
export interface SimOptions {
  /** TCP port. Default 0 (any free port). */
  port?: number;
  /** Bind address. Default '127.0.0.1'. */
  host?: string;
  /** Named profile: 'h100-llama3-8b' (default), 'a100-llama3-8b', 'h100x4-llama3-70b', or 'fixed' (test fixture). */
  profile?: string;
  /** Overrides of the profile's parameters, e.g. `{ maxNumSeqs: 64 }` or, for 'fixed', `{ ttftMs, itlMs }`. */
  params?: Record<string, unknown>;
  /** Served model name(s); the first labels metrics. Default 'meta-llama/Llama-3.1-8B-Instruct'. */
  model?: string | string[];
  /** Whose /metrics (and extra endpoints) to emulate. Default 'vllm'. */
  engine?: EngineFlavor;
  /** Seed of output text and of random faults. Default 1. */
  seed?: number;
  /** Runs the virtual engine this many times faster than real time. Default 1. */
  timeScale?: number;
  /** Tokens per SSE chunk. Default 1: one chunk per engine step per request, as real engines send. */
  coalesce?: number;
  /** Faults injected without a header (rate and schedule). Default none. */
  faults?: FaultPlan;
  /** Name shown in stats. Default the profile name. */
  name?: string;
  /** HTTP keep-alive timeout, ms (a short one is itself a fault for connection pools). Default 5000. */
  keepAliveTimeoutMs?: number;
  /** Parallel slots of the llama.cpp emulation; also caps the batch. Default 8. */
  slots?: number;
  /** Dimension of /v1/embeddings vectors. Default 256. */
  embeddingDim?: number;
  /** Called after the `crash` fault reset every connection. Default: nothing more (the CLI exits). */
  onCrash?: () => void;
}

/** A snapshot of a running simulator. */
export interface SimStats {
  name: string;
  profile: string;
  /** Requests received on generation and embedding routes. */
  requests: number;
  /** Requests being served now. */
  active: number;
  completed: number;
  /** Requests whose client went away before they finished. */
  aborted: number;
  /** Requests that got a fault. */
  faults: number;
  /** Requests answered with a 4xx/5xx error (not faults). */
  errors: number;
  running: number;
  waiting: number;
  /** KV blocks in use / total, 0–1. */
  kvUsage: number;
  promptTokens: number;
  /** Prompt tokens served from the prefix cache. */
  cachedTokens: number;
  /** cachedTokens / promptTokens. */
  prefixHitRate: number;
  generatedTokens: number;
  /** Sum and count of inter-token gaps the engine produced (virtual ms), for mean ITL. */
  itlSumMs: number;
  itlCount: number;
  steps: number;
  preemptions: number;
  /** Virtual ms the engine spent in steps, and the current virtual time. */
  busyMs: number;
  virtualNowMs: number;
  /** How far the real-time driver ran behind the model. */
  lag: DriverLag;
}

/** A running simulator. */
export interface SimHandle {
  /** Base URL, e.g. `http://127.0.0.1:41234` (the OpenAI base URL is `url + '/v1'`). */
  url: string;
  port: number;
  params: SimParams;
  /** `request:start`, `request:end` (with `SimRequestRecord`s) and `crash`. */
  events: EventEmitter<SimEvents>;
  stats(): SimStats;
  /** The most recent request records (up to 1000), oldest first. */
  requests(): SimRequestRecord[];
  /** Stops accepting connections for `ms` (default: until `accept()`), as the `refuse` fault does. */
  refuse(ms?: number): void;
  /** Listens again after `refuse`. */
  accept(): Promise<void>;
  /** Resets every connection and closes the listener, as the `crash` fault does. */
  crash(): void;
  close(): Promise<void>;
}

function makeEngine(params: SimParams, seed: number): SimEngine {
  if (params.kind === 'fixed') return new FixedEngine(params);
  return new StepEngine(params, { random: seededRandom(seed ^ 0x51ed) });
}

/** Starts a simulated OpenAI-compatible server. */
export async function startSim(options: SimOptions = {}): Promise<SimHandle> {
  const engineFlavor = options.engine ?? 'vllm';
  const slots = options.slots ?? 8;
  const overrides = { ...(options.params ?? {}) };
  const profile = options.profile ?? DEFAULT_PROFILE;
  let params = resolveParams(profile, overrides);
  // llama.cpp serves a fixed number of parallel slots; the rest are deferred.
  if (engineFlavor === 'llamacpp' && params.kind === 'step' && overrides.maxNumSeqs === undefined) {
    params = { ...params, maxNumSeqs: Math.min(params.maxNumSeqs, slots) };
  }
  const seed = options.seed ?? 1;
  const engine = makeEngine(params, seed);
  const driver = new RealtimeDriver(engine, options.timeScale ?? 1);
  const log = new RequestLog();
  const models = options.model === undefined ? ['meta-llama/Llama-3.1-8B-Instruct'] : [options.model].flat();
  if (models.length === 0) throw new Error('startSim: at least one model name is needed');
  const coalesce = options.coalesce ?? 1;
  if (!Number.isInteger(coalesce) || coalesce < 1)
    throw new Error('startSim: coalesce must be an integer >= 1');
  const server = new SimServer({
    driver,
    log,
    models,
    engine: engineFlavor,
    maxModelLen: params.maxModelLen,
    seed,
    coalesce,
    faults: options.faults ?? {},
    random: seededRandom(seed ^ 0xfa17),
    slots,
    embeddingDim: options.embeddingDim ?? 256,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 5000,
    onCrash: () => {
      driver.close();
      options.onCrash?.();
    },
  });
  const host = options.host ?? '127.0.0.1';
  const port = await server.listen(options.port ?? 0, host);
  const name = options.name ?? params.name;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    params,
    events: log.events,
    stats: () => {
      const load = engine.load();
      const rec = engine.recorder;
      return {
        name,
        profile: params.name,
        requests: log.requests,
        active: log.active,
        completed: log.completed,
        aborted: log.aborted,
        faults: log.faults,
        errors: log.errors,
        running: load.running,
        waiting: load.waiting,
        kvUsage: load.kvUsage,
        promptTokens: rec.promptTokens,
        cachedTokens: rec.prefixHits,
        prefixHitRate: rec.prefixQueries > 0 ? rec.prefixHits / rec.prefixQueries : 0,
        generatedTokens: rec.generationTokens,
        itlSumMs: rec.itl.sum * 1000,
        itlCount: rec.itl.count,
        steps: rec.steps,
        preemptions: rec.preemptions,
        busyMs: rec.busyMs,
        virtualNowMs: driver.virtualNow(),
        lag: driver.lag(),
      };
    },
    requests: () => log.list(),
    refuse: (ms = Number.POSITIVE_INFINITY) => server.refuse(ms),
    accept: () => server.accept(),
    crash: () => server.crash(),
    close: async () => {
      driver.close();
      await server.close();
    },
  };
}
