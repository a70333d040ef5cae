/**
 * What the engines count, in the units the exporters need: token counters, prefix-cache queries and hits,
 * step statistics, and latency histograms with vLLM's bucket bounds. Engines write; `metrics.ts` reads.
 * Times are virtual seconds, so metrics agree with the engine model whatever the time scale.
 */

/** A cumulative Prometheus-style histogram with fixed upper bounds. */
export class Histogram {
  readonly bounds: readonly number[];
  /** Per-bucket (non-cumulative) counts; the last slot is +Inf. */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Array(bounds.length + 1).fill(0);
  }

  observe(v: number): void {
    let i = 0;
    while (i < this.bounds.length && v > this.bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
}

/** vLLM's `time_to_first_token_seconds` buckets. */
export const TTFT_BUCKETS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640,
  2560,
];
/** vLLM's `inter_token_latency_seconds` buckets. */
export const ITL_BUCKETS = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80,
];
/** vLLM's request-level latency buckets (`e2e_request_latency_seconds`, queue time). */
export const REQUEST_BUCKETS = [
  0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680,
];

/** Counters and histograms an engine maintains. */
export class Recorder {
  promptTokens = 0;
  generationTokens = 0;
  /** Prompt tokens looked up in the prefix cache (vLLM `prefix_cache_queries`), first admission only. */
  prefixQueries = 0;
  /** Of those, tokens found cached (vLLM `prefix_cache_hits`). */
  prefixHits = 0;
  preemptions = 0;
  steps = 0;
  /** Sum of step durations, virtual ms: busy time of the engine. */
  busyMs = 0;
  /** Sum over steps of the requests in the batch (for the mean batch size). */
  batchSeqs = 0;
  /** Finished requests by `finish_reason` ('stop', 'length', 'abort'). */
  readonly finished: Record<string, number> = { stop: 0, length: 0, abort: 0 };
  readonly ttft = new Histogram(TTFT_BUCKETS);
  readonly itl = new Histogram(ITL_BUCKETS);
  readonly e2e = new Histogram(REQUEST_BUCKETS);
  readonly queue = new Histogram(REQUEST_BUCKETS);
}
