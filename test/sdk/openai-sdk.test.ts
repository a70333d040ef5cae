/**
 * The official `openai` SDK as a client of Fulcrum in front of two simulated LLM servers: chat (streaming and
 * not), completions, embeddings, models, a mid-stream failure surfacing as an SDK error, and a 429 surfacing
 * as `RateLimitError`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI, { APIError, RateLimitError } from 'openai';
import { type FulcrumHandle, startFulcrum } from '../../src/server/fulcrum.js';
import { type SimHandle, startSim } from '../../src/sim/index.js';

const MODEL = 'sim-model';

describe('openai SDK through Fulcrum', () => {
  let sims: SimHandle[];
  let fulcrum: FulcrumHandle;
  let client: OpenAI;

  before(async () => {
    sims = await Promise.all([1, 2].map((seed) => startSim({ model: MODEL, seed, timeScale: 20 })));
    fulcrum = await startFulcrum({
      listen: { host: '127.0.0.1', port: 0 },
      admin: { enabled: false },
      logging: { level: 'silent' },
      health: { active: { enabled: false } },
      endpoints: sims.map((s, i) => ({ name: `sim-${i}`, url: s.url })),
    });
    client = new OpenAI({ baseURL: `${fulcrum.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  after(async () => {
    await fulcrum.close();
    await Promise.all(sims.map((s) => s.close()));
  });

  test('models.list shows the discovered model', async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    assert.deepEqual(ids, [MODEL]);
  });

  test('chat completion, non-streaming', async () => {
    const res = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Hello there' }],
      max_tokens: 12,
    });
    assert.equal(res.object, 'chat.completion');
    assert.ok((res.choices[0]?.message.content ?? '').length > 0);
    assert.equal(res.usage?.completion_tokens, 12);
  });

  test('chat completion, streaming with usage', async () => {
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Tell me a story' }],
      max_tokens: 20,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    assert.ok(text.length > 0);
    assert.equal(usage?.completion_tokens, 20);
  });

  test('completions, streaming and not', async () => {
    const res = await client.completions.create({ model: MODEL, prompt: 'Once upon a time', max_tokens: 8 });
    assert.ok((res.choices[0]?.text ?? '').length > 0);
    const stream = await client.completions.create({
      model: MODEL,
      prompt: 'Once',
      max_tokens: 8,
      stream: true,
    });
    let n = 0;
    for await (const chunk of stream) if (chunk.choices[0]?.text) n++;
    assert.ok(n > 0);
  });

  test('embeddings', async () => {
    const res = await client.embeddings.create({ model: MODEL, input: ['a', 'b'] });
    assert.equal(res.data.length, 2);
    assert.ok((res.data[0]?.embedding.length ?? 0) > 0);
  });

  test('a backend dying mid-stream surfaces as an SDK error after the tokens already sent', async () => {
    const stream = await client.chat.completions.create(
      { model: MODEL, messages: [{ role: 'user', content: 'Go' }], max_tokens: 50, stream: true },
      { headers: { 'x-sim-fault': 'close-after=5' } },
    );
    let chunks = 0;
    await assert.rejects(
      (async () => {
        for await (const _ of stream) chunks++;
      })(),
      (err: unknown) => {
        assert.ok(err instanceof APIError, `expected an APIError, got ${String(err)}`);
        assert.match(err.message, /lost mid-response/);
        return true;
      },
    );
    assert.ok(chunks >= 5, `received the ${chunks} chunks sent before the cut`);
  });

  test('a 429 from every endpoint surfaces as RateLimitError', async () => {
    await assert.rejects(
      client.chat.completions.create(
        { model: MODEL, messages: [{ role: 'user', content: 'x' }], max_tokens: 4 },
        { headers: { 'x-sim-fault': 'status=429;retry-after=1' } },
      ),
      (err: unknown) => err instanceof RateLimitError && err.status === 429,
    );
  });
});
