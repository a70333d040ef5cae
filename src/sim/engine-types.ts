/**
 * The contract between a simulated engine and whoever drives it. An engine lives on a virtual clock in
 * milliseconds and only moves when `advanceTo` is called, so unit tests run it without sockets or real time,
 * and `realtime.ts` drives it from one timer.
 */
import type { Recorder } from './recorder.js';

/** Why generation stopped, as OpenAI's `finish_reason`. */
export type FinishReason = 'stop' | 'length';

/** One generation request as the engine sees it. */
export interface EngineRequestSpec {
  /** Prompt token ids (after the chat template). */
  promptTokens: readonly number[];
  /** Exactly how many tokens to generate (≥ 1). The server derives it from max_tokens, min_tokens, ignore_eos. */
  outputTokens: number;
  /** Reason reported with the last token. */
  finishReason: FinishReason;
  /** Id of generated token `i`, so generated blocks hash like the same text sent back as a prompt. */
  outputTokenId(i: number): number;
}

/** Receives a request's tokens. Called synchronously from `advanceTo`. */
export interface TokenSink {
  /** Token `index` (0 = first) was produced at virtual time `at`; `finish` is set on the last one. */
  onToken(index: number, at: number, finish: FinishReason | undefined): void;
}

/** The engine's view of one request, readable by the server for usage and records. */
export interface EngineRequest {
  readonly id: number;
  readonly promptLength: number;
  /** Prompt tokens served from the prefix cache at first admission (usage `cached_tokens`). */
  readonly cachedTokens: number;
  /** Virtual time the request arrived. */
  readonly arrival: number;
  /** Virtual time of the first token, once produced. */
  readonly firstTokenAt: number | undefined;
  /** Tokens generated so far. */
  readonly generated: number;
  /** How many times this request was preempted. */
  readonly preemptions: number;
}

/** Instantaneous load, as engines export it. */
export interface EngineLoad {
  running: number;
  waiting: number;
  /** KV blocks in use / total, 0–1. */
  kvUsage: number;
  /** KV tokens held by running requests (blocks in use × block size). */
  kvTokens: number;
  /** KV capacity in tokens. */
  kvCapacityTokens: number;
  /** Batch size limit (`max_num_seqs`). */
  maxNumSeqs: number;
}

/** A simulated engine on a virtual clock. */
export interface SimEngine {
  /** Current virtual time, ms. */
  readonly now: number;
  readonly recorder: Recorder;
  /**
   * Queues a request that arrived at virtual time `arrival` (default: now). Throws a `RangeError` when the
   * request can never fit (prompt longer than the context window or than the whole KV cache).
   */
  submit(spec: EngineRequestSpec, sink: TokenSink, arrival?: number): EngineRequest;
  /** Stops a request at once and frees its KV blocks; no more tokens are delivered. No-op when finished. */
  cancel(req: EngineRequest): void;
  /** Processes every event up to and including virtual time `t`. */
  advanceTo(t: number): void;
  /** Virtual time of the next event, or undefined when idle. */
  nextEventAt(): number | undefined;
  load(): EngineLoad;
}
