/**
 * The bench's load generator, run as its own process so that its CPU is not charged to the proxy:
 *   node --import tsx src/bench/proxy/loadgen.ts '<LoadPhase as JSON>'
 * It prints `LOADGEN_MEASURE start` / `LOADGEN_MEASURE end` around the measured window (the parent reads
 * the proxy's CPU counters at those moments), then `LOADGEN_RESULT <json>`.
 *
 * Three shapes of load:
 * - `closed`: a fixed number of connections, each sending its next request when the last one finishes;
 *   measures throughput.
 * - `open`: requests at a fixed rate regardless of completions (open loop), latency counted from each
 *   request's scheduled time so a stalled proxy cannot hide its queueing (no coordinated omission).
 * - `sse`: streams opened evenly over a ramp; records time to first chunk and checks every stream
 *   receives all its chunks, in order, then `[DONE]`.
 */
import { appendFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { type Distribution as LatencySummary, distribution as summarize } from '../stats.js';
import { startPauseLog } from './pause-log.js';
import { openStream, StreamTarget } from './sse-client.js';

/** Small chat request: what every non-streaming phase sends. */
export const CHAT_BODY = JSON.stringify({
  model: 'bench',
  messages: [{ role: 'user', content: 'Say ok.' }],
  max_tokens: 8,
});
const STREAM_BODY = JSON.stringify({
  model: 'bench',
  messages: [{ role: 'user', content: 'Count.' }],
  stream: true,
});
const PATH = '/v1/chat/completions';
const HEADERS = { 'content-type': 'application/json' };

/** One phase of load, sent to the load generator as JSON. */
export type LoadPhase =
  | { kind: 'closed'; urls: string[]; concurrency: number; warmupMs: number; durationMs: number }
  | { kind: 'open'; urls: string[]; rate: number; warmupMs: number; durationMs: number }
  | { kind: 'sse'; urls: string[]; streams: number; rampMs: number; chunks: number };

/** Result of a `closed` or `open` phase. */
export interface RequestPhaseResult {
  kind: 'closed' | 'open';
  /** Requests completed successfully in the measured window. */
  requests: number;
  /** Failed requests (transport error or non-200) in the measured window. */
  errors: number;
  firstError?: string;
  elapsedMs: number;
  /** Successful requests per second. */
  throughput: number;
  latency: LatencySummary;
  /** Open loop only: the latest any request was sent after its scheduled time (load generator lag), ms. */
  maxSendLagMs?: number;
}

/** Result of an `sse` phase. */
export interface SsePhaseResult {
  kind: 'sse';
  streams: number;
  /** Streams that got status 200, every chunk in order, then `[DONE]`. */
  completed: number;
  failed: number;
  /** The first few failure reasons. */
  failures: string[];
  /** Time to first chunk, from the request being sent. */
  ttfc: LatencySummary;
  /** Most streams open at once. */
  maxOpen: number;
  elapsedMs: number;
  maxSendLagMs: number;
}

export type PhaseResult = RequestPhaseResult | SsePhaseResult;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pools(urls: string[], connections: number | null): Pool[] {
  return urls.map(
    (u) => new Pool(u, { connections, pipelining: 1, bodyTimeout: 60_000, headersTimeout: 60_000 }),
  );
}

/** Sends one small chat request; resolves with an error message or undefined on success. */
async function chat(pool: Pool): Promise<string | undefined> {
  try {
    const res = await pool.request({ path: PATH, method: 'POST', headers: HEADERS, body: CHAT_BODY });
    await res.body.dump({ limit: 1 << 20 });
    return res.statusCode === 200 ? undefined : `status ${res.statusCode}`;
  } catch (err) {
    return (err as Error).message;
  }
}

async function closedLoop(phase: Extract<LoadPhase, { kind: 'closed' }>): Promise<RequestPhaseResult> {
  const targets = pools(phase.urls, Math.ceil(phase.concurrency / phase.urls.length));
  const latencies: number[] = [];
  let measuring = false;
  let stopping = false;
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const worker = async () => {
    while (!stopping) {
      const t0 = performance.now();
      const err = await chat(targets[next++ % targets.length]!);
      if (!measuring) continue;
      if (err === undefined) latencies.push(performance.now() - t0);
      else {
        errors++;
        firstError ??= err;
      }
    }
  };
  const workers = Array.from({ length: phase.concurrency }, worker);
  await sleep(phase.warmupMs);
  console.log('LOADGEN_MEASURE start');
  measuring = true;
  const start = performance.now();
  await sleep(phase.durationMs);
  measuring = false;
  const elapsedMs = performance.now() - start;
  console.log('LOADGEN_MEASURE end');
  stopping = true;
  await Promise.all(workers);
  await Promise.all(targets.map((p) => p.close()));
  return {
    kind: 'closed',
    requests: latencies.length,
    errors,
    firstError,
    elapsedMs,
    throughput: (latencies.length / elapsedMs) * 1000,
    latency: summarize(latencies),
  };
}

async function openLoop(phase: Extract<LoadPhase, { kind: 'open' }>): Promise<RequestPhaseResult> {
  const targets = pools(phase.urls, null);
  const interval = 1000 / phase.rate;
  const total = Math.round(((phase.warmupMs + phase.durationMs) / 1000) * phase.rate);
  const warmupCount = Math.round((phase.warmupMs / 1000) * phase.rate);
  const latencies: number[] = [];
  const inflight: Promise<void>[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let maxLag = 0;
  const start = performance.now() + 10;
  let sent = 0;
  while (sent < total) {
    const now = performance.now();
    for (; sent < total && start + sent * interval <= now; sent++) {
      const scheduled = start + sent * interval;
      const measured = sent >= warmupCount;
      if (sent === warmupCount) console.log('LOADGEN_MEASURE start');
      if (measured) maxLag = Math.max(maxLag, now - scheduled);
      inflight.push(
        chat(targets[sent % targets.length]!).then((err) => {
          if (!measured) return;
          if (err === undefined) latencies.push(performance.now() - scheduled);
          else {
            errors++;
            firstError ??= err;
          }
        }),
      );
    }
    // A 1 ms timer is as fine as Node schedules; latency is counted from the schedule, so lateness shows.
    await sleep(1);
  }
  await Promise.all(inflight);
  console.log('LOADGEN_MEASURE end');
  await Promise.all(targets.map((p) => p.close()));
  const elapsedMs = phase.durationMs;
  return {
    kind: 'open',
    requests: latencies.length,
    errors,
    firstError,
    elapsedMs,
    throughput: (latencies.length / elapsedMs) * 1000,
    latency: summarize(latencies),
    maxSendLagMs: maxLag,
  };
}

async function sse(phase: Extract<LoadPhase, { kind: 'sse' }>): Promise<SsePhaseResult> {
  const request = { path: PATH, headers: HEADERS, body: STREAM_BODY };
  const targets = phase.urls.map((url) => new StreamTarget(url, request));
  const ttfc: number[] = [];
  /** Diagnostics: with FULCRUM_BENCH_TTFC_DUMP=FILE, each stream's start (ms into the ramp) and TTFC. */
  const dump: string[] | undefined = process.env.FULCRUM_BENCH_TTFC_DUMP ? [] : undefined;
  const failures: string[] = [];
  let failed = 0;
  let open = 0;
  let maxOpen = 0;
  let maxLag = 0;
  const spacing = phase.streams > 1 ? phase.rampMs / phase.streams : 0;
  let start = 0;
  const one = async (i: number, scheduled: number): Promise<void> => {
    const t0 = performance.now();
    maxLag = Math.max(maxLag, t0 - scheduled);
    open++;
    maxOpen = Math.max(maxOpen, open);
    const reason = await openStream(targets[i % targets.length]!, phase.chunks, () => {
      const ms = performance.now() - t0;
      ttfc.push(ms);
      dump?.push(`${(t0 - start).toFixed(1)} ${ms.toFixed(2)}`);
    });
    open--;
    if (reason !== undefined) {
      failed++;
      if (failures.length < 5) failures.push(`stream ${i}: ${reason}`);
    }
  };
  console.log('LOADGEN_MEASURE start');
  start = performance.now();
  const all: Promise<void>[] = [];
  let started = 0;
  while (started < phase.streams) {
    const now = performance.now();
    for (; started < phase.streams && start + started * spacing <= now; started++) {
      all.push(one(started, start + started * spacing));
    }
    await sleep(1);
  }
  await Promise.all(all);
  const elapsedMs = performance.now() - start;
  console.log('LOADGEN_MEASURE end');
  for (const t of targets) t.closeAll();
  if (dump) {
    const epoch = (performance.timeOrigin + start).toFixed(0);
    appendFileSync(
      process.env.FULCRUM_BENCH_TTFC_DUMP!,
      `# ramp start, epoch ms: ${epoch}\n${dump.join('\n')}\n`,
    );
  }
  return {
    kind: 'sse',
    streams: phase.streams,
    completed: phase.streams - failed,
    failed,
    failures,
    ttfc: summarize(ttfc),
    maxOpen,
    elapsedMs,
    maxSendLagMs: maxLag,
  };
}

/** Runs one phase of load in this process. */
export function runPhase(phase: LoadPhase): Promise<PhaseResult> {
  switch (phase.kind) {
    case 'closed':
      return closedLoop(phase);
    case 'open':
      return openLoop(phase);
    case 'sse':
      return sse(phase);
  }
}

/** The result line the parent parses. */
export const RESULT_PREFIX = 'LOADGEN_RESULT ';

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const flushPauses = startPauseLog('client');
  const result = await runPhase(JSON.parse(process.argv[2] ?? '{}') as LoadPhase);
  flushPauses();
  console.log(RESULT_PREFIX + JSON.stringify(result));
  process.exit(0);
}
