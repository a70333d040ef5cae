/**
 * Deterministic output text. Token `i` of a request is a word (or a full stop) chosen by hashing the request's
 * seed with `i`, so a given seed and request always produce the same reply, and each generated token is one
 * tokenizer piece: sending the reply back in the next turn re-tokenises to the ids the engine generated, and
 * the conversation's cached blocks are reused.
 */
import { pieceId } from './tokenizer.js';

const WORDS = (
  'the of and to in is was that for it as with be on not he by are this at from but have an they which one ' +
  'you were all her she there would their we him been has when who will more no if out so said what up its ' +
  'about into than them can only other new some could time these two may then do first any my now such like ' +
  'our over man me even most made after also did many before must through back years where much your way ' +
  'well down should because each just those people how too little state good very make world still own see ' +
  'men work long get here between both life being under never day same another know while last might us ' +
  'great old year off come since against go came right used take three'
).split(' ');

/** Texts of the vocabulary: a capitalised form for the first token, a space-prefixed form afterwards. */
const FIRST = WORDS.map((w) => w[0]!.toUpperCase() + w.slice(1));
const LATER = WORDS.map((w) => ` ${w}`);
const FIRST_IDS = FIRST.map(pieceId);
const LATER_IDS = LATER.map(pieceId);
const STOP_ID = pieceId('.');

/** Full stops only on even positions, so two never touch (they would re-tokenise as one piece). */
function isStop(h: number, i: number): boolean {
  return i > 0 && i % 2 === 0 && h % 6 === 0;
}

function mix(seed: number, i: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h >>> 0;
}

/** Text of output token `i` for a request with seed `seed`. */
export function tokenText(seed: number, i: number): string {
  const h = mix(seed, i);
  if (i === 0) return FIRST[h % FIRST.length]!;
  if (isStop(h, i)) return '.';
  return LATER[h % LATER.length]!;
}

/** Tokenizer id of output token `i` (consistent with `tokenize(tokenText(seed, i))` in context). */
export function tokenId(seed: number, i: number): number {
  const h = mix(seed, i);
  if (i === 0) return FIRST_IDS[h % FIRST.length]!;
  if (isStop(h, i)) return STOP_ID;
  return LATER_IDS[h % LATER.length]!;
}

/**
 * The length a request would reach on its own (its "EOS"), when the client does not force one: a
 * deterministic draw from a lognormal with median 128 tokens, clamped to [8, 2048].
 */
export function naturalLength(seed: number): number {
  const u = (mix(seed, -7) + 0.5) / 4294967296;
  const v = (mix(seed, -11) + 0.5) / 4294967296;
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return Math.max(8, Math.min(2048, Math.round(128 * Math.exp(0.7 * z))));
}

/** A 32-bit seed for one request, from the simulator seed, the request's own `seed` field and its prompt. */
export function requestSeed(simSeed: number, promptTokens: readonly number[], userSeed?: number): number {
  let h = (simSeed ^ 0x2545f491) >>> 0;
  if (userSeed !== undefined) h = mix(h, userSeed);
  for (let i = 0; i < promptTokens.length; i++) h = Math.imul(h ^ promptTokens[i]!, 0x01000193) >>> 0;
  return mix(h, promptTokens.length);
}
