/**
 * One bench run: one workload against one target under one load, measured per request. This is what
 * `fulcrum bench run` calls and what compare mode repeats for every contender.
 */
import { setMaxListeners } from 'node:events';
import { type Clock, systemClock } from '../core/clock.js';
import { seededRandom } from '../core/prng.js';
import { type ClientTarget, createDispatcher, type RawResult, sendRequest } from './client.js';
import { runClosedLoop } from './load/closed-loop.js';
import { runOpenLoop } from './load/open-loop.js';
import { arrivalTimes, selectRequests } from './load/schedule.js';
import type { ProgressSink } from './progress.js';
import type { LoadDescription, RequestRecord, RunResult, Slo } from './record.js';
import type { BenchRequest, Workload } from './workload.js';

/** How load is applied. */
export type LoadOptions =
  | { mode: 'trace'; rateScale?: number; jitterMs?: number }
  | { mode: 'poisson'; rate: number }
  | { mode: 'closed'; users: number };

export interface RunOptions {
  /** Contender name for reports. Default `target`. */
  name?: string;
  target: ClientTarget;
  workload: Workload;
  load: LoadOptions;
  /** Virtual ms per wall ms; must equal the simulator's `timeScale`. Default 1. */
  timeScale?: number;
  /** Virtual seconds at the start whose requests are sent but not measured. Default 0. */
  warmupS?: number;
  /** Virtual seconds of measured load after the warm-up. Default: the whole workload. */
  durationS?: number;
  /** At most this many requests (warm-up included). Default: all. */
  maxRequests?: number;
  /** Default TTFT ≤ 2000 ms and mean ITL ≤ 100 ms. */
  slo?: Slo;
  /** Seed for jitter and Poisson arrivals. Default 1. */
  seed?: number;
  /** Known endpoint names, so that idle ones count in the imbalance. Default none. */
  endpoints?: string[];
  /** Aborting stops new sends and cancels in-flight requests; the result is marked `interrupted`. */
  signal?: AbortSignal;
  progress?: ProgressSink;
  /**
   * Virtual seconds to wait, after the last request was sent, for the ones still in flight; those still
   * running then are cancelled and count as errors of kind `unfinished`. Bounds the run when a contender
   * overloads a backend (e.g. hashing every request to one). Default 120. Open loop only.
   */
  drainS?: number;
  /** Per-request wall timeout for headers and between body chunks. Default 600000. */
  timeoutMs?: number;
  clock?: Clock;
}

function toRecord(
  req: BenchRequest,
  raw: RawResult,
  atWall: number,
  lagWall: number,
  k: number,
  warmup: boolean,
) {
  const v = (x: number) => Math.round(x * k * 1000) / 1000;
  const record: RequestRecord = {
    index: req.index,
    atMs: v(atWall),
    sentMs: v(raw.sentAt),
    warmup,
    itlMs: raw.itl.map(v),
    e2eMs: v(raw.e2e),
    inputTokens: req.inputTokens,
    outputTokensRequested: req.outputTokens,
    lagWallMs: Math.round(lagWall * 1000) / 1000,
  };
  if (raw.ttft !== undefined) record.ttftMs = v(raw.ttft);
  const tokens = raw.completionTokens ?? raw.chunks;
  if (raw.ttft !== undefined && tokens > 1) record.tpotMs = v((raw.e2e - raw.ttft) / (tokens - 1));
  if (raw.promptTokens !== undefined) record.promptTokens = raw.promptTokens;
  if (raw.completionTokens !== undefined) record.completionTokens = raw.completionTokens;
  if (raw.cachedTokens !== undefined) record.cachedTokens = raw.cachedTokens;
  if (raw.endpoint !== undefined) record.endpoint = raw.endpoint;
  if (raw.status !== undefined) record.status = raw.status;
  if (raw.error) record.error = raw.error;
  return record;
}

/** Runs the workload against the target and returns every request's record. */
export async function runBench(options: RunOptions): Promise<RunResult> {
  const clock = options.clock ?? systemClock;
  const k = options.timeScale ?? 1;
  if (!(k > 0)) throw new Error('time scale must be > 0');
  const warmupMs = (options.warmupS ?? 0) * 1000;
  const durationMs = options.durationS === undefined ? undefined : options.durationS * 1000;
  const random = seededRandom(options.seed ?? 1);
  const requests = options.workload.requests;
  const dispatcher = createDispatcher(options.timeoutMs);
  const aborter = new AbortController();
  // Every in-flight request listens on this one signal.
  setMaxListeners(0, aborter.signal);
  const onAbort = () => aborter.abort();
  if (options.signal?.aborted) aborter.abort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  const records: RequestRecord[] = [];
  const startedAt = new Date().toISOString();
  const t0 = clock.now();
  const rel = (raw: RawResult): RawResult => ({ ...raw, sentAt: raw.sentAt - t0 });
  const load = options.load;
  try {
    if (load.mode === 'closed') {
      const order = requests.slice(0, options.maxRequests ?? requests.length);
      options.progress?.setTotal(order.length);
      const stopAt = durationMs === undefined ? Infinity : (warmupMs + durationMs) / k;
      await runClosedLoop(
        order.length,
        load.users,
        async (slot) => {
          const req = order[slot]!;
          const at = clock.now() - t0;
          const raw = rel(await sendRequest(req, options.target, dispatcher, aborter.signal, clock));
          records.push(toRecord(req, raw, at, 0, k, at * k < warmupMs));
          options.progress?.done(!raw.error);
        },
        { signal: aborter.signal, shouldStop: () => clock.now() - t0 >= stopAt },
      );
    } else {
      const mode =
        load.mode === 'poisson'
          ? { kind: 'poisson' as const, rate: load.rate }
          : { kind: 'trace' as const, rateScale: load.rateScale, jitterMs: load.jitterMs };
      const times = arrivalTimes(requests, mode, random);
      const chosen = selectRequests(times, { durationMs, warmupMs, maxRequests: options.maxRequests });
      const wall = chosen.map((i) => times[i]! / k);
      options.progress?.setTotal(chosen.length);
      const drain = new AbortController();
      let drainTimer: NodeJS.Timeout | undefined;
      const requestSignal = AbortSignal.any([aborter.signal, drain.signal]);
      setMaxListeners(0, requestSignal);
      await runOpenLoop(
        wall,
        async ({ slot, lagMs }) => {
          const req = requests[chosen[slot]!]!;
          const raw = rel(await sendRequest(req, options.target, dispatcher, requestSignal, clock));
          if (raw.error?.kind === 'aborted' && drain.signal.aborted && !aborter.signal.aborted) {
            raw.error = {
              kind: 'unfinished',
              message: `still running ${options.drainS ?? 120} s after the last send`,
            };
          }
          records.push(toRecord(req, raw, wall[slot]!, lagMs, k, times[chosen[slot]!]! < warmupMs));
          options.progress?.done(!raw.error);
        },
        {
          signal: aborter.signal,
          clock,
          startWall: t0,
          onAllSent: () => {
            drainTimer = setTimeout(() => drain.abort(), ((options.drainS ?? 120) * 1000) / k);
          },
        },
      );
      clearTimeout(drainTimer);
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    options.progress?.finish();
    await dispatcher.destroy().catch(() => {});
  }
  records.sort((a, b) => a.atMs - b.atMs || a.index - b.index);
  return {
    name: options.name ?? 'target',
    target: options.target.baseUrl,
    workload: options.workload.name,
    api: options.target.api ?? 'chat',
    load: describeLoad(options),
    slo: options.slo ?? {},
    endpoints: options.endpoints ?? [],
    startedAt,
    wallS: (clock.now() - t0) / 1000,
    records,
    interrupted: aborter.signal.aborted,
  };
}

function describeLoad(o: RunOptions): LoadDescription {
  const d: LoadDescription = { mode: o.load.mode, timeScale: o.timeScale ?? 1, warmupS: o.warmupS ?? 0 };
  if (o.load.mode === 'trace') {
    d.rateScale = o.load.rateScale ?? 1;
    if (o.load.jitterMs) d.jitterMs = o.load.jitterMs;
  }
  if (o.load.mode === 'poisson') d.rate = o.load.rate;
  if (o.load.mode === 'closed') d.users = o.load.users;
  if (o.durationS !== undefined) d.durationS = o.durationS;
  if (o.maxRequests !== undefined) d.maxRequests = o.maxRequests;
  return d;
}
