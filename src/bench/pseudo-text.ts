/**
 * Deterministic pseudo-text for prefix blocks. Traces such as Mooncake describe prompt sharing with ids of
 * 512-token blocks but release no text; to replay them against a real prefix cache every id must become
 * the same text each time, and different ids must become texts that diverge at once, so that two prompts
 * share exactly the blocks their ids share and no more.
 *
 * A block is `BLOCK_TOKENS` words of three lowercase letters, each followed by a space. Four characters per
 * word make the text one token per word both for word-splitting tokenizers and for the usual
 * "characters / 4" estimate. The first four words encode the id (a hash word, then the id in base 26³), so
 * texts of two different ids differ within their first four words, i.e. inside the first 16-token KV block;
 * the remaining words come from a PRNG seeded with the id.
 */
import { seededRandom } from '../core/prng.js';
import type { TextSpec } from './workload.js';

/** Tokens per block, as in Mooncake's `hash_ids`. */
export const BLOCK_TOKENS = 512;

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz';
const WORDS = 26 * 26 * 26;

function word(n: number): string {
  const v = ((Math.floor(n) % WORDS) + WORDS) % WORDS;
  return ALPHABET[Math.floor(v / 676)]! + ALPHABET[Math.floor(v / 26) % 26]! + ALPHABET[v % 26]! + ' ';
}

/** A 32-bit mix of an id (ids may exceed 2^32, e.g. the unique-text namespace). */
function mix(id: number): number {
  let h = (Math.floor(id / 2 ** 32) ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (id >>> 0), 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

const cache = new Map<number, string>();
/** Bound on cached block texts (2 KiB each): 8 MiB. */
const CACHE_LIMIT = 4096;

/** The full text of block `id`: `BLOCK_TOKENS` words. */
export function blockText(id: number): string {
  const hit = cache.get(id);
  if (hit !== undefined) return hit;
  if (!Number.isSafeInteger(id) || id < 0)
    throw new RangeError(`block id must be a non-negative integer: ${id}`);
  const parts: string[] = [word(mix(id)), word(id / WORDS / WORDS), word(id / WORDS), word(id)];
  const random = seededRandom(mix(id) ^ 0x5bd1e995);
  while (parts.length < BLOCK_TOKENS) parts.push(word(Math.floor(random() * WORDS)));
  const text = parts.join('');
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as number);
  cache.set(id, text);
  return text;
}

/**
 * The text of a `TextSpec`: its blocks in order, cut to `spec.tokens` words. Blocks beyond what `tokens`
 * needs are ignored; when `tokens` exceeds the blocks, the last block's id is extended with fresh
 * continuation ids derived from it, which keeps the text deterministic.
 */
export function renderText(spec: TextSpec): string {
  const out: string[] = [];
  let remaining = Math.max(0, Math.floor(spec.tokens));
  for (let i = 0; remaining > 0; i++) {
    const id = i < spec.blocks.length ? spec.blocks[i]! : 2 ** 50 + (spec.blocks.at(-1) ?? 0) * 64 + i;
    const take = Math.min(remaining, BLOCK_TOKENS);
    const text = blockText(id);
    out.push(take === BLOCK_TOKENS ? text : text.slice(0, take * 4));
    remaining -= take;
  }
  return out.join('');
}
