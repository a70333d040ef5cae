// Issue 3: the tokenizer stand-in, the chat template and the request-to-engine mapping.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderChat } from '../../src/sim/chat-template.js';
import { parseFault, parseWindow } from '../../src/sim/faults.js';
import { parseGeneration, RequestError } from '../../src/sim/openai-request.js';
import { tokenId, tokenText } from '../../src/sim/output-text.js';
import { tokenize } from '../../src/sim/tokenizer.js';

const prose =
  'Routing strategies only show their worth when the backends behave like real inference engines. A real ' +
  'engine batches continuously, reuses cached prompt prefixes, queues when full, and slows every token as ' +
  'the batch grows. The simulator is how our tests, the demo and our benchmarks see what Fulcrum does.';

test('about four characters per token on English prose, deterministically', () => {
  const ids = tokenize(prose);
  const ratio = prose.length / ids.length;
  assert.ok(ratio > 3.2 && ratio < 5.5, `${ratio} chars/token`);
  assert.deepEqual(tokenize(prose), ids);
});

test('a shared text prefix gives shared leading tokens', () => {
  const a = tokenize(`${prose} First question?`);
  const b = tokenize(`${prose} Second one.`);
  const base = tokenize(prose);
  assert.deepEqual(a.slice(0, base.length), base);
  assert.deepEqual(b.slice(0, base.length), base);
});

test('chat template: a shared system prompt is a shared token prefix; roles matter', () => {
  const sys = { role: 'system', content: prose };
  const a = tokenize(renderChat([sys, { role: 'user', content: 'hello there' }]));
  const b = tokenize(renderChat([sys, { role: 'user', content: 'goodbye now' }]));
  let common = 0;
  while (a[common] === b[common]) common++;
  assert.ok(common >= tokenize(prose).length, `${common} shared tokens`);
  const asUser = tokenize(renderChat([{ role: 'user', content: prose }]));
  let same = 0;
  while (asUser[same] === a[same]) same++;
  assert.ok(same < 20, `the same text as a user message shares only the template head (${same} tokens)`);
});

test('generated text re-tokenises to the generated ids', () => {
  const seed = 12345;
  const n = 200;
  const text = Array.from({ length: n }, (_, i) => tokenText(seed, i)).join('');
  assert.deepEqual(
    tokenize(text),
    Array.from({ length: n }, (_, i) => tokenId(seed, i)),
  );
});

test('output length: ignore_eos and min_tokens force it, max_tokens caps it', () => {
  const opts = { defaultModel: 'm', maxModelLen: 4096, simSeed: 1 };
  const body = (extra: Record<string, unknown>) => ({ prompt: 'hello', ...extra });
  const eos = parseGeneration('completion', body({ max_tokens: 3000, ignore_eos: true }), opts);
  assert.deepEqual([eos.outputTokens, eos.finishReason], [3000, 'length']);
  const forced = parseGeneration('completion', body({ max_tokens: 77, min_tokens: 77 }), opts);
  assert.deepEqual([forced.outputTokens, forced.finishReason], [77, 'length']);
  const capped = parseGeneration('completion', body({ max_tokens: 1 }), opts);
  assert.deepEqual([capped.outputTokens, capped.finishReason], [1, 'length']);
  const free = parseGeneration('completion', body({}), opts);
  assert.ok(free.outputTokens >= 8 && free.outputTokens <= 2048 && free.finishReason === 'stop');
  assert.throws(
    () => parseGeneration('completion', body({ max_tokens: 5, min_tokens: 6 }), opts),
    RequestError,
  );
  assert.throws(() => parseGeneration('completion', body({ n: 2 }), opts), RequestError);
  const ids = parseGeneration('completion', { prompt: [5, 6, 7] }, opts);
  assert.deepEqual(ids.promptTokens, [5, 6, 7]);
});

test('fault grammar: every spec parses; bad ones say what is wrong', () => {
  assert.deepEqual(parseFault('status=503;retry-after=2'), { kind: 'status', status: 503, retryAfterSec: 2 });
  assert.deepEqual(parseFault('close-after=5;mode=rst'), { kind: 'close-after', tokens: 5, mode: 'rst' });
  assert.deepEqual(parseFault('bad-sse'), { kind: 'bad-sse', tokens: 0 });
  assert.deepEqual(parseFault('refuse'), { kind: 'refuse', ms: 1000 });
  assert.deepEqual(parseWindow('10-20@0.5:stall-after=3'), {
    fromSec: 10,
    toSec: 20,
    rate: 0.5,
    fault: { kind: 'stall-after', tokens: 3 },
  });
  assert.throws(() => parseFault('status=200'), /400–599/);
  assert.throws(() => parseFault('close-after=3;mode=maybe'), /fin or rst/);
  assert.throws(() => parseFault('meteor'), /valid: status/);
  assert.throws(() => parseWindow('20-10:crash'), /after FROM/);
});
