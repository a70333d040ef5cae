// Issue 3: `fulcrum sim` answers the official openai SDK like a real server.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { type SimHandle, startSim } from '../../src/sim/index.js';

let sim: SimHandle;
let client: OpenAI;
const MODEL = 'meta-llama/Llama-3.1-8B-Instruct';

before(async () => {
  sim = await startSim({ timeScale: 20, seed: 7 });
  client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'x', maxRetries: 0 });
});
after(() => sim.close());

test('models lists the served model', async () => {
  const page = await client.models.list();
  assert.deepEqual(
    page.data.map((m) => m.id),
    [MODEL],
  );
});

test('chat, non-streaming: message, finish_reason, usage with cached_tokens', async () => {
  const r = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'Say hello.' }],
    max_tokens: 12,
  });
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.choices[0]!.message.role, 'assistant');
  assert.ok(r.choices[0]!.message.content!.length > 0);
  assert.ok(['stop', 'length'].includes(r.choices[0]!.finish_reason));
  assert.ok(r.usage!.completion_tokens <= 12 && r.usage!.completion_tokens >= 1);
  assert.ok(r.usage!.prompt_tokens > 3);
  assert.equal(r.usage!.prompt_tokens_details!.cached_tokens, 0);
});

test('chat, streaming with include_usage: role first, content deltas, finish, usage, DONE', async () => {
  // `ignore_eos` is a vLLM extension field, so the body is typed with it added.
  const params: OpenAI.ChatCompletionCreateParamsStreaming & { ignore_eos: boolean } = {
    model: MODEL,
    messages: [{ role: 'user', content: 'Count to twenty.' }],
    max_tokens: 20,
    ignore_eos: true,
    stream: true,
    stream_options: { include_usage: true },
  };
  const stream = await client.chat.completions.create(params);
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  assert.equal(chunks[0]!.choices[0]!.delta.role, 'assistant');
  const content = chunks.filter((c) => c.choices[0]?.delta.content).length;
  assert.equal(content, 20); // one chunk per engine step, one token each
  const finish = chunks.find((c) => c.choices[0]?.finish_reason);
  assert.equal(finish!.choices[0]!.finish_reason, 'length');
  const last = chunks.at(-1)!;
  assert.deepEqual(last.choices, []);
  assert.equal(last.usage!.completion_tokens, 20);
});

test('completions, streaming and not; token-id prompts; min_tokens forces the length', async () => {
  const r = await client.completions.create({
    model: MODEL,
    prompt: 'Once upon a time',
    max_tokens: 30,
    min_tokens: 30,
  } as OpenAI.CompletionCreateParamsNonStreaming);
  assert.equal(r.object, 'text_completion');
  assert.equal(r.usage!.completion_tokens, 30);
  assert.equal(r.choices[0]!.finish_reason, 'length');
  const s = await client.completions.create({
    model: MODEL,
    prompt: [1, 2, 3, 4, 5],
    max_tokens: 5,
    stream: true,
  });
  let text = '';
  for await (const c of s) text += c.choices[0]?.text ?? '';
  assert.ok(text.length > 0);
});

test('output text is deterministic for a given seed and request', async () => {
  const ask = async () =>
    (
      await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'Same question' }],
        max_tokens: 16,
      })
    ).choices[0]!.message.content;
  assert.equal(await ask(), await ask());
});

test('a repeated prompt reports its cached prefix', async () => {
  const system = 'You are a helpful assistant. '.repeat(40);
  const ask = (q: string) =>
    client.chat.completions.create({
      model: MODEL,
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: q },
      ],
      max_tokens: 2,
    });
  const a = await ask('first question');
  const b = await ask('second question');
  assert.equal(a.usage!.prompt_tokens_details!.cached_tokens, 0);
  assert.ok(b.usage!.prompt_tokens_details!.cached_tokens! >= 160, JSON.stringify(b.usage));
});

test('embeddings: float and base64 (the SDK default) decode to the same unit vectors', async () => {
  const r = await client.embeddings.create({ model: MODEL, input: ['hello world', 'goodbye'] });
  assert.equal(r.data.length, 2);
  const v = r.data[0]!.embedding;
  assert.equal(v.length, 256);
  assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-4);
  const f = await client.embeddings.create({ model: MODEL, input: 'hello world', encoding_format: 'float' });
  assert.ok(f.data[0]!.embedding.every((x, i) => Math.abs(x - v[i]!) < 1e-6));
  assert.ok(r.usage.prompt_tokens > 0);
});

test('errors: unknown model is 404, bad body 400, overlong prompt 400', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }),
    (e: unknown) => e instanceof OpenAI.NotFoundError,
  );
  await assert.rejects(
    client.chat.completions.create({ model: MODEL, messages: [] }),
    (e: unknown) => e instanceof OpenAI.BadRequestError,
  );
  await assert.rejects(
    client.completions.create({
      model: MODEL,
      prompt: Array.from({ length: 131072 }, (_, i) => i),
      max_tokens: 10,
    }),
    (e: unknown) => e instanceof OpenAI.BadRequestError && /maximum context length/.test(e.message),
  );
});

test('health answers 200', async () => {
  const r = await fetch(`${sim.url}/health`);
  assert.equal(r.status, 200);
});

test('stats count requests, tokens and the x-request-id of each', async () => {
  await client.chat.completions.create(
    { model: MODEL, messages: [{ role: 'user', content: 'tag me' }], max_tokens: 3 },
    { headers: { 'x-request-id': 'req-abc' } },
  );
  const rec = sim.requests().find((r) => r.requestId === 'req-abc');
  assert.ok(rec);
  assert.equal(rec.outcome, 'ok');
  assert.equal(rec.status, 200);
  assert.ok(rec.ttftMs! > 0);
  const s = sim.stats();
  assert.ok(s.completed >= 1 && s.generatedTokens > 0 && s.steps > 0);
});
