/**
 * Load signals in the formats real engines expose, so Fulcrum's readers can be tested against each:
 *   vllm      /metrics  `vllm:num_requests_running`, `vllm:kv_cache_usage_perc`, prefix-cache counters, ...
 *   sglang    /metrics  `sglang:num_running_reqs`, `sglang:num_queue_reqs`, `sglang:token_usage`, ...
 *   tgi       /metrics  `tgi_queue_size`, `tgi_batch_current_size`, ...
 *   llamacpp  /metrics  `llamacpp:requests_processing`, `llamacpp:kv_cache_usage_ratio`, ... and /slots
 *   ollama    /api/ps   loaded models (Ollama exports no load metrics)
 * All values come from the engine's recorder and current load; latencies are in virtual seconds.
 */
import type { EngineLoad } from './engine-types.js';
import type { Histogram, Recorder } from './recorder.js';

/** Engines whose formats the simulator can emulate. */
export const ENGINES = ['vllm', 'sglang', 'tgi', 'llamacpp', 'ollama'] as const;
export type EngineFlavor = (typeof ENGINES)[number];

/** What an exporter reads. */
export interface MetricsSource {
  model: string;
  load: EngineLoad;
  rec: Recorder;
  /** Requests currently being served by the HTTP layer. */
  activeRequests: number;
}

type Labels = Record<string, string>;

function labelText(labels: Labels, extra?: [string, string]): string {
  const all = Object.entries(labels);
  if (extra) all.push(extra);
  if (all.length === 0) return '';
  return `{${all.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}

function fmt(v: number): string {
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(12)));
}

/** Builds Prometheus text exposition format (version 0.0.4). */
class PromText {
  private readonly lines: string[] = [];

  metric(name: string, type: 'gauge' | 'counter', help: string, value: number, labels: Labels = {}): this {
    this.lines.push(
      `# HELP ${name} ${help}`,
      `# TYPE ${name} ${type}`,
      `${name}${labelText(labels)} ${fmt(value)}`,
    );
    return this;
  }

  /** A labelled family with several series (e.g. one per finish reason). */
  family(name: string, type: 'gauge' | 'counter', help: string, series: [Labels, number][]): this {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [l, v] of series) this.lines.push(`${name}${labelText(l)} ${fmt(v)}`);
    return this;
  }

  histogram(name: string, help: string, h: Histogram, labels: Labels = {}): this {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
    let cum = 0;
    for (let i = 0; i < h.bounds.length; i++) {
      cum += h.counts[i]!;
      this.lines.push(`${name}_bucket${labelText(labels, ['le', fmt(h.bounds[i]!)])} ${cum}`);
    }
    this.lines.push(`${name}_bucket${labelText(labels, ['le', '+Inf'])} ${h.count}`);
    this.lines.push(
      `${name}_sum${labelText(labels)} ${fmt(h.sum)}`,
      `${name}_count${labelText(labels)} ${h.count}`,
    );
    return this;
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

/** vLLM (V1) names, with the `model_name` label. */
export function vllmMetrics(s: MetricsSource): string {
  const l = { model_name: s.model };
  const { load, rec } = s;
  return new PromText()
    .metric(
      'vllm:num_requests_running',
      'gauge',
      'Number of requests in model execution batches.',
      load.running,
      l,
    )
    .metric(
      'vllm:num_requests_waiting',
      'gauge',
      'Number of requests waiting to be processed.',
      load.waiting,
      l,
    )
    .metric(
      'vllm:kv_cache_usage_perc',
      'gauge',
      'KV-cache usage. 1 means 100 percent usage.',
      load.kvUsage,
      l,
    )
    .metric(
      'vllm:gpu_cache_usage_perc',
      'gauge',
      'GPU KV-cache usage. 1 means 100 percent usage.',
      load.kvUsage,
      l,
    )
    .metric(
      'vllm:prefix_cache_queries_total',
      'counter',
      'Prefix cache queries, in tokens.',
      rec.prefixQueries,
      l,
    )
    .metric('vllm:prefix_cache_hits_total', 'counter', 'Prefix cache hits, in tokens.', rec.prefixHits, l)
    .metric('vllm:num_preemptions_total', 'counter', 'Cumulative number of preemptions.', rec.preemptions, l)
    .metric('vllm:prompt_tokens_total', 'counter', 'Number of prefill tokens processed.', rec.promptTokens, l)
    .metric(
      'vllm:generation_tokens_total',
      'counter',
      'Number of generation tokens processed.',
      rec.generationTokens,
      l,
    )
    .family(
      'vllm:request_success_total',
      'counter',
      'Count of successfully processed requests.',
      ['stop', 'length', 'abort'].map((r) => [{ ...l, finished_reason: r }, rec.finished[r] ?? 0]),
    )
    .histogram(
      'vllm:time_to_first_token_seconds',
      'Histogram of time to first token in seconds.',
      rec.ttft,
      l,
    )
    .histogram('vllm:inter_token_latency_seconds', 'Histogram of inter-token latency in seconds.', rec.itl, l)
    .histogram(
      'vllm:time_per_output_token_seconds',
      'Histogram of time per output token in seconds.',
      rec.itl,
      l,
    )
    .histogram('vllm:e2e_request_latency_seconds', 'Histogram of e2e request latency in seconds.', rec.e2e, l)
    .histogram('vllm:request_queue_time_seconds', 'Histogram of time spent in WAITING phase.', rec.queue, l)
    .toString();
}

/** SGLang names (`sglang/srt/metrics/collector.py`), with the `model_name` label. */
export function sglangMetrics(s: MetricsSource): string {
  const l = { model_name: s.model };
  const { load, rec } = s;
  const hitRate = rec.prefixQueries > 0 ? rec.prefixHits / rec.prefixQueries : 0;
  return new PromText()
    .metric('sglang:num_running_reqs', 'gauge', 'The number of running requests.', load.running, l)
    .metric('sglang:num_queue_reqs', 'gauge', 'The number of requests in the waiting queue.', load.waiting, l)
    .metric('sglang:num_used_tokens', 'gauge', 'The number of used tokens.', load.kvTokens, l)
    .metric('sglang:token_usage', 'gauge', 'The token usage.', load.kvUsage, l)
    .metric('sglang:cache_hit_rate', 'gauge', 'The prefix cache hit rate.', hitRate, l)
    .metric(
      'sglang:prompt_tokens_total',
      'counter',
      'Number of prefill tokens processed.',
      rec.promptTokens,
      l,
    )
    .metric(
      'sglang:generation_tokens_total',
      'counter',
      'Number of generation tokens processed.',
      rec.generationTokens,
      l,
    )
    .histogram(
      'sglang:time_to_first_token_seconds',
      'Histogram of time to first token in seconds.',
      rec.ttft,
      l,
    )
    .histogram(
      'sglang:inter_token_latency_seconds',
      'Histogram of inter-token latency in seconds.',
      rec.itl,
      l,
    )
    .histogram(
      'sglang:e2e_request_latency_seconds',
      'Histogram of End-to-end request latency in seconds',
      rec.e2e,
      l,
    )
    .toString();
}

/** Text Generation Inference names (no labels). */
export function tgiMetrics(s: MetricsSource): string {
  const { load, rec } = s;
  const done = (rec.finished.stop ?? 0) + (rec.finished.length ?? 0);
  return new PromText()
    .metric('tgi_queue_size', 'gauge', 'Requests waiting in the queue.', load.waiting)
    .metric('tgi_batch_current_size', 'gauge', 'Current batch size.', load.running)
    .metric('tgi_batch_current_max_tokens', 'gauge', 'Maximum tokens of the current batch.', load.kvTokens)
    .metric(
      'tgi_request_count',
      'counter',
      'Requests received.',
      done + (rec.finished.abort ?? 0) + s.activeRequests,
    )
    .metric('tgi_request_success', 'counter', 'Requests that succeeded.', done)
    .metric('tgi_request_input_count', 'counter', 'Input tokens.', rec.promptTokens)
    .metric('tgi_request_generated_tokens_total', 'counter', 'Generated tokens.', rec.generationTokens)
    .histogram('tgi_request_duration', 'Request duration in seconds.', rec.e2e)
    .histogram('tgi_request_queue_duration', 'Time spent in the queue in seconds.', rec.queue)
    .histogram('tgi_request_mean_time_per_token_duration', 'Mean time per token in seconds.', rec.itl)
    .toString();
}

/** llama.cpp server names (`--metrics`). */
export function llamacppMetrics(s: MetricsSource): string {
  const { load, rec } = s;
  return new PromText()
    .metric('llamacpp:prompt_tokens_total', 'counter', 'Number of prompt tokens processed.', rec.promptTokens)
    .metric(
      'llamacpp:tokens_predicted_total',
      'counter',
      'Number of generation tokens processed.',
      rec.generationTokens,
    )
    .metric('llamacpp:n_decode_total', 'counter', 'Total number of llama_decode() calls.', rec.steps)
    .metric(
      'llamacpp:n_busy_slots_per_decode',
      'counter',
      'Average number of busy slots per llama_decode() call.',
      rec.steps > 0 ? rec.batchSeqs / rec.steps : 0,
    )
    .metric(
      'llamacpp:kv_cache_usage_ratio',
      'gauge',
      'KV-cache usage. 1 means 100 percent usage.',
      load.kvUsage,
    )
    .metric('llamacpp:kv_cache_tokens', 'gauge', 'KV-cache tokens.', load.kvTokens)
    .metric('llamacpp:requests_processing', 'gauge', 'Number of requests processing.', load.running)
    .metric('llamacpp:requests_deferred', 'gauge', 'Number of requests deferred.', load.waiting)
    .toString();
}

/** llama.cpp's `/slots`: one entry per parallel slot, busy ones first. */
export function llamacppSlots(s: MetricsSource, slots: number, nCtx: number): unknown[] {
  return Array.from({ length: slots }, (_, id) => ({
    id,
    id_task: id < s.load.running ? id : -1,
    n_ctx: nCtx,
    is_processing: id < s.load.running,
  }));
}

/** Ollama's `/api/ps`: the loaded model. */
export function ollamaPs(model: string, sizeBytes: number): unknown {
  return {
    models: [
      {
        name: model,
        model,
        size: sizeBytes,
        digest: '0000000000000000000000000000000000000000000000000000000000000000',
        details: { format: 'gguf', family: 'llama', parameter_size: '8.0B', quantization_level: 'BF16' },
        expires_at: new Date(Date.now() + 5 * 60_000).toISOString(),
        size_vram: sizeBytes,
      },
    ],
  };
}

/** The Prometheus text for `engine`, or undefined when that engine serves no /metrics. */
export function metricsFor(engine: EngineFlavor, s: MetricsSource): string | undefined {
  switch (engine) {
    case 'vllm':
      return vllmMetrics(s);
    case 'sglang':
      return sglangMetrics(s);
    case 'tgi':
      return tgiMetrics(s);
    case 'llamacpp':
      return llamacppMetrics(s);
    case 'ollama':
      return undefined;
  }
}
