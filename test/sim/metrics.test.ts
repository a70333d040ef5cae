// Issue 3: /metrics is valid Prometheus text with each engine's real names, and reflects the engine's load.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type EngineFlavor, type SimHandle, startSim } from '../../src/sim/index.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict parser for the Prometheus text format 0.0.4: throws on any line it does not accept. */
function parseProm(text: string): { samples: Sample[]; types: Map<string, string> } {
  assert.ok(text.endsWith('\n'), 'exposition must end with a newline');
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const sampleRe = new RegExp(`^(${NAME})(\\{(.*)\\})? (\\S+)$`);
  const labelRe = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/;
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('# HELP ')) {
      assert.match(line, new RegExp(`^# HELP ${NAME} .*$`));
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const m = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line);
      assert.ok(m, `bad TYPE line: ${line}`);
      assert.ok(!types.has(m[1]!), `TYPE twice for ${m[1]}`);
      types.set(m[1]!, m[2]!);
      continue;
    }
    const m = sampleRe.exec(line);
    assert.ok(m, `bad sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    let rest = m[3] ?? '';
    while (rest.length > 0) {
      const l = labelRe.exec(rest);
      assert.ok(l, `bad labels in: ${line}`);
      labels[l[1]!] = l[2]!;
      rest = rest.slice(l[0].length);
    }
    const v = m[4]!;
    const value =
      v === '+Inf' ? Number.POSITIVE_INFINITY : v === '-Inf' ? Number.NEGATIVE_INFINITY : Number(v);
    assert.ok(v === 'NaN' || !Number.isNaN(value), `bad value in: ${line}`);
    const family = m[1]!.replace(/_(bucket|sum|count)$/, '');
    assert.ok(types.has(m[1]!) || types.get(family) === 'histogram', `sample before its TYPE: ${line}`);
    samples.push({ name: m[1]!, labels, value });
  }
  // Histograms: cumulative buckets ending in +Inf equal to _count.
  for (const [name, type] of types) {
    if (type !== 'histogram') continue;
    const buckets = samples.filter((s) => s.name === `${name}_bucket`);
    assert.ok(buckets.length > 1, `${name} has no buckets`);
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value);
    assert.equal(buckets.at(-1)!.labels.le, '+Inf');
    const count = samples.find((s) => s.name === `${name}_count`);
    assert.equal(count?.value, buckets.at(-1)!.value);
  }
  return { samples, types };
}

const value = (samples: Sample[], name: string) => {
  const s = samples.find((x) => x.name === name);
  assert.ok(s, `missing ${name}`);
  return s.value;
};

async function withLoad(engine: EngineFlavor, fn: (sim: SimHandle) => Promise<void>): Promise<void> {
  const sim = await startSim({ engine, timeScale: 10 });
  const controller = new AbortController();
  try {
    // Two identical prompts (the second hits the first's blocks) and one long stream kept running.
    const prompt = 'The quick brown fox jumps over the lazy dog. '.repeat(30);
    for (let i = 0; i < 2; i++) {
      const r = await fetch(`${sim.url}/v1/completions`, {
        method: 'POST',
        body: JSON.stringify({ prompt, max_tokens: 4 }),
      });
      await r.json();
    }
    const res = await fetch(`${sim.url}/v1/completions`, {
      method: 'POST',
      body: JSON.stringify({ prompt: 'long one', max_tokens: 100000, ignore_eos: true, stream: true }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    await reader.read();
    await fn(sim);
  } finally {
    controller.abort();
    await sim.close();
  }
}

const scrape = async (sim: SimHandle) => {
  const r = await fetch(`${sim.url}/metrics`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
  return parseProm(await r.text());
};

test('vllm: the names a real vLLM exposes, with model_name, reflecting load and prefix hits', () =>
  withLoad('vllm', async (sim) => {
    const { samples, types } = await scrape(sim);
    for (const name of [
      'vllm:num_requests_running',
      'vllm:num_requests_waiting',
      'vllm:kv_cache_usage_perc',
      'vllm:gpu_cache_usage_perc',
    ]) {
      assert.equal(types.get(name), 'gauge', name);
    }
    for (const name of [
      'vllm:prefix_cache_queries_total',
      'vllm:prefix_cache_hits_total',
      'vllm:prompt_tokens_total',
      'vllm:generation_tokens_total',
    ]) {
      assert.equal(types.get(name), 'counter', name);
    }
    for (const name of [
      'vllm:time_to_first_token_seconds',
      'vllm:e2e_request_latency_seconds',
      'vllm:inter_token_latency_seconds',
      'vllm:time_per_output_token_seconds',
    ]) {
      assert.equal(types.get(name), 'histogram', name);
    }
    assert.equal(value(samples, 'vllm:num_requests_running'), 1);
    assert.equal(value(samples, 'vllm:num_requests_waiting'), 0);
    const kv = value(samples, 'vllm:kv_cache_usage_perc');
    assert.ok(kv > 0 && kv < 1);
    assert.equal(value(samples, 'vllm:gpu_cache_usage_perc'), kv);
    assert.ok(value(samples, 'vllm:prefix_cache_hits_total') >= 256);
    assert.ok(
      value(samples, 'vllm:prefix_cache_queries_total') > value(samples, 'vllm:prefix_cache_hits_total'),
    );
    assert.equal(value(samples, 'vllm:time_to_first_token_seconds_count'), 3);
    assert.equal(
      samples.find((s) => s.name === 'vllm:num_requests_running')!.labels.model_name,
      'meta-llama/Llama-3.1-8B-Instruct',
    );
  }));

test('sglang: sglang: names', () =>
  withLoad('sglang', async (sim) => {
    const { samples } = await scrape(sim);
    assert.equal(value(samples, 'sglang:num_running_reqs'), 1);
    assert.equal(value(samples, 'sglang:num_queue_reqs'), 0);
    assert.ok(value(samples, 'sglang:token_usage') > 0);
    assert.ok(value(samples, 'sglang:cache_hit_rate') > 0);
  }));

test('tgi: tgi_ names and /info', () =>
  withLoad('tgi', async (sim) => {
    const { samples } = await scrape(sim);
    assert.equal(value(samples, 'tgi_batch_current_size'), 1);
    assert.equal(value(samples, 'tgi_queue_size'), 0);
    const info = (await (await fetch(`${sim.url}/info`)).json()) as { model_id: string };
    assert.equal(info.model_id, 'meta-llama/Llama-3.1-8B-Instruct');
  }));

test('llamacpp: llamacpp: names and /slots with the busy slot', () =>
  withLoad('llamacpp', async (sim) => {
    const { samples } = await scrape(sim);
    assert.equal(value(samples, 'llamacpp:requests_processing'), 1);
    assert.equal(value(samples, 'llamacpp:requests_deferred'), 0);
    assert.ok(value(samples, 'llamacpp:kv_cache_usage_ratio') > 0);
    const slots = (await (await fetch(`${sim.url}/slots`)).json()) as { is_processing: boolean }[];
    assert.equal(slots.length, 8);
    assert.equal(slots.filter((s) => s.is_processing).length, 1);
    const health = (await (await fetch(`${sim.url}/health`)).json()) as { status: string };
    assert.equal(health.status, 'ok');
  }));

test('ollama: /api/ps lists the model; there is no /metrics', () =>
  withLoad('ollama', async (sim) => {
    assert.equal((await fetch(`${sim.url}/metrics`)).status, 404);
    const ps = (await (await fetch(`${sim.url}/api/ps`)).json()) as { models: { name: string }[] };
    assert.equal(ps.models[0]!.name, 'meta-llama/Llama-3.1-8B-Instruct');
  }));
