import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BLOCK_TOKENS, blockText, renderText } from '../../src/bench/pseudo-text.js';
import { renderChat } from '../../src/sim/chat-template.js';
import { tokenize } from '../../src/sim/tokenizer.js';

function commonPrefix(a: readonly number[], b: readonly number[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

test('a block is deterministic and ≈512 tokens for the simulator tokenizer', () => {
  assert.equal(blockText(42), blockText(42));
  for (const id of [0, 1, 43_923, 2 ** 40 + 17]) {
    const n = tokenize(blockText(id)).length;
    // One token per 3-letter word, plus possibly a trailing-whitespace token.
    assert.ok(n >= BLOCK_TOKENS && n <= BLOCK_TOKENS + 1, `block ${id}: ${n} tokens`);
  }
});

test('texts of different ids diverge within their first 4 words (inside the first 16-token KV block)', () => {
  const ids = [0, 1, 2, 26, 676, 17_576, 17_577, 43_923, 2 ** 40, 2 ** 40 + 1];
  for (const a of ids) {
    for (const b of ids) {
      if (a === b) continue;
      const shared = commonPrefix(tokenize(blockText(a)), tokenize(blockText(b)));
      assert.ok(shared < 4, `blocks ${a} and ${b} share ${shared} leading tokens`);
    }
  }
});

test('prompts sharing k leading block ids share exactly k blocks of tokens, through the chat template', () => {
  const tokens = (blocks: number[]) =>
    tokenize(
      renderChat([
        { role: 'user', content: renderText({ blocks, tokens: blocks.length * BLOCK_TOKENS - 100 }) },
      ]),
    );
  const a = tokens([1, 2, 3, 9]);
  const b = tokens([1, 2, 3, 7, 8]);
  const c = tokens([5, 2, 3]);
  const shared = commonPrefix(a, b);
  const header = commonPrefix(a, c);
  // The template's header tokens are shared by every prompt; beyond them exactly 3 blocks are.
  assert.ok(header < 40, `header ${header}`);
  assert.ok(
    shared >= header + 3 * BLOCK_TOKENS && shared < header + 3 * BLOCK_TOKENS + 4,
    `shared ${shared}`,
  );
});

test('renderText cuts the last block to the requested length', () => {
  const text = renderText({ blocks: [10, 11], tokens: 600 });
  assert.equal(text.length, 600 * 4);
  assert.ok(text.startsWith(blockText(10)));
  assert.equal(text.slice(BLOCK_TOKENS * 4), blockText(11).slice(0, 88 * 4));
  // Longer than the blocks: continued deterministically.
  assert.equal(renderText({ blocks: [10], tokens: 700 }), renderText({ blocks: [10], tokens: 700 }));
  assert.equal(renderText({ blocks: [10], tokens: 700 }).length, 2800);
});
