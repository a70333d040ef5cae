/**
 * A deterministic stand-in for a BPE tokenizer. It splits text the way GPT-style pre-tokenisers do (an
 * optional leading space glued to a run of letters, digits in groups of three, punctuation runs, whitespace)
 * and cuts long words into 4-character pieces, which lands near the usual ~4 characters per token for English.
 * Each piece's id is a hash of its text, so the same text always gives the same ids, and two prompts that
 * share a prefix share their leading tokens (and therefore KV blocks). Not a real vocabulary: counts are
 * approximate, ids are not Llama's.
 */

/** Vocabulary size the ids fall into (Llama 3's is 128,256). */
export const VOCAB_SIZE = 128000;

const PIECE = / ?\p{L}+| ?\p{N}{1,3}| ?[^\s\p{L}\p{N}]+|\s+/gu;
/** Words up to this many characters (including the leading space) are one token. */
const WHOLE_WORD = 8;
const CHUNK = 4;

/** FNV-1a of a string's UTF-16 code units, folded into the vocabulary. */
export function pieceId(piece: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < piece.length; i++) h = Math.imul(h ^ piece.charCodeAt(i), 0x01000193);
  return (h >>> 0) % VOCAB_SIZE;
}

/** Splits `text` into token pieces (exported for tests and for generating text with known ids). */
export function pieces(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(PIECE)) {
    const p = m[0];
    if (p.length <= WHOLE_WORD) {
      out.push(p);
      continue;
    }
    for (let i = 0; i < p.length; i += CHUNK) out.push(p.slice(i, i + CHUNK));
  }
  return out;
}

/** Token ids of `text`. Deterministic; ~4 characters per token on English prose. */
export function tokenize(text: string): number[] {
  return pieces(text).map(pieceId);
}
